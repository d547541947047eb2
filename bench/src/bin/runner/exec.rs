//! Running one measurement: a binding process, then its connecting peer(s) once the port
//! listens, each under `/usr/bin/time` (peak RSS, user+sys CPU) and optionally `taskset`.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One process to start.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Pin to this core (`taskset -c`).
    pub cpu: Option<usize>,
}

/// What one finished process left.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// Its standard output.
    pub stdout: String,
    /// Peak resident set size, KiB.
    pub rss_kb: f64,
    /// User + system CPU seconds.
    pub cpu_s: f64,
}

impl Finished {
    /// The number in a `label: N [unit]` line of the output, e.g. `value("mean throughput",
    /// "[msg/s]")`.
    pub fn value(&self, label: &str, unit: &str) -> Option<f64> {
        self.stdout.lines().find_map(|line| {
            let rest = line.strip_prefix(label)?.strip_prefix(':')?.trim();
            let (number, u) = rest.split_once(' ').unwrap_or((rest, ""));
            (u.trim() == unit).then(|| number.parse().ok()).flatten()
        })
    }
}

struct Running {
    child: Child,
    dir: PathBuf,
    index: usize,
}

/// Starts `binder`, waits until something listens on `port`, starts `connectors`, and waits
/// (at most `timeout`) for all of them. Returns their results, binder first.
pub fn run_group(
    binder: &Launch,
    connectors: &[Launch],
    port: u16,
    timeout: Duration,
    scratch: &Path,
) -> Result<Vec<Finished>, String> {
    let deadline = Instant::now() + timeout;
    let mut running = vec![spawn(binder, scratch, 0)?];
    let listening = wait_listening(port, Instant::now() + Duration::from_secs(10));
    if listening {
        for (i, launch) in connectors.iter().enumerate() {
            match spawn(launch, scratch, i + 1) {
                Ok(r) => running.push(r),
                Err(e) => {
                    kill_all(&mut running);
                    return Err(e);
                }
            }
        }
    }
    let failure = (!listening).then(|| format!("nothing listened on port {port}"));
    finish(running, failure, deadline, timeout)
}

/// Runs one process (both sides of a test in one) to its end, at most `timeout`.
pub fn run_alone(launch: &Launch, timeout: Duration, scratch: &Path) -> Result<Finished, String> {
    let deadline = Instant::now() + timeout;
    let running = vec![spawn(launch, scratch, 0)?];
    let mut done = finish(running, None, deadline, timeout)?;
    Ok(done.remove(0))
}

/// Waits for every process (unless `failure` is set already), kills them all on a failure,
/// and collects their results.
fn finish(
    mut running: Vec<Running>,
    mut failure: Option<String>,
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<Finished>, String> {
    for r in &mut running {
        if failure.is_some() {
            break;
        }
        loop {
            match r.child.try_wait() {
                Ok(Some(status)) if status.success() => break,
                Ok(Some(status)) => {
                    let stderr = fs::read_to_string(r.dir.join(format!("{}.err", r.index)));
                    let tail: String = stderr.unwrap_or_default().chars().rev().take(400).collect();
                    let tail: String = tail.chars().rev().collect();
                    failure = Some(format!("process {} {status}: {}", r.index, tail.trim()));
                    break;
                }
                Ok(None) if Instant::now() > deadline => {
                    failure = Some(format!("timed out after {timeout:?}"));
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
    }
    if let Some(failure) = failure {
        kill_all(&mut running);
        return Err(failure);
    }
    running.iter().map(collect).collect()
}

fn spawn(launch: &Launch, scratch: &Path, index: usize) -> Result<Running, String> {
    let dir = scratch.to_path_buf();
    let time_file = dir.join(format!("{index}.time"));
    let _ = fs::remove_file(&time_file);
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M %U %S").arg("-o").arg(&time_file);
    if let Some(cpu) = launch.cpu {
        cmd.args(["taskset", "-c", &cpu.to_string()]);
    }
    cmd.args(&launch.argv)
        .envs(launch.env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(file(&dir.join(format!("{index}.out")))?)
        .stderr(file(&dir.join(format!("{index}.err")))?)
        .process_group(0);
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", launch.argv))?;
    Ok(Running { child, dir, index })
}

fn file(path: &Path) -> Result<fs::File, String> {
    fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Kills each process group we started (time, taskset and the peer share one) and reaps it.
fn kill_all(running: &mut [Running]) {
    for r in running.iter_mut() {
        if let Ok(None) = r.child.try_wait() {
            let pgid = r.child.id() as i32;
            kill_group(pgid);
            let _ = r.child.wait();
        }
    }
}

fn kill_group(pgid: i32) {
    // SAFETY: kill(2) with a negative pid signals the process group that `process_group(0)`
    // created for our own child; no memory is involved.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

fn collect(r: &Running) -> Result<Finished, String> {
    let stdout = fs::read_to_string(r.dir.join(format!("{}.out", r.index))).unwrap_or_default();
    let time = fs::read_to_string(r.dir.join(format!("{}.time", r.index))).unwrap_or_default();
    let fields: Vec<f64> = time
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [rss_kb, user, sys] => Ok(Finished {
            stdout,
            rss_kb,
            cpu_s: user + sys,
        }),
        _ => Err(format!("cannot read /usr/bin/time output {time:?}")),
    }
}

/// Whether `port` appears as a local TCP port in any state in /proc/net/tcp{,6}.
pub fn port_in_use(port: u16) -> bool {
    tcp_sockets().iter().any(|(p, _)| *p == port)
}

fn wait_listening(port: u16, deadline: Instant) -> bool {
    while Instant::now() < deadline {
        if tcp_sockets()
            .iter()
            .any(|&(p, state)| p == port && state == 0x0A)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// (local port, state) of every TCP socket; state 0x0A is LISTEN.
fn tcp_sockets() -> Vec<(u16, u8)> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let mut fields = line.split_whitespace();
            let (Some(local), Some(_remote), Some(state)) =
                (fields.nth(1), fields.next(), fields.next())
            else {
                continue;
            };
            let port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if let (Some(port), Ok(state)) = (port, u8::from_str_radix(state, 16)) {
                out.push((port, state));
            }
        }
    }
    out
}
