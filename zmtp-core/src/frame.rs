//! Frame headers and the incremental frame decoder (RFC 23, "Framing").
//!
//! A frame is a flags byte, a size (1 byte, or 8 bytes big-endian when the LONG flag is set) and
//! a body. The decoder is stateless over the input buffer: it looks at the header, checks the
//! announced size against the caller's limit *before* waiting for the body, and only then takes
//! the body out of the buffer without copying it. It never reserves memory for a body that has
//! not arrived; the buffer holds at most what the transport has read.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{ConnectionError, Malformed, ProtocolViolation};

/// Bit 0: more frames follow in this message.
pub const FLAG_MORE: u8 = 0x01;
/// Bit 1: the size is 8 bytes long.
pub const FLAG_LONG: u8 = 0x02;
/// Bit 2: this frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;
/// Bits 3-7: reserved, must be zero. We reject frames that set them: no known peer does, and a
/// peer that does speaks a protocol extension we cannot understand.
pub const FLAGS_RESERVED: u8 = 0xF8;

/// Longest header: flags byte plus an 8-byte size.
pub const MAX_HEADER_LEN: usize = 9;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// More frames follow (ignored on commands, as libzmq does).
    pub more: bool,
    /// This frame is a command.
    pub command: bool,
    /// Body length in bytes.
    pub size: u64,
}

impl FrameHeader {
    /// Number of bytes [`encode`](Self::encode) writes: 2 for bodies up to 255 bytes, else 9.
    pub const fn encoded_len(&self) -> usize {
        if self.size <= 255 {
            2
        } else {
            9
        }
    }

    /// Writes the header in the shortest form.
    pub fn encode(&self, dst: &mut impl BufMut) {
        let mut flags = 0;
        if self.more {
            flags |= FLAG_MORE;
        }
        if self.command {
            flags |= FLAG_COMMAND;
        }
        if self.size <= 255 {
            dst.put_u8(flags);
            dst.put_u8(self.size as u8);
        } else {
            dst.put_u8(flags | FLAG_LONG);
            dst.put_u64(self.size);
        }
    }

    /// Parses a header from the start of `src`. `Ok(None)` means more bytes are needed.
    /// Returns the header and its length. A long size holding a small value is accepted.
    pub fn parse(src: &[u8]) -> Result<Option<(FrameHeader, usize)>, Malformed> {
        let Some(&flags) = src.first() else {
            return Ok(None);
        };
        if flags & FLAGS_RESERVED != 0 {
            return Err(Malformed::ReservedFlags(flags));
        }
        let (size, len) = if flags & FLAG_LONG != 0 {
            let Some(raw) = src.get(1..9) else {
                return Ok(None);
            };
            let raw: [u8; 8] = raw.try_into().expect("slice of 8");
            (u64::from_be_bytes(raw), 9)
        } else {
            let Some(&size) = src.get(1) else {
                return Ok(None);
            };
            (u64::from(size), 2)
        };
        let header = FrameHeader {
            more: flags & FLAG_MORE != 0,
            command: flags & FLAG_COMMAND != 0,
            size,
        };
        Ok(Some((header, len)))
    }
}

/// A complete frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// More frames follow in this message.
    pub more: bool,
    /// This frame is a command.
    pub command: bool,
    /// The body, sharing the input buffer's memory.
    pub body: Bytes,
}

/// Size limits the decoder enforces on headers, before any body byte is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest data frame body accepted now (what is left of the message budget).
    pub data: u64,
    /// Largest command frame body accepted.
    pub command: u64,
}

/// Takes the next complete frame out of `src`, leaving a partial frame in place.
///
/// Errors on reserved flags or on a size over the limit as soon as the header is complete.
pub fn decode_frame(
    src: &mut BytesMut,
    limits: FrameLimits,
) -> Result<Option<Frame>, ConnectionError> {
    Ok(decode_frame_mut(src, limits)?.map(|frame| Frame {
        more: frame.more,
        command: frame.command,
        body: frame.body.freeze(),
    }))
}

/// A complete frame whose body is still mutable: CURVE decrypts MESSAGE bodies in place.
#[derive(Debug)]
pub(crate) struct FrameMut {
    pub(crate) more: bool,
    pub(crate) command: bool,
    pub(crate) body: BytesMut,
}

/// [`decode_frame`], handing the body over as `BytesMut` (split off `src`, not copied).
#[inline]
pub(crate) fn decode_frame_mut(
    src: &mut BytesMut,
    limits: FrameLimits,
) -> Result<Option<FrameMut>, ConnectionError> {
    let Some((header, header_len)) = FrameHeader::parse(src)? else {
        return Ok(None);
    };
    let limit = if header.command {
        limits.command
    } else {
        limits.data
    };
    if header.size > limit {
        return Err(ProtocolViolation::TooLarge {
            announced: header.size,
            limit,
            command: header.command,
        }
        .into());
    }
    // `size <= limit` and the limit fits in memory terms, so the cast cannot truncate on 64-bit;
    // on 32-bit a limit above usize::MAX is clamped by the comparison below.
    let body_len = usize::try_from(header.size).unwrap_or(usize::MAX);
    if src.len() - header_len < body_len {
        return Ok(None);
    }
    src.advance(header_len);
    let body = src.split_to(body_len);
    Ok(Some(FrameMut {
        more: header.more,
        command: header.command,
        body,
    }))
}

