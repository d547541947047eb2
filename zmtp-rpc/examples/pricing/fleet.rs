//! The three worker processes: this binary run again as `pricing worker ENDPOINT NAME`.

use std::io;
use std::process::{Child, Command, Stdio};

/// The workers' names, in the order they start.
pub(crate) const NAMES: [&str; 3] = ["worker-A", "worker-B", "worker-C"];

/// What a worker that was not killed says it ran when it stops.
#[derive(Debug)]
pub(crate) struct Survivor {
    pub(crate) name: &'static str,
    pub(crate) quotes: usize,
    pub(crate) books: usize,
    /// Whether its graceful shutdown answered everything it had started.
    pub(crate) complete: bool,
}

#[derive(Debug)]
struct Process {
    name: &'static str,
    child: Child,
    killed: bool,
}

/// The worker processes. Dropping the fleet kills those still running.
#[derive(Debug)]
pub(crate) struct Fleet {
    workers: Vec<Process>,
}

impl Fleet {
    /// Starts one worker process per name, connecting to the broker's backend at `endpoint`.
    pub(crate) fn spawn(endpoint: &str) -> io::Result<Fleet> {
        let program = std::env::current_exe()?;
        // Filled as they start: if one fails to, dropping the fleet kills the others.
        let mut fleet = Fleet {
            workers: Vec::new(),
        };
        for name in NAMES {
            let child = Command::new(&program)
                .args(["worker", endpoint, name])
                .stdin(Stdio::piped()) // closed to stop it
                .stdout(Stdio::piped()) // its report
                .spawn()?;
            fleet.workers.push(Process {
                name,
                child,
                killed: false,
            });
        }
        Ok(fleet)
    }

    /// "worker-A (pid 1234), ...".
    pub(crate) fn describe(&self) -> String {
        let described: Vec<String> = (self.workers.iter())
            .map(|worker| format!("{} (pid {})", worker.name, worker.child.id()))
            .collect();
        described.join(", ")
    }

    /// Kills worker `name` with SIGKILL: no reply, no goodbye, no heartbeat any more. Its pid.
    pub(crate) fn kill(&mut self, name: &str) -> io::Result<u32> {
        let Some(worker) = self.workers.iter_mut().find(|worker| worker.name == name) else {
            return Err(io::Error::other(format!("no worker {name}")));
        };
        worker.child.kill()?;
        worker.killed = true;
        Ok(worker.child.id())
    }

    /// Closes the survivors' standard input, which stops them gracefully, and collects what
    /// each says it ran; reaps the killed one.
    pub(crate) async fn stop(mut self) -> Result<Vec<Survivor>, String> {
        let workers = std::mem::take(&mut self.workers);
        // Every one stopped (none left running) before the first error, if any, is reported.
        let stop_all = || -> Vec<_> { workers.into_iter().filter_map(Process::stop).collect() };
        match tokio::task::spawn_blocking(stop_all).await {
            Ok(survivors) => survivors.into_iter().collect(),
            Err(error) => Err(format!("stopping the workers: {error}")),
        }
    }
}

impl Process {
    /// A survivor's report; `None` for the killed worker.
    fn stop(mut self) -> Option<Result<Survivor, String>> {
        if self.killed {
            let _ = self.child.wait();
            return None;
        }
        drop(self.child.stdin.take());
        let name = self.name;
        let output = match self.child.wait_with_output() {
            Ok(output) if output.status.success() => output,
            Ok(output) => return Some(Err(format!("{name} exited with {}", output.status))),
            Err(error) => return Some(Err(format!("{name}: {error}"))),
        };
        let text = String::from_utf8_lossy(&output.stdout);
        let words: Vec<&str> = text.split_whitespace().collect();
        Some(match words.as_slice() {
            ["ran", quotes, books, complete] => {
                match (quotes.parse(), books.parse(), complete.parse()) {
                    (Ok(quotes), Ok(books), Ok(complete)) => Ok(Survivor {
                        name,
                        quotes,
                        books,
                        complete,
                    }),
                    _ => Err(format!("{name} reported {text:?}")),
                }
            }
            _ => Err(format!("{name} reported {text:?}")),
        })
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            let _ = worker.child.kill();
            let _ = worker.child.wait();
        }
    }
}
