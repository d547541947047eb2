//! Memory stays bounded under hostile peers: the peak resident set size (VmHWM, reset before
//! the hostile phase) is measured around each hostile phase and held to a generous but real
//! bound.
//!
//! Each test runs in a child process of its own (`in_own_process`), so that tests running in
//! parallel, or memory another test freed, neither inflate nor hide its peak. Each also checks
//! that the subject drops the peer with a typed reason or delivers everything it accepted, and
//! keeps serving its good peer.

use std::future::Future;
use std::time::Duration;

use zmtp_core::error::{ProtocolViolation, Timeout};
use zmtp_tests::hostile::{
    encoded_message, hostile_options, in_own_process, peak_rss_growth, Arena, Dropped, Hostile,
    Kind,
};
use zmtp_tests::raw_peer::{command, frame, greeting, ready, LONG, MORE};
use zmtp_tests::socket_harness::{within, Transport};
use zmtp_tokio::ConnectionError;

const MIB: usize = 1024 * 1024;
const WAIT: Duration = Duration::from_secs(8);

/// Runs the test `name` in its own process: `phase`, whose peak RSS growth must stay under
/// `bound` MiB (printed for the record).
fn measured<F: Future<Output = ()>>(name: &str, bound: f64, phase: impl FnOnce() -> F) {
    in_own_process(name, || async {
        let ((), growth) = peak_rss_growth(phase()).await;
        println!("{name}: peak RSS growth {growth:.1} MiB (bound {bound} MiB)");
        assert!(
            growth < bound,
            "{name}: peak RSS grew by {growth:.1} MiB, over the {bound} MiB bound"
        );
    });
}

/// A raw PUSH at a default PULL sends `prelude`, then `chunk` `times` over while it can; it
/// must be dropped for `expected`, and the good peer still served.
async fn dropped_while_sending(prelude: &[u8], chunk: Vec<u8>, times: usize, expected: Dropped) {
    let mut arena = Arena::default(Kind::Pull, Transport::Tcp).await;
    let mut raw = Hostile::connect_as(&arena.endpoint, Kind::Push).await;
    let _ = raw.send(prelude).await;
    let writer = raw.send_in_background(chunk, times);
    assert_eq!(arena.dropped_within(WAIT).await, expected);
    let raw = within(WAIT, "writer ends", writer).await.unwrap();
    raw.finish().await;
    arena.still_serves(&[]).await;
}

/// A raw PUSH sends 4 million empty frames with MORE (8 MB on the wire) and never ends the
/// message. Empty frames carry no bytes, but each costs memory in the message being assembled
/// (before the fix: 140 MiB after 8 MB and growing, never dropped); now the message is refused
/// at 512 Ki frames.
#[test]
fn empty_frames_without_end() {
    measured("empty_frames_without_end", 48.0, || {
        let limit = zmtp_core::max_frames_per_message(Some(zmtp_core::DEFAULT_MAX_MESSAGE_SIZE));
        let expected = Dropped::established(ProtocolViolation::TooManyFrames { limit });
        let chunk = frame(MORE, b"").repeat(64 * 1024);
        dropped_while_sending(b"", chunk, 64, expected)
    });
}

/// A frame header announcing 2^63-1 bytes, then 16 MiB of body: refused on the header, the body
/// never buffered.
#[test]
fn oversized_announcement_with_a_body_behind_it() {
    measured("oversized_announcement_with_a_body_behind_it", 24.0, || {
        let mut header = vec![LONG];
        header.extend_from_slice(&(i64::MAX as u64).to_be_bytes());
        let expected = Dropped::established(ProtocolViolation::TooLarge {
            announced: i64::MAX as u64,
            limit: zmtp_core::DEFAULT_MAX_MESSAGE_SIZE,
            command: false,
        });
        async move { dropped_while_sending(&header, vec![b'x'; MIB], 16, expected).await }
    });
}

