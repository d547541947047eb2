//! Use from plain threads, on a runtime of one's own, and the typed error inside tokio.

mod common;

use std::time::Duration;

use common::{endpoint, text, LIMIT};
use futures::{FutureExt, StreamExt};
use zmtp_blocking::{Error, Options, PullSocket, PushSocket, ReqSocket, Runtime};

#[test]
fn sockets_work_from_plain_threads() {
    let mut pull = PullSocket::new().unwrap();
    let bound = pull.bind(endpoint("tcp")).unwrap();
    let sender = std::thread::spawn(move || {
        let mut push = PushSocket::new().unwrap();
        push.connect(&bound).unwrap();
        for i in 0..100 {
            push.send(i.to_string()).unwrap();
        }
        push.into_inner().close().unwrap()
    });
    pull.set_recv_timeout(Some(LIMIT));
    for i in 0..100 {
        assert_eq!(text(&pull.recv().unwrap()), i.to_string());
    }
    assert!(sender.join().unwrap().is_complete());
}

#[test]
fn a_runtime_of_ones_own_with_two_workers() {
    let runtime = Runtime::with_workers(2).unwrap();
    let mut pull = PullSocket::on(&runtime, Options::default()).unwrap();
    let bound = pull.bind(endpoint("ipc")).unwrap();
    let mut push = PushSocket::on(&runtime, Options::default()).unwrap();
    push.connect(&bound).unwrap();
    push.send("mine").unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    assert_eq!(text(&pull.recv().unwrap()), "mine");
    assert_eq!(pull.runtime().handle().metrics().num_workers(), 2);
}

#[test]
fn waiting_inside_a_tokio_runtime_is_a_typed_error() {
    let mut pull = PullSocket::new().unwrap();
    pull.bind(endpoint("inproc")).unwrap();
    pull.set_recv_timeout(Some(Duration::from_millis(10)));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = tokio.block_on(async { pull.recv() });
    assert!(matches!(result, Err(Error::InsideRuntime)), "{result:?}");
    let bind = tokio.block_on(async { pull.bind(endpoint("tcp")).map(|_| ()) });
    assert!(matches!(bind, Err(Error::InsideRuntime)), "{bind:?}");
    // The same socket still works from the plain thread afterwards.
    assert!(matches!(pull.recv(), Err(Error::TimedOut)));
}

/// On the default runtime the callers drive the I/O while they wait; while none does, the
/// background thread must: here it answers a peer's heartbeats for a PULL whose thread is
/// busy elsewhere for five heartbeat timeouts, so the connection stays up.
#[test]
fn an_idle_callers_connections_are_kept_alive_by_the_background_thread() {
    let ours = Runtime::new().unwrap();
    let mut pull = PullSocket::on(&ours, Options::default()).unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    let bound = pull.bind(endpoint("tcp")).unwrap();

    let theirs = Runtime::with_workers(1).unwrap();
    let heartbeats =
        Options::default().heartbeat(Duration::from_millis(20), Duration::from_millis(100));
    let mut push = PushSocket::on(&theirs, heartbeats).unwrap();
    let mut monitor = push.monitor();
    push.connect(&bound).unwrap();
    push.send("hello").unwrap();
    assert_eq!(text(&pull.recv().unwrap()), "hello");

    // Not inside any call of the socket's: only the background thread drives it now.
    std::thread::sleep(Duration::from_millis(500));
    while let Some(Some(event)) = monitor.next().now_or_never() {
        assert!(
            !matches!(event, zmtp_tokio::MonitorEvent::Disconnected { .. }),
            "the peer dropped us while our caller was away: {event:?}"
        );
    }
    push.send("still here").unwrap();
    assert_eq!(text(&pull.recv().unwrap()), "still here");
}

/// What a caller queues without waiting is written although the caller then waits for
/// something else entirely (a turn on its thread, or the background thread).
#[test]
fn messages_sent_without_waiting_leave_while_the_sender_is_busy() {
    let theirs = Runtime::with_workers(1).unwrap();
    let mut pull = PullSocket::on(&theirs, Options::default()).unwrap();
    pull.set_recv_timeout(Some(LIMIT));
    let bound = pull.bind(endpoint("tcp")).unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    let sender = std::thread::spawn(move || {
        let mut push = PushSocket::on(&Runtime::new().unwrap(), Options::default()).unwrap();
        push.connect(&bound).unwrap();
        for i in 0..100 {
            push.send(i.to_string()).unwrap();
        }
        // Busy with something that is not a socket call until everything has arrived.
        finished.recv().unwrap();
        push
    });
    for i in 0..100 {
        assert_eq!(text(&pull.recv().unwrap()), i.to_string());
    }
    done.send(()).unwrap();
    drop(sender.join().unwrap());
}

#[test]
fn a_runtime_of_ones_own_stops_its_background_thread_when_dropped() {
    let runtime = Runtime::new().unwrap();
    let pull = PullSocket::on(&runtime, Options::default()).unwrap();
    pull.bind(endpoint("tcp")).unwrap();
    drop(pull);
    // Returns: the background thread was told to stop and joined.
    drop(runtime);
}

/// A program that owns a runtime of its own may drop it anywhere, async code included, where
/// tokio itself refuses to drop a runtime (it panics): both kinds, with a socket made on it.
#[tokio::test]
async fn a_runtime_of_ones_own_can_be_dropped_inside_async_code() {
    for workers in [0, 1] {
        let runtime = Runtime::with_workers(workers).unwrap();
        let socket = PushSocket::on(&runtime, Options::default()).unwrap();
        socket.connect("tcp://127.0.0.1:1").unwrap(); // nothing listens: it keeps retrying
                                                      // A call that would have to wait says so, typed, instead of panicking.
        let mut req = ReqSocket::on(&runtime, Options::default()).unwrap();
        let refused = req.send("no peer: it would wait");
        assert!(matches!(refused, Err(Error::InsideRuntime)), "{refused:?}");
        drop((socket, req));
        drop(runtime);
    }
}
