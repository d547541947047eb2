//! Helpers for the fault tests (`tests/tests/fault_*.rs`), the `fault_peer` binary and the soak
//! example: a peer process that can be killed with SIGKILL and restarted, self-checking
//! sequence-numbered messages, and readings from /proc (open descriptors, memory, the
//! descriptor limit).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use zmtp_tokio::Message;

// ---- self-checking sequence messages -----------------------------------------------------------

/// A message `[tag, header, part 0, ..., part n-1]`: the header holds the sequence number, the
/// number of parts and their length, and every part is a pattern derived from the sequence
/// number, so that [`check_seq_message`] detects a missing, truncated or corrupted frame.
pub fn seq_message(tag: &[u8], seq: u64, parts: usize, part_len: usize) -> Message {
    let mut frames = vec![
        Bytes::copy_from_slice(tag),
        seq_header(seq, parts, part_len),
    ];
    frames.extend((0..parts).map(|i| Bytes::from(part_pattern(seq, i, part_len))));
    Message::from(frames)
}

/// The raw frames of [`seq_message`], for peers writing bytes by hand.
pub fn seq_frames(tag: &[u8], seq: u64, parts: usize, part_len: usize) -> Vec<Vec<u8>> {
    seq_message(tag, seq, parts, part_len)
        .frames()
        .iter()
        .map(|f| f.to_vec())
        .collect()
}

fn seq_header(seq: u64, parts: usize, part_len: usize) -> Bytes {
    let mut header = Vec::with_capacity(16);
    header.extend_from_slice(&seq.to_be_bytes());
    header.extend_from_slice(&(parts as u32).to_be_bytes());
    header.extend_from_slice(&(part_len as u32).to_be_bytes());
    Bytes::from(header)
}

fn part_pattern(seq: u64, part: usize, len: usize) -> Vec<u8> {
    let seed = (seq as u8) ^ (part as u8).wrapping_mul(7);
    crate::pattern(len, seed)
}

/// Checks a message made by [`seq_message`]: returns its tag and sequence number, or what is
/// wrong with it.
pub fn check_seq_message(message: &Message) -> Result<(Bytes, u64), String> {
    let frames = message.frames();
    let (Some(tag), Some(header)) = (frames.first(), frames.get(1)) else {
        return Err(format!("{} frames, expected at least 2", frames.len()));
    };
    if header.len() != 16 {
        return Err(format!("header of {} bytes, expected 16", header.len()));
    }
    let seq = u64::from_be_bytes(header[..8].try_into().expect("8 bytes"));
    let parts = u32::from_be_bytes(header[8..12].try_into().expect("4 bytes")) as usize;
    let part_len = u32::from_be_bytes(header[12..16].try_into().expect("4 bytes")) as usize;
    if frames.len() != parts + 2 {
        return Err(format!(
            "seq {seq}: {} frames, expected {}",
            frames.len(),
            parts + 2
        ));
    }
    for (i, part) in frames[2..].iter().enumerate() {
        if part.len() != part_len {
            return Err(format!(
                "seq {seq}: part {i} has {} bytes, expected {part_len}",
                part.len()
            ));
        }
        if part[..] != part_pattern(seq, i, part_len)[..] {
            return Err(format!("seq {seq}: part {i} corrupted"));
        }
    }
    Ok((tag.clone(), seq))
}

/// What a run of sequence numbers from one sender looks like: the number received, the gaps
/// (missing ranges, half-open) and any sequence number that went backwards or repeated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeqReport {
    /// Messages received.
    pub received: u64,
    /// Missing ranges `[from, to)` between received numbers, and after the last one up to the
    /// number sent.
    pub gaps: Vec<(u64, u64)>,
    /// Numbers that arrived after a number at least as large (duplicates or reordering).
    pub out_of_order: Vec<u64>,
}

impl SeqReport {
    /// Analyses `received` (in arrival order) against `sent` messages numbered `0..sent`.
    pub fn of(received: &[u64], sent: u64) -> SeqReport {
        let mut report = SeqReport {
            received: received.len() as u64,
            ..SeqReport::default()
        };
        let mut next = 0u64;
        for &seq in received {
            if seq < next {
                report.out_of_order.push(seq);
                continue;
            }
            if seq > next {
                report.gaps.push((next, seq));
            }
            next = seq + 1;
        }
        if next < sent {
            report.gaps.push((next, sent));
        }
        report
    }

    /// Messages missing.
    pub fn lost(&self) -> u64 {
        self.gaps.iter().map(|(from, to)| to - from).sum()
    }
}

// ---- the fault_peer process ----------------------------------------------------------------

/// A running `fault_peer` (or other) process whose stdout is read line by line on a thread.
/// Dropping it kills the process, so a failing test leaves nothing behind.
#[derive(Debug)]
pub struct PeerProcess {
    name: String,
    child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    /// Every line read so far, in order.
    pub history: Vec<String>,
}

