//! Endpoints of our sockets: port 0 and wildcard binds report the real port, IPv6 loopback,
//! address-in-use and malformed/unsupported endpoint errors, re-binding an IPC path, and
//! unbind/disconnect.

use std::time::Duration;

use zmtp_tests::over_tcp_ipc_inproc;
use zmtp_tests::socket_harness::{
    bind_retrying, text, unique_ipc_endpoint, wait_for_event, wait_until, within, Transport,
};
use zmtp_tokio::{Endpoint, Error, MonitorEvent, PullSocket, PushSocket, TryRecvError};

const LIMIT: Duration = Duration::from_secs(5);

/// Sends one message from a fresh PUSH connected to `ep` and checks `pull` gets it.
async fn exchange(pull: &mut PullSocket, ep: &Endpoint, body: &'static str) {
    let mut push = PushSocket::new();
    push.connect(ep).unwrap();
    within(LIMIT, "send", push.send(body)).await.unwrap();
    let m = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(text(&m), body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_port_zero_reports_the_real_port() {
    let mut pull = PullSocket::new();
    let ep = pull.bind("tcp://127.0.0.1:0").await.unwrap();
    match &ep {
        Endpoint::Tcp { host, port } => {
            assert_eq!(host, "127.0.0.1");
            assert_ne!(*port, 0, "bind reported port 0");
            assert_eq!(ep.to_string(), format!("tcp://127.0.0.1:{port}"));
        }
        other => panic!("{other:?}"),
    }
    exchange(&mut pull, &ep, "via port 0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_wildcard_bind_reports_the_real_port() {
    for wildcard in ["tcp://*:0", "tcp://*:*"] {
        let mut pull = PullSocket::new();
        let ep = pull.bind(wildcard).await.unwrap();
        let Endpoint::Tcp { host, port } = &ep else {
            panic!("{ep:?}")
        };
        assert_eq!(host, "0.0.0.0", "{wildcard}");
        assert_ne!(*port, 0, "{wildcard} reported port 0");
        exchange(&mut pull, &ep.to_connectable(), "via wildcard").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_works() {
    if let Err(e) = std::net::TcpListener::bind("[::1]:0") {
        eprintln!("skipping: this machine has no IPv6 loopback ({e})");
        return;
    }
    let mut pull = PullSocket::new();
    let ep = pull.bind("tcp://[::1]:0").await.unwrap();
    let Endpoint::Tcp { host, port } = &ep else {
        panic!("{ep:?}")
    };
    assert_eq!(host, "::1");
    assert_ne!(*port, 0);
    assert_eq!(ep.to_string(), format!("tcp://[::1]:{port}"));
    exchange(&mut pull, &ep, "via ipv6").await;
    // Connecting by the printed form works as well.
    let printed = ep.to_string();
    let mut push = PushSocket::new();
    push.connect(printed.as_str()).unwrap();
    within(LIMIT, "send", push.send("printed")).await.unwrap();
    assert_eq!(
        text(&within(LIMIT, "recv", pull.recv()).await.unwrap()),
        "printed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_an_address_in_use_fails_with_addr_in_use() {
    let first = PullSocket::new();
    let ep = first.bind("tcp://127.0.0.1:0").await.unwrap();
    let second = PullSocket::new();
    let err = second
        .bind(&ep)
        .await
        .expect_err("second bind of a TCP port");
    assert!(err.is_addr_in_use(), "{err:?}");
    assert!(matches!(&err, Error::Bind { .. }), "{err:?}");

    // A port held by something else than our sockets.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = format!("tcp://{}", std_listener.local_addr().unwrap());
    let err = second
        .bind(taken.as_str())
        .await
        .expect_err("bind of a taken port");
    assert!(err.is_addr_in_use(), "{err:?}");

    // An IPC path with a live listener is not stolen.
    let ipc = unique_ipc_endpoint();
    first.bind(ipc.as_str()).await.unwrap();
    let err = second
        .bind(ipc.as_str())
        .await
        .expect_err("second bind of an IPC path");
    assert!(err.is_addr_in_use(), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_endpoints_are_invalid_endpoint_errors() {
    let socket = PushSocket::new();
    for bad in [
        "127.0.0.1:5555",
        "tcp://127.0.0.1",
        "tcp://:5555",
        "tcp://127.0.0.1:70000",
        "tcp://127.0.0.1:port",
        "tcp://[::1:5555",
        "ipc://",
        "",
    ] {
        let bound = socket.bind(bad).await;
        assert!(
            matches!(&bound, Err(Error::InvalidEndpoint { endpoint, .. }) if endpoint == bad),
            "bind {bad:?}: {bound:?}"
        );
        let connected = socket.connect(bad);
        assert!(
            matches!(&connected, Err(Error::InvalidEndpoint { .. })),
            "connect {bad:?}: {connected:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_transports_are_reported_as_such() {
    let socket = PullSocket::new();
    for (endpoint, scheme) in [
        ("pgm://eth0;239.192.1.1:5555", "pgm"),
        ("udp://127.0.0.1:5555", "udp"),
    ] {
        let bound = socket.bind(endpoint).await;
        assert!(
            matches!(&bound, Err(Error::UnsupportedTransport(s)) if s == scheme),
            "bind {endpoint}: {bound:?}"
        );
        let connected = socket.connect(endpoint);
        assert!(
            matches!(&connected, Err(Error::UnsupportedTransport(s)) if s == scheme),
            "connect {endpoint}: {connected:?}"
        );
    }
    assert_eq!(socket.connected_peers(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbinding_or_disconnecting_an_unknown_endpoint_fails() {
    let socket = PullSocket::new();
    let r = socket.unbind("tcp://127.0.0.1:5555");
    assert!(matches!(r, Err(Error::UnknownEndpoint(_))), "{r:?}");
    let r = socket.disconnect("ipc:///nowhere");
    assert!(matches!(r, Err(Error::UnknownEndpoint(_))), "{r:?}");
}

/// Dropping a socket bound to an IPC path and binding a new one there at once (as a restarted
/// service does) must succeed, possibly after "in use" while the old listener shuts down —
/// never with another error. Repeated to hit the window where the old listener removes its
/// socket file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipc_path_can_be_bound_again_right_after_its_socket_is_dropped() {
    let ep: Endpoint = unique_ipc_endpoint().parse().unwrap();
    let mut socket = PullSocket::new();
    socket.bind(&ep).await.unwrap();
    for round in 0..200 {
        drop(socket);
        socket = PullSocket::new();
        loop {
            match socket.bind(&ep).await {
                Ok(_) => break,
                Err(e) if e.is_addr_in_use() => tokio::time::sleep(Duration::from_millis(1)).await,
                Err(e) => panic!("round {round}: re-binding {ep} failed: {e:?}"),
            }
        }
    }
    exchange(&mut socket, &ep, "still works").await;
}

over_tcp_ipc_inproc!(
    unbind_closes_the_listener_and_its_connections,
    after_disconnect_messages_go_only_to_the_remaining_peers,
    a_disconnect_drops_what_the_application_had_not_read_from_that_peer,
);

async fn unbind_closes_the_listener_and_its_connections(t: Transport) {
    let mut pull = PullSocket::new();
    let ep = pull.bind(t.bind_endpoint()).await.unwrap();
    let mut pull_monitor = pull.monitor();
    let push = PushSocket::new();
    let mut push_monitor = push.monitor();
    push.connect(&ep).unwrap();
    wait_until(LIMIT, "connected", || pull.connected_peers() == 1).await;

    pull.unbind(&ep).unwrap();
    wait_for_event(
        &mut pull_monitor,
        LIMIT,
        |e| matches!(e, MonitorEvent::Closed { endpoint } if *endpoint == ep),
    )
    .await;
    wait_for_event(&mut push_monitor, LIMIT, |e| {
        matches!(e, MonitorEvent::Disconnected { .. })
    })
    .await;
    wait_until(LIMIT, "accepted connection closed", || {
        pull.connected_peers() == 0
    })
    .await;
    match &ep {
        Endpoint::Tcp { port, .. } => {
            let refused = std::net::TcpStream::connect(("127.0.0.1", *port));
            assert!(refused.is_err(), "still accepting after unbind");
        }
        Endpoint::Ipc(path) => {
            wait_until(LIMIT, "socket file removed", || !path.exists()).await;
        }
        Endpoint::Inproc(_) => {
            // The name is free: another socket binds it (and lets it go again).
            let other = PullSocket::new();
            bind_retrying(&other, &ep, LIMIT).await;
            other.unbind(&ep).unwrap();
        }
        other => panic!("not a tcp, ipc or inproc endpoint: {other}"),
    }
    let r = pull.unbind(&ep);
    assert!(matches!(r, Err(Error::UnknownEndpoint(_))), "{r:?}");

    // The endpoint can be bound again, and the PUSH (still connecting) comes back.
    bind_retrying(&pull, &ep, LIMIT).await;
    let mut push = push;
    within(LIMIT, "send", push.send("again")).await.unwrap();
    let m = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(text(&m), "again");
}

async fn after_disconnect_messages_go_only_to_the_remaining_peers(t: Transport) {
    let mut a = PullSocket::new();
    let mut b = PullSocket::new();
    let ep_a = a.bind(t.bind_endpoint()).await.unwrap();
    let ep_b = b.bind(t.bind_endpoint()).await.unwrap();
    let mut push = PushSocket::new();
    push.connect(&ep_a).unwrap();
    push.connect(&ep_b).unwrap();
    wait_until(LIMIT, "both connected", || push.connected_peers() == 2).await;

    push.disconnect(&ep_a).unwrap();
    wait_until(LIMIT, "A sees the PUSH go", || a.connected_peers() == 0).await;
    assert_eq!(push.connected_peers(), 1);
    for i in 0..20 {
        within(LIMIT, "send", push.send(format!("{i}")))
            .await
            .unwrap();
    }
    for i in 0..20 {
        let m = within(LIMIT, "recv at B", b.recv()).await.unwrap();
        assert_eq!(text(&m), i.to_string());
    }
    assert!(
        matches!(a.try_recv(), Err(TryRecvError::Empty)),
        "the disconnected PULL got a message"
    );
    let r = push.disconnect(&ep_a);
    assert!(matches!(r, Err(Error::UnknownEndpoint(_))), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_socket_can_bind_tcp_and_ipc_at_once() {
    let mut pull = PullSocket::new();
    let tcp = pull.bind("tcp://127.0.0.1:0").await.unwrap();
    let ipc = pull.bind(unique_ipc_endpoint()).await.unwrap();
    exchange(&mut pull, &tcp, "over tcp").await;
    exchange(&mut pull, &ipc, "over ipc").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_binds_and_reports_an_address() {
    let mut pull = PullSocket::new();
    let ep = pull.bind("tcp://localhost:0").await.unwrap();
    let Endpoint::Tcp { host, port } = &ep else {
        panic!("{ep:?}")
    };
    assert!(
        host.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        "{host}"
    );
    assert_ne!(*port, 0);
    exchange(&mut pull, &ep, "via localhost").await;
}

/// `Error::Resolve` is documented as "a host name did not resolve": binding a name that does not
/// resolve must say so, not report a bind failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_an_unresolvable_host_is_a_resolve_error() {
    let socket = PullSocket::new();
    let ep = "tcp://no-such-host.invalid:0";
    let err = within(Duration::from_secs(10), "name lookup", socket.bind(ep))
        .await
        .expect_err("bind to a name that does not resolve");
    assert!(
        matches!(&err, Error::Resolve { endpoint, .. } if endpoint == ep),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_ipc_in_a_missing_directory_is_a_bind_error_not_in_use() {
    let socket = PullSocket::new();
    let ep = format!(
        "ipc://{}/no-such-dir-{}/s.sock",
        std::env::temp_dir().display(),
        std::process::id()
    );
    let err = socket
        .bind(ep.as_str())
        .await
        .expect_err("bind in a missing directory");
    assert!(
        matches!(&err, Error::Bind { endpoint, .. } if *endpoint == ep),
        "{err:?}"
    );
    assert!(!err.is_addr_in_use(), "{err:?}");
}

fn ipc_path(endpoint: &str) -> std::path::PathBuf {
    endpoint.trim_start_matches("ipc://").into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_socket_removes_its_ipc_socket_file() {
    let ep = unique_ipc_endpoint();
    let path = ipc_path(&ep);
    let pull = PullSocket::new();
    pull.bind(ep.as_str()).await.unwrap();
    assert!(path.exists());
    drop(pull);
    wait_until(LIMIT, "socket file removed after drop", || !path.exists()).await;
}

/// A socket file left behind by a dead process (nobody listens) is replaced by bind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_ipc_socket_file_is_replaced() {
    let ep = unique_ipc_endpoint();
    let path = ipc_path(&ep);
    // std's listener does not unlink its file when dropped: a stale socket file remains.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let mut pull = PullSocket::new();
    let bound = pull.bind(ep.as_str()).await.unwrap();
    exchange(&mut pull, &bound, "over a replaced file").await;
}

/// Only a stale *socket* file may be replaced: a regular file at the path is not ours to
/// delete, so bind fails and the file is left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binding_ipc_over_a_regular_file_fails_and_keeps_the_file() {
    let ep = unique_ipc_endpoint();
    let path = ipc_path(&ep);
    std::fs::write(&path, b"precious data").unwrap();
    let socket = PullSocket::new();
    let r = socket.bind(ep.as_str()).await;
    let still_there = std::fs::read(&path).ok();
    let _ = std::fs::remove_file(&path);
    assert!(matches!(&r, Err(Error::Bind { .. })), "{r:?}");
    assert_eq!(
        still_there.as_deref(),
        Some(&b"precious data"[..]),
        "bind deleted a regular file"
    );
}

/// Messages received from a peer but not yet read go with its pipe on `disconnect`, including
/// those the socket had already taken for the application in one batch with the first.
async fn a_disconnect_drops_what_the_application_had_not_read_from_that_peer(t: Transport) {
    let mut push = PushSocket::new();
    let ep = push.bind(t.bind_endpoint()).await.unwrap();
    let mut pull = PullSocket::new();
    pull.connect(&ep).unwrap();
    for i in 0..10 {
        within(LIMIT, "send", push.send(format!("{i}")))
            .await
            .unwrap();
    }
    // Let all ten arrive: the first receive then takes them in one batch.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let first = within(LIMIT, "recv", pull.recv()).await.unwrap();
    assert_eq!(text(&first), "0");
    pull.disconnect(&ep).unwrap();
    let next = pull.try_recv();
    assert!(
        matches!(next, Err(TryRecvError::Empty)),
        "a message from the disconnected peer was delivered: {next:?}"
    );
}
