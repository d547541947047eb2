//! Hostile raw peers against every socket type (`tests/tests/hostile_*.rs`).
//!
//! The tests are table-driven over [`Kind`]: each scenario runs once per socket type, all of them
//! concurrently, through [`for_each_kind`]. An [`Arena`] is one of our sockets (the *subject*,
//! bound) with a well-behaved peer made of our own sockets connected to it; it keeps track of
//! the messages the good peer had accepted before the hostile phase, so that the test can prove
//! afterwards that none was lost and that the subject still serves the good peer. A [`Hostile`]
//! is a raw connection scripted byte by byte (with an explicit end of stream, which
//! [`RawPeer`](crate::raw_peer::RawPeer) does not offer).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;
use zmtp_tokio::{
    ConnectionError, DisconnectReason, Endpoint, Monitor, MonitorEvent, Options, SocketType,
};

use crate::raw_peer::{command, greeting, message, ready};
use crate::socket_harness::{text, wait_for_event, wait_until, within, Transport};

/// The bound on each await of the hostile tests.
pub const LIMIT: Duration = Duration::from_secs(5);

/// The identity of the good peer (announced by DEALER and REQ).
pub const GOOD_IDENTITY: &str = "good-peer";

/// Messages the good peer has in flight when the hostile phase starts (REQ and REP: one).
const BEFORE: usize = 10;

// ---- socket types ------------------------------------------------------------------------------

/// The socket types under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// REQ.
    Req,
    /// REP.
    Rep,
    /// PUB.
    Pub,
    /// SUB.
    Sub,
    /// PUSH.
    Push,
    /// PULL.
    Pull,
    /// DEALER.
    Dealer,
    /// ROUTER.
    Router,
    /// PAIR.
    Pair,
    /// XPUB.
    XPub,
    /// XSUB.
    XSub,
}

/// Every socket type zmtp-tokio has.
pub const KINDS: &[Kind] = &[
    Kind::Req,
    Kind::Rep,
    Kind::Pub,
    Kind::Sub,
    Kind::Push,
    Kind::Pull,
    Kind::Dealer,
    Kind::Router,
    Kind::Pair,
    Kind::XPub,
    Kind::XSub,
];

impl Kind {
    /// The ZMTP socket type.
    pub fn socket_type(self) -> SocketType {
        match self {
            Kind::Req => SocketType::Req,
            Kind::Rep => SocketType::Rep,
            Kind::Pub => SocketType::Pub,
            Kind::Sub => SocketType::Sub,
            Kind::Push => SocketType::Push,
            Kind::Pull => SocketType::Pull,
            Kind::Dealer => SocketType::Dealer,
            Kind::Router => SocketType::Router,
            Kind::Pair => SocketType::Pair,
            Kind::XPub => SocketType::XPub,
            Kind::XSub => SocketType::XSub,
        }
    }

