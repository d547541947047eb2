//! Any split of the input stream must yield the same events and the same output bytes, and
//! decoding messages in bulk (`handle_bytes_into`) must yield the same messages and events.

mod support;

use std::time::Instant;

use std::collections::VecDeque;

use bytes::BytesMut;
use proptest::prelude::*;
use support::{command, frame, greeting, ready};
use zmtp_core::{Config, Connection, ConnectionError, Event, Message, SocketType};

/// A whole conversation from a peer: greeting, READY, multipart messages with a PING inside,
/// long frames, subscriptions in both forms, an unknown command and finally an ERROR.
fn conversation(minor: u8, peer: &str) -> Vec<u8> {
    [
        greeting(3, minor, "NULL", false),
        ready(peer),
        frame(0x01, b""),
        frame(0x01, b"head"),
        command("PING", b"\x00\x05context"),
        frame(0x00, &[7u8; 300]),
        frame(0x00, b"\x01topic"),
        command("SUBSCRIBE", b"news"),
        command("CANCEL", b"news"),
        command("FUTURE", b"ignored"),
        b"\x02\x00\x00\x00\x00\x00\x00\x00\x04long".to_vec(),
        command("PONG", b""),
        frame(0x00, b"\x00topic"),
        command("ERROR", b"\x03bye"),
        frame(0x00, b"after the error: discarded"),
    ]
    .concat()
}

fn run(ours: SocketType, input: &[u8], cuts: &[usize]) -> (Vec<Event>, Vec<u8>) {
    feed(ours, input, cuts, |conn, now, buf| {
        conn.handle_bytes(now, buf)
    })
}

/// The same as [`run`], decoding messages in bulk: the messages apart, the other events, and
/// the output.
fn run_bulk(ours: SocketType, input: &[u8], cuts: &[usize]) -> (Vec<Message>, Vec<Event>, Vec<u8>) {
    let mut messages = VecDeque::new();
    let (events, out) = feed(ours, input, cuts, |conn, now, buf| {
        conn.handle_bytes_into(now, buf, &mut messages)
    });
    (messages.into(), events, out)
}

/// Feeds `input` cut at `cuts` to a new connection through `decode`; returns the events and
/// the output.
fn feed(
    ours: SocketType,
    input: &[u8],
    cuts: &[usize],
    mut decode: impl FnMut(&mut Connection, Instant, &mut BytesMut),
) -> (Vec<Event>, Vec<u8>) {
    let now = Instant::now();
    let mut conn = Connection::new(Config::new(ours), now).unwrap();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut out = Vec::new();
    let mut start = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    bounds.push(input.len());
    bounds.sort_unstable();
    for end in bounds {
        buf.extend_from_slice(&input[start..end]);
        start = end;
        decode(&mut conn, now, &mut buf);
        while let Some(c) = conn.poll_transmit() {
            out.extend_from_slice(&c);
        }
        events.extend(std::iter::from_fn(|| conn.poll_event()));
    }
    (events, out)
}

/// `run`'s events split into messages and the rest.
fn split_messages(events: Vec<Event>) -> (Vec<Message>, Vec<Event>) {
    let mut messages = Vec::new();
    let mut rest = Vec::new();
    for event in events {
        match event {
            Event::Message(message) => messages.push(message),
            other => rest.push(other),
        }
    }
    (messages, rest)
}

fn cases() -> [(SocketType, Vec<u8>); 4] {
    [
        (SocketType::Pub, conversation(1, "SUB")),
        (SocketType::XPub, conversation(0, "XSUB")),
        (SocketType::Router, conversation(1, "DEALER")),
        (SocketType::Pull, conversation(0, "PUSH")),
    ]
}

#[test]
fn the_publisher_conversation_yields_exactly_these_events() {
    let (events, _) = run(SocketType::Pub, &cases()[0].1, &[]);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Ready(_) => "ready",
            Event::Message(_) => "message",
            Event::Subscribe(_) => "subscribe",
            Event::Cancel(_) => "cancel",
            Event::AuthRequest(_) => "auth-request",
            Event::Closed(_) => "closed",
            _ => "unknown",
        })
        .collect();
    let expected = [
        "ready",
        "message",
        "subscribe",
        "subscribe",
        "cancel",
        "message",
        "cancel",
        "closed",
    ];
    assert_eq!(kinds, expected);
}

#[test]
fn one_byte_at_a_time_equals_all_at_once() {
    for (ours, input) in cases() {
        let whole = run(ours, &input, &[]);
        let cuts: Vec<usize> = (0..input.len()).collect();
        assert_eq!(run(ours, &input, &cuts), whole, "{ours}");
        let last = whole.0.last();
        assert!(
            matches!(last, Some(Event::Closed(ConnectionError::PeerError { .. }))),
            "{ours}: the conversation must parse to its final ERROR, got {last:?}"
        );
    }
}

proptest! {
    #[test]
    fn any_split_yields_the_same_events_and_output(
        which in 0usize..4,
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let (ours, input) = cases()[which].clone();
        prop_assert_eq!(run(ours, &input, &cuts), run(ours, &input, &[]));
    }

    /// Receivers that are not publishers (which keep subscriptions among messages with
    /// `handle_bytes`) get the same messages, events and output in bulk, for any split.
    #[test]
    fn bulk_decoding_yields_the_same_messages_and_events(
        which in 2usize..4,
        cuts in prop::collection::vec(any::<usize>(), 0..40),
    ) {
        let (ours, input) = cases()[which].clone();
        let (events, out) = run(ours, &input, &[]);
        let (messages, rest) = split_messages(events);
        let (bulk_messages, bulk_events, bulk_out) = run_bulk(ours, &input, &cuts);
        prop_assert!(!messages.is_empty());
        prop_assert_eq!(bulk_messages, messages);
        prop_assert_eq!(bulk_events, rest);
        prop_assert_eq!(bulk_out, out);
    }
}
