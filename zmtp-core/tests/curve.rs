//! CURVE (RFC 25/26) between in-memory connections with a seeded random source, and against a
//! scripted client written separately from RFC 26 (support/raw_curve.rs).
#![cfg(feature = "curve")]

#[path = "support/raw_curve.rs"]
mod raw_curve;
mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use raw_curve::{public_of, RawCurveClient, Vouch};
use support::{command, drain, events, frame, frames, greeting, Pair, SeededRandom};
use zmtp_core::error::{Incompatible, Malformed, ProtocolViolation};
use zmtp_core::greeting::MechanismName;
use zmtp_core::{
    AuthDecision, AuthError, Config, Connection, ConnectionError, Credentials, CurveClientConfig,
    CurveServerConfig, DenyStatus, Event, KeyPair, MechanismConfig, Message, PublicKey, SecretKey,
    SocketType,
};

const SERVER_SECRET: [u8; 32] = [0x5E; 32];
const CLIENT_SECRET: [u8; 32] = [0xC1; 32];

fn pair_of(secret: [u8; 32]) -> KeyPair {
    KeyPair::from_secret(SecretKey::from_bytes(secret))
}

fn server_public() -> PublicKey {
    *pair_of(SERVER_SECRET).public()
}

fn curve_client(socket_type: SocketType, server_key: PublicKey, seed: u64) -> Config {
    let mut config = Config::new(socket_type);
    config.mechanism = MechanismConfig::CurveClient(CurveClientConfig::new(
        server_key,
        pair_of(CLIENT_SECRET),
        Arc::new(SeededRandom::new(seed)),
    ));
    config
}

fn curve_server(socket_type: SocketType, seed: u64, ask: bool) -> Config {
    let mut config = Config::new(socket_type);
    config.mechanism = MechanismConfig::CurveServer(CurveServerConfig::new(
        pair_of(SERVER_SECRET),
        Arc::new(SeededRandom::new(seed)),
    ));
    config.auth_requests = ask;
    config.peer_address = "198.51.100.4".into();
    config
}

/// Moves bytes both ways until both sides are quiet; returns what each side wrote.
fn relay(p: &mut Pair) -> (Vec<u8>, Vec<u8>) {
    let (mut a_wire, mut b_wire) = (Vec::new(), Vec::new());
    loop {
        let from_a = drain(&mut p.a);
        let from_b = drain(&mut p.b);
        if from_a.is_empty() && from_b.is_empty() {
            break;
        }
        p.b.handle_bytes(p.now, &mut BytesMut::from(&from_a[..]));
        p.a.handle_bytes(p.now, &mut BytesMut::from(&from_b[..]));
        a_wire.extend_from_slice(&from_a);
        b_wire.extend_from_slice(&from_b);
    }
    p.drain_events();
    (a_wire, b_wire)
}

