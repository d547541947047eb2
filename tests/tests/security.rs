//! PLAIN and CURVE between our own sockets: REQ/REP, PUB/SUB (subscriptions travel encrypted)
//! and PUSH/PULL over CURVE; wrong server keys, wrong passwords and a PLAIN server without an
//! authenticator refused with typed monitor reasons; a refused client does not reconnect; the
//! server keeps serving good clients. Every await is bounded.

use std::time::Duration;

use zmtp_tests::{handshake_auth, handshake_failure, within, LIMIT};
use zmtp_tokio::{
    AuthDecision, AuthError, AuthRequest, ConnectionError, Credentials, DenyStatus,
    DisconnectReason, KeyPair, Monitor, MonitorEvent, Options, OsRandom, PubSocket, PullSocket,
    PushSocket, RepSocket, ReqSocket, Security, SubSocket,
};

const TCP: &str = "tcp://127.0.0.1:0";

fn keys() -> KeyPair {
    KeyPair::generate(&OsRandom)
}

/// Serves REQ/REP echo on `rep` until the socket fails.
fn echo(mut rep: RepSocket) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok(request) = rep.recv().await {
            if rep.send(request).await.is_err() {
                break;
            }
        }
    })
}

async fn round_trip(req: &mut ReqSocket, text: &str) {
    let reply = within(
        LIMIT,
        "request over a secured connection",
        req.request(text.to_owned()),
    )
    .await
    .expect("request");
    assert_eq!(reply.frames()[0], text);
}

fn is_rejected(reason: &DisconnectReason, code: &str) -> bool {
    matches!(
        reason,
        DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Rejected { reason }))
            if reason == code
    )
}

