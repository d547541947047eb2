//! The measurement behind `mechanism/curve/mac.rs`'s choice of Poly1305 by input length: time
//! per tag of RustCrypto's `poly1305` (its run-time selected backend) and `libcrux-poly1305`,
//! best of 5 timed loops per cell.
//!
//! cargo run --release -p zmtp-core --example poly1305_choice

use std::hint::black_box;
use std::time::Instant;

use poly1305::universal_hash::KeyInit;

fn per_tag_ns(rounds: u32, mut tag: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..rounds {
                tag();
            }
            start.elapsed().as_nanos() as f64 / f64::from(rounds)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let key = [7u8; 32];
    println!("| input | poly1305 (RustCrypto) µs | libcrux-poly1305 µs |");
    println!("|---:|---:|---:|");
    for size in [64usize, 1024, 4096, 65536] {
        let message = vec![0x5au8; size];
        let rounds = u32::try_from((1 << 24) / size.max(64)).unwrap_or(u32::MAX);
        let rust_crypto = per_tag_ns(rounds, || {
            let tag = poly1305::Poly1305::new((&key).into()).compute_unpadded(black_box(&message));
            black_box(tag);
        });
        let libcrux = per_tag_ns(rounds, || {
            let mut out = [0u8; 16];
            let _ = libcrux_poly1305::mac(&key, black_box(&message), &mut out);
            black_box(out);
        });
        println!(
            "| {size} B | {:.2} | {:.2} |",
            rust_crypto / 1000.0,
            libcrux / 1000.0
        );
    }
}
