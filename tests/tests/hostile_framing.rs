//! Hostile raw peers after a valid handshake, against every socket type: reserved flag bits, a
//! frame header announcing 2^63-1 (or 2^64-1) bytes, a command larger than any legal command,
//! malformed commands, a second READY, ERROR, unknown commands (ignored), and a flood of
//! messages just under `max_message_size`. Each bad connection is dropped with `Disconnected`
//! and a typed reason; what the raw peer sent before its offence is still delivered; the subject
//! keeps serving a well-behaved peer.

use zmtp_core::error::{Malformed, ProtocolViolation};
use zmtp_core::MAX_COMMAND_SIZE;
use zmtp_tests::hostile::{
    encoded_message, for_each_kind, hostile_options, refused, Arena, Dropped, Hostile, Kind, KINDS,
};
use zmtp_tests::over_tcp_and_ipc;
use zmtp_tests::raw_peer::{command, frame, greeting, ready, COMMAND, LONG, MORE};
use zmtp_tests::socket_harness::Transport;
use zmtp_tokio::{ConnectionError, Options};

over_tcp_and_ipc!(
    reserved_flag_bits_are_refused_in_the_handshake_and_after,
    a_header_announcing_2_pow_63_bytes_is_refused_before_any_body,
    a_command_larger_than_any_legal_command_is_refused_on_its_header,
    malformed_commands_are_refused,
    a_second_ready_or_an_error_ends_the_connection,
    unknown_commands_are_ignored_up_to_the_command_limit,
    a_flood_of_messages_just_under_the_limit_is_delivered_then_the_limit_enforced,
    endless_empty_frames_are_refused_on_the_frame_count,
);

/// A raw partner connects, completes the handshake, sends one message the subject delivers
/// (`raw1`, for kinds that receive unasked), then `offence`; it must be dropped for `expected`,
/// `raw1` delivered and the good peer still served.
async fn dropped_after(kind: Kind, t: Transport, offence: &[u8], expected: Dropped) {
    dropped_after_with(kind, t, hostile_options(), offence, expected).await;
}

async fn dropped_after_with(
    kind: Kind,
    t: Transport,
    options: Options,
    offence: &[u8],
    expected: Dropped,
) {
    let mut arena = Arena::start(kind, t, options).await;
    let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
    let mut bytes = Vec::new();
    let raw1 = kind.raw_frames(b"raw1");
    if let Some(frames) = &raw1 {
        bytes.extend_from_slice(&encoded_message(frames));
    }
    bytes.extend_from_slice(offence);
    let _ = raw.send(&bytes).await;
    arena.expect_dropped(expected).await;
    raw.finish().await;
    let extra: &[&str] = if raw1.is_some() { &["raw1"] } else { &[] };
    arena.still_serves(extra).await;
}

/// A frame header with the LONG flag and `size`, followed by a few body bytes.
fn long_header(flags: u8, size: u64) -> Vec<u8> {
    let mut bytes = vec![flags | LONG];
    bytes.extend_from_slice(&size.to_be_bytes());
    bytes.extend_from_slice(b"a few body bytes");
    bytes
}

async fn reserved_flag_bits_are_refused_in_the_handshake_and_after(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        for bit in 3..8 {
            let flags = 1u8 << bit;
            let expected = Dropped::established(Malformed::ReservedFlags(flags));
            dropped_after(kind, t, &frame(flags, b"data"), expected).await;
        }
        // On the READY itself.
        let mut hello = greeting(1);
        let mut bad_ready = ready(kind.partner().name());
        bad_ready[0] |= 0x80;
        hello.extend_from_slice(&bad_ready);
        let expected = Dropped::handshake(Malformed::ReservedFlags(COMMAND | 0x80));
        refused(kind, t, hello, expected).await;
    })
    .await;
}

