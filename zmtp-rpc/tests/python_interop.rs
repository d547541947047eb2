//! The wire format against pyzmq (`zmtp-rpc/python/`): a Python client calling our Server (with
//! JSON and with MessagePack bodies), and our Client calling a Python server, over TCP on the
//! real clock. Never skipped: without python3, pyzmq and msgpack these tests fail.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use support::python;
use zmtp_rpc::{json, msgpack, Client, Error, HandlerError, Request, Server};
use zmtp_tokio::RouterSocket;

async fn handler(request: Request) -> Result<Bytes, HandlerError> {
    match request.method() {
        "echo" => Ok(request.into_body()),
        "add" => {
            let numbers: BTreeMap<String, i64> = request.json()?;
            let sum = numbers["a"] + numbers["b"];
            Ok(json::encode(&BTreeMap::from([("sum", sum)]))?)
        }
        "price" => {
            let order: Order = request.msgpack()?;
            let total_cents = 250 * u64::from(order.quantity);
            Ok(msgpack::encode(&Receipt {
                item: order.item,
                total_cents,
            })?)
        }
        "fail" => Err(String::from_utf8_lossy(request.body()).into_owned().into()),
        "slow" => {
            // Long enough for the calls sent after it to be answered first.
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(request.into_body())
        }
        _ => Err(HandlerError::UnknownMethod),
    }
}

#[derive(Deserialize)]
struct Order {
    item: String,
    quantity: u32,
}

#[derive(Serialize)]
struct Receipt {
    item: String,
    total_cents: u64,
}

#[test]
fn a_pyzmq_client_calls_our_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (endpoint, serving) = runtime.block_on(async {
        let socket = RouterSocket::new();
        let endpoint = socket.bind("tcp://127.0.0.1:0").await.unwrap();
        (endpoint.to_string(), Server::new(socket).serve(handler))
    });
    let mut python = python::start("rpc_client.py", &[&endpoint]);
    let lines: Vec<String> = (0..6).map(|_| python.line()).collect();
    assert_eq!(
        lines,
        [
            "slow ok 200",
            "echo ok hello from Python",
            "add ok 5",
            "fail error on purpose",
            "nope unknown nope",
            "done",
        ]
    );
    let stats = serving.stats();
    assert_eq!(
        stats.expired, 1,
        "the request sent already expired was dropped"
    );
    assert_eq!(stats.answered, 5);
    assert_eq!(stats.malformed, 0);
    let report = runtime.block_on(serving.shutdown());
    assert!(report.is_complete(), "{report:?}");
}

#[test]
fn a_pyzmq_client_sends_msgpack_bodies_to_our_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (endpoint, serving) = runtime.block_on(async {
        let socket = RouterSocket::new();
        let endpoint = socket.bind("tcp://127.0.0.1:0").await.unwrap();
        (endpoint.to_string(), Server::new(socket).serve(handler))
    });
    let mut python = python::start("rpc_client.py", &[&endpoint, "msgpack"]);
    // msgpack.packb of a dict decoded into Order; the Receipt came back as a dict.
    assert_eq!(python.line(), "price ok dict tea 750");
    let bad = python.line();
    assert!(bad.starts_with("bad error MessagePack body: "), "{bad}");
    assert_eq!(python.line(), "done");
    assert_eq!(serving.stats().answered, 2);
    let report = runtime.block_on(serving.shutdown());
    assert!(report.is_complete(), "{report:?}");
}

#[derive(Serialize)]
struct Add {
    a: i64,
    b: i64,
}

#[test]
fn our_client_calls_a_pyzmq_server() {
    let mut python = python::start("rpc_server.py", &[]);
    let endpoint = python.line();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = Client::connect(endpoint.as_str()).unwrap();
        let deadline = Some(Duration::from_secs(10));
        let echo = client.call("echo", "hello from Rust", deadline).await;
        assert_eq!(echo.unwrap(), "hello from Rust");
        let sum: BTreeMap<String, i64> = client
            .call_json("add", &Add { a: 40, b: 2 }, deadline)
            .await
            .unwrap();
        assert_eq!(sum["sum"], 42);
        let fail = client.call("fail", "on purpose", deadline).await;
        assert!(
            matches!(&fail, Err(Error::Remote(m)) if m == "failed in Python: on purpose"),
            "{fail:?}"
        );
        let nope = client.call("nope", "", deadline).await;
        assert!(
            matches!(&nope, Err(Error::UnknownMethod(m)) if m == "nope"),
            "{nope:?}"
        );

        let calls = (0..50).map(|i| {
            let client = client.clone();
            async move { client.call("echo", format!("call {i}"), deadline).await }
        });
        let answers = futures::future::join_all(calls).await;
        for (i, answer) in answers.into_iter().enumerate() {
            assert_eq!(answer.unwrap(), format!("call {i}"));
        }
        assert_eq!(client.stats(), zmtp_rpc::ClientStats::default());
    });
}
