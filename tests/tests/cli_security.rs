//! End-to-end tests of the `zmtp` binary's security flags against libzmq peers (and against
//! itself where both ends are ours): PLAIN client and server, CURVE client and server with an
//! allow list, and authentication failures ending the command with exit code 1 at once, not
//! after the timeout.

mod cli_support;
#[allow(unused_macros)]
mod support;

use std::time::{Duration, Instant};

use cli_support::{ipc, run, spawn, Running};
use support::security::{libzmq_keys, zap_alice, Zap};
use support::{bind_tcp, context, owned, recv, send, socket};

/// The `--timeout` of commands that should succeed or fail long before it.
const T: &str = "15";
/// Failures must be reported well before [`T`].
const FAST: Duration = Duration::from_secs(8);

/// A small runtime to stop a libzmq ZAP handler (its `stop` is async).
fn stop(zap: Zap) -> Vec<Vec<Vec<u8>>> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(zap.stop())
}

/// Z85 text of a libzmq key.
fn z85(key: &[u8; 32]) -> String {
    zmq::z85_encode(key).unwrap()
}

#[test]
fn plain_client_with_a_libzmq_plain_server_and_zap_handler() {
    let ctx = context();
    let zap = Zap::start(&ctx, zap_alice);
    let pull = socket(&ctx, zmq::PULL);
    pull.set_plain_server(true).unwrap();
    let endpoint = bind_tcp(&pull);

    let good = run(
        &[
            "send",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--plain-user",
            "alice",
            "--plain-password",
            "wonderland",
            "secret",
        ],
        None,
    );
    good.assert_success("right password");
    assert_eq!(recv(&pull, "PLAIN message"), owned(&[b"secret"]));

    let start = Instant::now();
    let bad = run(
        &[
            "send",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--plain-user",
            "alice",
            "--plain-password",
            "guess",
            "never",
        ],
        None,
    );
    bad.assert_error(1, "authentication failed", "wrong password");
    assert!(bad.stderr.contains("400"), "{}", bad.stderr);
    assert!(
        start.elapsed() < FAST,
        "reported at once, not after the timeout"
    );
    let seen = stop(zap);
    assert_eq!(seen.len(), 2, "ZAP saw both clients");
}

#[test]
fn plain_server_with_a_users_file_refuses_and_admits_libzmq_clients() {
    let ctx = context();
    let (dir, endpoint) = ipc("plain.sock");
    let users = dir.path().join("users");
    std::fs::write(&users, "# who may push\nalice:wonderland\nbob:builder\n").unwrap();
    let mut server = spawn(
        &[
            "recv",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--count",
            "1",
            "--timeout",
            T,
            "--plain-server",
            "--plain-users",
            users.to_str().unwrap(),
        ],
        None,
    );
    let intruder = socket(&ctx, zmq::PUSH);
    intruder.set_plain_username(Some("alice")).unwrap();
    intruder.set_plain_password(Some("guess")).unwrap();
    intruder.connect(&endpoint).unwrap();
    send(&intruder, &[b"intruder"], "queued by the intruder");
    server.wait_stderr("refused a client", FAST);

    let bob = socket(&ctx, zmq::PUSH);
    bob.set_plain_username(Some("bob")).unwrap();
    bob.set_plain_password(Some("builder")).unwrap();
    bob.connect(&endpoint).unwrap();
    send(&bob, &[b"from bob"], "bob's message");
    let out = server.finish();
    out.assert_success("PLAIN server");
    assert_eq!(out.stdout_text(), "from bob\n");
}

#[test]
fn our_plain_client_refused_by_our_plain_server_fails_at_once() {
    let (dir, endpoint) = ipc("plain-ours.sock");
    let users = dir.path().join("users");
    std::fs::write(&users, "alice:wonderland\n").unwrap();
    let server = spawn(
        &[
            "rep",
            "--bind",
            &endpoint,
            "--reply",
            "welcome",
            "--count",
            "1",
            "--timeout",
            T,
            "--plain-server",
            "--plain-users",
            users.to_str().unwrap(),
        ],
        None,
    );
    let start = Instant::now();
    run(
        &[
            "req",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--plain-user",
            "mallory",
            "--plain-password",
            "x",
            "hi",
        ],
        None,
    )
    .assert_error(1, "authentication failed", "unknown user");
    assert!(
        start.elapsed() < FAST,
        "reported at once, not after the timeout"
    );
    let ok = run(
        &[
            "req",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--plain-user",
            "alice",
            "--plain-password",
            "wonderland",
            "hi",
        ],
        None,
    );
    ok.assert_success("alice");
    assert_eq!(ok.stdout_text(), "welcome\n");
    server.finish().assert_success("server");
}

