//! Hostile raw peers during the greeting and the handshake, against every socket type: garbage
//! instead of a greeting, garbage after a valid greeting, a foreign mechanism or version,
//! READY with malformed, duplicated or missing metadata, an unknown command, an incompatible
//! socket type. Each is dropped with `HandshakeFailed` and a typed reason, and the subject keeps
//! serving a well-behaved peer connected at the same time, losing none of its messages.

use std::time::Duration;

use zmtp_core::error::{Incompatible, Malformed, ProtocolViolation};
use zmtp_tests::hostile::{
    any_socket, for_each_kind, hostile_options, refused, AnySocket, Arena, Dropped, Hostile, Kind,
    GOOD_IDENTITY, KINDS, LIMIT,
};
use zmtp_tests::over_tcp_and_ipc;
use zmtp_tests::raw_peer::{command, greeting, ready, ready_with, RawListener};
use zmtp_tests::socket_harness::{wait_for_event, within, Transport};
use zmtp_tokio::{DisconnectReason, Endpoint, Monitor, MonitorEvent, Refusal};

over_tcp_and_ipc!(
    garbage_instead_of_a_greeting_is_a_bad_signature,
    garbage_after_a_valid_greeting_is_refused_on_its_first_byte,
    a_foreign_mechanism_or_an_old_version_is_incompatible,
    ready_with_malformed_metadata_is_refused,
    ready_with_a_duplicated_property_is_refused,
    ready_without_a_known_socket_type_is_refused,
    an_identity_over_255_bytes_is_refused,
    an_unknown_command_in_the_handshake_is_a_protocol_violation,
    an_incompatible_socket_type_is_refused_with_an_error_command,
    a_second_pair_or_a_duplicate_router_identity_is_refused,
    a_hostile_server_is_retried_and_queued_messages_survive,
    an_incompatible_server_is_not_retried,
);

/// A greeting and READY as the subject's partner with `properties` instead of the usual ones.
fn hello_with(properties: &[(&str, &[u8])]) -> Vec<u8> {
    let mut bytes = greeting(1);
    bytes.extend_from_slice(&ready_with(properties));
    bytes
}

/// A greeting and READY whose property list is `data`, as it is.
fn hello_with_raw_metadata(data: &[u8]) -> Vec<u8> {
    let mut bytes = greeting(1);
    bytes.extend_from_slice(&command("READY", data));
    bytes
}

async fn garbage_instead_of_a_greeting_is_a_bad_signature(t: Transport) {
    for_each_kind(KINDS, |kind| {
        let garbage = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n".to_vec();
        refused(
            kind,
            t,
            garbage,
            Dropped::handshake(Malformed::BadSignature),
        )
    })
    .await;
}

/// After a valid greeting, the first garbage byte (`'G'`, 0x47) is read as frame flags with
/// reserved bits set.
async fn garbage_after_a_valid_greeting_is_refused_on_its_first_byte(t: Transport) {
    for_each_kind(KINDS, |kind| {
        let mut bytes = greeting(1);
        bytes.extend_from_slice(b"GET / HTTP/1.1\r\n\r\n");
        refused(
            kind,
            t,
            bytes,
            Dropped::handshake(Malformed::ReservedFlags(0x47)),
        )
    })
    .await;
}

async fn a_foreign_mechanism_or_an_old_version_is_incompatible(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let plain = zmtp_tests::raw::greeting(3, 1, "PLAIN", false);
        let expected = Incompatible::Mechanism {
            ours: "NULL".into(),
            theirs: "PLAIN".into(),
        };
        refused(kind, t, plain, Dropped::handshake(expected)).await;
        // ZMTP 2.0: the signature's last byte and the major version say 2.
        let mut zmtp2 = zmtp_tests::raw::greeting(2, 0, "NULL", false);
        zmtp2[9] = 0x7f;
        let expected = Incompatible::Version { major: 2 };
        refused(kind, t, zmtp2, Dropped::handshake(expected)).await;
    })
    .await;
}

