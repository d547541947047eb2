//! End-to-end tests of the `zmtp` binary (`zmtp send`, `recv`, `req`, `rep`, `proxy`,
//! `keygen`, `perf`) against real libzmq peers over NULL: both formats, every kind of socket
//! the commands take, and the exit codes for bad arguments and timeouts. PLAIN and CURVE are in
//! `cli_security.rs`.
//!
//! Every `zmtp` run is bounded (`cli_support::RUN_LIMIT`, killed after), every libzmq socket
//! has 5 s send/receive timeouts.

mod cli_support;
#[allow(unused_macros)]
mod support;

use std::time::Duration;

use cli_support::{ipc, lines, run, spawn};
use support::{bind_tcp, context, owned, recv, send, socket};

/// Generous per-command timeout given to `zmtp` where the test expects success.
const T: &str = "10";

#[test]
fn send_push_to_a_libzmq_pull_in_text_and_hex() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    let out = run(
        &[
            "send",
            "--type",
            "PUSH",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "job\t42",
            "solo",
        ],
        None,
    );
    out.assert_success("text send");
    assert_eq!(recv(&pull, "text 1"), owned(&[b"job", b"42"]));
    assert_eq!(recv(&pull, "text 2"), owned(&[b"solo"]));

    let out = run(
        &[
            "send",
            "--format",
            "hex",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "6869 -",
            "00FF0a",
        ],
        None,
    );
    out.assert_success("hex send");
    assert_eq!(recv(&pull, "hex 1"), owned(&[b"hi", b""]));
    assert_eq!(recv(&pull, "hex 2"), owned(&[&[0x00, 0xff, 0x0a]]));
}

#[test]
fn send_reads_stdin_lines_up_to_the_count_with_a_custom_separator() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    let out = run(
        &[
            "send",
            "-t",
            "push",
            "-c",
            &endpoint,
            "--separator",
            "|",
            "--count",
            "2",
            "--timeout",
            T,
        ],
        Some(b"a|b\r\nc||\nnot sent\n"),
    );
    out.assert_success("stdin send");
    assert_eq!(recv(&pull, "line 1"), owned(&[b"a", b"b"]));
    assert_eq!(recv(&pull, "line 2"), owned(&[b"c", b"", b""]));
    pull.set_rcvtimeo(300).unwrap();
    assert!(pull.recv_multipart(0).is_err(), "--count 2 stops after two");
}

#[test]
fn recv_pull_prints_libzmq_push_messages_in_both_formats() {
    let ctx = context();
    let (_dir, endpoint) = ipc("pull.sock");
    let hex = spawn(
        &[
            "recv",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--count",
            "2",
            "--format",
            "hex",
            "--timeout",
            T,
        ],
        None,
    );
    let push = socket(&ctx, zmq::PUSH);
    push.connect(&endpoint).unwrap();
    send(&push, &[b"hi", b""], "two frames");
    send(&push, &[&[0x00, 0xff]], "binary");
    let out = hex.finish();
    out.assert_success("hex recv");
    assert_eq!(out.stdout_text(), "6869 -\n00ff\n");

    let text = spawn(
        &[
            "recv",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--count",
            "1",
            "--separator",
            ", ",
            "--timeout",
            T,
        ],
        None,
    );
    send(&push, &[b"a", b"b", b"c"], "three frames");
    let out = text.finish();
    out.assert_success("text recv");
    assert_eq!(out.stdout_text(), "a, b, c\n");
}

