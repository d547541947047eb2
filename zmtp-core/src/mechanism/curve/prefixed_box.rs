//! NaCl's crypto_box for one connection's MESSAGEs, composed from its primitives so that the
//! per-message work is only the cipher and the MAC.
//!
//! `crypto_box` re-derives nothing per message either, but it goes through the generic AEAD
//! traits and picks its Poly1305 at run time (see [`super::mac`]). Here:
//!
//! - once per connection, [`SessionKey::new`] does what `crypto_box_beforenm` does: the X25519
//!   shared secret of the two transient keys, hashed by HSalsa20 with a zero input;
//! - per message, XSalsa20: HSalsa20(key, nonce[0..16]) gives a subkey, and one Salsa20
//!   keystream under it with nonce[16..24] provides first the 32-byte Poly1305 one-time key,
//!   then the bytes that encrypt the plaintext in place;
//! - the tag is Poly1305 over the ciphertext, and is compared in constant time on open.
//!
//! The output is the NaCl box byte for byte (`tag + ciphertext`, "prefixed" by the tag as
//! CurveZMQ lays it out); the tests check it against libsodium and against `crypto_box`.

use curve25519_dalek::montgomery::MontgomeryPoint;
use salsa20::cipher::consts::U10;
use salsa20::cipher::{KeyIvInit, StreamCipher};
use salsa20::Salsa20;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::mac;

/// Bytes of a long nonce (16-byte prefix + 8-byte counter in MESSAGE).
pub(super) const NONCE_LEN: usize = 24;
/// Bytes of the tag in front of every box.
pub(super) const TAG_LEN: usize = mac::TAG_LEN;

/// A box's tag did not verify: wrong key, wrong nonce, or altered bytes.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BadTag;

/// The precomputed key between our transient secret and the peer's transient public key
/// (libsodium's `crypto_box_beforenm` output). Zeroized on drop.
pub(super) struct SessionKey(Zeroizing<[u8; 32]>);

impl SessionKey {
    /// X25519(`our_secret`, `their_public`), then HSalsa20 with a zero input, as libsodium's
    /// `crypto_box_beforenm`. `our_secret` is clamped here, as X25519 specifies.
    pub(super) fn new(their_public: &[u8; 32], our_secret: &[u8; 32]) -> SessionKey {
        let shared = Zeroizing::new(MontgomeryPoint(*their_public).mul_clamped(*our_secret).0);
        SessionKey(hsalsa20(&shared, &[0u8; 16]))
    }

    /// Encrypts `data` in place under `nonce` and returns the tag that goes in front of it.
    pub(super) fn seal_in_place(&self, nonce: &[u8; NONCE_LEN], data: &mut [u8]) -> [u8; TAG_LEN] {
        let (mut keystream, mac_key) = self.start(nonce);
        keystream.apply_keystream(data);
        mac::tag(&mac_key, data)
    }

    /// Checks `tag` over the ciphertext `data`, then decrypts `data` in place. On a bad tag
    /// `data` is left as it was: nothing unauthenticated is ever decrypted.
    pub(super) fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        data: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), BadTag> {
        let (mut keystream, mac_key) = self.start(nonce);
        let expected = mac::tag(&mac_key, data);
        if !bool::from(expected.ct_eq(tag)) {
            return Err(BadTag);
        }
        keystream.apply_keystream(data);
        Ok(())
    }

    /// XSalsa20 under `nonce`, with the first 32 bytes of its keystream already taken as the
    /// Poly1305 key: the stream continues at byte 32 of the same first block, as NaCl's
    /// secretbox does.
    fn start(&self, nonce: &[u8; NONCE_LEN]) -> (Salsa20, Zeroizing<[u8; mac::KEY_LEN]>) {
        let (head, tail) = nonce.split_at(16);
        let head: &[u8; 16] = head.try_into().expect("16 of 24 bytes");
        let subkey = hsalsa20(&self.0, head);
        let mut keystream = Salsa20::new((&*subkey).into(), tail.into());
        let mut mac_key = Zeroizing::new([0u8; mac::KEY_LEN]);
        keystream.apply_keystream(&mut mac_key[..]);
        (keystream, mac_key)
    }
}

