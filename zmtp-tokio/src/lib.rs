//! ZeroMQ sockets on tokio, speaking ZMTP 3.x through the sans-IO engine [`zmtp_core`].
//!
//! Pure Rust, no C library: talk to libzmq, pyzmq, JeroMQ or any other ZMTP 3 peer from an
//! async Rust service, with libzmq's semantics and defaults (high-water marks, round robin,
//! fair queuing, publisher-side filtering, reconnect, linger, heartbeats, monitor events).
//!
//! # First ten minutes
//!
//! Not on crates.io yet: depend on it by git or path (`zmtp-tokio = { git = "..." }`), with
//! `tokio = { version = "1", features = ["macros", "rt-multi-thread"] }`. A Python peer
//! (pyzmq), as in `examples/hello_python.py`:
//!
//! ```text
//! import zmq
//! rep = zmq.Context().socket(zmq.REP)
//! rep.bind("tcp://127.0.0.1:5555")
//! while True:
//!     rep.send_string(f"Hello, {rep.recv_string()}, from Python")
//! ```
//!
//! and the Rust side (`examples/hello_python.rs` also subscribes to the script's PUB feed;
//! `tests/tests/interop_python.rs` runs the two against each other):
//!
//! ```no_run
//! use zmtp_tokio::ReqSocket;
//! #[tokio::main]
//! async fn main() -> zmtp_tokio::Result<()> {
//!     let mut client = ReqSocket::new();
//!     client.connect("tcp://127.0.0.1:5555")?; // may come before the service is up
//!     let reply = client.request("Ada").await?;
//!     println!("{}", String::from_utf8_lossy(&reply.frames()[0]));
//!     Ok(())
//! }
//! ```
//!
//! When nothing arrives: a SUB receives nothing until it subscribes (`subscribe("")` for
//! everything), and nothing published before its subscription reached the publisher (the slow
//! joiner); a publisher drops for a subscriber at its high-water mark (`dropped_messages()`);
//! [`Socket::monitor`] streams what happens to each connection (connected, handshake succeeded
//! or failed and why, disconnected, retried), as `zmtp recv --verbose` prints it; a REQ waits
//! for the reply to its one request, so put a `tokio::time::timeout` around it.
//!
//! # Quickstart
//!
//! Every socket is a [`Socket<Kind>`](Socket); the aliases below name them. `bind` returns the
//! real endpoint (so port 0 works), `connect` returns at once and connects in the background.
//!
//! ## REQ and REP
//!
//! ```
//! use zmtp_tokio::{RepSocket, ReqSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let mut rep = RepSocket::new();
//! let endpoint = rep.bind("tcp://127.0.0.1:0").await?;
//! tokio::spawn(async move {
//!     while let Ok(request) = rep.recv().await {
//!         let name = String::from_utf8_lossy(&request.frames()[0]).into_owned();
//!         rep.send(format!("hello, {name}")).await.unwrap();
//!     }
//! });
//!
//! let mut req = ReqSocket::new();
//! req.connect(&endpoint)?;
//! let reply = req.request("world").await?; // send, then wait for the reply
//! assert_eq!(reply.frames()[0], "hello, world");
//! # Ok(()) }
//! ```
//!
//! ## PUB and SUB
//!
//! ```
//! use std::time::Duration;
//! use zmtp_tokio::{PubSocket, SubSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let mut publisher = PubSocket::new();
//! let endpoint = publisher.bind("tcp://127.0.0.1:0").await?;
//! let mut subscriber = SubSocket::new();
//! subscriber.subscribe("weather.")?; // prefix match on the first frame
//! subscriber.connect(&endpoint)?;
//!
//! // Subscriptions take a moment to reach the publisher; it drops what nobody wants yet.
//! let update = loop {
//!     publisher.publish(["weather.paris", "18C"].into_iter().collect::<zmtp_tokio::Message>())?;
//!     publisher.publish("sports.football")?; // filtered out at the publisher
//!     if let Ok(received) = tokio::time::timeout(Duration::from_millis(10), subscriber.recv()).await {
//!         break received?;
//!     }
//! };
//! assert_eq!(update.frames()[1], "18C");
//! # Ok(()) }
//! ```
//!
//! ## PUSH and PULL
//!
//! ```
//! use zmtp_tokio::{PullSocket, PushSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! // Connect first: the PUSH queues (up to its high-water mark) until the PULL is there.
//! let dir = std::env::temp_dir().join(format!("zmtp-doc-{}", std::process::id()));
//! let endpoint = format!("ipc://{}", dir.display());
//! let mut push = PushSocket::new();
//! push.connect(&endpoint)?;
//! push.send("job 1").await?;
//!
//! let mut pull = PullSocket::new();
//! pull.bind(&endpoint).await?;
//! assert_eq!(pull.recv().await?.frames()[0], "job 1");
//! # Ok(()) }
//! ```
//!
//! ## DEALER and ROUTER
//!
//! A ROUTER sees who sent each message (the first frame) and replies by naming them:
//!
//! ```
//! use zmtp_tokio::{DealerSocket, Message, Options, RouterSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let mut router = RouterSocket::new();
//! let endpoint = router.bind("tcp://127.0.0.1:0").await?;
//! let mut worker = DealerSocket::with_options(Options::default().identity("worker-1"))?;
//! worker.connect(&endpoint)?;
//! worker.send("ready").await?;
//!
//! let hello = router.recv().await?; // [identity, "ready"]
//! assert_eq!(hello.frames()[0], "worker-1");
//! let job: Message = [hello.frames()[0].clone(), "job 7".into()].into_iter().collect();
//! router.send(job).await?; // routed by the first frame, which is taken off
//! assert_eq!(worker.recv().await?.frames()[0], "job 7");
//! # Ok(()) }
//! ```
//!
//! ## XPUB and XSUB
//!
//! An XPUB publishes like a PUB and receives its subscribers' subscriptions (`1 topic`, and
//! `0 topic` when nobody holds a topic any more); an XSUB subscribes by sending them. Together
//! with [`Proxy`] they make a forwarder.
//!
//! ```
//! use zmtp_tokio::{SubSocket, XPubSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let mut xpub = XPubSocket::new();
//! let endpoint = xpub.bind("tcp://127.0.0.1:0").await?;
//! let sub = SubSocket::new();
//! sub.connect(&endpoint)?;
//! sub.subscribe("prices.")?;
//! assert_eq!(xpub.recv().await?.frames()[0], &b"\x01prices."[..]);
//! # Ok(()) }
//! ```
//!
//! The sockets of kinds PULL, SUB, XSUB, XPUB, DEALER, ROUTER and PAIR are
//! `futures::Stream`s of messages; PUSH, PUB, XPUB, DEALER and PAIR are `futures::Sink`s
//! (`poll_flush`: every queued message handed to its connection).
//!
//! Every kind that sends has `try_send`, which never waits and hands a refused message back
//! in a [`TrySendError`]; every kind that receives has `try_recv`, whose [`TryRecvError`] says
//! `Empty` (try later) or `Closed`, as tokio's channels do.
//!
//! DEALER, ROUTER, PAIR, XPUB and XSUB [`split`](Socket::split) into a [`SocketSender`] and a
//! [`SocketReceiver`], so one task can receive while another sends (a ROUTER answering from
//! worker tasks). REQ and REP do not split: their alternation is one state both directions
//! must see.
//!
//! ```
//! use zmtp_tokio::{DealerSocket, RouterSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let router = RouterSocket::new();
//! let endpoint = router.bind("tcp://127.0.0.1:0").await?;
//! let (mut replies, mut requests) = router.split();
//! tokio::spawn(async move {
//!     while let Ok(mut request) = requests.recv().await {
//!         let client = request.pop_front().expect("a ROUTER message starts with the sender");
//!         // Hand `client` and the request to a worker; here the answer goes at once.
//!         replies.send(zmtp_tokio::Message::new().with(client).with("done")).await.ok();
//!     }
//! });
//! let mut dealer = DealerSocket::new();
//! dealer.connect(&endpoint)?;
//! dealer.send("job").await?;
//! assert_eq!(dealer.recv().await?.frames()[0], "done");
//! # Ok(()) }
//! ```
//!
//! # Generic code, and a socket type chosen at run time
//!
//! The capability traits [`SendMessage`], [`RecvMessage`], [`Subscribe`] and
//! [`RouteByIdentity`] are implemented by the kinds that can do each, so a function can take "any socket that receives".
//! [`AnySocket`] is one socket of a kind picked at run time (from configuration or a command
//! line); it implements the same traits and answers [`Error::NotSupported`] for what its kind
//! cannot do. `recv_with_peer` returns the sender ([`Peer`]: address, identity, properties,
//! and what PLAIN or CURVE established) with each message.
//!
//! ```
//! use zmtp_tokio::{AnySocket, Options, RecvMessage, SendMessage, SocketType};
//!
//! /// Forwards one message from any socket that receives to any socket that sends.
//! async fn forward(from: &mut impl RecvMessage, to: &mut impl SendMessage) -> zmtp_tokio::Result<()> {
//!     let message = from.recv_message().await?;
//!     to.send_message(message).await
//! }
//! # fn main() -> zmtp_tokio::Result<()> {
//! let kind = SocketType::from_wire(b"PULL").expect("a socket type");
//! let socket = AnySocket::new(kind, Options::default())?;
//! assert!(socket.can_recv() && !socket.can_send());
//! # Ok(()) }
//! ```
//!
//! # Semantics
//!
//! | socket | sends | receives | when it cannot send |
//! |---|---|---|---|
//! | REQ | round robin, strict send/recv alternation, empty delimiter added | only the reply from the peer asked | waits |
//! | REP | the reply, to the peer that asked, with its envelope | fair-queued | never waits (reply dropped if the peer left) |
//! | PUB | to every subscriber whose subscriptions prefix-match the first frame (a set of topics per subscriber, as libzmq's) | — | never waits for a subscriber: drops per subscriber at its HWM, counted in `dropped_messages()`; `send` first lets a connection task that has not had its turn yet take its queue |
//! | SUB | subscriptions (counted), re-sent after each reconnect | fair-queued, filtered | — |
//! | PUSH | round robin over peers that can take a message | — | waits |
//! | PULL | — | fair-queued | — |
//! | DEALER | round robin | fair-queued | waits |
//! | ROUTER | to the peer named by the first frame (taken off) | fair-queued, sender's identity in front | never waits: drops (or [`Error::HostUnreachable`] / waits with `router_mandatory`) |
//! | XPUB | as PUB | subscriptions as `1 topic` / `0 topic` messages, and upstream messages | never waits |
//! | XSUB | `1 topic` / `0 topic` as subscriptions, anything else to every publisher | fair-queued, unfiltered | never waits |
//! | PAIR | to its one peer (a second one is refused) | from its one peer | waits |
//!
//! [`Proxy`] moves messages between two sockets (ROUTER/DEALER broker, XSUB/XPUB forwarder,
//! PULL/PUSH streamer), optionally copying them to a capture socket, steered by a
//! [`ProxyControl`].
//!
//! A socket connected to an endpoint keeps a queue for it from `connect` on, across
//! reconnects; a bound socket has a queue per peer from its handshake until it leaves. A full
//! receive queue stops reading from that peer, so TCP pushes back on its sender.
//!
//! # Transports
//!
//! `tcp://host:port` (IPv4, IPv6, port 0 for any), `ipc://path` (Unix domain sockets; on other
//! systems `ipc://` is [`Error::UnsupportedTransport`]) and `inproc://name`. Code written for one runs on the others unchanged: a service can start as a
//! task beside its clients on inproc and move to another host on tcp by changing its endpoint
//! string (the `microservices` example does).
//!
//! ## inproc
//!
//! Two sockets of one process, without the wire: messages go from one socket's pipe to the
//! other's as they are (the same [`Bytes`], no encoding, no copy), in the sending thread when
//! the receiver keeps up and by a task of the link otherwise, so a peer may live on any thread
//! or tokio runtime. As in libzmq:
//! - names are scoped by a [`Context`]; sockets use the process-wide [`Context::global`]
//!   unless [`Options::context`] names another. A name is bound by one socket at a time and is
//!   free again after `unbind` or close.
//! - `connect` may come before `bind`: the connecting socket queues (up to its high-water
//!   mark) and links when the name is bound.
//! - a link holds what both high-water marks allow: the sender's `send_hwm` plus the
//!   receiver's `recv_hwm`. A full receiver makes the sender wait (or drop, for the kinds that
//!   drop), exactly as a full TCP connection does.
//! - every socket type, every routing rule, subscriptions, unbind, disconnect, close with
//!   linger and the close report work as on tcp. The monitor reports `Accepted`/`Connected`,
//!   `HandshakeSucceeded` (the peer's type, identity and properties), `HandshakeFailed` for
//!   incompatible types, `Disconnected` and `Closed`.
//!
//! What does not apply: greetings, handshakes and security mechanisms (the peer is in the same
//! process: `Options`' PLAIN or CURVE settings are not used), heartbeats, `max_message_size`,
//! and `ConnectRetried` events (a connector waits for the name instead of polling it). One
//! deliberate difference: libzmq never relinks an inproc connection after its binder goes; here
//! a connector links again to the next socket that binds the name, as it reconnects on tcp.
//!
//! ```
//! use zmtp_tokio::{PullSocket, PushSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let mut push = PushSocket::new();
//! push.connect("inproc://jobs")?; // before the bind: queued until it comes
//! push.send("job 1").await?;
//! let mut pull = PullSocket::new();
//! pull.bind("inproc://jobs").await?;
//! assert_eq!(pull.recv().await?.frames()[0], "job 1");
//! # Ok(()) }
//! ```
//!
//! # Closing
//!
//! [`Socket::close`] (or dropping the socket, which does the same in the background) stops
//! taking messages and delivers what the socket accepted, for up to the linger time
//! ([`Options::linger`], libzmq's ZMQ_LINGER). *Delivered* means read by the peer, not written
//! to the operating system: closing a TCP socket that has unread bytes in its receive buffer
//! makes the kernel reset the connection, and the reset discards what the peer had not read
//! yet. So each connection writes what is queued while reading and discarding what arrives,
//! then shuts its write side, and waits for the peer to close its side after reading it all.
//! What could not get that far is in the [`CloseReport`] that `close` returns: messages still
//! queued per peer, bytes not written, and peers that had not confirmed when linger ran out.
//!
//! ```no_run
//! # async fn f() -> zmtp_tokio::Result<()> {
//! use zmtp_tokio::PushSocket;
//! let mut push = PushSocket::new();
//! push.connect("tcp://127.0.0.1:5555")?;
//! push.send("last words").await?;
//! let report = push.close().await;
//! assert!(report.is_complete(), "not delivered: {report}");
//! # Ok(()) }
//! ```
//!
//! # Options and defaults
//!
//! Every option of [`Options`], with libzmq's name, its default here, and the tests that
//! prove it (in `tests/tests/`):
//!
//! | option | libzmq | default | proven by |
//! |---|---|---|---|
//! | `send_hwm`, `recv_hwm` | ZMQ_SNDHWM, ZMQ_RCVHWM | 1000, 1000 (and 4 MiB per receive queue) | `pattern_pipeline.rs`, `pattern_pubsub.rs`, `inproc.rs`, `hostile_slow_peers.rs` |
//! | `linger` | ZMQ_LINGER | 30 s | `close_delivery.rs`, `close_property.rs`, `lifecycle.rs` |
//! | `reconnect(interval, max)` | ZMQ_RECONNECT_IVL, ZMQ_RECONNECT_IVL_MAX | 100 ms, none (no backoff) | `lifecycle.rs`, `fault_listener_restart.rs` |
//! | `reconnect_stop` ([`ReconnectStop`]) | ZMQ_RECONNECT_STOP (_CONN_REFUSED, _HANDSHAKE_FAILED, _AFTER_DISCONNECT) | never (but a refused handshake is not retried) | `connect_options.rs` (tcp, paused clock), `interop_connect_options.rs` (a libzmq CURVE server) |
//! | `immediate` | ZMQ_IMMEDIATE | off | `connect_options.rs` (every transport), `interop_connect_options.rs` (our PUSH and libzmq's, same option) |
//! | `tcp_keepalive`, `tcp_keepalive_idle`, `_interval`, `_count` ([`TcpTuning`]) | ZMQ_TCP_KEEPALIVE, _IDLE, _INTVL, _CNT | the OS's (libzmq: -1) | `connect_options.rs` (the kernel's timer in /proc/net/tcp, connecting and accepting), `transport/tcp_tuning.rs` unit tests |
//! | `tcp_max_retransmit_timeout` | ZMQ_TCP_MAXRT (TCP_USER_TIMEOUT; Linux, Android, Fuchsia) | the OS's | `transport/tcp_tuning.rs` unit tests (read back from the socket) |
//! | `handshake_timeout` | ZMQ_HANDSHAKE_IVL | 30 s | `lifecycle.rs`, `hostile_slow_peers.rs` |
//! | `heartbeat(interval, timeout)`, `heartbeat_ttl` | ZMQ_HEARTBEAT_IVL, _TIMEOUT, _TTL | off | `lifecycle.rs`, `interop_heartbeat.rs` |
//! | `max_message_size` | ZMQ_MAXMSGSIZE | 16 MiB (libzmq: none) | `hostile_framing.rs`, `hostile_memory.rs` |
//! | `identity` | ZMQ_ROUTING_ID | none | `pattern_dealer_router.rs`, `interop_dealer_router.rs` |
//! | `properties` | ZMQ_METADATA | none | `security.rs`, `hostile_handshake.rs` |
//! | `router_mandatory` | ZMQ_ROUTER_MANDATORY | off | `pattern_dealer_router.rs`, `interop_dealer_router.rs` |
//! | `router_handover` | ZMQ_ROUTER_HANDOVER | off | `pattern_dealer_router.rs`, `interop_dealer_router.rs` |
//! | `router_notify` ([`RouterNotify`] flags) | ZMQ_ROUTER_NOTIFY (ROUTER; libzmq draft), ZMQ_NOTIFY_CONNECT, ZMQ_NOTIFY_DISCONNECT | none | `router_notify.rs` (every transport, paused clock), `interop_router_options.rs` (our ROUTER, a libzmq DEALER leaving; no libzmq at hand has the draft option) |
//! | `probe_router` | ZMQ_PROBE_ROUTER (ROUTER, DEALER, REQ) | off | `probe_router.rs` (every transport, paused clock), `interop_router_options.rs` (libzmq DEALER and ROUTER, both ways) |
//! | [`Socket::connect_with_routing_id`] (ROUTER) | ZMQ_CONNECT_ROUTING_ID | a generated or announced id | `connect_routing_id.rs` (every transport, paused clock), `interop_router_options.rs` (libzmq ROUTER, pyzmq ROUTER) |
//! | `xpub_verbose` | ZMQ_XPUB_VERBOSE | off | `interop_xpubsub.rs`, `split.rs` |
//! | `xpub_welcome_msg` | ZMQ_XPUB_WELCOME_MSG | none | `pattern_pair_xpubsub.rs` (every transport), `interop_xpubsub.rs` (libzmq SUB and XPUB) |
//! | `xpub_verboser` | ZMQ_XPUB_VERBOSER (implies verbose; `xpub_verbose` clears it, as in libzmq) | off | `xpub_verboser.rs` (paused clock), `interop_xpub_options.rs` (libzmq SUBs) |
//! | `xpub_nodrop` | ZMQ_XPUB_NODROP (PUB, XPUB): `send` waits, `try_send` and `publish` fail with `WouldBlock` | off | `xpub_nodrop.rs` (paused clock), `interop_xpub_options.rs` (a libzmq SUB; pyzmq's XPUB with the option) |
//! | `xpub_manual` | ZMQ_XPUB_MANUAL, with ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE as `Socket<XPub>::subscribe`/`unsubscribe` | off | `xpub_manual.rs` (paused clock), `interop_xpub_options.rs` (a libzmq SUB; pyzmq's XPUB with the option) |
//! | `invert_matching` | ZMQ_INVERT_MATCHING (PUB, XPUB, SUB) | off | `pattern_pubsub.rs` (tcp, ipc, inproc), `interop_invert_matching.rs` (pyzmq's libzmq, both ways; the `zmq` crate has no setter) |
//! | `conflate` | ZMQ_CONFLATE (PUSH, PULL, PUB, SUB, DEALER) | off | `conflate.rs` (every transport, paused clock), `interop_conflate.rs` (libzmq PUSH and PULL with the option) |
//! | `req_correlate`, `req_relaxed` | ZMQ_REQ_CORRELATE, ZMQ_REQ_RELAXED | off, off | `req_recovery.rs`, `interop_req_recovery.rs` (libzmq REQ and ROUTER with the same options) |
//! | `security`: `plain_client`/`plain_server`, `curve_client`/`curve_server`; `authenticator` | ZMQ_PLAIN_*, ZMQ_CURVE_*, ZAP | NULL | `security.rs`, `interop_security.rs`, `interop_security_edges.rs` |
//! | ZMQ_SNDTIMEO / ZMQ_RCVTIMEO | ZMQ_SNDTIMEO, ZMQ_RCVTIMEO | none (wait for ever) | here: wrap `send`/`recv` in `tokio::time::timeout` (both are cancel-safe); zmtp-blocking: `Socket::set_send_timeout`/`set_recv_timeout` (None = for ever, Some(0) = `Error::WouldBlock`, else `Error::TimedOut`), `zmtp-blocking/tests/timeouts.rs` |
//! | `context` (inproc names) | `zmq_ctx_new` | [`Context::global`] | `inproc.rs` |
//! | `executor` ([`Executor`]: where the socket's listener and connection tasks run) | (libzmq's I/O threads, `ZMQ_IO_THREADS`) | tokio's `spawn` | `executor.rs` (every transport; the close still waits for them); zmtp-blocking runs them inside the calls that wait |
//!
//! A REQ whose reply may never come recovers with `req_relaxed` and `req_correlate`, and tokio's
//! timeout (`recv` and `request` are cancel-safe):
//!
//! ```no_run
//! # async fn f() -> zmtp_tokio::Result<()> {
//! use std::time::Duration;
//! use zmtp_tokio::{Options, ReqSocket};
//! let options = Options::default().req_relaxed(true).req_correlate(true);
//! let mut client = ReqSocket::with_options(options)?;
//! client.connect("tcp://127.0.0.1:5555")?;
//! let reply = loop {
//!     client.send("status?").await?; // abandons an unanswered request
//!     if let Ok(reply) = tokio::time::timeout(Duration::from_secs(1), client.recv()).await {
//!         break reply?;
//!     }
//! };
//! # let _ = reply; Ok(()) }
//! ```
//!
//! Where we deviate from libzmq on purpose:
//!
//! | option / behaviour | libzmq | zmtp-tokio | why |
//! |---|---|---|---|
//! | `max_message_size` (ZMQ_MAXMSGSIZE) | unlimited | 16 MiB | a peer's frame header must not be able to claim gigabytes; raise it with [`Options::max_message_size`] |
//! | receive queue size | `recv_hwm` messages | `recv_hwm` messages or 4 MiB, whichever is reached first (a larger single message still passes) | bounds memory per peer for large messages |
//! | `linger` (ZMQ_LINGER) | for ever | 30 s | a dropped socket must not keep tasks alive for ever for an unreachable peer; [`Socket::close`] waits for it |
//! | what linger waits for | messages written to the kernel | messages read by the peer (it closed its side after our end of stream); see [Closing](#closing) | a close with unread input resets the connection, and the reset loses what the kernel had accepted |
//! | reconnect after the peer refused our socket type or sent ERROR during the handshake | stops | stops | retrying cannot succeed |
//! | `immediate` (ZMQ_IMMEDIATE): messages a peer's pipe held when its connection dropped | dropped with the pipe | kept for its reconnect, reported undelivered at close | a message `send` accepted is delivered or reported, never lost silently |
//! | a connecting endpoint that gives up (RECONNECT_STOP, refused handshake) | its queue dropped silently | dropped, with the count in [`MonitorEvent::ConnectStopped`] | the application learns what was lost |
//! | `ipc://` path already bound by a live process | socket file replaced | `Error::Bind` (address in use) | stealing a live endpoint is never what was meant; stale files are still replaced |
//! | subscriptions a publisher keeps per subscriber | unlimited | 10,000 topics or 1 MiB; a subscriber asking for more is disconnected ([`Refusal::TooManySubscriptions`]) | a peer must not be able to exhaust a publisher's memory or make every publish slow |
//! | transports | tcp, ipc, inproc, pgm, ... | tcp, ipc, inproc | the rest are outside ZMTP over streams |
//! | `router_notify`: a notification when the application's queue for the peer is full | lost | queued past the high-water mark | it is the only sign of the event |
//! | `probe_router` on a connecting socket | one probe per `connect` (written into the pipe once) | one probe per connection, reconnections included | a ROUTER peer that generates ids gives the reconnected peer a new one, which it learns from the probe |
//! | `connect_with_routing_id` with an id a peer has | assertion (abort) | [`Error::InvalidRoutingId`] | a library must not abort its host |
//! | an inproc connector after its binder went | stays unlinked | links to the next socket binding the name | behaves as a tcp connector does, so that moving a service between transports changes nothing |
//!
//! # Security
//!
//! Sockets speak NULL (no security) unless [`Options`] say otherwise. PLAIN and CURVE follow
//! RFC 24 and RFC 25/26 and interoperate with libzmq. Roles are independent of who binds: the
//! server is the side configured as server.
//!
//! ## CURVE
//!
//! The server needs a long-term key pair; clients need the server's public key (40 Z85
//! characters, as `zmq_curve_keypair` prints them). Every frame is then encrypted.
//!
//! ```
//! use zmtp_tokio::{KeyPair, Options, OsRandom, RepSocket, ReqSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let server_keys = KeyPair::generate(&OsRandom); // or KeyPair::from_secret(SecretKey::from_z85(..)?)
//! let server_key = *server_keys.public(); // publish this: server_key.to_z85()
//!
//! let mut rep = RepSocket::with_options(Options::default().curve_server(server_keys))?;
//! let endpoint = rep.bind("tcp://127.0.0.1:0").await?;
//! tokio::spawn(async move {
//!     while let Ok(request) = rep.recv().await {
//!         rep.send(request).await.unwrap();
//!     }
//! });
//!
//! // `None`: a fresh client key pair; pass `Some(keys)` when the server checks client keys.
//! let mut req = ReqSocket::with_options(Options::default().curve_client(server_key, None))?;
//! req.connect(&endpoint)?;
//! assert_eq!(req.request("secret").await?.frames()[0], "secret");
//! # Ok(()) }
//! ```
//!
//! ## PLAIN, with an authenticator
//!
//! A server decides who gets in with an [`Authenticator`] (libzmq's ZAP handler), any
//! `Fn(&AuthRequest) -> AuthDecision`. It runs on the connection's task, so it must be quick.
//! PLAIN sends the password in clear text: use CURVE on untrusted networks.
//!
//! ```
//! use zmtp_tokio::{AuthDecision, AuthRequest, Credentials, MonitorEvent, Options, PullSocket, PushSocket};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
//! let check = |request: &AuthRequest| match &request.credentials {
//!     Credentials::Plain { username, password }
//!         if username == "admin" && password.expose() == b"secret" => AuthDecision::allow_as("admin"),
//!     _ => AuthDecision::deny(), // ERROR "400": the client does not retry
//! };
//! let mut pull = PullSocket::with_options(Options::default().plain_server().authenticator(check))?;
//! let mut monitor = pull.monitor();
//! let endpoint = pull.bind("tcp://127.0.0.1:0").await?;
//!
//! let mut push = PushSocket::with_options(Options::default().plain_client("admin", "secret"))?;
//! push.connect(&endpoint)?;
//! push.send("job").await?;
//! assert_eq!(pull.recv().await?.frames()[0], "job");
//! // Who the authenticator let in is reported with the handshake.
//! while let Some(event) = monitor.next_event().await {
//!     if let MonitorEvent::HandshakeSucceeded { auth: Some(auth), .. } = event {
//!         assert_eq!(auth.user_id, "admin");
//!         break;
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Without an authenticator, and failures
//!
//! As libzmq without a ZAP handler: **a PLAIN server without an authenticator refuses every
//! client; a CURVE server without one accepts any client that knows the server's public key.**
//!
//! A refused handshake is reported by [`MonitorEvent::HandshakeFailed`] with a typed reason:
//! on the server [`AuthError::Denied`] (or, for a CURVE client with the wrong server key,
//! [`AuthError::BadBox`]), on the client [`AuthError::Rejected`] with the server's ERROR reason
//! (e.g. `"400"`), after which the client stops reconnecting to that endpoint (it would present
//! the same credentials again). A temporary refusal ([`DenyStatus::Temporary`]) closes without
//! ERROR and the client retries; so does a client after a handshake timeout. The server keeps
//! serving its other clients throughout.
//!
//! The authenticated user id, properties and CURVE peer key are reported with
//! [`MonitorEvent::HandshakeSucceeded`]'s `auth` field, and for each received message by
//! `recv_with_peer`, whose [`Peer::auth`] holds them (what libzmq's `zmq_msg_gets` gives).
//!
//! # Performance
//!
//! Each connection is one task; messages move between the application and that task in
//! batches. On tokio's `current_thread` runtime the hand-off never crosses threads, which on
//! the 2-core benchmark machine gives about 1.4–1.5× the throughput of the default
//! multi-thread runtime for 1 and 64 byte messages (latency measured the same on both); the
//! `zmtp perf` tool uses it by default. From 1 KiB up the two are within run-to-run noise, and a
//! multi-thread runtime pays off for processes that do heavy work of their own. See
//! `bench/README.md` in the repository for the numbers.
//!
//! **Use sockets from spawned tasks.** On `current_thread`, a connection task waking a spawned
//! task queues it at once, but waking the future given to `block_on` (the body of
//! `#[tokio::main]`) makes the scheduler poll the I/O driver first, one extra `epoll_wait` per
//! wake-up: on the benchmark machine, 2–3% of a round trip's latency.
//!
//! **CURVE and small messages.** Every CURVE message is sealed with a fresh Poly1305 key. The
//! `poly1305` 0.8 crate (RustCrypto, used through `crypto_box`) picks an AVX2 backend at run
//! time whose per-key setup dominates short messages: on the benchmark machine 64-byte CURVE
//! throughput was 375k msg/s with it and 1.27M msg/s (libzmq: 875k) with its portable backend.
//! Build your binary with `RUSTFLAGS='--cfg poly1305_force_soft'` to select the portable one
//! (`bench/results/2026-11-28-curve.md` has the measurement). NULL and PLAIN are unaffected.
//!
//! # Monitoring and logging
//!
//! [`Socket::monitor`] gives a stream of [`MonitorEvent`]s: listening, accepted, connected,
//! connect retried, handshake succeeded, handshake failed (with a typed reason), disconnected,
//! closed, and a publisher's drop episodes at a subscriber's high-water mark. Handshake
//! succeeded and disconnected name the peer ([`Peer`]: its address, identity, routing id,
//! properties and security), so a ROUTER learns which routing id came and which left.
//!
//! Through `tracing`, each TCP or IPC connection runs in an `info` span `zmtp.connection`
//! with the fields `socket`, `endpoint`, `peer_addr`, `mechanism`, and once the handshake
//! completes `peer_socket` and (on a PLAIN or CURVE server with an authenticator) `user_id`;
//! a dropped connection is logged inside it at `info` level.
//!
//! With the feature `metrics`, every socket counts through the
//! [`metrics`](https://docs.rs/metrics) facade, whatever exporter the application installs,
//! whether or not it holds a monitor (each counter is labelled with the `socket` type; other
//! label values are fixed words, never text a peer chose):
//!
//! | counter | more labels | counts |
//! |---|---|---|
//! | `zmtp_connections_total` | `direction`: `accepted`, `connected` | transport connections made |
//! | `zmtp_handshakes_total` | | handshakes completed |
//! | `zmtp_handshake_failures_total` | `reason` | handshakes failed: `malformed`, `protocol`, `incompatible`, `authentication`, `peer_error`, `timeout`, `peer_disconnected`, `io`, `closed`, or the socket's refusal (`pair_taken`, `duplicate_identity`, `too_many_subscriptions`) |
//! | `zmtp_disconnects_total` | `reason` (as above) | established connections that ended |
//! | `zmtp_reconnects_total` | | connection attempts to be retried |
//! | `zmtp_messages_dropped_total` | `cause`: `hwm`, `unroutable`, `connect_stopped` | messages dropped at a peer's high-water mark (PUB, XPUB, ROUTER, REP), for a ROUTER's unknown identity, or queued for an endpoint that stopped reconnecting |
#![forbid(unsafe_code)]
// On docs.rs (nightly, `--cfg docsrs`): each feature-gated item is labelled with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod close_report;
mod endpoint;
mod engine;
mod error;
mod executor;
mod monitor;
mod options;
mod peer;
mod pipes;
mod proxy;
mod reconnect_stop;
mod router_notify;
mod security;
mod socket;
mod telemetry;
mod transport;
mod try_error;

