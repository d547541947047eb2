//! The 64-byte greeting (RFC 23/37, "Version Negotiation"), sent and received in stages.
//!
//! ```text
//! signature  0xFF, 8 padding bytes, 0x7F       10 bytes  (padding never validated)
//! version    major, minor                        2 bytes
//! mechanism  name, NUL padded                   20 bytes
//! as-server  0 or 1                              1 byte   (ignored on receipt, like libzmq)
//! filler     zeros                              31 bytes
//! ```
//!
//! Staging: libzmq sends its signature, then its major version once it has seen our signature,
//! then the rest once it has seen our major. A peer that waits for 64 bytes before sending
//! deadlocks with it. We send signature and major at once ([`FIRST_STAGE_LEN`] bytes), and the
//! rest as soon as the peer's major version is known to be 3 or more. The receive side stops
//! after the major byte until it knows the peer speaks ZMTP 3: a ZMTP 2.0 greeting continues
//! differently, and a downgrade would take over exactly there.

use bytes::{Buf, BytesMut};

use crate::error::{ConnectionError, Incompatible, Malformed};

/// Length of the whole greeting.
pub const GREETING_LEN: usize = 64;
/// Length of the signature.
pub const SIGNATURE_LEN: usize = 10;
/// Bytes we send before knowing anything of the peer: signature and major version.
pub const FIRST_STAGE_LEN: usize = SIGNATURE_LEN + 1;
/// The version we speak.
pub const OUR_VERSION: Version = Version { major: 3, minor: 1 };

/// A ZMTP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version (3 for ZMTP 3.x).
    pub major: u8,
    /// Minor version (0 for ZMTP 3.0, 1 for ZMTP 3.1).
    pub minor: u8,
}

impl Version {
    /// ZMTP 3.0 (RFC 23): legacy subscription messages, no PING/PONG guaranteed.
    pub const V3_0: Version = Version { major: 3, minor: 0 };
    /// ZMTP 3.1 (RFC 37).
    pub const V3_1: Version = Version { major: 3, minor: 1 };

    /// The version spoken with a peer that announced `peer`: 3.0 with a 3.0 peer, 3.1 with
    /// anything newer (3.2, 4.0, ...), which must accept 3.1.
    pub fn negotiate(peer: Version) -> Version {
        if peer <= Version::V3_0 {
            Version::V3_0
        } else {
            OUR_VERSION
        }
    }

    /// Whether SUBSCRIBE/CANCEL and PING/PONG commands may be sent.
    pub fn has_commands(self) -> bool {
        self >= Version::V3_1
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A security mechanism name: up to 20 ASCII bytes, NUL padded, compared as raw bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MechanismName([u8; 20]);

impl MechanismName {
    /// No security.
    pub const NULL: MechanismName = MechanismName::from_static("NULL");
    /// Clear-text user name and password (RFC 24).
    pub const PLAIN: MechanismName = MechanismName::from_static("PLAIN");
    /// CurveZMQ (RFC 25/26).
    pub const CURVE: MechanismName = MechanismName::from_static("CURVE");

    const fn from_static(name: &str) -> MechanismName {
        let src = name.as_bytes();
        let mut raw = [0u8; 20];
        let mut i = 0;
        while i < src.len() {
            raw[i] = src[i];
            i += 1;
        }
        MechanismName(raw)
    }

    /// The raw 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The name without its NUL padding, lossily decoded for display.
    pub fn to_string_lossy(&self) -> String {
        let end = self.0.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        String::from_utf8_lossy(&self.0[..end]).into_owned()
    }
}

impl std::fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MechanismName({:?})", self.to_string_lossy())
    }
}

/// A complete greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeting {
    /// The version announced.
    pub version: Version,
    /// The security mechanism.
    pub mechanism: MechanismName,
    /// The as-server flag (meaningful for PLAIN and CURVE only; libzmq ignores it on receipt).
    pub as_server: bool,
}

impl Greeting {
    /// The wire form, byte for byte what libzmq 4.3 sends: the padding holds 1 as a
    /// big-endian u64 (a ZMTP 1.0 peer reads it as "identity length + 1" for an empty identity)
    /// and the signature ends in 0x7F.
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[0] = 0xFF;
        out[8] = 0x01;
        out[9] = 0x7F;
        out[10] = self.version.major;
        out[11] = self.version.minor;
        out[12..32].copy_from_slice(&self.mechanism.0);
        out[32] = u8::from(self.as_server);
        out
    }
}

/// Receives a peer's greeting from arbitrarily chunked input.
#[derive(Debug, Clone)]
pub struct GreetingDecoder {
    buf: [u8; GREETING_LEN],
    len: usize,
}

impl Default for GreetingDecoder {
    fn default() -> Self {
        GreetingDecoder::new()
    }
}

impl GreetingDecoder {
    /// Nothing received yet.
    pub const fn new() -> GreetingDecoder {
        GreetingDecoder {
            buf: [0; GREETING_LEN],
            len: 0,
        }
    }

