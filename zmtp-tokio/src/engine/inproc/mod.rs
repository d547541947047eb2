//! `inproc://`: sockets of one process linked pipe to pipe, without the wire.
//!
//! A bound name is an entry in its [`Context`] (`names.rs`); there is no listener. A connecting
//! socket's task finds the binding (or waits until one appears: connecting before binding
//! works, as in libzmq ≥ 4), links its pipe to a new pipe of the bound socket and moves
//! messages between them until either side stops (`session.rs`). Then, as a tcp connector
//! reconnects, it waits for the name to be bound again. The connecting task does the work of
//! both sides, and the bound socket's `close` waits for it.

mod flow;
mod names;
mod pair;
mod session;
mod side;

use std::sync::Arc;

use tokio::time::Instant;

pub use names::Context;

use super::endpoints::{connecting_pipe_closed, keep_lingering};
use super::reconnect::Backoff;
use super::stop::StopSignal;
use super::{Link, PipeId, SocketContext};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::monitor::MonitorEvent;
use session::{Connecting, NotLinked, Session};

/// Binds `name` in the socket's context; the name is freed when the endpoint stops (unbind,
/// or the socket closing).
pub(crate) fn bind(
    context: &Arc<SocketContext>,
    link: Link,
    endpoint: &Endpoint,
    name: &str,
    stop: StopSignal,
) -> Result<(), Error> {
    let names = context.options.context.clone();
    let serial = names.bind(
        name,
        Arc::clone(context),
        link,
        endpoint.clone(),
        stop.clone(),
    )?;
    let (context_ref, name, endpoint) = (Arc::clone(context), name.to_owned(), endpoint.clone());
    context.spawn(async move {
        stop.token().cancelled().await;
        names.release(&name, serial);
        context_ref.monitor.emit(MonitorEvent::Closed { endpoint });
    });
    Ok(())
}

/// Keeps the pipe `pipe` linked to whichever socket is bound at `name`, until `stop` fires
/// (and, when the whole socket is closing, until its queued messages are delivered or linger
/// expires).
pub(crate) async fn connect(
    context: Arc<SocketContext>,
    link: Link,
    endpoint: Endpoint,
    name: String,
    pipe: PipeId,
    stop: StopSignal,
) {
    let names = context.options.context.clone();
    let mut binds = names.binds();
    let options = &context.options;
    let mut backoff = Backoff::new(options.reconnect_interval, options.reconnect_interval_max);
    loop {
        if stop.token().is_cancelled() && !keep_lingering(&context, &link, pipe) {
            break;
        }
        binds.borrow_and_update();
        // How long to wait before linking again to a binding that is still there (one that
        // refused us, or a link that ended while both sockets live on); `None` waits for the
        // next bind.
        let mut retry = None;
        if let Some(binder) = names.lookup(&name) {
            let serial = binder.serial;
            let ours = Connecting {
                context: &context,
                link: &link,
                pipe,
                endpoint: &endpoint,
                stop: &stop,
            };
            match Session::link(ours, binder) {
                Ok(session) => {
                    session.run().await;
                    backoff.reset();
                }
                Err(NotLinked::Incompatible) => {
                    tracing::warn!(%endpoint, "not reconnecting: incompatible socket types");
                    break;
                }
                Err(NotLinked::Refused) => {}
            }
            if names.lookup(&name).is_some_and(|b| b.serial == serial) {
                retry = Some(backoff.next_wait());
            }
        }
        if stop.token().is_cancelled() && !keep_lingering(&context, &link, pipe) {
            break;
        }
        let linger_end = context
            .is_closing()
            .then(|| context.linger_deadline())
            .flatten();
        tokio::select! {
            _ = stop.token().cancelled(), if !stop.token().is_cancelled() => {}
            _ = binds.changed() => {}
            _ = sleep_or_never(retry) => {}
            _ = sleep_until_or_never(linger_end) => {}
        }
    }
    connecting_pipe_closed(&context, &link, pipe, endpoint);
}

async fn sleep_or_never(wait: Option<std::time::Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_or_never(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
