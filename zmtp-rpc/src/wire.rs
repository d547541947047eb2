//! The wire format (docs/RPC.md): plain ZMTP frames, so that any ZeroMQ peer can speak it.
//!
//! ```text
//! request: [envelope..., "", "ZRPC1", id (8 bytes), deadline (u64 BE ms since the epoch, 0 = none), method, body, (flags)]
//! reply:   [envelope..., "", "ZRPC1", id (8 bytes), status (1 byte), body]
//! ```
//!
//! Every field has a fixed place and, where it has one, a fixed size: a message that does not
//! match exactly is rejected as a whole (the caller counts it and drops it), never guessed at.
//! Decoding never panics: it only compares lengths and copies bytes.

use bytes::Bytes;
use zmtp_tokio::Message;

/// The protocol frame: names the format and its version, so that a later incompatible version
/// is a different frame rather than a silent misreading.
pub const PROTOCOL: &[u8] = b"ZRPC1";

/// The longest method name, in bytes: names are identifiers, and a bound keeps a hostile peer
/// from making the server hold large strings it will only reject.
pub const MAX_METHOD_LEN: usize = 255;

/// The frames after the envelope and its empty delimiter in a request without flags.
const REQUEST_FIELDS: usize = 5;

/// Bit 0 of the optional flags frame: the caller allows the request to run more than once.
pub const FLAG_IDEMPOTENT: u8 = 0x01;
/// The frames after the delimiter in a reply.
const REPLY_FIELDS: usize = 4;

/// How a call ended, as the reply's status byte says. A later version may define more
/// (non-exhaustive: a match needs an arm for those).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// 0: the body is the handler's answer.
    Ok,
    /// 1: the handler failed; the body is its message (UTF-8).
    Error,
    /// 2: no handler for the method; the body is the method name.
    UnknownMethod,
    /// 3: the request's deadline passed before it was answered.
    DeadlineExceeded,
    /// 4: a broker lost the worker running the request, which was not
    /// idempotent, so it was not run again; the body is empty. It may or may not have run.
    WorkerLost,
}

impl Status {
    /// The status byte.
    pub fn to_byte(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Error => 1,
            Status::UnknownMethod => 2,
            Status::DeadlineExceeded => 3,
            Status::WorkerLost => 4,
        }
    }

    /// The status a byte names; `None` for a byte this version does not define.
    pub fn from_byte(byte: u8) -> Option<Status> {
        match byte {
            0 => Some(Status::Ok),
            1 => Some(Status::Error),
            2 => Some(Status::UnknownMethod),
            3 => Some(Status::DeadlineExceeded),
            4 => Some(Status::WorkerLost),
            _ => None,
        }
    }
}

/// A request as it travels, with the route back to the caller. Non-exhaustive, as a later
/// version may carry more: other crates start from [`WireRequest::new`] and set the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WireRequest {
    /// The routing frames before the empty delimiter (a ROUTER puts the caller's identity
    /// here; proxies in between add theirs). Empty on the DEALER side.
    pub envelope: Vec<Bytes>,
    /// The correlation id the caller chose; the reply carries it back unchanged.
    pub id: [u8; 8],
    /// Milliseconds since the Unix epoch after which the answer is useless; 0 = none.
    pub deadline_ms: u64,
    /// The method name (UTF-8, 1 to [`MAX_METHOD_LEN`] bytes).
    pub method: String,
    /// The request body, one frame.
    pub body: Bytes,
    /// Whether the caller allows it to run more than once, so that a broker may hand it to
    /// another worker when the first is lost. Travels as the optional flags frame, written
    /// only when set, so that a request without it is exactly a version-1 request.
    pub idempotent: bool,
}

/// A reply as it travels. Non-exhaustive, as [`WireRequest`]: other crates start from
/// [`WireReply::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WireReply {
    /// The routing frames before the empty delimiter, copied from the request.
    pub envelope: Vec<Bytes>,
    /// The request's correlation id.
    pub id: [u8; 8],
    /// How the call ended.
    pub status: Status,
    /// The answer, or the error's message.
    pub body: Bytes,
}

/// Why a message was rejected: for counters and logs, never shown to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformed {
    /// No empty delimiter frame, or nothing after it.
    NoDelimiter,
    /// The frame after the delimiter is not [`PROTOCOL`].
    Protocol,
    /// Too few or too many frames after the protocol frame.
    FrameCount,
    /// The correlation id is not 8 bytes.
    Id,
    /// The deadline is not 8 bytes.
    Deadline,
    /// The method is empty, too long or not UTF-8.
    Method,
    /// The status is not one byte, or a byte this version does not define.
    Status,
    /// The flags frame is not one byte, or sets a bit this version does not define.
    Flags,
}

