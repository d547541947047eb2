//! Who is on the other end of a connection: what an application can learn about the peer that
//! sent a message ([`Socket::recv_with_peer`](crate::Socket::recv_with_peer)), as libzmq's
//! `zmq_msg_gets` gives `Peer-Address`, `User-Id` and the peer's properties.

use bytes::Bytes;
use zmtp_core::{Metadata, SocketType};

use crate::endpoint::Endpoint;
use crate::security::PeerAuth;

/// A connected peer, as its handshake described it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Peer {
    /// The endpoint of ours it came through (bound or connected).
    pub endpoint: Endpoint,
    /// Its address: `ip:port` for tcp, the socket path for ipc.
    pub address: String,
    /// Its socket type.
    pub socket_type: SocketType,
    /// The identity it announced (empty when none).
    pub identity: Bytes,
    /// ROUTER: the routing id its messages carry in front (its identity, or one the ROUTER
    /// generated); `None` for other socket types.
    pub routing_id: Option<Bytes>,
    /// Every property of its READY (`Socket-Type`, `Identity` and any others).
    pub properties: Metadata,
    /// PLAIN and CURVE: what the security handshake established (user id, authenticator
    /// properties, CURVE key); `None` with NULL.
    pub auth: Option<PeerAuth>,
    /// The security mechanism of the connection: `NULL`, `PLAIN` or `CURVE` (inproc, which
    /// has none, says `NULL`).
    pub mechanism: &'static str,
}

impl Peer {
    /// The peer a finished handshake describes.
    pub(crate) fn from_handshake(
        endpoint: Endpoint,
        address: String,
        info: zmtp_core::PeerInfo,
        mechanism: &'static str,
    ) -> Peer {
        let auth = (mechanism != "NULL").then(|| PeerAuth::from(&info));
        Peer {
            endpoint,
            address,
            socket_type: info.socket_type,
            identity: info.identity,
            routing_id: None,
            properties: info.metadata,
            auth,
            mechanism,
        }
    }
}
