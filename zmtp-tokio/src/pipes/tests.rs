//! The peer table against models, for any sequence of operations.
//!
//! XPUB: whatever peers attach, leave, subscribe and cancel, the notices handed to the
//! application are exactly "a topic nobody held is now held" (`1 topic`) and "a topic somebody
//! held is held by nobody" (`0 topic`), where a connecting pipe holds its subscriptions across
//! reconnects; and publishing reaches exactly the pipes whose subscriptions match. With
//! XPUB_VERBOSER every subscription and cancellation is handed up, and each topic of a peer
//! that leaves; with XPUB_MANUAL every one too, each topic the leaving peer had asked for, and
//! nothing is applied.
//!
//! ROUTER: see [`router_identities_follow_the_model`]. Receiving in runs: see
//! [`receive_runs_follow_the_model`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::Ordering;
use std::task::Context;

use bytes::Bytes;
use proptest::prelude::*;
use zmtp_core::{Message, Metadata, SocketType};

use super::kinds::{Pull, Push, Router, XPub};
use super::topics::subscription_message;
use super::{Limits, PeerTable, Policy, Routed, Settings};
use crate::endpoint::Endpoint;
use crate::engine::PipeId;
use crate::monitor::Refusal;
use crate::peer::Peer;

const PEERS: usize = 4;
const TOPICS: [&[u8]; 3] = [b"", b"a", b"ab"];

#[derive(Debug, Clone)]
enum Op {
    Attach(usize),
    Detach(usize),
    Subscribe(usize, usize),
    Cancel(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..PEERS).prop_map(Op::Attach),
        (0..PEERS).prop_map(Op::Detach),
        (0..PEERS, 0..TOPICS.len()).prop_map(|(p, t)| Op::Subscribe(p, t)),
        (0..PEERS, 0..TOPICS.len()).prop_map(|(p, t)| Op::Cancel(p, t)),
    ]
}

fn info() -> Peer {
    info_with_identity(Bytes::new())
}

fn info_with_identity(identity: Bytes) -> Peer {
    Peer {
        endpoint: endpoint(),
        address: "127.0.0.1:2".into(),
        socket_type: SocketType::Sub,
        identity,
        routing_id: None,
        properties: Metadata::default(),
        auth: None,
        mechanism: "NULL",
    }
}

/// A table of kind `P` with at most `send_hwm` queued and `recv_hwm` received messages per
/// peer (0: none).
fn table<P: Policy>(send_hwm: usize, recv_hwm: usize, router_handover: bool) -> PeerTable<P> {
    let limits = Limits {
        send_hwm,
        recv_hwm,
        recv_bytes: usize::MAX,
        conflate: false,
        immediate: false,
    };
    let settings = Settings {
        router_handover,
        ..Settings::default()
    };
    PeerTable::new(limits, settings)
}

/// What a driver's waker would be, for calls that register one.
fn noop_context() -> Context<'static> {
    Context::from_waker(futures::task::noop_waker_ref())
}

/// Delivers `message` from `id` as a closed connection's driver would: past the limits.
fn deliver<P: Policy>(table: &mut PeerTable<P>, id: PipeId, message: Message) {
    table.offer_run(id, &mut VecDeque::from([message]), true, &noop_context());
}

fn endpoint() -> Endpoint {
    Endpoint::Tcp {
        host: "127.0.0.1".into(),
        port: 1,
    }
}

/// How an XPUB hands subscriptions up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Verboser,
    Manual,
}

fn no_limits() -> Limits {
    Limits {
        send_hwm: 0,
        recv_hwm: 0,
        recv_bytes: usize::MAX,
        conflate: false,
        immediate: false,
    }
}

/// What the model says: per peer, connected or not and its topics (manual: those it asked).
#[derive(Debug, Default, Clone)]
struct ModelPeer {
    connected: bool,
    topics: BTreeSet<usize>,
}

fn held(model: &[ModelPeer], persistent: &[bool], except: usize, topic: usize) -> bool {
    model
        .iter()
        .enumerate()
        .any(|(i, p)| i != except && (p.connected || persistent[i]) && p.topics.contains(&topic))
}

