//! Waiting for any of several sockets to have a message (zmq_poll's `ZMQ_POLLIN`).
//!
//! Only readability: zmtp-tokio has no way to ask whether a send would wait without sending,
//! so there is no `ZMQ_POLLOUT`; use a send timeout of zero (`Error::WouldBlock`) instead.

use std::time::Duration;

use futures::future::{select_all, BoxFuture, FutureExt};

use crate::{Error, Result, Socket};

/// Several sockets polled together for readability.
///
/// `poll` receives the first message that arrives on any of them into that socket's stash
/// (zmtp-tokio's `recv` is cancel-safe, so the races it loses take nothing), and the socket's
/// next `recv` returns it: nothing is lost or reordered. Reach the sockets between polls
/// through [`socket`](Poller::socket).
#[derive(Debug, Default)]
pub struct Poller<'a> {
    sockets: Vec<&'a mut Socket>,
}

impl<'a> Poller<'a> {
    /// An empty poller.
    pub fn new() -> Poller<'a> {
        Poller::default()
    }

    /// Adds a socket; returns its index in [`poll`](Poller::poll)'s answer.
    pub fn add(&mut self, socket: &'a mut Socket) -> usize {
        self.sockets.push(socket);
        self.sockets.len() - 1
    }

    /// The socket at `index`, to receive from it.
    pub fn socket(&mut self, index: usize) -> &mut Socket {
        self.sockets[index]
    }

    /// How many sockets are polled.
    pub fn len(&self) -> usize {
        self.sockets.len()
    }

    /// Whether no socket is polled.
    pub fn is_empty(&self) -> bool {
        self.sockets.is_empty()
    }

    /// Waits at most `timeout` (None: for ever; zero: not at all) until at least one socket
    /// has a message, and returns the indices of all that have one now (in order). An empty
    /// list means the timeout passed; a socket whose `recv` would fail counts as readable.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Result<Vec<usize>> {
        let ready = self.ready_now();
        if !ready.is_empty() || self.sockets.is_empty() && timeout.is_some() {
            return Ok(ready);
        }
        let runtime = match self.sockets.first() {
            Some(first) => first.runtime().clone(),
            None => crate::Runtime::global()?,
        };
        let receives: Vec<BoxFuture<'_, _>> = self
            .sockets
            .iter_mut()
            .map(|socket| socket.inner_mut().recv().boxed())
            .collect();
        let race = async {
            if receives.is_empty() {
                // Nothing to wait for: wait for ever, as zmq_poll with no items.
                futures::future::pending::<()>().await;
            }
            let (received, index, _losers) = select_all(receives).await;
            Ok((index, received))
        };
        match runtime.wait(timeout, race) {
            Ok((index, received)) => self.sockets[index].stash(received),
            Err(Error::WouldBlock | Error::TimedOut) => return Ok(Vec::new()),
            Err(other) => return Err(other),
        }
        Ok(self.ready_now())
    }

    /// The sockets with a message (or an error) waiting now, stashing what they had.
    fn ready_now(&mut self) -> Vec<usize> {
        let mut ready = Vec::new();
        for (index, socket) in self.sockets.iter_mut().enumerate() {
            if socket.has_stash() || socket.poll_readable() {
                ready.push(index);
            }
        }
        ready
    }
}
