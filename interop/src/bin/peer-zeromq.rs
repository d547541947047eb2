//! Interop driver for the `zeromq` crate, zmq.rs (`PROTOCOL.md`): its sockets under the shared
//! command loop. It has NULL only, no PAIR and no heartbeats.

use bytes::Bytes;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};
use zmtp_interop::command::{Command, SocketSpec};
use zmtp_interop::peer_loop::{self, Opener, PeerSocket};

/// One socket of any of the crate's types (each is its own struct).
enum Zmq {
    Req(zeromq::ReqSocket),
    Rep(zeromq::RepSocket),
    Dealer(zeromq::DealerSocket),
    Router(zeromq::RouterSocket),
    Push(zeromq::PushSocket),
    Pull(zeromq::PullSocket),
    Pub(zeromq::PubSocket),
    Sub(zeromq::SubSocket),
}

/// Runs `$body` with `$s` bound to the socket, whatever its type.
macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Zmq::Req($s) => $body,
            Zmq::Rep($s) => $body,
            Zmq::Dealer($s) => $body,
            Zmq::Router($s) => $body,
            Zmq::Push($s) => $body,
            Zmq::Pull($s) => $body,
            Zmq::Pub($s) => $body,
            Zmq::Sub($s) => $body,
        }
    };
}

impl PeerSocket for Zmq {
    async fn recv(&mut self) -> Result<Vec<Bytes>, String> {
        let message = match self {
            Zmq::Req(s) => s.recv().await,
            Zmq::Rep(s) => s.recv().await,
            Zmq::Dealer(s) => s.recv().await,
            Zmq::Router(s) => s.recv().await,
            Zmq::Pull(s) => s.recv().await,
            Zmq::Sub(s) => s.recv().await,
            Zmq::Push(_) | Zmq::Pub(_) => return Err("this socket type does not receive".into()),
        };
        message
            .map(ZmqMessage::into_vec)
            .map_err(|e| format!("recv: {e}"))
    }

    async fn send(&mut self, frames: Vec<Bytes>) -> Result<(), String> {
        let mut message = ZmqMessage::try_from(frames).map_err(|e| format!("message: {e:?}"))?;
        // zeromq hands a message back instead of queueing it while no peer is connected (RFC
        // 28 lets a REQ "block, or return a suitable error"): offer it again until a peer is
        // there (the command loop's timeout bounds this).
        loop {
            match self.send_once(message).await {
                Err(zeromq::ZmqError::ReturnToSender { message: back, .. }) => {
                    message = back;
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                sent => return sent.map_err(|e| format!("send: {e}")),
            }
        }
    }

    async fn close(self) {
        each!(self, s => { s.close().await; });
    }
}

impl Zmq {
    async fn send_once(&mut self, message: ZmqMessage) -> zeromq::ZmqResult<()> {
        match self {
            Zmq::Req(s) => s.send(message).await,
            Zmq::Rep(s) => s.send(message).await,
            Zmq::Dealer(s) => s.send(message).await,
            Zmq::Router(s) => s.send(message).await,
            Zmq::Push(s) => s.send(message).await,
            Zmq::Pub(s) => s.send(message).await,
            Zmq::Pull(_) | Zmq::Sub(_) => {
                Err(zeromq::ZmqError::Other("this socket type does not send"))
            }
        }
    }
}

struct ZmqOpener;

impl Opener for ZmqOpener {
    type Socket = Zmq;

    async fn open(&self, spec: &SocketSpec, command: &Command) -> Result<Zmq, String> {
        if let Some(other) = command.options.iter().find(|o| !o.starts_with("sub=")) {
            return Err(format!("option not supported by zeromq: {other}"));
        }
        let mut socket = match spec.kind.as_str() {
            "REQ" => Zmq::Req(zeromq::ReqSocket::new()),
            "REP" => Zmq::Rep(zeromq::RepSocket::new()),
            "DEALER" => Zmq::Dealer(zeromq::DealerSocket::new()),
            "ROUTER" => Zmq::Router(zeromq::RouterSocket::new()),
            "PUSH" => Zmq::Push(zeromq::PushSocket::new()),
            "PULL" => Zmq::Pull(zeromq::PullSocket::new()),
            "PUB" => Zmq::Pub(zeromq::PubSocket::new()),
            "SUB" => Zmq::Sub(zeromq::SubSocket::new()),
            other => return Err(format!("zeromq has no {other} socket")),
        };
        if let Zmq::Sub(s) = &mut socket {
            for topic in command.subscriptions() {
                s.subscribe(topic)
                    .await
                    .map_err(|e| format!("subscribe: {e}"))?;
            }
        }
        let endpoint = spec.endpoint.as_str();
        let placed = each!(&mut socket, s => if spec.bind {
            s.bind(endpoint).await.map(|_| ())
        } else {
            s.connect(endpoint).await
        });
        placed.map_err(|e| format!("{endpoint}: {e}"))?;
        Ok(socket)
    }
}

#[tokio::main]
async fn main() {
    // The version pinned in Cargo.toml (`=`), so this line and the lock file agree.
    peer_loop::run("zeromq 0.7.0", ZmqOpener).await;
}
