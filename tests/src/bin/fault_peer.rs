//! A peer process for the fault tests (`tests/tests/fault_*.rs`): the tests start it, kill it
//! with SIGKILL (some modes stop half-way through writing a message first, so that the kill is
//! really mid-message) and start it again on the same endpoint. It reports what it does on
//! stdout, one line per event; errors go to stderr and exit with status 2.
//!
//! ```text
//! fault_peer pull ENDPOINT RECV_HWM           bind PULL; "READY"; "GOT TAG SEQ" per message
//! fault_peer push ENDPOINT TAG FROM COUNT PARTS PART_LEN
//!                                             connect PUSH, send seq messages FROM..FROM+COUNT;
//!                                             "DONE" once delivered (close with linger)
//! fault_peer pub ENDPOINT TAG                 bind PUB; "READY"; one seq message per ms
//! fault_peer rep ENDPOINT [CRASH_AT]          bind REP; "READY"; echo; "REQ BODY"; on the
//!                                             request CRASH_AT: "CRASH", SIGKILL itself
//! fault_peer raw-pub-half ADDR TAG FROM WHOLE PARTS PART_LEN
//!                                             raw ZMTP PUB on a TCP listener: accept one SUB,
//!                                             "SUBSCRIBED TOPIC", write WHOLE messages and half
//!                                             of the next, "HALF SEQ", then wait to be killed
//! fault_peer raw-push-half ENDPOINT TAG FROM WHOLE PARTS PART_LEN
//!                                             the same as a raw PUSH connecting to a PULL
//! fault_peer churn ENDPOINT CLIENTS HOLD_MS SECONDS
//!                                             CLIENTS PUSH sockets connect and hold ("HOLDING
//!                                             N"), then reconnect in a loop for SECONDS (with
//!                                             some raw connections abandoned mid-greeting);
//!                                             "DONE cycles=.. raw=.. failed=.."
//! ```

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::Instant;
use zmtp_tests::faults::{check_seq_message, ensure_nofile, seq_frames, seq_message};
use zmtp_tests::raw_peer::{message, RawPeer};
use zmtp_tokio::{
    MonitorEvent, Options, PubSocket, PullSocket, PushSocket, RepSocket, Result as ZmqResult,
};

type Failure = Box<dyn std::error::Error>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(&args)) {
        eprintln!("fault_peer {}: {e}", args.join(" "));
        std::process::exit(2);
    }
}

fn arg<T: FromStr>(args: &[String], i: usize, name: &str) -> Result<T, Failure> {
    let text = args
        .get(i)
        .ok_or_else(|| format!("missing argument {name}"))?;
    text.parse()
        .map_err(|_| format!("bad {name}: {text:?}").into())
}

/// The sequence messages a mode sends: tag, first number, count, parts, part length.
struct Sequence {
    tag: String,
    from: u64,
    count: u64,
    parts: usize,
    part_len: usize,
}

impl Sequence {
    fn parse(args: &[String]) -> Result<Sequence, Failure> {
        Ok(Sequence {
            tag: arg(args, 2, "TAG")?,
            from: arg(args, 3, "FROM")?,
            count: arg(args, 4, "COUNT")?,
            parts: arg(args, 5, "PARTS")?,
            part_len: arg(args, 6, "PART_LEN")?,
        })
    }

    /// The wire bytes of message `seq`.
    fn wire(&self, seq: u64) -> Vec<u8> {
        let frames = seq_frames(self.tag.as_bytes(), seq, self.parts, self.part_len);
        message(&frames.iter().map(Vec::as_slice).collect::<Vec<_>>())
    }

    /// Writes the whole messages, then half of the next one, and waits to be killed.
    async fn write_then_stop_half_way(&self, peer: &mut RawPeer) -> Result<(), Failure> {
        for seq in self.from..self.from + self.count {
            peer.send_raw(&self.wire(seq)).await?;
        }
        let half = self.from + self.count;
        let bytes = self.wire(half);
        peer.send_raw(&bytes[..bytes.len() / 2]).await?;
        println!("HALF {half}");
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(())
    }
}

async fn run(args: &[String]) -> Result<(), Failure> {
    let mode = args.first().map(String::as_str).unwrap_or("");
    let endpoint: String = arg(args, 1, "ENDPOINT")?;
    match mode {
        "pull" => pull(&endpoint, arg(args, 2, "RECV_HWM")?).await,
        "push" => push(&endpoint, Sequence::parse(args)?).await,
        "pub" => publish(&endpoint, &arg::<String>(args, 2, "TAG")?).await,
        "rep" => rep(&endpoint, args.get(2).map(String::as_str)).await,
        "raw-pub-half" => raw_pub_half(&endpoint, Sequence::parse(args)?).await,
        "raw-push-half" => raw_push_half(&endpoint, Sequence::parse(args)?).await,
        "churn" => {
            churn(
                &endpoint,
                arg(args, 2, "CLIENTS")?,
                Duration::from_millis(arg(args, 3, "HOLD_MS")?),
                Duration::from_secs_f64(arg(args, 4, "SECONDS")?),
            )
            .await
        }
        other => Err(format!("unknown mode {other:?}").into()),
    }
}

async fn pull(endpoint: &str, recv_hwm: usize) -> Result<(), Failure> {
    let mut pull = PullSocket::with_options(Options::default().recv_hwm(recv_hwm))?;
    pull.bind(endpoint).await?;
    println!("READY");
    loop {
        let message = pull.recv().await?;
        match check_seq_message(&message) {
            Ok((tag, seq)) => println!("GOT {} {seq}", String::from_utf8_lossy(&tag)),
            Err(e) => println!("BAD {e}"),
        }
    }
}