fn ready_pair(client: Config, server: Config) -> Pair {
    let mut p = Pair::new(client, server);
    relay(&mut p);
    assert!(matches!(&p.take_a()[..], [Event::Ready(_)]), "{:?}", p.a);
    assert!(matches!(&p.take_b()[..], [Event::Ready(_)]), "{:?}", p.b);
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

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn curve_handshake_has_libzmq_sizes_and_every_frame_after_it_is_sealed() {
    let mut client = curve_client(SocketType::Dealer, server_public(), 1);
    client.identity = Bytes::from_static(b"worker-7");
    let mut p = Pair::new(client, curve_server(SocketType::Router, 2, false));
    relay(&mut p);
    match (&p.take_a()[..], &p.take_b()[..]) {
        ([Event::Ready(at_client)], [Event::Ready(at_server)]) => {
            assert_eq!(at_client.peer_key, Some(server_public()));
            assert_eq!(at_server.peer_key, Some(*pair_of(CLIENT_SECRET).public()));
            assert_eq!(at_server.identity, "worker-7");
        }
        other => panic!("{other:?}"),
    }

    let big = Bytes::from(vec![b'z'; 5000]);
    let secret = Bytes::from_static(b"secret-payload");
    p.a.send(&Message::from_iter([secret.clone(), big.clone()]))
        .unwrap();
    // (Routing ids are the socket's business: the connection sends frames as given.)
    p.b.send(&Message::from(secret.clone())).unwrap();
    let (a_wire, b_wire) = relay(&mut p);
    assert!(!contains(&a_wire, b"secret-payload") && !contains(&b_wire, b"secret-payload"));
    assert!(
        matches!(&p.take_b()[..], [Event::Message(m)] if m.frames()[0] == secret && m.frames()[1] == big)
    );
    assert!(matches!(&p.take_a()[..], [Event::Message(m)] if m.frames()[0] == secret));

    // Client to server: two MESSAGEs as message frames with no wire flags (MORE is sealed
    // inside, as libzmq 4.3 sends them; the second is long), nonces 3 and 4.
    let sent = frames(&a_wire, 0);
    assert_eq!(sent.len(), 2);
    assert_eq!((sent[0].0, sent[1].0), (0x00, 0x02));
    for ((_, body), nonce) in sent.iter().zip([3u64, 4]) {
        assert_eq!(&body[..8], b"\x07MESSAGE");
        assert_eq!(body[8..16], nonce.to_be_bytes());
    }
    assert_eq!(sent[0].1.len(), 33 + secret.len());
}

#[test]
fn handshake_commands_have_the_sizes_libzmq_checks() {
    let mut p = Pair::new(
        curve_client(SocketType::Req, server_public(), 1),
        curve_server(SocketType::Rep, 2, false),
    );
    let (a_wire, b_wire) = relay(&mut p);
    let from_client = frames(&a_wire, 64);
    let from_server = frames(&b_wire, 64);
    let hello = &from_client[0];
    assert_eq!((hello.0, hello.1.len()), (0x04, 200));
    assert_eq!(&hello.1[..8], b"\x05HELLO\x01\x00");
    assert!(
        hello.1[8..80].iter().all(|&b| b == 0),
        "72 bytes of padding"
    );
    assert_eq!(
        hello.1[112..120],
        1u64.to_be_bytes(),
        "client short nonce 1"
    );
    let welcome = &from_server[0];
    assert_eq!((welcome.0, welcome.1.len()), (0x04, 168));
    let initiate = &from_client[1];
    assert_eq!(&initiate.1[..9], b"\x08INITIATE");
    assert!(initiate.1.len() >= 257);
    assert_eq!(
        initiate.1[105..113],
        2u64.to_be_bytes(),
        "client short nonce 2"
    );
    let ready = &from_server[1];
    assert_eq!(&ready.1[..6], b"\x05READY");
    assert!(ready.1.len() >= 30);
    assert_eq!(ready.1[6..14], 1u64.to_be_bytes(), "server short nonce 1");
    let mut g = b_wire[..64].to_vec();
    assert_eq!(g[32], 1, "a CURVE server announces as-server");
    g[32] = 0;
    assert_eq!(
        &a_wire[..64],
        &g[..],
        "otherwise the greetings are the same"
    );
}

#[test]
fn the_same_seeds_give_the_same_bytes() {
    let transcript = |client_seed, server_seed| {
        let mut p = Pair::new(
            curve_client(SocketType::Push, server_public(), client_seed),
            curve_server(SocketType::Pull, server_seed, false),
        );
        let wires = relay(&mut p);
        p.a.send(&Message::from("m")).unwrap();
        (wires, drain(&mut p.a))
    };
    assert_eq!(transcript(1, 2), transcript(1, 2));
    assert_ne!(transcript(1, 2).0 .0, transcript(3, 2).0 .0);
    assert_ne!(transcript(1, 2).0 .1, transcript(1, 3).0 .1);
}

#[test]
fn heartbeats_and_subscriptions_travel_sealed() {
    let mut sub = curve_client(SocketType::Sub, server_public(), 1);
    sub.heartbeat.interval = Some(Duration::from_secs(1));
    sub.heartbeat.timeout = Some(Duration::from_millis(300));
    let mut p = ready_pair(sub, curve_server(SocketType::Pub, 2, false));

    p.a.subscribe(b"weather").unwrap();
    p.a.cancel(b"weather").unwrap();
    let (a_wire, _) = relay(&mut p);
    assert!(!contains(&a_wire, b"weather") && !contains(&a_wire, b"SUBSCRIBE"));
    assert_eq!(
        p.take_b(),
        [
            Event::Subscribe(Bytes::from_static(b"weather")),
            Event::Cancel(Bytes::from_static(b"weather"))
        ]
    );

    // Only the SUB pings: it stays up only if the PUB's PONGs come back (sealed).
    let (mut pings, mut pongs) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        p.now += Duration::from_millis(100);
        p.a.handle_timeout(p.now);
        p.b.handle_timeout(p.now);
        let (a, b) = relay(&mut p);
        pings.extend_from_slice(&a);
        pongs.extend_from_slice(&b);
    }
    assert!(
        p.a_events.is_empty() && p.b_events.is_empty(),
        "{:?}",
        p.a_events
    );
    for wire in [&pings, &pongs] {
        assert!(!contains(wire, b"PING") && !contains(wire, b"PONG"));
        let sealed = frames(wire, 0);
        assert_eq!(sealed.len(), 5, "one PING a second, each answered");
        assert!(sealed
            .iter()
            .all(|(flags, body)| *flags == 0 && body.starts_with(b"\x07MESSAGE")));
    }

    // Nothing answers any more: the SUB's heartbeat timeout fires.
    p.advance_silently(Duration::from_secs(2));
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Timeout(
            zmtp_core::error::Timeout::Heartbeat
        )]
    );
}

