//! zmtp's side of a cell, through the library (zmtp-tokio's `AnySocket`): its sockets, what it
//! sends, and the check of what comes back.

use std::time::Duration;

use zmtp_interop::{keys, END};
use zmtp_tokio::{
    AnySocket, AuthDecision, AuthRequest, Bytes, KeyPair, Message, MonitorEvent, Options,
    PublicKey, SecretKey, SocketType,
};

/// How long zmtp waits for any one expected message.
const RECV_TIMEOUT: Duration = Duration::from_secs(30);

/// Security of zmtp's side; the peer takes the other role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mech {
    /// NULL.
    Null,
    /// PLAIN; zmtp is the server when `server`.
    Plain { server: bool },
    /// CURVE; zmtp is the server when `server`.
    Curve { server: bool },
}

impl Mech {
    /// The peer's driver option for the opposite role.
    pub fn peer_option(self) -> Option<&'static str> {
        match self {
            Mech::Null => None,
            Mech::Plain { server: true } => Some("plain-client"),
            Mech::Plain { server: false } => Some("plain-server"),
            Mech::Curve { server: true } => Some("curve-client"),
            Mech::Curve { server: false } => Some("curve-server"),
        }
    }

    fn apply(self, options: Options) -> Options {
        match self {
            Mech::Null => options,
            Mech::Plain { server: true } => options
                .plain_server()
                .authenticator(|_: &AuthRequest| AuthDecision::allow_as(keys::USERNAME)),
            Mech::Plain { server: false } => options.plain_client(keys::USERNAME, keys::PASSWORD),
            Mech::Curve { server: true } => options.curve_server(key_pair(keys::SERVER_SECRET)),
            Mech::Curve { server: false } => options.curve_client(
                PublicKey::from_z85(keys::SERVER_PUBLIC).expect("Z85 key"),
                Some(key_pair(keys::CLIENT_SECRET)),
            ),
        }
    }
}

fn key_pair(secret: &str) -> KeyPair {
    KeyPair::from_secret(SecretKey::from_z85(secret).expect("Z85 key"))
}

/// One of zmtp's sockets for a cell.
pub struct Ours {
    socket: AnySocket,
    /// Made with the socket, so that a failure can say what happened to its connections.
    events: zmtp_tokio::Monitor,
}

impl Ours {
    /// A socket of `kind` with `mech`, heartbeats (100 ms, timeout 1 s) when `heartbeat`,
    /// reconnecting every 100 ms.
    pub fn new(kind: &str, mech: Mech, heartbeat: bool) -> Result<Ours, String> {
        let kind = SocketType::from_wire(kind.as_bytes()).ok_or("unknown socket type")?;
        let mut options = mech.apply(Options::default().linger(Some(Duration::from_secs(5))));
        if heartbeat {
            options = options.heartbeat(Duration::from_millis(100), Duration::from_secs(1));
        }
        let socket = AnySocket::new(kind, options).map_err(|e| format!("zmtp socket: {e}"))?;
        let events = socket.monitor();
        Ok(Ours { socket, events })
    }

    /// Binds (port 0 allowed) and returns the real endpoint.
    pub async fn bind(&self, endpoint: &str) -> Result<String, String> {
        let bound = self.socket.bind(endpoint).await;
        bound
            .map(|e| e.to_string())
            .map_err(|e| format!("zmtp bind: {e}"))
    }

    /// Connects (in the background).
    pub fn connect(&self, endpoint: &str) -> Result<(), String> {
        self.socket
            .connect(endpoint)
            .map_err(|e| format!("zmtp connect: {e}"))
    }

    /// Subscribes (SUB).
    pub fn subscribe(&self, topic: &[u8]) -> Result<(), String> {
        self.socket
            .subscribe(Bytes::copy_from_slice(topic))
            .map_err(|e| format!("zmtp subscribe: {e}"))
    }

    /// The socket's monitor.
    pub fn monitor(&self) -> zmtp_tokio::Monitor {
        self.socket.monitor()
    }

