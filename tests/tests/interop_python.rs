//! The first-ten-minutes example against a real pyzmq peer: `zmtp-tokio/examples/hello_python.py`
//! (a REP service, then a PUB feed) with zmtp's REQ and SUB doing what
//! `examples/hello_python.rs` does. pyzmq ships its own libzmq (4.3.5), another build than the
//! system's that the other interop tests use. `scripts/test` installs pyzmq when it is missing;
//! without it this test fails, it does not skip.

use std::time::Duration;

use zmtp_tests::python_peer::PythonPeer;
use zmtp_tests::socket_harness::within;
use zmtp_tokio::{ReqSocket, SubSocket};

const LIMIT: Duration = Duration::from_secs(10);

/// Starts the script on free ports; returns it with its REP and PUB endpoints.
fn start_python_peer() -> (PythonPeer, String, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zmtp-tokio/examples/hello_python.py"
    );
    let mut python = PythonPeer::start(script, &["*", "*"]);
    let (rep, publisher) = (python.line(), python.line());
    (python, rep, publisher)
}

#[tokio::test]
async fn the_hello_python_example_talks_to_pyzmq() {
    let (_python, rep, publisher) = start_python_peer();

    let mut client = ReqSocket::new();
    client.connect(rep.as_str()).unwrap();
    for name in ["Ada", "Grace", "Linus"] {
        let reply = within(LIMIT, "a reply from pyzmq", client.request(name))
            .await
            .unwrap();
        assert_eq!(reply.frames(), [format!("Hello, {name}, from Python")]);
    }

    let mut subscriber = SubSocket::new();
    subscriber.subscribe("weather.").unwrap();
    subscriber.connect(publisher.as_str()).unwrap();
    for _ in 0..3 {
        let update = within(LIMIT, "an update from pyzmq", subscriber.recv())
            .await
            .unwrap();
        // Only the subscribed prefix: the news never arrive.
        assert_eq!(update.frames(), ["weather.london", "12C"]);
    }
}
