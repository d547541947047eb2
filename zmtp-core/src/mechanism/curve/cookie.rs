//! The CURVE cookie: how a server stays stateless between WELCOME and INITIATE.
//!
//! WELCOME carries `cookie = nonce(16) + SecretBox[C' + s'](K)` (96 bytes), sealed under a cookie
//! key K made fresh for this WELCOME. The server then forgets the client's transient key C' and
//! its own transient secret s': INITIATE brings them back inside the cookie, which only K opens.
//! K itself is forgotten after [`COOKIE_LIFETIME`], so an old cookie cannot be replayed.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use crypto_box::aead::KeyInit;
use crypto_secretbox::XSalsa20Poly1305;
use zeroize::Zeroizing;

use crate::error::AuthError;
use crate::keys::{PublicKey, KEY_LEN};
use crate::random::{RandomError, RandomSource};

use super::crypto::{key_at, nonce, open, seal_into, sealed_len};
use super::COOKIE_PREFIX;

/// How long a cookie key is kept (RFC 26 suggests about 60 seconds).
pub(super) const COOKIE_LIFETIME: Duration = Duration::from_secs(60);

/// Bytes of a cookie: 16 nonce bytes and a sealed 64-byte plaintext.
pub(super) const COOKIE_LEN: usize = 16 + sealed_len(2 * KEY_LEN);

/// The only thing a server keeps between WELCOME and INITIATE.
pub(super) struct CookieKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    issued: Instant,
}

impl std::fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKey(<redacted>)")
    }
}

/// What a valid cookie holds.
pub(super) struct CookieContents {
    /// The client's transient public key C', as sent in its HELLO.
    pub(super) client_transient: PublicKey,
    /// Our transient secret key s'.
    pub(super) server_transient: crypto_box::SecretKey,
}

impl CookieKey {
    /// Seals C' and s' under a fresh key; returns the key and the cookie.
    pub(super) fn issue(
        random: &dyn RandomSource,
        client_transient: &PublicKey,
        server_transient: &crypto_box::SecretKey,
        now: Instant,
    ) -> Result<(CookieKey, BytesMut), RandomError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        random.try_fill(&mut key[..])?;
        let mut nonce_tail = [0u8; 16];
        random.try_fill(&mut nonce_tail)?;
        let secret = Zeroizing::new(server_transient.to_bytes());

        let mut cookie = BytesMut::with_capacity(COOKIE_LEN);
        cookie.extend_from_slice(&nonce_tail);
        let cipher = XSalsa20Poly1305::new((&*key).into());
        seal_into(
            &cipher,
            &nonce(COOKIE_PREFIX, &nonce_tail),
            &[client_transient.as_bytes(), &secret[..]],
            &mut cookie,
        );
        debug_assert_eq!(cookie.len(), COOKIE_LEN);
        Ok((CookieKey { key, issued: now }, cookie))
    }

    /// Opens a cookie from INITIATE (exactly [`COOKIE_LEN`] bytes).
    pub(super) fn open(&self, cookie: &[u8], now: Instant) -> Result<CookieContents, AuthError> {
        if now.saturating_duration_since(self.issued) > COOKIE_LIFETIME {
            return Err(AuthError::CookieExpired);
        }
        let (nonce_tail, sealed) = cookie.split_at(16);
        let cipher = XSalsa20Poly1305::new((&*self.key).into());
        let plaintext = open(&cipher, &nonce(COOKIE_PREFIX, nonce_tail), sealed)
            .filter(|p| p.len() == 2 * KEY_LEN)
            .ok_or(AuthError::BadCookie)?;
        let secret = Zeroizing::new(key_at(&plaintext[KEY_LEN..]));
        Ok(CookieContents {
            client_transient: PublicKey::from_bytes(key_at(&plaintext[..KEY_LEN])),
            server_transient: crypto_box::SecretKey::from_bytes(*secret),
        })
    }
}
