//! libzmq (Debian's libzmq5 through the `zmq` 0.9 crate) with libzmq's own perf-tool logic:
//! default context (one I/O thread), default HWMs, linger -1 on the sending side.
//! `--curve`: the binding side is a CURVE server with the fixed test keys of `zmtp_bench`
//! (no ZAP handler, so any client knowing the server key gets in, as `zmtp perf --curve`).
//! `--plain`: PLAIN, user "perf" password "perf". libzmq's PLAIN server, unlike its CURVE
//! server, fails every handshake when no ZAP handler is bound, so the binding side starts one
//! that allows everyone (as a PLAIN deployment would run one that checks).

use std::time::{Duration, Instant};

use zmtp_bench::{Args, Mode};

fn main() {
    let args = zmtp_bench::args_with_curve();
    let ctx = zmq::Context::new();
    match args.mode {
        Mode::LocalThr => local_thr(&ctx, &args),
        Mode::RemoteThr => remote_thr(&ctx, &args),
        Mode::LocalLat => local_lat(&ctx, &args),
        Mode::RemoteLat => remote_lat(&ctx, &args),
        Mode::PubThr => pub_thr(&ctx, &args),
        Mode::SubThr => sub_thr(&ctx, &args),
        Mode::LocalHs => local_hs(&ctx, &args),
        Mode::RemoteHs => remote_hs(&ctx, &args),
        Mode::InprocThr => inproc_thr(&ctx, &args),
        Mode::InprocLat => inproc_lat(&ctx, &args),
    }
    stop_zap_handler();
}

/// libzmq's `inproc_thr`: the PUSH on a thread of its own, the PULL here, one context.
fn inproc_thr(ctx: &zmq::Context, a: &Args) {
    let (ctx2, a2) = (ctx.clone(), a.clone());
    let sender = std::thread::spawn(move || remote_thr(&ctx2, &a2));
    local_thr(ctx, a);
    sender.join().unwrap();
}

/// libzmq's `inproc_lat`: the REP on a thread of its own, the REQ here, one context.
fn inproc_lat(ctx: &zmq::Context, a: &Args) {
    let (ctx2, a2) = (ctx.clone(), a.clone());
    let echo = std::thread::spawn(move || local_lat(&ctx2, &a2));
    remote_lat(ctx, a);
    echo.join().unwrap();
}

/// A socket of `kind`; with `--curve`, a CURVE server (`server`, the binding side) or client
/// with the fixed test keys.
fn socket(ctx: &zmq::Context, kind: zmq::SocketType, a: &Args, server: bool) -> zmq::Socket {
    let s = ctx.socket(kind).unwrap();
    if a.curve {
        if server {
            s.set_curve_server(true).unwrap();
            s.set_curve_secretkey(zmtp_bench::CURVE_SERVER_SECRET.as_bytes())
                .unwrap();
        } else {
            s.set_curve_serverkey(zmtp_bench::CURVE_SERVER_PUBLIC.as_bytes())
                .unwrap();
            s.set_curve_publickey(zmtp_bench::CURVE_CLIENT_PUBLIC.as_bytes())
                .unwrap();
            s.set_curve_secretkey(zmtp_bench::CURVE_CLIENT_SECRET.as_bytes())
                .unwrap();
        }
    }
    if a.plain {
        if server {
            zap_allow_all(ctx);
            s.set_plain_server(true).unwrap();
        } else {
            s.set_plain_username(Some("perf")).unwrap();
            s.set_plain_password(Some("perf")).unwrap();
        }
    }
    s
}

/// The ZAP handler's thread, and the flag that stops it.
static ZAP_THREAD: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(None);
static ZAP_STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Binds the context's ZAP handler (RFC 27) on a thread that allows every request, until
/// [`stop_zap_handler`].
fn zap_allow_all(ctx: &zmq::Context) {
    let zap = ctx.socket(zmq::REP).unwrap();
    zap.bind("inproc://zeromq.zap.01").unwrap();
    // Wakes up now and then to see the stop flag.
    zap.set_rcvtimeo(50).unwrap();
    let thread = std::thread::spawn(move || {
        while !ZAP_STOP.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok(request) = zap.recv_multipart(0) else {
                continue;
            };
            let request_id = request.get(1).cloned().unwrap_or_default();
            let reply: [&[u8]; 6] = [b"1.0", &request_id, b"200", b"OK", b"", b""];
            zap.send_multipart(reply, 0).unwrap();
        }
    });
    *ZAP_THREAD.lock().unwrap() = Some(thread);
}

/// Stops the ZAP handler, if any, and closes its socket. Its socket holds a reference to the
/// context: while it lives, dropping the context does not terminate it, so the process would
/// exit without the lingering sends of its other sockets (a REP's last reply) going out.
fn stop_zap_handler() {
    ZAP_STOP.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(thread) = ZAP_THREAD.lock().unwrap().take() {
        thread.join().unwrap();
    }
}

