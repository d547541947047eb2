//! A scripted peer writes exact bytes; we check what the connection does with them.

mod support;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use support::{command, drain, events, frame, greeting, ready};
use zmtp_core::error::{Incompatible, Malformed, ProtocolViolation};
use zmtp_core::{Config, Connection, ConnectionError, Event, Message, SocketType, Version};

fn connect(ours: SocketType, input: &[u8]) -> (Connection, Vec<Event>) {
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(ours), now).unwrap();
    conn.handle_bytes(now, &mut BytesMut::from(input));
    let ev = events(&mut conn);
    (conn, ev)
}

fn closed_with(events: &[Event]) -> &ConnectionError {
    match events.last() {
        Some(Event::Closed(e)) => e,
        other => panic!("expected Closed last, got {other:?} in {events:?}"),
    }
}

fn handshake(major: u8, minor: u8, peer_type: &str) -> Vec<u8> {
    [greeting(major, minor, "NULL", false), ready(peer_type)].concat()
}

#[test]
fn greeting_is_staged_signature_and_major_first() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(SocketType::Req), now).unwrap();
    assert_eq!(
        drain(&mut conn),
        b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03"
    );
    let peer = greeting(3, 1, "NULL", false);
    for (i, byte) in peer[..10].iter().enumerate() {
        conn.handle_bytes(now, &mut BytesMut::from(&[*byte][..]));
        assert!(
            drain(&mut conn).is_empty(),
            "nothing more before the major (byte {i})"
        );
    }
    conn.handle_bytes(now, &mut BytesMut::from(&peer[10..11]));
    let rest = drain(&mut conn);
    assert_eq!(rest.len(), 53);
    assert_eq!(&rest[..5], b"\x01NULL");
    // READY waits for the peer's mechanism, i.e. the whole greeting.
    conn.handle_bytes(now, &mut BytesMut::from(&peer[11..63]));
    assert!(drain(&mut conn).is_empty());
    conn.handle_bytes(now, &mut BytesMut::from(&peer[63..]));
    assert_eq!(&drain(&mut conn)[2..8], b"\x05READY");
}

#[test]
fn a_zmtp_30_peer_is_spoken_to_with_30_rules() {
    let (mut conn, ev) = connect(SocketType::Sub, &handshake(3, 0, "PUB"));
    match &ev[..] {
        [Event::Ready(peer)] => {
            assert_eq!(peer.version, Version::V3_0);
            assert_eq!(peer.announced_version, Version::V3_0);
        }
        other => panic!("{other:?}"),
    }
    drain(&mut conn);
    conn.subscribe(b"A").unwrap();
    assert_eq!(drain(&mut conn), b"\x00\x02\x01A");
}

#[test]
fn higher_versions_are_accepted_and_spoken_to_as_31() {
    for (major, minor) in [(3, 2), (4, 0), (255, 255)] {
        let (mut conn, ev) = connect(SocketType::Sub, &handshake(major, minor, "PUB"));
        match &ev[..] {
            [Event::Ready(peer)] => {
                assert_eq!(peer.version, Version::V3_1);
                assert_eq!(peer.announced_version, Version { major, minor });
            }
            other => panic!("{major}.{minor}: {other:?}"),
        }
        drain(&mut conn);
        conn.subscribe(b"A").unwrap();
        assert_eq!(drain(&mut conn), b"\x04\x0b\x09SUBSCRIBEA");
    }
}

#[test]
fn zmtp_1_and_2_peers_are_closed_with_a_typed_error() {
    let (_, ev) = connect(SocketType::Req, &greeting(2, 0, "NULL", false));
    assert_eq!(
        closed_with(&ev),
        &ConnectionError::Incompatible(Incompatible::Version { major: 2 })
    );
    // ZMTP 1.0 starts with a length byte, not 0xFF.
    let (_, ev) = connect(SocketType::Req, b"\x01\x00");
    assert_eq!(
        closed_with(&ev),
        &ConnectionError::Malformed(Malformed::BadSignature)
    );
}

#[test]
fn mechanism_mismatch_closes() {
    let (_, ev) = connect(SocketType::Req, &greeting(3, 1, "PLAIN", false));
    assert_eq!(
        closed_with(&ev),
        &ConnectionError::Incompatible(Incompatible::Mechanism {
            ours: "NULL".into(),
            theirs: "PLAIN".into()
        })
    );
}