async fn a_header_announcing_2_pow_63_bytes_is_refused_before_any_body(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let limit = zmtp_core::DEFAULT_MAX_MESSAGE_SIZE;
        for announced in [i64::MAX as u64, u64::MAX] {
            let expected = Dropped::established(ProtocolViolation::TooLarge {
                announced,
                limit,
                command: false,
            });
            dropped_after(kind, t, &long_header(0, announced), expected).await;
            let expected = Dropped::established(ProtocolViolation::TooLarge {
                announced,
                limit: MAX_COMMAND_SIZE,
                command: true,
            });
            dropped_after(kind, t, &long_header(COMMAND, announced), expected).await;
        }
        // The same as the first command of the handshake.
        let mut hello = greeting(1);
        hello.extend_from_slice(&long_header(COMMAND, i64::MAX as u64));
        let expected = Dropped::handshake(ProtocolViolation::TooLarge {
            announced: i64::MAX as u64,
            limit: MAX_COMMAND_SIZE,
            command: true,
        });
        refused(kind, t, hello, expected).await;
    })
    .await;
}

/// A command one byte over the 64 KiB command limit, body and all: refused on the header, in
/// the handshake (a giant READY) and after it.
async fn a_command_larger_than_any_legal_command_is_refused_on_its_header(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let too_large = ProtocolViolation::TooLarge {
            announced: MAX_COMMAND_SIZE + 1,
            limit: MAX_COMMAND_SIZE,
            command: true,
        };
        // Body: name length, name, data.
        let data = vec![b'x'; MAX_COMMAND_SIZE as usize + 1 - 1 - "X-HUGE".len()];
        let offence = command("X-HUGE", &data);
        dropped_after(kind, t, &offence, Dropped::established(too_large.clone())).await;
        // READY padded with a property to one byte over the limit.
        let name = kind.partner().name();
        let fixed = 1 + "READY".len() + (1 + 11 + 4 + name.len()) + (1 + "X-Pad".len() + 4);
        let padding = vec![b'p'; MAX_COMMAND_SIZE as usize + 1 - fixed];
        let mut hello = greeting(1);
        hello.extend_from_slice(&zmtp_tests::raw_peer::ready_with(&[
            ("Socket-Type", name.as_bytes()),
            ("X-Pad", &padding),
        ]));
        refused(kind, t, hello, Dropped::handshake(too_large)).await;
    })
    .await;
}

async fn malformed_commands_are_refused(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let cases: Vec<(Vec<u8>, ConnectionError)> = vec![
            (frame(COMMAND, b""), Malformed::BadCommandFrame.into()),
            (
                frame(COMMAND, b"\x09PING"),
                Malformed::BadCommandFrame.into(),
            ),
            (
                command("PING", b"\x00"),
                Malformed::BadCommandBody { command: "PING" }.into(),
            ),
            (
                command("ERROR", b"\x09short"),
                Malformed::BadCommandBody { command: "ERROR" }.into(),
            ),
        ];
        for (offence, error) in cases {
            dropped_after(kind, t, &offence, Dropped::established(error)).await;
        }
    })
    .await;
}

async fn a_second_ready_or_an_error_ends_the_connection(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let again = ready(kind.partner().name());
        let expected = ProtocolViolation::UnexpectedCommand("READY".into());
        dropped_after(kind, t, &again, Dropped::established(expected)).await;
        let error = command("ERROR", b"\x07go away");
        let expected = ConnectionError::PeerError {
            reason: "go away".into(),
        };
        dropped_after(kind, t, &error, Dropped::established(expected)).await;
    })
    .await;
}

/// Commands nobody defines are ignored after the handshake, as libzmq does, even at exactly
/// the command limit; the connection stays and what follows is delivered. Ending the stream
/// then is a clean `PeerDisconnected`.
async fn unknown_commands_are_ignored_up_to_the_command_limit(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let mut arena = Arena::default(kind, t).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        let at_limit = vec![b'u'; MAX_COMMAND_SIZE as usize - 1 - "X-BIG".len()];
        let mut bytes = command("X-SMALL", b"data");
        bytes.extend_from_slice(&command("X-BIG", &at_limit));
        let raw1 = kind.raw_frames(b"raw1");
        if let Some(frames) = &raw1 {
            bytes.extend_from_slice(&encoded_message(frames));
        }
        raw.send(&bytes).await.unwrap();
        raw.ping(b"alive").await;
        arena.exchange_beside_raw(3).await;
        let raw_and_good = 1 + usize::from(arena.good_connected());
        assert_eq!(arena.subject.connected_peers(), raw_and_good);
        arena.ends_cleanly(raw).await;
        let extra: &[&str] = if raw1.is_some() { &["raw1"] } else { &[] };
        arena.still_serves(extra).await;
    })
    .await;
}

