//! One blocking socket of any kind: zmtp-tokio's [`AnySocket`] driven from the caller's
//! thread, with libzmq's send and receive timeouts and a one-message stash for the poller.

use std::time::Duration;

use bytes::Bytes;
use zmtp_tokio::{
    AnySocket, CloseReport, Endpoint, IntoEndpoint, Message, Monitor, Options, SocketType,
    TryRecvError, TrySendError,
};

use crate::{Result, Runtime};

/// A blocking socket of the kind chosen at creation. The typed aliases
/// ([`ReqSocket`](crate::ReqSocket), ...) make one of a fixed kind; a method the kind lacks
/// fails with zmtp-tokio's `NotSupported`.
///
/// `send` and `recv` wait on the caller's thread up to the socket's timeouts (libzmq's
/// `ZMQ_SNDTIMEO` and `ZMQ_RCVTIMEO`): `None` waits for ever, `Some(Duration::ZERO)` never
/// waits ([`Error::WouldBlock`](crate::Error::WouldBlock)), any other value fails with
/// [`Error::TimedOut`](crate::Error::TimedOut) once it has
/// passed. A send that fails so did not send its message; a receive that fails lost nothing.
#[derive(Debug)]
pub struct Socket {
    // Dropped before `runtime` (fields drop in order), inside its context: see `Drop`.
    inner: Option<AnySocket>,
    /// A message (or the error) the poller received for the next `recv`: always older than
    /// anything still inside `inner`, so the order is kept.
    stash: Option<zmtp_tokio::Result<Message>>,
    send_timeout: Option<Duration>,
    recv_timeout: Option<Duration>,
    /// REQ, REP: each message is written before `send` returns (the connection runs on the
    /// caller's thread when nobody drives), as a request or reply must go at once. Other
    /// kinds send in streams, written together by the next turn of the runtime.
    alternates: bool,
    /// The last send was a question or an answer just written: the next `recv` goes straight
    /// to the wait, since nothing can have come back yet.
    answer_next: bool,
    runtime: Runtime,
}

impl Socket {
    /// A socket of `socket_type` with default options, on the global runtime.
    pub fn new(socket_type: SocketType) -> Result<Socket> {
        Socket::with_options(socket_type, Options::default())
    }

    /// A socket of `socket_type` with `options`, on the global runtime.
    pub fn with_options(socket_type: SocketType, options: Options) -> Result<Socket> {
        Socket::on(&Runtime::global()?, socket_type, options)
    }

    /// A socket of `socket_type` with `options`, whose I/O runs on `runtime`.
    pub fn on(runtime: &Runtime, socket_type: SocketType, options: Options) -> Result<Socket> {
        let options = runtime.options(options);
        let inner = runtime.enter(|| AnySocket::new(socket_type, options))?;
        Ok(Socket {
            inner: Some(inner),
            stash: None,
            send_timeout: None,
            recv_timeout: None,
            alternates: matches!(socket_type, SocketType::Req | SocketType::Rep),
            answer_next: false,
            runtime: runtime.clone(),
        })
    }

    fn any(&self) -> &AnySocket {
        self.inner.as_ref().expect("present until dropped")
    }

    fn any_mut(&mut self) -> &mut AnySocket {
        self.inner.as_mut().expect("present until dropped")
    }

    /// The inner socket and the runtime, borrowed together (no clone of the runtime per call).
    fn any_mut_and_runtime(&mut self) -> (&mut AnySocket, &Runtime) {
        (
            self.inner.as_mut().expect("present until dropped"),
            &self.runtime,
        )
    }

    /// The socket's kind.
    pub fn socket_type(&self) -> SocketType {
        self.any().socket_type()
    }

    /// The options it was made with.
    pub fn options(&self) -> &Options {
        self.any().options()
    }

    /// The runtime its I/O runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// How long `send` waits (libzmq's `ZMQ_SNDTIMEO`); `None` (the default): for ever.
    pub fn set_send_timeout(&mut self, timeout: Option<Duration>) {
        self.send_timeout = timeout;
    }

    /// How long `recv` waits (libzmq's `ZMQ_RCVTIMEO`); `None` (the default): for ever.
    pub fn set_recv_timeout(&mut self, timeout: Option<Duration>) {
        self.recv_timeout = timeout;
    }