#[test]
fn as_server_set_by_a_null_peer_is_tolerated() {
    let input = [greeting(3, 1, "NULL", true), ready("REP")].concat();
    let (_, ev) = connect(SocketType::Req, &input);
    assert!(matches!(ev[..], [Event::Ready(_)]), "{ev:?}");
}

#[test]
fn a_ping_between_frames_of_a_message_is_tolerated() {
    let input = [
        handshake(3, 1, "PUSH"),
        frame(0x01, b"one"),
        command("PING", b"\x00\x00ctx"),
        frame(0x00, b"two"),
    ]
    .concat();
    let (mut conn, ev) = connect(SocketType::Pull, &input);
    assert_eq!(
        ev[1..],
        [Event::Message(Message::from_iter(["one", "two"]))]
    );
    assert!(drain(&mut conn).ends_with(b"\x04\x08\x04PONGctx"));
}

#[test]
fn more_on_a_command_is_ignored_like_libzmq() {
    let mut ping = command("PING", b"\x00\x00");
    ping[0] |= 0x01;
    let input = [handshake(3, 1, "PUSH"), ping, frame(0, b"m")].concat();
    let (_, ev) = connect(SocketType::Pull, &input);
    assert_eq!(ev[1..], [Event::Message(Message::from("m"))]);
}

#[test]
fn unknown_commands_after_the_handshake_are_ignored() {
    let input = [
        handshake(3, 1, "PUSH"),
        command("JOIN", b"group"),
        frame(0, b"m"),
    ]
    .concat();
    let (_, ev) = connect(SocketType::Pull, &input);
    assert_eq!(ev[1..], [Event::Message(Message::from("m"))]);
}

#[test]
fn protocol_violations_during_the_handshake_close_with_their_reason() {
    let g = greeting(3, 1, "NULL", false);
    let cases: Vec<(Vec<u8>, ConnectionError)> = vec![
        (
            frame(0, b"too early"),
            ProtocolViolation::MessageBeforeHandshake.into(),
        ),
        (
            command("PING", b"\x00\x00"),
            ProtocolViolation::UnexpectedCommand("PING".into()).into(),
        ),
        (
            command("READY", b""),
            ProtocolViolation::MissingSocketType.into(),
        ),
        (
            ready("req"),
            Malformed::UnknownSocketType(Bytes::from_static(b"req")).into(),
        ),
        (
            command(
                "READY",
                b"\x0bSocket-Type\x00\x00\x00\x03REP\x0bSOCKET-TYPE\x00\x00\x00\x03REP",
            ),
            Malformed::DuplicateProperty("SOCKET-TYPE".into()).into(),
        ),
        (
            command("READY", b"\x0bSocket-Type\x00\x00\x00\x09REP"),
            Malformed::BadMetadata.into(),
        ),
        (
            command("ERROR", b"\x06denied"),
            ConnectionError::PeerError {
                reason: Bytes::from_static(b"denied"),
            },
        ),
        (b"\x08\x00".to_vec(), Malformed::ReservedFlags(0x08).into()),
        (b"\x04\x00".to_vec(), Malformed::BadCommandFrame.into()),
    ];
    for (bytes, expected) in cases {
        let (_, ev) = connect(SocketType::Req, &[g.clone(), bytes.clone()].concat());
        assert_eq!(closed_with(&ev), &expected, "input {bytes:?}");
    }
}

#[test]
fn a_long_identity_from_the_peer_is_refused() {
    let mut data = b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x01\x00".to_vec();
    data.extend_from_slice(&[b'i'; 256]);
    let input = [greeting(3, 1, "NULL", false), command("READY", &data)].concat();
    let (_, ev) = connect(SocketType::Router, &input);
    assert_eq!(
        closed_with(&ev),
        &ProtocolViolation::IdentityTooLong(256).into()
    );
}

#[test]
fn a_second_ready_is_a_protocol_violation() {
    let input = [handshake(3, 1, "PUSH"), ready("PUSH")].concat();
    let (_, ev) = connect(SocketType::Pull, &input);
    assert_eq!(
        closed_with(&ev),
        &ProtocolViolation::UnexpectedCommand("READY".into()).into()
    );
}

