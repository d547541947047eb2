//! Security mechanisms (NULL, PLAIN, CURVE), the server-side authentication hook, and the
//! operating system's random generator that CURVE draws from.

use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use bytes::Bytes;
use zmtp_core::{
    AuthDecision, AuthRequest, CurveClientConfig, CurveServerConfig, KeyPair, MechanismConfig,
    Metadata, PlainCredentials, PublicKey, RandomError, RandomSource,
};

/// Which security mechanism a socket's connections use, and in which role. Both peers must use
/// the same mechanism, one as client and one as server (for PLAIN and CURVE); the role is
/// independent of which side binds.
///
/// Set it with [`Options::plain_client`](crate::Options::plain_client),
/// [`Options::plain_server`](crate::Options::plain_server),
/// [`Options::curve_server`](crate::Options::curve_server) or
/// [`Options::curve_client`](crate::Options::curve_client).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Security {
    /// No authentication, no encryption (ZMQ_NULL; the default).
    #[default]
    Null,
    /// PLAIN client (ZMQ_PLAIN_USERNAME / ZMQ_PLAIN_PASSWORD): user name and password, sent
    /// in clear text.
    PlainClient(PlainCredentials),
    /// PLAIN server (ZMQ_PLAIN_SERVER): checks credentials with the
    /// [`Authenticator`]; without one it refuses every client.
    PlainServer,
    /// CURVE client (ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY / SECRETKEY).
    CurveClient {
        /// The server's long-term public key.
        server_key: PublicKey,
        /// Our long-term key pair; the server's authenticator sees its public half. `None`: a
        /// fresh pair is generated when the socket is made (and making it fails with
        /// [`Error::Random`](crate::Error::Random) if the operating system cannot provide
        /// randomness), for servers that accept any client.
        keys: Option<KeyPair>,
    },
    /// CURVE server (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY): every connection is encrypted;
    /// without an [`Authenticator`] any client that knows the server's public key gets in.
    CurveServer {
        /// Our long-term key pair; clients must know its public half.
        keys: KeyPair,
    },
}

impl Security {
    /// This security with a CURVE client's missing key pair generated, failing cleanly when
    /// the operating system's generator does (instead of panicking in a builder).
    pub(crate) fn with_generated_keys(self) -> Result<Security, Error> {
        match self {
            Security::CurveClient {
                server_key,
                keys: None,
            } => {
                // Through `KeyPair::try_generate`, so the secret only ever lives in a zeroized
                // key, and a failing generator is an error rather than a panic.
                let keys = KeyPair::try_generate(&OsRandom)
                    .map_err(|e| Error::Random(std::io::Error::other(e.reason().to_string())))?;
                Ok(Security::CurveClient {
                    server_key,
                    keys: Some(keys),
                })
            }
            other => Ok(other),
        }
    }

    /// Whether this is a PLAIN or CURVE server, which the authenticator applies to.
    pub fn is_server(&self) -> bool {
        matches!(self, Security::PlainServer | Security::CurveServer { .. })
    }

    /// The mechanism's name as the greeting carries it: `NULL`, `PLAIN` or `CURVE`.
    pub fn mechanism_name(&self) -> &'static str {
        match self {
            Security::Null => "NULL",
            Security::PlainClient(_) | Security::PlainServer => "PLAIN",
            Security::CurveClient { .. } | Security::CurveServer { .. } => "CURVE",
        }
    }

    pub(crate) fn mechanism_config(&self) -> MechanismConfig {
        let random = || -> Arc<dyn RandomSource> { Arc::new(OsRandom) };
        match self {
            Security::Null => MechanismConfig::Null,
            Security::PlainClient(credentials) => MechanismConfig::PlainClient(credentials.clone()),
            Security::PlainServer => MechanismConfig::PlainServer,
            Security::CurveClient { server_key, keys } => {
                // A socket generated the pair when it was made (`with_generated_keys`); this
                // is for options used without a socket.
                let keys = keys.clone().unwrap_or_else(|| KeyPair::generate(&OsRandom));
                MechanismConfig::CurveClient(CurveClientConfig::new(*server_key, keys, random()))
            }
            Security::CurveServer { keys } => {
                MechanismConfig::CurveServer(CurveServerConfig::new(keys.clone(), random()))
            }
        }
    }
}

/// The authentication hook of a PLAIN or CURVE server: what ZAP gives libzmq users, without a
/// socket in between. It is asked about every client once its credentials are known (PLAIN:
/// user name and password; CURVE: the client's long-term public key, after it proved it holds
/// the secret half), with the client's address (for tcp its IP address without the port, as
/// ZAP's `Address`; for ipc the socket path).
///
/// It runs **on the connection's task**, synchronously, so it must be quick: look the answer up
/// in memory rather than block on I/O. The handshake timeout keeps running meanwhile.
///
/// [`AuthDecision::Allow`] attaches a user id and properties to the connection (see
/// [`MonitorEvent::HandshakeSucceeded`](crate::MonitorEvent::HandshakeSucceeded));
/// [`AuthDecision::Deny`] with [`DenyStatus::Denied`](zmtp_core::DenyStatus::Denied) sends
/// ERROR `"400"` (the client stops reconnecting), `Temporary` closes without ERROR (the client
/// retries).
///
/// Any `Fn(&AuthRequest) -> AuthDecision + Send + Sync` is an authenticator.
pub trait Authenticator: Send + Sync + 'static {
    /// Decides about one client.
    fn authenticate(&self, request: &AuthRequest) -> AuthDecision;
}

impl<F> Authenticator for F
where
    F: Fn(&AuthRequest) -> AuthDecision + Send + Sync + 'static,
{
    fn authenticate(&self, request: &AuthRequest) -> AuthDecision {
        self(request)
    }
}

impl fmt::Debug for dyn Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authenticator")
    }
}

/// The operating system's cryptographically secure generator (`getrandom`), as CURVE's
/// [`RandomSource`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn try_fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        // Without secure randomness CURVE protects nothing: the connection that asked stops
        // (ConnectionError::Random) rather than go on.
        getrandom::fill(dest).map_err(|e| RandomError::new(e.to_string()))
    }
}

/// What the security handshake established about the peer, reported with
/// [`MonitorEvent::HandshakeSucceeded`](crate::MonitorEvent::HandshakeSucceeded) for PLAIN and
/// CURVE connections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PeerAuth {
    /// On a server: the user id the [`Authenticator`] attached (libzmq's `User-Id`); empty
    /// without an authenticator, and on a client.
    pub user_id: Bytes,
    /// On a server: the properties the [`Authenticator`] attached (libzmq's ZAP metadata).
    pub properties: Metadata,
    /// CURVE: the peer's long-term public key (the client's on a server, the server's on a
    /// client).
    pub peer_key: Option<PublicKey>,
}

impl PeerAuth {
    /// The user id as text, when it is UTF-8.
    pub fn user_id_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.user_id).ok()
    }
}

impl From<&zmtp_core::PeerInfo> for PeerAuth {
    fn from(info: &zmtp_core::PeerInfo) -> PeerAuth {
        PeerAuth {
            user_id: info.user_id.clone(),
            properties: info.auth_properties.clone(),
            peer_key: info.peer_key,
        }
    }
}
