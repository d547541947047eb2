//! Every socket kind through the blocking API, over tcp, inproc and (on Unix) ipc.

mod common;

use common::{frames, link, message, publish_until_received, text, transports, LIMIT};
use zmtp_blocking::{
    DealerSocket, Options, PairSocket, PubSocket, PullSocket, PushSocket, RepSocket, ReqSocket,
    RouterSocket, SocketType, SubSocket, XPubSocket, XSubSocket,
};

#[test]
fn req_and_rep_alternate() {
    for transport in transports() {
        let mut rep = RepSocket::new().unwrap();
        let mut req = ReqSocket::new().unwrap();
        link(&mut rep, &mut req, transport);
        for i in 0..3 {
            req.send(format!("ping {i}")).unwrap();
            assert_eq!(
                text(&rep.recv().unwrap()),
                format!("ping {i}"),
                "{transport}"
            );
            rep.send(format!("pong {i}")).unwrap();
            assert_eq!(
                text(&req.recv().unwrap()),
                format!("pong {i}"),
                "{transport}"
            );
        }
    }
}

#[test]
fn dealer_and_router_name_each_other() {
    for transport in transports() {
        let mut router = RouterSocket::new().unwrap();
        let mut dealer = DealerSocket::with_options(Options::default().identity("worker")).unwrap();
        link(&mut router, &mut dealer, transport);
        dealer.send(message(&["ready", "now"])).unwrap();
        let (identity, hello) = router.recv_from().unwrap();
        assert_eq!(identity, "worker", "{transport}");
        assert_eq!(frames(&hello), ["ready", "now"], "{transport}");
        router.send_to(identity, "job").unwrap();
        assert_eq!(frames(&dealer.recv().unwrap()), ["job"], "{transport}");
    }
}

#[test]
fn pub_reaches_sub_that_subscribed() {
    for transport in transports() {
        let mut publisher = PubSocket::new().unwrap();
        let mut sub = SubSocket::new().unwrap();
        sub.subscribe("news.").unwrap();
        link(&mut publisher, &mut sub, transport);
        let got = publish_until_received(&mut publisher, &mut sub, &message(&["news.a", "x"]));
        assert_eq!(frames(&got), ["news.a", "x"], "{transport}");
        // Filtered at the publisher: only the subscribed topic arrives.
        publisher.send("sports.b").unwrap();
        publisher.send("news.c").unwrap();
        sub.set_recv_timeout(Some(LIMIT));
        loop {
            let next = text(&sub.recv().unwrap());
            assert!(next.starts_with("news."), "{transport}: {next}");
            if next == "news.c" {
                break;
            }
        }
        sub.unsubscribe("news.").unwrap();
    }
}

#[test]
fn xpub_sees_xsub_subscribe_and_publishes_to_it() {
    for transport in transports() {
        let mut xpub = XPubSocket::new().unwrap();
        let mut xsub = XSubSocket::new().unwrap();
        link(&mut xpub, &mut xsub, transport);
        xsub.send(&b"\x01t."[..]).unwrap();
        assert_eq!(
            &xpub.recv().unwrap().frames()[0][..],
            b"\x01t.",
            "{transport}"
        );
        xpub.send("t.1").unwrap();
        assert_eq!(text(&xsub.recv().unwrap()), "t.1", "{transport}");
    }
}

#[test]
fn push_to_pull_in_order() {
    for transport in transports() {
        let mut pull = PullSocket::new().unwrap();
        let mut push = PushSocket::new().unwrap();
        link(&mut pull, &mut push, transport);
        // Fewer than the two queues' high-water marks hold: nothing receives meanwhile.
        for i in 0..500 {
            push.send(i.to_string()).unwrap();
        }
        for i in 0..500 {
            assert_eq!(text(&pull.recv().unwrap()), i.to_string(), "{transport}");
        }
        let report = push.into_inner().close().unwrap();
        assert!(report.is_complete(), "{transport}: {report:?}");
    }
}

#[test]
fn pair_talks_both_ways() {
    for transport in transports() {
        let mut a = PairSocket::new().unwrap();
        let mut b = PairSocket::new().unwrap();
        link(&mut a, &mut b, transport);
        b.send("to a").unwrap();
        assert_eq!(text(&a.recv().unwrap()), "to a", "{transport}");
        a.send("to b").unwrap();
        assert_eq!(text(&b.recv().unwrap()), "to b", "{transport}");
        assert_eq!(a.socket_type(), SocketType::Pair);
    }
}

#[test]
fn what_a_kind_cannot_do_is_refused() {
    let mut push = PushSocket::new().unwrap();
    assert!(push.recv().is_err());
    assert!(push.subscribe("x").is_err());
    let mut pull = PullSocket::new().unwrap();
    assert!(pull.send("x").is_err());
}
