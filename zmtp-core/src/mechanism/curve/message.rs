//! MESSAGE: every frame after a CURVE handshake, sealed one by one.
//!
//! ```text
//! body   = "\x07MESSAGE" short-nonce:u64be box        (at least 33 bytes)
//! box    = tag(16) + encrypted(flags:u8 + frame body)
//! flags  = bit 0 MORE, bit 1 COMMAND (PING, PONG, SUBSCRIBE, CANCEL, ERROR travel sealed too)
//! ```
//!
//! As libzmq 4.3 does, we send MESSAGE as a plain *message* frame with no flags at all: MORE
//! lives only inside the box (captured from libzmq 4.3.5: every MESSAGE frame of a multipart
//! message has wire flags 0). We accept MESSAGE with any wire flags, command and MORE
//! included, and only the sealed flags count. Short nonces continue the handshake's counters
//! and must strictly increase in each direction: a replayed or reordered MESSAGE is refused
//! before its box is opened.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::command::RawCommand;
use crate::connection::outbox::Outbox;
use crate::error::{AuthError, ConnectionError, Malformed};

use super::crypto::short_nonce;
use super::prefixed_box::{SessionKey, TAG_LEN};

/// MESSAGE's name, as it starts the command body.
const NAME: &[u8; 8] = b"\x07MESSAGE";
/// Bytes a MESSAGE adds to a frame body: name 8, nonce 8, tag 16, flags 1.
pub(crate) const MESSAGE_OVERHEAD: usize = NAME.len() + 8 + TAG_LEN + 1;
/// Where the tag starts and the encrypted part starts.
const TAG_AT: usize = NAME.len() + 8;
const SEALED_AT: usize = TAG_AT + TAG_LEN;

/// Sealed flag: more frames follow in this message.
const FLAG_MORE: u8 = 0x01;
/// Sealed flag: the frame is a command.
const FLAG_COMMAND: u8 = 0x02;

/// Nonce prefixes of MESSAGEs from each side.
pub(super) const CLIENT_PREFIX: &[u8; 16] = b"CurveZMQMESSAGEC";
pub(super) const SERVER_PREFIX: &[u8; 16] = b"CurveZMQMESSAGES";

/// One frame taken out of a MESSAGE.
pub(crate) struct Opened {
    pub(crate) more: bool,
    pub(crate) command: bool,
    pub(crate) payload: Bytes,
}

/// Seals our frames and opens the peer's, with the transient keys agreed in the handshake.
pub(crate) struct MessageCipher {
    /// The transient keys' precomputed box key, from the handshake (which sealed INITIATE and
    /// READY with it).
    session: SessionKey,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    /// Our next short nonce.
    next_nonce: u64,
    /// The peer's last accepted short nonce.
    peer_nonce: u64,
}

impl std::fmt::Debug for MessageCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageCipher")
            .field("next_nonce", &self.next_nonce)
            .field("peer_nonce", &self.peer_nonce)
            .finish_non_exhaustive()
    }
}

impl MessageCipher {
    /// A cipher for the client side (`is_client`) or the server side, continuing the short
    /// nonce counters where the handshake left them.
    pub(super) fn new(
        session: SessionKey,
        is_client: bool,
        next_nonce: u64,
        peer_nonce: u64,
    ) -> MessageCipher {
        let (send_prefix, recv_prefix) = if is_client {
            (CLIENT_PREFIX, SERVER_PREFIX)
        } else {
            (SERVER_PREFIX, CLIENT_PREFIX)
        };
        MessageCipher {
            session,
            send_prefix,
            recv_prefix,
            next_nonce,
            peer_nonce,
        }
    }

    /// Queues one frame, whose body is the concatenation of `parts`, as a MESSAGE. The body is
    /// written and encrypted in place in the outbox: one copy of the plaintext, no allocation.
    pub(crate) fn seal(&mut self, more: bool, command: bool, parts: &[&[u8]], out: &mut Outbox) {
        let nonce = self.next_nonce;
        // 2^64 frames cannot be sent in the lifetime of anything; reusing a nonce would be fatal
        // to confidentiality, so running out is a hard stop rather than a wrap.
        self.next_nonce = nonce.checked_add(1).expect("CURVE short nonces exhausted");
        let flags = if more { FLAG_MORE } else { 0 } | if command { FLAG_COMMAND } else { 0 };
        let len = MESSAGE_OVERHEAD + parts.iter().map(|p| p.len()).sum::<usize>();
        let full_nonce = short_nonce(self.send_prefix, nonce).into();
        let session = &self.session;
        out.push_frame_with(false, false, len, |buf| {
            let start = buf.len();
            buf.put_slice(NAME);
            buf.put_u64(nonce);
            buf.put_bytes(0, TAG_LEN);
            buf.put_u8(flags);
            for part in parts {
                buf.put_slice(part);
            }
            let (head, sealed) = buf[start..].split_at_mut(SEALED_AT);
            let tag = session.seal_in_place(&full_nonce, sealed);
            head[TAG_AT..].copy_from_slice(&tag);
        });
    }

    /// Opens one MESSAGE frame body, decrypting it in place.
    pub(crate) fn open(&mut self, mut body: BytesMut) -> Result<Opened, ConnectionError> {
        if !body.starts_with(NAME) {
            // Anything else after the handshake is a plaintext frame: a protocol error, named
            // after the command it claims to be when it parses as one.
            let raw = RawCommand::parse(body.freeze())?;
            return Err(super::super::unexpected(&raw));
        }
        if body.len() < MESSAGE_OVERHEAD {
            return Err(Malformed::BadCommandSize {
                command: "MESSAGE",
                size: body.len(),
            }
            .into());
        }
        let nonce = u64::from_be_bytes(body[NAME.len()..TAG_AT].try_into().expect("8 bytes"));
        if nonce <= self.peer_nonce {
            return Err(AuthError::NonceNotIncreasing {
                command: "MESSAGE",
                nonce,
                last: self.peer_nonce,
            }
            .into());
        }
        let (head, sealed) = body.split_at_mut(SEALED_AT);
        let tag: &[u8; TAG_LEN] = head[TAG_AT..].try_into().expect("TAG_LEN bytes");
        self.session
            .open_in_place(&short_nonce(self.recv_prefix, nonce).into(), sealed, tag)
            .map_err(|_| AuthError::BadBox { command: "MESSAGE" })?;
        self.peer_nonce = nonce;
        let flags = body[SEALED_AT];
        body.advance(SEALED_AT + 1);
        Ok(Opened {
            more: flags & FLAG_MORE != 0,
            command: flags & FLAG_COMMAND != 0,
            payload: body.freeze(),
        })
    }
}