    /// The send timeout.
    pub fn send_timeout(&self) -> Option<Duration> {
        self.send_timeout
    }

    /// The receive timeout.
    pub fn recv_timeout(&self) -> Option<Duration> {
        self.recv_timeout
    }

    /// Binds and returns the real endpoint (port 0 and `*` resolved). Waits for the listener.
    pub fn bind(&self, endpoint: impl IntoEndpoint) -> Result<Endpoint> {
        let any = self.any();
        self.runtime
            .wait(None, async { Ok(any.bind(endpoint).await?) })
    }

    /// Connects in the background and returns at once, as in libzmq.
    pub fn connect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.runtime.enter(|| self.any().connect(endpoint))?;
        self.runtime.nudge();
        Ok(())
    }

    /// Stops listening on a bound endpoint.
    pub fn unbind(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.runtime.enter(|| self.any().unbind(endpoint))?;
        self.runtime.nudge();
        Ok(())
    }

    /// Drops a connection made with `connect`.
    pub fn disconnect(&self, endpoint: impl IntoEndpoint) -> Result<()> {
        self.runtime.enter(|| self.any().disconnect(endpoint))?;
        self.runtime.nudge();
        Ok(())
    }

    /// The socket's connection events; see zmtp-tokio's `Monitor` (a `Stream`: `futures`' `next().now_or_never()` reads one without waiting).
    pub fn monitor(&self) -> Monitor {
        self.runtime.enter(|| self.any().monitor())
    }

    /// How many peers are connected now.
    pub fn connected_peers(&self) -> usize {
        self.any().connected_peers()
    }

    /// Waits until at least `n` peers are connected (handshake done), at most `timeout`
    /// (`None`: for ever): instead of a sleep after `connect` before the first send.
    pub fn wait_connected(&self, n: usize, timeout: Option<Duration>) -> Result<()> {
        let any = self.any();
        self.runtime.wait(timeout, async {
            any.wait_connected(n).await;
            Ok(())
        })
    }

    /// PUB, XPUB: waits until at least `n` peers have subscribed to something, at most
    /// `timeout` (`None`: for ever), so that what is published next reaches them (the end of
    /// the slow-joiner sleep).
    pub fn wait_subscribers(&self, n: usize, timeout: Option<Duration>) -> Result<()> {
        let any = self.any();
        self.runtime
            .wait(timeout, async { Ok(any.wait_subscribers(n).await?) })
    }

    /// Subscribes to messages starting with `topic` (SUB, XSUB).
    pub fn subscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.runtime.enter(|| self.any().subscribe(topic))?;
        self.runtime.nudge();
        Ok(())
    }

    /// Cancels one subscription (SUB, XSUB).
    pub fn unsubscribe(&self, topic: impl Into<Bytes>) -> Result<()> {
        self.runtime.enter(|| self.any().unsubscribe(topic))?;
        self.runtime.nudge();
        Ok(())
    }

    /// Sends as the kind sends, waiting at most the send timeout for room.
    pub fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        // The fast path: room in the queue, no waiting and no runtime entered at all.
        let alternates = self.alternates;
        let (any, runtime) = self.any_mut_and_runtime();
        let tried = match alternates {
            true => runtime.send_now(|| any.try_send(message)),
            false => any.try_send(message),
        };
        let message = match tried {
            // Written already (or handed to whoever drives): no answer can be waiting yet.
            Ok(()) if alternates && self.runtime.runs_tasks_inline() => {
                self.answer_next = true;
                return Ok(());
            }
            Ok(()) => {
                self.runtime.nudge();
                return Ok(());
            }
            Err(TrySendError {
                error: zmtp_tokio::Error::WouldBlock,
                message,
            }) => message,
            Err(refused) => return Err(refused.error.into()),
        };
        let timeout = self.send_timeout;
        let (any, runtime) = self.any_mut_and_runtime();
        // zmtp-tokio's send is cancel-safe: a timed-out send has not queued the message.
        runtime.wait(timeout, async { Ok(any.send(message).await?) })
    }

    /// Receives the next message, waiting at most the receive timeout.
    pub fn recv(&mut self) -> Result<Message> {
        if let Some(stashed) = self.stash.take() {
            return Ok(stashed?);
        }
        // Right after a REQ or REP send whose connection has not heard of it yet, straight to
        // the wait, which tells it: the answer cannot be here before the question has left
        // (and a REP's next request from another client is then taken without waiting).
        let straight_to_wait = std::mem::take(&mut self.answer_next)
            && self.recv_timeout != Some(Duration::ZERO)
            && !crate::runtime::inside_async_code();
        if straight_to_wait {
            return self.wait_recv();
        }
        match self.any_mut().try_recv() {
            Ok(message) => return Ok(message),
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Closed) => return Err(zmtp_tokio::Error::Closed.into()),
            Err(TryRecvError::InvalidState(why)) => {
                return Err(zmtp_tokio::Error::InvalidState(why).into())
            }
            Err(TryRecvError::NotSupported(why)) => {
                return Err(zmtp_tokio::Error::NotSupported(why).into())
            }
            // TryRecvError is non-exhaustive; a kind added later is still an error.
            Err(_) => return Err(zmtp_tokio::Error::InvalidState("receive refused").into()),
        }
        self.wait_recv()
    }

    /// Receives on the caller's thread, waiting at most the receive timeout.
    fn wait_recv(&mut self) -> Result<Message> {
        let timeout = self.recv_timeout;
        let (any, runtime) = self.any_mut_and_runtime();
        // Cancel-safe in zmtp-tokio: a timed-out receive took nothing.
        runtime.wait(timeout, async { Ok(any.recv().await?) })
    }

    /// ROUTER: sends `message` to the peer `identity`.
    pub fn send_to(
        &mut self,
        identity: impl Into<Bytes>,
        message: impl Into<Message>,
    ) -> Result<()> {
        let mut message = message.into();
        message.push_front(identity);
        self.send(message)
    }

    /// ROUTER: the next message and the identity of the peer that sent it.
    pub fn recv_from(&mut self) -> Result<(Bytes, Message)> {
        let mut message = self.recv()?;
        let identity = message.pop_front().ok_or(zmtp_tokio::Error::InvalidState(
            "a ROUTER message without its sender",
        ))?;
        Ok((identity, message))
    }

    /// Whether a message (or an error) is waiting: takes it from the socket into the stash if
    /// one is, so that the next `recv` returns it. Never waits.
    pub(crate) fn poll_readable(&mut self) -> bool {
        if self.stash.is_some() {
            return true;
        }
        match self.any_mut().try_recv() {
            Ok(message) => self.stash = Some(Ok(message)),
            Err(TryRecvError::Empty) => return false,
            // Anything else is what the next `recv` would fail with: readable, as in zmq_poll.
            Err(_) => return true,
        }
        true
    }

    /// Keeps what the poller received for the next `recv`.
    pub(crate) fn stash(&mut self, received: zmtp_tokio::Result<Message>) {
        debug_assert!(
            self.stash.is_none(),
            "the poller only receives from empty stashes"
        );
        self.stash = Some(received);
    }

    /// Whether `recv` has something waiting in the stash.
    pub(crate) fn has_stash(&self) -> bool {
        self.stash.is_some()
    }

    /// The inner socket, for the poller's receive futures.
    pub(crate) fn inner_mut(&mut self) -> &mut AnySocket {
        self.any_mut()
    }

    /// Closes, waiting up to the linger for queued messages to go; reports what did not.
    /// A message the poller had stashed is dropped with the socket.
    pub fn close(mut self) -> Result<CloseReport> {
        let inner = self.inner.take().expect("present until dropped");
        let runtime = self.runtime.clone();
        runtime.wait(None, async { Ok(inner.close().await) })
    }

    /// As [`close`](Socket::close), but waits at most `timeout` whatever the linger.
    pub fn close_timeout(mut self, timeout: Duration) -> Result<CloseReport> {
        let inner = self.inner.take().expect("present until dropped");
        let runtime = self.runtime.clone();
        runtime.wait(None, async { Ok(inner.close_timeout(timeout).await) })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // zmtp-tokio starts the linger from the drop, which may spawn on the runtime.
        if let Some(inner) = self.inner.take() {
            self.runtime.enter(|| drop(inner));
        }
    }
}
