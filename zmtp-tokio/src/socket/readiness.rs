//! Waiting until a socket is ready to be useful: enough peers connected, or for a publisher
//! enough peers subscribed. These replace the sleeps that ZeroMQ programs put after `connect`
//! to avoid the "slow joiner" (a PUB drops what it publishes before a subscription arrives).

use std::sync::Arc;

use tokio::sync::Notify;

use super::{Kind, Socket};
use crate::error::{Error, Result};
use crate::pipes::{PeerSubscriptions, Policy};

impl<K: Kind> Socket<K> {
    /// Waits until at least `n` peers have completed their handshake and are connected (as
    /// [`connected_peers`](Socket::connected_peers) counts them). Cancel-safe; combine it with
    /// `tokio::time::timeout` for a deadline.
    pub async fn wait_connected(&self, n: usize) {
        self.wait_until(|socket| socket.connected_peers() >= n)
            .await;
    }

    /// PUB, XPUB: waits until at least `n` connected peers have subscribed to something, so
    /// that what is published next reaches them (the end of the slow-joiner sleep; a peer's
    /// subscription arrives after its handshake). [`Error::NotSupported`] for kinds that do
    /// not publish. Cancel-safe.
    pub async fn wait_subscribers(&self, n: usize) -> Result<()> {
        if <K::Policy as Policy>::PEER_SUBSCRIPTIONS == PeerSubscriptions::Ignore {
            return Err(Error::NotSupported(
                "only a publisher (PUB, XPUB) sees subscriptions",
            ));
        }
        self.wait_until(|socket| socket.core.table().subscribed_peers() >= n)
            .await;
        Ok(())
    }

    /// Waits until `ready` holds, rechecking whenever peers or subscriptions change.
    async fn wait_until(&self, ready: impl Fn(&Socket<K>) -> bool) {
        let changes: Arc<Notify> = Arc::clone(&self.core.table().readiness);
        loop {
            let changed = changes.notified();
            tokio::pin!(changed);
            // Registered before the check: a change after it wakes us.
            changed.as_mut().enable();
            if ready(self) {
                return;
            }
            changed.await;
        }
    }
}
