//! Slow and stalled raw peers against every socket type, and peers that never read.
//!
//! - Slowloris in the handshake: bytes trickling in do not extend the handshake timeout.
//! - Slow but alive mid-message: libzmq has no per-message timeout, and neither do we; with
//!   heartbeats on, the trickle counts as a sign of life, so the peer stays, the good peer is
//!   served meanwhile, and the message is delivered whole once it is complete.
//! - Silent mid-message: without heartbeats the peer stays (libzmq semantics); with
//!   heartbeats it is dropped for `Timeout::Heartbeat`.
//! - Never reading: a PUB, XPUB or ROUTER drops for it and keeps serving others; a PUSH or
//!   DEALER moves on to other peers, and once the peer reads again it gets exactly what was
//!   not given to others (nothing lost).

use std::time::{Duration, Instant};

use zmtp_core::error::Timeout;
use zmtp_tests::hostile::{
    assert_took, encoded_frames, encoded_message, for_each_kind, hostile_options, Arena, Dropped,
    Hostile, Kind, KINDS, LIMIT,
};
use zmtp_tests::message_of;
use zmtp_tests::over_tcp_and_ipc;
use zmtp_tests::raw_peer::{command, greeting, ready, ready_with};
use zmtp_tests::socket_harness::{within, Transport};
use zmtp_tokio::{ConnectionError, Options};

over_tcp_and_ipc!(
    a_slowloris_handshake_is_cut_by_the_handshake_timeout,
    a_slow_but_alive_peer_mid_message_stays_and_blocks_nobody,
    a_silent_peer_mid_message_stays_without_heartbeats_and_dies_with_them,
    a_publisher_or_router_drops_for_a_peer_that_never_reads,
    a_round_robin_sender_moves_on_from_a_peer_that_never_reads,
);

/// Heartbeats every 100 ms, a peer silent for 400 ms after one is dropped.
fn heartbeats() -> Options {
    hostile_options().heartbeat(Duration::from_millis(100), Duration::from_millis(400))
}

/// Eight connections trickle greeting and READY one byte per 100 ms (it would take 9 s) at a
/// subject with a 500 ms handshake timeout: each is dropped for `Timeout::Handshake` after about
/// 500 ms, while the good peer is served.
async fn a_slowloris_handshake_is_cut_by_the_handshake_timeout(t: Transport) {
    const CONNECTIONS: usize = 8;
    for_each_kind(KINDS, |kind| async move {
        let options = hostile_options().handshake_timeout(Some(Duration::from_millis(500)));
        let mut arena = Arena::start(kind, t, options).await;
        let mut hello = greeting(1);
        hello.extend_from_slice(&ready(kind.partner().name()));
        let started = Instant::now();
        let pause = Duration::from_millis(100);
        let tricklers = Hostile::slowloris(&arena.endpoint, CONNECTIONS, &hello, pause).await;
        arena.exchange_beside_raw(5).await;
        for _ in 0..CONNECTIONS {
            let expected = Dropped::handshake(ConnectionError::Timeout(Timeout::Handshake));
            assert_eq!(arena.dropped().await, expected);
        }
        let (min, max) = (Duration::from_millis(450), Duration::from_secs(3));
        assert_took(started.elapsed(), min, max, "a 500 ms handshake timeout");
        for trickler in tricklers {
            let sent = within(LIMIT, "trickler ends", trickler).await.unwrap();
            assert!(
                sent < hello.len() / 2,
                "{sent} bytes trickled before the drop"
            );
        }
        arena.still_serves(&[]).await;
    })
    .await;
}

/// The bytes of one message (or SUBSCRIBE) of about 40 bytes a raw partner of `kind` sends after
/// READY, and the text the subject delivers for it, if any.
fn slow_message(kind: Kind) -> (Vec<u8>, Option<&'static str>) {
    const TEXT: &str = "slow-message-trickled-a-byte-at-a-time";
    match kind {
        Kind::Pub => (command("SUBSCRIBE", TEXT.as_bytes()), None),
        Kind::Req => (encoded_message(&[Vec::new(), TEXT.into()]), None),
        Kind::Push => (encoded_message(&[TEXT.into()]), None),
        _ => {
            let frames = kind.raw_frames(TEXT.as_bytes()).expect("a receiving kind");
            (encoded_message(&frames), Some(TEXT))
        }
    }
}

/// With heartbeats on, a raw partner trickles one message a byte every 40 ms (1.6 s):
/// it is not dropped, the good peer is served meanwhile, and the message is delivered whole.
async fn a_slow_but_alive_peer_mid_message_stays_and_blocks_nobody(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let mut arena = Arena::start(kind, t, heartbeats()).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        let (bytes, delivered) = slow_message(kind);
        let trickler = tokio::spawn(async move {
            let sent = raw.trickle(&bytes, Duration::from_millis(40)).await;
            assert_eq!(sent, bytes.len(), "the subject closed a slow peer");
            raw
        });
        arena.nothing_dropped_for(Duration::from_millis(1000)).await;
        let raw = within(LIMIT, "trickle ends", trickler).await.unwrap();
        if let Some(text) = delivered {
            assert_eq!(arena.raw_messages(1).await, [text]);
        }
        arena.ends_cleanly(raw).await;
        arena.still_serves(&[]).await;
    })
    .await;
}

