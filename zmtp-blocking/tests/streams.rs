//! Long streams through the runtime driven by its callers, whose sockets' tasks run inside the
//! calls that wait: every message arrives, in order, however the calls and the connections'
//! turns interleave.

mod common;

use std::thread;

use common::{endpoint, LIMIT};
use proptest::prelude::*;
use zmtp_blocking::{Bytes, Options, PullSocket, PushSocket, RepSocket, ReqSocket, Runtime};

/// A message of `size` bytes that names its place in the stream.
fn numbered(n: u32, size: usize) -> Bytes {
    let mut body = vec![0u8; size];
    body[..4].copy_from_slice(&n.to_be_bytes());
    Bytes::from(body)
}

/// Sends `count` messages of `size` bytes from a PUSH on one runtime to a PULL on another (as
/// two processes would), and checks that each arrives once, in order, within [`LIMIT`].
fn stream(count: u32, size: usize) {
    stream_sizes(&vec![size; count as usize]);
}

/// As [`stream`], with a size per message (at least 4 bytes: each carries its number).
fn stream_sizes(sizes: &[usize]) {
    let count = u32::try_from(sizes.len()).unwrap();
    let sent_sizes = sizes.to_vec();
    let mut pull = PullSocket::on(&Runtime::new().unwrap(), Options::default()).unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    let bound = pull.bind(endpoint("tcp")).unwrap();
    let sender = thread::spawn(move || {
        let mut push =
            PushSocket::on(&Runtime::new().unwrap(), Options::default().linger(None)).unwrap();
        push.connect(&bound).unwrap();
        for (n, size) in (0..count).zip(sent_sizes) {
            push.send(numbered(n, size)).unwrap();
        }
        push.into_inner().close().unwrap()
    });
    for (n, &size) in (0..count).zip(sizes) {
        let message = pull
            .recv()
            .unwrap_or_else(|e| panic!("message {n} of {count}: {e}"));
        let frame = &message.frames()[0];
        assert_eq!(frame.len(), size);
        assert_eq!(u32::from_be_bytes(frame[..4].try_into().unwrap()), n);
    }
    let report = sender.join().unwrap();
    assert!(report.is_complete(), "{report:?}");
}

/// Large messages fill the socket buffers, so that the connections run out of tokio's
/// cooperative budget in the middle of a call: a wake-up tokio keeps for its next turn must
/// not be lost when the call returns first. (It was, and the stream stalled for good.)
#[test]
fn large_messages_never_stall_the_stream() {
    stream(20_000, 64 * 1024);
}

#[test]
fn small_messages_arrive_in_order() {
    stream(50_000, 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Every message accepted by `send` arrives once, in order, whatever the mix of sizes
    /// (small ones batched, large ones filling the socket buffers mid-call).
    #[test]
    fn every_accepted_message_arrives_once_in_order(
        sizes in proptest::collection::vec(
            prop_oneof![4usize..64, 64usize..4096, 60_000usize..200_000],
            1..400,
        )
    ) {
        stream_sizes(&sizes);
    }
}

/// `count` round trips between a REP on `rep_runtime` and a REQ on `req_runtime`, the REQ on
/// a thread of its own: each request and each reply arrives, in order, within [`LIMIT`].
fn round_trips(rep_runtime: &Runtime, req_runtime: Runtime, count: u32) {
    let mut rep = RepSocket::on(rep_runtime, Options::default()).unwrap();
    rep.set_recv_timeout(Some(LIMIT));
    let bound = rep.bind(endpoint("tcp")).unwrap();
    let client = thread::spawn(move || {
        let mut req = ReqSocket::on(&req_runtime, Options::default()).unwrap();
        req.set_recv_timeout(Some(LIMIT));
        req.connect(&bound).unwrap();
        for n in 0..count {
            req.send(numbered(n, 16)).unwrap();
            let reply = req.recv().unwrap_or_else(|e| panic!("reply {n}: {e}"));
            assert_eq!(reply.frames()[0], numbered(n + 1, 16));
        }
    });
    for n in 0..count {
        let request = rep.recv().unwrap_or_else(|e| panic!("request {n}: {e}"));
        assert_eq!(request.frames()[0], numbered(n, 16));
        rep.send(numbered(n + 1, 16)).unwrap();
    }
    client.join().unwrap();
}

/// REQ and REP on runtimes of their own, a long run of round trips: each send writes its
/// message before the wait that follows.
#[test]
fn request_reply_round_trips_keep_going() {
    round_trips(&Runtime::new().unwrap(), Runtime::new().unwrap(), 5_000);
}

/// REQ and REP on one runtime, each on a thread of its own: both wait at once, one of them
/// drives and the other waits its turn, and each send goes to whichever thread drives.
#[test]
fn round_trips_between_two_threads_of_one_runtime() {
    let runtime = Runtime::new().unwrap();
    round_trips(&runtime, runtime.clone(), 2_000);
}