/// After a client was refused, nothing more happens on its endpoint for `quiet`: no further
/// connection, no second handshake failure; the connector has given up (Closed).
async fn assert_gave_up(monitor: &mut Monitor, quiet: Duration) {
    let deadline = tokio::time::Instant::now() + quiet;
    let mut closed = false;
    while let Ok(event) = tokio::time::timeout_at(deadline, monitor.next_event()).await {
        match event {
            Some(MonitorEvent::Closed { .. }) => closed = true,
            Some(
                e @ (MonitorEvent::Connected { .. }
                | MonitorEvent::HandshakeFailed { .. }
                | MonitorEvent::ConnectRetried { .. }),
            ) => panic!("refused client retried: {e:?}"),
            Some(_) => {}
            None => break,
        }
    }
    assert!(closed, "the refused client's endpoint was not closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_req_rep_round_trips_and_reports_the_client_key() {
    let server_keys = keys();
    let server_key = *server_keys.public();
    let rep = RepSocket::with_options(Options::default().curve_server(server_keys)).unwrap();
    let mut server_monitor = rep.monitor();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);

    let client_keys = keys();
    let client_public = *client_keys.public();
    let mut req =
        ReqSocket::with_options(Options::default().curve_client(server_key, Some(client_keys)))
            .unwrap();
    let mut client_monitor = req.monitor();
    req.connect(&endpoint).unwrap();
    for i in 0..5 {
        round_trip(&mut req, &format!("request {i}")).await;
    }
    let auth = handshake_auth(&mut server_monitor, "server handshake")
        .await
        .expect("CURVE reports auth");
    assert_eq!(auth.peer_key, Some(client_public));
    assert!(auth.user_id.is_empty());
    let auth = handshake_auth(&mut client_monitor, "client handshake")
        .await
        .expect("CURVE reports auth");
    assert_eq!(auth.peer_key, Some(server_key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_pub_sub_filters_by_subscription() {
    let server_keys = keys();
    let server_key = *server_keys.public();
    let mut publisher =
        PubSocket::with_options(Options::default().curve_server(server_keys)).unwrap();
    let endpoint = publisher.bind(TCP).await.unwrap();
    let mut subscriber =
        SubSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    subscriber.subscribe("weather.").unwrap();
    subscriber.connect(&endpoint).unwrap();

    let received = within(LIMIT, "subscribed message over CURVE", async {
        loop {
            publisher.publish("sports.football").unwrap();
            publisher.publish("weather.paris").unwrap();
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(20), subscriber.recv()).await
            {
                break m.unwrap();
            }
        }
    })
    .await;
    assert_eq!(received.frames()[0], "weather.paris");
    // Only subscribed topics arrive.
    for _ in 0..10 {
        publisher.publish("sports.tennis").unwrap();
        publisher.publish("weather.oslo").unwrap();
    }
    for _ in 0..10 {
        let m = within(LIMIT, "more weather", subscriber.recv())
            .await
            .unwrap();
        assert!(m.frames()[0].starts_with(b"weather."), "{m:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_push_pull_delivers_in_order() {
    let server_keys = keys();
    let server_key = *server_keys.public();
    let mut pull = PullSocket::with_options(Options::default().curve_server(server_keys)).unwrap();
    let endpoint = pull.bind(TCP).await.unwrap();
    let mut push =
        PushSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    push.connect(&endpoint).unwrap();
    for i in 0..200 {
        within(LIMIT, "push send", push.send(format!("job {i}")))
            .await
            .unwrap();
    }
    for i in 0..200 {
        let m = within(LIMIT, "pull recv", pull.recv()).await.unwrap();
        assert_eq!(m.frames()[0], format!("job {i}").as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_client_with_the_wrong_server_key_fails_and_the_server_keeps_serving() {
    let server_keys = keys();
    let server_key = *server_keys.public();
    let rep = RepSocket::with_options(Options::default().curve_server(server_keys)).unwrap();
    let mut server_monitor = rep.monitor();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);

    let wrong = *keys().public();
    let bad = ReqSocket::with_options(Options::default().curve_client(wrong, None)).unwrap();
    bad.connect(&endpoint).unwrap();
    let reason = handshake_failure(&mut server_monitor, "server refuses the wrong key").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::BadBox {
                command: "HELLO"
            }))
        ),
        "{reason:?}"
    );

    let mut good =
        ReqSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    good.connect(&endpoint).unwrap();
    round_trip(&mut good, "still serving").await;
    drop(bad);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_authenticator_admits_known_client_keys_only() {
    let server_keys = keys();
    let server_key = *server_keys.public();
    let known = keys();
    let known_public = *known.public();
    let authenticator = move |request: &AuthRequest| match &request.credentials {
        Credentials::Curve { client_key } if *client_key == known_public => {
            AuthDecision::allow_as("known")
        }
        _ => AuthDecision::deny(),
    };
    let rep = RepSocket::with_options(
        Options::default()
            .curve_server(server_keys.secret().clone())
            .authenticator(authenticator),
    )
    .unwrap();
    let mut server_monitor = rep.monitor();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);

    let stranger =
        ReqSocket::with_options(Options::default().curve_client(server_key, None)).unwrap();
    let mut stranger_monitor = stranger.monitor();
    stranger.connect(&endpoint).unwrap();
    let reason = handshake_failure(&mut stranger_monitor, "stranger refused").await;
    assert!(is_rejected(&reason, "400"), "{reason:?}");
    let reason = handshake_failure(&mut server_monitor, "server refuses stranger").await;
    assert_eq!(
        reason,
        DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Denied {
            status: DenyStatus::Denied
        }))
    );
    assert_gave_up(&mut stranger_monitor, Duration::from_secs(1)).await;

    let mut friend =
        ReqSocket::with_options(Options::default().curve_client(server_key, Some(known))).unwrap();
    friend.connect(&endpoint).unwrap();
    round_trip(&mut friend, "hello").await;
    let auth = handshake_auth(&mut server_monitor, "friend admitted")
        .await
        .unwrap();
    assert_eq!(auth.user_id_str(), Some("known"));
    assert_eq!(auth.peer_key, Some(known_public));
}