    /// The wire name (`"PULL"`).
    pub fn name(self) -> &'static str {
        self.socket_type().as_str()
    }

    /// The type of the well-behaved peer, and the type a raw peer announces to be accepted.
    pub fn partner(self) -> Kind {
        match self {
            Kind::Req => Kind::Rep,
            Kind::Rep => Kind::Req,
            Kind::Pub => Kind::Sub,
            Kind::Sub => Kind::Pub,
            Kind::Push => Kind::Pull,
            Kind::Pull => Kind::Push,
            Kind::Dealer | Kind::Router => Kind::Dealer,
            Kind::Pair => Kind::Pair,
            Kind::XPub => Kind::Sub,
            Kind::XSub => Kind::Pub,
        }
    }

    /// A type this kind refuses.
    pub fn incompatible(self) -> Kind {
        match self {
            Kind::Req | Kind::Pub | Kind::Sub | Kind::Pair | Kind::XPub | Kind::XSub => Kind::Push,
            Kind::Rep | Kind::Push | Kind::Pull | Kind::Dealer | Kind::Router => Kind::Pub,
        }
    }

    /// Whether the good peer's messages flow into the subject (the subject receives them);
    /// otherwise the subject sends them (REQ, PUB, PUSH, XPUB).
    pub fn receives(self) -> bool {
        !matches!(self, Kind::Req | Kind::Pub | Kind::Push | Kind::XPub)
    }

    /// Whether the subject subscribes, or publishes to subscribers: subscriptions must be in
    /// place before messages flow.
    fn subscriptions(self) -> bool {
        matches!(self, Kind::Pub | Kind::Sub | Kind::XPub | Kind::XSub)
    }

    /// Whether requests and replies alternate (REQ, REP): one message in flight at a time.
    fn alternates(self) -> bool {
        matches!(self, Kind::Req | Kind::Rep)
    }

    /// The frames a raw peer of the partner type sends so that the subject hands `body` to its
    /// application; `None` for kinds whose application receives nothing unasked.
    pub fn raw_frames(self, body: &[u8]) -> Option<Vec<Vec<u8>>> {
        match self {
            Kind::Pull | Kind::Sub | Kind::Dealer | Kind::Router | Kind::Pair => {
                Some(vec![body.to_vec()])
            }
            // XPUB hands its application what a subscriber sends besides subscriptions.
            Kind::XPub | Kind::XSub => Some(vec![body.to_vec()]),
            Kind::Rep => Some(vec![Vec::new(), body.to_vec()]),
            Kind::Req | Kind::Pub | Kind::Push => None,
        }
    }

    /// Encoded frames a raw partner sends after READY in a valid conversation: a message the
    /// subject delivers (`raw_frames("raw")`) or, for kinds that deliver nothing unasked, what
    /// such a peer legitimately sends (a SUBSCRIBE to a PUB; a reply nobody asked for to a REQ,
    /// a message to a PUSH: both discarded).
    pub fn conversation_tail(self) -> Vec<Vec<u8>> {
        let frames = match (self, self.raw_frames(b"raw")) {
            (_, Some(frames)) => frames,
            (Kind::Pub, None) => return vec![command("SUBSCRIBE", b"")],
            (Kind::Req, None) => vec![Vec::new(), b"stray".to_vec()],
            (_, None) => vec![b"ignored".to_vec()],
        };
        encoded_frames(&frames)
    }
}

/// Each frame of a multipart message encoded on its own (MORE on all but the last).
pub fn encoded_frames(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let whole = message(&refs);
    let mut out = Vec::new();
    let mut rest = &whole[..];
    for f in frames {
        let len = if f.len() <= 255 { 2 } else { 9 } + f.len();
        out.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    out
}

/// A whole multipart message, encoded (MORE on all frames but the last).
pub fn encoded_message(frames: &[Vec<u8>]) -> Vec<u8> {
    encoded_frames(frames).concat()
}

/// Runs `scenario` for each kind concurrently, each on its own task; panics listing every kind
/// whose scenario panicked.
pub async fn for_each_kind<F, Fut>(kinds: &[Kind], scenario: F)
where
    F: Fn(Kind) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = kinds
        .iter()
        .map(|&kind| (kind, tokio::spawn(scenario(kind))))
        .collect();
    let mut failures = Vec::new();
    for (kind, task) in tasks {
        if let Err(error) = task.await {
            let message = match error.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default(),
                Err(error) => error.to_string(),
            };
            failures.push(format!("{}: {message}", kind.name()));
        }
    }
    assert!(failures.is_empty(), "failed for:\n{}", failures.join("\n"));
}

// ---- one of our sockets, whatever its type -----------------------------------------------------

pub use zmtp_tokio::AnySocket;

/// One of our sockets of `kind`; a SUB or XSUB subscribes to everything.
pub fn any_socket(kind: Kind, options: Options) -> AnySocket {
    let socket = AnySocket::new(kind.socket_type(), options).expect("valid options");
    if socket.can_subscribe() {
        socket.subscribe("").expect("subscribe");
    }
    socket
}

/// What the hostile tests do with any socket, panicking on errors they do not expect.
#[allow(async_fn_in_trait)]
pub trait AnySocketExt {
    /// Binds a fresh endpoint of `t`.
    async fn bind_on(&self, t: Transport) -> Endpoint;

    /// Receives within [`LIMIT`], panicking on an error; the last frame as text (a ROUTER's
    /// first frame is the identity).
    async fn recv_text(&mut self, what: &str) -> String;
}

impl AnySocketExt for AnySocket {
    async fn bind_on(&self, t: Transport) -> Endpoint {
        self.bind(t.bind_endpoint()).await.expect("bind")
    }

