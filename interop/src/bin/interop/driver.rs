//! A peer's driver as a child process: one command line in, one verdict line out.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long a driver may take to answer one command (its own sends and receives time out
/// after 20 s each, so a longer wait means it hangs).
const VERDICT_TIMEOUT: Duration = Duration::from_secs(120);

/// A running driver.
pub struct Driver {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// What the driver said it is (its `hello` line).
    pub version: String,
}

impl Driver {
    /// Starts `argv` and reads its `hello` line; the driver's own explanation (`unavailable
    /// ...`) or its exit is the error.
    pub async fn start(argv: &[String]) -> Result<Driver, String> {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", argv.join(" ")))?;
        let stdin = child.stdin.take().expect("piped");
        let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut driver = Driver {
            child,
            stdin,
            lines,
            version: String::new(),
        };
        let hello = driver.line().await?;
        match hello.strip_prefix("hello ") {
            Some(version) => driver.version = version.to_string(),
            None => return Err(hello),
        }
        Ok(driver)
    }

    /// Sends a command line without waiting for its verdict.
    pub async fn send(&mut self, line: &str) -> Result<(), String> {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .map_err(|e| format!("driver's stdin: {e}"))
    }

    /// The verdict of the last command: `Ok(detail)` for `ok detail`, the reason otherwise.
    pub async fn verdict(&mut self) -> Result<String, String> {
        let line = self.line().await?;
        match line.strip_prefix("ok") {
            Some(detail) => Ok(detail.trim().to_string()),
            None => Err(format!(
                "peer: {}",
                line.strip_prefix("fail ").unwrap_or(&line)
            )),
        }
    }

    async fn line(&mut self) -> Result<String, String> {
        match tokio::time::timeout(VERDICT_TIMEOUT, self.lines.next_line()).await {
            Err(_) => Err(format!("driver silent for {VERDICT_TIMEOUT:?}")),
            Ok(Err(e)) => Err(format!("driver's stdout: {e}")),
            Ok(Ok(Some(line))) => Ok(line),
            Ok(Ok(None)) => Err(match self.child.try_wait() {
                Ok(Some(status)) => format!("driver exited ({status})"),
                _ => "driver closed its output".to_string(),
            }),
        }
    }

    /// Ends the driver at once (after a failure: it may be stuck in a receive).
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }

    /// Ends the driver (stdin closed: it exits at end of input; killed if it does not).
    pub async fn stop(mut self) {
        drop(self.stdin);
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
