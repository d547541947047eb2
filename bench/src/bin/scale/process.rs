//! Processes: the set-up every process of the benchmark does (file limit, dying with the
//! driver), and the driver's handle on a child: spawned pinned to a core, read line by line
//! with timeouts, killed when the handle goes.
//!
//! Children speak one line per fact on stdout: `ENDPOINT <endpoint>`, `RESULT key=value ...`,
//! or `ERROR <what happened>`; anything else is passed through to stderr.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Raises the soft limit of open files to the hard limit (20,000 on the benchmark machine).
pub fn raise_fd_limit() {
    // SAFETY: getrlimit/setrlimit only read and write the struct we hand them.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The soft limit of open files.
pub fn fd_limit() -> u64 {
    // SAFETY: as above.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur as u64
    }
}

/// A child asks the kernel to kill it when the driver dies, so that nothing is left behind
/// whatever happens to the driver.
pub fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and nothing else.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
    // The driver may already be gone (then we were adopted by init).
    if std::os::unix::process::parent_id() == 1 {
        std::process::exit(1);
    }
}

/// Prints one protocol line and flushes it at once.
pub fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A child of the driver: this binary with a subcommand, under `taskset -c <core>`.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Proc {
    pub fn spawn(name: &str, core: usize, args: &[String]) -> Result<Proc, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new("taskset")
            .arg("-c")
            .arg(core.to_string())
            .arg(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{name}: spawn failed: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Proc {
            name: name.to_string(),
            child,
            stdin,
            lines,
        })
    }

    /// Waits up to `timeout` for the line starting with `tag` and returns the rest of it. An
    /// `ERROR` line, the child's exit, or the timeout make an error that says which.
    pub fn expect(&mut self, tag: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(tag) {
                        return Ok(rest.trim().to_string());
                    }
                    if let Some(rest) = line.strip_prefix("ERROR") {
                        return Err(format!("{}: {}", self.name, rest.trim()));
                    }
                    eprintln!("   [{}] {line}", self.name);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{}: no {tag} line within {:.0?} (stalled; killed)",
                        self.name, timeout
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self
                        .child
                        .wait()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string());
                    return Err(format!("{}: exited ({status}) before {tag}", self.name));
                }
            }
        }
    }

    /// `expect("RESULT")`, parsed into its `key=value` pairs.
    pub fn result(&mut self, timeout: Duration) -> Result<BTreeMap<String, f64>, String> {
        let line = self.expect("RESULT", timeout)?;
        parse_fields(&line).map_err(|e| format!("{}: {e}", self.name))
    }

    /// Closes the child's stdin: a subscriber process reports what it has on EOF.
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `key=value key=value ...` with numeric values.
pub fn parse_fields(line: &str) -> Result<BTreeMap<String, f64>, String> {
    line.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').ok_or(format!("bad field {kv:?}"))?;
            let v: f64 = v.parse().map_err(|_| format!("bad value in {kv:?}"))?;
            Ok((k.to_string(), v))
        })
        .collect()
}

/// Blocks until stdin reaches end of file (the driver closed it or died).
pub fn wait_stdin_eof() {
    let mut sink = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
}

/// Runs a zmtp side of a case on a tokio current_thread runtime: one thread, as the servers
/// and publishers are measured (pinned to one core).
pub fn on_current_thread(
    side: impl std::future::Future<Output = Result<(), String>>,
) -> Result<(), String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(side)
}
