//! The spans of zmtp-rpc: one per call and one per request, naming the method, the outcome
//! and, on a server, the client's address, mechanism and user id (which the handler also
//! gets). In a test binary of its own: `tracing` caches whether a call site is wanted per
//! process, and a test without a subscriber running beside it could cache "no".

mod support;

use std::time::Duration;

use bytes::Bytes;
use zmtp_rpc::{Client, HandlerError, Request, Server};
use zmtp_tests::telemetry::{paused_runtime, SpanRecorder};
use zmtp_tokio::{AuthDecision, AuthRequest, Credentials, DealerSocket, Options, RouterSocket};

const DEADLINE: Option<Duration> = Some(Duration::from_secs(1));

fn alice_only(request: &AuthRequest) -> AuthDecision {
    match &request.credentials {
        Credentials::Plain { username, password }
            if username == "alice" && password.expose() == b"secret" =>
        {
            AuthDecision::Allow {
                user_id: "alice".into(),
                properties: zmtp_tokio::Metadata::new(),
            }
        }
        _ => AuthDecision::deny(),
    }
}

#[test]
fn calls_and_requests_run_in_spans_naming_method_outcome_and_client() {
    let spans = SpanRecorder::default();
    let mut user_seen_by_handler = None;
    spans.run(|| {
        paused_runtime().block_on(async {
            let options = Options::default().plain_server().authenticator(alice_only);
            let socket = RouterSocket::with_options(options).unwrap();
            let endpoint = socket.bind(support::mem_endpoint()).await.unwrap();
            let _serving = Server::new(socket).serve(|request: Request| async move {
                let user = request.connection().and_then(|peer| peer.auth.clone());
                let user = user.map(|auth| auth.user_id).unwrap_or_default();
                Ok::<_, HandlerError>(user)
            });
            let options = Options::default().plain_client("alice", "secret");
            let dealer = DealerSocket::with_options(options).unwrap();
            dealer.connect(&endpoint).unwrap();
            let client = Client::new(dealer);
            let answer = client.call("whoami", "", DEADLINE).await.unwrap();
            user_seen_by_handler = Some(answer);
        })
    });
    assert_eq!(user_seen_by_handler, Some(Bytes::from("alice")));
    let calls = spans.spans("zmtp_rpc.call");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].field("method"), Some("whoami"));
    assert_eq!(calls[0].field("outcome"), Some("ok"));
    let requests = spans.spans("zmtp_rpc.request");
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.field("method"), Some("whoami"));
    assert_eq!(request.field("outcome"), Some("ok"));
    assert_eq!(request.field("mechanism"), Some("PLAIN"));
    assert_eq!(request.field("user_id"), Some("alice"));
    assert!(request.field("peer").is_some_and(|peer| !peer.is_empty()));
}
