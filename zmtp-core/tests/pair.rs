//! Two connections joined in memory on a virtual clock.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::Pair;
use zmtp_core::error::{Incompatible, Timeout};
use zmtp_core::{Config, ConnectionError, Event, Message, SendError, SocketType, Version};

fn ready_pair(a: Config, b: Config) -> Pair {
    let mut p = Pair::new(a, b);
    p.pump();
    assert!(matches!(p.take_a()[..], [Event::Ready(_)]));
    assert!(matches!(p.take_b()[..], [Event::Ready(_)]));
    p
}

fn closed(events: &[Event]) -> Vec<&ConnectionError> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Closed(err) => Some(err),
            _ => None,
        })
        .collect()
}

#[test]
fn every_compatible_pair_completes_the_handshake() {
    for a in SocketType::ALL {
        for b in SocketType::ALL
            .into_iter()
            .filter(|b| a.is_compatible_with(*b))
        {
            let mut p = Pair::of(a, b);
            p.pump();
            match (&p.a_events[..], &p.b_events[..]) {
                ([Event::Ready(pa)], [Event::Ready(pb)]) => {
                    assert_eq!((pa.socket_type, pb.socket_type), (b, a));
                    assert_eq!(pa.version, Version::V3_1);
                }
                other => panic!("{a}-{b}: {other:?}"),
            }
        }
    }
}

#[test]
fn incompatible_socket_types_are_refused_on_both_sides() {
    let mut p = Pair::of(SocketType::Req, SocketType::Pub);
    p.pump();
    let expected_a = ConnectionError::Incompatible(Incompatible::SocketType {
        ours: SocketType::Req,
        theirs: SocketType::Pub,
    });
    assert_eq!(closed(&p.a_events), [&expected_a]);
    assert!(!p.a_events.iter().any(|e| matches!(e, Event::Ready(_))));
    assert_eq!(closed(&p.b_events).len(), 1);
    assert!(p.a.is_closed() && p.b.is_closed());
}

#[test]
fn identity_and_application_properties_reach_the_peer() {
    let mut a = Config::new(SocketType::Dealer);
    a.identity = Bytes::from_static(b"worker-1");
    a.properties.insert("X-Service", "billing").unwrap();
    let mut p = Pair::new(a, Config::new(SocketType::Router));
    p.pump();
    match &p.b_events[..] {
        [Event::Ready(peer)] => {
            assert_eq!(peer.identity, "worker-1");
            assert_eq!(peer.metadata.get("x-service").unwrap(), "billing");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn multipart_messages_arrive_whole_with_empty_and_long_frames() {
    let mut p = ready_pair(
        Config::new(SocketType::Dealer),
        Config::new(SocketType::Dealer),
    );
    let long = Bytes::from(vec![0xAB; 70_000]);
    let msg = Message::from_iter([Bytes::new(), Bytes::from_static(b"hi"), long.clone()]);
    p.a.send(&msg).unwrap();
    p.a.send(&Message::from("second")).unwrap();
    p.pump();
    assert_eq!(
        p.take_b(),
        [Event::Message(msg), Event::Message(Message::from("second"))]
    );
}

#[test]
fn send_is_refused_before_ready_after_close_and_when_empty() {
    let mut p = Pair::of(SocketType::Push, SocketType::Pull);
    assert_eq!(p.a.send(&Message::from("x")), Err(SendError::NotReady));
    assert_eq!(p.a.subscribe(b"x"), Err(SendError::NotReady));
    p.pump();
    assert_eq!(p.a.send(&Message::new()), Err(SendError::EmptyMessage));
    p.a.close(None);
    assert_eq!(p.a.send(&Message::from("x")), Err(SendError::Closed));
}

#[test]
fn handshake_times_out_after_30_seconds_of_silence() {
    let mut p = Pair::of(SocketType::Req, SocketType::Rep);
    // The link delivers nothing at all: not even the greeting.
    p.advance_silently(Duration::from_millis(29_999));
    assert!(p.a_events.is_empty());
    p.advance_silently(Duration::from_millis(1));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(Timeout::Handshake)]
    );
}

#[test]
fn completed_handshake_cancels_the_handshake_timer() {
    let mut p = ready_pair(Config::new(SocketType::Req), Config::new(SocketType::Rep));
    assert_eq!(
        p.a.poll_timeout(),
        None,
        "no heartbeats configured, no timers"
    );
    p.advance_silently(Duration::from_secs(3600));
    assert!(p.a_events.is_empty() && p.b_events.is_empty());
}

fn heartbeat(interval_ms: u64, timeout_ms: Option<u64>, ttl_ms: Option<u64>) -> Config {
    let mut c = Config::new(SocketType::Dealer);
    c.heartbeat.interval = Some(Duration::from_millis(interval_ms));
    c.heartbeat.timeout = timeout_ms.map(Duration::from_millis);
    c.heartbeat.ttl = ttl_ms.map(Duration::from_millis);
    c
}

#[test]
fn heartbeats_keep_a_live_link_open_without_surfacing_as_events() {
    let mut p = ready_pair(
        heartbeat(100, None, Some(300)),
        heartbeat(150, None, Some(300)),
    );
    p.advance(Duration::from_secs(10), Duration::from_millis(10));
    assert!(p.a_events.is_empty(), "{:?}", p.a_events);
    assert!(p.b_events.is_empty(), "{:?}", p.b_events);
    assert!(p.a.is_ready() && p.b.is_ready());
}

#[test]
fn heartbeat_timeout_closes_when_nothing_arrives_after_a_ping() {
    let mut p = ready_pair(
        heartbeat(1000, Some(500), None),
        Config::new(SocketType::Dealer),
    );
    // PING at 1.0 s; nothing arrives; the timeout fires at 1.5 s.
    p.advance_silently(Duration::from_millis(1499));
    assert!(p.a_events.is_empty());
    p.advance_silently(Duration::from_millis(1));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(Timeout::Heartbeat)]
    );
}

