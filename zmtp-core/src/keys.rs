//! CURVE keys: 32-byte Curve25519 keys, read and written raw or as 40 Z85 characters.
//!
//! Secret keys are zeroized when dropped, never printed by `Debug` and have no `Display`; their
//! bytes and Z85 text are only reachable through methods whose names say so. Deriving a public
//! key and generating a key pair need the `curve` feature; parsing and printing do not.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::z85::{self, Z85Error};

/// Bytes in a CURVE key.
pub const KEY_LEN: usize = 32;
/// Characters in a Z85-encoded CURVE key.
pub const Z85_KEY_LEN: usize = 40;

/// Why bytes or text are not a CURVE key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// A raw key must be exactly 32 bytes.
    BadLength {
        /// The length given.
        len: usize,
    },
    /// A Z85 key must be exactly 40 characters.
    BadZ85Length {
        /// The length given.
        len: usize,
    },
    /// The text is not valid Z85.
    Z85(Z85Error),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::BadLength { len } => {
                write!(f, "a CURVE key is {KEY_LEN} bytes, got {len}")
            }
            KeyError::BadZ85Length { len } => {
                write!(f, "a Z85 CURVE key is {Z85_KEY_LEN} characters, got {len}")
            }
            KeyError::Z85(e) => write!(f, "invalid Z85 CURVE key: {e}"),
        }
    }
}

impl std::error::Error for KeyError {}

fn raw(bytes: &[u8]) -> Result<[u8; KEY_LEN], KeyError> {
    bytes
        .try_into()
        .map_err(|_| KeyError::BadLength { len: bytes.len() })
}

fn decode_z85(text: &str, out: &mut [u8; KEY_LEN]) -> Result<(), KeyError> {
    if text.len() != Z85_KEY_LEN {
        return Err(KeyError::BadZ85Length { len: text.len() });
    }
    z85::decode_into(text, out).map_err(KeyError::Z85)
}

/// A public key: a server's long-term key that clients must know, or a client's long-term key
/// that a server's authentication hook checks. `Display` and `Debug` print it in Z85.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// A key from its 32 bytes.
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> PublicKey {
        PublicKey(bytes)
    }

    /// A key from a slice that must be 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        raw(bytes).map(PublicKey)
    }

    /// A key from its 40 Z85 characters.
    pub fn from_z85(text: &str) -> Result<PublicKey, KeyError> {
        let mut bytes = [0u8; KEY_LEN];
        decode_z85(text, &mut bytes)?;
        Ok(PublicKey(bytes))
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40 Z85 characters.
    pub fn to_z85(&self) -> String {
        z85::encode(&self.0).expect("32 is a multiple of 4")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_z85())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_z85())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    /// Parses 40 Z85 characters.
    fn from_str(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_z85(text)
    }
}

/// A secret key. Zeroized on drop; `Debug` prints no key material.
#[derive(Clone)]
pub struct SecretKey(Zeroizing<[u8; KEY_LEN]>);