    async fn recv_text(&mut self, what: &str) -> String {
        let message = within(LIMIT, what, self.recv()).await.expect(what);
        let last = message.frames().last().cloned().unwrap_or_default();
        String::from_utf8_lossy(&last).into_owned()
    }
}

// ---- the subject and its well-behaved peer -----------------------------------------------------

/// How a hostile connection ended, as the subject's monitor reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// `Disconnected` (true) or `HandshakeFailed` (false).
    pub handshake_done: bool,
    /// The typed reason.
    pub reason: DisconnectReason,
}

impl Dropped {
    /// A failed handshake for `reason`.
    pub fn handshake(reason: impl Into<ConnectionError>) -> Dropped {
        Dropped {
            handshake_done: false,
            reason: DisconnectReason::Connection(reason.into()),
        }
    }

    /// An established connection dropped for `reason`.
    pub fn established(reason: impl Into<ConnectionError>) -> Dropped {
        Dropped {
            handshake_done: true,
            reason: DisconnectReason::Connection(reason.into()),
        }
    }
}

/// A subject socket of one kind, bound, with a well-behaved peer (our own socket of the partner
/// type) connected and messages of it in flight.
#[derive(Debug)]
pub struct Arena {
    /// The subject's type.
    pub kind: Kind,
    /// The socket under attack.
    pub subject: AnySocket,
    /// The well-behaved peer.
    pub good: AnySocket,
    /// The subject's bound endpoint.
    pub endpoint: Endpoint,
    /// The subject's monitor.
    pub monitor: Monitor,
    good_connected: bool,
    /// Good messages sent and not yet received, in order.
    pending: VecDeque<String>,
    next: usize,
    /// Messages the receiving side got that are neither good nor probes (from raw peers).
    others: Vec<String>,
}

impl Arena {
    /// The subject of `kind` with `options` bound on `t`, the good peer (with identity
    /// [`GOOD_IDENTITY`]) connected, and its first messages accepted but not yet consumed. A
    /// PAIR's good peer connects only in [`still_serves`](Self::still_serves) (or
    /// [`connect_good`](Self::connect_good)): a PAIR admits one peer at a time.
    pub async fn start(kind: Kind, t: Transport, options: Options) -> Arena {
        let subject = any_socket(kind, options);
        let endpoint = subject.bind_on(t).await;
        let monitor = subject.monitor();
        let good = any_socket(kind.partner(), Options::default().identity(GOOD_IDENTITY));
        let mut arena = Arena {
            kind,
            subject,
            good,
            endpoint,
            monitor,
            good_connected: false,
            pending: VecDeque::new(),
            next: 0,
            others: Vec::new(),
        };
        // A PAIR admits one peer at a time: its good peer connects once the hostile one left.
        if kind != Kind::Pair {
            arena.connect_good().await;
        }
        arena
    }

