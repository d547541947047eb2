//! Closing a sender delivers everything it accepted, even when the sender has received data it
//! never read (WIRE-NOTES 33): closing a TCP socket with unread inbound bytes makes the kernel
//! send a reset, and the reset throws away what the peer had not read yet. Each test gives the
//! closing side unread inbound data (its receive queue is full, so its connection stops reading)
//! and a peer that reads slowly, then checks that the last, large message arrives whole.

use std::time::Duration;

use bytes::Bytes;
use zmtp_tests::socket_harness::{within, Transport};
use zmtp_tokio::{
    Dealer, Kind, Message, Options, Pair, Pub, Pull, Push, Rep, Req, Router, Socket, Sub, XPub,
    XSub,
};

const LIMIT: Duration = Duration::from_secs(10);
/// How long the slow reader waits for the sender's `close()` before it starts reading: long
/// enough that a close that does not wait for the peer has finished (and reset the connection),
/// while one that waits is still waiting.
const READER_DELAY: Duration = Duration::from_millis(300);

/// Small messages, then one of 1 MiB, then small ones again: the scenario of issue 12.
fn stream() -> Vec<Message> {
    let mut messages: Vec<Message> = (0..7u8)
        .map(|i| Message::from(vec![Bytes::from(vec![b'a' + i; 5])]))
        .collect();
    messages.push(Message::from(Bytes::from(zmtp_tests::pattern(1 << 20, 7))));
    messages.extend((0..100).map(|i| Message::from(format!("seq-{i:03}"))));
    messages
}

/// Options for the closing side: a receive queue of one message, so that what the peer sends
/// it stays unread in the kernel.
fn sender_options() -> Options {
    Options::default().recv_hwm(1)
}

/// Options for the slow reader: a receive queue of one message, so that the sender's bytes stay
/// in the kernel's buffers while it closes.
fn reader_options() -> Options {
    Options::default().recv_hwm(1)
}

/// Sends `messages` with `send`, closes `sender` in a task, lets `READER_DELAY` pass (or the
/// close end), then reads with `recv` (stopping at the first message that does not come
/// within 3 s): every message must arrive, in order, and the close must report nothing
/// undelivered.
async fn send_close_and_read<K: Kind>(
    mut sender: Socket<K>,
    messages: Vec<Message>,
    mut send: impl AsyncFnMut(&mut Socket<K>, Message) -> zmtp_tokio::Result<()>,
    mut recv: impl AsyncFnMut() -> zmtp_tokio::Result<Message>,
) {
    for message in messages.clone() {
        within(LIMIT, "send", send(&mut sender, message))
            .await
            .unwrap();
    }
    let mut close = tokio::spawn(sender.close());
    let early = tokio::time::timeout(READER_DELAY, &mut close).await.ok();
    let mut received = Vec::with_capacity(messages.len());
    for i in 0..messages.len() {
        match tokio::time::timeout(Duration::from_secs(3), recv()).await {
            Ok(Ok(message)) => received.push(message),
            Ok(Err(e)) => panic!("receive {i} failed: {e}"),
            Err(_) => break,
        }
    }
    let report = match early {
        Some(report) => report,
        None => within(LIMIT, "close", close).await,
    }
    .expect("close task");
    assert_eq!(
        received.len(),
        messages.len(),
        "{} of {} messages arrived; close said: {report}",
        received.len(),
        messages.len()
    );
    for (i, (got, want)) in received.iter().zip(&messages).enumerate() {
        assert!(got == want, "message {i} differs");
    }
    assert!(report.is_complete(), "close reported {report}");
}

