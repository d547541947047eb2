//! Running the `zmtp` binary from the CLI tests: built once per test process with
//! `cargo build -p zmtp-cli` (so the tests never run a stale binary), every run bounded, every
//! child killed when its test ends, even by a panic.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long any single `zmtp` run may take before the test kills it and fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(20);

/// The path of a freshly built `zmtp` binary.
pub fn zmtp_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        // This test executable lives in <target>/<profile>/deps/; the binary goes to
        // <target>/<profile>/.
        let exe = std::env::current_exe().expect("current test executable");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("<target>/<profile>/deps")
            .to_path_buf();
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile directory name");
        let target_dir = profile_dir.parent().expect("target directory");
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "-p", "zmtp-cli", "--bin", "zmtp"])
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--target-dir")
            .arg(target_dir);
        if profile != "debug" {
            build.args(["--profile", profile]);
        }
        let mut child = build.spawn().expect("run cargo build -p zmtp-cli");
        let status = wait_bounded(
            &mut child,
            Duration::from_secs(600),
            "cargo build -p zmtp-cli",
        );
        assert!(status.success(), "cargo build -p zmtp-cli failed: {status}");
        let path = profile_dir.join(format!("zmtp{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "{} not built", path.display());
        path
    })
}

/// Waits for `child` at most `limit`, killing it and failing the test after that.
fn wait_bounded(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}, killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What a finished `zmtp` run left.
#[derive(Debug)]
pub struct Output {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything it wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr, as text.
    pub stderr: String,
}

impl Output {
    /// The exit code (`-1` when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Stdout as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Asserts exit code 0, showing stderr otherwise.
    pub fn assert_success(&self, what: &str) {
        assert_eq!(self.code(), 0, "{what}: stderr: {}", self.stderr);
    }

    /// Asserts exit code `code` and a one-line `zmtp: ...` error containing `needle`.
    pub fn assert_error(&self, code: i32, needle: &str, what: &str) {
        assert_eq!(self.code(), code, "{what}: stderr: {}", self.stderr);
        let last = self.stderr.lines().last().unwrap_or("");
        assert!(
            last.starts_with("zmtp: ") && last.contains(needle),
            "{what}: expected a `zmtp: ...{needle}...` line, stderr: {}",
            self.stderr
        );
    }
}

/// A running `zmtp`, killed on drop.
#[derive(Debug)]
pub struct Running {
    child: Option<Child>,
    what: String,
    stdout: Option<std::thread::JoinHandle<Vec<u8>>>,
    stderr_lines: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

/// Starts `zmtp args...` with `stdin` as its standard input (empty when `None`).
pub fn spawn(args: &[&str], stdin: Option<&[u8]>) -> Running {
    let what = format!("zmtp {}", args.join(" "));
    let mut child = Command::new(zmtp_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.unwrap_or_default().to_vec();
    std::thread::spawn(move || {
        let _ = input.write_all(&data);
        // Dropping closes stdin: end of input.
    });
    let mut out = child.stdout.take().expect("stdout");
    let stdout = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err = child.stderr.take().expect("stderr");
    let (tx, stderr_lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child: Some(child),
        what,
        stdout: Some(stdout),
        stderr_lines,
        stderr_seen: Vec::new(),
    }
}

/// Runs `zmtp args...` to its end (at most [`RUN_LIMIT`]).
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    spawn(args, stdin).finish()
}

impl Running {
    /// Waits (at most `limit`) for a stderr line containing `needle`, returning it.
    pub fn wait_stderr(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "{}: no stderr line with {needle:?} within {limit:?}; seen: {:?}",
                    self.what, self.stderr_seen
                ),
            }
        }
    }

    /// Whether the process has ended.
    pub fn has_exited(&mut self) -> bool {
        let child = self.child.as_mut().expect("child");
        child.try_wait().expect("try_wait").is_some()
    }

    /// Waits for the end (at most [`RUN_LIMIT`]) and collects the output.
    pub fn finish(mut self) -> Output {
        let mut child = self.child.take().expect("child");
        let status = wait_bounded(&mut child, RUN_LIMIT, &self.what);
        self.collect(status)
    }

    /// Kills the process (a proxy that runs until interrupted) and collects the output.
    pub fn kill(mut self) -> Output {
        let mut child = self.child.take().expect("child");
        let _ = child.kill();
        let status = child.wait().expect("wait");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Output {
        let stdout = self
            .stdout
            .take()
            .expect("stdout reader")
            .join()
            .expect("stdout reader thread");
        let mut stderr = std::mem::take(&mut self.stderr_seen);
        // The pipe is closed now that the process is gone: the reader ends promptly.
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            stderr.push(line);
        }
        Output {
            status,
            stdout,
            stderr: stderr.join("\n"),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A fresh temporary directory and an `ipc://` endpoint inside it.
pub fn ipc(name: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = format!("ipc://{}", dir.path().join(name).display());
    (dir, endpoint)
}

/// The lines of stdout.
pub fn lines(output: &Output) -> Vec<String> {
    output.stdout_text().lines().map(str::to_owned).collect()
}