#[test]
fn recv_sub_gets_only_its_subscription_from_a_libzmq_pub() {
    let ctx = context();
    let publisher = socket(&ctx, zmq::PUB);
    let endpoint = bind_tcp(&publisher);
    let mut sub = spawn(
        &[
            "recv",
            "--type",
            "sub",
            "--connect",
            &endpoint,
            "--subscribe",
            "weather.",
            "--count",
            "2",
            "--timeout",
            T,
        ],
        None,
    );
    // Subscriptions take a moment to arrive: publish until the subscriber has had enough.
    for _ in 0..500 {
        if sub.has_exited() {
            break;
        }
        send(&publisher, &[b"sports.football"], "filtered");
        send(&publisher, &[b"weather.paris", b"18C"], "wanted");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = sub.finish();
    out.assert_success("sub recv");
    assert_eq!(lines(&out), ["weather.paris\t18C", "weather.paris\t18C"]);
}

#[test]
fn req_sends_each_message_and_prints_each_libzmq_reply() {
    let ctx = context();
    let rep = socket(&ctx, zmq::REP);
    let endpoint = bind_tcp(&rep);
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let mut request = recv(&rep, "request");
            request.push(b"done".to_vec());
            let frames: Vec<&[u8]> = request.iter().map(Vec::as_slice).collect();
            send(&rep, &frames, "reply");
        }
    });
    let out = run(
        &["req", "--connect", &endpoint, "--timeout", T],
        Some(b"one\ttwo\nthree\n"),
    );
    out.assert_success("req");
    assert_eq!(lines(&out), ["one\ttwo\tdone", "three\tdone"]);
    server.join().unwrap();
}

#[test]
fn rep_echoes_and_replies_to_libzmq_requests() {
    let ctx = context();
    let (_dir, endpoint) = ipc("rep.sock");
    let echo = spawn(
        &[
            "rep",
            "--bind",
            &endpoint,
            "--echo",
            "--count",
            "1",
            "--timeout",
            T,
        ],
        None,
    );
    let req = socket(&ctx, zmq::REQ);
    req.connect(&endpoint).unwrap();
    send(&req, &[b"ping", b""], "request");
    assert_eq!(recv(&req, "echo"), owned(&[b"ping", b""]));
    let out = echo.finish();
    out.assert_success("rep --echo");
    assert_eq!(out.stdout_text(), "ping\t\n", "the request is printed");
    drop(req);

    let fixed = spawn(
        &[
            "rep",
            "--bind",
            &endpoint,
            "--format",
            "hex",
            "--reply",
            "6f6b -",
            "--count",
            "1",
            "--timeout",
            T,
        ],
        None,
    );
    let req = socket(&ctx, zmq::REQ);
    req.connect(&endpoint).unwrap();
    send(&req, &[b"x"], "request");
    assert_eq!(recv(&req, "fixed reply"), owned(&[b"ok", b""]));
    let out = fixed.finish();
    out.assert_success("rep --reply");
    assert_eq!(out.stdout_text(), "78\n");
}

#[test]
fn router_recv_prints_the_identity_and_router_send_routes_by_it() {
    let ctx = context();
    let (_dir, endpoint) = ipc("router.sock");
    let receiver = spawn(
        &[
            "recv",
            "--type",
            "router",
            "--bind",
            &endpoint,
            "--format",
            "hex",
            "--count",
            "1",
            "--timeout",
            T,
        ],
        None,
    );
    let dealer = socket(&ctx, zmq::DEALER);
    dealer.set_identity(b"dlr").unwrap();
    dealer.connect(&endpoint).unwrap();
    send(&dealer, &[b"hi"], "to the router");
    let out = receiver.finish();
    out.assert_success("router recv");
    assert_eq!(
        out.stdout_text(),
        "646c72 6869\n",
        "identity, then the message"
    );

    let out = run(
        &[
            "send",
            "--type",
            "router",
            "--bind",
            &endpoint,
            "--format",
            "hex",
            "--timeout",
            T,
            "646c72 6f6b",
        ],
        None,
    );
    out.assert_success("router send");
    assert_eq!(recv(&dealer, "routed"), owned(&[b"ok"]));

    run(
        &[
            "send",
            "--type",
            "router",
            "--bind",
            &endpoint,
            "--format",
            "hex",
            "--timeout",
            T,
            "6e6f6e65 6f6b",
        ],
        None,
    )
    .assert_error(1, "identity", "router send to nobody");
}