    /// Connects the good peer, waits for its handshake, and sends its first messages (done by
    /// [`start`](Self::start) but for a PAIR).
    pub async fn connect_good(&mut self) {
        self.good.connect(&self.endpoint).expect("connect");
        wait_for_event(&mut self.monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::HandshakeSucceeded { .. })
        })
        .await;
        self.good_connected = true;
        self.prime().await;
        let before = if self.kind.alternates() { 1 } else { BEFORE };
        self.send_good(before).await;
    }

    /// Whether the good peer is connected (always, but for a PAIR before the end).
    pub fn good_connected(&self) -> bool {
        self.good_connected
    }

    /// Whether a received text is a probe or (for XPUB) a subscription notice.
    fn is_noise(&self, text: &str) -> bool {
        text.starts_with("probe")
            || (self.kind == Kind::XPub && text.starts_with(['\u{0}', '\u{1}']))
    }

    /// The subject with a 300 ms handshake timeout and otherwise default options.
    pub async fn default(kind: Kind, t: Transport) -> Arena {
        Arena::start(kind, t, hostile_options()).await
    }

    /// Which side sends the good messages and which receives them.
    fn sides(&mut self) -> (&mut AnySocket, &mut AnySocket) {
        if self.kind.receives() {
            (&mut self.good, &mut self.subject)
        } else {
            (&mut self.subject, &mut self.good)
        }
    }

    /// PUB/SUB: publishes probes until one arrives, so that the subscription is in place.
    async fn prime(&mut self) {
        if !self.kind.subscriptions() {
            return;
        }
        let (sender, receiver) = self.sides();
        within(LIMIT, "subscription in place", async {
            loop {
                sender.send("probe").await.expect("publish");
                let got = tokio::time::timeout(Duration::from_millis(20), receiver.recv()).await;
                if let Ok(m) = got {
                    assert_eq!(text(&m.expect("recv")), "probe");
                    return;
                }
            }
        })
        .await;
    }

    /// Sends `n` good messages (requests for REQ/REP) without receiving them.
    pub async fn send_good(&mut self, n: usize) {
        for _ in 0..n {
            let body = format!("good{}", self.next);
            self.next += 1;
            let (sender, _) = self.sides();
            within(LIMIT, "good send", sender.send(body.clone()))
                .await
                .expect("good send");
            self.pending.push_back(body);
        }
    }

    /// Receives every pending good message, in order (REQ/REP: and answers it); messages from
    /// others are recorded, probes skipped.
    pub async fn recv_good(&mut self) {
        while let Some(expected) = self.pending.pop_front() {
            loop {
                let kind = self.kind;
                let (_, receiver) = self.sides();
                let got = receiver.recv_text("good recv").await;
                if got == expected {
                    break;
                }
                if !self.is_noise(&got) {
                    self.others.push(got);
                }
                if kind == Kind::Rep {
                    // A raw peer's request: answer it (to nowhere, the peer is gone).
                    let _ = self.subject.send("ignored").await;
                }
            }
            self.answer(&expected).await;
        }
    }

    /// REQ/REP: the reply to the request just received, sent and checked.
    async fn answer(&mut self, request: &str) {
        if !self.kind.alternates() {
            return;
        }
        let reply = format!("reply-{request}");
        let (requester, replier) = match self.kind {
            Kind::Rep => (&mut self.good, &mut self.subject),
            _ => (&mut self.subject, &mut self.good),
        };
        replier.send(reply.clone()).await.expect("reply");
        assert_eq!(requester.recv_text("reply").await, reply);
    }

    /// `n` more good messages sent and received (REQ/REP: `n` round trips), after what was
    /// pending.
    pub async fn exchange(&mut self, n: usize) {
        self.recv_good().await;
        for _ in 0..n {
            self.send_good(1).await;
            if self.kind.alternates() {
                self.recv_good().await;
            }
        }
        self.recv_good().await;
    }

    /// [`exchange`](Self::exchange) while raw partners are attached. A PUSH round-robins onto
    /// them too: the good peer must get `n` of the messages sent, in order, some going to the
    /// raw peers (until their queues are full: then the PUSH moves on). A REQ is skipped: it
    /// waits for the reply of the peer it asked, by design, and raw peers do not answer.
    pub async fn exchange_beside_raw(&mut self, n: usize) {
        if !self.good_connected {
            return;
        }
        match self.kind {
            Kind::Req => {}
            Kind::Push => {
                self.recv_good().await;
                let mut last = None;
                let mut got = 0;
                within(LIMIT, "good peer served beside raw peers", async {
                    while got < n {
                        let body = format!("good{}", self.next);
                        self.next += 1;
                        self.subject.send(body).await.expect("send");
                        while let Ok(m) =
                            tokio::time::timeout(Duration::from_millis(5), self.good.recv()).await
                        {
                            let i: usize = text(&m.expect("recv"))["good".len()..]
                                .parse()
                                .expect("a good message");
                            assert!(last < Some(i), "good{i} after good{last:?}");
                            last = Some(i);
                            got += 1;
                        }
                    }
                })
                .await;
            }
            _ => self.exchange(n).await,
        }
    }

    /// Receives on the subject until `n` messages from raw peers were seen (none of the good
    /// peer's may be pending) and returns them (their first frame, as text), in order.
    pub async fn raw_messages(&mut self, n: usize) -> Vec<String> {
        assert!(self.pending.is_empty(), "good messages pending");
        while self.others.len() < n {
            let got = self.subject.recv_text("raw peer's message").await;
            if !self.is_noise(&got) {
                self.others.push(got);
            }
            if self.kind == Kind::Rep {
                let _ = self.subject.send("ignored").await;
            }
        }
        self.others.drain(..n).collect()
    }

    /// Ends `raw`'s stream and expects the subject to report a clean `PeerDisconnected`.
    pub async fn ends_cleanly(&mut self, raw: Hostile) {
        raw.finish().await;
        let expected = ConnectionError::PeerDisconnected { mid_message: false };
        self.expect_dropped(Dropped::established(expected)).await;
    }

    /// Waits for the next `HandshakeFailed` or `Disconnected` event (skipping `Accepted`,
    /// `HandshakeSucceeded` and a publisher's drop episodes).
    pub async fn dropped(&mut self) -> Dropped {
        self.dropped_within(LIMIT).await
    }

    /// [`dropped`](Self::dropped) with another bound.
    pub async fn dropped_within(&mut self, limit: Duration) -> Dropped {
        let (event, skipped) = wait_for_event(&mut self.monitor, limit, |e| {
            matches!(
                e,
                MonitorEvent::HandshakeFailed { .. } | MonitorEvent::Disconnected { .. }
            )
        })
        .await;
        assert!(
            skipped.iter().all(|e| matches!(
                e,
                MonitorEvent::Accepted { .. }
                    | MonitorEvent::HandshakeSucceeded { .. }
                    // A peer that does not read makes a publisher drop for it.
                    | MonitorEvent::HighWaterMarkReached { .. }
                    | MonitorEvent::MessagesDropped { .. }
            )),
            "unexpected events: {skipped:?}"
        );
        match event {
            MonitorEvent::HandshakeFailed { endpoint, reason } => {
                assert_eq!(endpoint, self.endpoint);
                Dropped {
                    handshake_done: false,
                    reason,
                }
            }
            MonitorEvent::Disconnected {
                endpoint, reason, ..
            } => {
                assert_eq!(endpoint, self.endpoint);
                Dropped {
                    handshake_done: true,
                    reason,
                }
            }
            _ => unreachable!(),
        }
    }

    /// Asserts that the next drop is `expected`.
    pub async fn expect_dropped(&mut self, expected: Dropped) {
        let got = self.dropped().await;
        assert_eq!(
            got,
            expected,
            "{} dropped the hostile peer",
            self.kind.name()
        );
    }

    /// Asserts that no connection ends for `quiet` (the good peer keeps being served meanwhile:
    /// a few messages are exchanged).
    pub async fn nothing_dropped_for(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        while tokio::time::Instant::now() < deadline {
            self.exchange_beside_raw(2).await;
            let event = tokio::time::timeout(Duration::from_millis(50), self.monitor.next_event());
            if let Ok(Some(event)) = event.await {
                assert!(
                    !matches!(
                        event,
                        MonitorEvent::HandshakeFailed { .. } | MonitorEvent::Disconnected { .. }
                    ),
                    "{}: unexpected {event:?}",
                    self.kind.name()
                );
            }
        }
    }

    /// The end of every hostile test: the good peer's messages accepted before are all
    /// received in order (a PAIR's good peer connects now), ten more are exchanged, the raw
    /// peers' messages that the subject
    /// accepted (`extra`, any order) arrived, and only the good peer is left connected.
    pub async fn still_serves(mut self, extra: &[&str]) {
        if !self.good_connected {
            self.connect_good().await;
        }
        self.exchange(BEFORE).await;
        // A raw peer's message may still arrive after the good ones.
        let mut others = self.raw_messages(extra.len()).await;
        others.append(&mut self.others);
        others.sort();
        let mut extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        extra.sort();
        assert_eq!(others, extra, "{}: raw peers' messages", self.kind.name());
        let subject = &self.subject;
        wait_until(LIMIT, "only the good peer remains", || {
            subject.connected_peers() == 1
        })
        .await;
        assert_eq!(self.good.connected_peers(), 1);
    }
}