/// With `max_message_size` 16 KiB: 64 messages of 16 KiB - 1 bytes (two frames for kinds whose
/// messages carry an envelope), then one of 16 KiB + 1. The first 64 are all delivered, in
/// order, while the good peer is served; the last drops the peer on its header.
async fn a_flood_of_messages_just_under_the_limit_is_delivered_then_the_limit_enforced(
    t: Transport,
) {
    const MAX: usize = 16 * 1024;
    const COUNT: usize = 64;
    for_each_kind(KINDS, |kind| async move {
        let options = hostile_options().max_message_size(Some(MAX as u64));
        let mut arena = Arena::start(kind, t, options).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        let body = |i: usize, len: usize| {
            let mut b = format!("flood{i:03}-").into_bytes();
            b.resize(len, b'f');
            b
        };
        let frames_of = |b: Vec<u8>| kind.raw_frames(&b).unwrap_or_else(|| vec![b]);
        let mut flood = Vec::new();
        for i in 0..COUNT {
            flood.extend_from_slice(&encoded_message(&frames_of(body(i, MAX - 1))));
        }
        let over = frames_of(body(COUNT, MAX + 1));
        flood.extend_from_slice(&encoded_message(&over));
        let writer = tokio::spawn(async move {
            let _ = raw.send(&flood).await;
            raw
        });
        arena.exchange_beside_raw(5).await;
        let expected = Dropped::established(ProtocolViolation::TooLarge {
            announced: MAX as u64 + 1,
            limit: MAX as u64,
            command: false,
        });
        if kind.receives() {
            // Delivered whole and in order, before the connection is dropped.
            let got: Vec<(String, usize)> = arena
                .raw_messages(COUNT)
                .await
                .into_iter()
                .map(|m| (m[..9].to_owned(), m.len()))
                .collect();
            let expected: Vec<(String, usize)> = (0..COUNT)
                .map(|i| (format!("flood{i:03}-"), MAX - 1))
                .collect();
            assert_eq!(got, expected);
        }
        arena.expect_dropped(expected).await;
        let raw = writer.await.unwrap();
        raw.finish().await;
        arena.still_serves(&[]).await;
    })
    .await;
}

/// Empty frames use none of the size budget; a message may carry `max_message_size / 32` frames
/// (2048 for 64 KiB). A message of exactly 2048 frames is delivered whole; one that goes on is
/// refused on frame 2049, before it is stored.
async fn endless_empty_frames_are_refused_on_the_frame_count(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let options = hostile_options().max_message_size(Some(64 * 1024));
        let limit = zmtp_core::max_frames_per_message(Some(64 * 1024));
        assert_eq!(limit, 2048);
        let mut arena = Arena::start(kind, t, options).await;
        let mut raw = Hostile::connect_as(&arena.endpoint, kind.partner()).await;
        let mut bytes = frame(MORE, b"").repeat(limit as usize - 1);
        bytes.extend_from_slice(&frame(0, b"frame 2048"));
        bytes.extend_from_slice(&frame(MORE, b"").repeat(limit as usize * 4));
        let _ = raw.send(&bytes).await;
        arena.exchange_beside_raw(3).await;
        if kind.raw_frames(b"").is_some() {
            assert_eq!(arena.raw_messages(1).await, ["frame 2048"]);
        }
        let expected = Dropped::established(ProtocolViolation::TooManyFrames { limit });
        arena.expect_dropped(expected).await;
        raw.finish().await;
        arena.still_serves(&[]).await;
    })
    .await;
}
