//! PLAIN (RFC 24) between in-memory connections and against scripted peers.

mod support;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use support::{command, drain, events, frame, greeting, Pair};
use zmtp_core::error::{Incompatible, Malformed, ProtocolViolation, Timeout};
use zmtp_core::greeting::MechanismName;
use zmtp_core::{
    AuthDecision, AuthError, Config, ConfigError, Connection, ConnectionError, Credentials,
    DenyStatus, Event, MechanismConfig, Message, Metadata, Password, PlainCredentials, SocketType,
};

fn client(socket_type: SocketType, user: &'static str, password: &str) -> Config {
    let mut config = Config::new(socket_type);
    config.mechanism =
        MechanismConfig::PlainClient(PlainCredentials::new(user, Password::from(password)));
    config
}

fn server(socket_type: SocketType, ask: bool) -> Config {
    let mut config = Config::new(socket_type);
    config.mechanism = MechanismConfig::PlainServer;
    config.auth_requests = ask;
    config.peer_address = "192.0.2.7".into();
    config
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

/// Runs the handshake up to the server's question and returns it.
fn asked(pair: &mut Pair) -> zmtp_core::AuthRequest {
    pair.pump();
    match &pair.take_b()[..] {
        [Event::AuthRequest(request)] => (**request).clone(),
        other => panic!("expected one AuthRequest, got {other:?}"),
    }
}

#[test]
fn plain_handshake_asks_the_hook_and_attaches_its_answer() {
    let mut p = Pair::new(
        client(SocketType::Req, "admin", "secret"),
        server(SocketType::Rep, true),
    );
    let request = asked(&mut p);
    assert_eq!(request.mechanism, MechanismName::PLAIN);
    assert_eq!(request.peer_address, "192.0.2.7");
    assert_eq!(
        request.peer_identity, None,
        "PLAIN decides before any metadata"
    );
    assert_eq!(
        request.credentials,
        Credentials::Plain {
            username: Bytes::from_static(b"admin"),
            password: Password::from("secret"),
        }
    );
    assert!(p.a_events.is_empty() && !p.a.is_ready() && !p.b.is_ready());

    let mut properties = Metadata::new();
    properties.insert("X-Role", "operator").unwrap();
    p.b.authenticate(
        p.now,
        AuthDecision::Allow {
            user_id: Bytes::from_static(b"admin"),
            properties,
        },
    );
    p.pump();
    match (&p.take_a()[..], &p.take_b()[..]) {
        ([Event::Ready(at_client)], [Event::Ready(at_server)]) => {
            assert_eq!(at_client.socket_type, SocketType::Rep);
            assert!(at_client.user_id.is_empty() && at_client.peer_key.is_none());
            assert_eq!(at_server.socket_type, SocketType::Req);
            assert_eq!(at_server.user_id, "admin");
            assert_eq!(at_server.auth_properties.get("x-role").unwrap(), "operator");
        }
        other => panic!("{other:?}"),
    }

    p.a.send(&Message::from_iter(["", "ping"])).unwrap();
    p.pump();
    assert!(matches!(&p.take_b()[..], [Event::Message(m)] if m.frames()[1] == "ping"));
    p.b.send(&Message::from_iter(["", "pong"])).unwrap();
    p.pump();
    assert!(matches!(&p.take_a()[..], [Event::Message(m)] if m.frames()[1] == "pong"));
}

#[test]
fn plain_server_without_a_hook_refuses_everyone() {
    let mut p = Pair::new(
        client(SocketType::Dealer, "admin", "secret"),
        server(SocketType::Router, false),
    );
    p.pump();
    assert_eq!(
        closed(&p.b_events),
        [&ConnectionError::Authentication(AuthError::Denied {
            status: DenyStatus::Denied
        })]
    );
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Authentication(AuthError::Rejected {
            reason: Bytes::from_static(b"400")
        })]
    );
    assert!(!p.a_events.iter().any(|e| matches!(e, Event::Ready(_))));
}

#[test]
fn wrong_password_is_refused_with_error_400_and_internal_errors_with_500() {
    for (status, reason) in [(DenyStatus::Denied, "400"), (DenyStatus::Internal, "500")] {
        let mut p = Pair::new(
            client(SocketType::Push, "admin", "wrong"),
            server(SocketType::Pull, true),
        );
        asked(&mut p);
        p.b.authenticate(p.now, AuthDecision::Deny(status));
        p.pump();
        assert_eq!(
            closed(&p.a_events),
            [&ConnectionError::Authentication(AuthError::Rejected {
                reason: Bytes::copy_from_slice(reason.as_bytes())
            })]
        );
        assert_eq!(
            closed(&p.b_events),
            [&ConnectionError::Authentication(AuthError::Denied {
                status
            })]
        );
    }
}

