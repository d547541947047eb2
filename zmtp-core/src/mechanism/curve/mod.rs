//! CURVE (RFC 25, carrying the CurveZMQ handshake of RFC 26), as libzmq 4.3 speaks it.
//!
//! ```text
//! client (C, c; transient C', c')                 server (S, s; transient S', s')
//! HELLO    version 1.0, 72 zero bytes, C', nonce, Box[64 zeros](C'->S)          200 bytes
//!                                     WELCOME   nonce, Box[S' + cookie](S->C')  168 bytes
//!          cookie = nonce + SecretBox[C' + s'](K), K a fresh cookie key per WELCOME
//! INITIATE cookie, nonce, Box[C + vouch + metadata](C'->S')                  >= 257 bytes
//!          vouch = nonce + Box[C' + S](C->S')
//!                                     READY     nonce, Box[metadata](S'->C')  >= 30 bytes
//! MESSAGE  nonce, Box[flags + frame](C'->S' or S'->C'), both ways            >= 33 bytes
//! ```
//!
//! Long nonces are a 16-byte prefix and an 8-byte big-endian short nonce (a per-side counter
//! from 1, shared by HELLO/INITIATE or READY and every MESSAGE), or an 8-byte prefix and 16
//! random bytes (WELCOME, cookie, vouch). The server keeps nothing of a client between WELCOME
//! and INITIATE but the cookie key: its transient secret travels in the cookie.
//!
//! Files: [`crypto`] (boxes and nonces), [`cookie`], [`client`], [`server`], [`message`] (the
//! MESSAGE cipher used once the handshake is done), [`prefixed_box`] (the box between transient
//! keys, precomputed once per connection), [`mac`] (Poly1305, chosen by input length).

mod client;
mod cookie;
mod crypto;
mod mac;
mod message;
mod prefixed_box;
mod server;
#[cfg(test)]
mod test_hex;

use std::fmt;
use std::sync::Arc;

use crate::keys::{KeyPair, PublicKey};
use crate::random::RandomSource;

pub(crate) use client::CurveClient;
pub(crate) use message::{MessageCipher, MESSAGE_OVERHEAD};
pub(crate) use server::CurveServer;

/// HELLO's short-nonce prefix.
const HELLO_PREFIX: &[u8; 16] = b"CurveZMQHELLO---";
/// WELCOME's long-nonce prefix (16 random bytes follow).
const WELCOME_PREFIX: &[u8; 8] = b"WELCOME-";
/// The cookie's long-nonce prefix (16 random bytes follow).
const COOKIE_PREFIX: &[u8; 8] = b"COOKIE--";
/// The vouch's long-nonce prefix (16 random bytes follow).
const VOUCH_PREFIX: &[u8; 8] = b"VOUCH---";
/// INITIATE's short-nonce prefix.
const INITIATE_PREFIX: &[u8; 16] = b"CurveZMQINITIATE";
/// READY's short-nonce prefix.
const READY_PREFIX: &[u8; 16] = b"CurveZMQREADY---";

/// A CURVE client's settings.
#[derive(Clone)]
#[non_exhaustive]
pub struct CurveClientConfig {
    /// The server's long-term public key (libzmq's ZMQ_CURVE_SERVERKEY).
    pub server_key: PublicKey,
    /// Our long-term key pair, which the server's authentication hook sees the public half of.
    pub keys: KeyPair,
    /// Randomness for the transient key pair and the vouch nonce.
    pub random: Arc<dyn RandomSource>,
}

impl CurveClientConfig {
    /// A client of the server whose public key is `server_key`.
    pub fn new(
        server_key: PublicKey,
        keys: KeyPair,
        random: Arc<dyn RandomSource>,
    ) -> CurveClientConfig {
        CurveClientConfig {
            server_key,
            keys,
            random,
        }
    }
}

impl fmt::Debug for CurveClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveClientConfig")
            .field("server_key", &self.server_key)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// A CURVE server's settings.
#[derive(Clone)]
#[non_exhaustive]
pub struct CurveServerConfig {
    /// Our long-term key pair; clients must know its public half.
    pub keys: KeyPair,
    /// Randomness for transient key pairs, cookie keys and nonces.
    pub random: Arc<dyn RandomSource>,
}

impl CurveServerConfig {
    /// A server with this key pair.
    pub fn new(keys: KeyPair, random: Arc<dyn RandomSource>) -> CurveServerConfig {
        CurveServerConfig { keys, random }
    }
}

impl fmt::Debug for CurveServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveServerConfig")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// The size a command body must have (or at least have), counted like libzmq: name-length byte,
/// name, data.
fn body_size(command: &crate::command::RawCommand) -> usize {
    1 + command.name.len() + command.data.len()
}
