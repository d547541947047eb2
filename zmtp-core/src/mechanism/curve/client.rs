//! The CURVE client: HELLO, then INITIATE once WELCOME proves the server holds its secret key.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use crypto_box::SalsaBox;

use crate::command::RawCommand;
use crate::connection::outbox::Outbox;
use crate::error::{AuthError, ConnectionError, Malformed};
use crate::keys::{KeyPair, PublicKey, KEY_LEN};
use crate::metadata::Metadata;
use crate::random::{RandomError, RandomSource};

use super::cookie::COOKIE_LEN;
use super::crypto::{
    key_at, nonce, open, salsa_box, seal_into, sealed_len, session_key, short_nonce,
};
use super::message::MessageCipher;
use super::prefixed_box::SessionKey;
use super::{
    body_size, CurveClientConfig, HELLO_PREFIX, INITIATE_PREFIX, READY_PREFIX, VOUCH_PREFIX,
    WELCOME_PREFIX,
};
use crate::mechanism::{rejected, unexpected, Established, HandshakeStep};

/// HELLO: name 6, version 2, padding 72, C' 32, nonce 8, signature box 80.
pub(super) const HELLO_SIZE: usize = 200;
/// Anti-amplification padding: HELLO is as long as WELCOME's reply, so a forged source address
/// gains an attacker nothing.
const HELLO_PADDING: usize = 72;
/// WELCOME: name 8, nonce 16, box of S' + cookie 144.
pub(super) const WELCOME_SIZE: usize = 168;
/// INITIATE without metadata: name 9, cookie 96, nonce 8, box of C + vouch 144.
pub(super) const INITIATE_MIN_SIZE: usize = 257;
/// READY without metadata: name 6, nonce 8, tag 16.
pub(super) const READY_MIN_SIZE: usize = 30;
/// The vouch: 16 nonce bytes and a box of C' + S.
pub(super) const VOUCH_LEN: usize = 16 + sealed_len(2 * KEY_LEN);

enum State {
    ExpectWelcome,
    ExpectReady { session: Box<SessionKey> },
    Finished,
}

/// The client side of a CURVE handshake.
pub(crate) struct CurveClient {
    server_key: PublicKey,
    keys: KeyPair,
    random: Arc<dyn RandomSource>,
    /// c', our transient secret; C' is in HELLO.
    transient: crypto_box::SecretKey,
    transient_public: PublicKey,
    /// Box between c' and S: seals HELLO's signature, opens WELCOME.
    with_server: SalsaBox,
    local: Metadata,
    next_nonce: u64,
    state: State,
}

impl std::fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::ExpectWelcome => "expect WELCOME",
            State::ExpectReady { .. } => "expect READY",
            State::Finished => "finished",
        };
        f.debug_struct("CurveClient")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

impl CurveClient {
    /// Makes a transient key pair and sends HELLO; fails, sending nothing, when the random
    /// source does.
    pub(crate) fn start(
        config: &CurveClientConfig,
        local: Metadata,
        out: &mut Outbox,
    ) -> Result<CurveClient, RandomError> {
        let (transient, transient_public) = super::crypto::transient_keys(&*config.random)?;
        let with_server = salsa_box(&config.server_key, &transient);
        let mut client = CurveClient {
            server_key: config.server_key,
            keys: config.keys.clone(),
            random: Arc::clone(&config.random),
            transient,
            transient_public,
            with_server,
            local,
            next_nonce: 1,
            state: State::ExpectWelcome,
        };
        client.send_hello(out);
        Ok(client)
    }

    fn take_nonce(&mut self) -> u64 {
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        nonce
    }

