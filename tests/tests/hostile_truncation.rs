//! Every truncation of a valid conversation, against every socket type: a raw partner's
//! greeting, READY and one message (a SUBSCRIBE to a PUB), cut at every byte offset, then end
//! of stream. Each cut is reported as `HandshakeFailed` (before READY is complete) or
//! `Disconnected` (after), both with `PeerDisconnected` and `mid_message` set exactly when a
//! frame with MORE had been received; only the uncut conversation delivers its message, whole;
//! the good peer is served throughout.

use zmtp_tests::hostile::{for_each_kind, Arena, Dropped, Hostile, KINDS};
use zmtp_tests::over_tcp_and_ipc;
use zmtp_tests::raw_peer::{greeting, ready, COMMAND, MORE};
use zmtp_tests::socket_harness::Transport;
use zmtp_tokio::ConnectionError;

over_tcp_and_ipc!(every_truncation_of_a_conversation_ends_cleanly);

async fn every_truncation_of_a_conversation_ends_cleanly(t: Transport) {
    for_each_kind(KINDS, |kind| async move {
        let mut arena = Arena::default(kind, t).await;
        let mut conversation = greeting(1);
        conversation.extend_from_slice(&ready(kind.partner().name()));
        let handshake_len = conversation.len();
        // Offsets at which a frame with MORE is complete, and where the message ends.
        let mut more_ends = Vec::new();
        for frame in kind.conversation_tail() {
            conversation.extend_from_slice(&frame);
            if frame[0] & MORE != 0 && frame[0] & COMMAND == 0 {
                more_ends.push(conversation.len());
            }
        }
        for cut in 0..=conversation.len() {
            let mut raw = Hostile::connect(&arena.endpoint).await;
            raw.send(&conversation[..cut]).await.unwrap();
            raw.finish().await;
            let mid_message = more_ends.iter().any(|&end| cut >= end) && cut < conversation.len();
            let reason = ConnectionError::PeerDisconnected { mid_message };
            let expected = if cut < handshake_len {
                Dropped::handshake(reason)
            } else {
                Dropped::established(reason)
            };
            let got = arena.dropped().await;
            assert_eq!(got, expected, "cut at {cut} of {}", conversation.len());
            if cut % 16 == 0 {
                arena.exchange_beside_raw(1).await;
            }
        }
        let delivered: &[&str] = if kind.raw_frames(b"").is_some() {
            &["raw"]
        } else {
            &[]
        };
        arena.still_serves(delivered).await;
    })
    .await;
}
