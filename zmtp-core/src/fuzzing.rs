//! Bodies of the cargo-fuzz targets, kept next to the code they exercise so that the targets in
//! `fuzz/` stay one line each and the committed corpus can be replayed by `cargo test` on stable.
//!
//! Each function must not panic on any input; the invariants they assert are bugs if violated.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::frame::{decode_frame, FrameLimits};
use crate::greeting::GreetingDecoder;
use crate::{
    AuthDecision, Config, Connection, DenyStatus, Event, MechanismConfig, Password,
    PlainCredentials, SocketType,
};

/// Splits `data` into chunks whose sizes come from the input itself: the first byte seeds the
/// chunk lengths, so the fuzzer explores split points as well as contents.
fn chunks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let (seed, mut rest) = data.split_first().map_or((1, data), |(s, r)| (*s, r));
    let mut state = u32::from(seed) | 1;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = ((state >> 16) as usize % 97 + 1).min(rest.len());
        let (head, tail) = rest.split_at(len);
        rest = tail;
        Some(head)
    })
}

/// Frame decoder over arbitrary bytes with small limits.
pub fn frame_decoder(data: &[u8]) {
    let limits = FrameLimits {
        data: 4096,
        command: 512,
    };
    let mut buf = BytesMut::new();
    for chunk in chunks(data) {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match decode_frame(&mut buf, limits) {
                Ok(Some(frame)) => {
                    let limit = if frame.command {
                        limits.command
                    } else {
                        limits.data
                    };
                    assert!(frame.body.len() as u64 <= limit);
                    assert!(buf.len() < before);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "partial input must stay in place");
                    break;
                }
                Err(_) => return,
            }
        }
    }
}

/// Greeting decoder over arbitrary chunked bytes.
pub fn greeting(data: &[u8]) {
    let mut decoder = GreetingDecoder::new();
    let mut buf = BytesMut::new();
    for chunk in chunks(data) {
        buf.extend_from_slice(chunk);
        if decoder.feed(&mut buf).is_err() {
            return;
        }
        if let Some(g) = decoder.greeting() {
            assert!(g.version.major >= 3);
            return;
        }
    }
}

/// A whole connection of the given type fed arbitrary chunked bytes, with time advancing
/// between chunks, checking the event contract.
pub fn connection(socket_type: SocketType, data: &[u8]) {
    run(Config::new(socket_type), data);
}

/// Drives `config`'s connection with `data`. Authentication requests are answered on the next
/// chunk, as a driver would, with a decision taken from the first input byte: bit 7 clear
/// allows, set denies (with status 300, 400 or 500 from the low bits). Returns how many
/// messages were delivered after the handshake (`None`: it never completed).
fn run(mut config: Config, data: &[u8]) -> Option<usize> {
    let start = Instant::now();
    config.max_message_size = Some(64 * 1024);
    config.heartbeat.interval = Some(Duration::from_millis(500));
    config.heartbeat.ttl = Some(Duration::from_secs(2));
    let Ok(mut conn) = Connection::new(config, start) else {
        return None;
    };
    let mut delivered = None;
    let decision = match data.first().copied().unwrap_or(0) {
        b if b & 0x80 == 0 => AuthDecision::allow_as("fuzz"),
        b if b & 3 == 0 => AuthDecision::Deny(DenyStatus::Temporary),
        b if b & 3 == 1 => AuthDecision::Deny(DenyStatus::Internal),
        _ => AuthDecision::deny(),
    };
    let mut buf = BytesMut::new();
    let mut closed = 0;
    let mut asked = false;
    for (i, chunk) in chunks(data).enumerate() {
        let now = start + Duration::from_millis(97 * i as u64);
        if std::mem::take(&mut asked) {
            conn.authenticate(now, decision.clone());
        }
        buf.extend_from_slice(chunk);
        // Both ways of decoding, alternating: messages as events, or in bulk.
        let mut bulk = VecDeque::new();
        if i % 2 == 0 {
            conn.handle_bytes(now, &mut buf);
        } else {
            conn.handle_bytes_into(now, &mut buf, &mut bulk);
        }
        conn.handle_timeout(now);
        if i % 7 == 3 {
            let _ = conn.send(&crate::Message::from("x"));
            let _ = conn.subscribe(b"t");
        }
        while conn.poll_transmit().is_some() {}
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Closed(_) => closed += 1,
                Event::AuthRequest(_) => asked = true,
                Event::Ready(_) => delivered = Some(0),
                Event::Message(_) => delivered = delivered.map(|n| n + 1),
                _ => {}
            }
        }
        if !bulk.is_empty() {
            assert!(
                delivered.is_some(),
                "a message decoded before the handshake completed"
            );
            assert!(
                bulk.iter().all(|m| !m.is_empty()),
                "a message without frames"
            );
            delivered = delivered.map(|n| n + bulk.len());
        }
        assert!(
            buf.len() <= 64 * 1024 + 9 + 97 + 33,
            "input buffer grew past one frame"
        );
    }
    conn.handle_eof(start + Duration::from_secs(3600));
    while let Some(event) = conn.poll_event() {
        if matches!(event, Event::Closed(_)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 1, "Closed must be emitted exactly once");
    delivered
}