impl SecretKey {
    /// A key from its 32 bytes (the array is copied; zeroize the caller's copy if it matters).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        SecretKey(Zeroizing::new(bytes))
    }

    /// A key from a slice that must be 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<SecretKey, KeyError> {
        let mut key = SecretKey(Zeroizing::new([0u8; KEY_LEN]));
        if bytes.len() != KEY_LEN {
            return Err(KeyError::BadLength { len: bytes.len() });
        }
        key.0.copy_from_slice(bytes);
        Ok(key)
    }

    /// A key from its 40 Z85 characters, decoded straight into zeroized memory.
    pub fn from_z85(text: &str) -> Result<SecretKey, KeyError> {
        let mut key = SecretKey(Zeroizing::new([0u8; KEY_LEN]));
        decode_z85(text, &mut key.0)?;
        Ok(key)
    }

    /// The 32 secret bytes. Named so that every read of key material stands out in review.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The 40 Z85 characters, in a string that is zeroized when dropped.
    pub fn expose_z85(&self) -> Zeroizing<String> {
        Zeroizing::new(z85::encode(&self.0[..]).expect("32 is a multiple of 4"))
    }

    /// The matching public key (X25519 with the base point, as NaCl's `crypto_scalarmult_base`).
    #[cfg(feature = "curve")]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.to_crypto().public_key().to_bytes())
    }

    #[cfg(feature = "curve")]
    pub(crate) fn to_crypto(&self) -> crypto_box::SecretKey {
        crypto_box::SecretKey::from_bytes(*self.0)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl PartialEq for SecretKey {
    /// Compares in constant time, so that equality tests leak nothing through timing.
    fn eq(&self, other: &SecretKey) -> bool {
        constant_time_eq(&self.0[..], &other.0[..])
    }
}

impl Eq for SecretKey {}

/// Whether two byte strings are equal, taking time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A long-term key pair: a CURVE server's, or a CURVE client's.
#[cfg(feature = "curve")]
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    public: PublicKey,
    secret: SecretKey,
}

#[cfg(feature = "curve")]
impl KeyPair {
    /// A fresh key pair from `random` (NaCl's `crypto_box_keypair`: 32 random secret bytes, the
    /// public key derived from them), or the source's error.
    pub fn try_generate(random: &dyn crate::RandomSource) -> Result<KeyPair, crate::RandomError> {
        let mut secret = SecretKey(Zeroizing::new([0u8; KEY_LEN]));
        random.try_fill(&mut secret.0[..])?;
        Ok(KeyPair::from_secret(secret))
    }

    /// [`try_generate`](Self::try_generate) for callers that cannot go on without a key (a
    /// command-line key generator, a test).
    ///
    /// # Panics
    ///
    /// When `random` fails.
    pub fn generate(random: &dyn crate::RandomSource) -> KeyPair {
        match KeyPair::try_generate(random) {
            Ok(pair) => pair,
            Err(e) => panic!("cannot generate a key pair: {e}"),
        }
    }

    /// The pair for a known secret key; the public key is derived, so the two always match.
    pub fn from_secret(secret: SecretKey) -> KeyPair {
        KeyPair {
            public: secret.public_key(),
            secret,
        }
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The secret half.
    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }
}

#[cfg(feature = "curve")]
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .field("secret", &self.secret)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_give_clear_errors() {
        assert_eq!(
            PublicKey::from_slice(&[0; 31]),
            Err(KeyError::BadLength { len: 31 })
        );
        assert_eq!(
            SecretKey::from_slice(&[0; 33]).err(),
            Some(KeyError::BadLength { len: 33 })
        );
        assert_eq!(
            "short".parse::<PublicKey>(),
            Err(KeyError::BadZ85Length { len: 5 })
        );
        let bad = format!("{}\"", "0".repeat(39));
        assert_eq!(
            PublicKey::from_z85(&bad),
            Err(KeyError::Z85(Z85Error::BadCharacter { position: 39 }))
        );
        assert_eq!(
            KeyError::BadZ85Length { len: 5 }.to_string(),
            "a Z85 CURVE key is 40 characters, got 5"
        );
    }

    #[test]
    fn secret_keys_are_never_printed() {
        let secret = SecretKey::from_bytes([7; KEY_LEN]);
        let z85 = secret.expose_z85();
        assert_eq!(format!("{secret:?}"), "SecretKey(<redacted>)");
        assert!(!format!("{secret:?}").contains(z85.as_str()));
        assert_eq!(SecretKey::from_z85(&z85).unwrap(), secret);
    }

    #[test]
    fn public_keys_print_as_z85() {
        let key = PublicKey::from_bytes([0; KEY_LEN]);
        assert_eq!(key.to_string(), "0".repeat(40));
        assert_eq!(format!("{key:?}"), format!("PublicKey({})", "0".repeat(40)));
        assert_eq!(key.to_string().parse::<PublicKey>(), Ok(key));
    }
}