/// In-memory transports (feature `test-util`): `mem://name` endpoints, and their listeners and
/// streams for tests that play a peer byte by byte. With tokio's paused clock they make a
/// socket's timing behaviour (heartbeats, reconnects, linger) deterministic.
#[cfg(feature = "test-util")]
pub mod testing {
    pub use crate::transport::memory::{connect_stream, MemoryListener, PIPE_CAPACITY};
}

/// The byte buffer frames are made of, re-exported so that building messages needs no
/// dependency of its own.
pub use bytes::Bytes;
pub use close_report::{CloseReport, Undelivered};
pub use endpoint::{Endpoint, IntoEndpoint};
pub use engine::inproc::Context;
pub use error::{Error, Result};
pub use executor::{Executor, Task};
pub use monitor::{DisconnectReason, Monitor, MonitorEvent, Refusal};
pub use options::{CurveKeys, Options};
pub use peer::Peer;
pub use proxy::{Proxy, ProxyControl, ProxyStats};
pub use reconnect_stop::ReconnectStop;
pub use router_notify::RouterNotify;
pub use security::{Authenticator, OsRandom, PeerAuth, Security};
pub use socket::{
    AnySocket, Dealer, Duplex, Kind, Pair, ProxySocket, Pub, Pull, Push, RecvMessage, Rep, Req,
    ReuniteError, RouteByIdentity, Router, SendMessage, Socket, SocketReceiver, SocketSender, Sub,
    Subscribe, XPub, XSub,
};
pub use transport::TcpTuning;
pub use try_error::{TryRecvError, TrySendError};
pub use zmtp_core::{
    AuthDecision, AuthError, AuthRequest, ConnectionError, Credentials, DenyStatus, KeyPair,
    Message, Metadata, PublicKey, SecretKey, SocketType,
};

/// A REQ socket: sends requests, receives replies.
pub type ReqSocket = Socket<Req>;
/// A REP socket: receives requests, sends replies.
pub type RepSocket = Socket<Rep>;
/// A PUB socket: publishes to subscribers.
pub type PubSocket = Socket<Pub>;
/// A SUB socket: receives what it subscribed to.
pub type SubSocket = Socket<Sub>;
/// A PUSH socket: sends down a pipeline.
pub type PushSocket = Socket<Push>;
/// A PULL socket: receives from a pipeline.
pub type PullSocket = Socket<Pull>;
/// A DEALER socket: sends round robin, receives fair-queued (an asynchronous REQ).
pub type DealerSocket = Socket<Dealer>;
/// A ROUTER socket: receives with the sender's identity in front, sends by identity.
pub type RouterSocket = Socket<Router>;
/// A PAIR socket: one peer, both directions.
pub type PairSocket = Socket<Pair>;
/// An XPUB socket: a publisher that receives subscriptions.
pub type XPubSocket = Socket<XPub>;
/// An XSUB socket: a subscriber that sends subscriptions as messages.
pub type XSubSocket = Socket<XSub>;
