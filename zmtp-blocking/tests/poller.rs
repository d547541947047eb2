//! The poller: readiness across sockets, its timeout, and no message lost or reordered
//! between what it stashes and what `recv` takes directly.

mod common;

use std::time::{Duration, Instant};

use common::{endpoint, text, LIMIT};
use proptest::prelude::*;
use zmtp_blocking::{Poller, PullSocket, PushSocket};

/// A PUSH connected to a bound PULL over `transport`.
fn pipe(transport: &str) -> (PushSocket, PullSocket) {
    let pull = PullSocket::new().unwrap();
    let bound = pull.bind(endpoint(transport)).unwrap();
    let push = PushSocket::new().unwrap();
    push.connect(&bound).unwrap();
    (push, pull)
}

#[test]
fn reports_the_socket_with_a_message_and_recv_returns_it() {
    let (mut push_a, mut a) = pipe("tcp");
    let (_push_b, mut b) = pipe("inproc");
    push_a.send("for a").unwrap();
    let mut poller = Poller::new();
    poller.add(&mut a);
    poller.add(&mut b);
    let ready = poller.poll(Some(LIMIT)).unwrap();
    assert_eq!(ready, [0]);
    assert_eq!(text(&poller.socket(0).recv().unwrap()), "for a");
    drop(poller);
    b.set_recv_timeout(Some(Duration::ZERO));
    assert!(b.recv().is_err(), "b had nothing");
}

#[test]
fn times_out_with_nothing_ready() {
    let (_push_a, mut a) = pipe("tcp");
    let (_push_b, mut b) = pipe("inproc");
    let mut poller = Poller::new();
    poller.add(&mut a);
    poller.add(&mut b);
    let start = Instant::now();
    let ready = poller.poll(Some(Duration::from_millis(50))).unwrap();
    let waited = start.elapsed();
    assert!(ready.is_empty(), "{ready:?}");
    assert!(
        waited >= Duration::from_millis(50),
        "returned after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "returned after {waited:?}");
    assert!(poller.poll(Some(Duration::ZERO)).unwrap().is_empty());
}

#[test]
fn wakes_for_a_message_sent_while_it_waits() {
    let (mut push, mut pull) = pipe("tcp");
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        push.send("late").unwrap();
        push
    });
    let mut poller = Poller::new();
    poller.add(&mut pull);
    assert_eq!(poller.poll(Some(LIMIT)).unwrap(), [0]);
    drop(poller);
    assert_eq!(text(&pull.recv().unwrap()), "late");
    drop(sender.join().unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Messages on two pipes, received through any mix of polling (which stashes) and direct
    /// receives: each arrives exactly once and in the order sent.
    #[test]
    fn every_message_arrives_once_in_order(
        counts in (0usize..40, 0usize..40),
        choices in proptest::collection::vec(0u8..4, 0..200),
    ) {
        let (mut push_a, mut a) = pipe("inproc");
        let (mut push_b, mut b) = pipe("tcp");
        for i in 0..counts.0 { push_a.send(format!("a{i}")).unwrap(); }
        for i in 0..counts.1 { push_b.send(format!("b{i}")).unwrap(); }
        let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
        let mut choices = choices.into_iter();
        while got_a.len() < counts.0 || got_b.len() < counts.1 {
            let choice = choices.next().unwrap_or(0);
            let mut poller = Poller::new();
            poller.add(&mut a);
            poller.add(&mut b);
            let ready = poller.poll(Some(LIMIT)).unwrap();
            prop_assert!(!ready.is_empty());
            // Sometimes poll again without receiving: the stash must not be overwritten.
            if choice == 3 {
                let again = poller.poll(Some(LIMIT)).unwrap();
                prop_assert!(ready.iter().all(|i| again.contains(i)));
            }
            // Receive one or two from the ready sockets (a second recv goes past the stash).
            for &index in &ready {
                let takes = if choice == 1 { 2 } else { 1 };
                for _ in 0..takes {
                    let socket = poller.socket(index);
                    socket.set_recv_timeout(Some(Duration::ZERO));
                    if let Ok(message) = socket.recv() {
                        if index == 0 { got_a.push(text(&message)) } else { got_b.push(text(&message)) }
                    }
                }
            }
        }
        let want_a: Vec<String> = (0..counts.0).map(|i| format!("a{i}")).collect();
        let want_b: Vec<String> = (0..counts.1).map(|i| format!("b{i}")).collect();
        prop_assert_eq!(got_a, want_a);
        prop_assert_eq!(got_b, want_b);
        // Nothing more.
        let mut poller = Poller::new();
        poller.add(&mut a);
        poller.add(&mut b);
        prop_assert!(poller.poll(Some(Duration::from_millis(1))).unwrap().is_empty());
    }
}