async fn ready_with_malformed_metadata_is_refused(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let name = kind.partner().name().as_bytes();
        let mut valid = vec![11u8];
        valid.extend_from_slice(b"Socket-Type");
        valid.extend_from_slice(&(name.len() as u32).to_be_bytes());
        valid.extend_from_slice(name);
        // A name length past the end, a value length past the end, an empty name, a name
        // with a character properties may not hold.
        let mut value_past_end = valid.clone();
        value_past_end[12..16].copy_from_slice(&1000u32.to_be_bytes());
        let cases: Vec<Vec<u8>> = vec![
            vec![200, b'S', b'o'],
            value_past_end,
            [&[0u8, 0, 0, 0, 0][..], &valid].concat(),
            [&valid[..], b"\x03a b\x00\x00\x00\x00"].concat(),
            valid[..valid.len() - 1].to_vec(),
        ];
        for data in cases {
            let expected = Dropped::handshake(Malformed::BadMetadata);
            refused(kind, t, hello_with_raw_metadata(&data), expected).await;
        }
    })
    .await;
}

/// Names compare case-insensitively: `Socket-Type` then `socket-type` is a duplicate, named
/// as the second one was spelled.
async fn ready_with_a_duplicated_property_is_refused(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let name = kind.partner().name().as_bytes();
        let twice = hello_with(&[("Socket-Type", name), ("socket-type", name)]);
        let expected = Malformed::DuplicateProperty("socket-type".into());
        refused(kind, t, twice, Dropped::handshake(expected)).await;
        let extra = hello_with(&[("Socket-Type", name), ("X-A", b"1"), ("x-a", b"2")]);
        let expected = Malformed::DuplicateProperty("x-a".into());
        refused(kind, t, extra, Dropped::handshake(expected)).await;
    })
    .await;
}

async fn ready_without_a_known_socket_type_is_refused(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let missing = hello_with(&[("Identity", b"")]);
        let expected = Dropped::handshake(ProtocolViolation::MissingSocketType);
        refused(kind, t, missing, expected).await;
        let unknown = hello_with(&[("Socket-Type", b"STREAM")]);
        let expected = Malformed::UnknownSocketType("STREAM".into());
        refused(kind, t, unknown, Dropped::handshake(expected)).await;
        // Socket type names are exact: libzmq compares them case-sensitively.
        let lower = kind.partner().name().to_lowercase();
        let expected = Malformed::UnknownSocketType(lower.clone().into());
        let hello = hello_with(&[("Socket-Type", lower.as_bytes())]);
        refused(kind, t, hello, Dropped::handshake(expected)).await;
    })
    .await;
}

async fn an_identity_over_255_bytes_is_refused(t: Transport) {
    for_each_kind(KINDS, |kind| {
        let name = kind.partner().name().as_bytes();
        let hello = hello_with(&[("Socket-Type", name), ("Identity", &[b'i'; 256])]);
        let expected = Dropped::handshake(ProtocolViolation::IdentityTooLong(256));
        refused(kind, t, hello, expected)
    })
    .await;
}

/// NULL knows READY and ERROR only: anything else before READY (here a command nobody
/// defines, and PING) is refused by name.
async fn an_unknown_command_in_the_handshake_is_a_protocol_violation(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        for name in ["X-UNKNOWN", "PING"] {
            let mut bytes = greeting(1);
            bytes.extend_from_slice(&command(name, b"\x00\x0a"));
            bytes.extend_from_slice(&ready(kind.partner().name()));
            let expected = ProtocolViolation::UnexpectedCommand(name.into());
            refused(kind, t, bytes, Dropped::handshake(expected)).await;
        }
    })
    .await;
}

/// The subject tells the peer why with an ERROR command before closing.
async fn an_incompatible_socket_type_is_refused_with_an_error_command(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let mut arena = Arena::default(kind, t).await;
        let mut raw = Hostile::connect(&arena.endpoint).await;
        let theirs = kind.incompatible();
        let mut hello = greeting(1);
        hello.extend_from_slice(&ready(theirs.name()));
        raw.send(&hello).await.unwrap();
        let expected = Incompatible::SocketType {
            ours: kind.socket_type(),
            theirs: theirs.socket_type(),
        };
        arena.expect_dropped(Dropped::handshake(expected)).await;
        let received = raw.finish().await;
        let error = command("ERROR", b"\x13Invalid socket type");
        assert!(
            zmtp_tests::find(&received, &error).is_some(),
            "no ERROR before the close: {received:02x?}"
        );
        arena.still_serves(&[]).await;
    })
    .await;
}

