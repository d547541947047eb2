//! The send side: bytes waiting to be written, in order.
//!
//! Headers and small bodies are copied into one growing batch buffer, so that many small
//! messages leave in one write. Bodies above [`INLINE_BODY_MAX`] are not copied: the batch so far
//! is cut off and the body's own `Bytes` is queued behind it, ready for a vectored write.

use std::collections::VecDeque;

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::Command;
use crate::frame::FrameHeader;

/// Bodies up to this size are copied into the batch; larger ones are passed through.
pub(crate) const INLINE_BODY_MAX: usize = 2048;

/// Initial capacity of the batch buffer.
const BATCH_CAPACITY: usize = 8 * 1024;

/// Bytes waiting for the transport.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// Chunks ready to go, all before `batch` in stream order.
    chunks: VecDeque<Bytes>,
    /// The batch being filled; goes after every chunk.
    batch: BytesMut,
    /// Total bytes in `chunks` and `batch`.
    pending: usize,
}

impl Outbox {
    pub(crate) fn push_raw(&mut self, bytes: &[u8]) {
        self.reserve_batch(bytes.len());
        self.batch.put_slice(bytes);
        self.pending += bytes.len();
    }

    pub(crate) fn push_command(&mut self, command: &Command) {
        let before = self.batch.len();
        self.reserve_batch(64);
        command.encode(&mut self.batch);
        self.pending += self.batch.len() - before;
    }

    /// Queues one frame; `body` is shared, not copied, when it is large.
    pub(crate) fn push_frame(&mut self, more: bool, command: bool, body: &Bytes) {
        let header = FrameHeader {
            more,
            command,
            size: body.len() as u64,
        };
        let inline = body.len() <= INLINE_BODY_MAX;
        self.reserve_batch(header.encoded_len() + if inline { body.len() } else { 0 });
        header.encode(&mut self.batch);
        self.pending += header.encoded_len() + body.len();
        if inline {
            self.batch.put_slice(body);
        } else {
            self.chunks.push_back(self.batch.split().freeze());
            self.chunks.push_back(body.clone());
        }
    }

    /// Queues one frame whose body `write` appends to the buffer it is given: exactly `len`
    /// bytes. For bodies that exist nowhere else yet (mechanism commands, sealed CURVE
    /// messages): they are built in place in the batch, with no intermediate buffer.
    pub(crate) fn push_frame_with(
        &mut self,
        more: bool,
        command: bool,
        len: usize,
        write: impl FnOnce(&mut BytesMut),
    ) {
        let header = FrameHeader {
            more,
            command,
            size: len as u64,
        };
        self.reserve_batch(header.encoded_len() + len);
        header.encode(&mut self.batch);
        let start = self.batch.len();
        write(&mut self.batch);
        debug_assert_eq!(
            self.batch.len() - start,
            len,
            "frame body of the wrong size"
        );
        self.pending += header.encoded_len() + len;
    }

    /// Queues a frame whose body is `prefix` followed by `rest`, copying both (small frames only,
    /// e.g. legacy subscription messages).
    pub(crate) fn push_prefixed_frame(&mut self, prefix: u8, rest: &[u8]) {
        let header = FrameHeader {
            more: false,
            command: false,
            size: 1 + rest.len() as u64,
        };
        let len = header.encoded_len() + 1 + rest.len();
        self.reserve_batch(len);
        header.encode(&mut self.batch);
        self.batch.put_u8(prefix);
        self.batch.put_slice(rest);
        self.pending += len;
    }

    fn reserve_batch(&mut self, additional: usize) {
        if self.batch.capacity() - self.batch.len() < additional {
            self.batch.reserve(additional.max(BATCH_CAPACITY));
        }
    }

    /// The next chunk to write, in stream order.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        let chunk = match self.chunks.pop_front() {
            Some(chunk) => chunk,
            None if !self.batch.is_empty() => self.batch.split().freeze(),
            None => return None,
        };
        self.pending -= chunk.len();
        Some(chunk)
    }

    /// Bytes queued and not yet taken by [`pop`](Self::pop).
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(o: &mut Outbox) -> Vec<u8> {
        let mut all = Vec::new();
        while let Some(c) = o.pop() {
            all.extend_from_slice(&c);
        }
        assert_eq!(o.pending(), 0);
        all
    }

    #[test]
    fn small_frames_share_one_chunk_and_large_bodies_pass_through() {
        let mut o = Outbox::default();
        o.push_frame(true, false, &Bytes::from_static(b"a"));
        o.push_frame(false, false, &Bytes::from_static(b"b"));
        assert_eq!(o.pending(), 6);
        assert_eq!(&o.pop().unwrap()[..], b"\x01\x01a\x00\x01b");
        assert!(o.pop().is_none());

        let big = Bytes::from(vec![9u8; INLINE_BODY_MAX + 1]);
        o.push_raw(b"x");
        o.push_frame(false, false, &big);
        o.push_raw(b"y");
        let first = o.pop().unwrap();
        assert_eq!(&first[..1], b"x");
        let body = o.pop().unwrap();
        assert_eq!(body.as_ptr(), big.as_ptr(), "large body must not be copied");
        assert_eq!(&o.pop().unwrap()[..], b"y");
    }

    #[test]
    fn bodies_written_in_place_get_their_header() {
        let mut o = Outbox::default();
        o.push_frame_with(true, false, 3, |b| b.put_slice(b"abc"));
        o.push_frame_with(false, true, 300, |b| b.put_bytes(7, 300));
        let all = drain(&mut o);
        assert_eq!(&all[..5], b"\x01\x03abc");
        assert_eq!(&all[5..14], b"\x06\x00\x00\x00\x00\x00\x00\x01\x2c");
        assert_eq!(all.len(), 14 + 300);
    }

    #[test]
    fn stream_order_is_preserved() {
        let mut o = Outbox::default();
        let big = Bytes::from(vec![1u8; 5000]);
        o.push_prefixed_frame(1, b"topic");
        o.push_frame(false, false, &big);
        o.push_frame(false, false, &Bytes::from_static(b"z"));
        let mut expected = b"\x00\x06\x01topic\x02\x00\x00\x00\x00\x00\x00\x13\x88".to_vec();
        expected.extend_from_slice(&big);
        expected.extend_from_slice(b"\x00\x01z");
        assert_eq!(drain(&mut o), expected);
    }
}
