//! The delivery property of closing (issue 12): every message that `send` accepted before a
//! `close()` that reported nothing undelivered arrives exactly once and in order; after a drop
//! (default linger) everything arrives too.
//!
//! Each case is a real conversation over TCP or IPC on loopback (the property is about what the
//! kernel does with a closing socket, so an in-memory transport would not show it): random
//! message sizes from empty to 2 MiB, one to three frames, a peer that replies to every
//! message or not, a closing side that reads the replies or leaves them unread, receive
//! queues of one message or libzmq's default on either side, either side binding, and a close
//! or a drop after a random number of sends.
//!
//! `ZMTP_CLOSE_CASES` sets the number of cases (24 by default, the CI-sized run); the longer
//! runs are recorded in docs/SOAK.md.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use support::*;
use zmtp_tests::socket_harness::Transport;
use zmtp_tokio::{
    DealerSocket, Message, Options, PairSocket, PullSocket, PushSocket, RepSocket, RouterSocket,
};

/// Who receives what the closing side sends.
#[derive(Debug, Clone, Copy)]
enum Peer {
    /// A PULL (the closing side is a PUSH).
    Pull,
    /// A ROUTER (the closing side is a DEALER).
    Router,
    /// A REP, which replies to every request (the closing side is a DEALER).
    Rep,
    /// A DEALER (the closing side is a DEALER).
    Dealer,
    /// A PAIR (the closing side is a PAIR).
    Pair,
    /// A libzmq ROUTER (the closing side is a DEALER).
    LibzmqRouter,
}

#[derive(Clone)]
struct Case {
    transport: Transport,
    peer: Peer,
    /// Whether the peer answers every message.
    replies: bool,
    /// Whether the closing side reads the answers as they come.
    reads: bool,
    /// Whether the closing side binds (else the peer does).
    sender_binds: bool,
    /// Receive high-water marks: the closing side's, the peer's.
    sender_recv_hwm: usize,
    peer_recv_hwm: usize,
    messages: Vec<Vec<Vec<u8>>>,
    /// Messages sent before the close (the rest never are).
    sent: usize,
    /// Drop instead of `close().await`.
    drop: bool,
}

/// Frame sizes instead of the bytes, so that a failing case prints in a few lines.
impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sizes: Vec<Vec<usize>> = self
            .messages
            .iter()
            .map(|m| m.iter().map(Vec::len).collect())
            .collect();
        f.debug_struct("Case")
            .field("transport", &self.transport)
            .field("peer", &self.peer)
            .field("replies", &self.replies)
            .field("reads", &self.reads)
            .field("sender_binds", &self.sender_binds)
            .field("sender_recv_hwm", &self.sender_recv_hwm)
            .field("peer_recv_hwm", &self.peer_recv_hwm)
            .field("sent", &self.sent)
            .field("drop", &self.drop)
            .field("frame_sizes", &sizes)
            .finish()
    }
}

/// Sizes: mostly small, some up to 8 KiB, a few up to 2 MiB.
fn frame() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => 0..64usize,
        3 => 64..8192usize,
        1 => 8192..(2usize << 20),
    ]
    .prop_map(|len| pattern(len, len as u8))
}

fn messages() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    prop::collection::vec(prop::collection::vec(frame(), 1..=3), 1..60).prop_map(|mut all| {
        // At most about 8 MiB a case, to keep the run short.
        let mut total = 0;
        all.retain(|m| {
            total += m.iter().map(Vec::len).sum::<usize>();
            total <= 8 << 20
        });
        all
    })
}

