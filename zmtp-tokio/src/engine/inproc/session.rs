//! One inproc connection: two sockets' pipes linked directly. A task moves each side's queued
//! messages into the other side's receive queue as they are (the same `Bytes`, no encoding),
//! whole queues at a time, and never more than the receiving queue has room for: so the two
//! queues hold what the sender's SNDHWM and the receiver's RCVHWM allow, as libzmq's inproc
//! pipe does, and a slow receiver stops the sender exactly as a full TCP pipe would.
//!
//! Everything a kind does with its peer (a ROUTER's identity prefix, a SUB's filter, an XPUB's
//! subscription messages, a PAIR refusing a second peer) is the pipes' own code, reached
//! through [`PipeLink`](crate::engine::PipeLink) as a ZMTP driver reaches it; only the wire is
//! missing. No handshake, heartbeat or security mechanism applies.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::time::{Instant, Sleep};
use tokio_util::task::task_tracker::TaskTrackerToken;
use zmtp_core::{ConnectionError, Message};

use super::names::Binder;
use super::pair::{End, Pair, Shared};
use super::side::{peer_of, SideParts};
use crate::close_report::Undelivered;
use crate::endpoint::Endpoint;
use crate::engine::stop::{StopSignal, StopWatch};
use crate::engine::{Link, PipeId, SocketContext, SubscriptionCommand};
use crate::monitor::{DisconnectReason, MonitorEvent, Refusal};

/// Passes before yielding to other tasks.
const ROUNDS_BEFORE_YIELD: usize = 32;

/// Why a session could not start.
#[derive(Debug)]
pub(super) enum NotLinked {
    /// The socket types cannot talk to each other: connecting again cannot help.
    Incompatible,
    /// One side refused the other (PAIR taken, ROUTER identity taken): it may take it later.
    Refused,
}

/// A linked pair of pipes, as the task that keeps it sees it.
pub(super) struct Session {
    shared: Arc<Shared>,
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    /// Keeps the binding socket's `close` waiting for this session (it runs on the connecting
    /// socket's tasks).
    _binder_task: TaskTrackerToken,
}

/// The connecting socket's part, for [`Session::link`].
pub(super) struct Connecting<'a> {
    pub(super) context: &'a Arc<SocketContext>,
    pub(super) link: &'a Link,
    pub(super) pipe: PipeId,
    pub(super) endpoint: &'a Endpoint,
    pub(super) stop: &'a StopSignal,
}

