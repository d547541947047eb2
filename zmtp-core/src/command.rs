//! Commands (RFC 23 and RFC 37): READY, ERROR, SUBSCRIBE, CANCEL, PING, PONG, and the raw form
//! that mechanism commands (HELLO, WELCOME, INITIATE, ...) arrive in.
//!
//! A command body is `name-len:u8 name data`. (RFC 23's prose mentions a NUL separator; the
//! grammar, and every implementation, has none.)

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::Malformed;
use crate::frame::FrameHeader;
use crate::metadata::Metadata;

/// The most PING context bytes a PONG echoes (RFC 37).
pub const MAX_PING_CONTEXT: usize = 16;
/// ERROR reasons are at most 255 bytes; longer ones are truncated when sent.
pub const MAX_ERROR_REASON: usize = 255;

/// A command split into name and data, before interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommand {
    /// The command name, e.g. `b"READY"`.
    pub name: Bytes,
    /// Everything after the name.
    pub data: Bytes,
}

impl RawCommand {
    /// Splits a command frame's body.
    pub fn parse(mut body: Bytes) -> Result<RawCommand, Malformed> {
        let name_len = usize::from(*body.first().ok_or(Malformed::BadCommandFrame)?);
        if name_len == 0 || body.len() < 1 + name_len {
            return Err(Malformed::BadCommandFrame);
        }
        body.advance(1);
        let name = body.split_to(name_len);
        Ok(RawCommand { name, data: body })
    }

    /// The name as text, for errors and logs.
    pub fn name_lossy(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// The commands the connection itself understands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// End of handshake, with the sender's metadata.
    Ready(Metadata),
    /// A fatal error, with the reason.
    Error(Bytes),
    /// Subscribe to a topic prefix (ZMTP 3.1).
    Subscribe(Bytes),
    /// Cancel one subscription to a topic prefix (ZMTP 3.1).
    Cancel(Bytes),
    /// Heartbeat request.
    Ping {
        /// How long the peer may stay silent before closing, in deciseconds (0: no limit).
        ttl_deciseconds: u16,
        /// Opaque bytes to echo in the PONG (at most 16 are echoed).
        context: Bytes,
    },
    /// Heartbeat reply, echoing a PING's context.
    Pong(Bytes),
}

impl Command {
    /// The command's wire name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ready(_) => "READY",
            Command::Error(_) => "ERROR",
            Command::Subscribe(_) => "SUBSCRIBE",
            Command::Cancel(_) => "CANCEL",
            Command::Ping { .. } => "PING",
            Command::Pong(_) => "PONG",
        }
    }

    /// Interprets a raw command. `Ok(None)` means a name this module does not know (left to
    /// the mechanism, or ignored).
    pub fn from_raw(raw: &RawCommand) -> Result<Option<Command>, Malformed> {
        let data = raw.data.clone();
        let command = match &raw.name[..] {
            b"READY" => Command::Ready(Metadata::decode(data)?),
            b"ERROR" => {
                let len = usize::from(*data.first().ok_or(bad("ERROR"))?);
                if data.len() != 1 + len {
                    return Err(bad("ERROR"));
                }
                Command::Error(data.slice(1..))
            }
            b"SUBSCRIBE" => Command::Subscribe(data),
            b"CANCEL" => Command::Cancel(data),
            b"PING" => {
                if data.len() < 2 {
                    return Err(bad("PING"));
                }
                Command::Ping {
                    ttl_deciseconds: u16::from_be_bytes([data[0], data[1]]),
                    context: data.slice(2..),
                }
            }
            b"PONG" => Command::Pong(data),
            _ => return Ok(None),
        };
        Ok(Some(command))
    }

    /// Appends the whole command frame (header included).
    pub fn encode(&self, dst: &mut BytesMut) {
        let body_len = self.encoded_body_len();
        dst.reserve(9 + body_len);
        FrameHeader {
            more: false,
            command: true,
            size: body_len as u64,
        }
        .encode(dst);
        self.encode_body(dst);
    }

    /// Bytes [`encode_body`](Self::encode_body) writes.
    pub fn encoded_body_len(&self) -> usize {
        let data_len = match self {
            Command::Ready(m) => m.encoded_len(),
            Command::Error(reason) => 1 + reason.len().min(MAX_ERROR_REASON),
            Command::Subscribe(t) | Command::Cancel(t) => t.len(),
            Command::Ping { context, .. } => 2 + context.len(),
            Command::Pong(context) => context.len(),
        };
        1 + self.name().len() + data_len
    }

    /// Appends the command body without a frame header: `name-len name data`. CURVE seals this
    /// inside a MESSAGE.
    pub fn encode_body(&self, dst: &mut impl BufMut) {
        let name = self.name();
        dst.put_u8(name.len() as u8);
        dst.put_slice(name.as_bytes());
        match self {
            Command::Ready(m) => m.encode(dst),
            Command::Error(reason) => {
                let reason = &reason[..reason.len().min(MAX_ERROR_REASON)];
                dst.put_u8(reason.len() as u8);
                dst.put_slice(reason);
            }
            Command::Subscribe(t) | Command::Cancel(t) => dst.put_slice(t),
            Command::Ping {
                ttl_deciseconds,
                context,
            } => {
                dst.put_u16(*ttl_deciseconds);
                dst.put_slice(context);
            }
            Command::Pong(context) => dst.put_slice(context),
        }
    }
}