impl WireRequest {
    /// A request for `method` with `body`, correlated by `id`: no envelope (a DEALER's), no
    /// deadline, not idempotent.
    ///
    /// ```
    /// use zmtp_rpc::wire::{self, Status, WireReply, WireRequest};
    /// use zmtp_rpc::Bytes;
    ///
    /// let mut request = WireRequest::new(*b"call-001", "quote", Bytes::from_static(b"EURUSD"));
    /// request.idempotent = true;
    /// let decoded = wire::decode_request(wire::encode_request(request.clone())).unwrap();
    /// assert_eq!(decoded, request);
    ///
    /// let reply = WireReply::new(request.id, Status::Ok, Bytes::from_static(b"1.08"));
    /// assert_eq!(wire::decode_reply(wire::encode_reply(reply.clone())).unwrap(), reply);
    /// ```
    pub fn new(id: [u8; 8], method: impl Into<String>, body: Bytes) -> WireRequest {
        WireRequest {
            envelope: Vec::new(),
            id,
            deadline_ms: 0,
            method: method.into(),
            body,
            idempotent: false,
        }
    }
}

impl WireReply {
    /// The reply to the request `id` with `status` and `body`, with no envelope.
    pub fn new(id: [u8; 8], status: Status, body: Bytes) -> WireReply {
        WireReply {
            envelope: Vec::new(),
            id,
            status,
            body,
        }
    }
}

/// Splits `message` at its first empty frame: the envelope before it and the fields after it,
/// which must start with [`PROTOCOL`].
fn split_envelope(message: Message) -> Result<(Vec<Bytes>, Vec<Bytes>), Malformed> {
    let mut frames = message.into_frames();
    let delimiter = frames
        .iter()
        .position(|f| f.is_empty())
        .ok_or(Malformed::NoDelimiter)?;
    let fields = frames.split_off(delimiter + 1);
    frames.pop(); // the delimiter itself
    match fields.first() {
        None => Err(Malformed::NoDelimiter),
        Some(p) if p.as_ref() != PROTOCOL => Err(Malformed::Protocol),
        Some(_) => Ok((frames, fields)),
    }
}

fn eight_bytes(frame: &Bytes, error: Malformed) -> Result<[u8; 8], Malformed> {
    <[u8; 8]>::try_from(frame.as_ref()).map_err(|_| error)
}

/// Reads a request; `envelope` is what came before the delimiter (the ROUTER's identity).
pub fn decode_request(message: Message) -> Result<WireRequest, Malformed> {
    let (envelope, fields) = split_envelope(message)?;
    // [protocol, id, deadline, method, body, (flags)]
    let mut fields = fields;
    let idempotent = if fields.len() == REQUEST_FIELDS + 1 {
        match fields.pop().as_deref() {
            Some([0]) => false,
            Some([FLAG_IDEMPOTENT]) => true,
            // An unknown bit may change what the request means: refused, not ignored.
            _ => return Err(Malformed::Flags),
        }
    } else {
        false
    };
    let [_, id, deadline, method, body]: [Bytes; REQUEST_FIELDS] =
        fields.try_into().map_err(|_| Malformed::FrameCount)?;
    let id = eight_bytes(&id, Malformed::Id)?;
    let deadline_ms = u64::from_be_bytes(eight_bytes(&deadline, Malformed::Deadline)?);
    if method.is_empty() || method.len() > MAX_METHOD_LEN {
        return Err(Malformed::Method);
    }
    let method = std::str::from_utf8(&method)
        .map_err(|_| Malformed::Method)?
        .to_owned();
    Ok(WireRequest {
        envelope,
        id,
        deadline_ms,
        method,
        body,
        idempotent,
    })
}

/// Writes a request.
pub fn encode_request(request: WireRequest) -> Message {
    let mut message: Message = request.envelope.into_iter().collect();
    message.push(Bytes::new());
    message.push(Bytes::from_static(PROTOCOL));
    message.push(Bytes::copy_from_slice(&request.id));
    message.push(Bytes::copy_from_slice(&request.deadline_ms.to_be_bytes()));
    message.push(Bytes::from(request.method));
    message.push(request.body);
    if request.idempotent {
        message.push(Bytes::from_static(&[FLAG_IDEMPOTENT]));
    }
    message
}

