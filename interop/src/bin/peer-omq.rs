//! Interop driver for omq-tokio (`PROTOCOL.md`): its sockets under the shared command loop.

use std::time::Duration;

use bytes::Bytes;
use omq_tokio::{
    Context, CurveKeypair, CurvePublicKey, CurveSecretKey, Message, Options, Socket, SocketType,
};
use zmtp_interop::command::{Command, SocketSpec};
use zmtp_interop::keys;
use zmtp_interop::peer_loop::{self, Opener, PeerSocket};

struct Omq(Socket);

impl PeerSocket for Omq {
    async fn recv(&mut self) -> Result<Vec<Bytes>, String> {
        let message = self.0.recv().await.map_err(|e| format!("recv: {e}"))?;
        Ok(message.iter().collect())
    }

    async fn send(&mut self, frames: Vec<Bytes>) -> Result<(), String> {
        self.0
            .send(Message::multipart(frames))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    async fn close(self) {
        let _ = self.0.close().await;
    }
}

fn kind(name: &str) -> Result<SocketType, String> {
    Ok(match name {
        "REQ" => SocketType::Req,
        "REP" => SocketType::Rep,
        "DEALER" => SocketType::Dealer,
        "ROUTER" => SocketType::Router,
        "PUSH" => SocketType::Push,
        "PULL" => SocketType::Pull,
        "PUB" => SocketType::Pub,
        "SUB" => SocketType::Sub,
        "PAIR" => SocketType::Pair,
        other => return Err(format!("no socket type {other}")),
    })
}

fn key_pair(public: &str, secret: &str) -> CurveKeypair {
    CurveKeypair {
        public: CurvePublicKey::from_z85(public).expect("Z85"),
        secret: CurveSecretKey::from_z85(secret).expect("Z85"),
    }
}

struct OmqOpener(Context);

impl Opener for OmqOpener {
    type Socket = Omq;

    async fn open(&self, spec: &SocketSpec, command: &Command) -> Result<Omq, String> {
        // omq's default linger is 0, which would drop the last echo on close.
        let mut options = Options::default().linger(Duration::from_secs(5));
        for option in &command.options {
            options = match option.as_str() {
                "plain-server" => {
                    options.plain_server_credentials([(keys::USERNAME, keys::PASSWORD)])
                }
                "plain-client" => options.plain_client(keys::USERNAME, keys::PASSWORD),
                "curve-server" => {
                    options.curve_server(key_pair(keys::SERVER_PUBLIC, keys::SERVER_SECRET))
                }
                "curve-client" => options.curve_client(
                    key_pair(keys::CLIENT_PUBLIC, keys::CLIENT_SECRET),
                    CurvePublicKey::from_z85(keys::SERVER_PUBLIC).expect("Z85"),
                ),
                "hb" => options
                    .heartbeat_interval(Duration::from_millis(100))
                    .heartbeat_timeout(Duration::from_secs(1)),
                _ if option.starts_with("sub=") => options,
                other => return Err(format!("unknown option {other}")),
            };
        }
        let socket = self.0.socket(kind(&spec.kind)?, options);
        if spec.kind == "SUB" {
            for topic in command.subscriptions() {
                socket
                    .subscribe(Bytes::copy_from_slice(topic.as_bytes()))
                    .await
                    .map_err(|e| format!("subscribe: {e}"))?;
            }
        }
        let placed = if spec.bind {
            socket.bind(spec.endpoint.as_str()).await.map(|_| ())
        } else {
            socket.connect(spec.endpoint.as_str()).await.map(|_| ())
        };
        placed.map_err(|e| format!("{}: {e}", spec.endpoint))?;
        Ok(Omq(socket))
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The version pinned in Cargo.toml (`=`), so this line and the lock file agree.
    let version = "omq-tokio 0.33.0";
    peer_loop::run(version, OmqOpener(Context::current())).await;
}