/// Four raw PUSH peers each send 64 messages of 256 KiB - 1 (16 MiB each, 64 MiB in all) at a
/// PULL with `max_message_size` 256 KiB whose application does not read for half a second:
/// each peer's queue is held to about 4 MiB, the rest waits in the peers (TCP pushes back).
/// Then the application reads all 256 messages, whole and in order per peer.
#[test]
fn messages_just_under_the_limit_from_several_peers_at_an_unread_socket() {
    const PEERS: usize = 4;
    const EACH: usize = 64;
    const SIZE: usize = 256 * 1024;
    let name = "messages_just_under_the_limit_from_several_peers_at_an_unread_socket";
    measured(name, 64.0, || async {
        let options = hostile_options().max_message_size(Some(SIZE as u64));
        let mut arena = Arena::start(Kind::Pull, Transport::Tcp, options).await;
        let mut writers = Vec::new();
        for p in 0..PEERS {
            let mut raw = Hostile::connect_as(&arena.endpoint, Kind::Push).await;
            writers.push(tokio::spawn(async move {
                for i in 0..EACH {
                    let mut body = format!("p{p}-{i:03}-").into_bytes();
                    body.resize(SIZE - 1, b'm');
                    raw.send(&encoded_message(&[body])).await.expect("flood");
                }
                raw
            }));
        }
        // Let the peers fill what they can while nobody reads.
        tokio::time::sleep(Duration::from_millis(500)).await;
        arena.exchange(0).await;
        let mut next = [0usize; PEERS];
        for _ in 0..PEERS * EACH {
            // One at a time: the test must not hold them all.
            let m = arena.raw_messages(1).await.remove(0);
            assert_eq!(m.len(), SIZE - 1);
            let p: usize = m[1..2].parse().unwrap();
            assert_eq!(m[..6], format!("p{p}-{:03}", next[p]), "order of peer {p}");
            next[p] += 1;
        }
        for writer in writers {
            let raw = within(WAIT, "writer ends", writer).await.unwrap();
            arena.ends_cleanly(raw).await;
        }
        arena.still_serves(&[]).await;
    });
}

/// A raw SUB subscribes to everything and never reads while a PUB (send HWM 10) publishes 200
/// messages of 64 KiB (12.5 MiB) to it and to the good SUB, which receives every one.
#[test]
fn a_subscriber_that_never_reads() {
    measured("a_subscriber_that_never_reads", 32.0, || async {
        let options = hostile_options().send_hwm(10);
        let mut arena = Arena::start(Kind::Pub, Transport::Tcp, options).await;
        arena.exchange(0).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, Kind::Sub).await;
        raw.send(&command("SUBSCRIBE", b"")).await.unwrap();
        raw.ping(b"subscribed").await;
        for i in 0..200 {
            let mut body = format!("big{i:05}").into_bytes();
            body.resize(64 * 1024, b'b');
            arena.subject.send(body).await.unwrap();
            let got = within(WAIT, "good recv", arena.good.recv()).await.unwrap();
            assert_eq!(got.frames()[0][..8], format!("big{i:05}").into_bytes()[..]);
        }
        arena.ends_cleanly(raw).await;
        arena.still_serves(&[]).await;
    });
}

/// 64 connections trickle their handshake a byte every 100 ms at a REP with a 500 ms handshake
/// timeout.
#[test]
fn many_slowloris_handshakes() {
    const CONNECTIONS: usize = 64;
    measured("many_slowloris_handshakes", 32.0, || async {
        let options = hostile_options().handshake_timeout(Some(Duration::from_millis(500)));
        let mut arena = Arena::start(Kind::Rep, Transport::Tcp, options).await;
        let hello = [greeting(1), ready("REQ")].concat();
        let pause = Duration::from_millis(100);
        let tricklers = Hostile::slowloris(&arena.endpoint, CONNECTIONS, &hello, pause).await;
        arena.exchange(3).await;
        for _ in 0..CONNECTIONS {
            let expected = ConnectionError::Timeout(Timeout::Handshake);
            arena.expect_dropped(Dropped::handshake(expected)).await;
        }
        for trickler in tricklers {
            within(WAIT, "trickler ends", trickler).await.unwrap();
        }
        arena.still_serves(&[]).await;
    });
}

/// A raw PUSH sends 64 messages of 65,536 empty frames each (128 KiB on the wire, 2 MiB of frame
/// handles each once received) at a PULL whose application does not read for a while. The
/// receive queue's 4 MiB byte limit counts body bytes only, so these messages count as
/// nothing and are all queued (measured: 70 MiB); counting each frame's handle too would stop
/// reading after two.
#[test]
fn messages_of_many_empty_frames_queued_at_an_unread_socket() {
    const MESSAGES: usize = 64;
    const FRAMES: usize = 64 * 1024;
    let name = "messages_of_many_empty_frames_queued_at_an_unread_socket";
    measured(name, 32.0, || async {
        let mut arena = Arena::default(Kind::Pull, Transport::Tcp).await;
        let raw = Hostile::connect_as(&arena.endpoint, Kind::Push).await;
        let mut one = frame(MORE, b"").repeat(FRAMES - 1);
        one.extend_from_slice(&frame(0, b"many"));
        let mut writer = raw.send_in_background(one, MESSAGES);
        // All sent, or TCP pushes back: nobody reads meanwhile.
        let early = tokio::time::timeout(Duration::from_secs(3), &mut writer).await;
        arena.exchange(0).await;
        let got = arena.raw_messages(MESSAGES).await;
        assert!(got.iter().all(|m| m == "many"));
        let raw = match early {
            Ok(raw) => raw,
            Err(_) => within(WAIT, "writer ends", writer).await,
        };
        arena.ends_cleanly(raw.unwrap()).await;
        arena.still_serves(&[]).await;
    });
}
