//! zmtp-blocking: the blocking API over zmtp-tokio, from the process's main thread, on the
//! crate's default runtime (driven by the waiting caller, a background thread while none
//! waits), or with `ZMTP_BLOCKING_WORKERS=n` on a runtime of n I/O worker threads. Default options (HWM 1000) but linger for ever,
//! as `zmtp perf`, so that a sender exits only once its peer has everything.

use std::time::{Duration, Instant};

use zmtp_bench::{Args, Mode};
use zmtp_blocking::{
    Bytes, Error, Message, Options, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket,
    Runtime, SubSocket,
};

type Result<T = ()> = zmtp_blocking::Result<T>;

fn main() -> Result {
    let args = zmtp_bench::args();
    let options = Options::default().linger(None);
    match args.mode {
        Mode::LocalThr => local_thr(&args, options),
        Mode::RemoteThr => remote_thr(&args, options),
        Mode::LocalLat => local_lat(&args, options),
        Mode::RemoteLat => remote_lat(&args, options),
        Mode::PubThr => pub_thr(&args, options),
        Mode::SubThr => sub_thr(&args, options),
        Mode::LocalHs | Mode::RemoteHs | Mode::InprocThr | Mode::InprocLat => {
            unreachable!("refused by zmtp_bench::args")
        }
    }
}

/// The runtime `ZMTP_BLOCKING_WORKERS` asks for (the global, default one without it).
fn runtime() -> Result<Runtime> {
    match std::env::var("ZMTP_BLOCKING_WORKERS") {
        Ok(n) => Runtime::with_workers(n.parse().expect("ZMTP_BLOCKING_WORKERS: a number")),
        Err(_) => Runtime::global(),
    }
}

/// Panics unless `message` is one frame of `size` bytes, as libzmq's tools check.
fn check_size(message: &Message, size: usize) {
    assert!(
        matches!(message.frames(), [frame] if frame.len() == size),
        "message of {} bytes, expected {size}",
        message.byte_len()
    );
}

fn local_thr(a: &Args, options: Options) -> Result {
    let mut pull = PullSocket::on(&runtime()?, options)?;
    pull.bind(a.endpoint.as_str())?;
    check_size(&pull.recv()?, a.size);
    let start = Instant::now();
    for _ in 1..a.count {
        check_size(&pull.recv()?, a.size);
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
    Ok(())
}

fn remote_thr(a: &Args, options: Options) -> Result {
    let mut push = PushSocket::on(&runtime()?, options)?;
    push.connect(a.endpoint.as_str())?;
    let payload = Bytes::from(vec![0u8; a.size]);
    for _ in 0..a.count {
        push.send(payload.clone())?;
    }
    push.into_inner().close()?;
    Ok(())
}

fn local_lat(a: &Args, options: Options) -> Result {
    let mut rep = RepSocket::on(&runtime()?, options)?;
    rep.bind(a.endpoint.as_str())?;
    for _ in 0..a.count {
        let request = rep.recv()?;
        check_size(&request, a.size);
        rep.send(request)?;
    }
    rep.into_inner().close()?;
    Ok(())
}

fn remote_lat(a: &Args, options: Options) -> Result {
    let mut req = ReqSocket::on(&runtime()?, options)?;
    req.connect(a.endpoint.as_str())?;
    let payload = Bytes::from(vec![0u8; a.size]);
    let mut times = Vec::with_capacity(usize::try_from(a.count).unwrap_or(0));
    for _ in 0..a.count {
        let start = Instant::now();
        req.send(payload.clone())?;
        let reply = req.recv()?;
        times.push(start.elapsed());
        check_size(&reply, a.size);
    }
    zmtp_bench::print_latency(a.size, &mut times);
    Ok(())
}

/// PUB: waits until its subscribers have subscribed, publishes, then sends end markers, as
/// `zmtp perf pub_thr`.
fn pub_thr(a: &Args, options: Options) -> Result {
    let mut publisher = PubSocket::on(&runtime()?, options)?;
    publisher.bind(a.endpoint.as_str())?;
    publisher
        .wait_subscribers(a.subscribers, Some(Duration::from_secs(30)))
        .expect("subscribers did not subscribe within 30 s");
    let payload = Bytes::from(vec![0u8; a.size]);
    let start = Instant::now();
    for _ in 0..a.count {
        publisher.send(payload.clone())?;
    }
    let elapsed = start.elapsed();
    let end = Bytes::from(vec![0u8; a.size + 1]);
    for _ in 0..20 {
        publisher.send(end.clone())?;
        std::thread::sleep(Duration::from_millis(5));
    }
    zmtp_bench::print_throughput(a.size, a.count, elapsed);
    publisher.into_inner().close()?;
    Ok(())
}

/// SUB: counts until `count` messages, an end marker, or 1 s of silence after the first.
fn sub_thr(a: &Args, options: Options) -> Result {
    const IDLE: Duration = Duration::from_secs(1);
    let mut sub = SubSocket::on(&runtime()?, options)?;
    sub.subscribe(Bytes::new())?;
    sub.connect(a.endpoint.as_str())?;
    let first = sub.recv()?;
    assert_eq!(
        first.byte_len(),
        a.size,
        "the first message was an end marker"
    );
    sub.set_recv_timeout(Some(IDLE));
    let start = Instant::now();
    let mut received = 1;
    let end = loop {
        if received == a.count {
            break Instant::now();
        }
        match sub.recv() {
            Ok(message) if message.byte_len() == a.size => received += 1,
            Ok(_end_marker) => break Instant::now(),
            Err(Error::TimedOut) => break Instant::now() - IDLE,
            Err(e) => return Err(e),
        }
    };
    zmtp_bench::print_throughput(a.size, received, end - start);
    Ok(())
}
