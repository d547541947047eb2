//! A pyzmq peer from `zmtp-rpc/python/` as a child process, read line by line and killed when
//! dropped. `scripts/test` installs pyzmq and msgpack; without them the first line read fails
//! with a message naming them, so the interop tests fail instead of skipping.

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

/// A running script.
pub struct PythonPeer {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl PythonPeer {
    /// Runs `python3 python/<script> args...`.
    pub fn start(script: &str, args: &[&str]) -> PythonPeer {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("python")
            .join(script);
        let mut child = Command::new("python3")
            .arg(path)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs (scripts/test installs pyzmq and msgpack)");
        let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        PythonPeer { child, lines }
    }

    /// The script's next line of output (blocking).
    pub fn line(&mut self) -> String {
        self.lines
            .next()
            .expect("a line from the Python peer (are pyzmq and msgpack installed? `pip install pyzmq msgpack`)")
            .expect("readable output")
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