proptest! {
    #[test]
    fn xpub_notices_and_fan_out_follow_the_model(
        persistent in proptest::collection::vec(any::<bool>(), PEERS),
        ops in proptest::collection::vec(op(), 0..60),
        mode in prop_oneof![Just(Mode::Plain), Just(Mode::Verboser), Just(Mode::Manual)],
    ) {
        let settings = Settings {
            xpub_verbose: mode == Mode::Verboser,
            xpub_verboser: mode == Mode::Verboser,
            xpub_manual: mode == Mode::Manual,
            ..Settings::default()
        };
        let mut table = PeerTable::<XPub>::new(no_limits(), settings);
        // Verboser and manual hand up every subscription and cancellation.
        let every = mode != Mode::Plain;
        // Connecting pipes exist from the start; accepted ones only while connected.
        let mut ids: Vec<Option<PipeId>> = persistent
            .iter()
            .map(|&p| p.then(|| table.insert_persistent(endpoint())))
            .collect();
        let mut model = vec![ModelPeer::default(); PEERS];
        let mut expected: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut note = |subscribe: bool, topic: usize| {
            let notice = subscription_message(subscribe, TOPICS[topic]);
            *expected.entry(notice.first().unwrap().to_vec()).or_default() += 1;
        };
        for op in ops {
            match op {
                Op::Attach(p) if !model[p].connected => {
                    let admitted = table.admit(ids[p], info()).unwrap();
                    ids[p] = Some(admitted.pipe);
                    model[p].connected = true;
                }
                Op::Detach(p) if model[p].connected => {
                    table.detach(ids[p].unwrap());
                    model[p].connected = false;
                    if !persistent[p] {
                        for &t in &model[p].topics.clone() {
                            if every || !held(&model, &persistent, p, t) {
                                note(false, t);
                            }
                        }
                        model[p].topics.clear();
                    }
                }
                Op::Subscribe(p, t) if model[p].connected => {
                    let id = ids[p].unwrap();
                    let notice = table.peer_subscription(id, true, Bytes::from_static(TOPICS[t])).unwrap();
                    if let Some(notice) = notice {
                        deliver(&mut table, id, notice);
                    }
                    if every || (!model[p].topics.contains(&t) && !held(&model, &persistent, p, t)) {
                        note(true, t);
                    }
                    model[p].topics.insert(t);
                }
                Op::Cancel(p, t) if model[p].connected => {
                    let id = ids[p].unwrap();
                    let notice = table.peer_subscription(id, false, Bytes::from_static(TOPICS[t])).unwrap();
                    if let Some(notice) = notice {
                        deliver(&mut table, id, notice);
                    }
                    let was_held = model[p].topics.remove(&t);
                    if every || (was_held && !held(&model, &persistent, p, t)) {
                        note(false, t);
                    }
                }
                _ => {}
            }
            // Publishing reaches exactly the pipes whose subscriptions match.
            let reached = table.fan_out(&Message::from(&b"abc"[..]), None).unwrap();
            // Manual: nothing is applied but what the application applies (nothing here).
            let matching = (0..PEERS)
                .filter(|&i| (model[i].connected || persistent[i]) && !model[i].topics.is_empty())
                .filter(|_| mode != Mode::Manual)
                .count();
            prop_assert_eq!(reached, matching);
        }
        let mut seen: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        let mut run = VecDeque::new();
        while table.recv_fair_run(&mut run, 64, None).is_some() {
            for message in run.drain(..) {
                *seen.entry(message.first().unwrap().to_vec()).or_default() += 1;
            }
        }
        prop_assert_eq!(seen, expected);
    }
}

#[derive(Debug, Clone)]
enum RouterOp {
    /// Peer `p` connects announcing identity `i` (0: none).
    Attach(usize, usize),
    Detach(usize),
    /// A message routed to identity `i`.
    Send(usize),
}

