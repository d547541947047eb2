//! RPC comparison peer: plain REQ/REP on zmtp-tokio. The server is one REP socket echoing each
//! request; the client has `in-flight` REQ sockets (one connection each), each in lockstep
//! (REQ allows one request outstanding), all on one thread.

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
    rpc::run_callers(args, sockets, async |req: &mut ReqSocket| {
        Ok(req.request(body.clone()).await?.byte_len())
    })
    .await
}
