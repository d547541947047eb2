//! NaCl boxes as CurveZMQ lays them out: a 16-byte Poly1305 tag, then the XSalsa20 ciphertext.
//!
//! `crypto_box` (X25519 + HSalsa20 + XSalsa20-Poly1305) seals between long-term and transient
//! keys (HELLO, WELCOME, vouch); `crypto_secretbox` (XSalsa20-Poly1305) seals the cookie under a
//! symmetric key. Both are RustCrypto's pure-Rust implementations. Between the two transient
//! keys (INITIATE, READY, every MESSAGE) boxes go through [`SessionKey`], the same function
//! composed from its primitives with the shared key computed once (see `prefixed_box`). All
//! keys are zeroized on drop.

use bytes::{BufMut, BytesMut};
use crypto_box::aead::consts::{U16, U24};
use crypto_box::aead::{AeadCore, AeadInPlace};
use crypto_box::Nonce;
use zeroize::Zeroizing;

use crate::keys::{PublicKey, KEY_LEN};
use crate::random::{RandomError, RandomSource};

use super::prefixed_box::SessionKey;

/// Bytes of the authentication tag in front of every box.
pub(super) use super::prefixed_box::TAG_LEN;

/// A long nonce: `prefix` followed by `rest` (24 bytes in all).
pub(super) fn nonce(prefix: &[u8], rest: &[u8]) -> Nonce {
    debug_assert_eq!(prefix.len() + rest.len(), 24);
    let mut nonce = Nonce::default();
    nonce[..prefix.len()].copy_from_slice(prefix);
    nonce[prefix.len()..].copy_from_slice(rest);
    nonce
}

/// A long nonce with a short (counter) nonce: 16-byte prefix + 8 bytes big-endian.
pub(super) fn short_nonce(prefix: &[u8; 16], counter: u64) -> Nonce {
    nonce(prefix, &counter.to_be_bytes())
}

/// A key that seals and opens boxes in place: RustCrypto's `SalsaBox` and `XSalsa20Poly1305`
/// for the long-term and cookie boxes of the handshake, [`SessionKey`] between the transient keys
/// (INITIATE, READY and every MESSAGE), so that one precomputed key serves the whole connection.
pub(super) trait BoxKey {
    /// Encrypts `data` in place and returns its tag.
    fn seal_detached(&self, nonce: &Nonce, data: &mut [u8]) -> [u8; TAG_LEN];
    /// Verifies `tag` and decrypts `data` in place; `false` (data untouched) when it fails.
    fn open_detached(&self, nonce: &Nonce, data: &mut [u8], tag: &[u8; TAG_LEN]) -> bool;
}

impl BoxKey for SessionKey {
    fn seal_detached(&self, nonce: &Nonce, data: &mut [u8]) -> [u8; TAG_LEN] {
        self.seal_in_place(&(*nonce).into(), data)
    }

    fn open_detached(&self, nonce: &Nonce, data: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        self.open_in_place(&(*nonce).into(), data, tag).is_ok()
    }
}

impl BoxKey for crypto_box::SalsaBox {
    fn seal_detached(&self, nonce: &Nonce, data: &mut [u8]) -> [u8; TAG_LEN] {
        aead_seal(self, nonce, data)
    }

    fn open_detached(&self, nonce: &Nonce, data: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        aead_open(self, nonce, data, tag)
    }
}

impl BoxKey for crypto_secretbox::XSalsa20Poly1305 {
    fn seal_detached(&self, nonce: &Nonce, data: &mut [u8]) -> [u8; TAG_LEN] {
        aead_seal(self, nonce, data)
    }

    fn open_detached(&self, nonce: &Nonce, data: &mut [u8], tag: &[u8; TAG_LEN]) -> bool {
        aead_open(self, nonce, data, tag)
    }
}

fn aead_seal<C>(cipher: &C, nonce: &Nonce, data: &mut [u8]) -> [u8; TAG_LEN]
where
    C: AeadInPlace + AeadCore<NonceSize = U24, TagSize = U16>,
{
    cipher
        .encrypt_in_place_detached(nonce, b"", data)
        .expect("XSalsa20-Poly1305 seals any length without associated data")
        .into()
}

fn aead_open<C>(cipher: &C, nonce: &Nonce, data: &mut [u8], tag: &[u8; TAG_LEN]) -> bool
where
    C: AeadInPlace + AeadCore<NonceSize = U24, TagSize = U16>,
{
    cipher
        .decrypt_in_place_detached(nonce, b"", data, tag.into())
        .is_ok()
}

/// Appends `tag + ciphertext` of the concatenated `parts` to `out`.
pub(super) fn seal_into(key: &impl BoxKey, nonce: &Nonce, parts: &[&[u8]], out: &mut BytesMut) {
    let start = out.len();
    out.put_bytes(0, TAG_LEN);
    for part in parts {
        out.put_slice(part);
    }
    let (tag_slot, body) = out[start..].split_at_mut(TAG_LEN);
    tag_slot.copy_from_slice(&key.seal_detached(nonce, body));
}