    /// Sends one message.
    pub async fn send(&mut self, message: &Message) -> Result<(), String> {
        let send = tokio::time::timeout(RECV_TIMEOUT, self.socket.send(message.clone()));
        let sent = tokio::select! {
            sent = send => sent,
            refusal = refused(&mut self.events) => return Err(refusal),
        };
        match sent {
            Err(_) => Err(format!("zmtp send blocked for {RECV_TIMEOUT:?}")),
            Ok(result) => result.map_err(|e| format!("zmtp send: {e}")),
        }
    }

    /// Receives one message within `limit`.
    pub async fn recv_within(&mut self, limit: Duration) -> Result<Option<Message>, String> {
        let recv = tokio::time::timeout(limit, self.socket.recv());
        let received = tokio::select! {
            received = recv => received,
            refusal = refused(&mut self.events) => return Err(refusal),
        };
        match received {
            Err(_) => Ok(None),
            Ok(result) => result.map(Some).map_err(|e| format!("zmtp recv: {e}")),
        }
    }

    /// Receives one message, failing after [`RECV_TIMEOUT`].
    pub async fn recv(&mut self, what: &str) -> Result<Message, String> {
        self.recv_within(RECV_TIMEOUT)
            .await?
            .ok_or_else(|| format!("timed out ({RECV_TIMEOUT:?}) waiting for {what}"))
    }

    /// The handshake failures and disconnections reported so far, for a failure's reason.
    pub fn troubles(&mut self) -> Vec<String> {
        use futures::FutureExt;
        let mut troubles = Vec::new();
        while let Some(Some(event)) = self.events.next_event().now_or_never() {
            match event {
                MonitorEvent::HandshakeFailed { reason, .. } => {
                    troubles.push(format!("handshake failed: {reason:?}"))
                }
                MonitorEvent::Disconnected { reason, .. } => {
                    troubles.push(format!("disconnected: {reason:?}"))
                }
                MonitorEvent::HighWaterMarkReached { .. } => {
                    troubles.push("dropped at a subscriber's high-water mark".into())
                }
                MonitorEvent::MessagesDropped { messages, .. } => {
                    troubles.push(format!("{messages} messages dropped for a subscriber"))
                }
                _ => {}
            }
        }
        troubles.dedup();
        let kind = self.socket.socket_type();
        troubles
            .into_iter()
            .map(|t| format!("{kind:?} {t}"))
            .collect()
    }

    /// Closes, delivering what is queued (linger 5 s).
    pub async fn close(self) {
        self.socket.close().await;
    }
}

/// The first failed handshake the monitor reports: every cell's handshake must succeed, so
/// the cell fails at once instead of waiting for messages that cannot come (a peer speaking
/// an older protocol, refused credentials).
async fn refused(events: &mut zmtp_tokio::Monitor) -> String {
    loop {
        match events.next_event().await {
            Some(MonitorEvent::HandshakeFailed { reason, .. }) => {
                return format!("handshake failed: {reason:?}")
            }
            Some(_) => {}
            None => std::future::pending::<()>().await,
        }
    }
}

/// Whether a message is the last of a scenario.
pub fn is_end(message: &Message) -> bool {
    message.frames().last().is_some_and(|f| f[..] == *END)
}

/// A short description of a message, for failure reports.
pub fn describe(message: &Message) -> String {
    let frames: Vec<String> = message
        .frames()
        .iter()
        .take(4)
        .map(|f| {
            if f.len() > 12 {
                format!("<{} bytes>", f.len())
            } else {
                format!("{:?}", String::from_utf8_lossy(f))
            }
        })
        .collect();
    let more = if message.len() > 4 { ", ..." } else { "" };
    format!("[{}{more}] ({} frames)", frames.join(", "), message.len())
}

/// Whether the monitor reported a connection lost since it was made (events already queued).
pub fn disconnected(monitor: &mut zmtp_tokio::Monitor) -> Option<String> {
    use futures::FutureExt;
    while let Some(Some(event)) = monitor.next_event().now_or_never() {
        if let MonitorEvent::Disconnected { reason, .. } = event {
            return Some(format!("{reason:?}"));
        }
    }
    None
}
