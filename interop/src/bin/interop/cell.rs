//! One cell of the matrix: a pair, who binds, the mechanism, the transport and the scenario;
//! and running it against a driver.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use zmtp_interop::command::{client_message, Action, Command, SocketSpec};
use zmtp_tokio::Message;

use crate::content::{self, Script};
use crate::driver::Driver;
use crate::ours::{describe, disconnected, is_end, Mech, Ours};
use crate::pairs::{Pair, Pattern};

/// What a cell exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Multipart with empty frames, a 0-byte message, 1 MiB (for a client peer: 3 round trips
    /// of `[i, "", m]`).
    Frames,
    /// 10,000 in-order messages.
    TenThousand,
    /// Heartbeats on both sides (100 ms, timeout 1 s), an idle 1.5 s, and the connection
    /// must still be the same.
    Heartbeat,
    /// The peer's socket closes and comes back on the same endpoint; zmtp's socket must carry
    /// on (reconnecting, or accepting the new connection).
    Restart,
}

impl Scenario {
    /// As the matrix shows it.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Frames => "empty frames, 0 B, 1 MiB",
            Scenario::TenThousand => "10,000 in order",
            Scenario::Heartbeat => "heartbeats",
            Scenario::Restart => "peer restart",
        }
    }
}

/// A cell.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// The pair.
    pub pair: Pair,
    /// Whether zmtp binds (else the peer does).
    pub zmtp_binds: bool,
    /// zmtp's mechanism and role.
    pub mech: Mech,
    /// Over `ipc://` (else tcp).
    pub ipc: bool,
    /// What it exercises.
    pub scenario: Scenario,
}