#[test]
fn a_temporary_refusal_closes_without_error_so_the_client_may_retry() {
    let mut p = Pair::new(
        client(SocketType::Push, "admin", "secret"),
        server(SocketType::Pull, true),
    );
    asked(&mut p);
    p.b.authenticate(p.now, AuthDecision::Deny(DenyStatus::Temporary));
    assert!(drain(&mut p.b).is_empty(), "no ERROR for status 300");
    p.pump();
    assert!(p.a_events.is_empty(), "the client only sees the disconnect");
    p.a.handle_eof(p.now);
    assert_eq!(
        events(&mut p.a),
        [Event::Closed(ConnectionError::PeerDisconnected {
            mid_message: false
        })]
    );
}

#[test]
fn an_unanswered_question_ends_in_a_handshake_timeout_and_late_answers_are_ignored() {
    let mut p = Pair::new(
        client(SocketType::Req, "admin", "secret"),
        server(SocketType::Rep, true),
    );
    asked(&mut p);
    p.advance_silently(Duration::from_secs(31));
    assert_eq!(
        closed(&p.b_events),
        [&ConnectionError::Timeout(Timeout::Handshake)]
    );
    p.b.authenticate(p.now, AuthDecision::allow());
    assert!(drain(&mut p.b).is_empty() && events(&mut p.b).is_empty());
}

#[test]
fn answers_nobody_asked_for_are_ignored() {
    let mut p = Pair::new(
        client(SocketType::Req, "admin", "secret"),
        server(SocketType::Rep, true),
    );
    p.a.authenticate(p.now, AuthDecision::allow());
    p.b.authenticate(p.now, AuthDecision::deny());
    asked(&mut p);
    p.b.authenticate(p.now, AuthDecision::allow_as("admin"));
    p.b.authenticate(p.now, AuthDecision::deny());
    p.pump();
    assert!(matches!(&p.take_a()[..], [Event::Ready(_)]));
    assert!(matches!(&p.take_b()[..], [Event::Ready(peer)] if peer.user_id == "admin"));
}

#[test]
fn credentials_longer_than_255_bytes_are_a_config_error() {
    let long = "x".repeat(256);
    let mut config = Config::new(SocketType::Req);
    config.mechanism = MechanismConfig::PlainClient(PlainCredentials::new(
        Bytes::from(long.clone()),
        Password::from("p"),
    ));
    assert_eq!(
        config.validate(),
        Err(ConfigError::CredentialTooLong {
            field: "username",
            len: 256
        })
    );
    config.mechanism =
        MechanismConfig::PlainClient(PlainCredentials::new("u", Password::from(&long[..])));
    assert_eq!(
        config.validate(),
        Err(ConfigError::CredentialTooLong {
            field: "password",
            len: 256
        })
    );
}

#[test]
fn plain_and_null_peers_refuse_each_other() {
    let mut p = Pair::new(
        client(SocketType::Req, "u", "p"),
        Config::new(SocketType::Rep),
    );
    p.pump();
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Incompatible(Incompatible::Mechanism {
            ours: "PLAIN".into(),
            theirs: "NULL".into()
        })]
    );
}

// Scripted peers: exact bytes in, exact bytes out.

/// A connection that has exchanged greetings with a scripted PLAIN peer; returns it and
/// what it sent after its greeting.
fn after_greeting(config: Config) -> (Connection, Vec<u8>) {
    let now = std::time::Instant::now();
    let mut conn = Connection::new(config, now).unwrap();
    conn.handle_bytes(
        now,
        &mut BytesMut::from(&greeting(3, 1, "PLAIN", false)[..]),
    );
    let sent = drain(&mut conn);
    (conn, sent[64..].to_vec())
}

fn feed(conn: &mut Connection, bytes: &[u8]) -> Vec<Event> {
    conn.handle_bytes(std::time::Instant::now(), &mut BytesMut::from(bytes));
    events(conn)
}

#[test]
fn the_client_sends_rfc24_bytes_and_ignores_the_peer_as_server_byte() {
    let (mut conn, sent) = after_greeting(client(SocketType::Req, "admin", "secret"));
    assert_eq!(sent, command("HELLO", b"\x05admin\x06secret"));
    assert!(feed(&mut conn, &command("WELCOME", b"")).is_empty());
    let initiate = drain(&mut conn);
    let mut metadata = vec![11];
    metadata.extend_from_slice(b"Socket-Type\x00\x00\x00\x03REQ\x08Identity\x00\x00\x00\x00");
    assert_eq!(initiate, command("INITIATE", &metadata));
    let mut ready = vec![11];
    ready.extend_from_slice(b"Socket-Type\x00\x00\x00\x03REP");
    assert!(matches!(
        &feed(&mut conn, &command("READY", &ready))[..],
        [Event::Ready(_)]
    ));
}

