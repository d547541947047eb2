//! The byte streams under ZMTP: TCP (with TCP_NODELAY; batching happens in user space), Unix
//! domain sockets for `ipc://` (on Unix), and with the `test-util` feature in-memory pipes for
//! `mem://`. The engine sees only [`Listener`], [`connect`] and the halves of a [`Stream`],
//! which are `AsyncRead` and `AsyncWrite`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::endpoint::Endpoint;
use crate::error::Error;

#[cfg(unix)]
mod ipc;
#[cfg(feature = "test-util")]
pub(crate) mod memory;
mod tcp;
mod tcp_tuning;

pub use tcp_tuning::TcpTuning;

/// A bound listener.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    #[cfg(unix)]
    Ipc(ipc::IpcListener),
    #[cfg(feature = "test-util")]
    Memory(memory::MemoryListener),
}

impl Listener {
    /// Binds, returning the listener and the real endpoint (with the port that was chosen).
    pub(crate) async fn bind(endpoint: &Endpoint) -> Result<(Listener, Endpoint), Error> {
        match endpoint {
            Endpoint::Tcp { host, port } => tcp::bind(endpoint, host, *port).await,
            #[cfg(unix)]
            Endpoint::Ipc(path) => ipc::bind(endpoint, path).await,
            #[cfg(not(unix))]
            Endpoint::Ipc(_) => Err(Error::UnsupportedTransport("ipc".into())),
            // Not a byte stream: the engine links inproc pipes itself.
            Endpoint::Inproc(_) => Err(Error::UnsupportedTransport("inproc".into())),
            #[cfg(feature = "test-util")]
            Endpoint::Memory(name) => memory::bind(endpoint, name),
        }
    }

    /// Accepts one connection (tuned by `tuning` when it is TCP); returns it with the peer's
    /// address as text.
    pub(crate) async fn accept(&mut self, tuning: &TcpTuning) -> io::Result<(Stream, String)> {
        match self {
            Listener::Tcp(l) => tcp::accept(l, tuning).await,
            #[cfg(unix)]
            Listener::Ipc(l) => l.accept().await,
            #[cfg(feature = "test-util")]
            Listener::Memory(l) => l.accept_stream().await,
        }
    }
}

/// Opens a connection to `endpoint` (tuned by `tuning` when it is TCP).
pub(crate) async fn connect(endpoint: &Endpoint, tuning: &TcpTuning) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp { host, port } => tcp::connect(host, *port, tuning).await,
        #[cfg(unix)]
        Endpoint::Ipc(path) => ipc::connect(path).await,
        #[cfg(not(unix))]
        Endpoint::Ipc(_) => Err(io::ErrorKind::Unsupported.into()),
        Endpoint::Inproc(_) => Err(io::ErrorKind::Unsupported.into()),
        #[cfg(feature = "test-util")]
        Endpoint::Memory(name) => memory::connect(name),
    }
}

/// A connected byte stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Ipc(tokio::net::UnixStream),
    #[cfg(feature = "test-util")]
    Memory(tokio::io::DuplexStream),
}

impl Stream {
    /// Splits into halves that can be polled independently (TCP and IPC without a lock).
    pub(crate) fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            #[cfg(unix)]
            Stream::Ipc(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Ipc(r), WriteHalf::Ipc(w))
            }
            #[cfg(feature = "test-util")]
            Stream::Memory(s) => {
                let (r, w) = tokio::io::split(s);
                (ReadHalf::Memory(r), WriteHalf::Memory(w))
            }
        }
    }
}

/// The reading half of a [`Stream`].
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tokio::net::tcp::OwnedReadHalf),
    #[cfg(unix)]
    Ipc(tokio::net::unix::OwnedReadHalf),
    #[cfg(feature = "test-util")]
    Memory(tokio::io::ReadHalf<tokio::io::DuplexStream>),
}

/// The writing half of a [`Stream`].
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tokio::net::tcp::OwnedWriteHalf),
    #[cfg(unix)]
    Ipc(tokio::net::unix::OwnedWriteHalf),
    #[cfg(feature = "test-util")]
    Memory(tokio::io::WriteHalf<tokio::io::DuplexStream>),
}

/// Calls `$method` on whichever stream is inside.
macro_rules! each_half {
    ($half:expr, $enum:ident, $s:ident => $call:expr) => {
        match $half {
            $enum::Tcp($s) => $call,
            #[cfg(unix)]
            $enum::Ipc($s) => $call,
            #[cfg(feature = "test-util")]
            $enum::Memory($s) => $call,
        }
    };
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each_half!(self.get_mut(), ReadHalf, r => Pin::new(r).poll_read(cx, buf))
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each_half!(self.get_mut(), WriteHalf, w => Pin::new(w).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each_half!(self.get_mut(), WriteHalf, w => Pin::new(w).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each_half!(self, WriteHalf, w => w.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_half!(self.get_mut(), WriteHalf, w => Pin::new(w).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each_half!(self.get_mut(), WriteHalf, w => Pin::new(w).poll_shutdown(cx))
    }
}
