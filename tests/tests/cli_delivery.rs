//! `zmtp send` tells the truth about delivery (issue 12): it exits 0 only when every message
//! was delivered, 1 with one line when the linger time ran out first, 2 at once for a message
//! argument that is not valid in its format, and 1 naming the line for a bad stdin line (after
//! delivering what came before it). And the scenario of the report: a DEALER sending 108
//! requests to a libzmq REP whose replies it never reads.

mod cli_support;
#[allow(unused_macros)]
mod support;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_support::{run, spawn};
use support::{bind_tcp, context, owned, recv, socket};

/// How long the REP waits for `zmtp send` to end before it reads on.
const REP_DELAY: Duration = Duration::from_millis(300);

#[test]
fn a_bad_message_argument_exits_2_naming_it_before_connecting() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
    for (bad, needle) in [("zz", "not hex"), ("abc", "odd number of hex digits")] {
        let out = run(
            &[
                "send",
                "--format",
                "hex",
                "--type",
                "push",
                "--connect",
                &endpoint,
                "6869",
                bad,
            ],
            None,
        );
        out.assert_error(2, "message argument 2", bad);
        out.assert_error(2, needle, bad);
        assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    }
    // 100 KB of bad hex (about the most one argument may hold) still makes one short line.
    let huge = "z".repeat(100_000);
    let out = run(
        &[
            "send",
            "--format",
            "hex",
            "--type",
            "push",
            "--connect",
            &endpoint,
            &huge,
        ],
        None,
    );
    out.assert_error(2, "message argument 1", "a huge bad argument");
    assert!(
        out.stderr.len() < 200,
        "{} bytes of stderr",
        out.stderr.len()
    );
    pull.set_rcvtimeo(300).unwrap();
    assert!(
        pull.recv_multipart(0).is_err(),
        "nothing was sent, not even the valid first argument"
    );
}

#[test]
fn a_bad_stdin_line_exits_1_naming_it_after_delivering_the_lines_before() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    let endpoint = bind_tcp(&pull);
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
            "10",
        ],
        Some(b"6869\n- 6f6b\nzz\n6c617465\n"),
    );
    out.assert_error(1, "input line 3", "bad third line");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert_eq!(recv(&pull, "line 1"), owned(&[b"hi"]));
    assert_eq!(recv(&pull, "line 2"), owned(&[b"", b"ok"]));
    pull.set_rcvtimeo(300).unwrap();
    assert!(
        pull.recv_multipart(0).is_err(),
        "nothing after the bad line"
    );
}

#[test]
fn send_exits_1_when_linger_runs_out_before_the_peer_read_everything() {
    let ctx = context();
    let pull = socket(&ctx, zmq::PULL);
    pull.set_rcvhwm(1).unwrap();
    let endpoint = bind_tcp(&pull);
    // The PULL never reads: what is sent fills its queue and the kernel's buffers.
    let line = format!("{}\n", "ab".repeat(1 << 20));
    let input = line.repeat(4);
    let started = Instant::now();
    let out = run(
        &[
            "send",
            "--format",
            "hex",
            "--type",
            "push",
            "--connect",
            &endpoint,
            "--linger",
            "0.3",
        ],
        Some(input.as_bytes()),
    );
    out.assert_error(1, "not everything was delivered", "stalled peer");
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(pull);
}

/// The report's stream: seven small requests, one of 1 MiB, a hundred small ones, each
/// behind the empty delimiter, as `--format hex` lines.
fn scenario_input() -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
    let mut lines = String::new();
    let mut bodies = Vec::new();
    for i in 0..7 {
        if i % 3 == 0 {
            lines.push_str("- 68656c6c6f 776f726c64\n");
            bodies.push(vec![b"hello".to_vec(), b"world".to_vec()]);
        } else {
            lines.push_str("- 68656c6c6f\n");
            bodies.push(vec![b"hello".to_vec()]);
        }
    }
    let big = zmtp_tests::pattern(1 << 20, 12);
    lines.push_str("- ");
    for byte in &big {
        lines.push_str(&format!("{byte:02x}"));
    }
    lines.push('\n');
    bodies.push(vec![big]);
    for i in 0..100 {
        let body = format!("seq-{i:03}").into_bytes();
        lines.push_str("- ");
        for byte in &body {
            lines.push_str(&format!("{byte:02x}"));
        }
        lines.push('\n');
        bodies.push(vec![body]);
    }
    (lines.into_bytes(), bodies)
}

/// A libzmq REP answering `ack` to every request: the first seven at once, the rest after
/// `go` (or a while).
fn rep(
    rep: zmq::Socket,
    count: usize,
    go: mpsc::Receiver<()>,
) -> std::thread::JoinHandle<Vec<Vec<Vec<u8>>>> {
    std::thread::spawn(move || {
        let mut received = Vec::new();
        for i in 0..count {
            if i == 7 {
                let _ = go.recv_timeout(Duration::from_secs(20));
            }
            match rep.recv_multipart(0) {
                Ok(frames) => received.push(frames),
                Err(_) => break,
            }
            if rep.send(&b"ack"[..], 0).is_err() {
                break;
            }
        }
        received
    })
}

fn scenario(dealer_binds: bool) {
    let (input, expected) = scenario_input();
    let ctx = context();
    let rep_socket = socket(&ctx, zmq::REP);
    let port_holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (flag, endpoint) = if dealer_binds {
        let port = port_holder.local_addr().unwrap().port();
        drop(port_holder);
        let endpoint = format!("tcp://127.0.0.1:{port}");
        rep_socket.connect(&endpoint).unwrap();
        ("--bind", endpoint)
    } else {
        drop(port_holder);
        ("--connect", bind_tcp(&rep_socket))
    };
    let (go_tx, go_rx) = mpsc::channel();
    let rep = rep(rep_socket, expected.len(), go_rx);
    let mut zmtp = spawn(
        &[
            "send",
            "--format",
            "hex",
            "--type",
            "dealer",
            flag,
            &endpoint,
            "--linger",
            "5",
            "--timeout",
            "10",
        ],
        Some(&input),
    );
    let deadline = Instant::now() + REP_DELAY;
    // The REP reads on once `zmtp send` ended (a close that does not wait has reset the
    // connection by then) or the delay passed (a close that waits is waiting for it).
    while Instant::now() < deadline && !zmtp.has_exited() {
        std::thread::sleep(Duration::from_millis(5));
    }
    go_tx.send(()).unwrap();
    let received = rep.join().unwrap();
    let out = zmtp.finish();
    assert_eq!(
        received.len(),
        expected.len(),
        "the REP got {} of {} requests; zmtp exited {} with {:?}",
        received.len(),
        expected.len(),
        out.code(),
        out.stderr
    );
    assert!(received == expected, "requests arrived changed");
    out.assert_success("every request delivered");
}

#[test]
fn a_dealer_connecting_to_a_libzmq_rep_delivers_every_request_before_exiting_0() {
    scenario(false);
}

#[test]
fn a_dealer_bound_for_a_libzmq_rep_delivers_every_request_before_exiting_0() {
    scenario(true);
}
