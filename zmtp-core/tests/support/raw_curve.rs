//! A scripted CURVE client written straight from RFC 26 with RustCrypto's `crypto_box`, sharing
//! no code with zmtp-core: it builds commands byte by byte, with knobs to get things wrong on
//! purpose (the vouch, above all, which a well-behaved client cannot be made to spoil).
#![allow(dead_code, unreachable_pub)]

use crypto_box::aead::AeadInPlace;
use crypto_box::{Nonce, PublicKey, SalsaBox, SecretKey};

fn nonce(prefix: &[u8], rest: &[u8]) -> Nonce {
    let mut n = [0u8; 24];
    n[..prefix.len()].copy_from_slice(prefix);
    n[prefix.len()..].copy_from_slice(rest);
    n.into()
}

/// NaCl box: tag, then ciphertext.
pub fn seal(key: &SalsaBox, nonce: &Nonce, plaintext: &[u8]) -> Vec<u8> {
    let mut body = plaintext.to_vec();
    let tag = key
        .encrypt_in_place_detached(nonce, b"", &mut body)
        .unwrap();
    [tag.as_slice(), &body].concat()
}

pub fn open(key: &SalsaBox, nonce: &Nonce, sealed: &[u8]) -> Option<Vec<u8>> {
    let (tag, ciphertext) = sealed.split_at(16);
    let mut body = ciphertext.to_vec();
    key.decrypt_in_place_detached(nonce, b"", &mut body, tag.into())
        .ok()?;
    Some(body)
}

/// What goes into the vouch, each part replaceable.
pub struct Vouch {
    /// Secret key that seals the vouch (the client's long-term secret when honest).
    pub signer: [u8; 32],
    /// Transient key the vouch names (C' when honest).
    pub names_transient: [u8; 32],
    /// Server key the vouch names (S when honest).
    pub names_server: [u8; 32],
}

pub struct RawCurveClient {
    pub server: [u8; 32],
    pub long_secret: [u8; 32],
    pub transient_secret: [u8; 32],
    pub server_transient: Option<[u8; 32]>,
    pub cookie: Vec<u8>,
}

pub fn public_of(secret: [u8; 32]) -> [u8; 32] {
    SecretKey::from_bytes(secret).public_key().to_bytes()
}

fn salsa(theirs: [u8; 32], ours: [u8; 32]) -> SalsaBox {
    SalsaBox::new(&PublicKey::from_bytes(theirs), &SecretKey::from_bytes(ours))
}

impl RawCurveClient {
    pub fn new(server: [u8; 32], long_secret: [u8; 32], transient_secret: [u8; 32]) -> Self {
        RawCurveClient {
            server,
            long_secret,
            transient_secret,
            server_transient: None,
            cookie: Vec::new(),
        }
    }

    pub fn transient_public(&self) -> [u8; 32] {
        public_of(self.transient_secret)
    }

    /// The HELLO command body (200 bytes).
    pub fn hello(&self, short_nonce: u64) -> Vec<u8> {
        let key = salsa(self.server, self.transient_secret);
        let n = short_nonce.to_be_bytes();
        let signature = seal(&key, &nonce(b"CurveZMQHELLO---", &n), &[0; 64]);
        [
            &b"\x05HELLO\x01\x00"[..],
            &[0; 72],
            &self.transient_public(),
            &n,
            &signature,
        ]
        .concat()
    }

    /// Takes S' and the cookie out of a WELCOME command body.
    pub fn welcome(&mut self, body: &[u8]) {
        assert_eq!(&body[..8], b"\x07WELCOME");
        let key = salsa(self.server, self.transient_secret);
        let plain = open(&key, &nonce(b"WELCOME-", &body[8..24]), &body[24..]).unwrap();
        self.server_transient = Some(plain[..32].try_into().unwrap());
        self.cookie = plain[32..].to_vec();
    }

    /// The honest vouch.
    pub fn vouch(&self) -> Vouch {
        Vouch {
            signer: self.long_secret,
            names_transient: self.transient_public(),
            names_server: self.server,
        }
    }

    /// The INITIATE command body, claiming long-term key `claimed_client`.
    pub fn initiate(
        &self,
        short_nonce: u64,
        vouch: &Vouch,
        claimed_client: [u8; 32],
        metadata: &[u8],
    ) -> Vec<u8> {
        let server_transient = self.server_transient.expect("WELCOME first");
        let vouch_nonce = [7u8; 16];
        let vouch_box = seal(
            &salsa(server_transient, vouch.signer),
            &nonce(b"VOUCH---", &vouch_nonce),
            &[vouch.names_transient, vouch.names_server].concat(),
        );
        let plaintext = [&claimed_client[..], &vouch_nonce, &vouch_box, metadata].concat();
        let n = short_nonce.to_be_bytes();
        let session = salsa(server_transient, self.transient_secret);
        let sealed = seal(&session, &nonce(b"CurveZMQINITIATE", &n), &plaintext);
        [&b"\x08INITIATE"[..], &self.cookie, &n, &sealed].concat()
    }

    /// Opens a READY command body; `None` if the box does not open.
    pub fn ready(&self, body: &[u8]) -> Option<Vec<u8>> {
        assert_eq!(&body[..6], b"\x05READY");
        let session = salsa(self.server_transient.unwrap(), self.transient_secret);
        open(
            &session,
            &nonce(b"CurveZMQREADY---", &body[6..14]),
            &body[14..],
        )
    }

    /// A MESSAGE command body from the client: `flags` then `payload`, sealed.
    pub fn message(&self, short_nonce: u64, flags: u8, payload: &[u8]) -> Vec<u8> {
        let session = salsa(self.server_transient.unwrap(), self.transient_secret);
        let n = short_nonce.to_be_bytes();
        let plaintext = [&[flags][..], payload].concat();
        let sealed = seal(&session, &nonce(b"CurveZMQMESSAGEC", &n), &plaintext);
        [&b"\x07MESSAGE"[..], &n, &sealed].concat()
    }

    /// Opens a MESSAGE from the server: (flags, payload).
    pub fn open_message(&self, body: &[u8]) -> Option<(u8, Vec<u8>)> {
        assert_eq!(&body[..8], b"\x07MESSAGE");
        let session = salsa(self.server_transient.unwrap(), self.transient_secret);
        let plain = open(
            &session,
            &nonce(b"CurveZMQMESSAGES", &body[8..16]),
            &body[16..],
        )?;
        Some((plain[0], plain[1..].to_vec()))
    }
}
