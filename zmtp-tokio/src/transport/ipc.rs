//! `ipc://` on Unix: Unix domain stream sockets at a filesystem path.

use std::io;
use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

use super::{Listener, Stream};
use crate::endpoint::Endpoint;
use crate::error::Error;

/// A bound Unix socket; the file goes when it does (libzmq unlinks it too).
#[derive(Debug)]
pub(crate) struct IpcListener {
    listener: UnixListener,
    path: PathBuf,
}

pub(super) async fn bind(endpoint: &Endpoint, path: &Path) -> Result<(Listener, Endpoint), Error> {
    let bind_error = |source| Error::Bind {
        endpoint: endpoint.to_string(),
        source,
    };
    remove_stale_socket(path).await.map_err(bind_error)?;
    let listener = UnixListener::bind(path).map_err(bind_error)?;
    Ok((
        Listener::Ipc(IpcListener {
            listener,
            path: path.to_owned(),
        }),
        endpoint.clone(),
    ))
}

impl IpcListener {
    pub(super) async fn accept(&self) -> io::Result<(Stream, String)> {
        let (s, _) = self.listener.accept().await?;
        Ok((Stream::Ipc(s), self.path.display().to_string()))
    }
}

impl Drop for IpcListener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub(super) async fn connect(path: &Path) -> io::Result<Stream> {
    Ok(Stream::Ipc(UnixStream::connect(path).await?))
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