fn alice_only(request: &AuthRequest) -> AuthDecision {
    match &request.credentials {
        Credentials::Plain { username, password }
            if username == "alice" && password.expose() == b"wonderland" =>
        {
            let mut properties = zmtp_tokio::Metadata::new();
            properties.insert("X-Role", "admin").unwrap();
            AuthDecision::Allow {
                user_id: "alice".into(),
                properties,
            }
        }
        _ => AuthDecision::deny(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_authenticator_admits_one_user_and_rejects_a_wrong_password() {
    let rep = RepSocket::with_options(Options::default().plain_server().authenticator(alice_only))
        .unwrap();
    let mut server_monitor = rep.monitor();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);

    let intruder =
        ReqSocket::with_options(Options::default().plain_client("alice", "guess")).unwrap();
    let mut intruder_monitor = intruder.monitor();
    intruder.connect(&endpoint).unwrap();
    let reason = handshake_failure(&mut intruder_monitor, "wrong password rejected").await;
    assert!(is_rejected(&reason, "400"), "{reason:?}");
    let reason = handshake_failure(&mut server_monitor, "server denies").await;
    assert!(
        matches!(
            reason,
            DisconnectReason::Connection(ConnectionError::Authentication(AuthError::Denied { .. }))
        ),
        "{reason:?}"
    );
    // RFC 37 / libzmq: no second attempt with the same credentials.
    assert_gave_up(&mut intruder_monitor, Duration::from_secs(1)).await;

    let mut alice =
        ReqSocket::with_options(Options::default().plain_client("alice", "wonderland")).unwrap();
    alice.connect(&endpoint).unwrap();
    round_trip(&mut alice, "tea?").await;
    let auth = handshake_auth(&mut server_monitor, "alice admitted")
        .await
        .expect("PLAIN reports auth");
    assert_eq!(auth.user_id_str(), Some("alice"));
    assert_eq!(
        auth.properties.get("X-Role").map(|v| v.as_ref()),
        Some(&b"admin"[..])
    );
    assert_eq!(auth.peer_key, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_server_without_an_authenticator_refuses_everyone() {
    let rep = RepSocket::with_options(Options::default().plain_server()).unwrap();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);
    let client =
        ReqSocket::with_options(Options::default().plain_client("anyone", "anything")).unwrap();
    let mut monitor = client.monitor();
    client.connect(&endpoint).unwrap();
    let reason = handshake_failure(&mut monitor, "refused without a hook").await;
    assert!(is_rejected(&reason, "400"), "{reason:?}");
    assert_gave_up(&mut monitor, Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_refusal_is_retried() {
    let attempts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = attempts.clone();
    let authenticator = move |_: &AuthRequest| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            AuthDecision::Deny(DenyStatus::Temporary)
        } else {
            AuthDecision::allow()
        }
    };
    let rep = RepSocket::with_options(
        Options::default()
            .plain_server()
            .authenticator(authenticator),
    )
    .unwrap();
    let endpoint = rep.bind(TCP).await.unwrap();
    let _server = echo(rep);
    let mut req = ReqSocket::with_options(
        Options::default()
            .plain_client("u", "p")
            .reconnect(Duration::from_millis(20), None),
    )
    .unwrap();
    req.connect(&endpoint).unwrap();
    round_trip(&mut req, "second time lucky").await;
    assert!(attempts.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}

/// Each received message tells who sent it: the user id and properties the authenticator
/// attached (PLAIN) or the client's public key (CURVE), per message, across interleaved
/// senders; a NULL message carries none.
#[tokio::test]
async fn each_received_message_carries_its_senders_authentication() {
    let check = |request: &AuthRequest| match &request.credentials {
        Credentials::Plain { username, password } if password.expose() == b"pw" => {
            let mut properties = zmtp_tokio::Metadata::new();
            properties.insert("X-Role", &b"worker"[..]).unwrap();
            AuthDecision::Allow {
                user_id: username.clone(),
                properties,
            }
        }
        _ => AuthDecision::deny(),
    };
    let mut pull =
        PullSocket::with_options(Options::default().plain_server().authenticator(check)).unwrap();
    let ep = pull.bind(TCP).await.unwrap();
    let mut senders = Vec::new();
    for name in ["alice", "bob"] {
        let mut push =
            PushSocket::with_options(Options::default().plain_client(name, "pw")).unwrap();
        push.connect(&ep).unwrap();
        for i in 0..3 {
            within(LIMIT, "send", push.send(format!("{name}:{i}")))
                .await
                .unwrap();
        }
        senders.push(push);
    }
    for _ in 0..6 {
        let (m, peer) = within(LIMIT, "recv", pull.recv_with_peer()).await.unwrap();
        let text = String::from_utf8(m.frames()[0].to_vec()).unwrap();
        let sender = text.split(':').next().unwrap();
        let auth = peer.auth.as_ref().expect("a PLAIN message has its auth");
        assert_eq!(auth.user_id_str(), Some(sender), "message {text:?}");
        assert_eq!(
            auth.properties.get("x-role").map(|v| &v[..]),
            Some(&b"worker"[..])
        );
    }

    let server = keys();
    let client = keys();
    let mut curve_pull =
        PullSocket::with_options(Options::default().curve_server(server.clone())).unwrap();
    let ep = curve_pull.bind(TCP).await.unwrap();
    let mut push = PushSocket::with_options(
        Options::default().curve_client(*server.public(), Some(client.clone())),
    )
    .unwrap();
    push.connect(&ep).unwrap();
    within(LIMIT, "send", push.send("curve")).await.unwrap();
    let (_, peer) = within(LIMIT, "recv", curve_pull.recv_with_peer())
        .await
        .unwrap();
    let auth = peer.auth.as_ref().expect("a CURVE message has its auth");
    assert_eq!(auth.peer_key.as_ref(), Some(client.public()));

    let mut null_pull = PullSocket::new();
    let ep = null_pull.bind(TCP).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    within(LIMIT, "send", push.send("null")).await.unwrap();
    let (_, peer) = within(LIMIT, "recv", null_pull.recv_with_peer())
        .await
        .unwrap();
    assert!(peer.auth.is_none());
}

/// A CURVE client without a key pair: the builder draws no randomness (nothing there can
/// fail or panic); each socket made from the options generates its own pair when it is made,
/// where a failure of the generator is a typed error (`Error::Random`), and uses it.
#[tokio::test]
async fn a_curve_client_without_keys_gets_a_pair_per_socket() {
    let server = keys();
    let options = Options::default().curve_client(*server.public(), None);
    assert!(matches!(
        &options.security,
        Security::CurveClient { keys: None, .. }
    ));
    let client_key = |socket: &ReqSocket| match &socket.options().security {
        Security::CurveClient {
            keys: Some(pair), ..
        } => *pair.public(),
        other => panic!("{other:?}"),
    };
    let mut first = ReqSocket::with_options(options.clone()).unwrap();
    let second = ReqSocket::with_options(options).unwrap();
    assert_ne!(client_key(&first), client_key(&second));

    // The generated pair is the one the server sees.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let record = std::sync::Arc::clone(&seen);
    let mut rep = RepSocket::with_options(Options::default().curve_server(server).authenticator(
        move |request: &AuthRequest| {
            if let Credentials::Curve { client_key } = &request.credentials {
                *record.lock().unwrap() = Some(*client_key);
            }
            AuthDecision::allow()
        },
    ))
    .unwrap();
    let endpoint = rep.bind(TCP).await.unwrap();
    first.connect(&endpoint).unwrap();
    first.send("hello").await.unwrap();
    within(LIMIT, "request", rep.recv()).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), Some(client_key(&first)));
}
