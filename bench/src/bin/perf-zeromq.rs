//! The `zeromq` crate (zmq.rs) 0.7 on tokio. It has no HWM or linger options, so a sender
//! waits until its peer has gone (the receiver exits once it has everything) before it
//! drops its socket, which would otherwise discard queued messages.
//! Runtime: `BENCH_RUNTIME=current|multi`; default multi (as `#[tokio::main]` in its
//! examples and its 2-worker benchmark runtime).

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use zeromq::{Socket, SocketEvent, SocketRecv, SocketSend, ZmqMessage};
use zmtp_bench::{Args, Mode};

fn main() {
    let args = zmtp_bench::args();
    zmtp_bench::tokio_runtime(true).block_on(async move {
        match args.mode {
            Mode::LocalThr => local_thr(&args).await,
            Mode::RemoteThr => remote_thr(&args).await,
            Mode::LocalLat => local_lat(&args).await,
            Mode::RemoteLat => remote_lat(&args).await,
            Mode::PubThr => pub_thr(&args).await,
            Mode::SubThr => sub_thr(&args).await,
            Mode::LocalHs | Mode::RemoteHs | Mode::InprocThr | Mode::InprocLat => {
                unreachable!("refused by zmtp_bench::args")
            }
        }
    });
}

fn size_of(msg: &ZmqMessage) -> usize {
    msg.iter().map(Bytes::len).sum()
}

/// Waits (at most 60 s) until `n` peers disconnected.
async fn wait_disconnects(monitor: &mut futures::channel::mpsc::Receiver<SocketEvent>, n: usize) {
    let wait = async {
        let mut gone = 0;
        while gone < n {
            match monitor.next().await {
                Some(SocketEvent::Disconnected(_)) => gone += 1,
                Some(_) => {}
                None => break,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), wait).await;
}

async fn local_thr(a: &Args) {
    let mut s = zeromq::PullSocket::new();
    s.bind(&a.endpoint).await.unwrap();
    assert_eq!(size_of(&s.recv().await.unwrap()), a.size);
    let start = Instant::now();
    for _ in 1..a.count {
        assert_eq!(size_of(&s.recv().await.unwrap()), a.size);
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
}

async fn remote_thr(a: &Args) {
    let mut s = zeromq::PushSocket::new();
    s.connect(&a.endpoint).await.unwrap();
    let payload = Bytes::from(vec![0u8; a.size]);
    for _ in 0..a.count {
        s.send(ZmqMessage::from(payload.clone())).await.unwrap();
    }
    // Delivered once the receiver, having counted everything, has gone: keep sending probes
    // (which it ignores) until the send fails for want of a peer.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let probe = s.send(ZmqMessage::from(payload.clone()));
        if let Ok(Err(_)) = tokio::time::timeout(Duration::from_millis(100), probe).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn local_lat(a: &Args) {
    let mut s = zeromq::RepSocket::new();
    s.bind(&a.endpoint).await.unwrap();
    for _ in 0..a.count {
        let msg = s.recv().await.unwrap();
        assert_eq!(size_of(&msg), a.size);
        s.send(msg).await.unwrap();
    }
    // REP only notices a disconnect while receiving: give the last reply a moment instead.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

async fn remote_lat(a: &Args) {
    let mut s = zeromq::ReqSocket::new();
    s.connect(&a.endpoint).await.unwrap();
    let payload = Bytes::from(vec![0u8; a.size]);
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        s.send(ZmqMessage::from(payload.clone())).await.unwrap();
        let reply = s.recv().await.unwrap();
        times.push(start.elapsed());
        assert_eq!(size_of(&reply), a.size);
    }
    zmtp_bench::print_latency(a.size, &mut times);
}

async fn pub_thr(a: &Args) {
    let mut s = zeromq::PubSocket::new();
    let mut monitor = s.monitor();
    s.bind(&a.endpoint).await.unwrap();
    let mut accepted = 0;
    while accepted < a.subscribers {
        if let Some(SocketEvent::Accepted(..)) = monitor.next().await {
            accepted += 1;
        }
    }
    // No API tells when the subscriptions arrived: give them a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let payload = Bytes::from(vec![0u8; a.size]);
    let start = Instant::now();
    for _ in 0..a.count {
        s.send(ZmqMessage::from(payload.clone())).await.unwrap();
    }
    let elapsed = start.elapsed();
    let end = Bytes::from(vec![0u8; a.size + 1]);
    for _ in 0..zmtp_bench::END_MARKERS {
        s.send(ZmqMessage::from(end.clone())).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    zmtp_bench::print_throughput(a.size, a.count, elapsed);
    wait_disconnects(&mut monitor, a.subscribers).await;
}

async fn sub_thr(a: &Args) {
    let mut s = zeromq::SubSocket::new();
    s.subscribe("").await.unwrap();
    s.connect(&a.endpoint).await.unwrap();
    assert_eq!(size_of(&s.recv().await.unwrap()), a.size);
    let start = Instant::now();
    let mut received = 1;
    let end = loop {
        if received == a.count {
            break Instant::now();
        }
        match tokio::time::timeout(zmtp_bench::SUB_IDLE, s.recv()).await {
            Ok(Ok(msg)) if size_of(&msg) == a.size => received += 1,
            Ok(_) => break Instant::now(),
            Err(_) => break Instant::now() - zmtp_bench::SUB_IDLE,
        }
    };
    zmtp_bench::print_throughput(a.size, received, end - start);
}
