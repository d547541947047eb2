//! What zmtp sends in each scenario, and what must come back.

use zmtp_interop::END;
use zmtp_tokio::{Bytes, Message};

/// One mebibyte, the large-message size of the matrix.
const MIB: usize = 1 << 20;

/// Messages to send, each with whether it must come back (a publisher's filtered ones do not).
pub struct Script {
    /// In sending order.
    pub messages: Vec<(Message, bool)>,
}

impl Script {
    /// The messages that must come back, in order.
    pub fn expected(&self) -> Vec<Message> {
        self.messages
            .iter()
            .filter(|(_, back)| *back)
            .map(|(m, _)| m.clone())
            .collect()
    }
}

fn message(frames: &[&[u8]]) -> Message {
    frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
}

/// 1 MiB whose bytes depend on their position, so a lost or repeated chunk shows.
fn big() -> Bytes {
    (0..MIB)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// Multipart with empty frames, a message of one 0-byte frame, 1 MiB, then the end.
pub fn frames() -> Script {
    let mut last = message(&[b"", b"z"]);
    last.push(Bytes::from_static(END));
    Script {
        messages: vec![
            (message(&[b"", b"a", b"", b""]), true),
            (message(&[b""]), true),
            (Message::from(big()), true),
            (last, true),
        ],
    }
}

/// For a publisher: topics under `a.` (subscribed on both sides), `b.` (nobody subscribed:
/// zmtp's PUB filters it out) and `c.` (only the peer's SUB has it: the peer's PUB must filter
/// it out), with empty frames and 1 MiB.
pub fn frames_pubsub() -> Script {
    Script {
        messages: vec![
            (message(&[b"a.multi", b"", b"x", b""]), true),
            (message(&[b"b.filtered", b""]), false),
            (message(&[b"c.peer-only"]), false),
            (Message::new().with("a.big").with(big()), true),
            (message(&[b"a.", b""]), true),
            (message(&[END]), true),
        ],
    }
}

/// 10,000 numbered messages (topic `a.` first for a publisher), the last one ending with `END`.
pub fn ten_thousand(topic: bool) -> Script {
    let n = 10_000;
    let messages = (0..n)
        .map(|i| {
            let mut m = Message::from(if topic {
                format!("a.{i}")
            } else {
                i.to_string()
            });
            if i + 1 == n {
                m.push(Bytes::from_static(END));
            }
            (m, true)
        })
        .collect();
    Script { messages }
}

/// With an empty delimiter in front of every message (a DEALER talking to a REP).
pub fn delimited(script: Script) -> Script {
    let messages = script
        .messages
        .into_iter()
        .map(|(mut m, back)| {
            m.push_front(Bytes::new());
            (m, back)
        })
        .collect();
    Script { messages }
}