fn bad(command: &'static str) -> Malformed {
    Malformed::BadCommandBody { command }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{decode_frame, FrameLimits};
    use proptest::prelude::*;

    fn round_trip(c: &Command) -> Command {
        let mut buf = BytesMut::new();
        c.encode(&mut buf);
        let limits = FrameLimits {
            data: 0,
            command: u64::MAX,
        };
        let frame = decode_frame(&mut buf, limits).unwrap().unwrap();
        assert!(frame.command && !frame.more && buf.is_empty());
        let raw = RawCommand::parse(frame.body).unwrap();
        Command::from_raw(&raw).unwrap().unwrap()
    }

    #[test]
    fn ping_and_pong_bytes_are_exact() {
        let mut buf = BytesMut::new();
        Command::Ping {
            ttl_deciseconds: 10,
            context: Bytes::new(),
        }
        .encode(&mut buf);
        assert_eq!(&buf[..], b"\x04\x07\x04PING\x00\x0a");
        buf.clear();
        Command::Pong(Bytes::from_static(b"ctx")).encode(&mut buf);
        assert_eq!(&buf[..], b"\x04\x08\x04PONGctx");
    }

    #[test]
    fn error_reason_is_length_prefixed_and_truncated_at_255() {
        let mut buf = BytesMut::new();
        Command::Error(Bytes::from_static(b"no")).encode(&mut buf);
        assert_eq!(&buf[..], b"\x04\x09\x05ERROR\x02no");
        let long = Bytes::from(vec![b'x'; 300]);
        assert_eq!(
            round_trip(&Command::Error(long.clone())),
            Command::Error(long.slice(..255))
        );
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        let raw = |name: &'static [u8], data: &'static [u8]| RawCommand {
            name: Bytes::from_static(name),
            data: Bytes::from_static(data),
        };
        assert_eq!(
            Command::from_raw(&raw(b"PING", b"\x00")),
            Err(Malformed::BadCommandBody { command: "PING" })
        );
        assert_eq!(
            Command::from_raw(&raw(b"ERROR", b"\x05ab")),
            Err(Malformed::BadCommandBody { command: "ERROR" })
        );
        assert_eq!(Command::from_raw(&raw(b"HELLO", b"x")), Ok(None));
        assert_eq!(
            RawCommand::parse(Bytes::from_static(b"\x05REA")),
            Err(Malformed::BadCommandFrame)
        );
        assert_eq!(
            RawCommand::parse(Bytes::new()),
            Err(Malformed::BadCommandFrame)
        );
        assert_eq!(
            RawCommand::parse(Bytes::from_static(b"\x00")),
            Err(Malformed::BadCommandFrame)
        );
    }

    fn any_command() -> impl Strategy<Value = Command> {
        let bytes = || prop::collection::vec(any::<u8>(), 0..64).prop_map(Bytes::from);
        prop_oneof![
            prop::collection::btree_map(
                "[A-Za-z-]{1,12}",
                prop::collection::vec(any::<u8>(), 0..20),
                0..4
            )
            .prop_map(|props| {
                let mut m = Metadata::new();
                for (n, v) in props {
                    m.insert(n, v).unwrap();
                }
                Command::Ready(m)
            }),
            prop::collection::vec(any::<u8>(), 0..255).prop_map(|r| Command::Error(r.into())),
            bytes().prop_map(Command::Subscribe),
            bytes().prop_map(Command::Cancel),
            (any::<u16>(), prop::collection::vec(any::<u8>(), 0..17)).prop_map(|(ttl, c)| {
                Command::Ping {
                    ttl_deciseconds: ttl,
                    context: c.into(),
                }
            }),
            prop::collection::vec(any::<u8>(), 0..17).prop_map(|c| Command::Pong(c.into())),
        ]
    }

    proptest! {
        #[test]
        fn commands_round_trip(c in any_command()) {
            prop_assert_eq!(round_trip(&c), c);
        }
    }
}
