//! RPC comparison peer: gRPC with tonic 0.12 (HTTP/2, prost messages generated from
//! `proto/echo.proto` by build.rs). The server is tonic's `Server` (TCP_NODELAY) with a unary
//! `Echo` method returning the request; the client is one `Channel` (one HTTP/2 connection,
//! TCP_NODELAY) cloned into `in-flight` loops, each making one call at a time, multiplexed as
//! HTTP/2 streams.

use tonic::transport::{Channel, Endpoint, Server};
use zmtp_bench::rpc::{self, Role};

mod proto {
    tonic::include_proto!("echo");
}

use proto::echo_client::EchoClient;
use proto::echo_server::{Echo, EchoServer};
use proto::Payload;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    rpc::runtime().block_on(async {
        match rpc::role() {
            Role::Server(addr) => server(&addr).await,
            Role::Client(args) => client(&args).await,
        }
    })
}

struct Echoer;

#[tonic::async_trait]
impl Echo for Echoer {
    async fn echo(
        &self,
        request: tonic::Request<Payload>,
    ) -> std::result::Result<tonic::Response<Payload>, tonic::Status> {
        Ok(tonic::Response::new(request.into_inner()))
    }
}

async fn server(addr: &str) -> Result {
    Server::builder()
        .tcp_nodelay(true)
        .add_service(EchoServer::new(Echoer))
        .serve(addr.parse()?)
        .await?;
    Ok(())
}

async fn client(args: &rpc::ClientArgs) -> Result {
    let endpoint = Endpoint::from_shared(format!("http://{}", args.addr))?.tcp_nodelay(true);
    let channel = rpc::retry_connect(|| endpoint.connect()).await?;
    let client = EchoClient::new(channel);
    let body = rpc::body();
    // The first call completes the HTTP/2 set-up.
    client.clone().echo(Payload { body: body.clone() }).await?;
    let callers = vec![client; args.in_flight];
    rpc::run_callers(args, callers, async |client: &mut EchoClient<Channel>| {
        let reply = client.echo(Payload { body: body.clone() }).await?;
        Ok(reply.into_inner().body.len())
    })
    .await
}
