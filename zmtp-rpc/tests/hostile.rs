//! Hostile peers: a raw DEALER sending garbage to the server, a raw ROUTER answering the
//! client with garbage and unknown ids. Nothing crashes, everything is counted, and valid
//! traffic goes on.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{bound_router, raw_dealer, raw_request, served_pair, within};
use zmtp_rpc::Client;
use zmtp_tokio::Message;

fn frames(parts: &[&[u8]]) -> Message {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

/// Messages that are not requests: each must be discarded and counted.
fn garbage_requests() -> Vec<Message> {
    let id = 7u64.to_be_bytes();
    let none = 0u64.to_be_bytes();
    vec![
        frames(&[b"no delimiter at all"]),
        frames(&[b""]),
        frames(&[b"", b"ZRPC2", &id, &none, b"echo", b"x"]),
        frames(&[b"", b"ZRPC1", b"short", &none, b"echo", b"x"]),
        frames(&[b"", b"ZRPC1", &id, b"short", b"echo", b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"", b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"\xff\xfe", b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, &[b'm'; 256], b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"echo"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"echo", b"x", b"extra"]),
    ]
}

#[tokio::test(start_paused = true)]
async fn a_server_discards_garbage_and_answers_the_valid_requests_around_it() {
    let (serving, client, endpoint) = served_pair().await;
    let mut hostile = raw_dealer(&endpoint);
    let garbage = garbage_requests();
    let count = garbage.len() as u64;
    hostile
        .send(raw_request(1, 0, "echo", "before"))
        .await
        .unwrap();
    for message in garbage {
        hostile.send(message).await.unwrap();
    }
    hostile
        .send(raw_request(2, 0, "echo", "after"))
        .await
        .unwrap();
    // The farthest deadline eight bytes can say: valid, though no timer can hold it.
    hostile
        .send(raw_request(3, u64::MAX, "echo", "far"))
        .await
        .unwrap();

    for (id, body) in [(1u64, "before"), (2, "after"), (3, "far")] {
        let reply = within("raw reply", hostile.recv()).await.unwrap();
        let expected = frames(&[b"", b"ZRPC1", &id.to_be_bytes(), &[0], body.as_bytes()]);
        assert_eq!(reply, expected, "a reply in the documented format");
    }
    let answer = within("client call", client.call("echo", "fine", None)).await;
    assert_eq!(answer.unwrap(), "fine");
    assert_eq!(serving.stats().malformed, count);
    assert_eq!(serving.stats().answered, 4);
}

#[tokio::test(start_paused = true)]
async fn a_client_discards_unknown_and_garbage_replies_and_gets_its_own() {
    let (mut server, endpoint) = bound_router().await;
    let client = Client::connect(&endpoint).unwrap();
    let call = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .call("echo", "mine", Some(Duration::from_secs(5)))
                .await
        }
    });
    let request = within("request", server.recv()).await.unwrap();
    let peer = request.frames()[0].clone();
    let id = request.frames()[3].clone();
    assert_eq!(id.len(), 8);
    let unknown = u64::MAX.to_be_bytes();
    let replies: Vec<Message> = vec![
        frames(&[b"", b"ZRPC1", &unknown, &[0], b"not yours"]),
        frames(&[b"", b"ZRPC1", &id, &[9], b"bad status"]),
        frames(&[b"", b"ZRPC1", &id, &[0, 0], b"long status"]),
        frames(&[b"", b"ZRPC1", &id[..4], &[0], b"short id"]),
        frames(&[b"", b"ZRPC9", &id, &[0], b"other version"]),
        frames(&[b"", b"ZRPC1", &id, &[0]]),
        frames(&[b"routing", b"", b"ZRPC1", &id, &[0], b"envelope"]),
        frames(&[b"garbage"]),
        frames(&[b"", b"ZRPC1", &id, &[0], b"mine"]),
    ];
    for reply in replies {
        let mut routed = reply;
        routed.push_front(peer.clone());
        server.send(routed).await.unwrap();
    }
    let answer = within("call", call).await.unwrap();
    assert_eq!(answer.unwrap(), "mine");
    let stats = client.stats();
    assert_eq!(stats.unknown_replies, 1);
    assert_eq!(stats.malformed_replies, 7);
    // A duplicate of the answer, after the call ended, is late.
    server
        .send(frames(&[&peer, b"", b"ZRPC1", &id, &[0], b"again"]))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(client.stats().late_replies, 1);
}