const IDENTITIES: [&[u8]; 3] = [b"", b"x", b"y"];

fn router_op() -> impl Strategy<Value = RouterOp> {
    prop_oneof![
        (0..PEERS, 0..IDENTITIES.len()).prop_map(|(p, i)| RouterOp::Attach(p, i)),
        (0..PEERS).prop_map(RouterOp::Detach),
        (1..IDENTITIES.len()).prop_map(RouterOp::Send),
    ]
}

proptest! {
    /// ROUTER admission and routing against a model: an announced identity routes to the
    /// one connected peer that has it; a second peer announcing it is refused, or with
    /// handover takes it (the older connection loses its pipe); generated identities are
    /// five bytes starting with zero and never collide.
    #[test]
    fn router_identities_follow_the_model(
        handover in any::<bool>(),
        ops in proptest::collection::vec(router_op(), 0..60),
    ) {
        let mut table = table::<Router>(0, 0, handover);
        let cx = noop_context();
        let mut ids: Vec<Option<PipeId>> = vec![None; PEERS];
        // The model: which identity each connected peer routes by.
        let mut holder: BTreeMap<usize, usize> = BTreeMap::new();
        let mut generated = BTreeSet::new();
        for op in ops {
            match op {
                RouterOp::Attach(p, i) if ids[p].is_none() => {
                    let announced = Bytes::from_static(IDENTITIES[i]);
                    let result = table.admit(None, info_with_identity(announced));
                    let taken_by = holder.get(&i).copied().filter(|_| i != 0);
                    match (result, taken_by) {
                        (Err(refusal), Some(_)) if !handover => {
                            prop_assert_eq!(refusal, Refusal::DuplicateIdentity);
                        }
                        (Ok(attached), taken_by) => {
                            prop_assert!(taken_by.is_none() || handover, "a taken identity was admitted");
                            let routing_id = table.peer(attached.pipe).unwrap().routing_id.clone().unwrap();
                            if i == 0 {
                                prop_assert_eq!(routing_id.len(), 5);
                                prop_assert_eq!(routing_id[0], 0);
                                prop_assert!(generated.insert(routing_id), "a generated id repeats");
                            } else {
                                prop_assert_eq!(&routing_id[..], IDENTITIES[i]);
                            }
                            if let Some(old) = taken_by {
                                // Handover: the older connection finds its pipe gone and closes.
                                let old_id = ids[old].take().unwrap();
                                let still = table.take_outbound(old_id, 1, 1, &mut VecDeque::new(), &mut Vec::new(), &cx);
                                prop_assert!(!still, "the evicted connection must close");
                                table.detach(old_id);
                            }
                            ids[p] = Some(attached.pipe);
                            if i != 0 {
                                holder.insert(i, p);
                            }
                        }
                        (result, taken_by) => {
                            prop_assert!(false, "attach gave {:?} with the identity held by {:?}", result.map(|a| a.pipe), taken_by);
                        }
                    }
                }
                RouterOp::Detach(p) => {
                    if let Some(id) = ids[p].take() {
                        table.detach(id);
                        holder.retain(|_, h| *h != p);
                    }
                }
                RouterOp::Send(i) => {
                    let routed = table.send_routed(IDENTITIES[i], Message::from("m"), None);
                    match holder.get(&i) {
                        Some(&p) => {
                            prop_assert!(matches!(routed, Routed::Queued));
                            let mut out = VecDeque::new();
                            table.take_outbound(ids[p].unwrap(), 10, usize::MAX, &mut out, &mut Vec::new(), &cx);
                            prop_assert_eq!(out.len(), 1, "the message went to the holder");
                        }
                        None => prop_assert!(matches!(routed, Routed::Unroutable(_))),
                    }
                }
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone)]
enum RecvOp {
    /// Peer `p`'s connection delivers its next message, if the table says there is room.
    Deliver(usize),
    /// Peer `p` disconnects (its unread messages stay readable).
    Detach(usize),
    /// Peer `p`'s pipe is removed (`disconnect`/`unbind`): its unread messages go with it.
    Remove(usize),
    /// The application reads one message (refilling its run from the table when empty).
    Read,
}

fn recv_op() -> impl Strategy<Value = RecvOp> {
    prop_oneof![
        4 => (0..PEERS).prop_map(RecvOp::Deliver),
        1 => (0..PEERS).prop_map(RecvOp::Detach),
        1 => (0..PEERS).prop_map(RecvOp::Remove),
        4 => Just(RecvOp::Read),
    ]
}

proptest! {
    /// Receiving in runs against a model: every delivered message is read exactly once and
    /// in its peer's order; a pipe has room exactly while fewer than `recv_hwm` of its
    /// messages are unread (those in the application's run included); a run holds one
    /// message whenever another peer has messages waiting too (per-message fair queuing),
    /// and its sender is reported; removing a pipe revokes the run exactly when the run is
    /// that pipe's.
    #[test]
    fn receive_runs_follow_the_model(
        hwm in 1..6usize,
        ops in proptest::collection::vec(recv_op(), 0..120),
    ) {
        let mut table = table::<Pull>(0, hwm, false);
        let cx = noop_context();
        let ids: Vec<PipeId> = (0..PEERS)
            .map(|_| table.admit(None, info()).unwrap().pipe)
            .collect();
        let mut connected = [true; PEERS];
        let revoked = table.run_revoked();
        // Per peer: messages sent so far, and unread ones (in the table or in the run).
        let mut sent = [0u32; PEERS];
        let mut unread: Vec<VecDeque<u32>> = vec![VecDeque::new(); PEERS];
        let mut run: VecDeque<Message> = VecDeque::new();
        let mut run_from = None;
        // Messages of the current run: counted against their pipe until all are read.
        let mut lent = 0;
        for op in ops {
            match op {
                RecvOp::Deliver(p) if connected[p] => {
                    // In the table, plus the whole current run until it is read.
                    let counted = if run_from == Some(p) {
                        unread[p].len() - run.len() + lent
                    } else {
                        unread[p].len()
                    };
                    let body = format!("{p}:{}", sent[p]);
                    let mut offered = VecDeque::from([Message::from(body)]);
                    table.offer_run(ids[p], &mut offered, false, &cx);
                    prop_assert_eq!(offered.is_empty(), counted < hwm, "room of peer {}", p);
                    if offered.is_empty() {
                        unread[p].push_back(sent[p]);
                        sent[p] += 1;
                    }
                }
                RecvOp::Detach(p) if connected[p] => {
                    table.detach(ids[p]);
                    connected[p] = false;
                }
                RecvOp::Remove(p) => {
                    table.remove(ids[p]);
                    connected[p] = false;
                    unread[p].clear();
                    let ours = run_from == Some(p);
                    prop_assert_eq!(revoked.swap(false, Ordering::AcqRel), ours, "revoked for peer {}", p);
                    if ours {
                        run.clear();
                        run_from = None;
                        lent = 0;
                    }
                }
                RecvOp::Read => {
                    if run.is_empty() {
                        let waiting: Vec<usize> = (0..PEERS)
                            .filter(|&p| !unread[p].is_empty())
                            .collect();
                        let sender = table.recv_fair_run(&mut run, 64, None);
                        prop_assert_eq!(sender.is_some(), !waiting.is_empty());
                        let Some(sender) = sender else { continue };
                        let p = ids.iter().position(|&id| id == sender.pipe).unwrap();
                        prop_assert!(waiting.contains(&p));
                        if waiting.len() > 1 {
                            prop_assert_eq!(run.len(), 1, "several peers wait: one message");
                        } else {
                            prop_assert_eq!(run.len(), unread[p].len(), "a lone peer's queue");
                        }
                        run_from = Some(p);
                        lent = run.len();
                    }
                    let p = run_from.unwrap();
                    let message = run.pop_front().unwrap();
                    let expected = unread[p].pop_front().unwrap();
                    let body = format!("{p}:{expected}");
                    prop_assert_eq!(message.first().unwrap(), body.as_bytes());
                    if run.is_empty() {
                        table.return_loan();
                        run_from = None;
                        lent = 0;
                    }
                }
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone)]
enum SendOp {
    /// The application sends round robin.
    Send,
    /// Peer `p`'s connection takes up to `n` queued messages.
    Take(usize, usize),
    Admit(usize),
    Detach(usize),
    Remove(usize),
}

fn send_op() -> impl Strategy<Value = SendOp> {
    prop_oneof![
        6 => Just(SendOp::Send),
        3 => (0..PEERS, 1..4usize).prop_map(|(p, n)| SendOp::Take(p, n)),
        1 => (0..PEERS).prop_map(SendOp::Admit),
        1 => (0..PEERS).prop_map(SendOp::Detach),
        1 => (0..PEERS).prop_map(SendOp::Remove),
    ]
}

proptest! {
    /// Round robin against a model: a send succeeds exactly when some usable pipe (connected,
    /// or a connecting endpoint's between connections) is below the HWM, and goes to such a
    /// pipe; each pipe's connection takes its messages in the order they were sent; no pipe
    /// with room is passed over twice in a row while another one takes all; a departed
    /// accepted pipe's queue goes, a connecting pipe's stays.
    #[test]
    fn round_robin_follows_the_model(
        hwm in 1..4usize,
        persistent in proptest::collection::vec(any::<bool>(), PEERS),
        ops in proptest::collection::vec(send_op(), 0..150),
    ) {
        let mut persistent = persistent;
        let mut table = table::<Push>(hwm, 0, false);
        let cx = noop_context();
        let mut ids: Vec<Option<PipeId>> = persistent
            .iter()
            .map(|&p| p.then(|| table.insert_persistent(endpoint())))
            .collect();
        let mut connected = [false; PEERS];
        let mut queued: Vec<VecDeque<u32>> = vec![VecDeque::new(); PEERS];
        let mut next = 0u32;
        for op in ops {
            match op {
                SendOp::Send => {
                    let usable = |p: usize| ids[p].is_some() && (connected[p] || persistent[p]);
                    let with_room: Vec<usize> =
                        (0..PEERS).filter(|&p| usable(p) && queued[p].len() < hwm).collect();
                    let sent = table.send_round_robin(Message::from(next.to_string()), None);
                    match sent {
                        Ok(id) => {
                            let p = ids.iter().position(|&i| i == Some(id)).unwrap();
                            prop_assert!(with_room.contains(&p), "sent to {} without room", p);
                            queued[p].push_back(next);
                            next += 1;
                        }
                        Err(_) => prop_assert!(with_room.is_empty(), "refused with room at {:?}", with_room),
                    }
                }
                SendOp::Take(p, n) => {
                    if let Some(id) = ids[p].filter(|_| connected[p]) {
                        let mut out = VecDeque::new();
                        prop_assert!(table.take_outbound(id, n, usize::MAX, &mut out, &mut Vec::new(), &cx));
                        prop_assert_eq!(out.len(), n.min(queued[p].len()));
                        for message in out {
                            let expected = queued[p].pop_front().unwrap().to_string();
                            prop_assert_eq!(message.first().unwrap(), expected.as_bytes());
                        }
                    }
                }
                SendOp::Admit(p) if !connected[p] => {
                    let admitted = table.admit(ids[p].filter(|_| persistent[p]), info()).unwrap();
                    ids[p] = Some(admitted.pipe);
                    connected[p] = true;
                }
                SendOp::Detach(p) if connected[p] => {
                    table.detach(ids[p].unwrap());
                    connected[p] = false;
                    if !persistent[p] {
                        ids[p] = None;
                        queued[p].clear();
                    }
                }
                SendOp::Remove(p) => {
                    if let Some(id) = ids[p].take() {
                        table.remove(id);
                    }
                    // Its next pipe is an accepted connection's.
                    persistent[p] = false;
                    connected[p] = false;
                    queued[p].clear();
                }
                _ => {}
            }
        }
    }
}