/// Sends `bytes` on a fresh connection to a subject of `kind` (default [`Arena`]), expects the
/// subject to drop it for `expected`, closes, and checks the good peer is still served.
pub async fn refused(kind: Kind, t: Transport, bytes: Vec<u8>, expected: Dropped) {
    let mut arena = Arena::default(kind, t).await;
    let mut raw = Hostile::connect(&arena.endpoint).await;
    let _ = raw.send(&bytes).await;
    arena.expect_dropped(expected).await;
    raw.finish().await;
    arena.still_serves(&[]).await;
}

/// Options for a subject under attack: a 300 ms handshake timeout.
pub fn hostile_options() -> Options {
    Options::default().handshake_timeout(Some(Duration::from_millis(300)))
}

// ---- a scripted raw connection -----------------------------------------------------------------

type Reader = BufReader<Box<dyn AsyncRead + Unpin + Send>>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// A raw connection to a subject, scripted byte by byte.
pub struct Hostile {
    reader: Reader,
    writer: Writer,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hostile")
    }
}

impl Hostile {
    /// Opens a connection to `endpoint`.
    pub async fn connect(endpoint: &Endpoint) -> Hostile {
        let (reader, writer): (Box<dyn AsyncRead + Unpin + Send>, Writer) =
            match endpoint.to_connectable() {
                Endpoint::Tcp { host, port } => {
                    let s = TcpStream::connect((host.as_str(), port))
                        .await
                        .expect("connect");
                    s.set_nodelay(true).expect("nodelay");
                    let (r, w) = s.into_split();
                    (Box::new(r), Box::new(w))
                }
                Endpoint::Ipc(path) => {
                    let (r, w) = UnixStream::connect(path)
                        .await
                        .expect("connect")
                        .into_split();
                    (Box::new(r), Box::new(w))
                }
                Endpoint::Memory(name) => {
                    let stream = zmtp_tokio::testing::connect_stream(&name).expect("connect");
                    let (r, w) = tokio::io::split(stream);
                    (Box::new(r), Box::new(w))
                }
                other => panic!("no transport for {other}"),
            };
        Hostile {
            reader: BufReader::new(reader),
            writer,
        }
    }