/// Reads a reply.
pub fn decode_reply(message: Message) -> Result<WireReply, Malformed> {
    let (envelope, fields) = split_envelope(message)?;
    // [protocol, id, status, body]
    let [_, id, status, body]: [Bytes; REPLY_FIELDS] =
        fields.try_into().map_err(|_| Malformed::FrameCount)?;
    let id = eight_bytes(&id, Malformed::Id)?;
    let status = match status.as_ref() {
        [byte] => Status::from_byte(*byte).ok_or(Malformed::Status)?,
        _ => return Err(Malformed::Status),
    };
    Ok(WireReply {
        envelope,
        id,
        status,
        body,
    })
}

/// Writes a reply.
pub fn encode_reply(reply: WireReply) -> Message {
    let mut message: Message = reply.envelope.into_iter().collect();
    message.push(Bytes::new());
    message.push(Bytes::from_static(PROTOCOL));
    message.push(Bytes::copy_from_slice(&reply.id));
    message.push(Bytes::copy_from_slice(&[reply.status.to_byte()]));
    message.push(reply.body);
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request() -> WireRequest {
        WireRequest {
            envelope: vec![Bytes::from_static(b"\0abcd")],
            id: 7u64.to_be_bytes(),
            deadline_ms: 1_700_000_000_000,
            method: "echo".to_owned(),
            body: Bytes::from_static(b"hi"),
            idempotent: false,
        }
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let message = encode_request(request());
        assert_eq!(message.frames()[1], Bytes::new(), "the delimiter");
        assert_eq!(message.frames()[2], PROTOCOL);
        assert_eq!(decode_request(message), Ok(request()));
        let marked = WireRequest {
            idempotent: true,
            ..request()
        };
        let message = encode_request(marked.clone());
        assert_eq!(message.frames().last().unwrap().as_ref(), [FLAG_IDEMPOTENT]);
        assert_eq!(decode_request(message), Ok(marked));
    }

    #[test]
    fn a_reply_reads_back_as_written() {
        for status in [
            Status::Ok,
            Status::Error,
            Status::UnknownMethod,
            Status::DeadlineExceeded,
            Status::WorkerLost,
        ] {
            let reply = WireReply {
                envelope: vec![],
                id: [1; 8],
                status,
                body: Bytes::from_static(b"x"),
            };
            assert_eq!(decode_reply(encode_reply(reply.clone())), Ok(reply));
        }
    }

    #[test]
    fn each_wrong_field_is_named() {
        let frames = encode_request(request()).into_frames();
        let with = |index: usize, value: &'static [u8]| {
            let mut f = frames.clone();
            f[index] = Bytes::from_static(value);
            decode_request(f.into_iter().collect())
        };
        assert_eq!(with(2, b"ZRPC2"), Err(Malformed::Protocol));
        assert_eq!(with(3, b"1234567"), Err(Malformed::Id));
        assert_eq!(with(4, b"123456789"), Err(Malformed::Deadline));
        assert_eq!(with(5, b""), Err(Malformed::Method));
        assert_eq!(with(5, b"\xff\xfe"), Err(Malformed::Method));
        let no_delimiter: Message = frames[2..].iter().cloned().collect();
        assert_eq!(decode_request(no_delimiter), Err(Malformed::NoDelimiter));
        let with_flags = |flags: &'static [u8]| {
            let mut f = frames.clone();
            f.push(Bytes::from_static(flags));
            decode_request(f.into_iter().collect())
        };
        assert_eq!(with_flags(b"more"), Err(Malformed::Flags));
        assert_eq!(with_flags(&[2]), Err(Malformed::Flags));
        assert_eq!(with_flags(&[0]).map(|r| r.idempotent), Ok(false));
        let mut extra = frames.clone();
        extra.extend([Bytes::from_static(&[1]), Bytes::from_static(b"more")]);
        assert_eq!(
            decode_request(extra.into_iter().collect()),
            Err(Malformed::FrameCount)
        );
        let mut reply = encode_reply(WireReply {
            envelope: vec![],
            id: [0; 8],
            status: Status::Ok,
            body: Bytes::new(),
        })
        .into_frames();
        reply[3] = Bytes::from_static(&[9]);
        assert_eq!(
            decode_reply(reply.into_iter().collect()),
            Err(Malformed::Status)
        );
    }

    proptest! {
        /// Hostile input: any frames at all decode to a value or an error, never a panic.
        #[test]
        fn arbitrary_frames_never_panic(frames in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..12), 0..9)) {
            let message: Message = frames.into_iter().map(Bytes::from).collect();
            let _ = decode_request(message.clone());
            let _ = decode_reply(message);
        }
    }
}
