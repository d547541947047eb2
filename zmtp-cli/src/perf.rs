//! `zmtp perf`: libzmq's perf tests (`local_thr`, `remote_thr`, `local_lat`, `remote_lat`)
//! on zmtp-tokio sockets, plus a PUB→SUB fan-out pair (`pub_thr`, `sub_thr`) and a
//! handshake-rate pair (`local_hs`, `remote_hs`).
//!
//! `--curve` runs any test over CURVE with fixed, published test keys (the zmq_curve(7)
//! example key pairs): the binding side is the CURVE server, the connecting side a client that
//! knows the server's public key. A benchmark-only convenience: these keys secure nothing.
//! `--plain` runs it over PLAIN (user "perf", password "perf"; the server accepts anyone), to
//! show what a mechanism without encryption costs next to NULL.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zmtp_tokio::{
    AuthDecision, AuthRequest, KeyPair, Message, Options, PubSocket, PublicKey, PullSocket,
    PushSocket, RepSocket, ReqSocket, SecretKey, SubSocket,
};

use crate::report;

/// What can go wrong in a perf test.
type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// A perf test with its arguments.
#[derive(Debug)]
pub(crate) enum Test {
    /// PULL binds, receives `count` messages, prints throughput.
    LocalThr {
        bind: String,
        size: usize,
        count: u64,
    },
    /// PUSH connects, sends `count` messages, exits once they are delivered.
    RemoteThr {
        connect: String,
        size: usize,
        count: u64,
    },
    /// REP binds, echoes `round_trips` requests.
    LocalLat {
        bind: String,
        size: usize,
        round_trips: u64,
    },
    /// REQ connects, makes `round_trips` requests, prints one-way latency.
    RemoteLat {
        connect: String,
        size: usize,
        round_trips: u64,
    },
    /// PUB binds, waits for `subscribers`, publishes `count` messages and end markers.
    PubThr {
        bind: String,
        size: usize,
        count: u64,
        subscribers: usize,
    },
    /// SUB connects, receives up to `count` messages, prints throughput.
    SubThr {
        connect: String,
        size: usize,
        count: u64,
    },
    /// PULL binds and PUSH connects in this process (inproc), throughput as `local_thr`.
    InprocThr {
        endpoint: String,
        size: usize,
        count: u64,
    },
    /// REP binds and REQ connects in this process (inproc), latency as `remote_lat`.
    InprocLat {
        endpoint: String,
        size: usize,
        round_trips: u64,
    },
    /// REP binds, answers one request per connection, `connections` times.
    LocalHs {
        bind: String,
        size: usize,
        connections: u64,
    },
    /// `connections` times: a new REQ connects, handshakes, makes one round trip and closes;
    /// prints connections per second.
    RemoteHs {
        connect: String,
        size: usize,
        connections: u64,
    },
}

/// Parses one numeric argument.
fn number<T: std::str::FromStr>(args: &[&str], index: usize, name: &str) -> Result<T> {
    let arg = args.get(index).ok_or(format!("missing <{name}>"))?;
    arg.parse()
        .map_err(|_| format!("bad <{name}>: {arg:?}").into())
}

impl Test {
    /// Parses `<test> <endpoint> <message-size> <count> [<subscribers>]`.
    pub(crate) fn parse(args: &[&str]) -> Result<Test> {
        let (name, endpoint) = match args {
            [name, endpoint, ..] => (*name, endpoint.to_string()),
            [name] => return Err(format!("{name}: missing arguments").into()),
            [] => return Err("missing test name".into()),
        };
        let expected = if name == "pub_thr" { 5 } else { 4 };
        if args.len() != expected {
            return Err(format!("{name}: expected {} arguments", expected - 1).into());
        }
        let size = number(args, 2, "message-size")?;
        let count = number(args, 3, "message-count")?;
        if count == 0 {
            return Err("the count must be at least 1".into());
        }
        Ok(match name {
            "local_thr" => Test::LocalThr {
                bind: endpoint,
                size,
                count,
            },
            "remote_thr" => Test::RemoteThr {
                connect: endpoint,
                size,
                count,
            },
            "local_lat" => Test::LocalLat {
                bind: endpoint,
                size,
                round_trips: count,
            },
            "remote_lat" => Test::RemoteLat {
                connect: endpoint,
                size,
                round_trips: count,
            },
            "pub_thr" => {
                let subscribers = number(args, 4, "subscribers")?;
                Test::PubThr {
                    bind: endpoint,
                    size,
                    count,
                    subscribers,
                }
            }
            "sub_thr" => Test::SubThr {
                connect: endpoint,
                size,
                count,
            },
            "inproc_thr" => Test::InprocThr {
                endpoint,
                size,
                count,
            },
            "inproc_lat" => Test::InprocLat {
                endpoint,
                size,
                round_trips: count,
            },
            "local_hs" => Test::LocalHs {
                bind: endpoint,
                size,
                connections: count,
            },
            "remote_hs" => Test::RemoteHs {
                connect: endpoint,
                size,
                connections: count,
            },
            other => return Err(format!("unknown test {other:?}").into()),
        })
    }

