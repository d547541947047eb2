//! The socket types by their `--type` names, and what each can do, checked before a socket
//! is built so that a wrong combination is a usage error. The socket itself is the library's
//! [`AnySocket`].

use zmtp_tokio::SocketType;

use crate::error::{CliError, CliResult};

/// The names `--type` accepts, for help texts.
pub(crate) const TYPE_NAMES: &str =
    "req rep dealer router pub sub xpub xsub push pull pair (any case)";

/// Parses a `--type` name (any case).
pub(crate) fn parse_type(name: &str) -> CliResult<SocketType> {
    SocketType::from_wire(name.to_ascii_uppercase().as_bytes()).ok_or_else(|| {
        CliError::usage(format!(
            "unknown socket type {name:?} (expected one of: {TYPE_NAMES})"
        ))
    })
}

/// Whether a socket of this type can send messages.
pub(crate) fn can_send(kind: SocketType) -> bool {
    !matches!(kind, SocketType::Sub | SocketType::Pull)
}

/// Whether a socket of this type can receive messages.
pub(crate) fn can_recv(kind: SocketType) -> bool {
    !matches!(kind, SocketType::Pub | SocketType::Push)
}

/// Whether a socket of this type takes subscriptions (`--subscribe`).
pub(crate) fn subscribes(kind: SocketType) -> bool {
    matches!(kind, SocketType::Sub | SocketType::XSub)
}

/// A socket of any type: the library's run-time-typed socket.
pub(crate) use zmtp_tokio::AnySocket;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_parses_in_any_case() {
        for name in TYPE_NAMES.split_whitespace().take(11) {
            let kind = parse_type(name).unwrap();
            assert_eq!(kind.as_str(), name.to_ascii_uppercase());
            assert_eq!(parse_type(&name.to_ascii_uppercase()).unwrap(), kind);
        }
        assert_eq!(parse_type("XPub").unwrap(), SocketType::XPub);
        assert!(matches!(parse_type("stream"), Err(CliError::Usage(_))));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_checks_agree_with_the_sockets() {
        for kind in SocketType::ALL {
            let socket = AnySocket::new(kind, zmtp_tokio::Options::default()).unwrap();
            assert_eq!(socket.socket_type(), kind);
            assert_eq!(can_send(kind), socket.can_send(), "{kind:?}");
            assert_eq!(can_recv(kind), socket.can_recv(), "{kind:?}");
            assert_eq!(subscribes(kind), socket.can_subscribe(), "{kind:?}");
        }
    }
}
