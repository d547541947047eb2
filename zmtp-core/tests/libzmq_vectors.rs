//! Byte-exact vectors captured from libzmq 4.3.4 by `tests/vectors/capture_libzmq.py`
//! (rerun it with `python3 zmtp-core/tests/vectors/capture_libzmq.py` to refresh them).
//! Our bytes must equal libzmq's, and libzmq's bytes must drive our connection.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use support::{drain, events, hex};
use zmtp_core::{Config, Connection, Event, SocketType, Version};

fn vectors() -> HashMap<String, Vec<u8>> {
    let text = include_str!("vectors/libzmq-4.3.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.split_once(' ').expect("name hex");
            (name.to_owned(), hex(value.trim()))
        })
        .collect()
}

fn v(name: &str) -> Vec<u8> {
    vectors()
        .remove(name)
        .unwrap_or_else(|| panic!("vector {name} missing"))
}

/// Drives `conn` through the greeting with libzmq's staged bytes; returns what we sent.
fn libzmq_greets(conn: &mut Connection, rest: &str) -> Vec<u8> {
    let now = Instant::now();
    let mut sent = drain(conn);
    assert_eq!(
        sent,
        [v("greeting_signature_stage"), v("greeting_major_stage")].concat()
    );
    conn.handle_bytes(now, &mut BytesMut::from(&v("greeting_signature_stage")[..]));
    assert!(
        drain(conn).is_empty(),
        "the rest waits for the peer's major version"
    );
    conn.handle_bytes(now, &mut BytesMut::from(&v("greeting_major_stage")[..]));
    sent.extend(drain(conn));
    conn.handle_bytes(now, &mut BytesMut::from(&v(rest)[..]));
    sent.extend(drain(conn));
    sent
}

fn ready_vector(t: SocketType) -> String {
    format!("ready_{}", t.as_str().to_ascii_lowercase())
}

#[test]
fn our_greeting_is_byte_identical_to_libzmq() {
    let mut conn = Connection::new(Config::new(SocketType::Rep), Instant::now()).unwrap();
    let sent = libzmq_greets(&mut conn, "greeting_rest_stage");
    assert_eq!(&sent[..64], &v("greeting_full")[..]);
}

#[test]
fn our_ready_is_byte_identical_to_libzmq_for_every_socket_type() {
    for t in SocketType::ALL {
        let mut conn = Connection::new(Config::new(t), Instant::now()).unwrap();
        let sent = libzmq_greets(&mut conn, "greeting_rest_stage");
        assert_eq!(&sent[64..], &v(&ready_vector(t))[..], "READY of {t}");
    }
}

#[test]
fn our_dealer_identity_ready_matches_libzmq() {
    let mut config = Config::new(SocketType::Dealer);
    config.identity = Bytes::from_static(b"abc");
    let mut conn = Connection::new(config, Instant::now()).unwrap();
    let sent = libzmq_greets(&mut conn, "greeting_rest_stage");
    assert_eq!(&sent[64..], &v("ready_dealer_rid_abc")[..]);
}

#[test]
fn libzmq_ready_of_every_type_completes_our_handshake() {
    let now = Instant::now();
    for ours in SocketType::ALL {
        for theirs in SocketType::ALL
            .into_iter()
            .filter(|t| ours.is_compatible_with(*t))
        {
            let mut conn = Connection::new(Config::new(ours), now).unwrap();
            libzmq_greets(&mut conn, "greeting_rest_stage");
            conn.handle_bytes(now, &mut BytesMut::from(&v(&ready_vector(theirs))[..]));
            match events(&mut conn).as_slice() {
                [Event::Ready(peer)] => {
                    assert_eq!(peer.socket_type, theirs);
                    assert_eq!(peer.version, Version::V3_1);
                    let has_identity = peer.metadata.get("Identity").is_some();
                    assert_eq!(has_identity, theirs.sends_identity(), "{theirs}");
                }
                other => panic!("{ours} with libzmq {theirs}: {other:?}"),
            }
        }
    }
}

fn ready_sub(minor_rest: &str) -> Connection {
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(SocketType::Sub), now).unwrap();
    libzmq_greets(&mut conn, minor_rest);
    conn.handle_bytes(now, &mut BytesMut::from(&v("ready_pub")[..]));
    assert!(matches!(events(&mut conn)[..], [Event::Ready(_)]));
    conn
}

