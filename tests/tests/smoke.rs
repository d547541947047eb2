//! Smoke test: each socket pair moves one message over TCP.
use std::time::Duration;

use zmtp_tokio::{Message, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket, SubSocket};

#[tokio::test]
async fn push_pull_req_rep_pub_sub_work_over_tcp() {
    let mut pull = PullSocket::new();
    let ep = pull.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep).unwrap();
    push.send("hello").await.unwrap();
    assert_eq!(pull.recv().await.unwrap(), Message::from("hello"));

    let mut rep = RepSocket::new();
    let ep = rep.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut req = ReqSocket::new();
    req.connect(&ep).unwrap();
    req.send("ping").await.unwrap();
    assert_eq!(rep.recv().await.unwrap(), Message::from("ping"));
    rep.send("pong").await.unwrap();
    assert_eq!(req.recv().await.unwrap(), Message::from("pong"));

    let mut publisher = PubSocket::new();
    let ep = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut sub = SubSocket::new();
    sub.subscribe("a").unwrap();
    sub.connect(&ep).unwrap();
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            publisher.publish("b-skip").unwrap();
            publisher.publish("a-take").unwrap();
            if let Ok(m) = tokio::time::timeout(Duration::from_millis(20), sub.recv()).await {
                return m.unwrap();
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(got, Message::from("a-take"));
}
