//! Z85 (RFC 32): the printable encoding ZeroMQ uses for CURVE keys.
//!
//! Every 4 bytes, read as a big-endian number, become 5 characters in base 85, most significant
//! digit first. A 32-byte key is therefore 40 characters. Lengths that are not multiples of 4
//! (bytes) or 5 (characters) are refused, as the RFC says, rather than padded.

use std::fmt;

/// The 85 characters, in digit order.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Digit value of each ASCII character, or `NONE` when it is not in the alphabet.
const NONE: u8 = 0xFF;
const DIGITS: [u8; 128] = {
    let mut table = [NONE; 128];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a Z85 string or a byte string cannot be converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Z85Error {
    /// Bytes to encode must be a multiple of 4 long, text to decode a multiple of 5.
    BadLength {
        /// The length given.
        len: usize,
    },
    /// A character outside the Z85 alphabet.
    BadCharacter {
        /// Its byte offset in the text.
        position: usize,
    },
    /// A group of 5 characters whose value does not fit in 4 bytes (e.g. `"#####"`).
    Overflow {
        /// The byte offset of the group in the text.
        position: usize,
    },
    /// The output buffer does not have the length the input decodes to.
    OutputLength {
        /// Bytes the input decodes to.
        needed: usize,
        /// Bytes the buffer holds.
        got: usize,
    },
}

impl fmt::Display for Z85Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Z85Error::BadLength { len } => write!(
                f,
                "Z85 needs a multiple of 4 bytes or of 5 characters, got {len}"
            ),
            // The character itself is not printed: the text may be a secret key.
            Z85Error::BadCharacter { position } => {
                write!(f, "character at offset {position} is not Z85")
            }
            Z85Error::Overflow { position } => {
                write!(f, "Z85 group at offset {position} exceeds 32 bits")
            }
            Z85Error::OutputLength { needed, got } => {
                write!(f, "Z85 text decodes to {needed} bytes, buffer holds {got}")
            }
        }
    }
}

impl std::error::Error for Z85Error {}

/// Encodes bytes (a multiple of 4 long) as Z85 text.
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BadLength { len: data.len() });
    }
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        text.extend(digits.iter().map(|&d| char::from(d)));
    }
    Ok(text)
}

/// Decodes Z85 text (a multiple of 5 characters long) into bytes.
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    let len = text.len();
    if len % 5 != 0 {
        return Err(Z85Error::BadLength { len });
    }
    let mut out = vec![0u8; len / 5 * 4];
    decode_into(text, &mut out)?;
    Ok(out)
}

/// Decodes Z85 text into `out`, which must be exactly 4/5 of the text's length. Lets secret keys
/// be decoded into memory the caller controls (and zeroizes) instead of a fresh `Vec`.
pub fn decode_into(text: &str, out: &mut [u8]) -> Result<(), Z85Error> {
    let text = text.as_bytes();
    if text.len() % 5 != 0 {
        return Err(Z85Error::BadLength { len: text.len() });
    }
    let needed = text.len() / 5 * 4;
    if out.len() != needed {
        return Err(Z85Error::OutputLength {
            needed,
            got: out.len(),
        });
    }
    for (i, (group, dst)) in text
        .chunks_exact(5)
        .zip(out.chunks_exact_mut(4))
        .enumerate()
    {
        let mut value: u64 = 0;
        for (j, &c) in group.iter().enumerate() {
            let digit = DIGITS.get(usize::from(c)).copied().unwrap_or(NONE);
            if digit == NONE {
                return Err(Z85Error::BadCharacter {
                    position: i * 5 + j,
                });
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow { position: i * 5 })?;
        dst.copy_from_slice(&value.to_be_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc32_hello_world_vector() {
        let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        assert_eq!(encode(&bytes).unwrap(), "HelloWorld");
        assert_eq!(decode("HelloWorld").unwrap(), bytes);
    }

    #[test]
    fn bad_lengths_characters_and_overflow_are_refused() {
        assert_eq!(encode(b"abc"), Err(Z85Error::BadLength { len: 3 }));
        assert_eq!(decode("Hello"), Ok(vec![0x86, 0x4F, 0xD2, 0x6F]));
        assert_eq!(decode("Hell"), Err(Z85Error::BadLength { len: 4 }));
        assert_eq!(
            decode("Hel\"o"),
            Err(Z85Error::BadCharacter { position: 3 })
        );
        assert_eq!(
            decode("Hello~~~~~"),
            Err(Z85Error::BadCharacter { position: 5 })
        );
        assert_eq!(
            decode("Hello#####"),
            Err(Z85Error::Overflow { position: 5 })
        );
        // The largest legal group is u32::MAX.
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { position: 0 }));
        // Multi-byte UTF-8 is outside the alphabet, not a panic.
        assert!(matches!(
            decode("ééééé"),
            Err(Z85Error::BadCharacter { .. }) | Err(Z85Error::BadLength { .. })
        ));
        let mut small = [0u8; 3];
        assert_eq!(
            decode_into("Hello", &mut small),
            Err(Z85Error::OutputLength { needed: 4, got: 3 })
        );
    }

    proptest! {
        #[test]
        fn z85_round_trips(words in prop::collection::vec(any::<[u8; 4]>(), 0..16)) {
            let bytes: Vec<u8> = words.concat();
            let text = encode(&bytes).unwrap();
            prop_assert_eq!(text.len(), bytes.len() / 4 * 5);
            prop_assert_eq!(decode(&text).unwrap(), bytes);
        }
    }
}
