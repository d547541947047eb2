//! The CURVE server: WELCOME to a HELLO that proves the client knows our key, READY to an
//! INITIATE whose cookie, box and vouch all check out and whose client the hook accepts.
//!
//! Failures before the decision close the connection without a word (no ERROR): a client with
//! the wrong server key, a forged cookie or a bad vouch learns nothing, and a forged HELLO costs
//! no reply (libzmq does the same). Only a refusal by the authentication hook sends ERROR.

use std::sync::Arc;
use std::time::Instant;

use bytes::{BufMut, Bytes};

use crate::command::RawCommand;
use crate::connection::config::Config;
use crate::connection::outbox::Outbox;
use crate::error::{AuthError, ConnectionError, Incompatible, Malformed};
use crate::greeting::MechanismName;
use crate::keys::{KeyPair, PublicKey, KEY_LEN};
use crate::metadata::{self, Metadata};
use crate::random::RandomSource;

use super::client::{HELLO_SIZE, INITIATE_MIN_SIZE, VOUCH_LEN, WELCOME_SIZE};
use super::cookie::{CookieKey, COOKIE_LEN};
use super::crypto::{
    key_at, nonce, open, salsa_box, seal_into, session_key, short_nonce, transient_keys,
};
use super::message::MessageCipher;
use super::prefixed_box::SessionKey;
use super::{
    body_size, CurveServerConfig, HELLO_PREFIX, INITIATE_PREFIX, READY_PREFIX, VOUCH_PREFIX,
    WELCOME_PREFIX,
};
use crate::mechanism::{
    deny, unexpected, AuthDecision, AuthRequest, Credentials, Established, HandshakeStep,
};

/// A client that passed every check and waits for the decision (or has it).
struct Accepted {
    session: SessionKey,
    client_key: PublicKey,
    metadata: Metadata,
    peer_nonce: u64,
}

enum State {
    ExpectHello,
    ExpectInitiate { cookie: CookieKey, peer_nonce: u64 },
    AwaitDecision(Box<Accepted>),
    Finished,
}

/// The server side of a CURVE handshake.
pub(crate) struct CurveServer {
    keys: KeyPair,
    random: Arc<dyn RandomSource>,
    local: Metadata,
    ask: bool,
    peer_address: String,
    state: State,
}

impl std::fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::ExpectHello => "expect HELLO",
            State::ExpectInitiate { .. } => "expect INITIATE",
            State::AwaitDecision(_) => "await decision",
            State::Finished => "finished",
        };
        f.debug_struct("CurveServer")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

fn size_error(command: &'static str, size: usize) -> ConnectionError {
    Malformed::BadCommandSize { command, size }.into()
}

fn read_nonce(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes.try_into().expect("callers slice 8 bytes"))
}

impl CurveServer {
    /// Waits for HELLO; nothing is sent first.
    pub(crate) fn start(curve: &CurveServerConfig, config: &Config, local: Metadata) -> Self {
        CurveServer {
            keys: curve.keys.clone(),
            random: Arc::clone(&curve.random),
            local,
            ask: config.auth_requests,
            peer_address: config.peer_address.clone(),
            state: State::ExpectHello,
        }
    }

    pub(crate) fn needs_decision(&self) -> bool {
        matches!(self.state, State::AwaitDecision(_))
    }

    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<HandshakeStep, ConnectionError> {
        match (&self.state, &command.name[..]) {
            (State::ExpectHello, b"HELLO") => self.on_hello(&command, out, now),
            (State::ExpectInitiate { .. }, b"INITIATE") => self.on_initiate(&command, out, now),
            (_, b"ERROR") => Err(ConnectionError::PeerError {
                reason: crate::mechanism::error_reason(&command)?,
            }),
            _ => Err(unexpected(&command)),
        }
    }

