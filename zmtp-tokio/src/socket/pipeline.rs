//! PUSH and PULL (RFC 30): PUSH round-robins over peers that can take a message and waits when
//! none can; PULL fair-queues over its peers.

use std::task::{Context, Poll};

use zmtp_core::Message;

use super::strategies::{fair_queue_receiving, round_robin_sending};
use super::{sealed, Kind, Socket};
use crate::error::Result;
use crate::pipes::kinds;

/// PUSH: the sending end of a pipeline. See [`Socket<Push>`](Socket#impl-Socket<Push>).
#[derive(Debug, Default)]
pub struct Push {
    _private: (),
}

/// PULL: the receiving end of a pipeline. See [`Socket<Pull>`](Socket#impl-Socket<Pull>).
#[derive(Debug, Default)]
pub struct Pull {
    _private: (),
}

impl sealed::Sealed for Push {
    type Policy = kinds::Push;

    fn poll_send_raw(
        socket: &mut Socket<Self>,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<()>> {
        socket.core.poll_send_round_robin(cx, slot).map_ok(|_| ())
    }
}
impl Kind for Push {}
impl sealed::Sealed for Pull {
    type Policy = kinds::Pull;

    fn poll_recv_raw(socket: &mut Socket<Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
    }
}
impl Kind for Pull {}

round_robin_sending!(Push);
fair_queue_receiving!(Pull);
