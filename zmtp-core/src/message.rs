//! A ZeroMQ message: one or more frames of bytes, delivered and sent as a whole.

use bytes::Bytes;

/// An ordered list of frames. Frames are `Bytes`, so bodies are shared, never copied.
///
/// A single-frame message (the common case) is stored without a heap-allocated frame list.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Message {
    frames: Frames,
}

#[derive(Clone, PartialEq, Eq, Default)]
enum Frames {
    #[default]
    Empty,
    One(Bytes),
    Many(Vec<Bytes>),
}

impl Message {
    /// A message with no frames yet.
    pub const fn new() -> Message {
        Message {
            frames: Frames::Empty,
        }
    }

    /// Appends a frame.
    pub fn push(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        // The hot path: the first (often only) frame of a received message.
        if let Frames::Empty = self.frames {
            self.frames = Frames::One(frame);
            return;
        }
        self.frames = match std::mem::take(&mut self.frames) {
            Frames::Empty => Frames::One(frame),
            Frames::One(first) => Frames::Many(vec![first, frame]),
            Frames::Many(mut v) => {
                v.push(frame);
                Frames::Many(v)
            }
        };
    }

    /// Appends a frame and returns the message, so that frames of different types chain
    /// into one message: `Message::new().with("topic").with(vec![1, 2]).with(bytes)`.
    #[must_use]
    pub fn with(mut self, frame: impl Into<Bytes>) -> Message {
        self.push(frame);
        self
    }

    /// Prepends a frame (used for envelopes).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        self.frames = match std::mem::take(&mut self.frames) {
            Frames::Empty => Frames::One(frame),
            Frames::One(first) => Frames::Many(vec![frame, first]),
            Frames::Many(mut v) => {
                v.insert(0, frame);
                Frames::Many(v)
            }
        };
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        match &self.frames {
            Frames::Empty => &[],
            Frames::One(f) => std::slice::from_ref(f),
            Frames::Many(v) => v,
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames().len()
    }

    /// Whether the message has no frames.
    pub fn is_empty(&self) -> bool {
        matches!(self.frames, Frames::Empty)
    }

    /// Total body bytes over all frames.
    pub fn byte_len(&self) -> usize {
        match &self.frames {
            Frames::Empty => 0,
            Frames::One(f) => f.len(),
            Frames::Many(v) => v.iter().map(Bytes::len).sum(),
        }
    }

    /// The first frame, if any.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames().first()
    }

    /// Removes and returns the first frame.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match std::mem::take(&mut self.frames) {
            Frames::Empty => None,
            Frames::One(f) => Some(f),
            Frames::Many(mut v) => {
                let first = v.remove(0);
                self.frames = match v.len() {
                    0 => Frames::Empty,
                    1 => Frames::One(v.pop().expect("length checked")),
                    _ => Frames::Many(v),
                };
                Some(first)
            }
        }
    }

    /// Moves the frames to the end of `out` (without the vector a single frame would need
    /// for [`into_frames`](Self::into_frames)).
    pub fn append_frames_to(self, out: &mut Vec<Bytes>) {
        match self.frames {
            Frames::Empty => {}
            Frames::One(f) => out.push(f),
            Frames::Many(mut v) => out.append(&mut v),
        }
    }

    /// The frames as a vector.
    pub fn into_frames(self) -> Vec<Bytes> {
        match self.frames {
            Frames::Empty => Vec::new(),
            Frames::One(f) => vec![f],
            Frames::Many(v) => v,
        }
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.frames()).finish()
    }
}

impl From<Bytes> for Message {
    fn from(frame: Bytes) -> Self {
        Message {
            frames: Frames::One(frame),
        }
    }
}

impl From<&'static str> for Message {
    fn from(frame: &'static str) -> Self {
        Message::from(Bytes::from_static(frame.as_bytes()))
    }
}

impl From<&'static [u8]> for Message {
    fn from(frame: &'static [u8]) -> Self {
        Message::from(Bytes::from_static(frame))
    }
}

impl From<String> for Message {
    fn from(frame: String) -> Self {
        Message::from(Bytes::from(frame))
    }
}

impl From<Vec<u8>> for Message {
    fn from(frame: Vec<u8>) -> Self {
        Message::from(Bytes::from(frame))
    }
}

impl From<Vec<Bytes>> for Message {
    /// Keeps the vector (no allocation) when it holds several frames.
    fn from(mut frames: Vec<Bytes>) -> Self {
        let frames = match frames.len() {
            0 => Frames::Empty,
            1 => Frames::One(frames.pop().expect("length checked")),
            _ => Frames::Many(frames),
        };
        Message { frames }
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Message {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut m = Message::new();
        for f in iter {
            m.push(f);
        }
        m
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames().iter()
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = std::vec::IntoIter<Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_frames().into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_keep_order_through_every_representation() {
        let mut m = Message::new();
        assert!(m.is_empty());
        m.push("b");
        m.push("c");
        m.push_front("a");
        assert_eq!(m.frames(), ["a", "b", "c"]);
        assert_eq!(m.byte_len(), 3);
        assert_eq!(m.pop_front().as_deref(), Some(&b"a"[..]));
        assert_eq!(m.pop_front().as_deref(), Some(&b"b"[..]));
        assert_eq!(m.len(), 1);
        assert_eq!(m.pop_front().as_deref(), Some(&b"c"[..]));
        assert!(m.is_empty());
        assert_eq!(m.pop_front(), None);
    }

    #[test]
    fn from_a_vector_and_appending_frames_agree_with_push() {
        for n in 0..4 {
            let frames: Vec<Bytes> = (0..n).map(|i| Bytes::from(vec![i])).collect();
            let pushed: Message = frames.iter().cloned().collect();
            // Equality compares representations: a vector of one frame must become `One`.
            assert_eq!(Message::from(frames.clone()), pushed);
            let mut out = vec![Bytes::from_static(b"head")];
            pushed.append_frames_to(&mut out);
            assert_eq!(out[1..], frames[..]);
        }
    }

    #[test]
    fn collect_and_into_frames_agree() {
        let m: Message = ["x", "", "y"].into_iter().collect();
        assert_eq!(m.len(), 3);
        assert_eq!(m.clone().into_frames(), m.frames().to_vec());
    }
}
