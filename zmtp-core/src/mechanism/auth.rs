//! The authentication hook: what a PLAIN or CURVE server asks its application about each client,
//! and what the application answers. It gives what ZAP (RFC 27) gives libzmq users, without a
//! socket in between.
//!
//! # How a driver answers
//!
//! With [`Config::auth_requests`](crate::Config::auth_requests) set, a server's handshake pauses
//! when the client's credentials are known (PLAIN: on HELLO; CURVE: on a valid INITIATE) and
//! the connection emits [`Event::AuthRequest`](crate::Event::AuthRequest). The driver decides,
//! at once or after asking something asynchronous, and calls
//! [`Connection::authenticate`](crate::Connection::authenticate); the handshake then continues
//! (drain the outputs as after any input). Meanwhile the handshake timeout keeps running, so a
//! driver that never answers ends with a handshake timeout, not a hang.
//!
//! The core never calls application code itself: like bytes and time, the decision is an input.
//!
//! # Without a hook
//!
//! As libzmq without a ZAP handler: a PLAIN server refuses every client (ERROR `"400"`), a CURVE
//! server accepts every client that knows its public key.

use std::fmt;

use bytes::Bytes;
use zeroize::Zeroizing;

use crate::greeting::MechanismName;
use crate::keys::{constant_time_eq, PublicKey};
use crate::metadata::Metadata;

/// A server's question about one client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthRequest {
    /// `PLAIN` or `CURVE`.
    pub mechanism: MechanismName,
    /// The peer's address, as the driver gave it in [`Config::peer_address`](crate::Config::peer_address).
    pub peer_address: String,
    /// The client's `Identity` property when the mechanism has received its metadata by the
    /// time of the decision: CURVE does (INITIATE carries it), PLAIN decides on HELLO, before
    /// any metadata, so `None` there. `Some(empty)` when the client sent no identity.
    pub peer_identity: Option<Bytes>,
    /// What the client presented.
    pub credentials: Credentials,
}

/// The credentials a client presented.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// PLAIN user name and password (each at most 255 bytes).
    Plain {
        /// The user name.
        username: Bytes,
        /// The password; zeroized on drop and never printed.
        password: Password,
    },
    /// The CURVE client's long-term public key, proven by its vouch.
    Curve {
        /// The client's public key.
        client_key: PublicKey,
    },
}

/// The application's answer to an [`AuthRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Let the client in; attach these to the connection's [`PeerInfo`](crate::PeerInfo).
    Allow {
        /// Who the client is to the application (libzmq's `User-Id`); may be empty.
        user_id: Bytes,
        /// Properties for the application to read on the connection (libzmq's ZAP metadata).
        properties: Metadata,
    },
    /// Refuse the client.
    Deny(DenyStatus),
}

impl AuthDecision {
    /// Allow, attaching nothing.
    pub fn allow() -> AuthDecision {
        AuthDecision::Allow {
            user_id: Bytes::new(),
            properties: Metadata::new(),
        }
    }

    /// Allow, with a user id.
    pub fn allow_as(user_id: impl Into<Bytes>) -> AuthDecision {
        AuthDecision::Allow {
            user_id: user_id.into(),
            properties: Metadata::new(),
        }
    }

    /// Refuse with status 400 (the usual "wrong credentials").
    pub fn deny() -> AuthDecision {
        AuthDecision::Deny(DenyStatus::Denied)
    }
}

/// How a refusal is reported, with ZAP's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyStatus {
    /// 300, a temporary failure: the client is disconnected *without* ERROR, so it may retry
    /// (libzmq and the CurveZMQ RFC do the same).
    Temporary,
    /// 400, authentication failed: ERROR `"400"` is sent and the client must not retry with the
    /// same credentials.
    Denied,
    /// 500, an internal error of the authenticator: ERROR `"500"` is sent.
    Internal,
}

impl DenyStatus {
    /// The ZAP status code: 300, 400 or 500.
    pub fn code(self) -> u16 {
        match self {
            DenyStatus::Temporary => 300,
            DenyStatus::Denied => 400,
            DenyStatus::Internal => 500,
        }
    }

    /// The ERROR reason sent to the client, if any: the three digits, as libzmq sends them (a
    /// libzmq client turns them into `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` with that code).
    pub(crate) fn error_reason(self) -> Option<&'static [u8]> {
        match self {
            DenyStatus::Temporary => None,
            DenyStatus::Denied => Some(b"400"),
            DenyStatus::Internal => Some(b"500"),
        }
    }
}

/// A PLAIN password: zeroized on drop, never printed by `Debug`, compared in constant time.
#[derive(Clone, Default)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// A password from its bytes (at most 255 on the wire; checked by [`Config::validate`](crate::Config::validate)).
    pub fn new(bytes: impl Into<Vec<u8>>) -> Password {
        Password(Zeroizing::new(bytes.into()))
    }

    /// The password bytes. Named so that every read stands out in review.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Password {
        Password::new(text.as_bytes())
    }
}

impl From<String> for Password {
    fn from(text: String) -> Password {
        Password::new(text.into_bytes())
    }
}

impl From<Vec<u8>> for Password {
    fn from(bytes: Vec<u8>) -> Password {
        Password::new(bytes)
    }
}

impl From<&[u8]> for Password {
    fn from(bytes: &[u8]) -> Password {
        Password::new(bytes)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Password) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

impl Eq for Password {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_printed() {
        let credentials = Credentials::Plain {
            username: Bytes::from_static(b"admin"),
            password: Password::from("hunter2"),
        };
        let printed = format!("{credentials:?}");
        assert!(
            printed.contains("admin") && !printed.contains("hunter2"),
            "{printed}"
        );
        assert_eq!(Password::from("a"), Password::from(&b"a"[..]));
        assert_ne!(Password::from("a"), Password::from("ab"));
    }

    #[test]
    fn deny_statuses_map_to_zap_codes() {
        assert_eq!(DenyStatus::Temporary.code(), 300);
        assert_eq!(DenyStatus::Temporary.error_reason(), None);
        assert_eq!(DenyStatus::Denied.error_reason(), Some(&b"400"[..]));
        assert_eq!(DenyStatus::Internal.error_reason(), Some(&b"500"[..]));
    }
}
