//! Poly1305, with the implementation chosen by message length.
//!
//! RustCrypto's `poly1305` picks its AVX2 backend at run time when the CPU has it. That backend
//! processes four blocks at a time and wins on long inputs, but its setup (powers of r, lane
//! shuffles) made it the largest single cost of a 64-byte CURVE MESSAGE; its soft backend is
//! only reachable with a `--cfg` flag, which a default build never has. HACL*'s formally verified
//! Poly1305, as `libcrux-poly1305` ships it in safe Rust, is a plain 64-bit-limb loop with no
//! setup. Measured on the 2-core benchmark machine (Xeon with AVX2 and AVX-512) by
//! `cargo run --release -p zmtp-core --example poly1305_choice` (best of 5 timed loops), per
//! tag:
//!
//! | input | poly1305 0.8 (AVX2) | libcrux-poly1305 0.0.7 |
//! |---:|---:|---:|
//! | 64 B | 1.47 µs | 0.06 µs |
//! | 1 KiB | 1.83 µs | 0.70 µs |
//! | 4 KiB | 2.97 µs | 2.76 µs |
//! | 64 KiB | 26.1 µs | 43.9 µs |
//!
//! So below [`LONG_INPUT`] bytes we use libcrux, from there on `poly1305`. Both compute the same
//! function (the tests compare them), so the choice never shows on the wire.

use poly1305::universal_hash::KeyInit;

/// Bytes of a Poly1305 one-time key (r and s).
pub(super) const KEY_LEN: usize = 32;
/// Bytes of a Poly1305 tag.
pub(super) const TAG_LEN: usize = 16;

/// Inputs of at least this many bytes go to RustCrypto's `poly1305` (see the table above).
const LONG_INPUT: usize = 4096;

/// The Poly1305 tag of `message` under the one-time `key`.
pub(super) fn tag(key: &[u8; KEY_LEN], message: &[u8]) -> [u8; TAG_LEN] {
    if message.len() < LONG_INPUT {
        short_tag(key, message)
    } else {
        long_tag(key, message)
    }
}

/// libcrux's HACL* Poly1305: no setup, best for short inputs.
fn short_tag(key: &[u8; KEY_LEN], message: &[u8]) -> [u8; TAG_LEN] {
    let mut out = [0u8; TAG_LEN];
    // libcrux refuses only inputs of 4 GiB or more, and this path sees fewer than 4 KiB.
    if libcrux_poly1305::mac(key, message, &mut out).is_err() {
        unreachable!("libcrux-poly1305 takes any input shorter than 4 GiB");
    }
    out
}

/// RustCrypto's Poly1305, with its run-time selected AVX2 backend: best for long inputs.
fn long_tag(key: &[u8; KEY_LEN], message: &[u8]) -> [u8; TAG_LEN] {
    poly1305::Poly1305::new(key.into())
        .compute_unpadded(message)
        .into()
}

#[cfg(test)]
mod tests {
    use super::super::test_hex::hex;
    use super::*;
    use proptest::prelude::*;

    /// RFC 8439, section 2.5.2: both implementations give the RFC's tag.
    #[test]
    fn rfc8439_vector() {
        let key: [u8; 32] = hex(concat!(
            "85d6be7857556d337f4452fe42d506a8",
            "0103808afb0db2fd4abff6af4149f51b"
        ))
        .try_into()
        .unwrap();
        let message = b"Cryptographic Forum Research Group";
        let expected = hex("a8061dc1305136c6c22b8baf0c0127a9");
        assert_eq!(short_tag(&key, message)[..], expected[..]);
        assert_eq!(long_tag(&key, message)[..], expected[..]);
        assert_eq!(tag(&key, message)[..], expected[..]);
    }

    /// The length threshold picks each implementation on its side of it (a long input through
    /// the dispatcher equals the long path, a short one the short path), and both agree there.
    #[test]
    fn both_sides_of_the_threshold_agree() {
        let key = [7u8; 32];
        for len in [LONG_INPUT - 1, LONG_INPUT, LONG_INPUT + 1, 65536] {
            let message: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            assert_eq!(tag(&key, &message), short_tag(&key, &message), "len {len}");
            assert_eq!(tag(&key, &message), long_tag(&key, &message), "len {len}");
        }
    }

    proptest! {
        /// Any key, any message: the two implementations compute the same function.
        #[test]
        fn implementations_agree(key in any::<[u8; 32]>(), message in proptest::collection::vec(any::<u8>(), 0..600)) {
            prop_assert_eq!(short_tag(&key, &message), long_tag(&key, &message));
        }
    }
}