    /// Consumes greeting bytes from `src`, leaving everything after the greeting in place.
    ///
    /// Fails as soon as the bytes seen rule out ZMTP 3: a first byte other than 0xFF, a tenth
    /// byte with bit 0 clear (both mean ZMTP 1.0 or not ZMTP at all), or a major version below 3.
    pub fn feed(&mut self, src: &mut BytesMut) -> Result<(), ConnectionError> {
        // Stop after the major byte until it is known to be 3+; a v2 greeting continues
        // differently and those bytes would belong to a downgrade.
        let stage_end = if self.len < FIRST_STAGE_LEN {
            FIRST_STAGE_LEN
        } else {
            GREETING_LEN
        };
        let take = (stage_end - self.len).min(src.len());
        self.buf[self.len..self.len + take].copy_from_slice(&src[..take]);
        let before = self.len;
        self.len += take;
        src.advance(take);
        if before == 0 && self.len > 0 && self.buf[0] != 0xFF {
            return Err(Malformed::BadSignature.into());
        }
        if before < SIGNATURE_LEN && self.len >= SIGNATURE_LEN && self.buf[9] & 0x01 == 0 {
            return Err(Malformed::BadSignature.into());
        }
        if let Some(major) = self.peer_major() {
            if major < 3 {
                // ZMTP 1.0/2.0 peer. A downgrade would branch here, before the rest is read.
                return Err(Incompatible::Version { major }.into());
            }
            if self.len == FIRST_STAGE_LEN && !src.is_empty() {
                return self.feed(src);
            }
        }
        Ok(())
    }

    /// The peer's major version, once its first eleven bytes have arrived.
    pub fn peer_major(&self) -> Option<u8> {
        (self.len >= FIRST_STAGE_LEN).then_some(self.buf[SIGNATURE_LEN])
    }

    /// The whole greeting, once all 64 bytes have arrived.
    pub fn greeting(&self) -> Option<Greeting> {
        if self.len < GREETING_LEN {
            return None;
        }
        let mut mechanism = [0u8; 20];
        mechanism.copy_from_slice(&self.buf[12..32]);
        Some(Greeting {
            version: Version {
                major: self.buf[10],
                minor: self.buf[11],
            },
            mechanism: MechanismName(mechanism),
            as_server: self.buf[32] != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours() -> Greeting {
        Greeting {
            version: OUR_VERSION,
            mechanism: MechanismName::NULL,
            as_server: false,
        }
    }

    #[test]
    fn encoded_greeting_matches_libzmq_layout() {
        let g = ours().encode();
        assert_eq!(
            &g[..12],
            b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x01"
        );
        assert_eq!(&g[12..32], b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
        assert!(g[32..].iter().all(|&b| b == 0));
    }

    #[test]
    fn greeting_decodes_whole_or_byte_by_byte() {
        let bytes = ours().encode();
        let mut whole = GreetingDecoder::new();
        let mut src = BytesMut::from(&bytes[..]);
        src.extend_from_slice(b"tail");
        whole.feed(&mut src).unwrap();
        assert_eq!(whole.greeting(), Some(ours()));
        assert_eq!(&src[..], b"tail");

        let mut split = GreetingDecoder::new();
        for (i, b) in bytes.iter().enumerate() {
            assert_eq!(split.greeting(), None);
            assert_eq!(split.peer_major(), (i > 10).then_some(3));
            split.feed(&mut BytesMut::from(&[*b][..])).unwrap();
        }
        assert_eq!(split.greeting(), Some(ours()));
    }

    #[test]
    fn padding_is_never_validated() {
        let mut bytes = ours().encode();
        bytes[1..9].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0, 6]);
        let mut d = GreetingDecoder::new();
        d.feed(&mut BytesMut::from(&bytes[..])).unwrap();
        assert!(d.greeting().is_some());
    }

    #[test]
    fn zmtp1_and_garbage_signatures_are_rejected_early() {
        let mut d = GreetingDecoder::new();
        assert_eq!(
            d.feed(&mut BytesMut::from(&b"\x01"[..])),
            Err(Malformed::BadSignature.into())
        );
        let mut d = GreetingDecoder::new();
        let bad9 = b"\xff\x00\x00\x00\x00\x00\x00\x00\x00\x7e";
        assert_eq!(
            d.feed(&mut BytesMut::from(&bad9[..])),
            Err(Malformed::BadSignature.into())
        );
    }

    #[test]
    fn major_below_three_stops_before_reading_the_rest() {
        let mut src = BytesMut::from(&b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x01\x05"[..]);
        let mut d = GreetingDecoder::new();
        assert_eq!(
            d.feed(&mut src),
            Err(Incompatible::Version { major: 1 }.into())
        );
        // The byte after the major (ZMTP 2.0's socket type) is left for a future downgrade.
        assert_eq!(&src[..], b"\x05");
    }

    #[test]
    fn negotiation_speaks_30_to_30_and_31_to_newer() {
        assert_eq!(Version::negotiate(Version::V3_0), Version::V3_0);
        assert_eq!(Version::negotiate(Version::V3_1), Version::V3_1);
        let v32 = Version { major: 3, minor: 2 };
        let v40 = Version { major: 4, minor: 0 };
        assert_eq!(Version::negotiate(v32), Version::V3_1);
        assert_eq!(Version::negotiate(v40), Version::V3_1);
    }
}
