//! A proxy, as `zmq_proxy_steerable`: moves every message from a frontend socket to a backend
//! socket and back, optionally copying each to a capture socket, until told to stop.
//!
//! The classic shapes: ROUTER frontend + DEALER backend (a request broker between REQ clients
//! and REP workers), XSUB frontend + XPUB backend (a pub-sub forwarder: subscriptions flow up,
//! messages flow down), PULL + PUSH (a pipeline streamer).

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::watch;
use zmtp_core::Message;

use crate::error::{Error, Result};
use crate::socket::ProxySocket;

/// What a [`ProxyControl`] asks of the proxies it steers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Run,
    Pause,
    Terminate,
}

/// Steers running proxies from elsewhere (libzmq's control socket): pause, resume, terminate.
/// Clones steer the same proxies.
#[derive(Debug, Clone)]
pub struct ProxyControl {
    tx: Arc<watch::Sender<Command>>,
}

impl Default for ProxyControl {
    fn default() -> Self {
        ProxyControl::new()
    }
}

impl ProxyControl {
    /// A control in the running state.
    pub fn new() -> ProxyControl {
        ProxyControl {
            tx: Arc::new(watch::Sender::new(Command::Run)),
        }
    }

    /// Stops moving messages (they wait in the sockets' queues, under their high-water marks).
    pub fn pause(&self) {
        self.tx.send_replace(Command::Pause);
    }

    /// Moves messages again after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.tx.send_replace(Command::Run);
    }

    /// Ends [`Proxy::run`], which returns its statistics. A message it was waiting to hand to
    /// a socket that cannot take it is dropped.
    pub fn terminate(&self) {
        self.tx.send_replace(Command::Terminate);
    }
}

/// Messages and bytes a proxy moved (libzmq's `STATISTICS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyStats {
    /// Messages from the frontend to the backend.
    pub frontend_to_backend: u64,
    /// Their bytes, over all frames.
    pub frontend_to_backend_bytes: u64,
    /// Messages from the backend to the frontend.
    pub backend_to_frontend: u64,
    /// Their bytes, over all frames.
    pub backend_to_frontend_bytes: u64,
}

/// A proxy between two sockets, built with [`Proxy::new`] and started with [`Proxy::run`].
///
/// ```
/// use zmtp_tokio::{DealerSocket, Proxy, ProxyControl, RepSocket, ReqSocket, RouterSocket};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> zmtp_tokio::Result<()> {
/// let mut frontend = RouterSocket::new();
/// let clients = frontend.bind("tcp://127.0.0.1:0").await?;
/// let mut backend = DealerSocket::new();
/// let workers = backend.bind("tcp://127.0.0.1:0").await?;
/// let control = ProxyControl::new();
/// let steer = control.clone();
/// let proxy = tokio::spawn(async move {
///     Proxy::new(&mut frontend, &mut backend).control(&steer).run().await
/// });
///
/// let mut worker = RepSocket::new();
/// worker.connect(&workers)?;
/// tokio::spawn(async move {
///     while let Ok(request) = worker.recv().await {
///         worker.send(request).await.unwrap();
///     }
/// });
/// let mut client = ReqSocket::new();
/// client.connect(&clients)?;
/// assert_eq!(client.request("ping").await?.frames()[0], "ping");
///
/// control.terminate();
/// let stats = proxy.await.unwrap()?;
/// assert_eq!((stats.frontend_to_backend, stats.backend_to_frontend), (1, 1));
/// # Ok(()) }
/// ```
pub struct Proxy<'a> {
    frontend: &'a mut dyn ProxySocket,
    backend: &'a mut dyn ProxySocket,
    capture: Option<&'a mut dyn ProxySocket>,
    control: Option<watch::Receiver<Command>>,
}

