//! Hostile peers on both broker sockets: garbage to the frontend, garbage and replies nobody
//! asked for to the backend. Each is discarded and counted, nothing crashes, and valid
//! traffic goes on.

mod support;

use std::time::Duration;

use bytes::Bytes;
use support::{raw_dealer, started_broker, test_handler, until, within};
use zmtp_rpc::{Client, Worker};
use zmtp_tokio::Message;

fn frames(parts: &[&[u8]]) -> Message {
    parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
}

#[tokio::test(start_paused = true)]
async fn garbage_on_the_frontend_is_counted_and_valid_calls_go_on() {
    let (brokering, frontend, backend) = started_broker(|b| b).await;
    let _worker = Worker::connect(&backend).unwrap().serve(test_handler);
    let id = 7u64.to_be_bytes();
    let none = 0u64.to_be_bytes();
    let garbage = vec![
        frames(&[b"no delimiter"]),
        frames(&[b"", b"ZRPC2", &id, &none, b"echo", b"x"]),
        frames(&[b"", b"ZRPC1", b"short", &none, b"echo", b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"", b"x"]),
        frames(&[b"", b"ZRPC1", &id, &none, b"echo", b"x", &[0x80]]),
        // A worker's message sent to the wrong socket.
        frames(&[b"", b"ZRPW1", &[1]]),
    ];
    let count = garbage.len() as u64;
    let mut hostile = raw_dealer(&frontend);
    for message in garbage {
        hostile.send(message).await.unwrap();
    }
    let client = Client::connect(&frontend).unwrap();
    let answer = within("a valid call", client.call("echo", "fine", None)).await;
    assert_eq!(answer.unwrap(), "fine");
    until("all counted", || {
        brokering.stats().malformed_requests == count
    })
    .await;
    assert_eq!(brokering.stats().received, 1);
}

#[tokio::test(start_paused = true)]
async fn garbage_and_stray_replies_on_the_backend_are_counted_and_ignored() {
    let (brokering, frontend, backend) = started_broker(|b| b).await;
    let mut hostile = raw_dealer(&backend);
    let reply = |ticket: &[u8], id: &[u8]| {
        frames(&[
            b"",
            b"ZRPW1",
            &[4],
            ticket,
            b"",
            b"ZRPC1",
            id,
            &[0],
            b"forged",
        ])
    };
    let garbage = vec![
        frames(&[b"no delimiter"]),
        frames(&[b"", b"ZRPW9", &[1]]),
        frames(&[b"", b"ZRPW1", &[9]]),
        frames(&[b"", b"ZRPW1", &[1], b"extra"]),
        frames(&[b"", b"ZRPW1", &[1, 1]]),
        reply(b"short", &[0; 8]),
        // Only the broker sends requests.
        frames(&[
            b"",
            b"ZRPW1",
            &[3],
            &[0; 8],
            b"",
            b"ZRPC1",
            &[0; 8],
            &[0; 8],
            b"m",
            b"b",
        ]),
        // A client's request sent to the wrong socket.
        frames(&[b"", b"ZRPC1", &[0; 8], &[0; 8], b"echo", b"x"]),
    ];
    let malformed = garbage.len() as u64;
    for message in garbage {
        hostile.send(message).await.unwrap();
    }
    // Well formed, but nobody asked: from a worker that never said READY, then, once it has,
    // for a ticket it was never given.
    hostile
        .send(reply(&[0, 0, 0, 0, 0, 0, 0, 1], &[0; 8]))
        .await
        .unwrap();
    hostile.send(frames(&[b"", b"ZRPW1", &[1]])).await.unwrap();
    hostile
        .send(reply(&[0, 0, 0, 0, 0, 0, 0, 9], &[0; 8]))
        .await
        .unwrap();
    until("all counted", || {
        let stats = brokering.stats();
        stats.malformed_worker_messages == malformed && stats.stray_replies == 2
    })
    .await;

    // The hostile worker said READY: it gets the next request. A reply with the ticket but
    // another id is refused; the right one answers the call.
    let client = Client::connect(&frontend).unwrap();
    let call = tokio::spawn(async move {
        let answer = client.call("echo", "x", Some(Duration::from_secs(5))).await;
        (answer, client)
    });
    let request = within("the dispatched request", hostile.recv())
        .await
        .unwrap();
    let ticket = request.frames()[3].clone();
    let id = request.frames()[6].clone();
    hostile.send(reply(&ticket, &[0xff; 8])).await.unwrap();
    hostile.send(reply(&ticket, &id)).await.unwrap();
    hostile.send(reply(&ticket, &id)).await.unwrap(); // a duplicate
    let (answer, client) = within("the call", call).await.unwrap();
    assert_eq!(answer.unwrap(), "forged");
    until("duplicates counted", || {
        brokering.stats().stray_replies == 4
    })
    .await;
    assert_eq!(
        client.stats().late_replies,
        0,
        "a duplicate never reaches the client"
    );
    assert_eq!(brokering.stats().answered, 1);
}
