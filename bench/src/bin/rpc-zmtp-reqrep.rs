//! RPC comparison peer: plain REQ/REP on zmtp-tokio. The server is one REP socket echoing each
//! request; the client has `in-flight` REQ sockets (one connection each), each in lockstep
//! (REQ allows one request outstanding), all on one thread.

use std::time::Instant;

use zmtp_bench::rpc::{self, Role};
use zmtp_tokio::{Bytes, RepSocket, ReqSocket};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    rpc::runtime().block_on(async {
        match rpc::role() {
            Role::Server(addr) => server(&addr).await,
            Role::Client(args) => client(&args).await,
        }
    })
}

async fn server(addr: &str) -> Result {
    let mut rep = RepSocket::new();
    rep.bind(format!("tcp://{addr}").as_str()).await?;
    loop {
        let request = rep.recv().await?;
        rep.send(request).await?;
    }
}

async fn client(args: &rpc::ClientArgs) -> Result {
    let body = Bytes::from(rpc::body());
    let mut sockets = Vec::with_capacity(args.in_flight);
    for _ in 0..args.in_flight {
        let mut req = ReqSocket::new();
        req.connect(format!("tcp://{}", args.addr).as_str())?;
        // The first request waits for the connection.
        req.request(body.clone()).await?;
        sockets.push(req);
    }
    let window = rpc::Window::start(args);
    let loops = sockets.into_iter().map(|mut req| {
        let body = body.clone();
        async move {
            let mut samples = Vec::new();
            let mut sent = Instant::now();
            while window.open(sent) {
                let reply = req.request(body.clone()).await?;
                if reply.byte_len() != rpc::BODY_LEN {
                    return Err(format!("reply of {} bytes", reply.byte_len()).into());
                }
                sent = window.record(sent, &mut samples);
            }
            Ok::<_, Box<dyn std::error::Error>>(samples)
        }
    });
    let mut samples = Vec::new();
    for result in futures::future::join_all(loops).await {
        samples.extend(result?);
    }
    window.report(samples);
    Ok(())
}
