//! Messages on their way from one side of an inproc link to the other. A flow takes from the
//! sender's queue no more than the receiver has room for (so that the two queues hold what the
//! two high-water marks allow, as libzmq's inproc pipe does), and moves whole queues at a time.

use std::collections::VecDeque;

use zmtp_core::Message;

use super::side::Side;
use crate::engine::{Inbound, SubscriptionCommand};
use crate::monitor::Refusal;

/// Messages moved per lock at most: a whole default queue, and a bound on what one pass holds.
const BATCH: usize = 4096;

/// Why a flow cannot go on.
pub(super) enum Stopped {
    /// The sender's pipe is gone (removed, or its identity taken over).
    SourceGone,
    /// The receiver refused what the sender sent (too many subscriptions).
    Refused(Refusal),
}

/// One direction of a link.
#[derive(Default)]
pub(super) struct Flow {
    /// Taken from the sender, turned into what the receiver gets, not yet in its queue.
    pub(super) held: VecDeque<Message>,
    batch: VecDeque<Message>,
    /// Subscription changes to pass on (a subscriber's topics, queued at admission, first).
    pub(super) commands: Vec<SubscriptionCommand>,
    inbound: Vec<Inbound>,
    /// The receiver's room as last seen (0: look again before taking).
    room: usize,
    /// The sender may have more queued than was taken (the receiver's room, or the batch, was
    /// the limit): look at it again once there is room.
    source_pending: bool,
    /// The receiver's queue was not empty when the last messages joined it: the receiver is
    /// behind, and messages are better moved a queue at a time by the link's task than one
    /// by one as they are sent (see `side.rs`).
    receiver_behind: bool,
}

impl Flow {
    /// Into `to`: hands over what is held, or learns how much room there is. Returns whether
    /// anything moved.
    pub(super) fn deliver(&mut self, to: &Side) -> bool {
        if to.closing || (self.held.is_empty() && self.room > 0) {
            return false;
        }
        let before = self.held.len();
        self.room = to.link.offer(to.pipe, &mut self.held, false, &to.cx());
        self.held.len() != before
    }

    /// Whether the sender should be looked at again: it had more than was taken, and the
    /// receiver has room now.
    pub(super) fn wants_source(&self) -> bool {
        self.source_pending && self.held.is_empty() && self.room > 0
    }

    /// Out of `from` into `to`: takes as many queued messages as `to` has room for (at most a
    /// batch) and hands them over. Returns whether anything moved.
    pub(super) fn collect(&mut self, from: &Side, to: &Side) -> Result<bool, Stopped> {
        if to.closing {
            return Ok(false);
        }
        let mut progress = false;
        if !self.commands.is_empty() {
            self.hand_over(to).map_err(Stopped::Refused)?;
            progress = true;
        }
        if !self.held.is_empty() || self.room == 0 {
            progress |= self.deliver(to);
            if !self.held.is_empty() || self.room == 0 {
                self.source_pending = true;
                // Not coming for messages: a publisher waiting for this turn drops instead.
                if let Some(schedule) = &from.schedule {
                    schedule.ran();
                }
                return Ok(progress);
            }
        }
        let max = self.room.min(BATCH);
        let ours = from.link.take_outbound(
            from.pipe,
            max,
            usize::MAX,
            &mut self.batch,
            &mut self.commands,
            &from.cx(),
        );
        if !ours {
            return Err(Stopped::SourceGone);
        }
        let taken = self.batch.len();
        // Fewer than asked for: the queue is empty and its pipe will wake this side.
        self.source_pending = taken == max;
        if taken == 0 && self.commands.is_empty() {
            return Ok(progress);
        }
        self.hand_over(to).map_err(Stopped::Refused)?;
        Ok(true)
    }

    /// See the field of that name.
    pub(super) fn receiver_behind(&self) -> bool {
        self.receiver_behind
    }

    /// Turns what the sender gave (`batch`, `commands`) into what the receiver gets, after
    /// `held`, and offers it: as it is where the receiver's kind takes messages unchanged,
    /// through its inbound rule otherwise (as a ZMTP driver hands over what it decoded). One
    /// lock of the receiver's table either way.
    fn hand_over(&mut self, to: &Side) -> Result<(), Refusal> {
        let cx = to.cx();
        let offered;
        if to.unchanged && self.commands.is_empty() {
            if self.held.is_empty() {
                std::mem::swap(&mut self.held, &mut self.batch);
            } else {
                self.held.append(&mut self.batch);
            }
            offered = self.held.len();
            self.room = to.link.offer(to.pipe, &mut self.held, false, &cx);
        } else {
            self.inbound
                .extend(self.commands.drain(..).map(|command| match command {
                    SubscriptionCommand::Subscribe(topic) => Inbound::Subscribe(topic),
                    SubscriptionCommand::Cancel(topic) => Inbound::Cancel(topic),
                }));
            self.inbound
                .extend(self.batch.drain(..).map(Inbound::Message));
            // At most this many messages (the rule may drop some).
            offered = self.held.len() + self.inbound.len();
            let result = to
                .link
                .receive_and_offer(to.pipe, &mut self.inbound, &mut self.held, &cx);
            self.inbound.clear();
            self.room = result?;
        }
        let moved = offered.saturating_sub(self.held.len());
        self.receiver_behind = !receiver_was_empty(to, moved, self.room);
        Ok(())
    }
}

/// Whether `to`'s receive queue was empty before `moved` messages joined it, leaving `room`.
/// Without a message limit the length is unknown: taken as empty.
fn receiver_was_empty(to: &Side, moved: usize, room: usize) -> bool {
    let hwm = to.context.options.recv_hwm;
    hwm == 0 || (room != 0 && hwm.saturating_sub(room) <= moved)
}