#[test]
fn an_oversized_frame_is_refused_on_its_header_alone() {
    let mut input = handshake(3, 1, "PUSH");
    input.extend_from_slice(b"\x02\x7f\xff\xff\xff\xff\xff\xff\xff");
    let (_, ev) = connect(SocketType::Pull, &input);
    assert!(matches!(
        closed_with(&ev),
        ConnectionError::Protocol(ProtocolViolation::TooLarge { command: false, .. })
    ));
    let mut input = handshake(3, 1, "PUSH");
    input.extend_from_slice(b"\x06\x00\x00\x00\x00\x01\x00\x00\x01");
    let (_, ev) = connect(SocketType::Pull, &input);
    assert!(matches!(
        closed_with(&ev),
        ConnectionError::Protocol(ProtocolViolation::TooLarge { command: true, .. })
    ));
}

#[test]
fn legacy_subscriptions_are_only_interpreted_by_publishers() {
    let sub = frame(0, b"\x01topic");
    let (_, ev) = connect(
        SocketType::Pub,
        &[handshake(3, 1, "SUB"), sub.clone()].concat(),
    );
    assert_eq!(ev[1..], [Event::Subscribe(Bytes::from_static(b"topic"))]);
    // To a PULL, the same bytes are just a message.
    let (_, ev) = connect(SocketType::Pull, &[handshake(3, 1, "PUSH"), sub].concat());
    assert_eq!(ev[1..], [Event::Message(Message::from(&b"\x01topic"[..]))]);
}

/// Regression: empty frames with MORE use none of the `max_message_size` budget, so a peer
/// sending them without end grew the message being assembled without bound (8 MB of wire made
/// 128 MiB of frame handles). The frame count is now limited to `max_message_size / 32`, at
/// least 64; an unlimited size leaves it unlimited.
#[test]
fn endless_empty_frames_cannot_grow_a_message_without_bound() {
    let limit = |max: Option<u64>| {
        let now = Instant::now();
        let mut config = Config::new(SocketType::Pull);
        config.max_message_size = max;
        let mut conn = Connection::new(config, now).unwrap();
        conn.handle_bytes(now, &mut BytesMut::from(&handshake(3, 1, "PUSH")[..]));
        events(&mut conn);
        (conn, now)
    };
    assert_eq!(zmtp_core::max_frames_per_message(Some(1 << 24)), 1 << 19);
    assert_eq!(zmtp_core::max_frames_per_message(Some(1000)), 64);
    assert_eq!(zmtp_core::max_frames_per_message(None), u64::MAX);

    // At the limit: delivered, every frame kept.
    let (mut conn, now) = limit(Some(1 << 16));
    let mut wire = frame(0x01, b"").repeat(2047);
    wire.extend_from_slice(&frame(0x00, b"last"));
    conn.handle_bytes(now, &mut BytesMut::from(&wire[..]));
    match &events(&mut conn)[..] {
        [Event::Message(m)] => assert_eq!(m.len(), 2048),
        other => panic!("{other:?}"),
    }
    // One frame over: refused before it is stored.
    let wire = frame(0x01, b"").repeat(2049);
    conn.handle_bytes(now, &mut BytesMut::from(&wire[..]));
    assert_eq!(
        closed_with(&events(&mut conn)),
        &ConnectionError::Protocol(ProtocolViolation::TooManyFrames { limit: 2048 })
    );
    // The default 16 MiB: an endless stream of empty frames ends at 512 Ki frames.
    let (mut conn, now) = limit(Some(zmtp_core::DEFAULT_MAX_MESSAGE_SIZE));
    let chunk = frame(0x01, b"").repeat(64 * 1024);
    for _ in 0..9 {
        conn.handle_bytes(now, &mut BytesMut::from(&chunk[..]));
    }
    assert_eq!(
        closed_with(&events(&mut conn)),
        &ConnectionError::Protocol(ProtocolViolation::TooManyFrames { limit: 1 << 19 })
    );
    // A small limit still allows 64 frames.
    let (mut conn, now) = limit(Some(10));
    let mut wire = frame(0x01, b"").repeat(63);
    wire.extend_from_slice(&frame(0x00, b""));
    conn.handle_bytes(now, &mut BytesMut::from(&wire[..]));
    assert!(matches!(&events(&mut conn)[..], [Event::Message(m)] if m.len() == 64));
}
