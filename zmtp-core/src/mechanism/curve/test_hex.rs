//! Hex test vectors (libsodium's, RFC 8439's) for the CURVE modules' tests.

/// The bytes of a hex string.
pub(super) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A 32-byte key from hex.
pub(super) fn hex32(s: &str) -> [u8; 32] {
    hex(s).try_into().unwrap()
}
