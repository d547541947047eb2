//! Endpoints per transport and waiting helpers shared by the tests.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use zmtp_blocking::{Error, Message, Socket};

/// A receive timeout long enough never to fire on a healthy run: it turns a hang into a failure.
pub const LIMIT: Duration = Duration::from_secs(10);

/// The transports every test runs over (ipc only on Unix).
pub fn transports() -> Vec<&'static str> {
    let mut all = vec!["tcp", "inproc"];
    if cfg!(unix) {
        all.push("ipc");
    }
    all
}

/// A fresh endpoint to bind on `transport` (tcp with port 0: read the bound one back).
pub fn endpoint(transport: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("zmtp-blocking-{}-{n}", std::process::id());
    match transport {
        "tcp" => "tcp://127.0.0.1:0".into(),
        "inproc" => format!("inproc://{name}"),
        "ipc" => format!("ipc://{}", std::env::temp_dir().join(name).display()),
        other => panic!("unknown transport {other}"),
    }
}

/// Binds `binder` on a fresh endpoint of `transport` and connects `connecter` to it; both get
/// the receive timeout [`LIMIT`], so that a lost message fails the test instead of hanging it.
pub fn link(binder: &mut Socket, connecter: &mut Socket, transport: &str) {
    binder.set_recv_timeout(Some(LIMIT));
    connecter.set_recv_timeout(Some(LIMIT));
    let bound = binder.bind(endpoint(transport)).expect("bind");
    connecter.connect(&bound).expect("connect");
}

/// The first frame of `message`, as text.
pub fn text(message: &Message) -> String {
    String::from_utf8_lossy(&message.frames()[0]).into_owned()
}

/// A message of text frames.
pub fn message(frames: &[&str]) -> Message {
    frames.iter().map(|f| f.to_string()).collect()
}

/// All frames of `message`, as text.
pub fn frames(message: &Message) -> Vec<String> {
    message
        .frames()
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// Publishes `message` until `sub` receives it (subscriptions reach a publisher later).
pub fn publish_until_received(
    publisher: &mut Socket,
    sub: &mut Socket,
    message: &Message,
) -> Message {
    sub.set_recv_timeout(Some(Duration::from_millis(20)));
    for _ in 0..500 {
        publisher.send(message.clone()).expect("publish");
        match sub.recv() {
            Ok(received) => return received,
            Err(Error::TimedOut) => continue,
            Err(e) => panic!("subscriber: {e}"),
        }
    }
    panic!("nothing published arrived in 10 s")
}
