//! libzmq's ZMQ_RCVTIMEO and ZMQ_SNDTIMEO: the typed errors, waiting at least the timeout,
//! and nothing lost by a call that timed out. Only generous upper bounds on wall time.

mod common;

use std::time::{Duration, Instant};

use common::{endpoint, text, LIMIT};
use zmtp_blocking::{Error, PullSocket, PushSocket};

const TIMEOUT: Duration = Duration::from_millis(50);

#[test]
fn recv_with_no_sender_times_out_after_the_timeout() {
    let mut pull = PullSocket::new().unwrap();
    pull.bind(endpoint("tcp")).unwrap();
    pull.set_recv_timeout(Some(TIMEOUT));
    let start = Instant::now();
    let result = pull.recv();
    let waited = start.elapsed();
    assert!(matches!(result, Err(Error::TimedOut)), "{result:?}");
    assert!(result.unwrap_err().is_again());
    assert!(waited >= TIMEOUT, "returned after {waited:?}");
    assert!(waited < Duration::from_secs(5), "returned after {waited:?}");
}

#[test]
fn zero_recv_timeout_never_waits() {
    let mut pull = PullSocket::new().unwrap();
    pull.bind(endpoint("inproc")).unwrap();
    pull.set_recv_timeout(Some(Duration::ZERO));
    let start = Instant::now();
    assert!(matches!(pull.recv(), Err(Error::WouldBlock)));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn send_with_no_peer_times_out_after_the_timeout() {
    // A PUSH with no connection has nowhere to queue, as in libzmq: its send waits.
    let mut push = PushSocket::new().unwrap();
    push.set_send_timeout(Some(TIMEOUT));
    let start = Instant::now();
    let result = push.send("lost");
    let waited = start.elapsed();
    assert!(matches!(result, Err(Error::TimedOut)), "{result:?}");
    assert!(waited >= TIMEOUT, "returned after {waited:?}");
    push.set_send_timeout(Some(Duration::ZERO));
    assert!(matches!(push.send("lost"), Err(Error::WouldBlock)));
}

#[test]
fn a_timed_out_recv_loses_nothing_that_comes_later() {
    let mut pull = PullSocket::new().unwrap();
    let bound = pull.bind(endpoint("tcp")).unwrap();
    pull.set_recv_timeout(Some(Duration::from_millis(5)));
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
    let mut push = PushSocket::new().unwrap();
    push.connect(&bound).unwrap();
    push.send("one").unwrap();
    push.send("two").unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    assert_eq!(text(&pull.recv().unwrap()), "one");
    assert_eq!(text(&pull.recv().unwrap()), "two");
}

#[test]
fn a_timed_out_send_did_not_send() {
    let mut push = PushSocket::new().unwrap();
    push.set_send_timeout(Some(Duration::from_millis(5)));
    assert!(matches!(push.send("never"), Err(Error::TimedOut)));
    let mut pull = PullSocket::new().unwrap();
    let bound = pull.bind(endpoint("tcp")).unwrap();
    push.connect(&bound).unwrap();
    push.set_send_timeout(None);
    push.send("first").unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    assert_eq!(text(&pull.recv().unwrap()), "first");
}