/// Waits until `socket` has a connected peer.
async fn wait_connected<K: Kind>(socket: &Socket<K>) {
    within(LIMIT, "a connected peer", async {
        while socket.connected_peers() == 0 {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// 300 KiB of messages, more than the closing side's connection reads ahead while its receive
/// queue is full.
fn flood() -> impl Iterator<Item = Message> {
    (0..300u32).map(|i| Message::from(Bytes::from(vec![(i % 251) as u8; 1024])))
}

async fn dealer_with_unread_replies(transport: Transport) {
    let mut reader = Socket::<Dealer>::with_options(reader_options()).unwrap();
    let endpoint = reader.bind(transport.bind_endpoint()).await.unwrap();
    let mut sender = Socket::<Dealer>::with_options(sender_options()).unwrap();
    sender.connect(&endpoint).unwrap();
    wait_connected(&reader).await;
    for message in flood() {
        reader.try_send(message).expect("room for the flood");
    }
    within(LIMIT, "the flood arrives", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

async fn router_with_unread_requests(transport: Transport) {
    let mut sender = Socket::<Router>::with_options(sender_options()).unwrap();
    let endpoint = sender.bind(transport.bind_endpoint()).await.unwrap();
    let mut reader = Socket::<Dealer>::with_options(reader_options().identity("reader")).unwrap();
    reader.connect(&endpoint).unwrap();
    wait_connected(&sender).await;
    for message in flood() {
        reader.try_send(message).expect("room for the flood");
    }
    within(LIMIT, "the flood arrives", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, mut m| {
            m.push_front(Bytes::from_static(b"reader"));
            s.send(m).await
        },
        async || reader.recv().await,
    )
    .await;
}

async fn pair_with_unread_messages(transport: Transport) {
    let mut reader = Socket::<Pair>::with_options(reader_options()).unwrap();
    let endpoint = reader.bind(transport.bind_endpoint()).await.unwrap();
    let mut sender = Socket::<Pair>::with_options(sender_options()).unwrap();
    sender.connect(&endpoint).unwrap();
    wait_connected(&reader).await;
    for message in flood() {
        reader.try_send(message).expect("room for the flood");
    }
    within(LIMIT, "the flood arrives", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

/// An XPUB whose subscriber sent more subscriptions than it read (each one reaches the
/// application as a message).
async fn xpub_with_unread_subscriptions(transport: Transport) {
    let mut sender = Socket::<XPub>::with_options(sender_options().xpub_verbose(true)).unwrap();
    let endpoint = sender.bind(transport.bind_endpoint()).await.unwrap();
    let mut reader = Socket::<Sub>::with_options(reader_options()).unwrap();
    reader.subscribe("").unwrap();
    for i in 0..3000 {
        reader.subscribe(format!("topic-{i:0>94}")).unwrap();
    }
    reader.connect(&endpoint).unwrap();
    within(LIMIT, "the subscriptions arrive", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await.map(drop),
        async || reader.recv().await,
    )
    .await;
}

/// An XSUB sending upstream while the publications it subscribed to pile up unread.
async fn xsub_with_unread_publications(transport: Transport) {
    let mut reader = Socket::<XPub>::with_options(reader_options()).unwrap();
    let endpoint = reader.bind(transport.bind_endpoint()).await.unwrap();
    let mut sender = Socket::<XSub>::with_options(sender_options()).unwrap();
    sender.subscribe("").unwrap();
    sender.connect(&endpoint).unwrap();
    let notice = within(LIMIT, "the subscription", reader.recv())
        .await
        .unwrap();
    assert_eq!(notice.frames()[0], b"\x01"[..]);
    for message in flood() {
        assert_eq!(reader.publish(message).unwrap(), 1, "room for the flood");
    }
    within(LIMIT, "the flood arrives", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

/// The kinds that cannot be given unread inbound data (PUSH and PUB receive none; REQ and REP
/// alternate) still deliver their last large message whole to a slow reader.
async fn push_to_a_slow_pull(transport: Transport) {
    let mut reader = Socket::<Pull>::with_options(reader_options()).unwrap();
    let endpoint = reader.bind(transport.bind_endpoint()).await.unwrap();
    let sender = Socket::<Push>::with_options(sender_options()).unwrap();
    sender.connect(&endpoint).unwrap();
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

async fn pub_to_a_slow_sub(transport: Transport) {
    let mut sender = Socket::<Pub>::with_options(sender_options()).unwrap();
    let endpoint = sender.bind(transport.bind_endpoint()).await.unwrap();
    let mut reader = Socket::<Sub>::with_options(reader_options()).unwrap();
    reader.subscribe("").unwrap();
    reader.connect(&endpoint).unwrap();
    // The subscription has arrived once a publication gets through.
    within(LIMIT, "the subscription arrives", async {
        loop {
            sender.send("probe").await.unwrap();
            let probe = tokio::time::timeout(Duration::from_millis(20), reader.recv());
            if probe.await.is_ok() {
                break;
            }
        }
    })
    .await;
    while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(50), reader.recv()).await {}
    send_close_and_read(
        sender,
        stream(),
        async |s, m| s.send(m).await.map(drop),
        async || reader.recv().await,
    )
    .await;
}

async fn req_with_a_large_request(transport: Transport) {
    let mut reader = Socket::<Rep>::with_options(reader_options()).unwrap();
    let endpoint = reader.bind(transport.bind_endpoint()).await.unwrap();
    let sender = Socket::<Req>::with_options(sender_options()).unwrap();
    sender.connect(&endpoint).unwrap();
    send_close_and_read(
        sender,
        vec![stream()[7].clone()],
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

async fn rep_with_a_large_reply(transport: Transport) {
    let mut sender = Socket::<Rep>::with_options(sender_options()).unwrap();
    let endpoint = sender.bind(transport.bind_endpoint()).await.unwrap();
    let mut reader = Socket::<Req>::with_options(reader_options()).unwrap();
    reader.connect(&endpoint).unwrap();
    within(LIMIT, "request", reader.send("request"))
        .await
        .unwrap();
    within(LIMIT, "the request arrives", sender.recv())
        .await
        .unwrap();
    send_close_and_read(
        sender,
        vec![stream()[7].clone()],
        async |s, m| s.send(m).await,
        async || reader.recv().await,
    )
    .await;
}

/// One test per transport for each scenario.
macro_rules! on_every_transport {
    ($($scenario:ident),* $(,)?) => {
        mod tcp {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::Transport::Tcp).await;
                }
            )*
        }
        mod ipc {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::Transport::Ipc).await;
                }
            )*
        }
        mod inproc {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(super::Transport::Inproc).await;
                }
            )*
        }
    };
}

on_every_transport!(
    dealer_with_unread_replies,
    router_with_unread_requests,
    pair_with_unread_messages,
    xpub_with_unread_subscriptions,
    xsub_with_unread_publications,
    push_to_a_slow_pull,
    pub_to_a_slow_sub,
    req_with_a_large_request,
    rep_with_a_large_reply,
);
