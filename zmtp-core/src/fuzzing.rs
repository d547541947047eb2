//! Bodies of the cargo-fuzz targets, kept next to the code they exercise so that the targets in
//! `fuzz/` stay one line each and the committed corpus can be replayed by `cargo test` on stable.
//!
//! Each function must not panic on any input; the invariants they assert are bugs if violated.

use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::frame::{decode_frame, FrameLimits};
use crate::greeting::GreetingDecoder;
use crate::{Config, Connection, Event, SocketType};

/// Splits `data` into chunks whose sizes come from the input itself: the first byte seeds the
/// chunk lengths, so the fuzzer explores split points as well as contents.
fn chunks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let (seed, mut rest) = data.split_first().map_or((1, data), |(s, r)| (*s, r));
    let mut state = u32::from(seed) | 1;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = ((state >> 16) as usize % 97 + 1).min(rest.len());
        let (head, tail) = rest.split_at(len);
        rest = tail;
        Some(head)
    })
}

/// Frame decoder over arbitrary bytes with small limits.
pub fn frame_decoder(data: &[u8]) {
    let limits = FrameLimits {
        data: 4096,
        command: 512,
    };
    let mut buf = BytesMut::new();
    for chunk in chunks(data) {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match decode_frame(&mut buf, limits) {
                Ok(Some(frame)) => {
                    let limit = if frame.command {
                        limits.command
                    } else {
                        limits.data
                    };
                    assert!(frame.body.len() as u64 <= limit);
                    assert!(buf.len() < before);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "partial input must stay in place");
                    break;
                }
                Err(_) => return,
            }
        }
    }
}

/// Greeting decoder over arbitrary chunked bytes.
pub fn greeting(data: &[u8]) {
    let mut decoder = GreetingDecoder::new();
    let mut buf = BytesMut::new();
    for chunk in chunks(data) {
        buf.extend_from_slice(chunk);
        if decoder.feed(&mut buf).is_err() {
            return;
        }
        if let Some(g) = decoder.greeting() {
            assert!(g.version.major >= 3);
            return;
        }
    }
}

/// A whole connection of the given type fed arbitrary chunked bytes, with time advancing
/// between chunks, checking the event contract.
pub fn connection(socket_type: SocketType, data: &[u8]) {
    let start = Instant::now();
    let mut config = Config::new(socket_type);
    config.max_message_size = Some(64 * 1024);
    config.heartbeat.interval = Some(Duration::from_millis(500));
    config.heartbeat.ttl = Some(Duration::from_secs(2));
    let Ok(mut conn) = Connection::new(config, start) else {
        return;
    };
    let mut buf = BytesMut::new();
    let mut closed = 0;
    for (i, chunk) in chunks(data).enumerate() {
        let now = start + Duration::from_millis(97 * i as u64);
        buf.extend_from_slice(chunk);
        conn.handle_bytes(now, &mut buf);
        conn.handle_timeout(now);
        if i % 7 == 3 {
            let _ = conn.send(&crate::Message::from("x"));
            let _ = conn.subscribe(b"t");
        }
        while conn.poll_transmit().is_some() {}
        while let Some(event) = conn.poll_event() {
            if matches!(event, Event::Closed(_)) {
                closed += 1;
            }
        }
        assert!(
            buf.len() <= 64 * 1024 + 9 + 97,
            "input buffer grew past one frame"
        );
    }
    conn.handle_eof(start + Duration::from_secs(3600));
    while let Some(event) = conn.poll_event() {
        if matches!(event, Event::Closed(_)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 1, "Closed must be emitted exactly once");
}

/// The accepting side of a connection (a REP, as a server would be).
pub fn server_connection(data: &[u8]) {
    connection(SocketType::Rep, data);
}

/// The connecting side of a connection (a SUB, which also exercises subscriptions).
pub fn client_connection(data: &[u8]) {
    connection(SocketType::Sub, data);
}