#[test]
fn dealer_and_pair_send_to_libzmq() {
    let ctx = context();
    let router = socket(&ctx, zmq::ROUTER);
    let endpoint = bind_tcp(&router);
    run(
        &[
            "send",
            "--type",
            "dealer",
            "--identity",
            "me",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "hello",
        ],
        None,
    )
    .assert_success("dealer send");
    assert_eq!(recv(&router, "from the dealer"), owned(&[b"me", b"hello"]));

    let pair = socket(&ctx, zmq::PAIR);
    let endpoint = bind_tcp(&pair);
    run(
        &[
            "send",
            "--type",
            "pair",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "a\tb",
        ],
        None,
    )
    .assert_success("pair send");
    assert_eq!(recv(&pair, "from the pair"), owned(&[b"a", b"b"]));
}

#[test]
fn xpub_recv_prints_libzmq_subscriptions() {
    let ctx = context();
    let (_dir, endpoint) = ipc("xpub.sock");
    let xpub = spawn(
        &[
            "recv",
            "--type",
            "xpub",
            "--bind",
            &endpoint,
            "--format",
            "hex",
            "--count",
            "1",
            "--timeout",
            T,
        ],
        None,
    );
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"abc").unwrap();
    sub.connect(&endpoint).unwrap();
    let out = xpub.finish();
    out.assert_success("xpub recv");
    assert_eq!(out.stdout_text(), "01616263\n", "subscribe (1) to abc");
}

#[test]
fn proxy_router_dealer_between_libzmq_req_and_rep_with_capture() {
    let ctx = context();
    let (_dir, frontend) = ipc("front.sock");
    let backend = frontend.replace("front.sock", "back.sock");
    let capture = socket(&ctx, zmq::PULL);
    let capture_endpoint = bind_tcp(&capture);
    let mut proxy = spawn(
        &[
            "proxy",
            "--verbose",
            "--frontend-type",
            "router",
            "--frontend-bind",
            &frontend,
            "--backend-type",
            "DEALER",
            "--backend-bind",
            &backend,
            "--capture-type",
            "push",
            "--capture-connect",
            &capture_endpoint,
        ],
        None,
    );
    proxy.wait_stderr("backend: listening", Duration::from_secs(10));
    let worker = socket(&ctx, zmq::REP);
    worker.connect(&backend).unwrap();
    let client = socket(&ctx, zmq::REQ);
    client.connect(&frontend).unwrap();
    send(&client, &[b"ping"], "request through the proxy");
    assert_eq!(recv(&worker, "request at the worker"), owned(&[b"ping"]));
    send(&worker, &[b"pong"], "reply through the proxy");
    assert_eq!(recv(&client, "reply at the client"), owned(&[b"pong"]));
    let request_copy = recv(&capture, "captured request");
    assert_eq!(request_copy.last().unwrap(), b"ping");
    let reply_copy = recv(&capture, "captured reply");
    assert_eq!(reply_copy.last().unwrap(), b"pong");
    assert!(!proxy.has_exited(), "the proxy runs until killed");
    proxy.kill();
}

#[test]
fn proxy_xsub_xpub_forwards_subscriptions_and_messages() {
    let ctx = context();
    let (_dir, frontend) = ipc("xsub.sock");
    let backend = frontend.replace("xsub.sock", "xpub.sock");
    let mut proxy = spawn(
        &[
            "proxy",
            "-v",
            "--frontend-type",
            "xsub",
            "--frontend-bind",
            &frontend,
            "--backend-type",
            "xpub",
            "--backend-bind",
            &backend,
        ],
        None,
    );
    proxy.wait_stderr("backend: listening", Duration::from_secs(10));
    let publisher = socket(&ctx, zmq::PUB);
    publisher.connect(&frontend).unwrap();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"news").unwrap();
    sub.set_rcvtimeo(20).unwrap();
    sub.connect(&backend).unwrap();
    let mut got = None;
    for _ in 0..300 {
        send(&publisher, &[b"other"], "filtered");
        send(&publisher, &[b"news", b"today"], "wanted");
        if let Ok(message) = sub.recv_multipart(0) {
            got = Some(message);
            break;
        }
    }
    assert_eq!(
        got,
        Some(owned(&[b"news", b"today"])),
        "through the forwarder"
    );
    proxy.kill();
}

