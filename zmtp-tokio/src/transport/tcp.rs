//! `tcp://`: TCP_NODELAY on every stream (batching happens in user space), and the socket's
//! [`TcpTuning`] (keepalive, retransmission timeout).

use std::io;

use tokio::net::{TcpListener, TcpStream};

use super::{Listener, Stream, TcpTuning};
use crate::endpoint::Endpoint;
use crate::error::Error;

pub(super) async fn bind(
    endpoint: &Endpoint,
    host: &str,
    port: u16,
) -> Result<(Listener, Endpoint), Error> {
    let bind_error = |source| Error::Bind {
        endpoint: endpoint.to_string(),
        source,
    };
    let host = Endpoint::tcp_bind_host(host);
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
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

pub(super) async fn accept(
    listener: &TcpListener,
    tuning: &TcpTuning,
) -> io::Result<(Stream, String)> {
    let (s, addr) = listener.accept().await?;
    s.set_nodelay(true)?;
    tuning.apply(&s)?;
    Ok((Stream::Tcp(s), addr.to_string()))
}

pub(super) async fn connect(host: &str, port: u16, tuning: &TcpTuning) -> io::Result<Stream> {
    let s = TcpStream::connect((host, port)).await?;
    s.set_nodelay(true)?;
    tuning.apply(&s)?;
    Ok(Stream::Tcp(s))
}
