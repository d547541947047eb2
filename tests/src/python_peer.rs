//! A Python (pyzmq) peer as a child process: started with its script's arguments, read line by
//! line, killed when dropped. `scripts/test` installs pyzmq; without it the line reads fail
//! with a message naming it, so the tests that use a peer fail instead of skipping.

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A running Python script.
pub struct PythonPeer {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl PythonPeer {
    /// Runs `python3 script args...` with its standard output piped to us.
    pub fn start(script: &str, args: &[&str]) -> PythonPeer {
        let mut child = Command::new("python3")
            .arg(script)
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
