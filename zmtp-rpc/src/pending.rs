//! The client's correlation table: which ids are waited for, and by whom.
//!
//! Ids are a counter from 1, so that a reply's id tells "issued here and no longer waited for"
//! (late) from "never issued here" (unknown) without remembering finished calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::stats::ClientCounters;
use crate::wire::WireReply;

#[derive(Debug, Default)]
struct Table {
    waiting: HashMap<u64, oneshot::Sender<WireReply>>,
    /// The next id to issue; every id below it has been issued.
    next_id: u64,
    /// Set when the reading task ended: no reply can arrive any more.
    closed: bool,
}

/// The calls waiting for replies.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    table: Mutex<Table>,
}

/// One registered call. Dropping it forgets the id, so that a call future dropped at any point
/// (cancelled, timed out) leaves nothing behind and its late reply is only counted.
#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) id: u64,
    pending: Arc<Pending>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.pending.lock().waiting.remove(&self.id);
    }
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // The table is consistent after every statement; a panic elsewhere cannot break it.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh id and the receiver its reply will come through.
    pub(crate) fn register(self: &Arc<Self>) -> Result<(Ticket, oneshot::Receiver<WireReply>)> {
        let (sender, receiver) = oneshot::channel();
        let mut table = self.lock();
        if table.closed {
            return Err(Error::Closed);
        }
        table.next_id += 1;
        let id = table.next_id;
        table.waiting.insert(id, sender);
        let ticket = Ticket {
            id,
            pending: Arc::clone(self),
        };
        Ok((ticket, receiver))
    }

    /// Hands `reply` to the call waiting for its id, or counts it as late or unknown.
    pub(crate) fn resolve(&self, reply: WireReply, counters: &ClientCounters) {
        let id = u64::from_be_bytes(reply.id);
        let mut table = self.lock();
        match table.waiting.remove(&id) {
            // The receiver may have been dropped a moment ago, before its ticket: late.
            Some(sender) => {
                if sender.send(reply).is_err() {
                    counters.late.add();
                }
            }
            None if id >= 1 && id <= table.next_id => counters.late.add(),
            None => counters.unknown.add(),
        }
    }

    /// Ends every waiting call with [`Error::Closed`] and refuses new ones.
    pub(crate) fn close(&self) {
        let mut table = self.lock();
        table.closed = true;
        table.waiting.clear();
    }

    /// How many calls wait for a reply.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }
}
