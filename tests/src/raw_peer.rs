//! A scripted raw ZMTP peer over TCP or IPC, written byte by byte from the RFCs (not with
//! `zmtp-core`), so that behaviour tests can play a well- or ill-behaved remote end.
//!
//! Wire format (ZMTP 3.x, NULL mechanism): a 64-byte greeting `ff 00*8 7f 03 <minor> "NULL"
//! padded to 20 bytes, as-server, 31 zero bytes`; then frames: a flags byte (bit 0 MORE, bit 1
//! LONG size, bit 2 COMMAND), a 1-byte or 8-byte big-endian size, the body. A command body is
//! `name-len:u8 name data`; READY's data is properties `name-len:u8 name value-len:u32 value`.

use std::io;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use zmtp_tokio::Endpoint;

use crate::socket_harness::{unique_ipc_endpoint, unique_memory_endpoint, Transport};

/// Frame flag: more frames follow.
pub const MORE: u8 = 0x01;
/// Frame flag: 8-byte size.
pub const LONG: u8 = 0x02;
/// Frame flag: command frame.
pub const COMMAND: u8 = 0x04;

/// A ZMTP 3.`minor` greeting for the NULL mechanism, as a client.
pub fn greeting(minor: u8) -> Vec<u8> {
    crate::raw::greeting(3, minor, "NULL", false)
}

pub use crate::raw::{command, frame};

/// READY with the given properties.
pub fn ready_with(properties: &[(&str, &[u8])]) -> Vec<u8> {
    let mut data = Vec::new();
    for (name, value) in properties {
        data.push(name.len() as u8);
        data.extend_from_slice(name.as_bytes());
        data.extend_from_slice(&(value.len() as u32).to_be_bytes());
        data.extend_from_slice(value);
    }
    command("READY", &data)
}

/// READY announcing `socket_type` (e.g. `"PUSH"`).
pub fn ready(socket_type: &str) -> Vec<u8> {
    ready_with(&[("Socket-Type", socket_type.as_bytes())])
}

/// A multipart message: every frame but the last has MORE set.
pub fn message(frames: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let more = if i + 1 < frames.len() { MORE } else { 0 };
        out.extend_from_slice(&frame(more, f));
    }
    out
}

/// A frame as read from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The flags byte.
    pub flags: u8,
    /// The body.
    pub body: Bytes,
}

impl Frame {
    /// Whether this is a command frame.
    pub fn is_command(&self) -> bool {
        self.flags & COMMAND != 0
    }

    /// Whether more frames of the message follow.
    pub fn more(&self) -> bool {
        self.flags & MORE != 0
    }

    /// For a command frame: its name, lossily as text.
    pub fn command_name(&self) -> Option<String> {
        if !self.is_command() {
            return None;
        }
        let len = usize::from(*self.body.first()?);
        let name = self.body.get(1..1 + len)?;
        Some(String::from_utf8_lossy(name).into_owned())
    }

    /// For a command frame: the data after the name.
    pub fn command_data(&self) -> Option<Bytes> {
        if !self.is_command() {
            return None;
        }
        let len = usize::from(*self.body.first()?);
        (self.body.len() > len).then(|| self.body.slice(1 + len..))
    }

    /// For a READY command: its properties, in order (`None` if not READY or malformed).
    pub fn ready_properties(&self) -> Option<Vec<(String, Bytes)>> {
        if self.command_name()? != "READY" {
            return None;
        }
        let mut data = self.command_data()?;
        let mut out = Vec::new();
        while !data.is_empty() {
            let name_len = usize::from(data[0]);
            if data.len() < 1 + name_len + 4 {
                return None;
            }
            let name = String::from_utf8_lossy(&data[1..1 + name_len]).into_owned();
            data.advance(1 + name_len);
            let value_len = u32::from_be_bytes(data[..4].try_into().ok()?) as usize;
            data.advance(4);
            if data.len() < value_len {
                return None;
            }
            out.push((name, data.split_to(value_len)));
        }
        Some(out)
    }
}

type Reader = Box<dyn AsyncRead + Unpin + Send>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

/// One raw connection. Every read gives up after [`RawPeer::io_timeout`] (5 s by default)
/// with `ErrorKind::TimedOut`, so tests stay bounded.
pub struct RawPeer {
    reader: Reader,
    writer: Writer,
    buf: BytesMut,
    /// The limit for each read.
    pub io_timeout: Duration,
}

