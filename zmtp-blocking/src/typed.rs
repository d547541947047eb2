//! One type per socket kind, each a [`Socket`] made with that kind: `PushSocket::new()`
//! reads as in zmtp-tokio, and the methods are [`Socket`]'s through `Deref`.

use std::ops::{Deref, DerefMut};

use zmtp_tokio::{Options, SocketType};

use crate::{Result, Runtime, Socket};

/// Declares `$name`, a [`Socket`] of kind `$kind`.
macro_rules! typed_socket {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Socket);

        impl $name {
            /// One with default options on the global runtime.
            pub fn new() -> Result<$name> {
                Ok($name(Socket::new(SocketType::$kind)?))
            }

            /// One with `options` on the global runtime.
            pub fn with_options(options: Options) -> Result<$name> {
                Ok($name(Socket::with_options(SocketType::$kind, options)?))
            }

            /// One with `options` whose I/O runs on `runtime`.
            pub fn on(runtime: &Runtime, options: Options) -> Result<$name> {
                Ok($name(Socket::on(runtime, SocketType::$kind, options)?))
            }

            /// The untyped socket (to hand to code that takes any kind).
            pub fn into_inner(self) -> Socket {
                self.0
            }
        }

        impl Deref for $name {
            type Target = Socket;
            fn deref(&self) -> &Socket {
                &self.0
            }
        }

        impl DerefMut for $name {
            fn deref_mut(&mut self) -> &mut Socket {
                &mut self.0
            }
        }

        impl From<$name> for Socket {
            fn from(typed: $name) -> Socket {
                typed.0
            }
        }
    )*};
}

typed_socket! {
    /// A blocking REQ: `send` a request, then `recv` its reply.
    ReqSocket => Req;
    /// A blocking REP: `recv` a request, then `send` its reply.
    RepSocket => Rep;
    /// A blocking DEALER.
    DealerSocket => Dealer;
    /// A blocking ROUTER: `recv_from` and `send_to` name the peer.
    RouterSocket => Router;
    /// A blocking PUB.
    PubSocket => Pub;
    /// A blocking SUB: nothing arrives before `subscribe`.
    SubSocket => Sub;
    /// A blocking XPUB: receives its subscribers' (un)subscriptions.
    XPubSocket => XPub;
    /// A blocking XSUB: subscribes by sending `1 topic`.
    XSubSocket => XSub;
    /// A blocking PUSH.
    PushSocket => Push;
    /// A blocking PULL.
    PullSocket => Pull;
    /// A blocking PAIR.
    PairSocket => Pair;
}
