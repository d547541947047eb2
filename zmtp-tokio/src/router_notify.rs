//! Which peer events a ROUTER reports to its application as messages (libzmq's
//! ZMQ_ROUTER_NOTIFY): without them a ROUTER cannot tell that a client left, since nothing
//! else it reads says so (libzmq issue #3201).

use std::ops::BitOr;

/// The flags of [`Options::router_notify`](crate::Options::router_notify), with libzmq's
/// values (ZMQ_NOTIFY_CONNECT = 1, ZMQ_NOTIFY_DISCONNECT = 2). Combine them with `|`.
///
/// ```
/// use zmtp_tokio::RouterNotify;
/// let both = RouterNotify::CONNECT | RouterNotify::DISCONNECT;
/// assert_eq!(both.bits(), 3);
/// assert!(both.contains(RouterNotify::DISCONNECT));
/// assert_eq!(RouterNotify::from_bits(4), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterNotify(u8);

impl RouterNotify {
    /// No notifications (libzmq's default, 0).
    pub const NONE: RouterNotify = RouterNotify(0);
    /// A peer completed its handshake (ZMQ_NOTIFY_CONNECT).
    pub const CONNECT: RouterNotify = RouterNotify(1);
    /// A peer whose handshake had completed went away (ZMQ_NOTIFY_DISCONNECT).
    pub const DISCONNECT: RouterNotify = RouterNotify(2);
    /// Both.
    pub const ALL: RouterNotify = RouterNotify(3);

    /// The flags as libzmq's integer.
    pub const fn bits(self) -> i32 {
        self.0 as i32
    }

    /// The flags of libzmq's integer; `None` for a value libzmq refuses (EINVAL: negative, or
    /// a bit other than the two flags).
    pub const fn from_bits(bits: i32) -> Option<RouterNotify> {
        if bits >= 0 && bits <= RouterNotify::ALL.0 as i32 {
            Some(RouterNotify(bits as u8))
        } else {
            None
        }
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: RouterNotify) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for RouterNotify {
    type Output = RouterNotify;

    fn bitor(self, other: RouterNotify) -> RouterNotify {
        RouterNotify(self.0 | other.0)
    }
}
