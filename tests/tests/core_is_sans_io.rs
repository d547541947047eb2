//! zmtp-core must stay sans-IO: no async runtime, no clock, no sockets, no threads, no files.
//! These checks read its manifest and sources, so adding such a dependency or call fails CI.

use std::path::{Path, PathBuf};

fn core_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../zmtp-core")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn zmtp_core_depends_on_no_runtime_or_io_crate() {
    let manifest = std::fs::read_to_string(core_dir().join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] section")
        .split("\n[")
        .next()
        .unwrap();
    let names: Vec<&str> = deps
        .lines()
        .filter_map(|l| l.split(['=', '.']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(names.contains(&"bytes"), "parsed dependencies: {names:?}");
    // The allow-list grows only with pure computation crates (RustCrypto for CURVE).
    let allowed = [
        "bytes",
        "zeroize",
        "crypto_box",
        "crypto_secretbox",
        "salsa20",
        "poly1305",
        "curve25519-dalek",
        "subtle",
        "libcrux-poly1305",
    ];
    for name in &names {
        assert!(
            allowed.contains(name),
            "zmtp-core must not depend on {name}: it is sans-IO (see docs/ARCHITECTURE.md)"
        );
    }
}

#[test]
fn zmtp_core_sources_never_read_a_clock_or_do_io() {
    let forbidden = [
        "Instant::now",
        "SystemTime",
        "std::thread",
        "std::net",
        "std::fs",
        "std::process",
        "tokio",
        "async fn",
        ".await",
    ];
    let mut files = Vec::new();
    rust_files(&core_dir().join("src"), &mut files);
    assert!(files.len() > 5, "found {files:?}");
    for file in files {
        // The fuzzing bodies use a wall clock only as an arbitrary starting point for a
        // virtual one; it is a test harness behind a feature, not protocol code.
        if file.ends_with("fuzzing.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap();
            for f in forbidden {
                assert!(
                    !code.contains(f),
                    "{}:{}: `{f}` in zmtp-core: {line}",
                    file.display(),
                    n + 1
                );
            }
        }
    }
}
