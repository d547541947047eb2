//! The strategies several socket types share, written once: receiving fair-queued over peers
//! (PULL, SUB, DEALER, ROUTER, PAIR, XPUB, XSUB), sending round robin over peers that can take
//! a message (PUSH, DEALER, PAIR), and publishing (PUB, XPUB). Each macro implements the
//! methods and the matching `futures` trait for one kind.

/// `recv`, `try_recv` and `Stream` over the fair queue.
macro_rules! fair_queue_receiving {
    ($kind:ty) => {
        impl $crate::socket::Socket<$kind> {
            /// The next message, fair-queued over peers.
            ///
            /// Cancel-safe: a message is only taken when the future completes.
            pub async fn recv(&mut self) -> $crate::Result<zmtp_core::Message> {
                if let Some(message) = self.core.next_in_run() {
                    return Ok(message);
                }
                std::future::poll_fn(|cx| self.core.poll_recv_fair(cx).map_ok(|(_, m)| m)).await
            }

            /// The next message if one is waiting; else
            /// [`TryRecvError::Empty`](crate::TryRecvError::Empty), or
            /// [`TryRecvError::Closed`](crate::TryRecvError::Closed) once the socket is closed.
            pub fn try_recv(
                &mut self,
            ) -> std::result::Result<zmtp_core::Message, $crate::TryRecvError> {
                self.core.try_recv_fair().map(|(_, m)| m)
            }

            /// Like [`recv`](Self::recv), with the peer that sent the message: its address,
            /// socket type, identity, READY properties, and what PLAIN or CURVE established
            /// (libzmq's `zmq_msg_gets`).
            pub async fn recv_with_peer(
                &mut self,
            ) -> $crate::Result<(zmtp_core::Message, std::sync::Arc<$crate::Peer>)> {
                let message = self.recv().await?;
                Ok((message, self.core.last_peer()?))
            }
        }

        impl futures::Stream for $crate::socket::Socket<$kind> {
            type Item = $crate::Result<zmtp_core::Message>;

            /// Yields messages for ever; ends only when the socket is closed.
            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                self.get_mut().core.poll_next_fair(cx)
            }
        }
    };
}

/// `send`, `try_send` and `Sink` with round robin over peers with room.
macro_rules! round_robin_sending {
    ($kind:ty) => {
        impl $crate::socket::Socket<$kind> {
            /// Queues `message` for the next peer (round robin) whose queue has room, waiting
            /// while none has — including while no peer exists yet.
            ///
            /// Cancel-safe: if the future is dropped before it completes, the message was not
            /// queued. A loop of sends yields to the runtime now and then (tokio's cooperative
            /// budget), so that the connection tasks drain the queue while it is being filled.
            pub async fn send(
                &mut self,
                message: impl Into<zmtp_core::Message>,
            ) -> $crate::Result<()> {
                if self.core.pace_due() {
                    tokio::task::consume_budget().await;
                }
                // Most sends find room: queue at once, without a waiting future of their own.
                let message = match self.core.try_send_round_robin(message.into()) {
                    Ok(_) => return Ok(()),
                    Err($crate::TrySendError {
                        error: $crate::Error::WouldBlock,
                        message,
                    }) => message,
                    Err(e) => return Err(e.error),
                };
                let mut slot = Some(message);
                std::future::poll_fn(|cx| self.core.poll_send_round_robin(cx, &mut slot)).await?;
                Ok(())
            }

            /// Queues `message` if a peer can take it now; otherwise hands it back with
            /// [`Error::WouldBlock`](crate::Error::WouldBlock).
            pub fn try_send(
                &mut self,
                message: impl Into<zmtp_core::Message>,
            ) -> std::result::Result<(), $crate::TrySendError> {
                self.core.try_send_round_robin(message.into()).map(|_| ())
            }
        }

        impl futures::Sink<zmtp_core::Message> for $crate::socket::Socket<$kind> {
            type Error = $crate::Error;

            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                self.core.poll_round_robin_ready(cx)
            }

            fn start_send(
                mut self: std::pin::Pin<&mut Self>,
                message: zmtp_core::Message,
            ) -> $crate::Result<()> {
                self.try_send(message).map_err(|e| e.error)
            }

            $crate::socket::strategies::flush_to_connections!();
        }
    };
}

/// A `Sink`'s `poll_flush` and `poll_close`: ready once every queued message has been handed
/// to its connection (a connection not yet made keeps it pending). Delivery to the peer is
/// what [`Socket::close`](crate::Socket::close) reports.
macro_rules! flush_to_connections {
    () => {
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<$crate::Result<()>> {
            self.core.poll_flushed(cx)
        }

        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<$crate::Result<()>> {
            self.core.poll_flushed(cx)
        }
    };
}