#[test]
fn subscriptions_use_commands_with_31_peers_like_libzmq() {
    let mut conn = ready_sub("greeting_rest_stage");
    conn.subscribe(b"topic").unwrap();
    assert_eq!(drain(&mut conn), v("sub_subscribe_topic_v31"));
    conn.cancel(b"topic").unwrap();
    assert_eq!(drain(&mut conn), v("sub_cancel_topic_v31"));
    conn.subscribe(b"").unwrap();
    assert_eq!(drain(&mut conn), v("sub_subscribe_empty_v31"));
    conn.cancel(b"").unwrap();
    assert_eq!(drain(&mut conn), v("sub_cancel_empty_v31"));
}

#[test]
fn subscriptions_use_legacy_messages_with_30_peers_like_libzmq() {
    let mut conn = ready_sub("in_greeting_rest_v30");
    conn.subscribe(b"topic").unwrap();
    assert_eq!(drain(&mut conn), v("sub_subscribe_topic_v30"));
    conn.cancel(b"topic").unwrap();
    assert_eq!(drain(&mut conn), v("sub_cancel_topic_v30"));
    conn.subscribe(b"").unwrap();
    assert_eq!(drain(&mut conn), v("sub_subscribe_empty_v30"));
    conn.cancel(b"").unwrap();
    assert_eq!(drain(&mut conn), v("sub_cancel_empty_v30"));
}

#[test]
fn libzmq_subscriptions_in_both_forms_reach_our_publisher() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(SocketType::Pub), now).unwrap();
    libzmq_greets(&mut conn, "greeting_rest_stage");
    let mut input: Vec<u8> = v("ready_sub");
    for name in [
        "sub_subscribe_topic_v31",
        "sub_cancel_topic_v31",
        "sub_subscribe_topic_v30",
        "sub_cancel_topic_v30",
        "sub_subscribe_empty_v30",
    ] {
        input.extend(v(name));
    }
    conn.handle_bytes(now, &mut BytesMut::from(&input[..]));
    let topic = Bytes::from_static(b"topic");
    assert_eq!(
        events(&mut conn)[1..],
        [
            Event::Subscribe(topic.clone()),
            Event::Cancel(topic.clone()),
            Event::Subscribe(topic.clone()),
            Event::Cancel(topic),
            Event::Subscribe(Bytes::new()),
        ]
    );
}

fn ready_dealer(config: Config) -> (Connection, Instant) {
    let now = Instant::now();
    let mut conn = Connection::new(config, now).unwrap();
    libzmq_greets(&mut conn, "greeting_rest_stage");
    conn.handle_bytes(now, &mut BytesMut::from(&v("ready_dealer")[..]));
    assert!(matches!(events(&mut conn)[..], [Event::Ready(_)]));
    (conn, now)
}

#[test]
fn our_ping_is_byte_identical_to_libzmq() {
    let mut config = Config::new(SocketType::Dealer);
    config.heartbeat.interval = Some(Duration::from_millis(100));
    config.heartbeat.ttl = Some(Duration::from_millis(1000));
    let (mut conn, now) = ready_dealer(config);
    assert_eq!(conn.poll_timeout(), Some(now + Duration::from_millis(100)));
    conn.handle_timeout(now + Duration::from_millis(99));
    assert!(drain(&mut conn).is_empty());
    conn.handle_timeout(now + Duration::from_millis(100));
    assert_eq!(drain(&mut conn), v("ping_ivl100_ttl1000"));
}

#[test]
fn our_pong_echoes_like_libzmq_truncating_context_to_16_bytes() {
    let (mut conn, now) = ready_dealer(Config::new(SocketType::Dealer));
    for (ping, pong) in [
        ("in_ping_ttl0_ctx20", "pong_reply_ctx20"),
        ("in_ping_ttl0_ctx4", "pong_reply_ctx4"),
        ("in_ping_ttl0_ctx0", "pong_reply_ctx0"),
    ] {
        conn.handle_bytes(now, &mut BytesMut::from(&v(ping)[..]));
        assert_eq!(drain(&mut conn), v(pong), "{ping}");
        assert!(
            events(&mut conn).is_empty(),
            "PING must not surface as an event"
        );
    }
}

#[test]
fn libzmq_greeting_with_identity_padding_is_accepted() {
    // libzmq writes routing-id length + 1 into the padding; it must not matter.
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(SocketType::Router), now).unwrap();
    let mut input = v("greeting_signature_rid3");
    input.extend(v("greeting_major_stage"));
    input.extend(v("greeting_rest_stage"));
    input.extend(v("ready_dealer_rid_abc"));
    conn.handle_bytes(now, &mut BytesMut::from(&input[..]));
    match &events(&mut conn)[..] {
        [Event::Ready(peer)] => assert_eq!(peer.identity, "abc"),
        other => panic!("{other:?}"),
    }
}