/// The accepting side of a connection (a REP, as a server would be).
pub fn server_connection(data: &[u8]) {
    connection(SocketType::Rep, data);
}

/// The connecting side of a connection (a SUB, which also exercises subscriptions).
pub fn client_connection(data: &[u8]) {
    connection(SocketType::Sub, data);
}

fn plain_server_config() -> Config {
    let mut config = Config::new(SocketType::Rep);
    config.mechanism = MechanismConfig::PlainServer;
    config.auth_requests = true;
    config
}

fn plain_client_config() -> Config {
    let mut config = Config::new(SocketType::Sub);
    let credentials = PlainCredentials::new("user", Password::from("password"));
    config.mechanism = MechanismConfig::PlainClient(credentials);
    config
}

/// A PLAIN server (REP) that asks for authentication.
pub fn plain_server(data: &[u8]) {
    run(plain_server_config(), data);
}

/// A PLAIN client (SUB).
pub fn plain_client(data: &[u8]) {
    run(plain_client_config(), data);
}

#[cfg(feature = "curve")]
mod curve {
    use std::sync::{Arc, Mutex};

    use crate::{
        Config, CurveClientConfig, CurveServerConfig, KeyPair, MechanismConfig, RandomSource,
        SecretKey, SocketType,
    };

    /// The fuzz targets' randomness: a fixed stream (SplitMix64), so that a committed valid
    /// conversation stays valid, and the fuzzer can get past the boxes it cannot forge.
    struct FixedRandom(Mutex<u64>);

    impl RandomSource for FixedRandom {
        fn try_fill(&self, dest: &mut [u8]) -> Result<(), crate::RandomError> {
            let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for chunk in dest.chunks_mut(8) {
                *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = *state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
            }
            Ok(())
        }
    }

    fn random(seed: u64) -> Arc<FixedRandom> {
        Arc::new(FixedRandom(Mutex::new(seed)))
    }

    fn server_keys() -> KeyPair {
        KeyPair::from_secret(SecretKey::from_bytes([0x5E; 32]))
    }

    pub(super) fn server_config() -> Config {
        let mut config = Config::new(SocketType::Rep);
        let curve = CurveServerConfig::new(server_keys(), random(2));
        config.mechanism = MechanismConfig::CurveServer(curve);
        config.auth_requests = true;
        config
    }

    pub(super) fn client_config() -> Config {
        let mut config = Config::new(SocketType::Sub);
        let keys = KeyPair::from_secret(SecretKey::from_bytes([0xC1; 32]));
        let curve = CurveClientConfig::new(*server_keys().public(), keys, random(1));
        config.mechanism = MechanismConfig::CurveClient(curve);
        config
    }
}

/// A CURVE server (REP) with fixed keys and randomness, that asks for authentication.
#[cfg(feature = "curve")]
pub fn curve_server(data: &[u8]) {
    run(curve::server_config(), data);
}

/// A CURVE client (SUB) with fixed keys and randomness.
#[cfg(feature = "curve")]
pub fn curve_client(data: &[u8]) {
    run(curve::client_config(), data);
}

