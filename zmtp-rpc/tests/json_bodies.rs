//! JSON bodies: typed calls and handlers, the encoding pyzmq's send_json uses.

mod support;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use support::{bound_router, within};
use zmtp_rpc::{json, Client, Error, HandlerError, Request, Server};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Add {
    a: i64,
    b: i64,
}

async fn add(request: Request) -> Result<bytes::Bytes, HandlerError> {
    let Add { a, b } = request.json()?;
    Ok(json::encode(&sum_of(a + b))?)
}

fn sum_of(sum: i64) -> std::collections::BTreeMap<&'static str, i64> {
    [("sum", sum)].into_iter().collect()
}

#[tokio::test(start_paused = true)]
async fn a_typed_call_round_trips_through_json() {
    let (socket, endpoint) = bound_router().await;
    let _serving = Server::new(socket).serve(add);
    let client = Client::connect(&endpoint).unwrap();
    let deadline = Some(Duration::from_secs(1));
    let answer: std::collections::BTreeMap<String, i64> = within(
        "call",
        client.call_json("add", &Add { a: 2, b: 3 }, deadline),
    )
    .await
    .unwrap();
    assert_eq!(answer["sum"], 5);
    // What pyzmq's send_json would send: the same bytes decode.
    let raw = within("raw", client.call("add", r#"{"a": 40, "b": 2}"#, deadline)).await;
    assert_eq!(raw.unwrap(), r#"{"sum":42}"#);
    let bad = within("bad", client.call("add", "not json", deadline)).await;
    assert!(matches!(bad, Err(Error::Remote(m)) if m.starts_with("JSON body")));
}
