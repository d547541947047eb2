//! PAIR (RFC 31): exactly one peer at a time. A second peer that completes its handshake
//! while one is connected is refused ([`Refusal::PairTaken`](crate::Refusal::PairTaken)), as
//! libzmq does; sending waits while there is no peer (or, after `connect`, queues for it).

use super::strategies::{
    fair_queue_receiving, round_robin_and_fair_queue_in_a_proxy, round_robin_sending,
};
use super::Kind;

/// PAIR: one peer, both directions. See [`Socket<Pair>`](crate::Socket#impl-Socket<Pair>).
#[derive(Debug, Default)]
pub struct Pair {
    _private: (),
}

round_robin_and_fair_queue_in_a_proxy!(Pair);
impl Kind for Pair {}

round_robin_sending!(Pair);
fair_queue_receiving!(Pair);