#[test]
fn keygen_prints_a_matching_labelled_pair() {
    let out = run(&["keygen"], None);
    out.assert_success("keygen");
    let text = out.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(lines[0], "== CURVE PUBLIC KEY ==");
    assert_eq!(lines[2], "== CURVE SECRET KEY ==");
    let secret = zmtp_tokio::SecretKey::from_z85(lines[3]).expect("Z85 secret key");
    assert_eq!(
        secret.public_key().to_z85(),
        lines[1],
        "the public key is the secret's"
    );
    let again = run(&["keygen"], None);
    assert_ne!(again.stdout, out.stdout, "a fresh pair each time");
}

#[test]
fn bad_command_lines_exit_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "missing command"),
        (&["frobnicate"], "unknown command"),
        (
            &["send", "--connect", "tcp://127.0.0.1:1", "x"],
            "needs --type",
        ),
        (
            &[
                "send",
                "--type",
                "sub",
                "--connect",
                "tcp://127.0.0.1:1",
                "x",
            ],
            "cannot send",
        ),
        (
            &["recv", "--type", "push", "--connect", "tcp://127.0.0.1:1"],
            "cannot receive",
        ),
        (
            &["send", "--type", "nope", "--connect", "tcp://127.0.0.1:1"],
            "unknown socket type",
        ),
        (&["send", "--type", "push", "x"], "--bind or --connect"),
        (
            &[
                "recv",
                "--type",
                "pull",
                "--connect",
                "tcp://127.0.0.1:1",
                "--timeout",
                "soon",
            ],
            "seconds",
        ),
        (
            &[
                "recv",
                "--type",
                "pull",
                "--connect",
                "tcp://127.0.0.1:1",
                "--count",
                "0",
            ],
            "at least 1",
        ),
        (
            &[
                "recv",
                "--type",
                "pull",
                "--connect",
                "tcp://127.0.0.1:1",
                "--frobnicate",
            ],
            "unknown option",
        ),
        (
            &[
                "recv",
                "--type",
                "pull",
                "--connect",
                "tcp://127.0.0.1:1",
                "--subscribe",
                "x",
            ],
            "SUB and XSUB",
        ),
        (
            &[
                "recv",
                "--type",
                "pull",
                "--connect",
                "tcp://127.0.0.1:1",
                "--format",
                "json",
            ],
            "unknown format",
        ),
        (
            &[
                "send",
                "--type",
                "req",
                "--connect",
                "tcp://127.0.0.1:1",
                "x",
            ],
            "zmtp req",
        ),
        (&["rep", "--bind", "tcp://127.0.0.1:0"], "--echo or --reply"),
        (
            &["req", "--connect", "tcp://127.0.0.1:1", "--plain-user", "u"],
            "--plain-password",
        ),
        (
            &[
                "req",
                "--connect",
                "tcp://127.0.0.1:1",
                "--curve-server-key",
                "short",
            ],
            "Z85",
        ),
        (
            &[
                "proxy",
                "--frontend-type",
                "req",
                "--frontend-bind",
                "tcp://127.0.0.1:0",
                "--backend-type",
                "dealer",
                "--backend-bind",
                "tcp://127.0.0.1:0",
            ],
            "cannot be proxied",
        ),
        (&["keygen", "extra"], "no arguments"),
    ];
    for (args, needle) in cases {
        let out = run(args, None);
        out.assert_error(2, needle, &format!("zmtp {}", args.join(" ")));
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    }
}

