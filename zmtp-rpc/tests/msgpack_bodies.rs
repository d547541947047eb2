//! MessagePack bodies: typed calls and handlers, structs as maps so that Python sees dicts.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use support::{bound_router, within};
use zmtp_rpc::{msgpack, Client, Error, HandlerError, Request, Server};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Order {
    item: String,
    quantity: u32,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Receipt {
    item: String,
    total_cents: u64,
}

async fn price(request: Request) -> Result<bytes::Bytes, HandlerError> {
    let Order { item, quantity } = request.msgpack()?;
    let total_cents = 250 * u64::from(quantity);
    Ok(msgpack::encode(&Receipt { item, total_cents })?)
}

#[tokio::test(start_paused = true)]
async fn a_typed_call_round_trips_through_msgpack() {
    let (socket, endpoint) = bound_router().await;
    let _serving = Server::new(socket).serve(price);
    let client = Client::connect(&endpoint).unwrap();
    let deadline = Some(Duration::from_secs(1));
    let order = Order {
        item: "tea".into(),
        quantity: 3,
    };
    let receipt: Receipt = within("call", client.call_msgpack("price", &order, deadline))
        .await
        .unwrap();
    assert_eq!(
        receipt,
        Receipt {
            item: "tea".into(),
            total_cents: 750
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_body_that_is_not_msgpack_fails_the_call_and_the_server_goes_on() {
    let (socket, endpoint) = bound_router().await;
    let serving = Server::new(socket).serve(price);
    let client = Client::connect(&endpoint).unwrap();
    let deadline = Some(Duration::from_secs(1));
    // 0xc1 is the one byte MessagePack never uses; the second body is a whole value (a string)
    // that is not an Order; the third is an Order with a byte after it.
    let mut trailing = msgpack::encode(&Order {
        item: "tea".into(),
        quantity: 1,
    })
    .unwrap()
    .to_vec();
    trailing.push(0);
    for body in [vec![0xc1], b"\xa3tea".to_vec(), trailing] {
        let bad = within("bad", client.call("price", body.clone(), deadline)).await;
        assert!(
            matches!(&bad, Err(Error::Remote(m)) if m.starts_with("MessagePack body: ")),
            "{body:x?}: {bad:?}"
        );
    }
    let order = Order {
        item: "cake".into(),
        quantity: 2,
    };
    let receipt: Receipt = within("after", client.call_msgpack("price", &order, deadline))
        .await
        .unwrap();
    assert_eq!(receipt.total_cents, 500);
    assert_eq!(serving.stats().answered, 4);
}

#[tokio::test(start_paused = true)]
async fn an_answer_that_is_not_msgpack_is_a_typed_error_at_the_client() {
    let (socket, endpoint) = bound_router().await;
    let _serving = Server::new(socket)
        .serve(|request: Request| async move { Ok::<_, HandlerError>(request.into_body()) });
    let client = Client::connect(&endpoint).unwrap();
    // The echo of a string is a string, not the Receipt asked for.
    let answer = within(
        "call",
        client.call_msgpack::<_, Receipt>("echo", "tea", Some(Duration::from_secs(1))),
    )
    .await;
    assert!(matches!(answer, Err(Error::MsgPackDecode(_))), "{answer:?}");
}

#[test]
fn structs_encode_as_maps_with_field_names() {
    let bytes = msgpack::encode(&Order {
        item: "tea".into(),
        quantity: 3,
    })
    .unwrap();
    assert!(
        (0x80..=0x8f).contains(&bytes[0]),
        "a fixmap, a dict in Python: {bytes:x?}"
    );
    assert_eq!(bytes[0], 0x82, "two entries");
    // Decoded without the struct, as a Python peer would, the keys are the field names.
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum Field {
        Text(String),
        Number(u64),
    }
    let map: BTreeMap<String, Field> = msgpack::decode(&bytes).unwrap();
    assert_eq!(
        map,
        BTreeMap::from([
            ("item".to_owned(), Field::Text("tea".into())),
            ("quantity".to_owned(), Field::Number(3)),
        ])
    );
}