/// Number of bytes the next frame in `src` still needs, if its header is complete.
/// Lets a driver size one read for a large body instead of many small ones.
pub fn bytes_needed(src: &[u8]) -> Option<usize> {
    let (header, len) = FrameHeader::parse(src).ok()??;
    let total = (len as u64).saturating_add(header.size);
    let missing = total.saturating_sub(src.len() as u64);
    usize::try_from(missing).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NO_LIMIT: FrameLimits = FrameLimits {
        data: u64::MAX,
        command: u64::MAX,
    };

    fn encode(more: bool, command: bool, body: &[u8]) -> BytesMut {
        let mut buf = BytesMut::new();
        FrameHeader {
            more,
            command,
            size: body.len() as u64,
        }
        .encode(&mut buf);
        buf.extend_from_slice(body);
        buf
    }

    #[test]
    fn short_frame_bytes_are_exact() {
        assert_eq!(&encode(false, false, b"hi")[..], b"\x00\x02hi");
        assert_eq!(&encode(true, false, b"")[..], b"\x01\x00");
        assert_eq!(&encode(false, true, b"\x04PING")[..], b"\x04\x05\x04PING");
    }

    #[test]
    fn long_frame_bytes_are_exact() {
        let body = vec![7u8; 256];
        let buf = encode(true, false, &body);
        assert_eq!(&buf[..9], b"\x03\x00\x00\x00\x00\x00\x00\x01\x00");
        assert_eq!(buf.len(), 9 + 256);
        let mut src = buf.clone();
        let frame = decode_frame(&mut src, NO_LIMIT).unwrap().unwrap();
        assert!(frame.more && !frame.command);
        assert_eq!(&frame.body[..], &body[..]);
        assert!(src.is_empty());
    }

    #[test]
    fn long_size_holding_a_small_value_is_accepted() {
        let mut src = BytesMut::from(&b"\x02\x00\x00\x00\x00\x00\x00\x00\x03abc"[..]);
        let frame = decode_frame(&mut src, NO_LIMIT).unwrap().unwrap();
        assert_eq!(&frame.body[..], b"abc");
    }

    #[test]
    fn reserved_flag_bits_are_rejected() {
        for bit in 3..8 {
            let mut src = BytesMut::from(&[1u8 << bit, 0][..]);
            assert_eq!(
                decode_frame(&mut src, NO_LIMIT),
                Err(Malformed::ReservedFlags(1 << bit).into())
            );
        }
    }

    #[test]
    fn oversized_header_is_rejected_before_the_body_arrives() {
        // 2^63 - 1 announced, nothing else sent: refused on the 9 header bytes alone.
        let mut src = BytesMut::from(&b"\x02\x7f\xff\xff\xff\xff\xff\xff\xff"[..]);
        let limits = FrameLimits {
            data: 1 << 20,
            command: 1 << 10,
        };
        assert_eq!(
            decode_frame(&mut src, limits),
            Err(ProtocolViolation::TooLarge {
                announced: i64::MAX as u64,
                limit: 1 << 20,
                command: false
            }
            .into())
        );
    }

    #[test]
    fn partial_input_is_not_an_error_and_is_left_in_place() {
        let full = encode(false, false, b"hello");
        for cut in 0..full.len() {
            let mut src = BytesMut::from(&full[..cut]);
            assert_eq!(decode_frame(&mut src, NO_LIMIT), Ok(None));
            assert_eq!(src.len(), cut);
        }
        assert_eq!(bytes_needed(&full[..3]), Some(4));
        assert_eq!(bytes_needed(&full[..1]), None);
    }

    proptest! {
        #[test]
        fn frames_round_trip(frames in prop::collection::vec(
            (any::<bool>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..600)), 0..8)
        ) {
            let mut src = BytesMut::new();
            for (more, command, body) in &frames {
                src.extend_from_slice(&encode(*more, *command, body));
            }
            for (more, command, body) in &frames {
                let f = decode_frame(&mut src, NO_LIMIT).unwrap().unwrap();
                prop_assert_eq!(f.more, *more);
                prop_assert_eq!(f.command, *command);
                prop_assert_eq!(&f.body[..], &body[..]);
            }
            prop_assert!(src.is_empty());
        }

        #[test]
        fn headers_round_trip(more: bool, command: bool, size: u64) {
            let h = FrameHeader { more, command, size };
            let mut buf = Vec::new();
            h.encode(&mut buf);
            prop_assert_eq!(buf.len(), h.encoded_len());
            prop_assert_eq!(FrameHeader::parse(&buf), Ok(Some((h, buf.len()))));
        }
    }
}
