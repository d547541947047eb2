//! The span zmtp-tokio opens per connection, naming the socket, the endpoint, the peer and the
//! mechanism. In a test binary of its own: `tracing` caches whether a call site is wanted
//! per process, and a test without a subscriber running beside it could cache "no".

use zmtp_tests::socket_harness::unique_memory_endpoint;
use zmtp_tests::telemetry::{one_message, paused_runtime, SpanRecorder};

#[test]
fn each_connection_has_a_span_naming_socket_endpoint_peer_and_mechanism() {
    let spans = SpanRecorder::default();
    let endpoint = unique_memory_endpoint();
    spans.run(|| paused_runtime().block_on(one_message(endpoint.clone())));
    let connections = spans.spans("zmtp.connection");
    assert_eq!(connections.len(), 2, "{connections:#?}");
    let by_socket = |socket| {
        connections
            .iter()
            .find(|span| span.field("socket") == Some(socket))
            .unwrap_or_else(|| panic!("no {socket} span in {connections:#?}"))
    };
    let (pull, push) = (by_socket("PULL"), by_socket("PUSH"));
    assert_eq!(push.field("endpoint"), Some(endpoint.as_str()));
    assert_eq!(pull.field("endpoint"), Some(endpoint.as_str()));
    assert_eq!(pull.field("peer_socket"), Some("PUSH"));
    assert_eq!(push.field("peer_socket"), Some("PULL"));
    assert_eq!(push.field("mechanism"), Some("NULL"));
    assert!(push.field("peer_addr").is_some());
}
