//! Use from plain threads, on a runtime of one's own, and the typed error inside tokio.

mod common;

use std::time::Duration;

use common::{endpoint, text, LIMIT};
use zmtp_blocking::{Error, Options, PullSocket, PushSocket, Runtime};

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
