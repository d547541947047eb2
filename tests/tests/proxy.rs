//! The proxy (zmq_proxy_steerable): a ROUTER/DEALER broker between REQ clients and REP
//! workers with a capture socket, an XSUB/XPUB forwarder carrying subscriptions up and
//! messages down, pause/resume/terminate, and a proxy with no receiving side refused.

use std::time::Duration;

use zmtp_tests::socket_harness::{texts, wait_until, within};
use zmtp_tokio::{
    DealerSocket, Error, Proxy, ProxyControl, PubSocket, PullSocket, PushSocket, RepSocket,
    ReqSocket, RouterSocket, SubSocket, XPubSocket, XSubSocket,
};

const LIMIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_dealer_broker_answers_every_client_and_captures_both_ways() {
    let mut frontend = RouterSocket::new();
    let clients_ep = frontend.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut backend = DealerSocket::new();
    let workers_ep = backend.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut capture = PushSocket::new();
    let capture_ep = capture.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut tap = PullSocket::new();
    tap.connect(&capture_ep).unwrap();

    let control = ProxyControl::new();
    let steer = control.clone();
    let proxy = tokio::spawn(async move {
        Proxy::new(&mut frontend, &mut backend)
            .capture(&mut capture)
            .control(&steer)
            .run()
            .await
    });
    for w in 0..2 {
        let mut rep = RepSocket::new();
        rep.connect(&workers_ep).unwrap();
        tokio::spawn(async move {
            while let Ok(mut request) = rep.recv().await {
                request.push(bytes::Bytes::from(format!("by-{w}")));
                if rep.send(request).await.is_err() {
                    break;
                }
            }
        });
    }
    let mut clients: Vec<ReqSocket> = (0..3).map(|_| ReqSocket::new()).collect();
    for c in &clients {
        c.connect(&clients_ep).unwrap();
    }
    for round in 0..3 {
        for (i, c) in clients.iter_mut().enumerate() {
            let q = format!("c{i}-r{round}");
            let reply = within(LIMIT, "request through the broker", c.request(q.clone()))
                .await
                .unwrap();
            let t = texts(&reply);
            assert_eq!(t[0], q, "each client gets its own reply");
            assert!(t[1] == "by-0" || t[1] == "by-1", "{t:?}");
        }
    }
    // 9 requests and 9 replies passed the capture socket, identity envelopes included.
    let mut captured = Vec::new();
    for _ in 0..18 {
        captured.push(within(LIMIT, "capture", tap.recv()).await.unwrap());
    }
    let requests = captured.iter().filter(|m| m.len() == 3).count();
    let replies = captured.iter().filter(|m| m.len() == 4).count();
    assert_eq!(
        (requests, replies),
        (9, 9),
        "ROUTER-side frames: id, \"\", body[, by-w]"
    );

    control.terminate();
    let stats = within(LIMIT, "proxy ends", proxy).await.unwrap().unwrap();
    assert_eq!(stats.frontend_to_backend, 9);
    assert_eq!(stats.backend_to_frontend, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xsub_xpub_forwarder_carries_subscriptions_up_and_messages_down() {
    let mut publisher = PubSocket::new();
    let pub_ep = publisher.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut frontend = XSubSocket::new();
    frontend.connect(&pub_ep).unwrap();
    let mut backend = XPubSocket::new();
    let sub_ep = backend.bind("tcp://127.0.0.1:0").await.unwrap();
    let control = ProxyControl::new();
    let steer = control.clone();
    let proxy = tokio::spawn(async move {
        Proxy::new(&mut frontend, &mut backend)
            .control(&steer)
            .run()
            .await
    });

    let mut weather = SubSocket::new();
    weather.connect(&sub_ep).unwrap();
    weather.subscribe("weather").unwrap();
    let mut sports = SubSocket::new();
    sports.connect(&sub_ep).unwrap();
    sports.subscribe("sports").unwrap();
    // Both subscriptions travel SUB → XPUB → proxy → XSUB → PUB.
    wait_until(LIMIT, "subscriptions reach the publisher", || {
        publisher.publish("weather probe").unwrap() == 1
            && publisher.publish("sports probe").unwrap() == 1
    })
    .await;
    publisher.publish("weather: sun").unwrap();
    publisher.publish("news: nothing").unwrap();
    publisher.publish("sports: 2-1").unwrap();
    let mut got_weather = Vec::new();
    while got_weather.last().map(String::as_str) != Some("weather: sun") {
        let m = within(LIMIT, "weather", weather.recv()).await.unwrap();
        got_weather.push(texts(&m).remove(0));
    }
    assert!(
        got_weather.iter().all(|t| t.starts_with("weather")),
        "{got_weather:?}"
    );
    let mut got_sports = Vec::new();
    while got_sports.last().map(String::as_str) != Some("sports: 2-1") {
        let m = within(LIMIT, "sports", sports.recv()).await.unwrap();
        got_sports.push(texts(&m).remove(0));
    }
    assert!(
        got_sports.iter().all(|t| t.starts_with("sports")),
        "{got_sports:?}"
    );

    control.terminate();
    within(LIMIT, "proxy ends", proxy).await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_proxy_holds_messages_until_resumed() {
    let mut frontend = PullSocket::new();
    let in_ep = frontend.bind("tcp://127.0.0.1:0").await.unwrap();
    let mut backend = PushSocket::new();
    let out_ep = backend.bind("tcp://127.0.0.1:0").await.unwrap();
    let control = ProxyControl::new();
    control.pause();
    let steer = control.clone();
    let proxy = tokio::spawn(async move {
        Proxy::new(&mut frontend, &mut backend)
            .control(&steer)
            .run()
            .await
    });
    let mut source = PushSocket::new();
    source.connect(&in_ep).unwrap();
    let mut sink = PullSocket::new();
    sink.connect(&out_ep).unwrap();
    for i in 0..5 {
        within(LIMIT, "send", source.send(format!("m{i}")))
            .await
            .unwrap();
    }
    let early = tokio::time::timeout(Duration::from_millis(300), sink.recv()).await;
    assert!(early.is_err(), "nothing passes while paused: {early:?}");
    control.resume();
    for i in 0..5 {
        let m = within(LIMIT, "after resume", sink.recv()).await.unwrap();
        assert_eq!(texts(&m), [format!("m{i}")]);
    }
    control.terminate();
    let stats = within(LIMIT, "proxy ends", proxy).await.unwrap().unwrap();
    assert_eq!(
        (stats.frontend_to_backend, stats.backend_to_frontend),
        (5, 0)
    );
    assert_eq!(stats.frontend_to_backend_bytes, 10);
}

#[tokio::test]
async fn a_proxy_without_a_receiving_side_is_refused() {
    let mut a = PushSocket::new();
    let mut b = PushSocket::new();
    let r = within(LIMIT, "proxy", Proxy::new(&mut a, &mut b).run()).await;
    assert!(matches!(r, Err(Error::NotSupported(_))), "{r:?}");
    let mut req = ReqSocket::new();
    let mut rep = RepSocket::new();
    let r = within(LIMIT, "proxy", Proxy::new(&mut req, &mut rep).run()).await;
    assert!(matches!(r, Err(Error::NotSupported(_))), "{r:?}");
}