    /// Runs the test over `security` and prints its result.
    pub(crate) async fn run(self, security: Security) -> Result {
        let server = options(security, true)?;
        let client = options(security, false)?;
        match self {
            Test::LocalThr { bind, size, count } => local_thr(server, &bind, size, count).await,
            Test::RemoteThr {
                connect,
                size,
                count,
            } => remote_thr(client, &connect, size, count).await,
            Test::LocalLat {
                bind,
                size,
                round_trips,
            } => local_lat(server, &bind, size, round_trips).await,
            Test::RemoteLat {
                connect,
                size,
                round_trips,
            } => remote_lat(client, &connect, size, round_trips).await,
            Test::PubThr {
                bind,
                size,
                count,
                subscribers,
            } => pub_thr(server, &bind, size, count, subscribers).await,
            Test::SubThr {
                connect,
                size,
                count,
            } => sub_thr(client, &connect, size, count).await,
            Test::InprocThr {
                endpoint,
                size,
                count,
            } => inproc_thr(server, client, endpoint, size, count).await,
            Test::InprocLat {
                endpoint,
                size,
                round_trips,
            } => inproc_lat(server, client, endpoint, size, round_trips).await,
            Test::LocalHs {
                bind,
                size,
                connections,
            } => local_hs(server, &bind, size, connections).await,
            Test::RemoteHs {
                connect,
                size,
                connections,
            } => remote_hs(client, &connect, size, connections).await,
        }
    }
}

/// The zmq_curve(7) example server key pair (Z85; public `rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7`):
/// published, so for benchmarks only. bench/ uses the same keys for libzmq.
const CURVE_SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
/// The zmq_curve(7) example client key pair's secret half (public
/// `Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID`).
const CURVE_CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

/// The security mechanism of both perf peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// NULL, the default.
    Null,
    /// `--plain`: PLAIN, the server accepting any user name and password.
    Plain,
    /// `--curve`: CURVE with the fixed test keys.
    Curve,
}

/// Options for every perf socket: the defaults (HWM 1000 as in libzmq), but linger until
/// delivered so that a sender exits only after its peer got everything, as libzmq's tools do.
/// With CURVE, the binding (`server`) side is a CURVE server with the fixed test keys and the
/// connecting side a CURVE client with the fixed client keys; with PLAIN, the server accepts
/// every client, as libzmq's does without a ZAP handler.
fn options(security: Security, server: bool) -> Result<Options> {
    let options = Options::default().linger(None);
    match security {
        Security::Null => return Ok(options),
        Security::Plain if server => {
            return Ok(options
                .plain_server()
                .authenticator(|_: &AuthRequest| AuthDecision::allow()))
        }
        Security::Plain => return Ok(options.plain_client("perf", "perf")),
        Security::Curve => {}
    }
    let server_keys = KeyPair::from_secret(SecretKey::from_z85(CURVE_SERVER_SECRET)?);
    Ok(if server {
        options.curve_server(server_keys)
    } else {
        let server_key: PublicKey = *server_keys.public();
        let client_keys = KeyPair::from_secret(SecretKey::from_z85(CURVE_CLIENT_SECRET)?);
        options.curve_client(server_key, Some(client_keys))
    })
}

/// Fails unless `message` is one frame of `size` bytes, as libzmq's tools check.
fn check_size(message: &Message, size: usize) -> Result {
    match message.frames() {
        [frame] if frame.len() == size => Ok(()),
        _ => Err(format!("message of {} bytes, expected {size}", message.byte_len()).into()),
    }
}

/// PULL: receives `count` messages; the clock runs from the first to the last.
async fn local_thr(options: Options, bind: &str, size: usize, count: u64) -> Result {
    let mut pull = PullSocket::with_options(options)?;
    pull.bind(bind).await?;
    check_size(&pull.recv().await?, size)?;
    let start = Instant::now();
    for _ in 1..count {
        check_size(&pull.recv().await?, size)?;
    }
    let elapsed = start.elapsed();
    report::throughput(size, count, elapsed);
    pull.close().await;
    Ok(())
}

/// PUSH: sends `count` messages, then waits until they are delivered.
async fn remote_thr(options: Options, connect: &str, size: usize, count: u64) -> Result {
    let mut push = PushSocket::with_options(options)?;
    push.connect(connect)?;
    let payload = Bytes::from(vec![0u8; size]);
    for _ in 0..count {
        push.send(payload.clone()).await?;
    }
    push.close().await;
    Ok(())
}

/// REP: echoes `round_trips` requests.
async fn local_lat(options: Options, bind: &str, size: usize, round_trips: u64) -> Result {
    let mut rep = RepSocket::with_options(options)?;
    rep.bind(bind).await?;
    for _ in 0..round_trips {
        let request = rep.recv().await?;
        check_size(&request, size)?;
        rep.send(request).await?;
    }
    rep.close().await;
    Ok(())
}