#[test]
fn the_server_announces_as_server_and_answers_welcome_then_ready() {
    let mut config = server(SocketType::Rep, false);
    config.auth_requests = true;
    let now = std::time::Instant::now();
    let mut conn = Connection::new(config, now).unwrap();
    conn.handle_bytes(now, &mut BytesMut::from(&greeting(3, 1, "PLAIN", true)[..]));
    let greeting_out = drain(&mut conn);
    assert_eq!(greeting_out[32], 1, "as-server byte of a PLAIN server");
    assert_eq!(greeting_out.len(), 64, "a server speaks only after HELLO");
    let asked = feed(&mut conn, &command("HELLO", b"\x01u\x01p"));
    assert!(matches!(&asked[..], [Event::AuthRequest(_)]));
    conn.authenticate(now, AuthDecision::allow());
    assert_eq!(drain(&mut conn), command("WELCOME", b""));
    let mut metadata = vec![11];
    metadata.extend_from_slice(b"Socket-Type\x00\x00\x00\x03REQ");
    assert!(matches!(
        &feed(&mut conn, &command("INITIATE", &metadata))[..],
        [Event::Ready(_)]
    ));
    let mut ready = vec![11];
    ready.extend_from_slice(b"Socket-Type\x00\x00\x00\x03REP");
    assert_eq!(drain(&mut conn), command("READY", &ready));
}

#[test]
fn malformed_and_misplaced_plain_commands_are_typed_errors() {
    let server_cases: [(Vec<u8>, ConnectionError); 5] = [
        (
            command("HELLO", b"\x05admin\x07hunter"),
            Malformed::BadCommandBody { command: "HELLO" }.into(),
        ),
        (
            command("HELLO", b"\x01u\x01px"),
            Malformed::BadCommandBody { command: "HELLO" }.into(),
        ),
        (
            command("INITIATE", b""),
            ProtocolViolation::UnexpectedCommand("INITIATE".into()).into(),
        ),
        (
            command("HELO", b"\x01u\x01p"),
            ProtocolViolation::UnexpectedCommand("HELO".into()).into(),
        ),
        (
            frame(0x00, b"data"),
            ProtocolViolation::MessageBeforeHandshake.into(),
        ),
    ];
    for (bytes, expected) in server_cases {
        let (mut conn, _) = after_greeting(server(SocketType::Rep, true));
        assert_eq!(
            feed(&mut conn, &bytes),
            [Event::Closed(expected)],
            "{bytes:?}"
        );
    }

    let client_cases: [(Vec<u8>, ConnectionError); 5] = [
        (
            // libzmq 4.3's PLAIN server misspells ERROR (see plain.rs); captured bytes.
            frame(0x04, b"\x5eRROR\x03400"),
            AuthError::Rejected {
                reason: Bytes::from_static(b"400"),
            }
            .into(),
        ),
        (
            command("WELCOME", b"x"),
            Malformed::BadCommandBody { command: "WELCOME" }.into(),
        ),
        (
            command("READY", b""),
            ProtocolViolation::UnexpectedCommand("READY".into()).into(),
        ),
        (
            command("ERROR", b"\x09bad creds"),
            AuthError::Rejected {
                reason: Bytes::from_static(b"bad creds"),
            }
            .into(),
        ),
        (
            command("ERROR", b"\x09short"),
            Malformed::BadCommandBody { command: "ERROR" }.into(),
        ),
    ];
    for (bytes, expected) in client_cases {
        let (mut conn, _) = after_greeting(client(SocketType::Req, "u", "p"));
        assert_eq!(
            feed(&mut conn, &bytes),
            [Event::Closed(expected)],
            "{bytes:?}"
        );
    }
}

#[test]
fn a_second_hello_while_the_hook_decides_is_refused() {
    let (mut conn, _) = after_greeting(server(SocketType::Rep, true));
    let mut both = command("HELLO", b"\x01u\x01p");
    both.extend_from_slice(&command("HELLO", b"\x01u\x01p"));
    match &feed(&mut conn, &both)[..] {
        [Event::AuthRequest(_), Event::Closed(e)] => assert_eq!(
            e,
            &ConnectionError::from(ProtocolViolation::UnexpectedCommand("HELLO".into()))
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_plain_connection_never_downgrades_to_zmtp_2() {
    let now = std::time::Instant::now();
    let mut conn = Connection::new(client(SocketType::Req, "u", "p"), now).unwrap();
    let mut zmtp2 = BytesMut::from(&b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x01\x03"[..]);
    conn.handle_bytes(now, &mut zmtp2);
    assert_eq!(
        events(&mut conn),
        [Event::Closed(Incompatible::Version { major: 1 }.into())]
    );
}