impl Cell {
    /// The direction column.
    pub fn direction(&self) -> &'static str {
        if self.zmtp_binds {
            "zmtp binds"
        } else {
            "peer binds"
        }
    }

    /// The mechanism column (zmtp's role).
    pub fn mechanism(&self) -> &'static str {
        match self.mech {
            Mech::Null => "NULL",
            Mech::Plain { server: true } => "PLAIN (zmtp server)",
            Mech::Plain { server: false } => "PLAIN (zmtp client)",
            Mech::Curve { server: true } => "CURVE (zmtp server)",
            Mech::Curve { server: false } => "CURVE (zmtp client)",
        }
    }

    /// The transport column.
    pub fn transport(&self) -> &'static str {
        if self.ipc {
            "ipc"
        } else {
            "tcp"
        }
    }

    /// The key the known-defects file matches: `pair|direction|mechanism|transport|scenario`.
    pub fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.pair.name,
            self.direction(),
            self.mechanism(),
            self.transport(),
            self.scenario.name()
        )
    }

    fn heartbeat(&self) -> bool {
        self.scenario == Scenario::Heartbeat
    }

    /// The peer's options for this cell.
    fn peer_options(&self) -> Vec<String> {
        let mut options: Vec<String> = self
            .mech
            .peer_option()
            .into_iter()
            .map(String::from)
            .collect();
        if self.heartbeat() {
            options.push("hb".into());
        }
        if self.pair.pubsub() {
            for topic in ["a.", "c.", "END", "probe"] {
                options.push(format!("sub={topic}"));
            }
        }
        options
    }

    /// A fresh endpoint for a socket of the peer to bind (zmtp binds to port 0 itself).
    fn endpoint(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        if self.ipc {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("zmtp-interop-{}-{n}", std::process::id()));
            format!("ipc://{}", path.display())
        } else {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            format!("tcp://{}", listener.local_addr().expect("bound"))
        }
    }

    /// A zmtp socket of `kind` placed per the direction, and the peer's spec facing it.
    async fn place(&self, ours_kind: &str, theirs: &str) -> Result<(Ours, SocketSpec), String> {
        let ours = Ours::new(ours_kind, self.mech, self.heartbeat())?;
        let endpoint = if self.zmtp_binds {
            let base = if self.ipc {
                self.endpoint()
            } else {
                "tcp://127.0.0.1:0".into()
            };
            ours.bind(&base).await?
        } else {
            let endpoint = self.endpoint();
            ours.connect(&endpoint)?;
            endpoint
        };
        let spec = SocketSpec {
            kind: theirs.into(),
            bind: !self.zmtp_binds,
            endpoint,
        };
        Ok((ours, spec))
    }

    fn command(&self, action: Action) -> String {
        Command {
            action,
            options: self.peer_options(),
        }
        .line()
    }

    /// Runs the cell: `Ok` with what was checked, or why it failed.
    pub async fn run(&self, driver: &mut Driver) -> Result<String, String> {
        match self.pair.pattern {
            Pattern::Echo {
                ours,
                theirs,
                delimiter,
                window,
            } => {
                let (mut socket, spec) = self.place(ours, theirs).await?;
                match self.scenario {
                    Scenario::Heartbeat => self.heartbeats(driver, socket, spec).await,
                    Scenario::Restart => self.restart(driver, socket, spec).await,
                    _ => {
                        let script = self.script(delimiter);
                        driver.send(&self.command(Action::Echo(spec))).await?;
                        let ours = drive(&mut socket, None, &script, window).await;
                        finish(driver, ours, vec![socket]).await
                    }
                }
            }
            Pattern::Serve { ours, theirs } => {
                let (mut socket, spec) = self.place(ours, theirs).await?;
                let n = if self.scenario == Scenario::TenThousand {
                    10_000
                } else {
                    3
                };
                let rounds = if self.scenario == Scenario::Restart {
                    2
                } else {
                    1
                };
                for round in 0..rounds {
                    driver
                        .send(&self.command(Action::Client(spec.clone(), n)))
                        .await?;
                    let served = serve(&mut socket, n).await;
                    let last = round + 1 == rounds;
                    if !last {
                        served?;
                        driver.verdict().await?;
                    } else {
                        return finish(driver, served, vec![socket]).await;
                    }
                }
                unreachable!("the last round returns")
            }
            Pattern::Relay {
                out,
                theirs_in,
                theirs_out,
                back,
            } => {
                let (mut first, spec_in) = self.place(out, theirs_in).await?;
                let (mut second, spec_out) = self.place(back, theirs_out).await?;
                if self.pair.pubsub() {
                    for topic in ["a.", "END", "probe"] {
                        second.subscribe(topic.as_bytes())?;
                    }
                }
                driver
                    .send(&self.command(Action::Relay(spec_in, spec_out)))
                    .await?;
                let script = self.script(false);
                let ours = match self.pair.pubsub() {
                    true => match probe(&mut first, &mut second).await {
                        Ok(()) => drive(&mut first, Some(&mut second), &script, 100).await,
                        Err(e) => Err(e),
                    },
                    false => drive(&mut first, Some(&mut second), &script, 100).await,
                };
                finish(driver, ours, vec![first, second]).await
            }
        }
    }

    fn script(&self, delimiter: bool) -> Script {
        let script = match (self.scenario, self.pair.pubsub()) {
            (Scenario::TenThousand, pubsub) => content::ten_thousand(pubsub),
            (_, true) => content::frames_pubsub(),
            (_, false) => content::frames(),
        };
        if delimiter {
            content::delimited(script)
        } else {
            script
        }
    }

    /// One exchange, an idle 1.5 s (more than the 1 s heartbeat timeout: a side that does
    /// not answer PING is dropped by then), a second exchange; no disconnection in between.
    async fn heartbeats(
        &self,
        driver: &mut Driver,
        mut socket: Ours,
        spec: SocketSpec,
    ) -> Result<String, String> {
        let mut monitor = socket.monitor();
        driver.send(&self.command(Action::Echo(spec))).await?;
        let ours = async {
            round_trip(&mut socket, Message::from("hb-1")).await?;
            tokio::time::sleep(Duration::from_millis(1_500)).await;
            if let Some(reason) = disconnected(&mut monitor) {
                return Err(format!(
                    "connection dropped while idle with heartbeats: {reason}"
                ));
            }
            round_trip(&mut socket, Message::from("hb-2").with(zmtp_interop::END)).await?;
            Ok("no disconnection over 1.5 s idle with 100 ms heartbeats".to_string())
        }
        .await;
        finish(driver, ours, vec![socket]).await
    }

    /// A first exchange, the peer closes its socket, binds again, a second exchange (sent
    /// until it comes back: the first copy may have gone to the closing connection).
    async fn restart(
        &self,
        driver: &mut Driver,
        mut socket: Ours,
        spec: SocketSpec,
    ) -> Result<String, String> {
        driver
            .send(&self.command(Action::Echo(spec.clone())))
            .await?;
        round_trip(&mut socket, Message::from("before").with(zmtp_interop::END)).await?;
        driver.verdict().await?;
        driver.send(&self.command(Action::Echo(spec))).await?;
        let again = Message::from("after").with(zmtp_interop::END);
        let ours = async {
            for _ in 0..40 {
                socket.send(&again).await?;
                if let Some(reply) = socket.recv_within(Duration::from_millis(500)).await? {
                    return match reply == again {
                        true => {
                            Ok("reconnected and exchanged after the peer's restart".to_string())
                        }
                        false => Err(format!("after restart: {}", describe(&reply))),
                    };
                }
            }
            Err("no reply within 20 s of the peer's restart".to_string())
        }
        .await;
        finish(driver, ours, vec![socket]).await
    }
}

