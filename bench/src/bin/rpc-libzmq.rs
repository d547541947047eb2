//! RPC comparison peer: libzmq DEALER/ROUTER through the `zmq` crate (default context: one
//! I/O thread beside the caller's). The server is a ROUTER echoing every message
//! (`recv_multipart` → `send_multipart`); the client is one DEALER (one connection) that keeps
//! `in-flight` requests outstanding from one thread: each request is a 4-byte slot number and
//! the body, and each reply's slot says which request it answers, whose slot is then reused.

use std::time::Instant;

use zmtp_bench::rpc::{self, Role};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    match rpc::role() {
        Role::Server(addr) => server(&addr),
        Role::Client(args) => client(&args),
    }
}

fn server(addr: &str) -> Result {
    let context = zmq::Context::new();
    let router = context.socket(zmq::ROUTER)?;
    router.bind(&format!("tcp://{addr}"))?;
    loop {
        let message = router.recv_multipart(0)?;
        router.send_multipart(message, 0)?;
    }
}

fn client(args: &rpc::ClientArgs) -> Result {
    let context = zmq::Context::new();
    let dealer = context.socket(zmq::DEALER)?;
    dealer.set_linger(0)?;
    dealer.connect(&format!("tcp://{}", args.addr))?;
    let body = rpc::body();
    let send = |slot: usize| -> Result {
        dealer.send(&(slot as u32).to_be_bytes()[..], zmq::SNDMORE)?;
        dealer.send(&body[..], 0)?;
        Ok(())
    };
    let recv = || -> Result<usize> {
        let reply = dealer.recv_multipart(0)?;
        match reply.as_slice() {
            [slot, body] if slot.len() == 4 && body.len() == rpc::BODY_LEN => {
                Ok(u32::from_be_bytes([slot[0], slot[1], slot[2], slot[3]]) as usize)
            }
            _ => Err("malformed reply".into()),
        }
    };
    // The first round trip waits for the connection.
    send(0)?;
    recv()?;
    let window = rpc::Window::start(args);
    let mut sent = vec![Instant::now(); args.in_flight];
    for slot in 0..args.in_flight {
        send(slot)?;
    }
    let mut outstanding = args.in_flight;
    let mut samples = Vec::new();
    while outstanding > 0 {
        let slot = recv()?;
        let now = window.record(sent[slot], &mut samples);
        if window.open(now) {
            sent[slot] = now;
            send(slot)?;
        } else {
            outstanding -= 1;
        }
    }
    window.report(samples);
    Ok(())
}