fn case() -> impl Strategy<Value = Case> {
    let peer = prop_oneof![
        Just(Peer::Pull),
        Just(Peer::Router),
        Just(Peer::Rep),
        Just(Peer::Dealer),
        Just(Peer::Pair),
        Just(Peer::LibzmqRouter),
    ];
    let transport = prop_oneof![
        Just(Transport::Tcp),
        Just(Transport::Ipc),
        Just(Transport::Inproc)
    ];
    let hwm = prop_oneof![Just(1usize), Just(1000usize)];
    (
        transport,
        peer,
        any::<(bool, bool, bool, bool)>(),
        (hwm.clone(), hwm),
        messages(),
        any::<prop::sample::Index>(),
    )
        .prop_map(
            |(transport, peer, (replies, reads, sender_binds, drop), hwms, messages, point)| {
                let sent = point.index(messages.len() + 1);
                Case {
                    // libzmq's peer is in another library: it cannot be on our inproc.
                    transport: match (peer, transport) {
                        (Peer::LibzmqRouter, Transport::Inproc) => Transport::Tcp,
                        _ => transport,
                    },
                    // A REP always answers; a PULL never can; libzmq's peer always connects.
                    replies: match peer {
                        Peer::Rep => true,
                        Peer::Pull => false,
                        _ => replies,
                    },
                    reads: reads && !matches!(peer, Peer::Pull),
                    sender_binds: sender_binds && !matches!(peer, Peer::LibzmqRouter),
                    peer,
                    sender_recv_hwm: hwms.0,
                    peer_recv_hwm: hwms.1,
                    messages,
                    sent,
                    drop,
                }
            },
        )
}

/// The closing side, of the kind the peer needs.
enum Sender {
    Push(PushSocket),
    Dealer(DealerSocket),
    Pair(PairSocket),
}

impl Sender {
    fn new(peer: Peer, options: Options) -> Sender {
        match peer {
            Peer::Pull => Sender::Push(PushSocket::with_options(options).unwrap()),
            Peer::Pair => Sender::Pair(PairSocket::with_options(options).unwrap()),
            _ => Sender::Dealer(DealerSocket::with_options(options).unwrap()),
        }
    }

    async fn bind(&self, endpoint: &str) -> String {
        match self {
            Sender::Push(s) => s.bind(endpoint).await,
            Sender::Dealer(s) => s.bind(endpoint).await,
            Sender::Pair(s) => s.bind(endpoint).await,
        }
        .unwrap()
        .to_string()
    }

    fn connect(&self, endpoint: &str) {
        match self {
            Sender::Push(s) => s.connect(endpoint),
            Sender::Dealer(s) => s.connect(endpoint),
            Sender::Pair(s) => s.connect(endpoint),
        }
        .unwrap()
    }

    async fn send(&mut self, message: Message) {
        let sent = match self {
            Sender::Push(s) => within(LIMIT, "send", s.send(message)).await,
            Sender::Dealer(s) => within(LIMIT, "send", s.send(message)).await,
            Sender::Pair(s) => within(LIMIT, "send", s.send(message)).await,
        };
        sent.unwrap();
    }

    /// Reads every answer waiting now.
    fn read_answers(&mut self) {
        loop {
            let got = match self {
                Sender::Push(_) => return,
                Sender::Dealer(s) => s.try_recv(),
                Sender::Pair(s) => s.try_recv(),
            };
            if got.is_err() {
                return;
            }
        }
    }

    async fn close(self) -> zmtp_tokio::CloseReport {
        match self {
            Sender::Push(s) => s.close().await,
            Sender::Dealer(s) => s.close().await,
            Sender::Pair(s) => s.close().await,
        }
    }
}