    /// Connects and completes a NULL handshake as `kind`.
    pub async fn connect_as(endpoint: &Endpoint, kind: Kind) -> Hostile {
        let mut raw = Hostile::connect(endpoint).await;
        raw.handshake(kind).await;
        raw
    }

    /// Connects and completes a NULL handshake with READY `ready` (as built by
    /// [`ready_with`](crate::raw_peer::ready_with)).
    pub async fn connect_with_ready(endpoint: &Endpoint, ready: &[u8]) -> Hostile {
        let mut raw = Hostile::connect(endpoint).await;
        raw.handshake_with_ready(ready).await;
        raw
    }

    /// Sends greeting and READY as `kind`; reads the subject's greeting and READY.
    pub async fn handshake(&mut self, kind: Kind) {
        self.handshake_with_ready(&ready(kind.name())).await;
    }

    async fn handshake_with_ready(&mut self, ready: &[u8]) {
        let mut hello = greeting(1);
        hello.extend_from_slice(ready);
        self.send(&hello).await.expect("send handshake");
        within(LIMIT, "subject's greeting and READY", async {
            crate::raw::read_greeting(&mut self.reader)
                .await
                .expect("greeting");
            let ready = crate::raw::read_frame(&mut self.reader)
                .await
                .expect("READY");
            assert_eq!(ready.command_name(), Some(&b"READY"[..]));
        })
        .await;
    }

