//! Writes one valid conversation per PLAIN/CURVE fuzz target into `fuzz/corpus/<target>/seed-0`,
//! so that fuzzing starts past handshakes whose boxes it could never forge (servers also get
//! `seed-1`, the same conversation with the authentication hook saying no):
//!
//! ```text
//! cargo run -p zmtp-core --features fuzzing --example fuzz_seeds [-- CORPUS_DIR]
//! ```
//!
//! The conversations are deterministic (fixed keys, fixed randomness), so re-running this
//! rewrites the same bytes.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus"),
        PathBuf::from,
    );
    for (target, bytes) in zmtp_core::fuzzing::seed_conversations() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("seed-0");
        std::fs::write(&path, &bytes)?;
        println!("{} ({} bytes)", path.display(), bytes.len());
        if target.ends_with("_server") {
            // Bit 7 of the first byte makes the fuzz body deny the client.
            let mut denied = bytes;
            denied[0] |= 0x80;
            std::fs::write(dir.join("seed-1"), &denied)?;
        }
    }
    Ok(())
}
