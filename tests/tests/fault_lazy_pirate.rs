//! The "lazy pirate" pattern (zguide chapter 4): a REQ client that, when a reply does not come
//! within a timeout, closes its socket, opens a new one and sends the request again, loses no
//! request across server crashes and restarts. The server is a `fault_peer rep` process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use zmtp_tests::faults::PeerProcess;
use zmtp_tests::socket_harness::{text, wait_until, within, Transport};
use zmtp_tokio::{Options, ReqSocket};

const PEER: &str = env!("CARGO_BIN_EXE_fault_peer");
const LIMIT: Duration = Duration::from_secs(5);
const REQUESTS: u64 = 40;
/// How long the client waits for a reply before it gives up on its socket.
const REPLY_TIMEOUT: Duration = Duration::from_millis(600);
const MAX_ATTEMPTS: u32 = 30;
/// A pause between requests, so that the test's kill lands while requests are still going.
const PACE: Duration = Duration::from_millis(25);

/// What the client saw: the replies, in order, and how many times it had to retry.
struct Outcome {
    replies: Vec<String>,
    retries: u32,
}

/// Sends requests `0..REQUESTS` one after the other; on a timeout drops the REQ socket (linger
/// 0) and resends on a new one. `answered` counts the replies so far.
async fn lazy_pirate(endpoint: String, answered: Arc<AtomicU64>) -> Outcome {
    let new_socket = || {
        let req = ReqSocket::with_options(
            Options::default()
                .linger(Some(Duration::ZERO))
                .reconnect(Duration::from_millis(50), None),
        )
        .unwrap();
        req.connect(&endpoint).unwrap();
        req
    };
    let mut socket = None;
    let mut outcome = Outcome {
        replies: Vec::new(),
        retries: 0,
    };
    for seq in 0..REQUESTS {
        let request = seq.to_string();
        let mut attempts = 0;
        let reply = loop {
            attempts += 1;
            assert!(attempts <= MAX_ATTEMPTS, "request {seq}: no reply");
            let req: &mut ReqSocket = socket.get_or_insert_with(new_socket);
            let exchange = async {
                req.send(request.clone()).await?;
                req.recv().await
            };
            match tokio::time::timeout(REPLY_TIMEOUT, exchange).await {
                Ok(Ok(reply)) => break reply,
                Ok(Err(e)) => panic!("request {seq}: {e}"),
                Err(_) => {
                    outcome.retries += 1;
                    socket = None;
                }
            }
        };
        outcome.replies.push(text(&reply));
        answered.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(PACE).await;
    }
    outcome
}

/// The server crashes (SIGKILL, by itself) on receiving request 10, before replying, and is
/// started again only 1 s later (connection refused meanwhile); after 25 replies the test kills
/// it once more and starts it again 1 s later (longer than the client's reply timeout). The
/// client gets all 40 replies, each the echo of its own request, in order, after retrying at
/// least once per outage; the servers may have seen a request twice (at-least-once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_pirate_client_loses_no_request_across_server_crashes() {
    let endpoint = Transport::Tcp.free_endpoint();
    let mut server = PeerProcess::start(PEER, &["rep", &endpoint, "10"]);
    server.wait_line(LIMIT, "REP bound", |l| l == "READY").await;
    let answered = Arc::new(AtomicU64::new(0));
    let client = tokio::spawn(lazy_pirate(endpoint.clone(), answered.clone()));

    let status = server.wait_exit(LIMIT * 2).await;
    assert!(!status.success(), "{status:?}");
    assert!(
        server.history.iter().any(|l| l == "CRASH"),
        "{:?}",
        server.tail()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut second = PeerProcess::start(PEER, &["rep", &endpoint]);
    wait_until(LIMIT * 2, "25 replies", || {
        answered.load(Ordering::SeqCst) >= 25
    })
    .await;
    second.kill().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut third = PeerProcess::start(PEER, &["rep", &endpoint]);

    let outcome = within(LIMIT * 4, "the client", client).await.unwrap();
    let expected: Vec<String> = (0..REQUESTS).map(|seq| seq.to_string()).collect();
    assert_eq!(outcome.replies, expected);
    assert!(outcome.retries >= 2, "each outage forces a retry");
    third.drain();
    let served = [&server, &second, &third]
        .iter()
        .map(|p| p.history.iter().filter(|l| l.starts_with("REQ ")).count())
        .sum::<usize>();
    eprintln!(
        "lazy pirate: {REQUESTS} requests answered, {} retries, {served} requests seen by the \
         three server processes",
        outcome.retries
    );
    assert!(served as u64 >= REQUESTS);
}
