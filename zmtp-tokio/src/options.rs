//! Socket options, with libzmq's defaults unless the table in the crate docs says otherwise.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zmtp_core::{KeyPair, Metadata, Password, PlainCredentials, PublicKey, SecretKey};

use crate::engine::inproc::Context;
use crate::executor::Executor;
use crate::reconnect_stop::ReconnectStop;
use crate::router_notify::RouterNotify;
use crate::security::{Authenticator, Security};
use crate::transport::TcpTuning;

/// Options of one socket. Set them before `bind`/`connect`; builder-style setters chain.
///
/// ```
/// use std::time::Duration;
/// use zmtp_tokio::Options;
/// let options = Options::default()
///     .send_hwm(10_000)
///     .heartbeat(Duration::from_secs(1), Duration::from_secs(3))
///     .linger(Some(Duration::ZERO));
/// assert_eq!(options.recv_hwm, 1000);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Messages queued per peer for sending before the peer counts as full (ZMQ_SNDHWM,
    /// default 1000). Whole messages are counted. 0 means no limit.
    pub send_hwm: usize,
    /// Messages queued per peer on the receive side before we stop reading from it, so that TCP
    /// pushes back on the sender (ZMQ_RCVHWM, default 1000). 0 means no limit.
    pub recv_hwm: usize,
    /// How long queued messages may still be delivered after the socket is dropped or closed
    /// (ZMQ_LINGER). `None` waits for ever. Default: 30 s (libzmq: for ever; see the
    /// deviations table).
    pub linger: Option<Duration>,
    /// Wait before reconnecting (ZMQ_RECONNECT_IVL, default 100 ms). Each wait adds a random
    /// jitter of up to one interval, as libzmq does.
    pub reconnect_interval: Duration,
    /// Upper bound of exponential backoff (ZMQ_RECONNECT_IVL_MAX). `None` (default): no backoff.
    pub reconnect_interval_max: Option<Duration>,
    /// When a connecting endpoint stops reconnecting (ZMQ_RECONNECT_STOP, default: never,
    /// except after a refused handshake).
    pub reconnect_stop: ReconnectStop,
    /// Time allowed for the ZMTP handshake (ZMQ_HANDSHAKE_IVL, default 30 s). `None`: unlimited.
    pub handshake_timeout: Option<Duration>,
    /// TCP keepalive and retransmission timeout of tcp:// connections (ZMQ_TCP_KEEPALIVE,
    /// _IDLE, _CNT, _INTVL, ZMQ_TCP_MAXRT; default: the operating system's).
    pub tcp: TcpTuning,
    /// PUSH, DEALER, REQ: a message is queued only to peers whose handshake has completed,
    /// never to a connection still being made or re-made, so that it cannot wait there while
    /// another peer is ready; with no such peer `send` waits (ZMQ_IMMEDIATE, default off).
    /// What a connecting peer queued before it went away stays queued for its return (libzmq
    /// drops it), and is reported undelivered at close.
    pub immediate: bool,
    /// Send a PING this often (ZMQ_HEARTBEAT_IVL, default off).
    pub heartbeat_interval: Option<Duration>,
    /// Drop the connection when nothing arrives this long after a PING (ZMQ_HEARTBEAT_TIMEOUT;
    /// default: the interval).
    pub heartbeat_timeout: Option<Duration>,
    /// The TTL announced in our PINGs: the peer drops us after that long without traffic
    /// (ZMQ_HEARTBEAT_TTL, default off).
    pub heartbeat_ttl: Option<Duration>,
    /// Largest message accepted from a peer, over all frames (ZMQ_MAXMSGSIZE). Default 16 MiB
    /// (libzmq: unlimited); `None` lifts the limit. A peer announcing more is disconnected on
    /// the frame header, before any of the body is buffered. It also bounds the frames of a
    /// message (`max_message_size / 32`, at least 64), since empty frames use none of the
    /// byte budget but still cost memory.
    pub max_message_size: Option<u64>,
    /// Our identity (ZMQ_ROUTING_ID), announced by REQ, DEALER and ROUTER; at most 255 bytes,
    /// not starting with a zero byte. Default empty.
    pub identity: Bytes,
    /// Extra READY properties (e.g. `X-Service`), visible to the peer.
    pub properties: Metadata,
    /// ROUTER: a message for an identity no connected peer has fails with
    /// [`Error::HostUnreachable`](crate::Error::HostUnreachable), and a message for a full peer
    /// waits, instead of both being dropped silently (ZMQ_ROUTER_MANDATORY, default off).
    pub router_mandatory: bool,
    /// ROUTER: a peer announcing an identity that another connected peer has takes it over
    /// and the older connection is closed, instead of the newcomer being refused
    /// (ZMQ_ROUTER_HANDOVER, default off).
    pub router_handover: bool,
    /// ROUTER: the application receives `[routing id, empty frame]` for each peer that
    /// completes its handshake ([`RouterNotify::CONNECT`]), and for each such peer that goes
    /// away ([`RouterNotify::DISCONNECT`]), after every message that peer sent
    /// (ZMQ_ROUTER_NOTIFY, libzmq 4.3's draft option, default none). Not for a peer closed by
    /// `disconnect`/`unbind` or whose identity another took over (`router_handover`): its
    /// queue is dropped, and the newcomer's connect names the identity. Unlike libzmq, a
    /// notification joins a full receive queue instead of being lost.
    pub router_notify: RouterNotify,
    /// ROUTER, DEALER, REQ: each new connection first sends the peer an empty message (one
    /// empty frame), right after the handshake and ahead of anything queued, so that a
    /// ROUTER peer learns the routing id at once (ZMQ_PROBE_ROUTER, default off). Sent on
    /// every connection, reconnections included (libzmq writes it once per pipe: for a
    /// `connect`, only on the first connection). Other kinds ignore it.
    pub probe_router: bool,
    /// XPUB: every subscription message reaches the application, not only those for topics
    /// new to the socket (ZMQ_XPUB_VERBOSE, default off).
    pub xpub_verbose: bool,
    /// XPUB: like [`xpub_verbose`](Self::xpub_verbose), and every cancellation reaches the
    /// application too, not only the last one of a topic (a subscriber leaving reports each
    /// of its topics) (ZMQ_XPUB_VERBOSER, default off). It implies verbose, as in libzmq.
    pub xpub_verboser: bool,
    /// PUB, XPUB: a subscriber whose queue is at its high-water mark holds the message back
    /// instead of missing it: `send` waits until every matching subscriber has room, and
    /// `try_send` and `publish` fail with [`Error::WouldBlock`](crate::Error::WouldBlock)
    /// without queuing it for anyone (ZMQ_XPUB_NODROP, default off: such a subscriber misses
    /// the message, counted in `dropped_messages`).
    pub xpub_nodrop: bool,
    /// XPUB: subscriptions are not applied by the socket. Every subscription and cancellation
    /// reaches the application, which decides with `subscribe`/`unsubscribe` on the XPUB:
    /// they apply to the subscriber the last received message came from (ZMQ_XPUB_MANUAL,
    /// default off; libzmq's ZMQ_SUBSCRIBE/ZMQ_UNSUBSCRIBE on a manual XPUB).
    pub xpub_manual: bool,
    /// XPUB: a message queued first to every subscriber when it connects, and again after each
    /// reconnect (ZMQ_XPUB_WELCOME_MSG, default none). A subscriber gets it only if it
    /// subscribed to a prefix of it before connecting, as with libzmq. (libzmq writes it only
    /// once its application calls into the XPUB, usually to read the subscription; here it goes
    /// as the subscriber is admitted.)
    pub xpub_welcome_msg: Option<Bytes>,
    /// PUB, XPUB: a message goes to the subscribers none of whose subscriptions match it; SUB:
    /// receives the messages its subscriptions do not match (ZMQ_INVERT_MATCHING, default off).
    /// Set it on both sides, as libzmq asks.
    pub invert_matching: bool,
    /// PUSH, PULL, PUB, SUB, DEALER: each queue keeps only the newest message, so a reader
    /// gets the latest state instead of a backlog, and sending never waits (ZMQ_CONFLATE,
    /// default off; the high-water marks are then ignored). A multipart message is kept
    /// whole (libzmq keeps one of its parts). Other kinds ignore it, as libzmq's do.
    pub conflate: bool,
    /// REQ: each request carries a request-id frame (4 bytes, before the empty delimiter) that
    /// the REP side echoes, and a reply without the current id is dropped (ZMQ_REQ_CORRELATE,
    /// default off). With [`req_relaxed`](Self::req_relaxed), a late reply to an abandoned
    /// request can then never be taken for the reply to the current one.
    pub req_correlate: bool,
    /// REQ: a new request may be sent before the reply to the previous one arrived; the old
    /// request is abandoned (ZMQ_REQ_RELAXED, default off: `send` then fails with
    /// `InvalidState`). Use it with [`req_correlate`](Self::req_correlate) to recover from a
    /// lost reply or a dead server without making a new socket.
    pub req_relaxed: bool,
    /// The security mechanism and role (default NULL); see the builder methods
    /// [`plain_client`](Self::plain_client), [`plain_server`](Self::plain_server),
    /// [`curve_server`](Self::curve_server) and [`curve_client`](Self::curve_client).
    pub security: Security,
    /// The authentication hook of a PLAIN or CURVE server (libzmq's ZAP handler). Without one,
    /// a PLAIN server refuses every client and a CURVE server accepts every client that knows
    /// its public key, as libzmq without a ZAP handler. Ignored by clients and NULL sockets.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Where `inproc://` names are bound and looked up: the process-wide context unless set
    /// (libzmq: the context the socket was created in).
    pub context: Context,
    /// What runs the socket's tasks (listeners, connections): tokio's `spawn` unless set.
    pub executor: Option<Arc<dyn Executor>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            send_hwm: 1000,
            recv_hwm: 1000,
            linger: Some(Duration::from_secs(30)),
            reconnect_interval: Duration::from_millis(100),
            reconnect_interval_max: None,
            reconnect_stop: ReconnectStop::NEVER,
            handshake_timeout: Some(zmtp_core::DEFAULT_HANDSHAKE_TIMEOUT),
            tcp: TcpTuning::default(),
            immediate: false,
            heartbeat_interval: None,
            heartbeat_timeout: None,
            heartbeat_ttl: None,
            max_message_size: Some(zmtp_core::DEFAULT_MAX_MESSAGE_SIZE),
            identity: Bytes::new(),
            properties: Metadata::new(),
            router_mandatory: false,
            router_handover: false,
            router_notify: RouterNotify::NONE,
            probe_router: false,
            xpub_verbose: false,
            xpub_verboser: false,
            xpub_nodrop: false,
            xpub_manual: false,
            xpub_welcome_msg: None,
            invert_matching: false,
            conflate: false,
            req_correlate: false,
            req_relaxed: false,
            security: Security::Null,
            authenticator: None,
            context: Context::global(),
            executor: None,
        }
    }
}

