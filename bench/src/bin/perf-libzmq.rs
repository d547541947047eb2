//! libzmq (Debian's libzmq5 through the `zmq` 0.9 crate) with libzmq's own perf-tool logic:
//! default context (one I/O thread), default HWMs, linger -1 on the sending side.

use std::time::{Duration, Instant};

use zmtp_bench::{Args, Mode};

fn main() {
    let args = zmtp_bench::args();
    let ctx = zmq::Context::new();
    match args.mode {
        Mode::LocalThr => local_thr(&ctx, &args),
        Mode::RemoteThr => remote_thr(&ctx, &args),
        Mode::LocalLat => local_lat(&ctx, &args),
        Mode::RemoteLat => remote_lat(&ctx, &args),
        Mode::PubThr => pub_thr(&ctx, &args),
        Mode::SubThr => sub_thr(&ctx, &args),
    }
}

fn check(msg: &zmq::Message, size: usize) {
    assert_eq!(msg.len(), size, "message of unexpected size");
}

fn local_thr(ctx: &zmq::Context, a: &Args) {
    let s = ctx.socket(zmq::PULL).unwrap();
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
    let s = ctx.socket(zmq::PUSH).unwrap();
    s.set_linger(-1).unwrap();
    s.connect(&a.endpoint).unwrap();
    let payload = vec![0u8; a.size];
    for _ in 0..a.count {
        s.send(&payload[..], 0).unwrap();
    }
    // Dropping the socket and the context waits (linger -1) until everything is delivered.
}

fn local_lat(ctx: &zmq::Context, a: &Args) {
    let s = ctx.socket(zmq::REP).unwrap();
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
    let s = ctx.socket(zmq::REQ).unwrap();
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
    let s = ctx.socket(zmq::XPUB).unwrap();
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
    let s = ctx.socket(zmq::SUB).unwrap();
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