#[test]
fn the_hook_sees_the_client_key_and_identity_and_attaches_a_user_id() {
    let mut client = curve_client(SocketType::Dealer, server_public(), 1);
    client.identity = Bytes::from_static(b"id-1");
    let mut p = Pair::new(client, curve_server(SocketType::Router, 2, true));
    relay(&mut p);
    let request = match &p.take_b()[..] {
        [Event::AuthRequest(request)] => request.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(request.mechanism, MechanismName::CURVE);
    assert_eq!(request.peer_address, "198.51.100.4");
    assert_eq!(request.peer_identity, Some(Bytes::from_static(b"id-1")));
    assert_eq!(
        request.credentials,
        Credentials::Curve {
            client_key: *pair_of(CLIENT_SECRET).public()
        }
    );
    p.b.authenticate(p.now, AuthDecision::allow_as("alice"));
    relay(&mut p);
    assert!(matches!(&p.take_a()[..], [Event::Ready(_)]));
    assert!(matches!(&p.take_b()[..], [Event::Ready(peer)] if peer.user_id == "alice"));
}

#[test]
fn a_refused_client_gets_error_400_and_both_sides_say_why() {
    let mut p = Pair::new(
        curve_client(SocketType::Req, server_public(), 1),
        curve_server(SocketType::Rep, 2, true),
    );
    relay(&mut p);
    p.b.authenticate(p.now, AuthDecision::deny());
    relay(&mut p);
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Authentication(AuthError::Rejected {
            reason: Bytes::from_static(b"400")
        })]
    );
    assert_eq!(
        closed(&p.b_events[1..]),
        [&ConnectionError::Authentication(AuthError::Denied {
            status: DenyStatus::Denied
        })]
    );
}

#[test]
fn without_a_hook_any_client_that_knows_the_server_key_gets_in() {
    for seed in [1, 5, 9] {
        let mut client = Config::new(SocketType::Req);
        client.mechanism = MechanismConfig::CurveClient(CurveClientConfig::new(
            server_public(),
            KeyPair::generate(&SeededRandom::new(seed)),
            Arc::new(SeededRandom::new(seed + 100)),
        ));
        ready_pair(client, curve_server(SocketType::Rep, seed, false));
    }
}

#[test]
fn a_client_with_the_wrong_server_key_is_dropped_without_a_reply() {
    let wrong = *pair_of([0x77; 32]).public();
    let mut p = Pair::new(
        curve_client(SocketType::Req, wrong, 1),
        curve_server(SocketType::Rep, 2, false),
    );
    let (_, b_wire) = relay(&mut p);
    assert_eq!(
        b_wire.len(),
        64,
        "the server sent its greeting and nothing else"
    );
    assert_eq!(
        closed(&p.b_events),
        [&ConnectionError::Authentication(AuthError::BadBox {
            command: "HELLO"
        })]
    );
    assert!(p.a_events.is_empty());
}