impl Session {
    /// Admits each socket into the other's pipes, as a completed handshake would, and
    /// reports both sides to their monitors.
    pub(super) fn link(ours: Connecting<'_>, binder: Binder) -> Result<Session, NotLinked> {
        let address = ours.endpoint.to_string();
        binder.context.monitor.emit(MonitorEvent::Accepted {
            endpoint: binder.endpoint.clone(),
            peer_addr: address.clone(),
        });
        ours.context.monitor.emit(MonitorEvent::Connected {
            endpoint: ours.endpoint.clone(),
        });
        let (our_type, their_type) = (ours.context.socket_type, binder.context.socket_type);
        if !our_type.is_compatible_with(their_type) {
            let reason = |ours, theirs| {
                DisconnectReason::Connection(ConnectionError::Incompatible(
                    zmtp_core::error::Incompatible::SocketType { ours, theirs },
                ))
            };
            failed(ours.context, ours.endpoint, reason(our_type, their_type));
            failed(
                &binder.context,
                &binder.endpoint,
                reason(their_type, our_type),
            );
            return Err(NotLinked::Incompatible);
        }
        let as_seen_by_binder = peer_of(ours.context, binder.endpoint.clone(), address.clone());
        let theirs = match binder.link.admit(None, as_seen_by_binder) {
            Ok(admitted) => admitted,
            Err(refusal) => return Err(refused(&ours, &binder, refusal)),
        };
        let as_seen_by_us = peer_of(&binder.context, ours.endpoint.clone(), address);
        let mine = match ours.link.admit(Some(ours.pipe), as_seen_by_us) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                binder.link.detach(theirs.pipe);
                return Err(refused(&ours, &binder, refusal));
            }
        };
        let shared = Shared::new(
            SideParts {
                context: Arc::clone(ours.context),
                link: Arc::clone(ours.link),
                pipe: mine.pipe,
                endpoint: ours.endpoint.clone(),
                stop: StopWatch::new(ours.stop.clone()),
                peer: mine.peer,
                schedule: mine.schedule,
                connecting: true,
            },
            SideParts {
                context: Arc::clone(&binder.context),
                link: binder.link,
                pipe: theirs.pipe,
                endpoint: binder.endpoint,
                stop: StopWatch::new(binder.stop),
                peer: theirs.peer,
                schedule: theirs.schedule,
                connecting: false,
            },
        );
        {
            let mut pair = shared.lock();
            for side in [&pair.connector, &pair.binder] {
                side.context.monitor.emit(MonitorEvent::HandshakeSucceeded {
                    endpoint: side.endpoint.clone(),
                    peer: side.peer.socket_type,
                    auth: None,
                    peer_info: Arc::clone(&side.peer),
                });
            }
            // A subscriber's topics go to the publisher first, as its ZMTP connection sends
            // them before any message.
            pair.up.commands = subscriptions(mine.topics);
            pair.down.commands = subscriptions(theirs.topics);
        }
        Ok(Session {
            shared,
            timer: Box::pin(tokio::time::sleep_until(Instant::now())),
            timer_at: None,
            _binder_task: binder.context.tasks.token(),
        })
    }

    /// Moves messages both ways until either side stops or goes.
    pub(super) async fn run(mut self) {
        let end = poll_fn(|cx| self.poll_run(cx)).await;
        let mut pair = self.shared.lock();
        finish(&mut pair, end);
    }

    fn poll_run(&mut self, cx: &mut Context<'_>) -> Poll<End> {
        let shared = Arc::clone(&self.shared);
        let mut pair = shared.lock();
        for connector in [true, false] {
            let side = pair.side_mut(connector);
            side.wake.register(cx);
            let closing = side.context.is_closing();
            if !side.closing && side.stop.requested(closing, cx) {
                if !closing {
                    // Unbind or disconnect: what was queued goes with the endpoint (libzmq).
                    return Poll::Ready(End::Closed { connector });
                }
                side.closing = true;
            }
        }
        for _ in 0..ROUNDS_BEFORE_YIELD {
            if let Some(end) = pair.ended.take() {
                return Poll::Ready(end);
            }
            let woken = match pair.pass() {
                Ok(woken) => woken,
                Err(end) => return Poll::Ready(end),
            };
            if let Some(end) = self.closed_down(&pair, cx) {
                return Poll::Ready(end);
            }
            if !woken {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// While a side's socket closes: done once everything it queued has moved (or nothing can
    /// move: the other side closes too), or its linger time is over.
    fn closed_down(&mut self, pair: &Pair, cx: &mut Context<'_>) -> Option<End> {
        let mut deadline: Option<Instant> = None;
        let mut closing_any = false;
        for connector in [true, false] {
            let (side, other, flow) = if connector {
                (&pair.connector, &pair.binder, &pair.up)
            } else {
                (&pair.binder, &pair.connector, &pair.down)
            };
            if !side.closing {
                continue;
            }
            closing_any = true;
            let delivered = flow.held.is_empty() && side.link.backlog(side.pipe).0 == 0;
            if other.closing || delivered {
                return Some(End::Closed { connector });
            }
            if let Some(at) = side.context.linger_deadline() {
                if at <= Instant::now() {
                    return Some(End::Closed { connector });
                }
                deadline = Some(deadline.map_or(at, |d| d.min(at)));
            }
        }
        if !closing_any {
            return None;
        }
        let deadline = deadline?;
        if self.timer_at != Some(deadline) {
            self.timer.as_mut().reset(deadline);
            self.timer_at = Some(deadline);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Some(End::Closed {
                connector: pair.connector.closing,
            }),
            Poll::Pending => None,
        }
    }
}

/// Unlinks the pipes: what a closing side could not deliver goes into its close report, each
/// side's monitor hears of the end.
fn finish(pair: &mut Pair, end: End) {
    let (closed_connector, refused) = match end {
        End::Closed { connector } => (connector, None),
        End::Refused { connector, refusal } => (connector, Some(refusal)),
    };
    for connector in [true, false] {
        let (side, other, flow) = if connector {
            (&pair.connector, &pair.binder, &mut pair.up)
        } else {
            (&pair.binder, &pair.connector, &mut pair.down)
        };
        if !flow.held.is_empty() && !other.closing {
            // Taken from the sender's queue: the receiver has them, past its limit if need be.
            let _ = other.link.offer(other.pipe, &mut flow.held, true, &noop());
        }
        if side.closing {
            let mut undelivered = Undelivered::new(side.endpoint.clone(), None);
            undelivered.queued_messages = flow.held.len();
            undelivered.queued_bytes = flow.held.iter().map(Message::byte_len).sum();
            if !side.connecting {
                // A connecting pipe's queue is reported by its connector, when it gives up.
                let (messages, bytes) = side.link.backlog(side.pipe);
                undelivered.queued_messages += messages;
                undelivered.queued_bytes += bytes;
            }
            side.context.report_undelivered(undelivered);
        }
    }
    for connector in [true, false] {
        let side = pair.side_mut(connector);
        side.link.detach(side.pipe);
        let reason = match refused {
            Some(refusal) if connector == closed_connector => DisconnectReason::Refused(refusal),
            _ if connector == closed_connector || side.closing => DisconnectReason::Closed,
            _ => DisconnectReason::Connection(ConnectionError::PeerDisconnected {
                mid_message: false,
            }),
        };
        side.context.monitor.emit(MonitorEvent::Disconnected {
            endpoint: side.endpoint.clone(),
            reason,
            peer_info: Arc::clone(&side.peer),
        });
    }
}

fn subscriptions(topics: Vec<Bytes>) -> Vec<SubscriptionCommand> {
    topics
        .into_iter()
        .map(SubscriptionCommand::Subscribe)
        .collect()
}

/// A link that could not be made, for one side's monitor.
fn failed(context: &SocketContext, endpoint: &Endpoint, reason: DisconnectReason) {
    tracing::info!(%endpoint, %reason, "inproc peer not linked");
    context.monitor.emit(MonitorEvent::HandshakeFailed {
        endpoint: endpoint.clone(),
        reason,
    });
}

/// A side refused the other at admission: both monitors say so.
fn refused(ours: &Connecting<'_>, binder: &Binder, refusal: Refusal) -> NotLinked {
    failed(
        ours.context,
        ours.endpoint,
        DisconnectReason::Refused(refusal),
    );
    failed(
        &binder.context,
        &binder.endpoint,
        DisconnectReason::Refused(refusal),
    );
    NotLinked::Refused
}

/// A context for the last offer, which waits for nothing.
fn noop() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}
