//! Drives two `Connection`s by hand through memory and prints every byte that crosses the
//! "wire", annotated: the staged greeting, READY, a request and its reply, a heartbeat, and an
//! ERROR that ends the conversation. Shows the sans-IO run loop with a virtual clock.
//!
//! cargo run -p zmtp-core --example wire_trace

use std::time::{Duration, Instant};

use bytes::BytesMut;
use zmtp_core::{Config, Connection, Event, Message, SocketType};

fn hex(bytes: &[u8]) -> String {
    let shown: Vec<String> = bytes.iter().take(48).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 48 { " …" } else { "" };
    format!("{}{more}", shown.join(" "))
}

/// Moves one side's pending bytes to the other, printing them; returns whether any moved.
fn transfer(name: &str, from: &mut Connection, to: &mut Connection, now: Instant) -> bool {
    let mut wire = BytesMut::new();
    while let Some(chunk) = from.poll_transmit() {
        println!("  {name} -> {:>3} bytes: {}", chunk.len(), hex(&chunk));
        wire.extend_from_slice(&chunk);
    }
    let moved = !wire.is_empty();
    to.handle_bytes(now, &mut wire);
    moved
}

fn pump(req: &mut Connection, rep: &mut Connection, now: Instant) {
    while transfer("REQ", req, rep, now) | transfer("REP", rep, req, now) {}
    for (name, conn) in [("REQ", &mut *req), ("REP", &mut *rep)] {
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Ready(peer) => println!(
                    "  {name} event: ready, peer is {} speaking ZMTP {}",
                    peer.socket_type, peer.version
                ),
                Event::Message(m) => println!("  {name} event: message {m:?}"),
                other => println!("  {name} event: {other:?}"),
            }
        }
    }
}

fn main() {
    let mut now = Instant::now();
    let mut req_config = Config::new(SocketType::Req);
    req_config.heartbeat.interval = Some(Duration::from_secs(1));
    req_config.heartbeat.ttl = Some(Duration::from_secs(3));
    let mut req = Connection::new(req_config, now).expect("valid config");
    let mut rep = Connection::new(Config::new(SocketType::Rep), now).expect("valid config");

    println!(
        "1. greeting (signature and major first, the rest once the peer's major is seen), READY:"
    );
    pump(&mut req, &mut rep, now);

    println!("2. a request with REQ's empty delimiter, and the reply:");
    req.send(&Message::from_iter(["", "what time is it?"]))
        .unwrap();
    pump(&mut req, &mut rep, now);
    rep.send(&Message::from_iter(["", "tea time"])).unwrap();
    pump(&mut req, &mut rep, now);

    println!("3. one second later on the virtual clock, REQ's heartbeat (PING TTL 30 ds, PONG):");
    now += Duration::from_secs(1);
    assert_eq!(req.poll_timeout(), Some(now));
    req.handle_timeout(now);
    rep.handle_timeout(now);
    pump(&mut req, &mut rep, now);

    println!("4. REP closes with an ERROR; REQ learns why:");
    rep.close(Some(b"going away"));
    pump(&mut req, &mut rep, now);
}
