//! Helpers for the PLAIN/CURVE interop tests: libzmq keys, a libzmq ZAP handler, libzmq
//! monitor events, and the authentication policies both sides use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use zmtp_tokio::{
    AuthDecision, AuthError, AuthRequest, ConnectionError, Credentials, DisconnectReason, PublicKey,
};

use super::*;

/// A libzmq CURVE key pair, with its public key as we parse it from Z85.
pub fn libzmq_keys() -> (zmq::CurveKeyPair, PublicKey) {
    let pair = zmq::CurveKeyPair::new().expect("zmq_curve_keypair");
    let public: PublicKey = zmq::z85_encode(&pair.public_key)
        .unwrap()
        .parse()
        .expect("libzmq's Z85 public key parses");
    (pair, public)
}

/// A libzmq ZAP handler on `ctx` answering with `decide(request) -> (status, user id)` until
/// stopped; returns every request it saw.
pub struct Zap {
    stop: Arc<AtomicBool>,
    handler: Blocking<Vec<Vec<Vec<u8>>>>,
}

impl Zap {
    pub fn start(
        ctx: &zmq::Context,
        decide: impl Fn(&[Vec<u8>]) -> (&'static str, &'static str) + Send + 'static,
    ) -> Zap {
        let zap = ctx.socket(zmq::REP).unwrap();
        zap.set_rcvtimeo(50).unwrap();
        zap.set_sndtimeo(TIMEOUT_MS).unwrap();
        zap.set_linger(0).unwrap();
        zap.bind("inproc://zeromq.zap.01")
            .expect("bind the ZAP endpoint");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let handler = blocking("libzmq-zap", move || {
            let mut seen = Vec::new();
            while !stopped.load(Ordering::SeqCst) {
                let request = match zap.recv_multipart(0) {
                    Ok(request) => request,
                    Err(zmq::Error::EAGAIN) => continue,
                    Err(e) => panic!("ZAP recv: {e}"),
                };
                assert_eq!(request[0], b"1.0", "ZAP version");
                let (status, user) = decide(&request);
                let text = if status == "200" { "OK" } else { "denied" };
                let reply: [&[u8]; 6] = [
                    b"1.0",
                    &request[1],
                    status.as_bytes(),
                    text.as_bytes(),
                    user.as_bytes(),
                    b"",
                ];
                send(&zap, &reply, "ZAP reply");
                seen.push(request);
            }
            seen
        });
        Zap { stop, handler }
    }

    pub async fn stop(self) -> Vec<Vec<Vec<u8>>> {
        self.stop.store(true, Ordering::SeqCst);
        self.handler.join().await
    }
}

/// ZAP policy: PLAIN user `alice` with password `wonderland` only.
pub fn zap_alice(request: &[Vec<u8>]) -> (&'static str, &'static str) {
    if request[5] == b"PLAIN" && request[6] == b"alice" && request[7] == b"wonderland" {
        ("200", "alice")
    } else {
        ("400", "")
    }
}

/// Our authenticator: PLAIN user `alice` with password `wonderland` only.
pub fn alice_only(request: &AuthRequest) -> AuthDecision {
    match &request.credentials {
        Credentials::Plain { username, password }
            if username == "alice" && password.expose() == b"wonderland" =>
        {
            AuthDecision::allow_as("alice")
        }
        _ => AuthDecision::deny(),
    }
}

/// A libzmq socket monitor (a PAIR socket receiving the events of `s`).
pub fn libzmq_monitor(ctx: &zmq::Context, s: &zmq::Socket, name: &str) -> zmq::Socket {
    let endpoint = format!("inproc://monitor-{name}");
    s.monitor(&endpoint, zmq::SocketEvent::ALL as i32)
        .expect("zmq_socket_monitor");
    let monitor = socket(ctx, zmq::PAIR);
    monitor.connect(&endpoint).unwrap();
    monitor
}

/// Waits (libzmq receive timeout) for a monitor event of one of the kinds `wanted`.
pub fn libzmq_event(monitor: &zmq::Socket, wanted: &[zmq::SocketEvent]) -> (u16, u32) {
    loop {
        let frames = recv(monitor, "libzmq monitor event");
        let event = u16::from_ne_bytes([frames[0][0], frames[0][1]]);
        let value = u32::from_ne_bytes([frames[0][2], frames[0][3], frames[0][4], frames[0][5]]);
        if wanted.iter().any(|w| w.to_raw() == event) {
            return (event, value);
        }
    }
}

/// Whether `reason` is libzmq's ERROR "400" as we report it.
pub fn is_rejected_400(reason: &DisconnectReason) -> bool {
    matches!(
        reason,
        DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Rejected { reason }))
            if reason == "400"
    )
}