#[test]
fn heartbeat_timeout_defaults_to_the_interval() {
    let mut p = ready_pair(heartbeat(1000, None, None), Config::new(SocketType::Dealer));
    p.advance_silently(Duration::from_millis(1999));
    assert!(p.a_events.is_empty());
    p.advance_silently(Duration::from_millis(1));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(Timeout::Heartbeat)]
    );
}

#[test]
fn any_traffic_counts_as_life_not_only_pong() {
    let mut p = ready_pair(
        heartbeat(1000, Some(500), None),
        Config::new(SocketType::Dealer),
    );
    // a PINGs at 1.0 s; the reply is lost but a message from b arrives at 1.4 s.
    p.advance_silently(Duration::from_millis(1000));
    p.advance_silently(Duration::from_millis(400));
    p.b.send(&Message::from("alive")).unwrap();
    p.pump();
    p.advance_silently(Duration::from_millis(500));
    assert_eq!(p.take_a(), [Event::Message(Message::from("alive"))]);
    assert!(p.a.is_ready());
}

#[test]
fn the_ttl_announced_by_the_peer_is_honoured() {
    // b PINGs every second announcing a 3 s TTL; a has no heartbeats of its own.
    let mut p = ready_pair(
        Config::new(SocketType::Dealer),
        heartbeat(1000, Some(60_000), Some(3000)),
    );
    p.advance(Duration::from_millis(1000), Duration::from_millis(1000));
    assert!(p.a.poll_timeout().is_some(), "TTL timer armed by the PING");
    p.advance_silently(Duration::from_millis(2999));
    assert!(closed(&p.a_events).is_empty());
    p.advance_silently(Duration::from_millis(1));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(Timeout::PeerTtl)]
    );
}

#[test]
fn error_command_propagates_its_reason_and_closes_both_sides_once() {
    let mut p = ready_pair(Config::new(SocketType::Pair), Config::new(SocketType::Pair));
    p.a.close(Some(b"shutting down"));
    p.pump();
    assert_eq!(p.take_a(), [Event::Closed(ConnectionError::ClosedLocally)]);
    assert_eq!(
        p.take_b(),
        [Event::Closed(ConnectionError::PeerError {
            reason: Bytes::from_static(b"shutting down")
        })]
    );
    // Closed stays closed: nothing more, whatever happens next.
    p.a.close(None);
    p.b.handle_eof(p.now);
    p.advance_silently(Duration::from_secs(60));
    p.drain_events();
    assert!(p.a_events.is_empty() && p.b_events.is_empty());
}

#[test]
fn eof_in_the_middle_of_a_message_discards_it_and_says_so() {
    let mut p = ready_pair(Config::new(SocketType::Push), Config::new(SocketType::Pull));
    p.a.send(&Message::from("whole")).unwrap();
    p.pump();
    // Hand-craft the first frame of a two-frame message, then end the stream.
    let mut partial = bytes::BytesMut::from(&b"\x01\x04half"[..]);
    p.b.handle_bytes(p.now, &mut partial);
    p.b.handle_eof(p.now);
    p.drain_events();
    assert_eq!(
        p.take_b(),
        [
            Event::Message(Message::from("whole")),
            Event::Closed(ConnectionError::PeerDisconnected { mid_message: true })
        ]
    );
}

#[test]
fn subscriptions_reach_publishers_in_the_negotiated_form() {
    let mut p = ready_pair(Config::new(SocketType::Sub), Config::new(SocketType::XPub));
    p.a.subscribe(b"weather.").unwrap();
    p.a.subscribe(b"").unwrap();
    p.a.cancel(b"weather.").unwrap();
    p.pump();
    assert_eq!(
        p.take_b(),
        [
            Event::Subscribe(Bytes::from_static(b"weather.")),
            Event::Subscribe(Bytes::new()),
            Event::Cancel(Bytes::from_static(b"weather.")),
        ]
    );
}

#[test]
fn max_message_size_counts_every_frame_of_a_message() {
    let mut small = Config::new(SocketType::Pull);
    small.max_message_size = Some(1000);
    let mut p = ready_pair(Config::new(SocketType::Push), small);
    p.a.send(&Message::from(vec![0u8; 1000])).unwrap();
    p.pump();
    assert_eq!(p.take_b().len(), 1, "exactly the limit is accepted");
    p.a.send(&Message::from_iter([vec![0u8; 600], vec![0u8; 600]]))
        .unwrap();
    p.pump();
    assert_eq!(
        closed(&p.b_events),
        [&ConnectionError::Protocol(
            zmtp_core::error::ProtocolViolation::TooLarge {
                announced: 600,
                limit: 400,
                command: false
            }
        )]
    );
}

#[test]
fn heartbeat_timeout_is_suspended_while_reading_is_paused() {
    let mut p = ready_pair(
        heartbeat(1000, Some(500), None),
        Config::new(SocketType::Dealer),
    );
    // The driver stops reading (its application is slow) just before a PING goes out.
    p.a.set_reading_paused(true);
    p.advance_silently(Duration::from_secs(10));
    assert!(p.a_events.is_empty(), "{:?}", p.a_events);
    // Reading resumes: silence counts again from the next PING on.
    p.a.set_reading_paused(false);
    p.advance_silently(Duration::from_millis(1500));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(Timeout::Heartbeat)]
    );
}
