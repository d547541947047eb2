//! `omq-tokio` 0.33 in the configuration of its own benchmark peer (`bench_peer_tokio`):
//! a current_thread runtime wrapped by `Context::current()`, `try_send` falling back to
//! `send`, `try_recv` falling back to `recv`; default options except linger for ever on the
//! sending side (omq's default linger is 0, which drops queued messages on close).
//! Runtime: `BENCH_RUNTIME=current|multi`; default current.

use std::time::{Duration, Instant};

use bytes::Bytes;
use omq_tokio::{Context, Error, Message, Options, Socket, SocketType, TrySendError};
use zmtp_bench::{Args, Mode};

fn main() {
    let args = zmtp_bench::args_with_inproc();
    zmtp_bench::tokio_runtime(false).block_on(async move {
        let ctx = Context::current();
        match args.mode {
            Mode::LocalThr => local_thr(&ctx, &args).await,
            Mode::RemoteThr => remote_thr(&ctx, &args).await,
            Mode::LocalLat => local_lat(&ctx, &args).await,
            Mode::RemoteLat => remote_lat(&ctx, &args).await,
            Mode::PubThr => pub_thr(&ctx, &args).await,
            Mode::SubThr => sub_thr(&ctx, &args).await,
            Mode::InprocThr => inproc_thr(&ctx, &args).await,
            Mode::InprocLat => inproc_lat(&ctx, &args).await,
            Mode::LocalHs | Mode::RemoteHs => unreachable!("refused by zmtp_bench::args"),
        }
    });
}

/// The sender as a task of this runtime, the receiver here, over omq's inproc.
async fn inproc_thr(ctx: &Context, a: &Args) {
    let (ctx2, a2) = (ctx.clone(), a.clone());
    let sender = tokio::spawn(async move { remote_thr(&ctx2, &a2).await });
    local_thr(ctx, a).await;
    sender.await.unwrap();
}

/// The REP as a task of this runtime, the REQ here, over omq's inproc.
async fn inproc_lat(ctx: &Context, a: &Args) {
    let (ctx2, a2) = (ctx.clone(), a.clone());
    let echo = tokio::spawn(async move { local_lat(&ctx2, &a2).await });
    remote_lat(ctx, a).await;
    echo.await.unwrap();
}

fn options() -> Options {
    Options::default().linger_forever()
}

/// A fresh message: inline copies for small payloads (as omq's peer does), shared otherwise.
fn message(payload: &Bytes) -> Message {
    if payload.len() <= omq_tokio::message::MAX_INLINE_MESSAGE {
        Message::from_slice(payload)
    } else {
        Message::single(payload.clone())
    }
}

async fn send_fast(s: &Socket, msg: Message) {
    match s.try_send(msg) {
        Ok(()) => {}
        Err(TrySendError::Full(msg)) => s.send(msg).await.unwrap(),
        Err(e) => panic!("try_send: {e}"),
    }
}

async fn recv_fast(s: &Socket) -> Message {
    match s.try_recv() {
        Ok(msg) => msg,
        Err(Error::WouldBlock) => s.recv().await.unwrap(),
        Err(e) => panic!("try_recv: {e}"),
    }
}

async fn local_thr(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Pull, options());
    s.bind(a.endpoint.as_str()).await.unwrap();
    assert_eq!(recv_fast(&s).await.byte_len(), a.size);
    let start = Instant::now();
    for _ in 1..a.count {
        assert_eq!(recv_fast(&s).await.byte_len(), a.size);
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
    s.close().await.unwrap();
}

async fn remote_thr(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Push, options());
    s.connect(a.endpoint.as_str()).await.unwrap();
    let payload = Bytes::from(vec![0u8; a.size]);
    for _ in 0..a.count {
        send_fast(&s, message(&payload)).await;
    }
    s.close().await.unwrap();
}

async fn local_lat(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Rep, options());
    s.bind(a.endpoint.as_str()).await.unwrap();
    for _ in 0..a.count {
        let msg = s.recv().await.unwrap();
        assert_eq!(msg.byte_len(), a.size);
        s.send(msg).await.unwrap();
    }
    s.close().await.unwrap();
}

async fn remote_lat(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Req, options());
    s.connect(a.endpoint.as_str()).await.unwrap();
    let payload = Bytes::from(vec![0u8; a.size]);
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        s.send(message(&payload)).await.unwrap();
        let reply = s.recv().await.unwrap();
        times.push(start.elapsed());
        assert_eq!(reply.byte_len(), a.size);
    }
    zmtp_bench::print_latency(a.size, &mut times);
    s.close().await.unwrap();
}

async fn pub_thr(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Pub, options());
    s.bind(a.endpoint.as_str()).await.unwrap();
    s.wait_subscribed(a.subscribers as u64, Duration::from_secs(30))
        .await
        .unwrap();
    let payload = Bytes::from(vec![0u8; a.size]);
    let start = Instant::now();
    for _ in 0..a.count {
        send_fast(&s, message(&payload)).await;
    }
    let elapsed = start.elapsed();
    let end = Bytes::from(vec![0u8; a.size + 1]);
    for _ in 0..zmtp_bench::END_MARKERS {
        send_fast(&s, message(&end)).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    zmtp_bench::print_throughput(a.size, a.count, elapsed);
    s.close().await.unwrap();
}

async fn sub_thr(ctx: &Context, a: &Args) {
    let s = ctx.socket(SocketType::Sub, options());
    s.subscribe(Bytes::new()).await.unwrap();
    s.connect(a.endpoint.as_str()).await.unwrap();
    assert_eq!(s.recv().await.unwrap().byte_len(), a.size);
    let start = Instant::now();
    let mut received = 1;
    let end = loop {
        if received == a.count {
            break Instant::now();
        }
        let msg = match s.try_recv() {
            Ok(msg) => Ok(msg),
            Err(Error::WouldBlock) => {
                match tokio::time::timeout(zmtp_bench::SUB_IDLE, s.recv()).await {
                    Ok(result) => result,
                    Err(_) => break Instant::now() - zmtp_bench::SUB_IDLE,
                }
            }
            Err(e) => Err(e),
        };
        match msg {
            Ok(msg) if msg.byte_len() == a.size => received += 1,
            _ => break Instant::now(),
        }
    };
    zmtp_bench::print_throughput(a.size, received, end - start);
    s.close().await.unwrap();
}
