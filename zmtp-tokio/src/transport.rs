//! The byte streams under ZMTP: TCP (with TCP_NODELAY; batching happens in user space) and
//! Unix domain sockets for `ipc://`.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{tcp, unix, TcpListener, TcpStream, UnixListener, UnixStream};

use crate::endpoint::Endpoint;
use crate::error::Error;

/// A bound listener.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Ipc(UnixListener, PathBuf),
}

impl Listener {
    /// Binds, returning the listener and the real endpoint (with the port that was chosen).
    pub(crate) async fn bind(endpoint: &Endpoint) -> Result<(Listener, Endpoint), Error> {
        let bind_error = |source| Error::Bind {
            endpoint: endpoint.to_string(),
            source,
        };
        match endpoint {
            Endpoint::Tcp { host, port } => {
                let host = Endpoint::tcp_bind_host(host);
                let addrs: Vec<_> = tokio::net::lookup_host((host, *port))
                    .await
                    .map_err(|source| Error::Resolve {
                        endpoint: endpoint.to_string(),
                        source,
                    })?
                    .collect();
                let listener = TcpListener::bind(&addrs[..]).await.map_err(bind_error)?;
                let local = listener.local_addr().map_err(bind_error)?;
                Ok((Listener::Tcp(listener), Endpoint::from_socket_addr(local)))
            }
            Endpoint::Ipc(path) => {
                remove_stale_socket(path).await.map_err(bind_error)?;
                let listener = UnixListener::bind(path).map_err(bind_error)?;
                Ok((Listener::Ipc(listener, path.clone()), endpoint.clone()))
            }
        }
    }

    /// Accepts one connection; returns it with the peer's address as text.
    pub(crate) async fn accept(&self) -> io::Result<(Stream, String)> {
        match self {
            Listener::Tcp(l) => {
                let (s, addr) = l.accept().await?;
                s.set_nodelay(true)?;
                Ok((Stream::Tcp(s), addr.to_string()))
            }
            Listener::Ipc(l, path) => {
                let (s, _) = l.accept().await?;
                Ok((Stream::Ipc(s), path.display().to_string()))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // libzmq unlinks the socket file when the endpoint goes away.
        if let Listener::Ipc(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A socket file nobody listens on (left by a crashed process) is removed so that bind works;
/// one with a live listener is reported as in use rather than stolen, and anything that is not
/// a socket is left alone (bind then fails on it).
async fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match tokio::fs::symlink_metadata(path).await {
        Ok(meta) if meta.file_type().is_socket() => {}
        _ => return Ok(()),
    }
    if UnixStream::connect(path).await.is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "another process listens on this path",
        ));
    }
    match tokio::fs::remove_file(path).await {
        // Another socket's drop may have removed it meanwhile.
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Opens a connection to `endpoint`.
pub(crate) async fn connect(endpoint: &Endpoint) -> io::Result<Stream> {
    match endpoint {
        Endpoint::Tcp { host, port } => {
            let s = TcpStream::connect((host.as_str(), *port)).await?;
            s.set_nodelay(true)?;
            Ok(Stream::Tcp(s))
        }
        Endpoint::Ipc(path) => Ok(Stream::Ipc(UnixStream::connect(path).await?)),
    }
}

/// A connected byte stream.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Ipc(UnixStream),
}

impl Stream {
    /// Splits into halves that can be polled independently, without a lock.
    pub(crate) fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            Stream::Ipc(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Ipc(r), WriteHalf::Ipc(w))
            }
        }
    }
}

/// The reading half of a [`Stream`].
#[derive(Debug)]
pub(crate) enum ReadHalf {
    Tcp(tcp::OwnedReadHalf),
    Ipc(unix::OwnedReadHalf),
}

/// The writing half of a [`Stream`].
#[derive(Debug)]
pub(crate) enum WriteHalf {
    Tcp(tcp::OwnedWriteHalf),
    Ipc(unix::OwnedWriteHalf),
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Tcp(r) => Pin::new(r).poll_read(cx, buf),
            ReadHalf::Ipc(r) => Pin::new(r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(w) => Pin::new(w).poll_write(cx, buf),
            WriteHalf::Ipc(w) => Pin::new(w).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            WriteHalf::Ipc(w) => Pin::new(w).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(w) => Pin::new(w).poll_flush(cx),
            WriteHalf::Ipc(w) => Pin::new(w).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(w) => Pin::new(w).poll_shutdown(cx),
            WriteHalf::Ipc(w) => Pin::new(w).poll_shutdown(cx),
        }
    }
}
