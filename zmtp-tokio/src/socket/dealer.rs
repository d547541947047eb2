//! DEALER (RFC 28): an asynchronous REQ. Round robin out over peers with room (waiting when
//! none has, never dropping), fair queuing in, no envelope rules of its own: a DEALER talking
//! to a REP adds the empty delimiter itself.

use super::strategies::{
    fair_queue_receiving, round_robin_and_fair_queue_in_a_proxy, round_robin_sending,
};
use super::Kind;

/// DEALER: sends round robin, receives fair-queued. See
/// [`Socket<Dealer>`](crate::Socket#impl-Socket<Dealer>).
#[derive(Debug, Default)]
pub struct Dealer {
    _private: (),
}

round_robin_and_fair_queue_in_a_proxy!(Dealer);
impl Kind for Dealer {}

round_robin_sending!(Dealer);
fair_queue_receiving!(Dealer);