#[test]
fn two_clients_or_a_null_peer_are_refused() {
    let mut p = Pair::new(
        curve_client(SocketType::Req, server_public(), 1),
        curve_client(SocketType::Rep, server_public(), 2),
    );
    relay(&mut p);
    assert_eq!(
        closed(&p.a_events),
        [&ConnectionError::Protocol(
            ProtocolViolation::UnexpectedCommand("HELLO".into())
        )]
    );
    let mut p = Pair::new(
        curve_client(SocketType::Req, server_public(), 1),
        Config::new(SocketType::Rep),
    );
    relay(&mut p);
    assert!(matches!(
        closed(&p.a_events)[..],
        [ConnectionError::Incompatible(
            Incompatible::Mechanism { .. }
        )]
    ));
}

#[test]
fn a_curve_connection_never_downgrades_to_zmtp_2() {
    let now = std::time::Instant::now();
    for config in [
        curve_client(SocketType::Req, server_public(), 1),
        curve_server(SocketType::Rep, 2, false),
    ] {
        let mut conn = Connection::new(config, now).unwrap();
        let mut zmtp2 = BytesMut::from(&b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x01\x03"[..]);
        conn.handle_bytes(now, &mut zmtp2);
        fails_with(events(&mut conn), Incompatible::Version { major: 1 });
    }
}

#[test]
fn a_socket_type_mismatch_is_reported_in_a_sealed_error() {
    let mut p = Pair::new(
        curve_client(SocketType::Req, server_public(), 1),
        curve_server(SocketType::Pub, 2, false),
    );
    let (_, b_wire) = relay(&mut p);
    for events in [&p.a_events, &p.b_events] {
        assert!(matches!(
            closed(events)[..],
            [ConnectionError::Incompatible(
                Incompatible::SocketType { .. }
            )]
        ));
    }
    // The server's ERROR follows its READY, sealed like everything after it.
    let after_ready = frames(&b_wire, 64).split_off(2);
    assert_eq!(after_ready.len(), 1);
    assert!(after_ready[0].1.starts_with(b"\x07MESSAGE"));
    assert!(!contains(&b_wire, b"Invalid socket type"));
}

#[test]
fn any_split_of_the_byte_stream_gives_the_same_handshake_and_messages() {
    let run = |bytewise: bool| {
        let (config_s, config_c) = standard();
        let mut p = Pair::new(config_c, config_s);
        let (mut a_in, mut b_in) = (BytesMut::new(), BytesMut::new());
        for round in 0..40 {
            if round == 20 {
                let _ = p.a.send(&Message::from_iter(["", "request"]));
            }
            for byte in drain(&mut p.a) {
                b_in.extend_from_slice(&[byte]);
                if bytewise {
                    p.b.handle_bytes(p.now, &mut b_in);
                }
            }
            for byte in drain(&mut p.b) {
                a_in.extend_from_slice(&[byte]);
                if bytewise {
                    p.a.handle_bytes(p.now, &mut a_in);
                }
            }
            p.b.handle_bytes(p.now, &mut b_in);
            p.a.handle_bytes(p.now, &mut a_in);
        }
        p.drain_events();
        (p.take_a(), p.take_b())
    };
    let whole = run(false);
    assert!(
        matches!(&whole.1[..], [Event::Ready(_), Event::Message(_)]),
        "{whole:?}"
    );
    assert_eq!(run(true), whole);
}

// Scripted exchanges: each side alone, fed exact (possibly spoiled) commands.

/// Spoils a command body.
type Spoil = fn(&mut Vec<u8>);
/// Makes a vouch, and the long-term key INITIATE claims, from an honest client.
type VouchCase = fn(&RawCurveClient) -> (Vouch, [u8; 32]);

/// A server past the greeting, and a client that has sent its HELLO (returned as a body).
fn scripted(server: Config, client: Config) -> (Connection, Connection, Vec<u8>) {
    let now = std::time::Instant::now();
    let mut server = Connection::new(server, now).unwrap();
    server.handle_bytes(
        now,
        &mut BytesMut::from(&greeting(3, 1, "CURVE", false)[..]),
    );
    assert_eq!(drain(&mut server).len(), 64);
    let mut client = Connection::new(client, now).unwrap();
    client.handle_bytes(now, &mut BytesMut::from(&greeting(3, 1, "CURVE", true)[..]));
    let hello = frames(&drain(&mut client), 64).remove(0).1;
    (server, client, hello)
}

fn deliver(conn: &mut Connection, body: &[u8]) -> Vec<Event> {
    conn.handle_bytes(
        std::time::Instant::now(),
        &mut BytesMut::from(&frame(0x04, body)[..]),
    );
    events(conn)
}

fn body_of(conn: &mut Connection) -> Vec<u8> {
    frames(&drain(conn), 0).remove(0).1
}

fn fails_with(events: Vec<Event>, expected: impl Into<ConnectionError>) {
    assert_eq!(events, [Event::Closed(expected.into())]);
}

fn standard() -> (Config, Config) {
    (
        curve_server(SocketType::Rep, 2, false),
        curve_client(SocketType::Req, server_public(), 1),
    )
}

#[test]
fn malformed_hello_is_refused_with_the_right_error() {
    let spoil: [(Spoil, ConnectionError); 6] = [
        (
            |h| h.truncate(199),
            Malformed::BadCommandSize {
                command: "HELLO",
                size: 199,
            }
            .into(),
        ),
        (
            |h| h.push(0),
            Malformed::BadCommandSize {
                command: "HELLO",
                size: 201,
            }
            .into(),
        ),
        (
            |h| h[6] = 2,
            Incompatible::CurveVersion { major: 2, minor: 0 }.into(),
        ),
        (
            |h| h[2] = b'A',
            ProtocolViolation::UnexpectedCommand("HALLO".into()).into(),
        ),
        (
            |h| h[150] ^= 1,
            AuthError::BadBox { command: "HELLO" }.into(),
        ),
        (
            |h| h[112..120].copy_from_slice(&[0; 8]),
            AuthError::NonceNotIncreasing {
                command: "HELLO",
                nonce: 0,
                last: 0,
            }
            .into(),
        ),
    ];
    for (spoil, expected) in spoil {
        let (config_s, config_c) = standard();
        let (mut server, _, mut hello) = scripted(config_s, config_c);
        spoil(&mut hello);
        fails_with(deliver(&mut server, &hello), expected);
        assert!(drain(&mut server).is_empty(), "no reply to a bad HELLO");
    }
}

/// Runs a scripted exchange up to the client's INITIATE; returns (server, client, initiate).
fn up_to_initiate(server: Config, client: Config) -> (Connection, Connection, Vec<u8>) {
    let (mut server, mut client, hello) = scripted(server, client);
    assert!(deliver(&mut server, &hello).is_empty());
    let welcome = body_of(&mut server);
    assert!(deliver(&mut client, &welcome).is_empty());
    let initiate = body_of(&mut client);
    (server, client, initiate)
}

#[test]
fn malformed_initiate_is_refused_with_the_right_error() {
    let spoil: [(Spoil, ConnectionError); 5] = [
        (
            |i| i.truncate(256),
            Malformed::BadCommandSize {
                command: "INITIATE",
                size: 256,
            }
            .into(),
        ),
        (
            |i| i[8] = b'F',
            ProtocolViolation::UnexpectedCommand("INITIATF".into()).into(),
        ),
        (|i| i[9 + 40] ^= 1, AuthError::BadCookie.into()),
        (
            |i| i[105..113].copy_from_slice(&1u64.to_be_bytes()),
            AuthError::NonceNotIncreasing {
                command: "INITIATE",
                nonce: 1,
                last: 1,
            }
            .into(),
        ),
        (
            |i| *i.last_mut().unwrap() ^= 1,
            AuthError::BadBox {
                command: "INITIATE",
            }
            .into(),
        ),
    ];
    for (spoil, expected) in spoil {
        let (config_s, config_c) = standard();
        let (mut server, _, mut initiate) = up_to_initiate(config_s, config_c);
        spoil(&mut initiate);
        fails_with(deliver(&mut server, &initiate), expected);
        assert!(drain(&mut server).is_empty(), "no reply to a bad INITIATE");
    }
}

#[test]
fn a_cookie_issued_by_another_connection_is_refused() {
    // Each WELCOME seals its cookie under a fresh key: server B cannot open server A's cookie,
    // even with the same long-term keys and a client that got through A's HELLO.
    let (config_s, config_c) = standard();
    let (_, _, initiate_for_a) = up_to_initiate(config_s, config_c);
    let (_, config_c) = standard();
    let (mut server_b, _, _) = up_to_initiate(curve_server(SocketType::Rep, 3, false), config_c);
    fails_with(
        deliver(&mut server_b, &initiate_for_a),
        AuthError::BadCookie,
    );
}

#[test]
fn a_cookie_older_than_a_minute_is_refused() {
    let (mut config_s, config_c) = standard();
    config_s.handshake_timeout = None;
    let (mut server, _, initiate) = up_to_initiate(config_s, config_c);
    let later = std::time::Instant::now() + Duration::from_secs(61);
    server.handle_bytes(later, &mut BytesMut::from(&frame(0x04, &initiate)[..]));
    fails_with(events(&mut server), AuthError::CookieExpired);
}

#[test]
fn a_bad_vouch_is_refused_whatever_is_wrong_with_it() {
    let (server_config, _) = standard();
    let server_key = *server_public().as_bytes();
    let metadata = b"\x0bSocket-Type\x00\x00\x00\x03REQ";
    let client_public = public_of(CLIENT_SECRET);
    let cases: [VouchCase; 4] = [
        // Sealed by another key than the one INITIATE claims.
        |c| {
            (
                Vouch {
                    signer: [0x99; 32],
                    ..c.vouch()
                },
                public_of(CLIENT_SECRET),
            )
        },
        // Naming another transient key.
        |c| {
            (
                Vouch {
                    names_transient: [1; 32],
                    ..c.vouch()
                },
                public_of(CLIENT_SECRET),
            )
        },
        // Naming another server.
        |c| {
            (
                Vouch {
                    names_server: [2; 32],
                    ..c.vouch()
                },
                public_of(CLIENT_SECRET),
            )
        },
        // Honest vouch, but INITIATE claims someone else's key.
        |c| (c.vouch(), public_of([0x42; 32])),
    ];
    for case in cases {
        let now = std::time::Instant::now();
        let mut server = Connection::new(server_config.clone(), now).unwrap();
        server.handle_bytes(
            now,
            &mut BytesMut::from(&greeting(3, 1, "CURVE", false)[..]),
        );
        drain(&mut server);
        let mut raw = RawCurveClient::new(server_key, CLIENT_SECRET, [0x33; 32]);
        assert!(deliver(&mut server, &raw.hello(1)).is_empty());
        raw.welcome(&body_of(&mut server));
        let (vouch, claimed) = case(&raw);
        fails_with(
            deliver(&mut server, &raw.initiate(2, &vouch, claimed, metadata)),
            AuthError::BadVouch,
        );
    }

    // The same script, honest, gets in: the scripted client and zmtp-core agree on the bytes.
    let now = std::time::Instant::now();
    let mut server = Connection::new(server_config, now).unwrap();
    server.handle_bytes(
        now,
        &mut BytesMut::from(&greeting(3, 1, "CURVE", false)[..]),
    );
    drain(&mut server);
    let mut raw = RawCurveClient::new(server_key, CLIENT_SECRET, [0x33; 32]);
    deliver(&mut server, &raw.hello(1));
    raw.welcome(&body_of(&mut server));
    let ready = deliver(
        &mut server,
        &raw.initiate(2, &raw.vouch(), client_public, metadata),
    );
    assert!(
        matches!(&ready[..], [Event::Ready(peer)] if peer.peer_key == Some(PublicKey::from_bytes(client_public)))
    );
    let metadata_back = raw.ready(&body_of(&mut server)).expect("READY opens");
    assert!(contains(&metadata_back, b"REP"));
    let message = raw.message(3, 0, b"\x00");
    assert!(matches!(
        &deliver(&mut server, &message)[..],
        [Event::Message(m)] if m.frames()[0] == b"\x00"[..]
    ));
    server.send(&Message::from_iter(["", "reply"])).unwrap();
    let sealed = frames(&drain(&mut server), 0);
    assert_eq!(raw.open_message(&sealed[1].1), Some((0, b"reply".to_vec())));
}

#[test]
fn malformed_welcome_and_ready_are_refused_by_the_client() {
    let welcome_cases: [(Spoil, ConnectionError); 4] = [
        (
            |w| w.truncate(167),
            Malformed::BadCommandSize {
                command: "WELCOME",
                size: 167,
            }
            .into(),
        ),
        (
            |w| w[100] ^= 1,
            AuthError::BadBox { command: "WELCOME" }.into(),
        ),
        (
            |w| *w = command("READY", &[0; 30])[2..].to_vec(),
            ProtocolViolation::UnexpectedCommand("READY".into()).into(),
        ),
        (
            |w| *w = b"\x05ERROR\x03400".to_vec(),
            AuthError::Rejected {
                reason: Bytes::from_static(b"400"),
            }
            .into(),
        ),
    ];
    for (spoil, expected) in welcome_cases {
        let (config_s, config_c) = standard();
        let (mut server, mut client, hello) = scripted(config_s, config_c);
        deliver(&mut server, &hello);
        let mut welcome = body_of(&mut server);
        spoil(&mut welcome);
        fails_with(deliver(&mut client, &welcome), expected);
    }

    let ready_cases: [(Spoil, ConnectionError); 3] = [
        (
            |r| r.truncate(29),
            Malformed::BadCommandSize {
                command: "READY",
                size: 29,
            }
            .into(),
        ),
        (
            |r| *r.last_mut().unwrap() ^= 1,
            AuthError::BadBox { command: "READY" }.into(),
        ),
        (
            |r| r[6..14].copy_from_slice(&[0; 8]),
            AuthError::NonceNotIncreasing {
                command: "READY",
                nonce: 0,
                last: 0,
            }
            .into(),
        ),
    ];
    for (spoil, expected) in ready_cases {
        let (config_s, config_c) = standard();
        let (mut server, mut client, initiate) = up_to_initiate(config_s, config_c);
        assert!(matches!(
            &deliver(&mut server, &initiate)[..],
            [Event::Ready(_)]
        ));
        let mut ready = body_of(&mut server);
        spoil(&mut ready);
        fails_with(deliver(&mut client, &ready), expected);
    }
}

/// Two ready connections and two sealed MESSAGE frames from the server to the client.
fn two_sealed_messages() -> (Pair, Vec<u8>, Vec<u8>) {
    let (config_s, config_c) = standard();
    let mut p = ready_pair(config_c, config_s);
    p.b.send(&Message::from("first")).unwrap();
    let first = drain(&mut p.b);
    p.b.send(&Message::from("second")).unwrap();
    let second = drain(&mut p.b);
    (p, first, second)
}

fn feed_client(p: &mut Pair, bytes: &[u8]) -> Vec<Event> {
    p.a.handle_bytes(p.now, &mut BytesMut::from(bytes));
    events(&mut p.a)
}

#[test]
fn replayed_and_reordered_messages_are_refused() {
    let (mut p, first, second) = two_sealed_messages();
    assert!(
        matches!(&feed_client(&mut p, &first)[..], [Event::Message(m)] if m.frames()[0] == "first")
    );
    fails_with(
        feed_client(&mut p, &first),
        AuthError::NonceNotIncreasing {
            command: "MESSAGE",
            nonce: 2,
            last: 2,
        },
    );

    let (mut p, first, second_again) = two_sealed_messages();
    assert_eq!(second, second_again, "seeded: the same bytes again");
    assert!(
        matches!(&feed_client(&mut p, &second)[..], [Event::Message(m)] if m.frames()[0] == "second")
    );
    fails_with(
        feed_client(&mut p, &first),
        AuthError::NonceNotIncreasing {
            command: "MESSAGE",
            nonce: 2,
            last: 3,
        },
    );
}

#[test]
fn altered_short_or_clear_text_frames_after_the_handshake_are_refused() {
    let (mut p, mut first, _) = two_sealed_messages();
    *first.last_mut().unwrap() ^= 1;
    fails_with(
        feed_client(&mut p, &first),
        AuthError::BadBox { command: "MESSAGE" },
    );

    let (mut p, _, _) = two_sealed_messages();
    let short = [&b"\x07MESSAGE"[..], &5u64.to_be_bytes(), &[0; 16]].concat();
    fails_with(
        feed_client(&mut p, &frame(0x00, &short)),
        Malformed::BadCommandSize {
            command: "MESSAGE",
            size: 32,
        },
    );

    let (mut p, _, _) = two_sealed_messages();
    fails_with(
        feed_client(&mut p, &command("PING", b"\x00\x00")),
        ProtocolViolation::UnexpectedCommand("PING".into()),
    );

    let (mut p, _, _) = two_sealed_messages();
    fails_with(
        feed_client(&mut p, &frame(0x00, b"hello")),
        Malformed::BadCommandFrame,
    );
}

#[test]
fn message_is_accepted_as_a_command_frame_too() {
    let (mut p, first, _) = two_sealed_messages();
    let mut as_command = first.clone();
    as_command[0] |= 0x04;
    assert!(
        matches!(&feed_client(&mut p, &as_command)[..], [Event::Message(m)] if m.frames()[0] == "first")
    );
}

#[test]
fn sealed_frames_are_held_to_the_message_size_limit_on_their_header() {
    let (mut config_s, config_c) = standard();
    config_s.max_message_size = Some(1000);
    let mut p = ready_pair(config_c, config_s);
    p.a.send(&Message::from(vec![0u8; 2000])).unwrap();
    let wire = drain(&mut p.a);
    p.b.handle_bytes(p.now, &mut BytesMut::from(&wire[..20]));
    fails_with(
        events(&mut p.b),
        ProtocolViolation::TooLarge {
            announced: 2033,
            limit: 1033,
            command: false,
        },
    );
}

/// A random source that always fails, as an exhausted or broken OS generator would.
fn failing_random() -> Arc<dyn zmtp_core::RandomSource> {
    Arc::new(|_: &mut [u8]| Err(zmtp_core::RandomError::new("no entropy")))
}

#[test]
fn a_failing_random_source_closes_the_connection_instead_of_panicking() {
    let random_failed = ConnectionError::Random(zmtp_core::RandomError::new("no entropy"));

    // Client: it needs a transient key before HELLO, so it sends nothing after its greeting.
    let mut client = curve_client(SocketType::Req, server_public(), 1);
    client.mechanism = MechanismConfig::CurveClient(CurveClientConfig::new(
        server_public(),
        pair_of(CLIENT_SECRET),
        failing_random(),
    ));
    let mut p = Pair::new(client, curve_server(SocketType::Rep, 2, false));
    let (a_wire, _) = relay(&mut p);
    assert_eq!(
        a_wire.len(),
        64,
        "the client sent its greeting and no HELLO"
    );
    assert_eq!(closed(&p.a_events), [&random_failed]);

    // Server: it needs a transient key, a cookie key and a nonce for WELCOME.
    let mut server = curve_server(SocketType::Rep, 2, false);
    server.mechanism = MechanismConfig::CurveServer(CurveServerConfig::new(
        pair_of(SERVER_SECRET),
        failing_random(),
    ));
    let mut p = Pair::new(curve_client(SocketType::Req, server_public(), 1), server);
    let (_, b_wire) = relay(&mut p);
    assert_eq!(
        b_wire.len(),
        64,
        "the server sent its greeting and no WELCOME"
    );
    assert_eq!(closed(&p.b_events), [&random_failed]);

    assert_eq!(
        KeyPair::try_generate(&*failing_random()),
        Err(zmtp_core::RandomError::new("no entropy"))
    );
}
