//! What zmtp-rpc reports through the `metrics` facade (feature `metrics`) and `tracing`: calls
//! and requests by method and outcome with their latency, the stats counters as metrics, a
//! bound on the method labels a peer can create, and a span per call and per request naming
//! the method, the outcome and, on a server, the client's address, mechanism and user id. On
//! tokio's paused clock over `mem://`, with a recorder installed for the test's thread.

mod support;

use std::time::Duration;

use support::{bound_router, served_pair, started_broker, test_handler, within};
use zmtp_rpc::{Client, Error, HandlerError, Request, Server, Worker};
use zmtp_tests::telemetry::counted;

const DEADLINE: Option<Duration> = Some(Duration::from_secs(1));

#[test]
fn calls_and_requests_are_counted_by_method_and_outcome() {
    let mut started = 0;
    let recorder = counted(|| async {
        let (serving, client, _) = served_pair().await;
        for _ in 0..3 {
            client.call("echo", "hi", DEADLINE).await.unwrap();
        }
        let failed = client.call("fail", "no", DEADLINE).await;
        assert!(matches!(failed, Err(Error::Remote(_))), "{failed:?}");
        let unknown = client.call("nope", "", DEADLINE).await;
        assert!(
            matches!(unknown, Err(Error::UnknownMethod(_))),
            "{unknown:?}"
        );
        let slow = client.call("sleep", "5000", DEADLINE).await;
        assert!(matches!(slow, Err(Error::DeadlineExceeded)), "{slow:?}");
        tokio::time::sleep(Duration::from_millis(100)).await; // the server's side of it
        started = serving.stats().started;
    });
    let all = recorder.counters();
    let calls = |method, outcome| {
        recorder.counter(
            "zmtp_rpc_client_calls_total",
            &[("method", method), ("outcome", outcome)],
        )
    };
    assert_eq!(calls("echo", "ok"), 3, "{all:#?}");
    assert_eq!(calls("fail", "remote_error"), 1, "{all:#?}");
    assert_eq!(calls("nope", "unknown_method"), 1, "{all:#?}");
    assert_eq!(calls("sleep", "deadline_exceeded"), 1, "{all:#?}");

    let requests = |method, outcome| {
        recorder.counter(
            "zmtp_rpc_server_requests_total",
            &[("role", "server"), ("method", method), ("outcome", outcome)],
        )
    };
    assert_eq!(requests("echo", "ok"), 3, "{all:#?}");
    assert_eq!(requests("fail", "error"), 1, "{all:#?}");
    assert_eq!(requests("unknown", "unknown_method"), 1, "{all:#?}");
    assert_eq!(requests("sleep", "deadline_exceeded"), 1, "{all:#?}");

    // The latency histograms, on the paused clock: the slow call took its whole deadline.
    let waited = recorder.histogram(
        "zmtp_rpc_client_call_seconds",
        &[("method", "sleep"), ("outcome", "deadline_exceeded")],
    );
    assert_eq!(waited.len(), 1);
    assert!((1.0..1.01).contains(&waited[0]), "{waited:?}");
    let echoes = recorder.histogram(
        "zmtp_rpc_server_request_seconds",
        &[("role", "server"), ("method", "echo"), ("outcome", "ok")],
    );
    assert_eq!(echoes.len(), 3);

    // The stats counters, mirrored.
    assert_eq!(started, 6);
    assert_eq!(
        recorder.counter("zmtp_rpc_server_started_total", &[("role", "server")]),
        started
    );
    assert_eq!(
        recorder.counter("zmtp_rpc_server_timed_out_total", &[("role", "server")]),
        1
    );
    // And zmtp-tokio's socket counters come with the feature.
    let handshakes = [("socket", "ROUTER")];
    assert_eq!(recorder.counter("zmtp_handshakes_total", &handshakes), 1);
}

#[test]
fn a_dropped_call_is_counted_as_cancelled() {
    let recorder = counted(|| async {
        let (_serving, client, _) = served_pair().await;
        let call = client.call("sleep", "5000", Some(Duration::from_secs(10)));
        let gave_up = tokio::time::timeout(Duration::from_millis(10), call).await;
        assert!(gave_up.is_err());
    });
    let labels = [("method", "sleep"), ("outcome", "cancelled")];
    assert_eq!(recorder.counter("zmtp_rpc_client_calls_total", &labels), 1);
}

#[test]
fn a_peer_cannot_grow_the_method_labels_without_bound() {
    let recorder = counted(|| async {
        let (socket, endpoint) = bound_router().await;
        // A handler that answers any method, as a catch-all one would.
        let _serving = Server::new(socket)
            .serve(|request: Request| async move { Ok::<_, HandlerError>(request.into_body()) });
        let client = Client::connect(&endpoint).unwrap();
        for i in 0..100 {
            client.call(&format!("m{i}"), "", DEADLINE).await.unwrap();
        }
    });
    let labelled = |method: &str| {
        recorder.counter(
            "zmtp_rpc_server_requests_total",
            &[("role", "server"), ("method", method), ("outcome", "ok")],
        )
    };
    let named = (0..100).filter(|i| labelled(&format!("m{i}")) == 1).count();
    assert_eq!(named, 64, "the first 64 names are labels");
    assert_eq!(labelled("other"), 36, "the rest share one label");
}

#[test]
fn a_workers_requests_and_the_brokers_stats_are_counted() {
    let mut dispatched = 0;
    let recorder = counted(|| async {
        let (brokering, clients, workers) = started_broker(|broker| broker).await;
        let working = Worker::connect(&workers).unwrap().serve(test_handler);
        let client = Client::connect(&clients).unwrap();
        for _ in 0..5 {
            within("call", client.call("echo", "x", DEADLINE))
                .await
                .unwrap();
        }
        dispatched = brokering.stats().dispatched;
        working.shutdown().await;
        brokering.shutdown().await;
    });
    assert_eq!(dispatched, 5);
    let all = recorder.counters();
    assert_eq!(
        recorder.counter("zmtp_rpc_broker_dispatched_total", &[("role", "broker")]),
        dispatched,
        "{all:#?}"
    );
    let labels = [("role", "worker"), ("method", "echo"), ("outcome", "ok")];
    assert_eq!(
        recorder.counter("zmtp_rpc_server_requests_total", &labels),
        5,
        "{all:#?}"
    );
}