#[test]
fn every_command_has_help() {
    for command in ["send", "recv", "req", "rep", "proxy", "keygen", "perf"] {
        let out = run(&[command, "--help"], None);
        out.assert_success(command);
        assert!(
            out.stdout_text()
                .starts_with(&format!("usage: zmtp {command}")),
            "{command}: {}",
            out.stdout_text()
        );
    }
    let out = run(&["--help"], None);
    out.assert_success("zmtp --help");
    assert!(out.stdout_text().contains("keygen"));
}

#[test]
fn nothing_to_receive_or_nowhere_to_send_times_out_with_exit_1() {
    // A port nobody listens on: bind a listener, note its port, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let start = std::time::Instant::now();
    run(
        &[
            "recv",
            "--type",
            "pull",
            "--connect",
            &endpoint,
            "--timeout",
            "0.5",
        ],
        None,
    )
    .assert_error(1, "timed out after 0.5 s", "recv");
    run(
        &[
            "send",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--timeout",
            "0.5",
            "x",
        ],
        None,
    )
    .assert_error(1, "no peer", "send");
    run(
        &["req", "--connect", &endpoint, "--timeout", "0.5", "x"],
        None,
    )
    .assert_error(1, "timed out", "req");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the timeouts are honoured"
    );

    // A peer that never answers: the reply times out.
    let ctx = context();
    let silent = socket(&ctx, zmq::REP);
    let endpoint = bind_tcp(&silent);
    run(
        &["req", "--connect", &endpoint, "--timeout", "0.5", "x"],
        None,
    )
    .assert_error(1, "no reply", "req without reply");

    // A bind that cannot work.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", taken.local_addr().unwrap());
    run(
        &[
            "recv",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--timeout",
            "0.5",
        ],
        None,
    )
    .assert_error(1, "bind", "address in use");

    // Bad input is a failure, not a usage error.
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
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
        ],
        Some(b"zz\n"),
    )
    .assert_error(1, "input line 1", "bad hex");
}

#[test]
fn verbose_prints_lifecycle_events() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    let out = run(
        &[
            "send",
            "-v",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--timeout",
            T,
            "x",
        ],
        None,
    );
    out.assert_success("verbose send");
    assert!(
        out.stderr
            .contains(&format!("zmtp: connected to {endpoint}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("handshake with a PULL peer"),
        "{}",
        out.stderr
    );
    assert_eq!(recv(&pull, "message"), owned(&[b"x"]));
}

#[test]
fn perf_still_runs_libzmq_style_tests() {
    let (_dir, endpoint) = ipc("perf.sock");
    let local = spawn(&["perf", "local_thr", &endpoint, "8", "100"], None);
    let remote = run(&["perf", "remote_thr", &endpoint, "8", "100"], None);
    remote.assert_success("remote_thr");
    let out = local.finish();
    out.assert_success("local_thr");
    assert!(
        out.stdout_text().contains("message count: 100"),
        "{}",
        out.stdout_text()
    );
}

/// libzmq closes silently on an incompatible socket type (indistinguishable from a peer that
/// went away), so this one is between two `zmtp` processes: ours sends ERROR.
#[test]
fn an_incompatible_peer_fails_at_once() {
    let (_dir, endpoint) = ipc("pull.sock");
    let mut server = spawn(
        &[
            "recv",
            "-v",
            "--type",
            "pull",
            "--bind",
            &endpoint,
            "--timeout",
            "15",
        ],
        None,
    );
    server.wait_stderr("listening", Duration::from_secs(10));
    let start = std::time::Instant::now();
    run(
        &[
            "recv",
            "--type",
            "pull",
            "--connect",
            &endpoint,
            "--timeout",
            "15",
        ],
        None,
    )
    .assert_error(1, "cannot talk to a PULL socket", "PULL to PULL");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "reported at once, not after the timeout"
    );
    assert!(!server.has_exited(), "the binding side keeps serving");
    server.kill();
}