impl std::fmt::Debug for RawPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawPeer")
            .field("buffered", &self.buf.len())
            .finish()
    }
}

impl RawPeer {
    fn new(reader: Reader, writer: Writer) -> RawPeer {
        RawPeer {
            reader,
            writer,
            buf: BytesMut::new(),
            io_timeout: Duration::from_secs(5),
        }
    }

    /// Wraps a TCP stream.
    pub fn from_tcp(stream: TcpStream) -> RawPeer {
        stream.set_nodelay(true).ok();
        let (r, w) = stream.into_split();
        RawPeer::new(Box::new(r), Box::new(w))
    }

    /// Wraps a Unix stream.
    pub fn from_unix(stream: UnixStream) -> RawPeer {
        let (r, w) = stream.into_split();
        RawPeer::new(Box::new(r), Box::new(w))
    }

    /// Opens a connection to a `tcp://`, `ipc://` or `mem://` endpoint.
    pub async fn connect(endpoint: &Endpoint) -> io::Result<RawPeer> {
        match endpoint.to_connectable() {
            Endpoint::Tcp { host, port } => Ok(RawPeer::from_tcp(
                TcpStream::connect((host.as_str(), port)).await?,
            )),
            Endpoint::Ipc(path) => Ok(RawPeer::from_unix(UnixStream::connect(path).await?)),
            Endpoint::Memory(name) => {
                let (r, w) = tokio::io::split(zmtp_tokio::testing::connect_stream(&name)?);
                Ok(RawPeer::new(Box::new(r), Box::new(w)))
            }
            other => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("no transport for {other}"),
            )),
        }
    }

    /// Connects and completes a ZMTP 3.1 handshake as `socket_type`.
    pub async fn connect_as(endpoint: &Endpoint, socket_type: &str) -> io::Result<RawPeer> {
        let mut peer = RawPeer::connect(endpoint).await?;
        peer.handshake(socket_type).await?;
        Ok(peer)
    }

    /// Writes bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await?;
        self.writer.flush().await
    }

    /// Sends a multipart message.
    pub async fn send_message(&mut self, frames: &[&[u8]]) -> io::Result<()> {
        self.send_raw(&message(frames)).await
    }

    /// Sends a command.
    pub async fn send_command(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.send_raw(&command(name, data)).await
    }

    /// Sends SUBSCRIBE (ZMTP 3.1).
    pub async fn subscribe(&mut self, topic: &[u8]) -> io::Result<()> {
        self.send_command("SUBSCRIBE", topic).await
    }

    /// Sends CANCEL (ZMTP 3.1).
    pub async fn cancel(&mut self, topic: &[u8]) -> io::Result<()> {
        self.send_command("CANCEL", topic).await
    }

    /// Sends greeting and READY as `socket_type`, reads the peer's greeting and READY; returns
    /// the peer's READY frame.
    pub async fn handshake(&mut self, socket_type: &str) -> io::Result<Frame> {
        let mut out = greeting(1);
        out.extend_from_slice(&ready(socket_type));
        self.send_raw(&out).await?;
        self.read_greeting().await?;
        let ready = self.read_frame().await?;
        if ready.command_name().as_deref() != Some("READY") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("expected READY, got {ready:?}"),
            ));
        }
        Ok(ready)
    }

    async fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() < n {
            let read = tokio::time::timeout(self.io_timeout, self.reader.read_buf(&mut self.buf))
                .await
                .map_err(|_| {
                    io::Error::new(io::ErrorKind::TimedOut, "raw peer read timed out")
                })??;
            if read == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    /// Reads the 64-byte greeting and checks its signature and major version.
    pub async fn read_greeting(&mut self) -> io::Result<Vec<u8>> {
        self.fill(64).await?;
        let g = self.buf.split_to(64).to_vec();
        if g[0] != 0xff || g[9] & 1 != 1 || g[10] != 3 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not a ZMTP 3 greeting: {g:02x?}"),
            ));
        }
        Ok(g)
    }

    /// Reads one frame.
    pub async fn read_frame(&mut self) -> io::Result<Frame> {
        self.fill(2).await?;
        let flags = self.buf[0];
        let (header, size) = if flags & LONG != 0 {
            self.fill(9).await?;
            let size = u64::from_be_bytes(self.buf[1..9].try_into().expect("8 bytes"));
            (9, usize::try_from(size).expect("frame size fits usize"))
        } else {
            (2, usize::from(self.buf[1]))
        };
        self.fill(header + size).await?;
        self.buf.advance(header);
        let body = self.buf.split_to(size).freeze();
        Ok(Frame { flags, body })
    }

    /// Reads the next command frame, skipping nothing: fails if a data frame comes first.
    pub async fn read_command(&mut self) -> io::Result<Frame> {
        let f = self.read_frame().await?;
        if f.is_command() {
            Ok(f)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("expected a command, got {f:?}"),
            ))
        }
    }

    /// Reads the next whole message; command frames in between (PING, ...) are skipped.
    pub async fn read_message(&mut self) -> io::Result<Vec<Bytes>> {
        let mut frames = Vec::new();
        loop {
            let f = self.read_frame().await?;
            if f.is_command() {
                continue;
            }
            let more = f.more();
            frames.push(f.body);
            if !more {
                return Ok(frames);
            }
        }
    }

    /// Reads frames until the peer closes the connection; returns the frames read on the way.
    /// A reset counts as closed too.
    pub async fn read_until_closed(&mut self) -> io::Result<Vec<Frame>> {
        let mut frames = Vec::new();
        loop {
            match self.read_frame().await {
                Ok(f) => frames.push(f),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                    ) =>
                {
                    return Ok(frames)
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A raw listener that our sockets can `connect` to.
#[derive(Debug)]
pub enum RawListener {
    /// On 127.0.0.1.
    Tcp(TcpListener, String),
    /// On a unique path.
    Ipc(UnixListener, String),
    /// On a unique `mem://` name (accepting needs `&mut`, hence the lock).
    Memory(
        tokio::sync::Mutex<zmtp_tokio::testing::MemoryListener>,
        String,
    ),
}

impl RawListener {
    /// Listens on a fresh endpoint of `transport`.
    pub async fn bind(transport: Transport) -> io::Result<RawListener> {
        match transport {
            Transport::Tcp => {
                let l = TcpListener::bind("127.0.0.1:0").await?;
                let endpoint = format!("tcp://{}", l.local_addr()?);
                Ok(RawListener::Tcp(l, endpoint))
            }
            Transport::Ipc => {
                let endpoint = unique_ipc_endpoint();
                let path = endpoint.trim_start_matches("ipc://").to_owned();
                Ok(RawListener::Ipc(UnixListener::bind(path)?, endpoint))
            }
            Transport::Memory => {
                let endpoint = unique_memory_endpoint();
                let name = endpoint.trim_start_matches("mem://");
                let listener = zmtp_tokio::testing::MemoryListener::bind(name)?;
                Ok(RawListener::Memory(
                    tokio::sync::Mutex::new(listener),
                    endpoint,
                ))
            }
            Transport::Inproc => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "inproc carries no bytes: a raw peer cannot listen there",
            )),
        }
    }

    /// The endpoint to connect to.
    pub fn endpoint(&self) -> &str {
        match self {
            RawListener::Tcp(_, e) | RawListener::Ipc(_, e) | RawListener::Memory(_, e) => e,
        }
    }

    /// Accepts one connection (bounded by 5 s).
    pub async fn accept(&self) -> io::Result<RawPeer> {
        let limit = Duration::from_secs(5);
        let timed_out = |_| io::Error::new(io::ErrorKind::TimedOut, "accept timed out");
        match self {
            RawListener::Tcp(l, _) => {
                let (s, _) = tokio::time::timeout(limit, l.accept())
                    .await
                    .map_err(timed_out)??;
                Ok(RawPeer::from_tcp(s))
            }
            RawListener::Ipc(l, _) => {
                let (s, _) = tokio::time::timeout(limit, l.accept())
                    .await
                    .map_err(timed_out)??;
                Ok(RawPeer::from_unix(s))
            }
            RawListener::Memory(l, _) => {
                let mut l = l.lock().await;
                let (s, _) = tokio::time::timeout(limit, l.accept())
                    .await
                    .map_err(timed_out)??;
                let (r, w) = tokio::io::split(s);
                Ok(RawPeer::new(Box::new(r), Box::new(w)))
            }
        }
    }
}

impl Drop for RawListener {
    fn drop(&mut self) {
        if let RawListener::Ipc(_, endpoint) = self {
            let _ = std::fs::remove_file(endpoint.trim_start_matches("ipc://"));
        }
    }
}
