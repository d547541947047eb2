//! ZMQ_XPUB_VERBOSER: verbose, and every cancellation reaches the application too, not only
//! the one that leaves a topic held by nobody; a subscriber leaving reports each of its topics.
//! On the paused clock over `mem://`, where "every notice has arrived" is a point in time the
//! test can reach, so that a notice that must not come is seen not to.

use std::time::Duration;

use zmtp_tests::on_virtual_time;
use zmtp_tests::socket_harness::Transport;
use zmtp_tokio::{Options, SubSocket, XPubSocket};

on_virtual_time!(a_verboser_xpub_reports_every_cancellation_and_every_departed_topic);

/// Every notice the XPUB has once every task is idle, sorted (notices of different
/// subscribers have no order between them).
async fn notices(xpub: &mut XPubSocket) -> Vec<Vec<u8>> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut seen = Vec::new();
    while let Ok(m) = xpub.try_recv() {
        seen.push(m.frames()[0].to_vec());
    }
    seen.sort();
    seen
}

fn expected(list: &[&[u8]]) -> Vec<Vec<u8>> {
    list.iter().map(|n| n.to_vec()).collect()
}

async fn a_verboser_xpub_reports_every_cancellation_and_every_departed_topic(t: Transport) {
    let mut xpub = XPubSocket::with_options(Options::default().xpub_verboser(true)).unwrap();
    let ep = xpub.bind(t.bind_endpoint()).await.unwrap();
    let first = SubSocket::new();
    first.subscribe("A").unwrap();
    first.connect(&ep).unwrap();
    let second = SubSocket::new();
    second.subscribe("A").unwrap();
    second.subscribe("B").unwrap();
    second.connect(&ep).unwrap();
    // Verbose, as verboser implies: each subscriber's A.
    assert_eq!(
        notices(&mut xpub).await,
        expected(&[b"\x01A", b"\x01A", b"\x01B"])
    );

    // `second` still holds A: verbose alone reports nothing here.
    first.unsubscribe("A").unwrap();
    assert_eq!(notices(&mut xpub).await, expected(&[b"\x00A"]));

    // `second` leaves while `first` holds A again: both of its topics are reported, A
    // included, as libzmq's verboser XPUB does on a pipe's termination.
    first.subscribe("A").unwrap();
    assert_eq!(notices(&mut xpub).await, expected(&[b"\x01A"]));
    drop(second);
    assert_eq!(notices(&mut xpub).await, expected(&[b"\x00A", b"\x00B"]));
    // What is left is still published: `first`'s A.
    assert_eq!(xpub.publish("A1").unwrap(), 1);
}

/// The builder follows libzmq's setsockopt: VERBOSER sets verbose too, VERBOSE clears
/// verboser.
#[test]
fn verboser_implies_verbose_and_verbose_clears_verboser() {
    let options = Options::default().xpub_verboser(true);
    assert!(options.xpub_verbose && options.xpub_verboser);
    let options = options.xpub_verbose(true);
    assert!(options.xpub_verbose && !options.xpub_verboser);
    let options = Options::default().xpub_verboser(true).xpub_verboser(false);
    assert!(!options.xpub_verbose && !options.xpub_verboser);
}