impl PeerProcess {
    /// Starts `program` with `args`; its stderr goes to the test's stderr.
    pub fn start(program: &str, args: &[&str]) -> PeerProcess {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        PeerProcess {
            name: format!("{program} {}", args.join(" ")),
            child,
            lines,
            history: Vec::new(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads lines until one satisfies `wanted` and returns it; panics after `limit` or when the
    /// process's output ends first.
    pub async fn wait_line(
        &mut self,
        limit: Duration,
        what: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) => {
                    self.history.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Ok(None) => panic!(
                    "{}: output ended while waiting for {what}; last lines: {:?}",
                    self.name,
                    self.tail()
                ),
                Err(_) => panic!(
                    "{}: {what} not seen within {limit:?}; last lines: {:?}",
                    self.name,
                    self.tail()
                ),
            }
        }
    }

    /// Reads the lines available now into [`history`](Self::history).
    pub fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.history.push(line);
        }
    }

    /// Kills the process with SIGKILL, reaps it, and reads the rest of its output (bounded).
    pub async fn kill(&mut self) {
        // `Child::kill` sends SIGKILL on Unix; an error means it had exited already.
        let _ = self.child.kill();
        self.reap().await;
    }

    /// Waits (bounded by `limit`) for the process to exit by itself; returns its exit status.
    pub async fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                self.reap().await;
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} still running after {limit:?}; last lines: {:?}",
                self.name,
                self.tail()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn reap(&mut self) {
        let _ = self.child.wait();
        // The reader thread ends at end of file, once the process (and any child holding the
        // pipe) is gone.
        let limit = Duration::from_secs(5);
        let _ = tokio::time::timeout(limit, async {
            while let Some(line) = self.lines.recv().await {
                self.history.push(line);
            }
        })
        .await;
    }

    /// The last few lines, for failure messages.
    pub fn tail(&self) -> Vec<String> {
        let from = self.history.len().saturating_sub(8);
        self.history[from..].to_vec()
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- /proc readings -------------------------------------------------------------------------

/// Open file descriptors of the process `pid` (`None`: this process).
pub fn open_fds(pid: Option<u32>) -> usize {
    let dir = match pid {
        Some(pid) => format!("/proc/{pid}/fd"),
        None => "/proc/self/fd".to_owned(),
    };
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir} (Linux only): {e}"))
        .count()
}

/// A `/proc/<pid>/status` field in KiB (`VmRSS`, `VmHWM`, ...) of `pid` (`None`: this process).
pub fn status_kib(pid: Option<u32>, field: &str) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_owned(),
    };
    let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().strip_suffix("kB")?.trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("no {field} in {path}"))
}

/// This process's limit on open file descriptors: (soft, hard); `None` means unlimited.
pub fn nofile_limits() -> (Option<u64>, Option<u64>) {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("Max open files in /proc/self/limits");
    let mut fields = line["Max open files".len()..].split_whitespace();
    let parse = |f: Option<&str>| f.and_then(|f| f.parse().ok());
    (parse(fields.next()), parse(fields.next()))
}

/// Makes sure this process may open `needed` descriptors: when the soft limit is lower, raises
/// it (up to the hard limit) with util-linux's `prlimit`, the crate being free of libc. Fails
/// with the reason when that is not possible.
pub fn ensure_nofile(needed: u64) -> Result<u64, String> {
    let (soft, hard) = nofile_limits();
    if soft.is_none_or(|s| s >= needed) {
        return Ok(soft.unwrap_or(u64::MAX));
    }
    if hard.is_some_and(|h| h < needed) {
        return Err(format!(
            "need {needed} file descriptors, the hard limit is {hard:?} (raise it: ulimit -Hn)"
        ));
    }
    let pid = std::process::id().to_string();
    let status = Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={needed}:")])
        .status();
    match (status, nofile_limits().0) {
        (_, Some(now)) if now >= needed => Ok(now),
        (status, now) => Err(format!(
            "need {needed} file descriptors, the soft limit is {soft:?} and raising it with \
             `prlimit` failed ({status:?}, now {now:?}); run `ulimit -n {needed}` first"
        )),
    }
}

/// The kernel's largest TCP receive and send buffers (`tcp_rmem`, `tcp_wmem` maxima), what at
/// most can sit in a connection's kernel buffers.
pub fn tcp_buffer_max() -> (u64, u64) {
    let max = |path: &str| -> u64 {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().nth(2)?.parse().ok())
            .unwrap_or(6 << 20)
    };
    (
        max("/proc/sys/net/ipv4/tcp_rmem"),
        max("/proc/sys/net/ipv4/tcp_wmem"),
    )
}
