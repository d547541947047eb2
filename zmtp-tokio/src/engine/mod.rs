//! The machinery under every socket: one driver task per connection, and the listener and
//! connector tasks that create them.

pub(crate) mod driver;
pub(crate) mod endpoints;
pub(crate) mod reconnect;
