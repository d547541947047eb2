//! PLAIN (RFC 24): a user name and password in clear text, checked by the server.
//!
//! ```text
//! client                                   server
//! HELLO  (username, password)  ------->
//!                                          (authentication hook decides)
//!                              <-------    WELCOME            or ERROR "400" and close
//! INITIATE (metadata)          ------->
//!                              <-------    READY (metadata)
//! ```
//!
//! The server decides on HELLO, before any metadata, as libzmq does, so a refused client learns
//! it before sending anything else. Nothing here is encrypted: use PLAIN on trusted networks or
//! inside another secure transport.

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::RawCommand;
use crate::connection::config::Config;
use crate::connection::outbox::Outbox;
use crate::error::{ConnectionError, Malformed};
use crate::greeting::MechanismName;
use crate::metadata::Metadata;

use super::{
    deny, rejected, unexpected, AuthDecision, AuthRequest, Credentials, DenyStatus, Established,
    HandshakeStep, Password,
};

/// What a PLAIN client presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    /// The user name, at most 255 bytes.
    pub username: Bytes,
    /// The password, at most 255 bytes; zeroized on drop.
    pub password: Password,
}

impl PlainCredentials {
    /// Credentials from a user name and a password.
    pub fn new(username: impl Into<Bytes>, password: impl Into<Password>) -> PlainCredentials {
        PlainCredentials {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// Appends a command frame `name data` whose data is written by `write` (exactly `data_len`
/// bytes), straight into the outbox.
fn push_command(out: &mut Outbox, name: &[u8], data_len: usize, write: impl FnOnce(&mut BytesMut)) {
    out.push_frame_with(false, true, 1 + name.len() + data_len, |buf| {
        buf.put_u8(name.len() as u8);
        buf.put_slice(name);
        write(buf);
    });
}

fn push_metadata_command(out: &mut Outbox, name: &[u8], metadata: &Metadata) {
    push_command(out, name, metadata.encoded_len(), |buf| {
        metadata.encode(buf)
    });
}

#[derive(Debug)]
enum ClientState {
    ExpectWelcome,
    ExpectReady,
}

/// The client side.
#[derive(Debug)]
pub(crate) struct PlainClient {
    state: ClientState,
    local: Metadata,
}

impl PlainClient {
    /// Sends HELLO with the credentials (written straight into the outbox, with no other copy).
    pub(crate) fn start(
        credentials: &PlainCredentials,
        local: Metadata,
        out: &mut Outbox,
    ) -> PlainClient {
        let username = &credentials.username;
        let password = credentials.password.expose();
        // Config::validate refused longer ones; the casts below cannot truncate.
        debug_assert!(username.len() <= 255 && password.len() <= 255);
        push_command(out, b"HELLO", 2 + username.len() + password.len(), |buf| {
            buf.put_u8(username.len() as u8);
            buf.put_slice(username);
            buf.put_u8(password.len() as u8);
            buf.put_slice(password);
        });
        PlainClient {
            state: ClientState::ExpectWelcome,
            local,
        }
    }

    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match (&self.state, &command.name[..]) {
            (ClientState::ExpectWelcome, b"WELCOME") => {
                if !command.data.is_empty() {
                    return Err(Malformed::BadCommandBody { command: "WELCOME" }.into());
                }
                push_metadata_command(out, b"INITIATE", &self.local);
                self.state = ClientState::ExpectReady;
                Ok(HandshakeStep::Continue)
            }
            (ClientState::ExpectReady, b"READY") => {
                let metadata = Metadata::decode(command.data)?;
                Ok(HandshakeStep::Done(Established::new(metadata)))
            }
            (_, b"ERROR") => Err(rejected(&command)),
            _ => Err(unexpected(&command)),
        }
    }
}

#[derive(Debug)]
enum ServerState {
    ExpectHello,
    AwaitDecision,
    ExpectInitiate {
        user_id: Bytes,
        properties: Metadata,
    },
}

/// The server side.
#[derive(Debug)]
pub(crate) struct PlainServer {
    state: ServerState,
    local: Metadata,
    ask: bool,
    peer_address: String,
}

impl PlainServer {
    /// Waits for HELLO; nothing is sent first.
    pub(crate) fn start(config: &Config, local: Metadata) -> PlainServer {
        PlainServer {
            state: ServerState::ExpectHello,
            local,
            ask: config.auth_requests,
            peer_address: config.peer_address.clone(),
        }
    }

    pub(crate) fn needs_decision(&self) -> bool {
        matches!(self.state, ServerState::AwaitDecision)
    }

    pub(crate) fn handle_command(
        &mut self,
        command: RawCommand,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match (&mut self.state, &command.name[..]) {
            (ServerState::ExpectHello, b"HELLO") => {
                let (username, password) = parse_hello(&command.data)?;
                self.state = ServerState::AwaitDecision;
                if !self.ask {
                    // libzmq without a ZAP handler: PLAIN lets nobody in.
                    return self.decide(AuthDecision::Deny(DenyStatus::Denied), out);
                }
                Ok(HandshakeStep::Authenticate(AuthRequest {
                    mechanism: MechanismName::PLAIN,
                    peer_address: self.peer_address.clone(),
                    peer_identity: None,
                    credentials: Credentials::Plain { username, password },
                }))
            }
            (
                ServerState::ExpectInitiate {
                    user_id,
                    properties,
                },
                b"INITIATE",
            ) => {
                let metadata = Metadata::decode(command.data)?;
                push_metadata_command(out, b"READY", &self.local);
                let established = Established::new(metadata)
                    .with_decision(std::mem::take(user_id), std::mem::take(properties));
                Ok(HandshakeStep::Done(established))
            }
            (_, b"ERROR") => Err(ConnectionError::PeerError {
                reason: super::error_reason(&command)?,
            }),
            _ => Err(unexpected(&command)),
        }
    }

    pub(crate) fn decide(
        &mut self,
        decision: AuthDecision,
        out: &mut Outbox,
    ) -> Result<HandshakeStep, ConnectionError> {
        match decision {
            AuthDecision::Allow {
                user_id,
                properties,
            } => {
                push_command(out, b"WELCOME", 0, |_| {});
                self.state = ServerState::ExpectInitiate {
                    user_id,
                    properties,
                };
                Ok(HandshakeStep::Continue)
            }
            AuthDecision::Deny(status) => Err(deny(status, out)),
        }
    }
}

/// The reason in an ERROR as libzmq 4.3's PLAIN server writes it, if `body` is one.
///
/// libzmq spells the ERROR prefix as the C string `"\x05ERROR"`, whose hex escape is greedy:
/// it reads `\x05E`, so the body starts `0x5E "RROR"` ("^RROR", no name-length byte) and then
/// carries the usual reason length and reason (the ZAP status code, e.g. `"400"`). Taken at
/// its word that frame is not even a command; read this way a libzmq server's refusal reaches
/// the application as the refusal it is. We only *accept* this form: we send ERROR as RFC 23
/// writes it (which libzmq's PLAIN client, comparing against the same misspelling, reports as
/// an unexpected command; it closes all the same).
pub(crate) fn libzmq_error_reason(body: &Bytes) -> Option<Bytes> {
    let rest = body.strip_prefix(b"^RROR")?;
    let (&len, reason) = rest.split_first()?;
    (reason.len() == usize::from(len)).then(|| body.slice(6..))
}

/// HELLO data: `username-len:u8 username password-len:u8 password`, nothing after.
fn parse_hello(data: &Bytes) -> Result<(Bytes, Password), Malformed> {
    let bad = Malformed::BadCommandBody { command: "HELLO" };
    let user_len = usize::from(*data.first().ok_or(bad.clone())?);
    let user_end = 1 + user_len;
    let pass_len = usize::from(*data.get(user_end).ok_or(bad.clone())?);
    let pass_end = user_end + 1 + pass_len;
    if data.len() != pass_end {
        return Err(bad);
    }
    let username = data.slice(1..user_end);
    let password = Password::new(&data[user_end + 1..pass_end]);
    Ok((username, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libzmq_misspelt_error_is_read_as_error() {
        // Captured from libzmq 4.3.5's PLAIN server refusing a password: 04 09 5e52524f5203343030.
        let body = Bytes::from_static(b"\x5eRROR\x03400");
        assert_eq!(libzmq_error_reason(&body), Some(Bytes::from_static(b"400")));
        assert_eq!(
            libzmq_error_reason(&Bytes::from_static(b"^RROR\x0340")),
            None
        );
        assert_eq!(
            libzmq_error_reason(&Bytes::from_static(b"\x05ERROR\x03400")),
            None
        );
        assert_eq!(libzmq_error_reason(&Bytes::from_static(b"^RROR")), None);
    }

    #[test]
    fn hello_grammar_is_exact() {
        let ok = Bytes::from_static(b"\x05admin\x07hunter2");
        let (user, pass) = parse_hello(&ok).unwrap();
        assert_eq!((&user[..], pass.expose()), (&b"admin"[..], &b"hunter2"[..]));
        assert!(parse_hello(&Bytes::from_static(b"\x00\x00")).is_ok());
        for bad in [
            &b""[..],
            b"\x05adm",
            b"\x05admin",
            b"\x05admin\x07hunter",
            b"\x05admin\x07hunter2x",
        ] {
            assert_eq!(
                parse_hello(&Bytes::copy_from_slice(bad)).err(),
                Some(Malformed::BadCommandBody { command: "HELLO" }),
                "{bad:?}"
            );
        }
    }
}
