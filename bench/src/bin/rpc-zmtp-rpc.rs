//! RPC comparison peer: zmtp-rpc. The server is a `Server` on a ROUTER (default settings: 64
//! handlers at most) whose handler returns the request's body; the client is one `Client` (one
//! DEALER, one connection) shared by `in-flight` loops, each making one call at a time with no
//! deadline and no retries.

use zmtp_bench::rpc::{self, Role};
use zmtp_rpc::{Bytes, Client, Request, Server};
use zmtp_tokio::RouterSocket;

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
    let socket = RouterSocket::new();
    socket.bind(format!("tcp://{addr}").as_str()).await?;
    let _serving =
        Server::new(socket).serve(|request: Request| async move { Ok(request.into_body()) });
    std::future::pending::<()>().await;
    Ok(())
}

async fn client(args: &rpc::ClientArgs) -> Result {
    let client = Client::connect(format!("tcp://{}", args.addr).as_str())?;
    let body = Bytes::from(rpc::body());
    // The first call waits for the connection.
    client.call("echo", body.clone(), None).await?;
    let callers = vec![client; args.in_flight];
    rpc::run_callers(args, callers, async |client: &mut Client| {
        Ok(client.call("echo", body.clone(), None).await?.len())
    })
    .await
}
