//! One socket's end of an inproc link, and the waker its pipe holds: each side has a waker of
//! its own, so that a wake-up names the side with work (a message queued, room made) and the
//! link touches only that side's pipes, not both.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Wake, Waker};

use bytes::Bytes;
use futures::task::AtomicWaker;
use zmtp_core::{Metadata, SocketType};

use super::pair::Shared;
use crate::endpoint::Endpoint;
use crate::engine::stop::StopWatch;
use crate::engine::{Link, PipeId, Schedule, SocketContext};
use crate::peer::Peer;

/// A socket's end of the link: what it was made of (read through `Deref`), and its state.
pub(super) struct Side {
    parts: SideParts,
    /// Whether what arrives joins the receive queue unchanged (no `receive` pass needed).
    pub(super) unchanged: bool,
    /// The whole socket is closing: nothing more moves into it; what it queued is delivered
    /// within its linger time.
    pub(super) closing: bool,
    pub(super) wake: Arc<SideWake>,
    /// `wake` as the waker this side's pipe keeps.
    waker: Waker,
}

/// What a [`Side`] is made of.
pub(super) struct SideParts {
    pub(super) context: Arc<SocketContext>,
    pub(super) link: Link,
    pub(super) pipe: PipeId,
    pub(super) endpoint: Endpoint,
    pub(super) stop: StopWatch,
    /// The other socket, as this side admitted it.
    pub(super) peer: Arc<Peer>,
    /// A publisher's pipe: told when its queue was looked at (see [`Schedule`]).
    pub(super) schedule: Option<Arc<Schedule>>,
    /// Whether this is the connecting side (its pipe outlives the link).
    pub(super) connecting: bool,
}

impl std::ops::Deref for Side {
    type Target = SideParts;

    fn deref(&self) -> &SideParts {
        &self.parts
    }
}

impl std::ops::DerefMut for Side {
    fn deref_mut(&mut self) -> &mut SideParts {
        &mut self.parts
    }
}

impl Side {
    pub(super) fn new(parts: SideParts, shared: Weak<Shared>) -> Side {
        let wake = Arc::new(SideWake {
            // Every side has work to look at first.
            woken: AtomicBool::new(true),
            batching: AtomicBool::new(false),
            task: AtomicWaker::new(),
            shared,
        });
        Side {
            unchanged: parts.link.receives_unchanged(),
            parts,
            closing: false,
            waker: Waker::from(Arc::clone(&wake)),
            wake,
        }
    }

    /// The context to hand this side's pipes: their wake-ups name this side.
    pub(super) fn cx(&self) -> Context<'_> {
        Context::from_waker(&self.waker)
    }

    /// Whether this side's socket is closing or its endpoint stopped (the flags only: the
    /// task registers for the wake-up).
    pub(super) fn stop_fired(&self) -> bool {
        self.stop.fired(self.context.is_closing())
    }
}

/// Set when a side's pipe wakes the link; moves the messages at once when it can (see
/// `pair.rs`), wakes the link's task otherwise.
pub(super) struct SideWake {
    woken: AtomicBool,
    /// The other side is behind in reading what this side sends: what this side queues waits
    /// for the link's task, which moves it a queue at a time, instead of going one message per
    /// wake-up (which would cost a sender in a loop a lock round per message).
    batching: AtomicBool,
    task: AtomicWaker,
    /// Weak: the pipes keep this waker, and the pair keeps the pipes.
    shared: Weak<Shared>,
}

impl SideWake {
    /// The link's task, to be woken with this side.
    pub(super) fn register(&self, cx: &Context<'_>) {
        self.task.register(cx.waker());
    }

    /// Whether this side was woken since the last call.
    pub(super) fn take(&self) -> bool {
        // Looked at before it is taken: most looks find it clear, and a load costs less than a
        // swap.
        self.woken.load(Ordering::Acquire) && self.woken.swap(false, Ordering::AcqRel)
    }

    /// See [`SideWake::batching`].
    pub(super) fn set_batching(&self, batching: bool) {
        self.batching.store(batching, Ordering::Relaxed);
    }

    /// Marks this side for another look in the current pass (no wake-up needed).
    pub(super) fn mark(&self) {
        self.woken.store(true, Ordering::Release);
    }
}

impl Wake for SideWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.mark();
        if self.batching.load(Ordering::Relaxed) {
            self.task.wake();
            return;
        }
        if let Some(shared) = self.shared.upgrade() {
            if shared.run_inline() {
                return;
            }
        }
        self.task.wake();
    }
}

/// A socket as its inproc peer sees it: what its READY would have said.
pub(super) fn peer_of(socket: &SocketContext, endpoint: Endpoint, address: String) -> Peer {
    let socket_type: SocketType = socket.socket_type;
    let identity = if socket_type.sends_identity() {
        socket.options.identity.clone()
    } else {
        Bytes::new()
    };
    let mut properties = Metadata::new();
    let _ = properties.insert(zmtp_core::metadata::SOCKET_TYPE, socket_type.as_str());
    if socket_type.sends_identity() {
        let _ = properties.insert(zmtp_core::metadata::IDENTITY, identity.clone());
    }
    for (name, value) in socket.options.properties.iter() {
        let _ = properties.insert(name, value.clone());
    }
    Peer {
        endpoint,
        address,
        socket_type,
        identity,
        routing_id: None,
        properties,
        auth: None,
        mechanism: "NULL",
    }
}