impl Options {
    /// Sets [`send_hwm`](Self::send_hwm).
    pub fn send_hwm(mut self, messages: usize) -> Self {
        self.send_hwm = messages;
        self
    }

    /// Sets [`recv_hwm`](Self::recv_hwm).
    pub fn recv_hwm(mut self, messages: usize) -> Self {
        self.recv_hwm = messages;
        self
    }

    /// Sets [`linger`](Self::linger).
    pub fn linger(mut self, linger: Option<Duration>) -> Self {
        self.linger = linger;
        self
    }

    /// Sets the reconnect interval and its backoff maximum.
    pub fn reconnect(mut self, interval: Duration, max: Option<Duration>) -> Self {
        self.reconnect_interval = interval;
        self.reconnect_interval_max = max;
        self
    }

    /// Sets [`handshake_timeout`](Self::handshake_timeout).
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets [`reconnect_stop`](Self::reconnect_stop).
    pub fn reconnect_stop(mut self, stop: ReconnectStop) -> Self {
        self.reconnect_stop = stop;
        self
    }

    /// Sets [`immediate`](Self::immediate).
    pub fn immediate(mut self, on: bool) -> Self {
        self.immediate = on;
        self
    }

    /// Switches TCP keepalive on or off ([`TcpTuning::keepalive`]).
    pub fn tcp_keepalive(mut self, on: bool) -> Self {
        self.tcp.keepalive = Some(on);
        self
    }

