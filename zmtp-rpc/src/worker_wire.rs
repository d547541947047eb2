//! The broker's backend protocol (docs/RPC.md, "Broker"): what a [`Worker`](crate::Worker)
//! and a [`Broker`](crate::Broker) say to each other over DEALER to ROUTER.
//!
//! ```text
//! ["", "ZRPW1", 0x01]                           READY      worker to broker
//! ["", "ZRPW1", 0x02]                           HEARTBEAT  both ways
//! ["", "ZRPW1", 0x03, ticket, "", "ZRPC1", ...] REQUEST    broker to worker (a ZRPC1 request)
//! ["", "ZRPW1", 0x04, ticket, "", "ZRPC1", ...] REPLY      worker to broker (a ZRPC1 reply)
//! ["", "ZRPW1", 0x05]                           DISCONNECT worker to broker
//! ```
//!
//! A request or reply is the client's ZRPC1 message with the broker's 8-byte ticket as its
//! only routing frame: the worker reuses the client codec, and never sees the client's route,
//! so that a reply can only answer the dispatch the broker made (it checks the ticket).

use bytes::Bytes;
use zmtp_tokio::Message;

use crate::wire::{self, Malformed, WireReply, WireRequest};

/// The backend's protocol frame, distinct from the clients' `ZRPC1` so that a client
/// connected to the backend by mistake (or a worker to the frontend) is discarded as
/// malformed instead of misread.
pub(crate) const PROTOCOL: &[u8] = b"ZRPW1";

const READY: u8 = 0x01;
const HEARTBEAT: u8 = 0x02;
const REQUEST: u8 = 0x03;
const REPLY: u8 = 0x04;
const DISCONNECT: u8 = 0x05;

/// One backend message, without the ROUTER's routing frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// The worker takes requests (again).
    Ready,
    /// The sender is alive.
    Heartbeat,
    /// A request for the worker, under the broker's ticket.
    Request(u64, WireRequest),
    /// The worker's reply to the request with that ticket.
    Reply(u64, WireReply),
    /// The worker leaves: what it has not answered is lost.
    Disconnect,
}

/// Reads a backend message (the routing frame, if any, already taken off).
pub(crate) fn decode(message: Message) -> Result<Command, Malformed> {
    let mut frames = message.into_frames();
    if frames.len() < 3 || !frames[0].is_empty() {
        return Err(Malformed::NoDelimiter);
    }
    if frames[1].as_ref() != PROTOCOL {
        return Err(Malformed::Protocol);
    }
    let rest: Message = frames.split_off(3).into_iter().collect();
    let command = match frames[2].as_ref() {
        [command] => *command,
        _ => return Err(Malformed::FrameCount),
    };
    let bare = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(Malformed::FrameCount)
        }
    };
    match command {
        READY => bare(Command::Ready),
        HEARTBEAT => bare(Command::Heartbeat),
        DISCONNECT => bare(Command::Disconnect),
        REQUEST => {
            let mut request = wire::decode_request(rest)?;
            let ticket = ticket_of(&request.envelope)?;
            request.envelope.clear();
            Ok(Command::Request(ticket, request))
        }
        REPLY => {
            let mut reply = wire::decode_reply(rest)?;
            let ticket = ticket_of(&reply.envelope)?;
            reply.envelope.clear();
            Ok(Command::Reply(ticket, reply))
        }
        _ => Err(Malformed::FrameCount),
    }
}

/// The ticket an envelope of exactly one 8-byte frame names.
fn ticket_of(envelope: &[Bytes]) -> Result<u64, Malformed> {
    match envelope {
        [ticket] => <[u8; 8]>::try_from(ticket.as_ref())
            .map(u64::from_be_bytes)
            .map_err(|_| Malformed::Id),
        _ => Err(Malformed::Id),
    }
}

/// Writes a backend message (the broker puts the worker's routing frame in front).
pub(crate) fn encode(command: Command) -> Message {
    let ticket = |t: u64| vec![Bytes::copy_from_slice(&t.to_be_bytes())];
    let (code, rest) = match command {
        Command::Ready => (READY, Message::new()),
        Command::Heartbeat => (HEARTBEAT, Message::new()),
        Command::Disconnect => (DISCONNECT, Message::new()),
        Command::Request(t, request) => (
            REQUEST,
            wire::encode_request(WireRequest {
                envelope: ticket(t),
                ..request
            }),
        ),
        Command::Reply(t, reply) => (
            REPLY,
            wire::encode_reply(WireReply {
                envelope: ticket(t),
                ..reply
            }),
        ),
    };
    let mut message = Message::new()
        .with(Bytes::new())
        .with(Bytes::from_static(PROTOCOL))
        .with(Bytes::copy_from_slice(&[code]));
    for frame in rest.into_frames() {
        message.push(frame);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Status;
    use proptest::prelude::*;

    #[test]
    fn every_command_reads_back_as_written() {
        let request = WireRequest {
            envelope: vec![],
            id: [3; 8],
            deadline_ms: 9,
            method: "m".to_owned(),
            body: Bytes::from_static(b"b"),
            idempotent: true,
        };
        let reply = WireReply {
            envelope: vec![],
            id: [3; 8],
            status: Status::WorkerLost,
            body: Bytes::new(),
        };
        for command in [
            Command::Ready,
            Command::Heartbeat,
            Command::Disconnect,
            Command::Request(u64::MAX, request),
            Command::Reply(1, reply),
        ] {
            assert_eq!(decode(encode(command.clone())), Ok(command));
        }
    }

    #[test]
    fn a_client_message_is_not_a_backend_message() {
        let request = wire::encode_request(WireRequest {
            envelope: vec![],
            id: [0; 8],
            deadline_ms: 0,
            method: "m".to_owned(),
            body: Bytes::new(),
            idempotent: false,
        });
        assert!(decode(request).is_err());
        let ready_with_more = encode(Command::Ready).with("x");
        assert_eq!(decode(ready_with_more), Err(Malformed::FrameCount));
    }

    proptest! {
        /// Hostile input: any frames at all decode to a value or an error, never a panic.
        #[test]
        fn arbitrary_frames_never_panic(frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..10), 0..12)) {
            let _ = decode(frames.into_iter().map(Bytes::from).collect());
        }
    }
}