#[test]
fn curve_client_with_a_libzmq_curve_server_with_fresh_and_given_keys() {
    let ctx = context();
    let (server_pair, _) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let endpoint = bind_tcp(&rep);
    let echo = std::thread::spawn(move || {
        for _ in 0..2 {
            let request = recv(&rep, "CURVE request");
            let frames: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
            send(&rep, &frames, "CURVE reply");
        }
    });
    let server_key = z85(&server_pair.public_key);
    let fresh = run(
        &[
            "req",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--curve-server-key",
            &server_key,
            "one",
        ],
        None,
    );
    fresh.assert_success("fresh client keys");
    assert_eq!(fresh.stdout_text(), "one\n");

    let (client_pair, _) = libzmq_keys();
    let given = run(
        &[
            "req",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--curve-server-key",
            &server_key,
            "--curve-public-key",
            &z85(&client_pair.public_key),
            "--curve-secret-key",
            &z85(&client_pair.secret_key),
            "two",
        ],
        None,
    );
    given.assert_success("given client keys");
    assert_eq!(given.stdout_text(), "two\n");
    echo.join().unwrap();
}

#[test]
fn curve_client_with_the_wrong_server_key_fails_at_once() {
    let ctx = context();
    let (server_pair, _) = libzmq_keys();
    let (_, wrong) = libzmq_keys();
    let rep = socket(&ctx, zmq::REP);
    rep.set_curve_server(true).unwrap();
    rep.set_curve_secretkey(&server_pair.secret_key).unwrap();
    let endpoint = bind_tcp(&rep);
    let start = Instant::now();
    run(
        &[
            "req",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "--curve-server-key",
            &wrong.to_z85(),
            "x",
        ],
        None,
    )
    .assert_error(1, "CURVE handshake failed", "wrong server key");
    assert!(
        start.elapsed() < FAST,
        "reported at once, not after the timeout"
    );
}

#[test]
fn curve_server_admits_only_allowed_libzmq_clients() {
    let ctx = context();
    let keygen = run(&["keygen"], None);
    keygen.assert_success("keygen");
    let text = keygen.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    let (server_public, server_secret) = (lines[1].to_owned(), lines[3].to_owned());
    let server_key = zmq::z85_decode(&server_public).unwrap();
    let (allowed, _) = libzmq_keys();
    let (denied, _) = libzmq_keys();

    let (_dir, endpoint) = ipc("curve.sock");
    let mut server = spawn(
        &[
            "rep",
            "--bind",
            &endpoint,
            "--echo",
            "--count",
            "1",
            "--timeout",
            T,
            "--curve-server",
            "--curve-secret-key",
            &server_secret,
            "--curve-allow",
            &z85(&allowed.public_key),
        ],
        None,
    );
    let client = |pair: &zmq::CurveKeyPair| {
        let req = socket(&ctx, zmq::REQ);
        req.set_curve_serverkey(&server_key).unwrap();
        req.set_curve_publickey(&pair.public_key).unwrap();
        req.set_curve_secretkey(&pair.secret_key).unwrap();
        req.connect(&endpoint).unwrap();
        req
    };
    let stranger = client(&denied);
    send(&stranger, &[b"let me in"], "denied request");
    server.wait_stderr("refused a client", FAST);

    let friend = client(&allowed);
    send(&friend, &[b"hello"], "allowed request");
    assert_eq!(recv(&friend, "echo"), owned(&[b"hello"]));
    let out = server.finish();
    out.assert_success("CURVE server");
    assert_eq!(
        out.stdout_text(),
        "hello\n",
        "only the allowed client's request"
    );
}