    /// Writes `bytes` (an error means the subject closed the connection).
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await?;
        self.writer.flush().await
    }

    /// Writes `bytes` one at a time, `pause` apart, while no write fails; returns how many
    /// were written.
    pub async fn trickle(&mut self, bytes: &[u8], pause: Duration) -> usize {
        for (i, b) in bytes.iter().enumerate() {
            if self.send(std::slice::from_ref(b)).await.is_err() {
                return i;
            }
            tokio::time::sleep(pause).await;
        }
        bytes.len()
    }

    /// Sends `chunk` `times` times on a task of its own, stopping at the first failed write
    /// (the subject closed); the task gives the connection back.
    pub fn send_in_background(mut self, chunk: Vec<u8>, times: usize) -> JoinHandle<Hostile> {
        tokio::spawn(async move {
            for _ in 0..times {
                if self.send(&chunk).await.is_err() {
                    break;
                }
            }
            self
        })
    }

    /// Opens `n` connections to `endpoint` that each trickle `bytes` a byte per `pause`, then
    /// read until the subject closes; each task returns how many bytes it wrote.
    pub async fn slowloris(
        endpoint: &Endpoint,
        n: usize,
        bytes: &[u8],
        pause: Duration,
    ) -> Vec<JoinHandle<usize>> {
        let mut tasks = Vec::new();
        for _ in 0..n {
            let mut raw = Hostile::connect(endpoint).await;
            let bytes = bytes.to_vec();
            tasks.push(tokio::spawn(async move {
                let sent = raw.trickle(&bytes, pause).await;
                raw.read_until_closed().await;
                sent
            }));
        }
        tasks
    }

    /// Reads the next frame.
    pub async fn read_frame(&mut self) -> io::Result<crate::raw::Frame> {
        crate::raw::read_frame(&mut self.reader).await
    }

    /// Sends a PING with `context` and waits for the PONG echoing it (other frames skipped):
    /// proof that the subject processed everything sent before and kept the connection.
    pub async fn ping(&mut self, context: &[u8]) {
        let mut data = vec![0, 0];
        data.extend_from_slice(context);
        self.send(&command("PING", &data)).await.expect("send PING");
        within(LIMIT, "PONG", async {
            loop {
                let frame = self.read_frame().await.expect("read PONG");
                if frame.command_name() == Some(&b"PONG"[..]) {
                    assert_eq!(frame.body[5..], *context, "PONG context");
                    return;
                }
            }
        })
        .await;
    }

    /// Reads the next whole message (commands skipped).
    pub async fn read_message(&mut self) -> io::Result<Vec<Vec<u8>>> {
        crate::raw::read_message(&mut self.reader).await
    }

    /// Reads whole messages until none arrives for `idle`; returns them.
    pub async fn drain(&mut self, idle: Duration) -> Vec<Vec<Vec<u8>>> {
        let mut messages = Vec::new();
        while let Ok(m) = tokio::time::timeout(idle, self.read_message()).await {
            messages.push(m.expect("read a message"));
        }
        messages
    }

    /// Ends our side (end of stream) and reads until the subject closes its side too; returns
    /// the bytes read. A reset counts as closed.
    pub async fn finish(mut self) -> Vec<u8> {
        let _ = self.writer.shutdown().await;
        self.read_until_closed().await
    }

    /// Reads until the subject closes the connection; returns the bytes read.
    pub async fn read_until_closed(&mut self) -> Vec<u8> {
        within(LIMIT, "the subject closes the connection", async {
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match self.reader.read(&mut buf).await {
                    Ok(0) | Err(_) => return all,
                    Ok(n) => all.extend_from_slice(&buf[..n]),
                }
            }
        })
        .await
    }
}

// ---- memory ------------------------------------------------------------------------------------

/// A `Vm*` line of /proc/self/status, in KiB.
pub fn proc_status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Runs the test `test_name` (this very test, by its name in the test binary) in a fresh child
/// process of the test binary: memory freed by other tests, or allocated by tests running in
/// parallel, neither hides nor inflates the child's peak RSS. In the child (recognised by an
/// environment variable) runs `phase` on its own two-thread runtime.
pub fn in_own_process<F: Future<Output = ()>>(test_name: &str, phase: impl FnOnce() -> F) {
    const CHILD: &str = "ZMTP_HOSTILE_CHILD";
    if std::env::var(CHILD).as_deref() == Ok(test_name) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(phase());
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args([test_name, "--exact", "--nocapture", "--include-ignored"])
        .env(CHILD, test_name)
        .output()
        .expect("run the test in its own process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        output.status.success(),
        "{test_name} failed in its own process"
    );
    assert!(
        stdout.contains("1 passed"),
        "{test_name} did not run: {stdout}"
    );
}

/// Resets the peak resident set size (VmHWM) to the current one (Linux `clear_refs` 5).
pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM");
}

/// Asserts that `elapsed` is within `min..max`.
pub fn assert_took(elapsed: Duration, min: Duration, max: Duration, what: &str) {
    assert!(
        elapsed >= min && elapsed < max,
        "{what} after {elapsed:?}, expected {min:?}..{max:?}"
    );
}

/// Runs `phase` and returns its output with the growth of the peak resident set size over the
/// resident set size before it, in MiB.
pub async fn peak_rss_growth<F: Future>(phase: F) -> (F::Output, f64) {
    reset_peak_rss();
    let before = proc_status_kib("VmRSS");
    let output = phase.await;
    let peak = proc_status_kib("VmHWM");
    (output, peak.saturating_sub(before) as f64 / 1024.0)
}