/// Valid conversations for the seed corpora of the mechanism targets: for each target, what a
/// well-behaved peer sends it (greeting, handshake, then messages, a PING and subscriptions),
/// preceded by the chunking byte. Written to `fuzz/corpus/<target>/` by
/// `cargo run -p zmtp-core --features fuzzing --example fuzz_seeds`.
///
/// A real client waits for the server's answer to its credentials; a recorded one does not, so
/// the chunking byte is chosen such that no chunk carries a command past a pending
/// authentication request (which the server would rightly refuse).
pub fn seed_conversations() -> Vec<(&'static str, Vec<u8>)> {
    let mut plain_peer = plain_client_config();
    plain_peer.socket_type = SocketType::Req;
    let mut plain_server_peer = plain_server_config();
    plain_server_peer.socket_type = SocketType::Pub;
    // (target, its configuration, the peer that talks to it)
    type Case = (&'static str, fn() -> Config, Config);
    #[cfg_attr(not(feature = "curve"), allow(unused_mut))]
    let mut cases: Vec<Case> = vec![
        ("plain_server", plain_server_config, plain_peer),
        ("plain_client", plain_client_config, plain_server_peer),
    ];
    #[cfg(feature = "curve")]
    {
        let mut peer = curve::client_config();
        peer.socket_type = SocketType::Req;
        cases.push(("curve_server", curve::server_config, peer));
        let mut peer = curve::server_config();
        peer.socket_type = SocketType::Pub;
        cases.push(("curve_client", curve::client_config, peer));
    }
    cases
        .into_iter()
        .map(|(name, target, peer)| {
            let mut bytes = converse(target(), peer);
            if let Some(seed) = (0..0x80).find(|&s| {
                bytes[0] = s;
                run(target(), &bytes) == Some(1)
            }) {
                bytes[0] = seed;
            }
            (name, bytes)
        })
        .collect()
}

/// Runs `target` against `peer` in memory (the peer's authentication requests allowed) and
/// returns everything the peer sent, with a chunking byte (bit 7 clear: allow) in front.
fn converse(target: Config, mut peer: Config) -> Vec<u8> {
    let now = Instant::now();
    peer.heartbeat.interval = Some(Duration::from_millis(500));
    let (Ok(mut target), Ok(mut peer)) = (Connection::new(target, now), Connection::new(peer, now))
    else {
        return Vec::new();
    };
    let mut transcript = vec![0x01];
    let (mut to_target, mut to_peer) = (BytesMut::new(), BytesMut::new());
    for round in 0..16 {
        for conn in [&mut target, &mut peer] {
            let mut asked = false;
            while let Some(event) = conn.poll_event() {
                asked |= matches!(event, Event::AuthRequest(_));
            }
            if asked {
                conn.authenticate(now, AuthDecision::allow());
            }
        }
        if round == 8 && peer.is_ready() {
            let _ = peer.send(&crate::Message::from_iter(["", "hello"]));
            let _ = peer.subscribe(b"topic");
            peer.handle_timeout(now + Duration::from_secs(1));
        }
        while let Some(chunk) = peer.poll_transmit() {
            transcript.extend_from_slice(&chunk);
            to_target.extend_from_slice(&chunk);
        }
        while let Some(chunk) = target.poll_transmit() {
            to_peer.extend_from_slice(&chunk);
        }
        target.handle_bytes(now, &mut to_target);
        peer.handle_bytes(now, &mut to_peer);
    }
    transcript
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_conversations_get_each_target_past_its_handshake() {
        let seeds = seed_conversations();
        assert_eq!(seeds.len(), if cfg!(feature = "curve") { 4 } else { 2 });
        for (target, bytes) in seeds {
            let config = match target {
                "plain_server" => plain_server_config(),
                "plain_client" => plain_client_config(),
                #[cfg(feature = "curve")]
                "curve_server" => curve::server_config(),
                #[cfg(feature = "curve")]
                "curve_client" => curve::client_config(),
                other => panic!("unknown target {other}"),
            };
            assert_eq!(run(config, &bytes), Some(1), "{target}");
        }
    }
}