impl std::fmt::Debug for Proxy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("capture", &self.capture.is_some())
            .field("control", &self.control.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> Proxy<'a> {
    /// A proxy between `frontend` and `backend`, sockets of any kinds (`&mut socket`). Either
    /// may be of a type that only sends or only receives (e.g. PULL → PUSH); REQ and REP
    /// cannot take part, as their strict alternation would stall it.
    pub fn new(frontend: &'a mut dyn ProxySocket, backend: &'a mut dyn ProxySocket) -> Self {
        Proxy {
            frontend,
            backend,
            capture: None,
            control: None,
        }
    }

    /// Also sends a copy of every message, in both directions, to `capture` (a PUB, PUSH,
    /// DEALER, PAIR, ...).
    pub fn capture(mut self, capture: &'a mut dyn ProxySocket) -> Self {
        self.capture = Some(capture);
        self
    }

    /// Steered by `control` (without one, the proxy runs until a socket fails).
    pub fn control(mut self, control: &ProxyControl) -> Self {
        self.control = Some(control.tx.subscribe());
        self
    }

    /// Moves messages until [`ProxyControl::terminate`], returning what it moved; fails if a
    /// socket does (e.g. [`Error::Closed`]), or at once when neither side receives.
    pub async fn run(mut self) -> Result<ProxyStats> {
        let mut stats = ProxyStats::default();
        // Whether each side receives at all (a PUSH backend does not); found out on first use.
        let mut receives = [true, true];
        let mut turn = 0;
        loop {
            match self.command() {
                Command::Terminate => return Ok(stats),
                Command::Pause => {
                    changed(&mut self.control).await;
                    continue;
                }
                Command::Run => {}
            }
            let frontend = &mut *self.frontend;
            let backend = &mut *self.backend;
            let received = tokio::select! {
                received = poll_fn(|cx| recv_either(frontend, backend, cx, &mut receives, &mut turn)) => received?,
                _ = changed(&mut self.control) => continue,
            };
            let (from_frontend, message) = received;
            let bytes = message.byte_len() as u64;
            if let Some(capture) = self.capture.as_deref_mut() {
                if !send_or_stop(capture, message.clone(), &mut self.control).await? {
                    continue;
                }
            }
            let delivered = if from_frontend {
                send_or_stop(self.backend, message, &mut self.control).await?
            } else {
                send_or_stop(self.frontend, message, &mut self.control).await?
            };
            if delivered && from_frontend {
                stats.frontend_to_backend += 1;
                stats.frontend_to_backend_bytes += bytes;
            } else if delivered {
                stats.backend_to_frontend += 1;
                stats.backend_to_frontend_bytes += bytes;
            }
        }
    }

    fn command(&self) -> Command {
        self.control
            .as_ref()
            .map_or(Command::Run, |rx| *rx.borrow())
    }
}

/// The next message from either side, taking turns so that a busy side cannot starve the
/// other. `true` with a message from the frontend.
fn recv_either(
    frontend: &mut dyn ProxySocket,
    backend: &mut dyn ProxySocket,
    cx: &mut Context<'_>,
    receives: &mut [bool; 2],
    turn: &mut usize,
) -> Poll<Result<(bool, Message)>> {
    if receives == &[false, false] {
        return Poll::Ready(Err(Error::NotSupported(
            "a proxy needs a side that receives",
        )));
    }
    for i in 0..2 {
        let side = (*turn + i) % 2;
        if !receives[side] {
            continue;
        }
        let polled = if side == 0 {
            frontend.poll_recv_message(cx)
        } else {
            backend.poll_recv_message(cx)
        };
        match polled {
            Poll::Ready(Ok(message)) => {
                *turn = (side + 1) % 2;
                return Poll::Ready(Ok((side == 0, message)));
            }
            Poll::Ready(Err(Error::NotSupported(_))) => {
                receives[side] = false;
                // Registered nothing: poll again so the other side gets its turn and waker.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
    }
    Poll::Pending
}

/// Sends `message` on `socket`, waiting while it must; `false` when the control changed first
/// (the message is then dropped and the caller re-reads the command).
async fn send_or_stop(
    socket: &mut dyn ProxySocket,
    message: Message,
    control: &mut Option<watch::Receiver<Command>>,
) -> Result<bool> {
    let mut slot = Some(message);
    tokio::select! {
        sent = poll_fn(|cx| socket.poll_send_message(cx, &mut slot)) => sent.map(|()| true),
        _ = changed(control) => Ok(false),
    }
}

/// Completes when the control's command changes; never without a control.
async fn changed(control: &mut Option<watch::Receiver<Command>>) {
    match control {
        Some(rx) => {
            if rx.changed().await.is_err() {
                // Every ProxyControl is gone: nothing can steer the proxy any more.
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}