    fn send_hello(&mut self, out: &mut Outbox) {
        let nonce = self.take_nonce();
        out.push_frame_with(false, true, HELLO_SIZE, |buf| {
            buf.put_slice(b"\x05HELLO");
            buf.put_slice(&[1, 0]);
            buf.put_bytes(0, HELLO_PADDING);
            buf.put_slice(self.transient_public.as_bytes());
            buf.put_u64(nonce);
            let signature = short_nonce(HELLO_PREFIX, nonce);
            seal_into(&self.with_server, &signature, &[&[0u8; 64]], buf);
        });
    }

    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match (&self.state, &command.name[..]) {
            (State::ExpectWelcome, b"WELCOME") => self.on_welcome(&command, out),
            (State::ExpectReady { .. }, b"READY") => self.on_ready(&command),
            (State::ExpectWelcome | State::ExpectReady { .. }, b"ERROR") => Err(rejected(&command)),
            _ => Err(unexpected(&command)),
        }
    }

    /// WELCOME = nonce(16) + Box[S' + cookie](S->C'). Opening it proves the server has s.
    fn on_welcome(
        &mut self,
        command: &RawCommand,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        let size = body_size(command);
        if size != WELCOME_SIZE {
            return Err(Malformed::BadCommandSize {
                command: "WELCOME",
                size,
            }
            .into());
        }
        let (nonce_tail, sealed) = command.data.split_at(16);
        let plaintext = open(
            &self.with_server,
            &nonce(WELCOME_PREFIX, nonce_tail),
            sealed,
        )
        .ok_or(AuthError::BadBox { command: "WELCOME" })?;
        let server_transient = PublicKey::from_bytes(key_at(&plaintext[..KEY_LEN]));
        let cookie = &plaintext[KEY_LEN..];
        debug_assert_eq!(cookie.len(), COOKIE_LEN);
        let session = session_key(&server_transient, &self.transient);
        self.send_initiate(&server_transient, cookie, &session, out)?;
        self.state = State::ExpectReady {
            session: Box::new(session),
        };
        Ok(HandshakeStep::Continue)
    }

    /// INITIATE = cookie + nonce + Box[C + vouch + metadata](C'->S'), where the vouch
    /// Box[C' + S](C->S') proves that the holder of c sent this transient key to this server.
    fn send_initiate(
        &mut self,
        server_transient: &PublicKey,
        cookie: &[u8],
        session: &SessionKey,
        out: &mut Outbox,
    ) -> Result<(), RandomError> {
        let mut vouch_tail = [0u8; 16];
        self.random.try_fill(&mut vouch_tail)?;
        let mut vouch = BytesMut::with_capacity(VOUCH_LEN);
        vouch.put_slice(&vouch_tail);
        let long_term = salsa_box(server_transient, &self.keys.secret().to_crypto());
        seal_into(
            &long_term,
            &nonce(VOUCH_PREFIX, &vouch_tail),
            &[self.transient_public.as_bytes(), self.server_key.as_bytes()],
            &mut vouch,
        );

        let mut metadata = BytesMut::with_capacity(self.local.encoded_len());
        self.local.encode(&mut metadata);
        let nonce = self.take_nonce();
        let size = INITIATE_MIN_SIZE + metadata.len();
        out.push_frame_with(false, true, size, |buf| {
            buf.put_slice(b"\x08INITIATE");
            buf.put_slice(cookie);
            buf.put_u64(nonce);
            let parts: [&[u8]; 3] = [self.keys.public().as_bytes(), &vouch, &metadata];
            seal_into(session, &short_nonce(INITIATE_PREFIX, nonce), &parts, buf);
        });
        Ok(())
    }

    /// READY = nonce + Box[metadata](S'->C').
    fn on_ready(&mut self, command: &RawCommand) -> Result<HandshakeStep, ConnectionError> {
        let size = body_size(command);
        if size < READY_MIN_SIZE {
            return Err(Malformed::BadCommandSize {
                command: "READY",
                size,
            }
            .into());
        }
        let State::ExpectReady { session } = std::mem::replace(&mut self.state, State::Finished)
        else {
            return Err(unexpected(command));
        };
        let (nonce_bytes, sealed) = command.data.split_at(8);
        let nonce = u64::from_be_bytes(nonce_bytes.try_into().expect("8 bytes"));
        // The server's first short nonce; 0 is below any counter starting at 1.
        if nonce == 0 {
            return Err(AuthError::NonceNotIncreasing {
                command: "READY",
                nonce,
                last: 0,
            }
            .into());
        }
        let plaintext = open(&*session, &short_nonce(READY_PREFIX, nonce), sealed)
            .ok_or(AuthError::BadBox { command: "READY" })?;
        let metadata = Metadata::decode(bytes::Bytes::copy_from_slice(&plaintext))?;
        let mut established = Established::new(metadata);
        established.peer_key = Some(self.server_key);
        established.cipher = Some(Box::new(MessageCipher::new(
            *session,
            true,
            self.next_nonce,
            nonce,
        )));
        Ok(HandshakeStep::Done(established))
    }
}