async fn push(endpoint: &str, sequence: Sequence) -> Result<(), Failure> {
    let mut push = PushSocket::new();
    push.connect(endpoint)?;
    let tag = sequence.tag.as_bytes();
    for seq in sequence.from..sequence.from + sequence.count {
        let message = seq_message(tag, seq, sequence.parts, sequence.part_len);
        push.send(message).await?;
    }
    let report = push.close_timeout(Duration::from_secs(20)).await;
    if !report.is_complete() {
        return Err(format!("messages undelivered: {report}").into());
    }
    println!("DONE");
    Ok(())
}

async fn publish(endpoint: &str, tag: &str) -> Result<(), Failure> {
    let mut publisher = PubSocket::new();
    publisher.bind(endpoint).await?;
    println!("READY");
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    for seq in 0.. {
        tick.tick().await;
        publisher
            .send(seq_message(tag.as_bytes(), seq, 2, 1024))
            .await?;
    }
    Ok(())
}

async fn rep(endpoint: &str, crash_at: Option<&str>) -> Result<(), Failure> {
    let mut rep = RepSocket::new();
    rep.bind(endpoint).await?;
    println!("READY");
    loop {
        let request = rep.recv().await?;
        let body = String::from_utf8_lossy(&request.frames()[0]).into_owned();
        println!("REQ {body}");
        if Some(body.as_str()) == crash_at {
            println!("CRASH");
            // A real crash: no reply, no orderly close of anything.
            let pid = std::process::id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status();
            std::process::abort();
        }
        rep.send(request).await?;
    }
}

async fn raw_pub_half(addr: &str, sequence: Sequence) -> Result<(), Failure> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("READY");
    let (stream, _) = listener.accept().await?;
    let mut peer = RawPeer::from_tcp(stream);
    peer.handshake("PUB").await?;
    let subscribe = peer.read_command().await?;
    if subscribe.command_name().as_deref() != Some("SUBSCRIBE") {
        return Err(format!("expected SUBSCRIBE, got {subscribe:?}").into());
    }
    let topic = subscribe.command_data().unwrap_or_default();
    println!("SUBSCRIBED {}", String::from_utf8_lossy(&topic));
    sequence.write_then_stop_half_way(&mut peer).await
}

async fn raw_push_half(endpoint: &str, sequence: Sequence) -> Result<(), Failure> {
    let endpoint: zmtp_tokio::Endpoint = endpoint.parse()?;
    let mut peer = RawPeer::connect_as(&endpoint, "PUSH").await?;
    println!("CONNECTED");
    sequence.write_then_stop_half_way(&mut peer).await
}

// ---- churn -----------------------------------------------------------------------------------

#[derive(Default)]
struct ChurnCounts {
    cycles: AtomicU64,
    raw: AtomicU64,
    failed: AtomicU64,
}

async fn churn(
    endpoint: &str,
    clients: usize,
    hold: Duration,
    seconds: Duration,
) -> Result<(), Failure> {
    // One descriptor per client plus a margin for the runtime and the process itself.
    ensure_nofile(clients as u64 + 200)?;
    let addr = zmtp_tests::tcp_addr(endpoint);
    let counts = Arc::new(ChurnCounts::default());
    let all_connected = Arc::new(tokio::sync::Barrier::new(clients));
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let (endpoint, counts, all_connected) =
            (endpoint.to_owned(), counts.clone(), all_connected.clone());
        tasks.spawn(async move {
            let first = connect_push(&endpoint).await;
            if first.is_err() {
                counts.failed.fetch_add(1, Ordering::Relaxed);
            }
            if all_connected.wait().await.is_leader() {
                println!("HOLDING {clients}");
            }
            tokio::time::sleep(hold).await;
            drop(first);
            let deadline = Instant::now() + seconds;
            let mut rng = 0x9e37_79b9_7f4a_7c15_u64 ^ client as u64;
            let mut cycle = client as u64;
            while Instant::now() < deadline {
                cycle += 1;
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                if cycle % 8 < 2 {
                    // A raw connection closed at once or half-way through the greeting.
                    if let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await {
                        if cycle % 8 == 1 {
                            let _ = stream
                                .write_all(&zmtp_tests::raw_peer::greeting(1)[..20])
                                .await;
                        }
                    }
                    counts.raw.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                match connect_push(&endpoint).await {
                    Ok(mut push) => {
                        let _ = push.send(seq_message(b"churn", cycle, 1, 64)).await;
                        tokio::time::sleep(Duration::from_millis(rng % 20)).await;
                        if cycle % 2 == 0 {
                            push.close_timeout(Duration::from_secs(2)).await;
                        }
                        counts.cycles.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined?;
    }
    println!(
        "DONE cycles={} raw={} failed={}",
        counts.cycles.load(Ordering::Relaxed),
        counts.raw.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed)
    );
    Ok(())
}

/// A PUSH (linger 1 s) connected to `endpoint` with its handshake done (bounded: 20 s).
async fn connect_push(endpoint: &str) -> ZmqResult<PushSocket> {
    let push = PushSocket::with_options(Options::default().linger(Some(Duration::from_secs(1))))?;
    let mut monitor = push.monitor();
    push.connect(endpoint)?;
    let handshake = async {
        while let Some(event) = monitor.next_event().await {
            if matches!(event, MonitorEvent::HandshakeSucceeded { .. }) {
                return true;
            }
        }
        false
    };
    match tokio::time::timeout(Duration::from_secs(20), handshake).await {
        Ok(true) => Ok(push),
        _ => Err(zmtp_tokio::Error::Closed),
    }
}
