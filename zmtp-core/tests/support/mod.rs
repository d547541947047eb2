//! An in-memory pair of connections on a virtual clock, and a scripted raw peer.
#![allow(dead_code, unreachable_pub)]

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::{BufMut, BytesMut};
use zmtp_core::{Config, Connection, Event, RandomError, RandomSource, SocketType};

/// A deterministic random source (SplitMix64) so that CURVE handshakes replay exactly. Not
/// cryptographically secure: tests only.
pub struct SeededRandom(Mutex<u64>);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(Mutex::new(seed))
    }
}

impl RandomSource for SeededRandom {
    fn try_fill(&self, dest: &mut [u8]) -> Result<(), RandomError> {
        let mut state = self.0.lock().unwrap();
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

/// Two connections joined by memory. Time only moves when a test says so.
pub struct Pair {
    pub a: Connection,
    pub b: Connection,
    pub now: Instant,
    pub a_events: Vec<Event>,
    pub b_events: Vec<Event>,
    a_in: BytesMut,
    b_in: BytesMut,
}

impl Pair {
    pub fn new(a: Config, b: Config) -> Pair {
        let now = Instant::now();
        Pair {
            a: Connection::new(a, now).unwrap(),
            b: Connection::new(b, now).unwrap(),
            now,
            a_events: Vec::new(),
            b_events: Vec::new(),
            a_in: BytesMut::new(),
            b_in: BytesMut::new(),
        }
    }

    pub fn of(a: SocketType, b: SocketType) -> Pair {
        Pair::new(Config::new(a), Config::new(b))
    }

    /// Moves bytes both ways until neither side has anything to send; collects events.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(chunk) = self.a.poll_transmit() {
                self.b_in.extend_from_slice(&chunk);
                moved = true;
            }
            while let Some(chunk) = self.b.poll_transmit() {
                self.a_in.extend_from_slice(&chunk);
                moved = true;
            }
            self.a.handle_bytes(self.now, &mut self.a_in);
            self.b.handle_bytes(self.now, &mut self.b_in);
            self.drain_events();
            if !moved {
                return;
            }
        }
    }

    pub fn drain_events(&mut self) {
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
    }

    /// Advances the clock to each deadline in turn (up to `by`), firing timers on both sides
    /// but moving no bytes: as if the link had gone silent.
    pub fn advance_silently(&mut self, by: Duration) {
        let end = self.now + by;
        loop {
            let next = [self.a.poll_timeout(), self.b.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|t| *t <= end)
                .min();
            let Some(next) = next else { break };
            self.now = self.now.max(next);
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            while self.a.poll_transmit().is_some() {}
            while self.b.poll_transmit().is_some() {}
            self.drain_events();
        }
        self.now = end;
    }

    /// Advances the clock with the link working: timers fire and bytes flow.
    pub fn advance(&mut self, by: Duration, step: Duration) {
        let end = self.now + by;
        while self.now < end {
            self.now += step;
            self.a.handle_timeout(self.now);
            self.b.handle_timeout(self.now);
            self.pump();
        }
    }

    pub fn take_a(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.a_events)
    }

    pub fn take_b(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.b_events)
    }
}

/// Frames of `wire`, as (flags, body), after skipping `skip` bytes (e.g. a greeting). Panics
/// on a partial frame: for tests that inspect complete transcripts.
pub fn frames(wire: &[u8], skip: usize) -> Vec<(u8, Vec<u8>)> {
    let mut rest = &wire[skip..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let flags = rest[0];
        let (size, header) = if flags & 0x02 != 0 {
            (
                u64::from_be_bytes(rest[1..9].try_into().unwrap()) as usize,
                9,
            )
        } else {
            (usize::from(rest[1]), 2)
        };
        out.push((flags, rest[header..header + size].to_vec()));
        rest = &rest[header + size..];
    }
    out
}

/// Everything a connection has queued for transmission, concatenated.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = conn.poll_transmit() {
        out.extend_from_slice(&chunk);
    }
    out
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// A ZMTP 3.x NULL greeting with the given minor version.
pub fn greeting(major: u8, minor: u8, mechanism: &str, as_server: bool) -> Vec<u8> {
    let mut g = vec![0u8; 64];
    g[0] = 0xff;
    g[9] = 0x7f;
    g[10] = major;
    g[11] = minor;
    g[12..12 + mechanism.len()].copy_from_slice(mechanism.as_bytes());
    g[32] = u8::from(as_server);
    g
}

/// A command frame.
pub fn command(name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(data);
    frame(0x04, &body)
}

/// A frame with the given flags, using the short form when it fits.
pub fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if body.len() <= 255 {
        out.push(flags);
        out.push(body.len() as u8);
    } else {
        out.push(flags | 0x02);
        out.put_u64(body.len() as u64);
    }
    out.extend_from_slice(body);
    out
}

/// READY with just a socket type.
pub fn ready(socket_type: &str) -> Vec<u8> {
    let mut data = vec![11u8];
    data.extend_from_slice(b"Socket-Type");
    data.put_u32(socket_type.len() as u32);
    data.extend_from_slice(socket_type.as_bytes());
    command("READY", &data)
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