/// REQ: makes `round_trips` requests, timing each.
async fn remote_lat(options: Options, connect: &str, size: usize, round_trips: u64) -> Result {
    let mut req = ReqSocket::with_options(options)?;
    req.connect(connect)?;
    let payload = Bytes::from(vec![0u8; size]);
    let mut times = Vec::with_capacity(usize::try_from(round_trips).unwrap_or(0));
    for _ in 0..round_trips {
        let start = Instant::now();
        let reply = req.request(payload.clone()).await?;
        times.push(start.elapsed());
        check_size(&reply, size)?;
    }
    report::latency(size, &mut times);
    req.close().await;
    Ok(())
}

/// PUB: waits for `subscribers` peers (and a moment for their subscriptions), publishes
/// `count` messages, then end markers, and prints the publishing rate.
async fn pub_thr(
    options: Options,
    bind: &str,
    size: usize,
    count: u64,
    subscribers: usize,
) -> Result {
    let mut publisher = PubSocket::with_options(options)?;
    publisher.bind(bind).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while publisher.connected_peers() < subscribers {
        if Instant::now() > deadline {
            return Err("subscribers did not connect within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let payload = Bytes::from(vec![0u8; size]);
    let start = Instant::now();
    for _ in 0..count {
        publisher.send(payload.clone()).await?;
    }
    let elapsed = start.elapsed();
    let end = Bytes::from(vec![0u8; size + 1]);
    for _ in 0..20 {
        publisher.send(end.clone()).await?;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    report::throughput(size, count, elapsed);
    publisher.close().await;
    Ok(())
}

/// How long `sub_thr` waits for a message once data has started flowing.
const IDLE: Duration = Duration::from_secs(1);

/// SUB: receives until `count` messages, an end marker, or 1 s without a message after the
/// first; the clock runs from the first data message to the last (or to the end marker).
async fn sub_thr(options: Options, connect: &str, size: usize, count: u64) -> Result {
    let mut sub = SubSocket::with_options(options)?;
    sub.subscribe(Bytes::new())?;
    sub.connect(connect)?;
    let first = sub.recv().await?;
    if first.byte_len() != size {
        return Err("the first message was an end marker".into());
    }
    let start = Instant::now();
    let mut received = 1;
    let end = loop {
        if received == count {
            break Instant::now();
        }
        match tokio::time::timeout(IDLE, sub.recv()).await {
            Ok(Ok(message)) if message.byte_len() == size => received += 1,
            Ok(Ok(_end_marker)) => break Instant::now(),
            Ok(Err(e)) => return Err(e.into()),
            Err(_elapsed) => break Instant::now() - IDLE,
        }
    };
    report::throughput(size, received, end - start);
    sub.close().await;
    Ok(())
}

/// `remote_thr` as a task of this process, `local_thr` on this one: over `inproc://`, as
/// libzmq's `inproc_thr` does with two threads.
async fn inproc_thr(
    server: Options,
    client: Options,
    endpoint: String,
    size: usize,
    count: u64,
) -> Result {
    let connect = endpoint.clone();
    let sender = tokio::spawn(async move {
        remote_thr(client, &connect, size, count)
            .await
            .map_err(|e| e.to_string())
    });
    local_thr(server, &endpoint, size, count).await?;
    Ok(sender.await??)
}

/// `local_lat` as a task of this process, `remote_lat` on this one: over `inproc://`, as
/// libzmq's `inproc_lat` does with two threads.
async fn inproc_lat(
    server: Options,
    client: Options,
    endpoint: String,
    size: usize,
    round_trips: u64,
) -> Result {
    let bind = endpoint.clone();
    let echo = tokio::spawn(async move {
        local_lat(server, &bind, size, round_trips)
            .await
            .map_err(|e| e.to_string())
    });
    remote_lat(client, &endpoint, size, round_trips).await?;
    Ok(echo.await??)
}

/// REP: answers one request per connection (any connection), `connections` times.
async fn local_hs(options: Options, bind: &str, size: usize, connections: u64) -> Result {
    local_lat(options, bind, size, connections).await
}

/// `connections` times: a new REQ socket connects, handshakes, makes one round trip and is
/// closed (linger 0: nothing is left to deliver). The clock covers all of it.
async fn remote_hs(options: Options, connect: &str, size: usize, connections: u64) -> Result {
    let options = options.linger(Some(Duration::ZERO));
    let payload = Bytes::from(vec![0u8; size]);
    let start = Instant::now();
    for _ in 0..connections {
        let mut req = ReqSocket::with_options(options.clone())?;
        req.connect(connect)?;
        check_size(&req.request(payload.clone()).await?, size)?;
        req.close().await;
    }
    report::handshakes(connections, start.elapsed());
    Ok(())
}
