//! DEALER (RFC 28): an asynchronous REQ. Round robin out over peers with room (waiting when
//! none has, never dropping), fair queuing in, no envelope rules of its own: a DEALER talking
//! to a REP adds the empty delimiter itself.

use super::strategies::{
    fair_queue_receiving, round_robin_and_fair_queue_in_a_proxy, round_robin_sending,
};
use super::Kind;

/// DEALER: sends round robin, receives fair-queued. See
/// [`Socket<Dealer>`](crate::Socket#impl-Socket<Dealer>).
///
/// A receive timeout (libzmq's ZMQ_RCVTIMEO) is tokio's: `recv` is cancel-safe, so a timed-out
/// wait takes nothing and the next `recv` still gets the message.
///
/// ```no_run
/// # async fn f() -> zmtp_tokio::Result<()> {
/// use std::time::Duration;
/// use zmtp_tokio::DealerSocket;
/// let mut dealer = DealerSocket::new();
/// dealer.connect("tcp://127.0.0.1:5555")?;
/// dealer.send(zmtp_tokio::Message::from_iter(["", "job"])).await?;
/// match tokio::time::timeout(Duration::from_secs(1), dealer.recv()).await {
///     Ok(reply) => println!("{:?}", reply?),
///     Err(_) => println!("no reply within 1 s; the socket is still usable"),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Dealer {
    _private: (),
}

round_robin_and_fair_queue_in_a_proxy!(Dealer);
impl Kind for Dealer {}

round_robin_sending!(Dealer);
fair_queue_receiving!(Dealer);