    /// HELLO = version, padding, C', nonce, Box[64 zeros](C'->S). If the box opens, the client
    /// knows our public key; answer with WELCOME and keep only the cookie key.
    fn on_hello(
        &mut self,
        command: &RawCommand,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<HandshakeStep, ConnectionError> {
        let size = body_size(command);
        if size != HELLO_SIZE {
            return Err(size_error("HELLO", size));
        }
        let data = &command.data;
        if data[..2] != [1, 0] {
            return Err(Incompatible::CurveVersion {
                major: data[0],
                minor: data[1],
            }
            .into());
        }
        // The 72 padding bytes are not checked, as libzmq does not.
        let client_transient = PublicKey::from_bytes(key_at(&data[74..106]));
        let nonce_value = read_nonce(&data[106..114]);
        if nonce_value == 0 {
            return Err(AuthError::NonceNotIncreasing {
                command: "HELLO",
                nonce: 0,
                last: 0,
            }
            .into());
        }
        let with_client = salsa_box(&client_transient, &self.keys.secret().to_crypto());
        open(
            &with_client,
            &short_nonce(HELLO_PREFIX, nonce_value),
            &data[114..],
        )
        .ok_or(AuthError::BadBox { command: "HELLO" })?;

        let (server_transient, server_transient_public) = transient_keys(&*self.random)?;
        let (cookie_key, cookie) =
            CookieKey::issue(&*self.random, &client_transient, &server_transient, now)?;
        let mut welcome_tail = [0u8; 16];
        self.random.try_fill(&mut welcome_tail)?;
        out.push_frame_with(false, true, WELCOME_SIZE, |buf| {
            buf.put_slice(b"\x07WELCOME");
            buf.put_slice(&welcome_tail);
            let parts: [&[u8]; 2] = [server_transient_public.as_bytes(), &cookie];
            seal_into(
                &with_client,
                &nonce(WELCOME_PREFIX, &welcome_tail),
                &parts,
                buf,
            );
        });
        // s' now lives only inside the cookie; dropping it here zeroizes our copy.
        drop(server_transient);
        self.state = State::ExpectInitiate {
            cookie: cookie_key,
            peer_nonce: nonce_value,
        };
        Ok(HandshakeStep::Continue)
    }

    /// INITIATE = cookie, nonce, Box[C + vouch + metadata](C'->S').
    fn on_initiate(
        &mut self,
        command: &RawCommand,
        out: &mut Outbox,
        now: Instant,
    ) -> Result<HandshakeStep, ConnectionError> {
        let size = body_size(command);
        if size < INITIATE_MIN_SIZE {
            return Err(size_error("INITIATE", size));
        }
        let State::ExpectInitiate { cookie, peer_nonce } = &self.state else {
            return Err(unexpected(command));
        };
        let data = &command.data;
        let contents = cookie.open(&data[..COOKIE_LEN], now)?;
        let nonce_value = read_nonce(&data[COOKIE_LEN..COOKIE_LEN + 8]);
        if nonce_value <= *peer_nonce {
            return Err(AuthError::NonceNotIncreasing {
                command: "INITIATE",
                nonce: nonce_value,
                last: *peer_nonce,
            }
            .into());
        }
        let session = session_key(&contents.client_transient, &contents.server_transient);
        let plaintext = open(
            &session,
            &short_nonce(INITIATE_PREFIX, nonce_value),
            &data[COOKIE_LEN + 8..],
        )
        .ok_or(AuthError::BadBox {
            command: "INITIATE",
        })?;
        let client_key = PublicKey::from_bytes(key_at(&plaintext[..KEY_LEN]));
        let vouch = &plaintext[KEY_LEN..KEY_LEN + VOUCH_LEN];
        self.check_vouch(vouch, &client_key, &contents)?;
        let metadata = Metadata::decode(Bytes::copy_from_slice(&plaintext[KEY_LEN + VOUCH_LEN..]))?;

        let peer_identity = metadata
            .get(metadata::IDENTITY)
            .cloned()
            .unwrap_or_default();
        self.state = State::AwaitDecision(Box::new(Accepted {
            session,
            client_key,
            metadata,
            peer_nonce: nonce_value,
        }));
        if !self.ask {
            // libzmq without a ZAP handler: knowing our key is enough.
            return self.decide(AuthDecision::allow(), out);
        }
        Ok(HandshakeStep::Authenticate(AuthRequest {
            mechanism: MechanismName::CURVE,
            peer_address: self.peer_address.clone(),
            peer_identity: Some(peer_identity),
            credentials: Credentials::Curve { client_key },
        }))
    }

    /// The vouch Box[C' + S](C->S') must open with the client's long-term key and name the
    /// transient key from the cookie and our own public key: only the holder of c could have
    /// made it, for this connection to this server.
    fn check_vouch(
        &self,
        vouch: &[u8],
        client_key: &PublicKey,
        cookie: &super::cookie::CookieContents,
    ) -> Result<(), AuthError> {
        let (nonce_tail, sealed) = vouch.split_at(16);
        let long_term = salsa_box(client_key, &cookie.server_transient);
        let named = open(&long_term, &nonce(VOUCH_PREFIX, nonce_tail), sealed)
            .ok_or(AuthError::BadVouch)?;
        let (transient, server) = named.split_at(KEY_LEN);
        if transient != cookie.client_transient.as_bytes()
            || server != self.keys.public().as_bytes()
        {
            return Err(AuthError::BadVouch);
        }
        Ok(())
    }

    pub(crate) fn decide(
        &mut self,
        decision: AuthDecision,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        let State::AwaitDecision(accepted) = std::mem::replace(&mut self.state, State::Finished)
        else {
            return Ok(HandshakeStep::Continue);
        };
        let (user_id, properties) = match decision {
            AuthDecision::Allow {
                user_id,
                properties,
            } => (user_id, properties),
            AuthDecision::Deny(status) => return Err(deny(status, out)),
        };
        let Accepted {
            session,
            client_key,
            metadata,
            peer_nonce,
        } = *accepted;
        // READY takes our short nonce 1; MESSAGEs continue from 2.
        let ready_nonce = 1;
        let local = &self.local;
        let size = super::client::READY_MIN_SIZE + local.encoded_len();
        out.push_frame_with(false, true, size, |buf| {
            buf.put_slice(b"\x05READY");
            buf.put_u64(ready_nonce);
            let mut encoded = Vec::with_capacity(local.encoded_len());
            local.encode(&mut encoded);
            seal_into(
                &session,
                &short_nonce(READY_PREFIX, ready_nonce),
                &[&encoded],
                buf,
            );
        });
        let mut established = Established::new(metadata).with_decision(user_id, properties);
        established.peer_key = Some(client_key);
        established.cipher = Some(Box::new(MessageCipher::new(
            session,
            false,
            ready_nonce + 1,
            peer_nonce,
        )));
        Ok(HandshakeStep::Done(established))
    }
}