/// HSalsa20 of a 16-byte input under `key`: NaCl's key derivation step.
fn hsalsa20(key: &[u8; 32], input: &[u8; 16]) -> Zeroizing<[u8; 32]> {
    Zeroizing::new(salsa20::hsalsa::<U10>(key.into(), input.into()).into())
}

#[cfg(test)]
mod tests {
    use super::super::test_hex::{hex, hex32};
    use super::*;
    use crypto_box::aead::AeadInPlace;
    use proptest::prelude::*;

    /// libsodium's box (captured by `zmtp-core/tests/vectors/capture_curve.py`, the same vector
    /// as `crypto::tests::boxes_match_libsodium`): same keys, nonce and message give the same
    /// `tag + ciphertext`, byte for byte; it opens back; any flipped bit is refused.
    #[test]
    fn matches_libsodium() {
        let alice_secret =
            hex32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let bob_public = hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let nonce: [u8; 24] = hex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
            .try_into()
            .unwrap();
        let message = b"CurveZMQ test message for the NaCl box vector.";
        let expected = hex(concat!(
            "2e49b49a161008ee3d27a523c198ccd573eb162c11b3adf72df626dfad3717d0",
            "69688aea3f0f3b1f7e29483630a519f7665f5bb1c419bd173203acaac00a"
        ));

        let key = SessionKey::new(&bob_public, &alice_secret);
        let mut data = message.to_vec();
        let tag = key.seal_in_place(&nonce, &mut data);
        assert_eq!(tag[..], expected[..16]);
        assert_eq!(data[..], expected[16..]);

        let mut opened = data.clone();
        assert_eq!(key.open_in_place(&nonce, &mut opened, &tag), Ok(()));
        assert_eq!(opened[..], message[..]);

        for bit in [0, 7, 100, data.len() * 8 - 1] {
            let mut altered = data.clone();
            altered[bit / 8] ^= 1 << (bit % 8);
            let before = altered.clone();
            assert_eq!(key.open_in_place(&nonce, &mut altered, &tag), Err(BadTag));
            assert_eq!(altered, before, "a refused box is left untouched");
        }
        let mut bad_tag = tag;
        bad_tag[15] ^= 0x80;
        assert_eq!(
            key.open_in_place(&nonce, &mut data.clone(), &bad_tag),
            Err(BadTag)
        );
        let mut other_nonce = nonce;
        other_nonce[23] ^= 1;
        assert_eq!(
            key.open_in_place(&other_nonce, &mut data.clone(), &tag),
            Err(BadTag)
        );
    }

    /// Both sides derive the same key: what Alice seals with (bob, alice) Bob opens with
    /// (alice, bob).
    #[test]
    fn both_ends_agree() {
        let alice = [1u8; 32];
        let bob = [2u8; 32];
        let alice_public = MontgomeryPoint::mul_base_clamped(alice).0;
        let bob_public = MontgomeryPoint::mul_base_clamped(bob).0;
        let mut data = b"hello".to_vec();
        let nonce = [9u8; 24];
        let tag = SessionKey::new(&bob_public, &alice).seal_in_place(&nonce, &mut data);
        let bobs = SessionKey::new(&alice_public, &bob);
        assert_eq!(bobs.open_in_place(&nonce, &mut data, &tag), Ok(()));
        assert_eq!(data, b"hello");
    }

    proptest! {
        /// Any keys, nonce and message (across the MAC's 4 KiB switch): the same box as
        /// RustCrypto's `crypto_box`.
        #[test]
        fn same_box_as_crypto_box(
            ours in any::<[u8; 32]>(),
            theirs in any::<[u8; 32]>(),
            nonce in any::<[u8; 24]>(),
            message in proptest::collection::vec(any::<u8>(), 0..5000),
        ) {
            let their_public = MontgomeryPoint::mul_base_clamped(theirs).0;
            let reference = crypto_box::SalsaBox::new(
                &crypto_box::PublicKey::from_bytes(their_public),
                &crypto_box::SecretKey::from_bytes(ours),
            );
            let mut expected = message.clone();
            let expected_tag = reference
                .encrypt_in_place_detached(&nonce.into(), b"", &mut expected)
                .unwrap();

            let mut data = message.clone();
            let tag = SessionKey::new(&their_public, &ours).seal_in_place(&nonce, &mut data);
            prop_assert_eq!(&tag[..], &expected_tag[..]);
            prop_assert_eq!(&data, &expected);
        }
    }
}
