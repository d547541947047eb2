//! Many calls in flight on one client, each matched to its own reply; cancelled calls leave
//! nothing behind.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use support::{served_pair, within};
use zmtp_rpc::Error;

/// One call of a generated workload and the outcome it must have.
#[derive(Debug, Clone)]
struct Call {
    method: &'static str,
    /// For `sleep`: how long the handler takes, in tens of ms.
    tens_of_ms: u64,
    /// The call's deadline in tens of ms, plus 5 ms so that it never ties with a sleep.
    deadline_tens_of_ms: Option<u64>,
}

fn call() -> impl Strategy<Value = Call> {
    (
        prop::sample::select(vec!["echo", "fail", "sleep", "nope"]),
        0u64..20,
        prop::option::of(0u64..20),
    )
        .prop_map(|(method, tens_of_ms, deadline_tens_of_ms)| Call {
            method,
            tens_of_ms,
            deadline_tens_of_ms,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every call gets exactly its own answer (its body carries its own index) or the typed
    /// error its method and deadline say it must.
    #[test]
    fn every_call_gets_its_own_reply_or_a_typed_error(calls in prop::collection::vec(call(), 1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (_serving, client, _) = served_pair().await;
            let results = within("all calls", futures::future::join_all(calls.iter().enumerate().map(|(i, c)| {
                let client = client.clone();
                let body = format!("{} call-{i}", c.tens_of_ms * 10);
                let deadline = c.deadline_tens_of_ms.map(|t| Duration::from_millis(t * 10 + 5));
                async move { client.call(c.method, body, deadline).await }
            })))
            .await;
            for (i, (c, result)) in calls.iter().zip(results).enumerate() {
                let body = format!("{} call-{i}", c.tens_of_ms * 10);
                let too_slow = c.method == "sleep"
                    && c.deadline_tens_of_ms.is_some_and(|d| d < c.tens_of_ms);
                match (c.method, result) {
                    (_, Err(Error::DeadlineExceeded)) => prop_assert!(too_slow, "call {i} {c:?} timed out"),
                    ("echo" | "sleep", Ok(answer)) => {
                        prop_assert!(!too_slow, "call {i} {c:?} should have timed out");
                        prop_assert_eq!(answer, body, "call {} got another call's reply", i);
                    }
                    ("fail", Err(Error::Remote(message))) => prop_assert_eq!(message, body),
                    ("nope", Err(Error::UnknownMethod(method))) => prop_assert_eq!(method, "nope"),
                    (_, other) => prop_assert!(false, "call {i} {c:?} ended {other:?}"),
                }
            }
            prop_assert_eq!(client.in_flight(), 0, "every finished call forgot its id");
            let stats = client.stats();
            prop_assert_eq!(stats.unknown_replies, 0);
            prop_assert_eq!(stats.malformed_replies, 0);
            Ok(())
        })?;
    }
}

/// Dropping a call future forgets its id: the reply that comes later is discarded and counted
/// as late, and the client goes on.
#[tokio::test(start_paused = true)]
async fn a_dropped_call_is_forgotten_and_its_late_reply_counted() {
    let (serving, client, _) = served_pair().await;
    let call = client.call("sleep", "1000", None);
    assert!(
        tokio::time::timeout(Duration::from_millis(100), call)
            .await
            .is_err(),
        "the call was still waiting"
    );
    assert_eq!(client.in_flight(), 0, "the dropped call forgot its id");
    tokio::time::sleep(Duration::from_secs(2)).await; // the reply arrives meanwhile
    assert_eq!(serving.stats().answered, 1);
    assert_eq!(client.stats().late_replies, 1);
    let answer = within("next call", client.call("echo", "after", None)).await;
    assert_eq!(answer.unwrap(), "after");
}