    /// Sets the idle time before the first keepalive probe ([`TcpTuning::keepalive_idle`]).
    pub fn tcp_keepalive_idle(mut self, idle: Duration) -> Self {
        self.tcp.keepalive_idle = Some(idle);
        self
    }

    /// Sets the time between keepalive probes ([`TcpTuning::keepalive_interval`]).
    pub fn tcp_keepalive_interval(mut self, interval: Duration) -> Self {
        self.tcp.keepalive_interval = Some(interval);
        self
    }

    /// Sets how many unanswered probes drop the connection ([`TcpTuning::keepalive_count`]).
    pub fn tcp_keepalive_count(mut self, probes: u32) -> Self {
        self.tcp.keepalive_count = Some(probes);
        self
    }

    /// Sets the retransmission timeout ([`TcpTuning::max_retransmit_timeout`]).
    pub fn tcp_max_retransmit_timeout(mut self, timeout: Duration) -> Self {
        self.tcp.max_retransmit_timeout = Some(timeout);
        self
    }

    /// Turns heartbeats on: a PING every `interval`, the connection dropped when nothing arrives
    /// within `timeout` after one.
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat_interval = Some(interval);
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// Sets [`heartbeat_ttl`](Self::heartbeat_ttl).
    pub fn heartbeat_ttl(mut self, ttl: Duration) -> Self {
        self.heartbeat_ttl = Some(ttl);
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    pub fn max_message_size(mut self, bytes: Option<u64>) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets [`identity`](Self::identity).
    pub fn identity(mut self, identity: impl Into<Bytes>) -> Self {
        self.identity = identity.into();
        self
    }

    /// Sets [`security`](Self::security).
    pub fn security(mut self, security: Security) -> Self {
        self.security = security;
        self
    }

    /// A PLAIN client presenting this user name and password (each at most 255 bytes; longer
    /// ones make socket creation fail). PLAIN sends them in clear text: use it on trusted
    /// networks only.
    pub fn plain_client(
        mut self,
        username: impl Into<Bytes>,
        password: impl Into<Password>,
    ) -> Self {
        self.security = Security::PlainClient(PlainCredentials::new(username, password));
        self
    }

    /// A PLAIN server. Give it an [`authenticator`](Self::authenticator): without one it
    /// refuses every client.
    pub fn plain_server(mut self) -> Self {
        self.security = Security::PlainServer;
        self
    }

    /// A CURVE server with this long-term key pair (a [`KeyPair`], or its [`SecretKey`], from
    /// which the public key is derived). Without an [`authenticator`](Self::authenticator) it
    /// accepts every client that knows its public key.
    pub fn curve_server(mut self, keys: impl Into<CurveKeys>) -> Self {
        self.security = Security::CurveServer {
            keys: keys.into().0,
        };
        self
    }

    /// A CURVE client of the server whose public key is `server_key`, proving `keys` (the
    /// client's long-term key pair, which the server's authenticator sees the public half of).
    /// With `None`, each socket made with these options generates a fresh key pair from the
    /// operating system's random generator, for servers that accept any client.
    pub fn curve_client(mut self, server_key: PublicKey, keys: Option<KeyPair>) -> Self {
        self.security = Security::CurveClient { server_key, keys };
        self
    }

    /// Sets [`context`](Self::context): the scope of this socket's inproc names.
    pub fn context(mut self, context: &Context) -> Self {
        self.context = context.clone();
        self
    }

    /// Sets [`executor`](Self::executor): the socket's tasks run there instead of on tokio's
    /// `spawn`.
    pub fn executor(mut self, executor: Arc<dyn Executor>) -> Self {
        self.executor = Some(executor);
        self
    }

    /// Sets [`router_mandatory`](Self::router_mandatory).
    pub fn router_mandatory(mut self, on: bool) -> Self {
        self.router_mandatory = on;
        self
    }

    /// Sets [`router_handover`](Self::router_handover).
    pub fn router_handover(mut self, on: bool) -> Self {
        self.router_handover = on;
        self
    }

    /// Sets [`router_notify`](Self::router_notify).
    pub fn router_notify(mut self, notify: RouterNotify) -> Self {
        self.router_notify = notify;
        self
    }

    /// Sets [`probe_router`](Self::probe_router).
    pub fn probe_router(mut self, on: bool) -> Self {
        self.probe_router = on;
        self
    }

    /// Sets [`xpub_verbose`](Self::xpub_verbose); like libzmq's ZMQ_XPUB_VERBOSE, it also
    /// turns [`xpub_verboser`](Self::xpub_verboser) off.
    pub fn xpub_verbose(mut self, on: bool) -> Self {
        self.xpub_verbose = on;
        self.xpub_verboser = false;
        self
    }

    /// Sets [`xpub_verboser`](Self::xpub_verboser), and [`xpub_verbose`](Self::xpub_verbose)
    /// with it, as libzmq's ZMQ_XPUB_VERBOSER does.
    pub fn xpub_verboser(mut self, on: bool) -> Self {
        self.xpub_verbose = on;
        self.xpub_verboser = on;
        self
    }

    /// Sets [`xpub_nodrop`](Self::xpub_nodrop).
    pub fn xpub_nodrop(mut self, on: bool) -> Self {
        self.xpub_nodrop = on;
        self
    }

    /// Sets [`xpub_manual`](Self::xpub_manual).
    pub fn xpub_manual(mut self, on: bool) -> Self {
        self.xpub_manual = on;
        self
    }

    /// Sets [`xpub_welcome_msg`](Self::xpub_welcome_msg).
    pub fn xpub_welcome_msg(mut self, message: impl Into<Bytes>) -> Self {
        self.xpub_welcome_msg = Some(message.into());
        self
    }

    /// Sets [`invert_matching`](Self::invert_matching).
    pub fn invert_matching(mut self, on: bool) -> Self {
        self.invert_matching = on;
        self
    }

    /// Sets [`conflate`](Self::conflate).
    pub fn conflate(mut self, on: bool) -> Self {
        self.conflate = on;
        self
    }

    /// Sets [`req_correlate`](Self::req_correlate).
    pub fn req_correlate(mut self, on: bool) -> Self {
        self.req_correlate = on;
        self
    }

    /// Sets [`req_relaxed`](Self::req_relaxed).
    pub fn req_relaxed(mut self, on: bool) -> Self {
        self.req_relaxed = on;
        self
    }

    /// Sets the [`authenticator`](Self::authenticator) of a PLAIN or CURVE server, e.g. a
    /// closure `|request: &AuthRequest| -> AuthDecision`. It runs on the connection's task, so
    /// it must be quick.
    pub fn authenticator(mut self, authenticator: impl Authenticator) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// The connection configuration these options give for a socket type.
    pub(crate) fn connection_config(
        &self,
        socket_type: zmtp_core::SocketType,
    ) -> zmtp_core::Config {
        let mut config = zmtp_core::Config::new(socket_type);
        config.mechanism = self.security.mechanism_config();
        config.auth_requests = self.authenticator.is_some() && self.security.is_server();
        config.identity = self.identity.clone();
        config.properties = self.properties.clone();
        config.max_message_size = self.max_message_size;
        config.handshake_timeout = self.handshake_timeout;
        config.heartbeat.interval = self.heartbeat_interval;
        config.heartbeat.timeout = self.heartbeat_timeout;
        config.heartbeat.ttl = self.heartbeat_ttl;
        config
    }

    /// Bytes a peer's receive queue may hold before we stop reading from it, whatever the
    /// message count: 4 MiB. With large messages, `recv_hwm` of them would pile up to
    /// gigabytes (libzmq's receiver, read by its own I/O thread, rarely lets them pile up);
    /// this keeps memory per peer small. A single larger message still passes: the check is
    /// made before each message is queued.
    pub(crate) fn recv_byte_limit(&self) -> usize {
        4 * 1024 * 1024
    }
}

/// A CURVE long-term key pair, from a [`KeyPair`] or a [`SecretKey`] (whose public half is
/// derived); the argument of [`Options::curve_server`].
#[derive(Debug, Clone)]
pub struct CurveKeys(KeyPair);

impl From<KeyPair> for CurveKeys {
    fn from(keys: KeyPair) -> CurveKeys {
        CurveKeys(keys)
    }
}

impl From<SecretKey> for CurveKeys {
    fn from(secret: SecretKey) -> CurveKeys {
        CurveKeys(KeyPair::from_secret(secret))
    }
}
