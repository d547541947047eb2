//! A pyzmq peer from `zmtp-rpc/python/`: the workspace's Python peer helper
//! (`zmtp_tests::python_peer`) started on a script of this crate. `scripts/test` installs
//! pyzmq and msgpack; without them the first line read fails with a message naming them, so
//! the interop tests fail instead of skipping.

use std::path::Path;

pub use zmtp_tests::python_peer::PythonPeer;

/// Runs `python3 zmtp-rpc/python/<script> args...`.
pub fn start(script: &str, args: &[&str]) -> PythonPeer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    PythonPeer::start(path.to_str().expect("a UTF-8 path"), args)
}