/// REP: answers one request per connection, `count` times.
fn local_hs(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::REP, a, true);
    s.set_linger(-1).unwrap();
    s.bind(&a.endpoint).unwrap();
    let mut msg = zmq::Message::new();
    for _ in 0..a.count {
        s.recv(&mut msg, 0).unwrap();
        check(&msg, a.size);
        s.send(std::mem::replace(&mut msg, zmq::Message::new()), 0)
            .unwrap();
    }
}

/// REQ per connection: connect, handshake, one round trip, close; `count` times.
fn remote_hs(ctx: &zmq::Context, a: &Args) {
    let payload = vec![0u8; a.size];
    let mut msg = zmq::Message::new();
    let start = Instant::now();
    for _ in 0..a.count {
        let s = socket(ctx, zmq::REQ, a, false);
        s.set_linger(0).unwrap();
        s.connect(&a.endpoint).unwrap();
        s.send(&payload[..], 0).unwrap();
        s.recv(&mut msg, 0).unwrap();
        check(&msg, a.size);
    }
    zmtp_bench::print_handshakes(a.count, start.elapsed());
}

fn check(msg: &zmq::Message, size: usize) {
    assert_eq!(msg.len(), size, "message of unexpected size");
}

fn local_thr(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::PULL, a, true);
    s.bind(&a.endpoint).unwrap();
    let mut msg = zmq::Message::new();
    s.recv(&mut msg, 0).unwrap();
    check(&msg, a.size);
    let start = Instant::now();
    for _ in 1..a.count {
        s.recv(&mut msg, 0).unwrap();
        check(&msg, a.size);
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
}

fn remote_thr(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::PUSH, a, false);
    s.set_linger(-1).unwrap();
    s.connect(&a.endpoint).unwrap();
    let payload = vec![0u8; a.size];
    for _ in 0..a.count {
        s.send(&payload[..], 0).unwrap();
    }
    // Dropping the socket and the context waits (linger -1) until everything is delivered.
}

fn local_lat(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::REP, a, true);
    s.set_linger(-1).unwrap();
    s.bind(&a.endpoint).unwrap();
    let mut msg = zmq::Message::new();
    for _ in 0..a.count {
        s.recv(&mut msg, 0).unwrap();
        check(&msg, a.size);
        s.send(std::mem::replace(&mut msg, zmq::Message::new()), 0)
            .unwrap();
    }
}

fn remote_lat(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::REQ, a, false);
    s.connect(&a.endpoint).unwrap();
    let payload = vec![0u8; a.size];
    let mut msg = zmq::Message::new();
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        s.send(&payload[..], 0).unwrap();
        s.recv(&mut msg, 0).unwrap();
        times.push(start.elapsed());
        check(&msg, a.size);
    }
    zmtp_bench::print_latency(a.size, &mut times);
}

/// XPUB with XPUB_VERBOSE behaves as PUB and also tells us each subscription, so we start
/// publishing once every subscriber's subscription has arrived.
fn pub_thr(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::XPUB, a, true);
    s.set_xpub_verbose(true).unwrap();
    s.set_linger(-1).unwrap();
    s.bind(&a.endpoint).unwrap();
    for _ in 0..a.subscribers {
        s.recv_msg(0).unwrap();
    }
    let payload = vec![0u8; a.size];
    let start = Instant::now();
    for _ in 0..a.count {
        s.send(&payload[..], 0).unwrap();
    }
    let elapsed = start.elapsed();
    let end = vec![0u8; a.size + 1];
    for _ in 0..zmtp_bench::END_MARKERS {
        s.send(&end[..], 0).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    zmtp_bench::print_throughput(a.size, a.count, elapsed);
}

fn sub_thr(ctx: &zmq::Context, a: &Args) {
    let s = socket(ctx, zmq::SUB, a, false);
    s.set_subscribe(b"").unwrap();
    s.connect(&a.endpoint).unwrap();
    let mut msg = zmq::Message::new();
    s.recv(&mut msg, 0).unwrap();
    check(&msg, a.size);
    s.set_rcvtimeo(zmtp_bench::SUB_IDLE.as_millis() as i32)
        .unwrap();
    let start = Instant::now();
    let mut received = 1;
    let end = loop {
        if received == a.count {
            break Instant::now();
        }
        match s.recv(&mut msg, 0) {
            Ok(()) if msg.len() == a.size => received += 1,
            Ok(()) => break Instant::now(),
            Err(_) => break Instant::now() - zmtp_bench::SUB_IDLE,
        }
    };
    zmtp_bench::print_throughput(a.size, received, end - start);
}
