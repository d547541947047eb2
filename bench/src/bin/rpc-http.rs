//! RPC comparison peer: HTTP/1.1 with JSON bodies on hyper 1. The server accepts connections
//! on a tokio `TcpListener` (TCP_NODELAY) and serves each with hyper's http1 connection
//! builder: `POST /echo` with `{"body":"<100 characters>"}` is parsed with serde_json and the
//! same object serialized back as the reply. The client opens `in-flight` keep-alive
//! connections (hyper's http1 client handshake, TCP_NODELAY, no pool: one connection per loop,
//! since HTTP/1.1 has one request outstanding per connection) and each loop serializes a
//! request, sends it, reads and parses the reply.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use zmtp_bench::rpc::{self, Role};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The request and reply body.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    body: String,
}

fn main() -> Result {
    rpc::runtime().block_on(async {
        match rpc::role() {
            Role::Server(addr) => server(&addr).await,
            Role::Client(args) => client(&args).await,
        }
    })
}

async fn server(addr: &str) -> Result {
    let listener = TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let service = hyper::service::service_fn(echo);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn echo(
    request: Request<Incoming>,
) -> std::result::Result<Response<Full<Bytes>>, hyper::Error> {
    let bytes = request.into_body().collect().await?.to_bytes();
    let response = match serde_json::from_slice::<Payload>(&bytes) {
        Ok(payload) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                serde_json::to_vec(&payload).expect("a string serializes"),
            ))),
        Err(_) => Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .body(Full::new(Bytes::new())),
    };
    Ok(response.expect("a valid response"))
}

async fn client(args: &rpc::ClientArgs) -> Result {
    let payload = Payload {
        body: String::from_utf8(rpc::body())?,
    };
    let mut senders = Vec::with_capacity(args.in_flight);
    for _ in 0..args.in_flight {
        let stream = rpc::retry_connect(|| TcpStream::connect(args.addr.as_str())).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        senders.push(sender);
    }
    let call = |sender: &mut SendRequest<Full<Bytes>>| {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/echo")
            .header(HOST, args.addr.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(
                serde_json::to_vec(&payload).expect("serializes"),
            )))
            .expect("a valid request");
        let response = sender.send_request(request);
        async move {
            let response = response.await?;
            if response.status() != StatusCode::OK {
                return Err(format!("status {}", response.status()).into());
            }
            let bytes = response.into_body().collect().await?.to_bytes();
            let reply: Payload = serde_json::from_slice(&bytes)?;
            Ok::<_, rpc::BoxError>(reply.body.len())
        }
    };
    // A first round trip on each connection.
    for sender in &mut senders {
        sender.ready().await?;
        let len = call(sender).await?;
        if len != rpc::BODY_LEN {
            return Err(format!("reply of {len} bytes").into());
        }
    }
    rpc::run_callers(
        args,
        senders,
        async |sender: &mut SendRequest<Full<Bytes>>| {
            sender.ready().await?;
            call(sender).await
        },
    )
    .await
}