/// Starts the peer: everything it receives goes to the returned channel (without the ROUTER's
/// identity, the REP's envelope). Returns the endpoint it bound, if it binds.
async fn start_peer(
    case: &Case,
    connect_to: Option<String>,
    received: tokio::sync::mpsc::UnboundedSender<Vec<Vec<u8>>>,
    stop: Arc<AtomicBool>,
) -> Option<String> {
    let options = Options::default().recv_hwm(case.peer_recv_hwm);
    let replies = case.replies;
    let bind = case.transport.bind_endpoint();
    macro_rules! attach {
        ($socket:expr) => {
            match &connect_to {
                Some(endpoint) => {
                    $socket.connect(endpoint).unwrap();
                    None
                }
                None => Some($socket.bind(&bind).await.unwrap().to_string()),
            }
        };
    }
    let to_test = received.clone();
    let forward = move |frames: &[Bytes]| {
        let _ = to_test.send(frames.iter().map(|f| f.to_vec()).collect());
    };
    // A socket of type `$socket` that runs `$body` for each message `$m` it receives.
    macro_rules! serve {
        ($socket:ty, |$s:ident, $m:ident| $body:block) => {{
            let mut $s = <$socket>::with_options(options).unwrap();
            let endpoint = attach!($s);
            tokio::spawn(async move {
                while let Ok($m) = $s.recv().await $body
            });
            endpoint
        }};
    }
    // Replies never wait: once the closing side is gone, waiting for room would stop the peer
    // from reading what it sent.
    match case.peer {
        Peer::Pull => serve!(PullSocket, |s, m| { forward(m.frames()) }),
        Peer::Router => serve!(RouterSocket, |s, m| {
            forward(&m.frames()[1..]);
            if replies {
                let id = m.frames()[0].clone();
                let _ = s.try_send(Message::from(vec![id, Bytes::from_static(b"ack")]));
            }
        }),
        Peer::Rep => serve!(RepSocket, |s, m| {
            forward(m.frames());
            let _ = s.try_send("ack");
        }),
        Peer::Dealer => serve!(DealerSocket, |s, m| {
            forward(m.frames());
            if replies {
                let _ = s.try_send("ack");
            }
        }),
        Peer::Pair => serve!(PairSocket, |s, m| {
            forward(m.frames());
            if replies {
                let _ = s.try_send("ack");
            }
        }),
        Peer::LibzmqRouter => {
            let (endpoint_tx, endpoint_rx) = tokio::sync::oneshot::channel();
            let hwm = case.peer_recv_hwm as i32;
            let ipc = matches!(case.transport, Transport::Ipc).then_some(bind);
            std::thread::spawn(move || {
                let ctx = context();
                let router = socket(&ctx, zmq::ROUTER);
                router.set_rcvhwm(hwm).unwrap();
                router.set_rcvtimeo(50).unwrap();
                let endpoint = match ipc {
                    Some(path) => {
                        router.bind(&path).unwrap();
                        path
                    }
                    None => bind_tcp(&router),
                };
                let _ = endpoint_tx.send(endpoint);
                while !stop.load(Ordering::Relaxed) {
                    let Ok(frames) = router.recv_multipart(0) else {
                        continue;
                    };
                    let _ = received.send(frames[1..].to_vec());
                    if replies {
                        let _ = router.send_multipart([&frames[0][..], b"ack"], 0);
                    }
                }
            });
            Some(endpoint_rx.await.unwrap())
        }
    }
}

/// Runs one case; an `Err` says what went wrong.
async fn run(case: Case) -> Result<(), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    let mut sender = Sender::new(case.peer, Options::default().recv_hwm(case.sender_recv_hwm));
    if case.sender_binds {
        let endpoint = sender.bind(&case.transport.bind_endpoint()).await;
        start_peer(&case, Some(endpoint), tx, stop.clone()).await;
    } else {
        let endpoint = start_peer(&case, None, tx, stop.clone()).await.unwrap();
        sender.connect(&endpoint);
    }
    let envelope = matches!(case.peer, Peer::Rep);
    for frames in &case.messages[..case.sent] {
        let mut message = message_of(frames);
        if envelope {
            message.push_front(Bytes::new());
        }
        sender.send(message).await;
        if case.reads {
            sender.read_answers();
        }
    }
    if case.drop {
        drop(sender);
    } else {
        let report = within(Duration::from_secs(40), "close", sender.close()).await;
        if !report.is_complete() {
            stop.store(true, Ordering::Relaxed);
            return Err(format!("close reported {report}"));
        }
    }
    let mut received = Vec::new();
    while received.len() < case.sent {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(message)) => received.push(message),
            _ => break,
        }
    }
    // Nothing more, and nothing twice: a duplicate would be waiting by now.
    let extra = tokio::time::timeout(Duration::from_millis(20), rx.recv()).await;
    stop.store(true, Ordering::Relaxed);
    let expected = &case.messages[..case.sent];
    if received.len() != expected.len() {
        return Err(format!(
            "{} of {} accepted messages arrived",
            received.len(),
            expected.len()
        ));
    }
    if let Some(i) = (0..expected.len()).find(|&i| received[i] != expected[i]) {
        return Err(format!("message {i} arrived changed or out of order"));
    }
    if let Ok(Some(_)) = extra {
        return Err("a message arrived more than once".into());
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("ZMTP_CLOSE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_accepted_message_arrives_once_and_in_order(case in case()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let outcome = runtime.block_on(run(case.clone()));
        runtime.shutdown_timeout(Duration::from_secs(1));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