/// A raw partner sends a message frame with MORE and goes silent. Without heartbeats it stays
/// connected (no per-message timeout, as libzmq); with heartbeats it is dropped for
/// `Timeout::Heartbeat` within about 100 ms + 400 ms, the good peer served meanwhile.
async fn a_silent_peer_mid_message_stays_without_heartbeats_and_dies_with_them(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let half = encoded_frames(&[b"first half".to_vec(), b"never sent".to_vec()]);
        let mut arena = Arena::default(kind, t).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        raw.send(&half[0]).await.unwrap();
        arena.nothing_dropped_for(Duration::from_millis(600)).await;
        raw.finish().await;
        let expected = ConnectionError::PeerDisconnected { mid_message: true };
        arena.expect_dropped(Dropped::established(expected)).await;
        arena.still_serves(&[]).await;

        let mut arena = Arena::start(kind, t, heartbeats()).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        raw.send(&half[0]).await.unwrap();
        let started = Instant::now();
        arena.exchange_beside_raw(5).await;
        let expected = Dropped::established(ConnectionError::Timeout(Timeout::Heartbeat));
        assert_eq!(arena.dropped().await, expected);
        let (min, max) = (Duration::from_millis(350), Duration::from_secs(3));
        assert_took(
            started.elapsed(),
            min,
            max,
            "a 100 + 400 ms heartbeat timeout",
        );
        raw.read_until_closed().await;
        arena.still_serves(&[]).await;
    })
    .await;
}

const BIG: usize = 64 * 1024;
const BIG_COUNT: usize = 200;

/// A 64 KiB message whose first 8 bytes are `big{i:05}`.
fn big(i: usize) -> Vec<u8> {
    let mut body = format!("big{i:05}").into_bytes();
    body.resize(BIG, b'b');
    body
}

/// The index of a [`big`] message.
fn big_index(frame: &[u8]) -> usize {
    std::str::from_utf8(&frame[3..8]).unwrap().parse().unwrap()
}

/// Asserts that a raw peer's messages are [`big`] ones in increasing order; returns how many.
fn increasing(messages: &[Vec<Vec<u8>>]) -> usize {
    let indices: Vec<usize> = messages
        .iter()
        .map(|m| big_index(m.last().unwrap()))
        .collect();
    assert!(indices.windows(2).all(|w| w[0] < w[1]), "{indices:?}");
    indices.len()
}

/// A raw subscriber (PUB, XPUB) or raw DEALER with identity `raw` (ROUTER) that never reads;
/// the subject (send HWM 10) sends it 200 messages of 64 KiB (12.5 MiB, well over what the
/// queue, the connection's output and the socket buffers hold) in lockstep with the good peer,
/// which receives every one. Then the raw peer reads: it got fewer, in order.
async fn a_publisher_or_router_drops_for_a_peer_that_never_reads(t: Transport) {
    for_each_kind(&[Kind::Pub, Kind::XPub, Kind::Router], |kind| async move {
        let mut arena = Arena::start(kind, t, hostile_options().send_hwm(10)).await;
        arena.exchange(0).await;
        let mut raw = if kind == Kind::Router {
            let hello = ready_with(&[("Socket-Type", b"DEALER"), ("Identity", b"raw")]);
            Hostile::connect_with_ready(&arena.endpoint, &hello).await
        } else {
            let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
            raw.send(&command("SUBSCRIBE", b"")).await.unwrap();
            raw
        };
        raw.ping(b"ready").await;
        within(LIMIT * 2, "lockstep with the good peer", async {
            for i in 0..BIG_COUNT {
                if kind == Kind::Router {
                    let to_raw = message_of(&[&b"raw"[..], &big(i)]);
                    arena.subject.send(to_raw).await.unwrap();
                    let to_good = message_of(&[&b"good-peer"[..], &big(i)]);
                    arena.subject.send(to_good).await.unwrap();
                } else {
                    arena.subject.send(big(i)).await.unwrap();
                }
                let got = within(LIMIT, "good recv", arena.good.recv()).await.unwrap();
                assert_eq!(big_index(got.frames().last().unwrap()), i);
            }
        })
        .await;
        let got = increasing(&raw.drain(Duration::from_millis(300)).await);
        assert!(
            got < BIG_COUNT,
            "nothing dropped for a peer that never reads"
        );
        arena.ends_cleanly(raw).await;
        arena.still_serves(&[]).await;
    })
    .await;
}

/// A raw partner of a PUSH or DEALER (send HWM 10) never reads while 200 messages of 64 KiB are
/// sent: every send completes (the sender moves on to the good peer, which reads
/// concurrently). Then the raw peer reads: the two together got every message exactly once.
async fn a_round_robin_sender_moves_on_from_a_peer_that_never_reads(t: Transport) {
    for_each_kind(&[Kind::Push, Kind::Dealer], |kind| async move {
        let mut arena = Arena::start(kind, t, hostile_options().send_hwm(10)).await;
        arena.exchange(0).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        raw.ping(b"ready").await;
        let (subject, good) = (&mut arena.subject, &mut arena.good);
        let sender = async {
            for i in 0..BIG_COUNT {
                within(LIMIT, "send", subject.send(big(i))).await.unwrap();
            }
        };
        let receiver = async {
            let mut got = Vec::new();
            while let Ok(m) = tokio::time::timeout(Duration::from_millis(500), good.recv()).await {
                got.push(vec![m.unwrap().frames().last().unwrap().to_vec()]);
            }
            got
        };
        let ((), good_got) = within(LIMIT * 2, "all sent", async {
            tokio::join!(sender, receiver)
        })
        .await;
        let raw_got = raw.drain(Duration::from_millis(300)).await;
        let (g, r) = (increasing(&good_got), increasing(&raw_got));
        assert_eq!(g + r, BIG_COUNT, "good {g} + raw {r}");
        assert!(r < BIG_COUNT / 2, "the raw peer got {r} of {BIG_COUNT}");
        arena.ends_cleanly(raw).await;
        arena.still_serves(&[]).await;
    })
    .await;
}
