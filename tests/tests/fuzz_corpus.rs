//! Replays every committed fuzz input (fuzz/corpus/<target>/*) through the same function the
//! cargo-fuzz target calls, so stable CI exercises what the fuzzer found.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus of {target} is empty");
    files
}

fn replay(target: &str, body: fn(&[u8])) {
    for file in corpus(target) {
        let data = std::fs::read(&file).unwrap();
        body(&data);
    }
}

#[test]
fn frame_decoder_corpus_replays_cleanly() {
    replay("frame_decoder", zmtp_core::fuzzing::frame_decoder);
}

#[test]
fn greeting_corpus_replays_cleanly() {
    replay("greeting", zmtp_core::fuzzing::greeting);
}

#[test]
fn server_connection_corpus_replays_cleanly() {
    replay("server_connection", zmtp_core::fuzzing::server_connection);
}

#[test]
fn client_connection_corpus_replays_cleanly() {
    replay("client_connection", zmtp_core::fuzzing::client_connection);
}

#[test]
fn plain_server_corpus_replays_cleanly() {
    replay("plain_server", zmtp_core::fuzzing::plain_server);
}

#[test]
fn plain_client_corpus_replays_cleanly() {
    replay("plain_client", zmtp_core::fuzzing::plain_client);
}

#[test]
fn curve_server_corpus_replays_cleanly() {
    replay("curve_server", zmtp_core::fuzzing::curve_server);
}

#[test]
fn curve_client_corpus_replays_cleanly() {
    replay("curve_client", zmtp_core::fuzzing::curve_client);
}