/// Bytes of a sealed box of `plaintext_len` bytes.
pub(super) const fn sealed_len(plaintext_len: usize) -> usize {
    TAG_LEN + plaintext_len
}

/// Opens `tag + ciphertext`; `None` when the tag does not verify (wrong key, wrong nonce or
/// altered bytes) or the box is shorter than a tag. The plaintext is zeroized when dropped: it
/// may hold a transient secret key (cookie) or a long-term public key.
pub(super) fn open(key: &impl BoxKey, nonce: &Nonce, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.len() < TAG_LEN {
        return None;
    }
    let (tag, ciphertext) = sealed.split_at(TAG_LEN);
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    let tag: &[u8; TAG_LEN] = tag.try_into().expect("split at TAG_LEN");
    key.open_detached(nonce, &mut plaintext, tag)
        .then_some(plaintext)
}

/// A transient key pair (C' and c', or S' and s'), fresh for one connection.
pub(super) fn transient_keys(
    random: &dyn RandomSource,
) -> Result<(crypto_box::SecretKey, PublicKey), RandomError> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    random.try_fill(&mut bytes[..])?;
    let secret = crypto_box::SecretKey::from_bytes(*bytes);
    let public = PublicKey::from_bytes(secret.public_key().to_bytes());
    Ok((secret, public))
}

/// The X25519 key for `ours` with `theirs`, ready to seal and open boxes between them.
pub(super) fn salsa_box(theirs: &PublicKey, ours: &crypto_box::SecretKey) -> crypto_box::SalsaBox {
    crypto_box::SalsaBox::new(&crypto_box::PublicKey::from_bytes(*theirs.as_bytes()), ours)
}

/// The precomputed key between our transient secret `ours` and the peer's transient public key
/// `theirs`: INITIATE, READY and every MESSAGE of the connection are sealed with it.
pub(super) fn session_key(theirs: &PublicKey, ours: &crypto_box::SecretKey) -> SessionKey {
    SessionKey::new(theirs.as_bytes(), &Zeroizing::new(ours.to_bytes()))
}

/// Reads a 32-byte key from a slice that is known to be 32 bytes long.
pub(super) fn key_at(bytes: &[u8]) -> [u8; KEY_LEN] {
    bytes.try_into().expect("callers slice exactly 32 bytes")
}

#[cfg(test)]
mod tests {
    use super::super::test_hex::{hex, hex32};
    use super::*;

    /// Boxes from libsodium (what libzmq 4.3 uses), captured by
    /// `python3 zmtp-core/tests/vectors/capture_curve.py`: same keys, nonce and message must give
    /// the same `tag + ciphertext`, byte for byte.
    #[test]
    fn boxes_match_libsodium() {
        let alice_secret = crypto_box::SecretKey::from_bytes(hex32(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        ));
        let bob_public = PublicKey::from_bytes(hex32(
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        ));
        let long_nonce = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
        let n = nonce(&long_nonce[..16], &long_nonce[16..]);
        let message = b"CurveZMQ test message for the NaCl box vector.";

        let pair = salsa_box(&bob_public, &alice_secret);
        let mut out = BytesMut::new();
        seal_into(&pair, &n, &[&message[..10], &message[10..]], &mut out);
        let expected = concat!(
            "2e49b49a161008ee3d27a523c198ccd573eb162c11b3adf72df626dfad3717d0",
            "69688aea3f0f3b1f7e29483630a519f7665f5bb1c419bd173203acaac00a"
        );
        assert_eq!(out[..], hex(expected)[..]);
        assert_eq!(sealed_len(message.len()), out.len());
        assert_eq!(
            open(&pair, &n, &out).as_deref().map(|v| &v[..]),
            Some(&message[..])
        );
        out[20] ^= 1;
        assert!(open(&pair, &n, &out).is_none(), "altered box must not open");
        assert!(open(&pair, &n, &out[..15]).is_none(), "shorter than a tag");

        use crypto_box::aead::KeyInit;
        let key: [u8; 32] = std::array::from_fn(|i| i as u8);
        let secretbox = crypto_secretbox::XSalsa20Poly1305::new(&key.into());
        let mut out = BytesMut::new();
        seal_into(&secretbox, &n, &[message], &mut out);
        let expected = concat!(
            "2cadf1f2a7c9557e2aae2d11a4b91206127dff0fcae5f5c01809800d542a56e0",
            "6fe5470c737f85e65a79c7166812cc5a0862e85e9aedab9f1e1c8af8615c"
        );
        assert_eq!(out[..], hex(expected)[..]);
    }
}