/// `publish`, `send` and `Sink` for the publishers (PUB, XPUB): fan-out filtered by each
/// subscriber's subscriptions, never waiting for a slow subscriber unless `xpub_nodrop` is on.
macro_rules! fan_out_publishing {
    ($kind:ty) => {
        impl $crate::socket::Socket<$kind> {
            /// Publishes `message` to every connected subscriber whose subscriptions
            /// prefix-match its first frame. Never waits: a subscriber whose queue is full
            /// misses the message (counted in [`dropped_messages`](Self::dropped_messages)),
            /// or with [`xpub_nodrop`](crate::Options::xpub_nodrop) the message is queued for
            /// nobody and this fails with [`Error::WouldBlock`](crate::Error::WouldBlock).
            /// Returns how many subscribers it was queued for.
            pub fn publish(
                &mut self,
                message: impl Into<zmtp_core::Message>,
            ) -> $crate::Result<usize> {
                self.core.fan_out(&message.into(), true)
            }

            /// [`publish`](Self::publish) with a refused message (closed socket, no frame, or
            /// [`Error::WouldBlock`](crate::Error::WouldBlock) with
            /// [`xpub_nodrop`](crate::Options::xpub_nodrop)) handed back, as every kind's
            /// `try_send` does.
            pub fn try_send(
                &mut self,
                message: impl Into<zmtp_core::Message>,
            ) -> std::result::Result<usize, $crate::TrySendError> {
                let message = message.into();
                self.core
                    .fan_out(&message, true)
                    .map_err(|error| $crate::TrySendError { error, message })
            }

            /// Publishes like [`publish`](Self::publish), but as an await point that lets the
            /// connection tasks run: when a matching subscriber's queue is full only because
            /// its connection task has not had its turn yet (a burst from `main`, or a worker
            /// thread still waking up), `send` waits for that turn instead of dropping. A
            /// subscriber that is really slow still misses messages at its high-water mark,
            /// as in libzmq; `send` never waits for the subscriber itself, unless
            /// [`xpub_nodrop`](crate::Options::xpub_nodrop) is on: then it waits until every
            /// matching subscriber has room (libzmq's blocking send; its non-blocking send
            /// fails with EAGAIN, as [`try_send`](Self::try_send) does). Returns how many
            /// subscribers the message was queued for.
            pub async fn send(
                &mut self,
                message: impl Into<zmtp_core::Message>,
            ) -> $crate::Result<usize> {
                tokio::task::consume_budget().await;
                let message = message.into();
                std::future::poll_fn(|cx| self.core.poll_publish(&message, cx)).await
            }

            /// Copies of messages this socket dropped because a subscriber's queue was at its
            /// high-water mark, over the socket's life (libzmq drops them silently).
            pub fn dropped_messages(&self) -> u64 {
                self.core.dropped_messages()
            }
        }

        impl futures::Sink<zmtp_core::Message> for $crate::socket::Socket<$kind> {
            type Error = $crate::Error;

            /// Ready at once (a publisher never waits), but with
            /// [`xpub_nodrop`](crate::Options::xpub_nodrop) only once every subscriber has
            /// room, as the message to come is not known yet.
            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<()>> {
                self.core.poll_publish_ready(cx)
            }

            fn start_send(
                mut self: std::pin::Pin<&mut Self>,
                message: zmtp_core::Message,
            ) -> $crate::Result<()> {
                self.publish(message).map(|_| ())
            }

            $crate::socket::strategies::flush_to_connections!();
        }
    };
}

/// A proxy's view of a type that sends round robin and receives fair-queued.
macro_rules! round_robin_and_fair_queue_in_a_proxy {
    ($kind:ident) => {
        impl $crate::socket::sealed::Sealed for $kind {
            type Policy = $crate::pipes::kinds::$kind;

            fn poll_recv_raw(
                socket: &mut $crate::socket::Socket<Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<$crate::Result<zmtp_core::Message>> {
                socket.core.poll_recv_fair(cx).map_ok(|(_, m)| m)
            }

            fn poll_send_raw(
                socket: &mut $crate::socket::Socket<Self>,
                cx: &mut std::task::Context<'_>,
                slot: &mut Option<zmtp_core::Message>,
            ) -> std::task::Poll<$crate::Result<()>> {
                socket.core.poll_send_round_robin(cx, slot).map_ok(|_| ())
            }
        }
    };
}

pub(crate) use fair_queue_receiving;
pub(crate) use fan_out_publishing;
pub(crate) use flush_to_connections;
pub(crate) use round_robin_and_fair_queue_in_a_proxy;
pub(crate) use round_robin_sending;
