//! XPUB and XSUB against real libzmq, both ways round: our XPUB with libzmq SUB and XSUB
//! subscribers, libzmq's XPUB with our SUB and XSUB, each with either side binding, over tcp
//! and ipc. The XPUB must see `\x01topic` for new topics, `\x00topic` for the last cancel and
//! for the topics of a subscriber that leaves, every subscription in verbose mode, and an
//! XSUB's other upstream messages; what it publishes must be filtered by those subscriptions.
//! Then our XSUB subscribing at a libzmq PUB by message, and a pub-sub forwarder made of our
//! XSUB and XPUB in a `Proxy`, between libzmq publishers and subscribers.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::*;
use zmtp_tokio::{Options, Proxy, ProxyControl, PubSocket, SubSocket, XPubSocket, XSubSocket};

/// Pause between publishing rounds while a subscription propagates.
const ROUND: Duration = Duration::from_millis(10);
/// How long "nothing else arrives" is watched for.
const QUIET: Duration = Duration::from_millis(100);

/// Which implementation a socket of a test is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Us,
    Libzmq,
}

impl By {
    fn other(self) -> By {
        match self {
            By::Us => By::Libzmq,
            By::Libzmq => By::Us,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SubType {
    Sub,
    XSub,
}
use By::{Libzmq, Us};
use SubType::{Sub, XSub};

/// `\x01topic` or `\x00topic`.
fn subscription(subscribe: bool, topic: &str) -> Vec<u8> {
    [&[u8::from(subscribe)], topic.as_bytes()].concat()
}

/// A SUB or XSUB of either implementation. XSUBs subscribe by sending `\x01topic` messages,
/// SUBs through their API.
enum Subscriber {
    OurSub(SubSocket),
    OurXSub(XSubSocket),
    Libzmq(zmq::Socket, SubType),
}

impl Subscriber {
    fn new(by: By, ty: SubType, ctx: &zmq::Context) -> Subscriber {
        match (by, ty) {
            (By::Us, SubType::Sub) => Subscriber::OurSub(SubSocket::new()),
            (By::Us, SubType::XSub) => Subscriber::OurXSub(XSubSocket::new()),
            (By::Libzmq, SubType::Sub) => Subscriber::Libzmq(socket(ctx, zmq::SUB), ty),
            (By::Libzmq, SubType::XSub) => Subscriber::Libzmq(socket(ctx, zmq::XSUB), ty),
        }
    }

    async fn subscription(&mut self, subscribe: bool, topic: &str) {
        match self {
            Subscriber::OurSub(s) if subscribe => s.subscribe(topic.to_owned()).unwrap(),
            Subscriber::OurSub(s) => s.unsubscribe(topic.to_owned()).unwrap(),
            Subscriber::Libzmq(s, SubType::Sub) if subscribe => {
                s.set_subscribe(topic.as_bytes()).unwrap()
            }
            Subscriber::Libzmq(s, SubType::Sub) => s.set_unsubscribe(topic.as_bytes()).unwrap(),
            _ => self.send(&[subscription(subscribe, topic)]).await,
        }
    }

    /// Sends a message upstream (XSUB only).
    async fn send(&mut self, frames: &[Vec<u8>]) {
        match self {
            Subscriber::OurXSub(s) => within(LIMIT, "our XSUB sends", s.send(message_of(frames)))
                .await
                .expect("our XSUB send"),
            Subscriber::Libzmq(s, SubType::XSub) => {
                send_async(s, &refs(frames), "libzmq XSUB sends").await
            }
            _ => panic!("only an XSUB sends"),
        }
    }

    async fn recv(&mut self, what: &str) -> Vec<Vec<u8>> {
        let got = match self {
            Subscriber::OurSub(s) => within(LIMIT, what, s.recv()).await,
            Subscriber::OurXSub(s) => within(LIMIT, what, s.recv()).await,
            Subscriber::Libzmq(s, _) => return recv_async(s, what).await,
        };
        frames_of(&got.unwrap_or_else(|e| panic!("{what}: {e}")))
    }

    /// Lets a libzmq socket take in what its I/O thread prepared: libzmq attaches an accepted
    /// connection, and sends a SUB's subscriptions on it, only when the application calls
    /// into the socket.
    fn poke(&self) {
        if let Subscriber::Libzmq(s, _) = self {
            s.get_events().expect("ZMQ_EVENTS");
        }
    }
}

/// An XPUB of either implementation.
enum Publisher {
    Ours(XPubSocket),
    Libzmq(zmq::Socket),
}

impl Publisher {
    fn new(by: By, verbose: bool, ctx: &zmq::Context) -> Publisher {
        match by {
            By::Us => {
                let options = Options::default().xpub_verbose(verbose);
                Publisher::Ours(XPubSocket::with_options(options).unwrap())
            }
            By::Libzmq => {
                let s = socket(ctx, zmq::XPUB);
                s.set_xpub_verbose(verbose).unwrap();
                Publisher::Libzmq(s)
            }
        }
    }

    /// The next message the XPUB receives: a subscription, or an XSUB's upstream message.
    async fn notice(&mut self, what: &str) -> Vec<Vec<u8>> {
        match self {
            Publisher::Ours(s) => {
                frames_of(&within(LIMIT, what, s.recv()).await.expect("our XPUB recv"))
            }
            Publisher::Libzmq(s) => recv_async(s, what).await,
        }
    }

    /// Asserts that no notice arrives within [`QUIET`]; `why` says why none should.
    async fn assert_quiet(&mut self, why: &str) {
        if let Ok(extra) = tokio::time::timeout(QUIET, self.notice("quiet")).await {
            panic!("unexpected XPUB notice {extra:?}: {why}");
        }
    }

    async fn publish(&mut self, frames: &[&[u8]]) {
        match self {
            Publisher::Ours(s) => s.publish(message_of(frames)).map(drop).expect("publish"),
            Publisher::Libzmq(s) => send_async(s, frames, "libzmq XPUB publishes").await,
        }
    }

    /// Links `subscriber` (of the other implementation) to this XPUB.
    async fn link(&self, subscriber: &Subscriber, binder: Binder, transport: Transport) -> Link {
        match (self, subscriber) {
            (Publisher::Ours(p), Subscriber::Libzmq(s, _)) => link(p, s, binder, transport).await,
            (Publisher::Libzmq(p), Subscriber::OurSub(s)) => link(s, p, binder, transport).await,
            (Publisher::Libzmq(p), Subscriber::OurXSub(s)) => link(s, p, binder, transport).await,
            _ => panic!("a pairing is one socket of ours and one of libzmq's"),
        }
    }
}

/// The next `n` notices, sorted, while `sub` is kept active.
async fn notices(xpub: &mut Publisher, sub: &Subscriber, n: usize) -> Vec<Vec<Vec<u8>>> {
    let mut seen = Vec::new();
    within(LIMIT, "the first subscriptions", async {
        while seen.len() < n {
            sub.poke();
            if let Ok(notice) = tokio::time::timeout(ROUND, xpub.notice("notices")).await {
                seen.push(notice);
            }
        }
    })
    .await;
    seen.sort();
    seen
}

/// A subscriber subscribes to `a` and `b`, receives only what matches, cancels `a`, and
/// leaves; the XPUB on the other side reports each step. An XSUB also sends a message
/// upstream, which the XPUB hands to its application as it is.
async fn subscriptions_reach_the_xpub(
    xpub_by: By,
    sub_type: SubType,
    binder: Binder,
    transport: Transport,
) {
    let ctx = context();
    let mut xpub = Publisher::new(xpub_by, false, &ctx);
    let mut sub = Subscriber::new(xpub_by.other(), sub_type, &ctx);
    let _link = xpub.link(&sub, binder, transport).await;

    sub.subscription(true, "a").await;
    sub.subscription(true, "b").await;
    // Sent before the connection was up, they may be replayed in either order.
    let expected = [owned(&[b"\x01a"]), owned(&[b"\x01b"])];
    assert_eq!(notices(&mut xpub, &sub, 2).await, expected);

    // The XPUB has applied both subscriptions: its filter lets `a` and `b` through only.
    let multipart: [&[u8]; 3] = [b"a-multi", b"", b""];
    for frames in [&[b"c-skip".as_slice()][..], &multipart, &[b"b-1"]] {
        xpub.publish(frames).await;
    }
    assert_eq!(sub.recv("a-multi").await, owned(&multipart));
    assert_eq!(sub.recv("b-1").await, owned(&[b"b-1"]));

    sub.subscription(false, "a").await;
    assert_eq!(xpub.notice("cancel a").await, owned(&[b"\x00a"]));
    xpub.publish(&[b"a-after-cancel"]).await;
    xpub.publish(&[b"b-2"]).await;
    assert_eq!(
        sub.recv("b-2 but not a-after-cancel").await,
        owned(&[b"b-2"])
    );

    if sub_type == SubType::XSub {
        let upstream = owned(&[b"upstream", b"", b"end"]);
        sub.send(&upstream).await;
        let got = xpub.notice("upstream message").await;
        assert_eq!(got, upstream, "an XSUB's upstream message");
    }

    drop(sub);
    let xpub_binds = (binder == Binder::Ours) == (xpub_by == By::Us);
    if xpub_binds {
        assert_eq!(
            xpub.notice("the subscriber left").await,
            owned(&[b"\x00b"]),
            "the topic of a subscriber that left is cancelled"
        );
    }
    xpub.assert_quiet(if xpub_binds {
        "nothing else was subscribed"
    } else {
        "libzmq keeps a connecting XPUB's pipe, and the subscriptions on it, for the \
         reconnect: a bound subscriber going away cancels nothing"
    })
    .await;
}

every_link!(
    libzmq_sub_subscribes_at_our_xpub => |b, t| subscriptions_reach_the_xpub(Us, Sub, b, t),
    libzmq_xsub_subscribes_at_our_xpub => |b, t| subscriptions_reach_the_xpub(Us, XSub, b, t),
    our_sub_subscribes_at_libzmq_xpub => |b, t| subscriptions_reach_the_xpub(Libzmq, Sub, b, t),
    our_xsub_subscribes_at_libzmq_xpub => |b, t| subscriptions_reach_the_xpub(Libzmq, XSub, b, t),
);

/// Two SUBs subscribe to `t` once each and an XSUB twice (a SUB counts its subscriptions and
/// sends only the first, an XSUB sends each): a verbose XPUB reports all four, a plain one
/// only the first. A sentinel topic per subscriber, subscribed last, marks that all of its
/// subscriptions were seen.
async fn verbose_mode(xpub_by: By, verbose: bool) {
    let ctx = context();
    let mut xpub = Publisher::new(xpub_by, verbose, &ctx);
    let binder = if xpub_by == By::Us {
        Binder::Ours
    } else {
        Binder::Libzmq
    };
    let types = [SubType::Sub, SubType::Sub, SubType::XSub];
    let mut subs = Vec::new();
    let mut links = Vec::new();
    for (i, ty) in types.into_iter().enumerate() {
        let mut sub = Subscriber::new(xpub_by.other(), ty, &ctx);
        links.push(xpub.link(&sub, binder, Transport::Tcp).await);
        // Replayed on connect if the connection was not up yet, sent as it is once it is:
        // once the XPUB has it, the subscriptions below are sent one by one.
        let ready = format!("ready-{i}");
        sub.subscription(true, &ready).await;
        let got = xpub.notice("ready subscription").await;
        assert_eq!(got, vec![subscription(true, &ready)]);
        subs.push(sub);
    }

    for (i, (sub, ty)) in subs.iter_mut().zip(types).enumerate() {
        sub.subscription(true, "t").await;
        if ty == SubType::XSub {
            sub.subscription(true, "t").await;
        }
        sub.subscription(true, &format!("z-end-{i}")).await;
    }
    let mut ends = 0;
    let mut repeats = 0;
    while ends < subs.len() {
        let notice = xpub.notice("t or a sentinel").await;
        if notice == vec![subscription(true, "t")] {
            repeats += 1;
        } else {
            assert!(notice[0].starts_with(b"\x01z-end-"), "{notice:?}");
            ends += 1;
        }
    }
    assert_eq!(repeats, if verbose { 4 } else { 1 }, "verbose: {verbose}");
    xpub.assert_quiet("every subscription was counted").await;
}

interop_tests!(
    our_verbose_xpub_reports_every_subscription_of_libzmq_subscribers => verbose_mode(Us, true),
    our_plain_xpub_reports_a_topic_of_libzmq_subscribers_once => verbose_mode(Us, false),
    libzmq_verbose_xpub_gets_every_subscription_of_our_subscribers =>
        verbose_mode(Libzmq, true),
    libzmq_plain_xpub_reports_a_topic_of_our_subscribers_once => verbose_mode(Libzmq, false),
);

/// Each round, sends each message from its libzmq PUB, until `sub` has received every
/// message of `wanted`; anything else it receives fails the test.
async fn publish_until_received(
    sends: &[(&zmq::Socket, Vec<Vec<u8>>)],
    wanted: &[Vec<Vec<u8>>],
    sub: &mut Subscriber,
) {
    let mut missing: BTreeSet<_> = wanted.iter().collect();
    within(LIMIT, "every wanted message arrives", async {
        while !missing.is_empty() {
            for (publisher, message) in sends {
                send_async(publisher, &refs(message), "libzmq PUB publishes").await;
            }
            while let Ok(got) = tokio::time::timeout(ROUND, sub.recv("published")).await {
                assert!(
                    wanted.contains(&got),
                    "received {got:?}, wanted only {wanted:?}"
                );
                missing.remove(&got);
            }
        }
    })
    .await;
}

/// Our XSUB subscribes at a libzmq PUB by sending `\x01topic`, and gets only that topic.
async fn our_xsub_subscribes_at_libzmq_pub(binder: Binder, transport: Transport) {
    let ctx = context();
    let publisher = socket(&ctx, zmq::PUB);
    let ours = XSubSocket::new();
    let _link = link(&ours, &publisher, binder, transport).await;
    let mut xsub = Subscriber::OurXSub(ours);
    xsub.subscription(true, "news").await;
    let news = owned(&[b"news-1", b"", b"x"]);
    let sends = [
        (&publisher, owned(&[b"sports"])),
        (&publisher, news.clone()),
    ];
    publish_until_received(&sends, &[news], &mut xsub).await;
}

every_link!(our_xsub_gets_its_topic_from_libzmq_pub => our_xsub_subscribes_at_libzmq_pub);

/// A libzmq XSUB subscribes at our PUB by sending `\x01topic`: our PUB then sends that topic
/// only, multipart intact.
async fn libzmq_xsub_subscribes_at_our_pub(binder: Binder, transport: Transport) {
    let ctx = context();
    let xsub = socket(&ctx, zmq::XSUB);
    let mut publisher = PubSocket::new();
    let _link = link(&publisher, &xsub, binder, transport).await;
    send_async(&xsub, &[b"\x01news"], "libzmq XSUB subscribes").await;
    let news = owned(&[b"news-1", b"", b"x"]);
    within(LIMIT, "the subscription reaches our PUB", async {
        loop {
            publisher.publish(message_of(&owned(&[b"sports"]))).unwrap();
            if publisher.publish(message_of(&news)).unwrap() == 1 {
                break;
            }
            // A bound libzmq socket attaches an accepted connection, and replays its
            // subscriptions on it, only when the application calls into it.
            let _ = xsub.get_events();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let got = recv_async(&xsub, "libzmq XSUB receives").await;
    assert_eq!(got, news, "only the subscribed topic arrives");
}

every_link!(libzmq_xsub_gets_its_topic_from_our_pub => libzmq_xsub_subscribes_at_our_pub);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_xsub_xpub_proxy_forwards_two_libzmq_publishers_to_two_libzmq_subscribers() {
    let ctx = context();
    let publishers = [socket(&ctx, zmq::PUB), socket(&ctx, zmq::PUB)];
    let mut frontend = XSubSocket::new();
    for p in &publishers {
        frontend.connect(bind_tcp(p).as_str()).unwrap();
    }
    let mut backend = XPubSocket::new();
    let endpoint = backend.bind("tcp://127.0.0.1:0").await.unwrap().to_string();
    let topics = ["A", "B"];
    let mut subscribers = topics.map(|topic| {
        let s = socket(&ctx, zmq::SUB);
        s.set_subscribe(topic.as_bytes()).unwrap();
        s.connect(&endpoint).unwrap();
        Subscriber::Libzmq(s, SubType::Sub)
    });

    let control = ProxyControl::new();
    let steer = control.clone();
    let proxy = tokio::spawn(async move {
        Proxy::new(&mut frontend, &mut backend)
            .control(&steer)
            .run()
            .await
    });

    // Each publisher sends every topic; each subscriber must get its topic from both.
    let sends: Vec<_> = publishers
        .iter()
        .enumerate()
        .flat_map(|(p, publisher)| {
            ["A", "B", "C"].map(|topic| {
                (
                    publisher,
                    owned(&[format!("{topic}-from-{p}").as_bytes(), b""]),
                )
            })
        })
        .collect();
    for (topic, sub) in topics.iter().zip(&mut subscribers) {
        let wanted: Vec<_> = sends
            .iter()
            .map(|(_, m)| m.clone())
            .filter(|m| m[0].starts_with(topic.as_bytes()))
            .collect();
        assert_eq!(wanted.len(), 2);
        publish_until_received(&sends, &wanted, sub).await;
    }

    control.terminate();
    let stats = within(LIMIT, "the proxy stops", proxy)
        .await
        .expect("proxy task")
        .expect("proxy run");
    assert!(
        stats.frontend_to_backend >= 4,
        "messages went down: {stats:?}"
    );
    assert!(
        stats.backend_to_frontend >= 2,
        "subscriptions went up: {stats:?}"
    );
}

/// ZMQ_XPUB_WELCOME_MSG on our XPUB: a libzmq SUB that subscribed to it gets it first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_xpub_welcomes_a_libzmq_sub() {
    let ctx = context();
    let sub = socket(&ctx, zmq::SUB);
    sub.set_subscribe(b"welcome").unwrap();
    let xpub =
        XPubSocket::with_options(Options::default().xpub_welcome_msg("welcome, libzmq")).unwrap();
    let _link = link(&xpub, &sub, Binder::Ours, Transport::Tcp).await;
    let got = recv_async(&sub, "the welcome").await;
    assert_eq!(got, owned(&[b"welcome, libzmq"]));
}

/// libzmq's XPUB with ZMQ_XPUB_WELCOME_MSG: our SUB that subscribed to it gets it first.
/// libzmq attaches a new peer (and writes its welcome) only when its application calls into
/// the socket, so its side reads the subscription first, as libzmq's own test does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_xpub_welcomes_our_sub() {
    let ctx = context();
    let xpub = socket(&ctx, zmq::XPUB);
    xpub.set_xpub_welcome_msg(Some("welcome, zmtp")).unwrap();
    let mut sub = SubSocket::new();
    sub.subscribe("welcome").unwrap();
    let _link = link(&sub, &xpub, Binder::Libzmq, Transport::Tcp).await;
    let subscription = recv_async(&xpub, "our subscription at libzmq's XPUB").await;
    assert_eq!(subscription, owned(&[b"\x01welcome"]));
    let got = within(LIMIT, "the welcome", sub.recv()).await.unwrap();
    assert_eq!(frames_of(&got), owned(&[b"welcome, zmtp"]));
}