#[test]
fn curve_between_two_zmtp_processes_without_an_allow_list() {
    let keygen = run(&["keygen"], None);
    let text = keygen.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    let (_dir, endpoint) = ipc("curve-ours.sock");
    let receiver = spawn(
        &[
            "recv",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--count",
            "1",
            "--format",
            "hex",
            "--timeout",
            T,
            "--curve-server",
            "--curve-secret-key",
            lines[3],
        ],
        None,
    );
    run(
        &[
            "send",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--format",
            "hex",
            "--timeout",
            T,
            "--curve-server-key",
            lines[1],
            "00 -",
        ],
        None,
    )
    .assert_success("CURVE send");
    let out = receiver.finish();
    out.assert_success("CURVE recv");
    assert_eq!(out.stdout_text(), "00 -\n");
}

/// `zmtp proxy -v` from a PULL frontend to a PUSH backend, both bound on ipc, with
/// `security` flags; returns the directory holding the endpoints, the frontend, the backend
/// and the proxy, once the backend listens.
fn pull_to_push_proxy(security: &[&str]) -> (tempfile::TempDir, String, String, Running) {
    let (dir, frontend) = ipc("front.sock");
    let backend = frontend.replace("front.sock", "back.sock");
    let mut args = vec![
        "proxy",
        "-v",
        "--frontend-type",
        "pull",
        "--frontend-bind",
        &frontend,
        "--backend-type",
        "push",
        "--backend-bind",
        &backend,
    ];
    args.extend_from_slice(security);
    let mut proxy = spawn(&args, None);
    proxy.wait_stderr("backend: listening", FAST);
    (dir, frontend, backend, proxy)
}

/// A libzmq socket that is a CURVE client of `server_key` with a fresh key pair, returned too.
fn curve_client(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    server_key: &[u8; 32],
) -> (zmq::Socket, zmq::CurveKeyPair) {
    let client = socket(ctx, kind);
    let (pair, _) = libzmq_keys();
    client.set_curve_serverkey(server_key).unwrap();
    client.set_curve_publickey(&pair.public_key).unwrap();
    client.set_curve_secretkey(&pair.secret_key).unwrap();
    (client, pair)
}

#[test]
fn proxy_with_a_curve_frontend_between_libzmq_peers() {
    let ctx = context();
    let (server_pair, _) = libzmq_keys();
    let secret = z85(&server_pair.secret_key);
    let (_dir, frontend, backend, mut proxy) =
        pull_to_push_proxy(&["--curve-server", "--curve-secret-key", &secret]);
    let sink = socket(&ctx, zmq::PULL);
    sink.connect(&backend).unwrap();
    let (source, client_pair) = curve_client(&ctx, zmq::PUSH, &server_pair.public_key);
    source.connect(&frontend).unwrap();
    send(&source, &[b"sealed", b"job"], "over CURVE to the proxy");
    assert_eq!(
        recv(&sink, "in clear from the proxy"),
        owned(&[b"sealed", b"job"])
    );
    let line = proxy.wait_stderr("frontend: handshake with a PUSH peer", FAST);
    assert!(line.contains(&z85(&client_pair.public_key)), "{line}");
    proxy.kill();
}

/// Security flags prefixed with a side apply to that side: a clear-text frontend and a CURVE
/// backend whose libzmq client (the sink) must know the backend's server key.
#[test]
fn proxy_with_a_curve_backend_given_by_prefixed_flags() {
    let ctx = context();
    let (server_pair, _) = libzmq_keys();
    let secret_flag = format!(
        "--backend-curve-secret-key={}",
        z85(&server_pair.secret_key)
    );
    let (_dir, frontend, backend, mut proxy) =
        pull_to_push_proxy(&["--backend-curve-server", &secret_flag]);
    let (sink, client_pair) = curve_client(&ctx, zmq::PULL, &server_pair.public_key);
    sink.connect(&backend).unwrap();
    let source = socket(&ctx, zmq::PUSH);
    source.connect(&frontend).unwrap();
    send(&source, &[b"clear", b"job"], "in clear to the proxy");
    assert_eq!(
        recv(&sink, "over CURVE from the proxy"),
        owned(&[b"clear", b"job"])
    );
    let line = proxy.wait_stderr("backend: handshake with a PULL peer", FAST);
    assert!(line.contains(&z85(&client_pair.public_key)), "{line}");
    proxy.kill();
}