/// A PAIR with its good peer refuses a second, well-behaved raw PAIR; a ROUTER refuses a raw
/// DEALER announcing its good peer's identity. Both after the handshake, with a typed reason.
async fn a_second_pair_or_a_duplicate_router_identity_is_refused(t: Transport) {
    for_each_kind(&[Kind::Pair, Kind::Router], |kind| async move {
        let mut arena = Arena::default(kind, t).await;
        if !arena.good_connected() {
            arena.connect_good().await;
        }
        let hello = ready_with(&[
            ("Socket-Type", kind.partner().name().as_bytes()),
            ("Identity", GOOD_IDENTITY.as_bytes()),
        ]);
        let raw = Hostile::connect_with_ready(&arena.endpoint, &hello).await;
        let refusal = match kind {
            Kind::Pair => Refusal::PairTaken,
            _ => Refusal::DuplicateIdentity,
        };
        let got = arena.dropped().await;
        assert_eq!(got.reason, DisconnectReason::Refused(refusal));
        raw.finish().await;
        arena.still_serves(&[]).await;
    })
    .await;
}

/// Our socket connects to a raw server that sends garbage: `HandshakeFailed` (BadSignature),
/// then a retry, which meets a well-behaved server; a message queued before (kinds that queue
/// on connect) is delivered to it.
async fn a_hostile_server_is_retried_and_queued_messages_survive(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let (listener, endpoint, mut subject, mut monitor) = connecting(kind, t).await;
        let queues = matches!(kind, Kind::Push | Kind::Dealer | Kind::Pair | Kind::Req);
        if queues {
            within(LIMIT, "queue", subject.send("queued"))
                .await
                .unwrap();
        }
        let mut bad = listener.accept().await.unwrap();
        bad.send_raw(b"SSH-2.0-OpenSSH_9.6\r\n").await.unwrap();
        let (event, _) = wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::HandshakeFailed { .. })
        })
        .await;
        let expected = MonitorEvent::HandshakeFailed {
            endpoint: endpoint.clone(),
            reason: DisconnectReason::Connection(Malformed::BadSignature.into()),
        };
        assert_eq!(event, expected);
        bad.read_until_closed().await.unwrap();
        let mut good = listener.accept().await.unwrap();
        good.handshake(kind.partner().name()).await.unwrap();
        if queues {
            let got = good.read_message().await.unwrap();
            assert_eq!(got.last().unwrap()[..], b"queued"[..]);
        }
        wait_for_event(&mut monitor, LIMIT, |e| {
            matches!(e, MonitorEvent::HandshakeSucceeded { .. })
        })
        .await;
        assert_eq!(subject.connected_peers(), 1);
    })
    .await;
}

/// A server of an incompatible type is not retried (libzmq gives up on it too).
async fn an_incompatible_server_is_not_retried(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let (listener, _endpoint, _subject, mut monitor) = connecting(kind, t).await;
        let mut bad = listener.accept().await.unwrap();
        let mut hello = greeting(1);
        hello.extend_from_slice(&ready(kind.incompatible().name()));
        bad.send_raw(&hello).await.unwrap();
        let reason = handshake_reason(&mut monitor).await;
        let expected = Incompatible::SocketType {
            ours: kind.socket_type(),
            theirs: kind.incompatible().socket_type(),
        };
        assert_eq!(reason, DisconnectReason::Connection(expected.into()));
        bad.read_until_closed().await.unwrap();
        let again = tokio::time::timeout(Duration::from_millis(300), listener.accept()).await;
        assert!(again.is_err(), "reconnected to an incompatible server");
    })
    .await;
}

async fn handshake_reason(monitor: &mut Monitor) -> DisconnectReason {
    match wait_for_event(monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::HandshakeFailed { .. })
    })
    .await
    .0
    {
        MonitorEvent::HandshakeFailed { reason, .. } => reason,
        _ => unreachable!(),
    }
}

/// A subject of `kind` (reconnecting after 20 ms) connecting to a raw listener on `t`.
async fn connecting(kind: Kind, t: Transport) -> (RawListener, Endpoint, AnySocket, Monitor) {
    let listener = RawListener::bind(t).await.unwrap();
    let endpoint: Endpoint = listener.endpoint().parse().unwrap();
    let options = hostile_options().reconnect(Duration::from_millis(20), None);
    let subject = any_socket(kind, options);
    let monitor = subject.monitor();
    subject.connect(&endpoint).expect("connect");
    (listener, endpoint, subject, monitor)
}
