//! The physical limit of moving messages between two tasks of one process: a bounded
//! `tokio::sync::mpsc` channel of `Bytes` (capacity 1000, as a default high-water mark), on the
//! runtime `zmtp perf` uses (`ZMTP_RUNTIME=current|multi`, default current). Only the inproc
//! modes: `inproc_thr` (a sending task, the receiver here) and `inproc_lat` (an echoing task,
//! a requester here, over two channels).

use std::time::Instant;

use bytes::Bytes;
use tokio::sync::mpsc;
use zmtp_bench::{Args, Mode};

const CAPACITY: usize = 1000;

fn main() {
    let args = zmtp_bench::args_with_inproc();
    let multi = std::env::var("ZMTP_RUNTIME").as_deref() == Ok("multi");
    let mut builder = if multi {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder.enable_all().build().expect("tokio runtime");
    // As `zmtp perf`: the test is a spawned task, not `block_on`'s own future.
    runtime.block_on(async move {
        tokio::spawn(async move {
            match args.mode {
                Mode::InprocThr => thr(&args).await,
                Mode::InprocLat => lat(&args).await,
                _ => {
                    eprintln!("perf-mpsc has only inproc_thr and inproc_lat");
                    std::process::exit(2);
                }
            }
        })
        .await
        .unwrap()
    });
}

async fn thr(a: &Args) {
    let (tx, mut rx) = mpsc::channel::<Bytes>(CAPACITY);
    let payload = Bytes::from(vec![0u8; a.size]);
    let count = a.count;
    let sender = tokio::spawn(async move {
        for _ in 0..count {
            tx.send(payload.clone()).await.unwrap();
        }
    });
    assert_eq!(rx.recv().await.unwrap().len(), a.size);
    let start = Instant::now();
    for _ in 1..a.count {
        assert_eq!(rx.recv().await.unwrap().len(), a.size);
    }
    zmtp_bench::print_throughput(a.size, a.count, start.elapsed());
    sender.await.unwrap();
}

async fn lat(a: &Args) {
    let (request_tx, mut request_rx) = mpsc::channel::<Bytes>(CAPACITY);
    let (reply_tx, mut reply_rx) = mpsc::channel::<Bytes>(CAPACITY);
    let echo = tokio::spawn(async move {
        while let Some(request) = request_rx.recv().await {
            reply_tx.send(request).await.unwrap();
        }
    });
    let payload = Bytes::from(vec![0u8; a.size]);
    let mut times = Vec::with_capacity(a.count as usize);
    for _ in 0..a.count {
        let start = Instant::now();
        request_tx.send(payload.clone()).await.unwrap();
        let reply = reply_rx.recv().await.unwrap();
        times.push(start.elapsed());
        assert_eq!(reply.len(), a.size);
    }
    zmtp_bench::print_latency(a.size, &mut times);
    drop(request_tx);
    echo.await.unwrap();
}