/// Both sides' verdicts together, after closing zmtp's sockets.
async fn finish(
    driver: &mut Driver,
    ours: Result<String, String>,
    sockets: Vec<Ours>,
) -> Result<String, String> {
    // After a failed handshake the driver only waits for its own timeout: do not wait with it
    // (the runner restarts a driver after any failure).
    let handshake_failed = ours
        .as_ref()
        .is_err_and(|e| e.starts_with("handshake failed"));
    let theirs = match handshake_failed {
        true => Ok(String::new()),
        false => driver.verdict().await,
    };
    let mut troubles = Vec::new();
    for mut socket in sockets {
        troubles.extend(socket.troubles());
        socket.close().await;
    }
    troubles.dedup();
    let ours = ours.map_err(|e| match troubles.is_empty() {
        true => e,
        false => format!("{e} (zmtp's monitor: {})", troubles.join(", ")),
    });
    match (ours, theirs) {
        (Ok(ours), Ok(_)) => Ok(ours),
        (Err(ours), Ok(theirs)) => Err(format!("zmtp: {ours}; peer: ok {theirs}")),
        (Ok(_), Err(theirs)) => Err(theirs),
        (Err(ours), Err(theirs)) => Err(format!("zmtp: {ours}; {theirs}")),
    }
}

async fn round_trip(socket: &mut Ours, message: Message) -> Result<(), String> {
    socket.send(&message).await?;
    let reply = socket.recv("the echo").await?;
    match reply == message {
        true => Ok(()),
        false => Err(format!(
            "sent {}, got {}",
            describe(&message),
            describe(&reply)
        )),
    }
}

/// Sends the script on `out` with at most `window` messages in flight, and checks that what
/// comes back (on `back`, or `out` itself) is exactly what should, in order.
async fn drive(
    out: &mut Ours,
    mut back: Option<&mut Ours>,
    script: &Script,
    window: usize,
) -> Result<String, String> {
    let expected = script.expected();
    let (mut sent, mut returning, mut got) = (0, 0, 0);
    while got < expected.len() {
        while sent < script.messages.len() && returning - got < window {
            let (message, comes_back) = &script.messages[sent];
            out.send(message).await?;
            sent += 1;
            returning += usize::from(*comes_back);
        }
        let what = format!("message {got} of {}", expected.len());
        let received = match back.as_deref_mut() {
            Some(back) => back.recv(&what).await?,
            None => out.recv(&what).await?,
        };
        if received
            .frames()
            .first()
            .is_some_and(|f| f[..] == b"probe"[..])
        {
            continue;
        }
        if received != expected[got] {
            return Err(format!(
                "message {got}: expected {}, got {}",
                describe(&expected[got]),
                describe(&received)
            ));
        }
        got += 1;
    }
    Ok(format!("{got} messages back, in order, intact"))
}

/// Echoes `[i, "", m]` requests until the last, checking each.
async fn serve(socket: &mut Ours, n: usize) -> Result<String, String> {
    for i in 0..n {
        let request = socket.recv(&format!("request {i} of {n}")).await?;
        let body: Vec<&[u8]> = request.frames().iter().map(|f| &f[..]).collect();
        let want = client_message(i, n);
        // A ROUTER sees the peer's routing id in front.
        let tail = &body[body.len().saturating_sub(want.len())..];
        if tail.iter().map(|f| f.to_vec()).collect::<Vec<_>>() != want {
            return Err(format!("request {i}: got {}", describe(&request)));
        }
        let last = is_end(&request);
        socket.send(&request).await?;
        if last != (i + 1 == n) {
            return Err(format!("request {i}: END out of place"));
        }
    }
    Ok(format!("{n} requests served in order"))
}

/// Publishes `probe` until it comes back through the peer: both subscriptions have then
/// arrived, so nothing after it is lost to the slow joiner.
async fn probe(publisher: &mut Ours, subscriber: &mut Ours) -> Result<(), String> {
    for _ in 0..400 {
        publisher.send(&Message::from("probe")).await?;
        if subscriber
            .recv_within(Duration::from_millis(50))
            .await?
            .is_some()
        {
            return Ok(());
        }
    }
    Err("no probe came back through the peer within 20 s".into())
}
