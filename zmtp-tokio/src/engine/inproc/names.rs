//! Which socket is bound at each inproc name. libzmq scopes inproc names by context; so does
//! [`Context`]: most programs never create one and share the process-wide context, tests and
//! libraries that want names of their own make one.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::watch;

use crate::endpoint::Endpoint;
use crate::engine::context::lock;
use crate::engine::stop::StopSignal;
use crate::engine::{Link, SocketContext};
use crate::error::Error;

/// The scope of `inproc://` names, as a libzmq context (`zmq_ctx_new`) is: a socket binds and
/// connects inproc names in the context of its [`Options`](crate::Options), which is the
/// process-wide [`Context::global`] unless another is set with
/// [`Options::context`](crate::Options::context). Only inproc names are scoped: tcp and ipc
/// endpoints are the operating system's.
///
/// ```
/// use zmtp_tokio::{Context, Options, PairSocket};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zmtp_tokio::Result<()> {
/// let mine = Context::new();
/// let a = PairSocket::with_options(Options::default().context(&mine))?;
/// a.bind("inproc://pipe").await?;
/// // The same name is free in every other context, the global one included.
/// let b = PairSocket::new();
/// b.bind("inproc://pipe").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Context {
    names: Arc<Names>,
}

/// The bound names of one context, and a counter bumped on every bind that connectors waiting
/// for a name watch.
struct Names {
    bound: Mutex<HashMap<String, Binder>>,
    binds: watch::Sender<u64>,
}

/// A socket bound at a name: what a connecting socket needs to link its pipe to it.
#[derive(Clone)]
pub(crate) struct Binder {
    /// Tells this binding from a later one of the same name.
    pub(crate) serial: u64,
    pub(crate) context: Arc<SocketContext>,
    pub(crate) link: Link,
    pub(crate) endpoint: Endpoint,
    /// The bound endpoint's stop (unbind, or the socket closing).
    pub(crate) stop: StopSignal,
}

impl Binder {
    /// Whether the binding still takes connections: not unbound, its socket not closing.
    fn is_live(&self) -> bool {
        !self.stop.token().is_cancelled() && !self.context.is_closing()
    }
}

impl Context {
    /// A new context: inproc names of its own, shared with no other context.
    pub fn new() -> Context {
        Context {
            names: Arc::new(Names {
                bound: Mutex::default(),
                binds: watch::Sender::new(0),
            }),
        }
    }

    /// The process-wide context, which every socket uses unless told otherwise.
    pub fn global() -> Context {
        static GLOBAL: OnceLock<Context> = OnceLock::new();
        GLOBAL.get_or_init(Context::new).clone()
    }

    /// Whether two handles name the same context.
    pub fn same_as(&self, other: &Context) -> bool {
        Arc::ptr_eq(&self.names, &other.names)
    }

    /// Binds `name`; `AddrInUse` while a live binding holds it.
    pub(crate) fn bind(
        &self,
        name: &str,
        context: Arc<SocketContext>,
        link: Link,
        endpoint: Endpoint,
        stop: StopSignal,
    ) -> Result<u64, Error> {
        static SERIAL: AtomicU64 = AtomicU64::new(1);
        let mut bound = lock(&self.names.bound);
        if bound.get(name).is_some_and(Binder::is_live) {
            return Err(Error::Bind {
                endpoint: endpoint.to_string(),
                source: std::io::ErrorKind::AddrInUse.into(),
            });
        }
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let binder = Binder {
            serial,
            context,
            link,
            endpoint,
            stop,
        };
        bound.insert(name.to_owned(), binder);
        drop(bound);
        self.names.binds.send_modify(|n| *n += 1);
        Ok(serial)
    }

    /// Frees `name` if binding `serial` still holds it (a later binding keeps it). Breaks the
    /// cycle binder → socket context → options → this context.
    pub(crate) fn release(&self, name: &str, serial: u64) {
        let mut bound = lock(&self.names.bound);
        if bound.get(name).is_some_and(|b| b.serial == serial) {
            bound.remove(name);
        }
    }

    /// The live binding at `name`, if any.
    pub(crate) fn lookup(&self, name: &str) -> Option<Binder> {
        lock(&self.names.bound)
            .get(name)
            .filter(|b| b.is_live())
            .cloned()
    }

    /// Changes whenever a name is bound: what a connector without a peer waits for.
    pub(crate) fn binds(&self) -> watch::Receiver<u64> {
        self.names.binds.subscribe()
    }
}

impl Default for Context {
    /// The process-wide context (as [`Context::global`]).
    fn default() -> Context {
        Context::global()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = lock(&self.names.bound).keys().cloned().collect();
        f.debug_struct("Context").field("bound", &names).finish()
    }
}
