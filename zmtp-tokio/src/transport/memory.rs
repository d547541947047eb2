//! `mem://name` (feature `test-util`): connections made of in-memory pipes, for tests that run
//! the whole engine on tokio's paused clock. A bound name is registered process-wide; a
//! connect creates a `tokio::io::duplex` pair and hands one end to the listener.
//!
//! The same listeners and streams are public in [`crate::testing`], so a test can play a peer
//! byte by byte.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio::io::DuplexStream;
use tokio::sync::mpsc;

use super::{Listener, Stream};
use crate::endpoint::Endpoint;
use crate::error::Error;

/// What each direction of a connection buffers, as a kernel's socket buffers would.
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// Bound names: the listener's serial number (so that a listener dropped late cannot remove a
/// newer one of the same name) and where its connections go.
type Registry = HashMap<String, (u64, mpsc::UnboundedSender<(DuplexStream, String)>)>;

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

/// A bound `mem://` name; the name is free again once it is dropped.
#[derive(Debug)]
pub struct MemoryListener {
    name: String,
    serial: u64,
    incoming: mpsc::UnboundedReceiver<(DuplexStream, String)>,
}

impl MemoryListener {
    /// Binds `name`; fails with `AddrInUse` while another listener holds it.
    pub fn bind(name: &str) -> io::Result<MemoryListener> {
        static SERIAL: AtomicU64 = AtomicU64::new(1);
        let mut registry = lock();
        if registry.contains_key(name) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("mem://{name} is bound"),
            ));
        }
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let (tx, incoming) = mpsc::unbounded_channel();
        registry.insert(name.to_owned(), (serial, tx));
        Ok(MemoryListener {
            name: name.to_owned(),
            serial,
            incoming,
        })
    }

    /// The next connection, with the connecting side's address (`mem://name#n`).
    pub async fn accept(&mut self) -> io::Result<(DuplexStream, String)> {
        self.incoming
            .recv()
            .await
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl Drop for MemoryListener {
    fn drop(&mut self) {
        let mut registry = lock();
        if registry
            .get(&self.name)
            .is_some_and(|(serial, _)| *serial == self.serial)
        {
            registry.remove(&self.name);
        }
    }
}

/// Connects to the listener bound at `name`; `ConnectionRefused` when there is none.
pub fn connect_stream(name: &str) -> io::Result<DuplexStream> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let tx = lock()
        .get(name)
        .map(|(_, tx)| tx.clone())
        .ok_or(io::ErrorKind::ConnectionRefused)?;
    let (ours, theirs) = tokio::io::duplex(PIPE_CAPACITY);
    let address = format!("mem://{name}#{}", NEXT.fetch_add(1, Ordering::Relaxed));
    tx.send((theirs, address))
        .map_err(|_| io::Error::from(io::ErrorKind::ConnectionRefused))?;
    Ok(ours)
}

pub(super) fn bind(endpoint: &Endpoint, name: &str) -> Result<(Listener, Endpoint), Error> {
    let listener = MemoryListener::bind(name).map_err(|source| Error::Bind {
        endpoint: endpoint.to_string(),
        source,
    })?;
    Ok((Listener::Memory(listener), endpoint.clone()))
}

impl MemoryListener {
    pub(super) async fn accept_stream(&mut self) -> io::Result<(Stream, String)> {
        let (stream, address) = self.accept().await?;
        Ok((Stream::Memory(stream), address))
    }
}

pub(super) fn connect(name: &str) -> io::Result<Stream> {
    connect_stream(name).map(Stream::Memory)
}
