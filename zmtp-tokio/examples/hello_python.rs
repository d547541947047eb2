//! Talking to Python: a REQ client and a SUB subscriber in Rust, against the REP service and
//! PUB feed of `hello_python.py` (pyzmq, or any other ZeroMQ peer).
//!
//! python3 zmtp-tokio/examples/hello_python.py &
//! cargo run -p zmtp-tokio --example hello_python
//!
//! Both take the two ports as arguments (default 5555 and 5556).

use zmtp_tokio::{ReqSocket, SubSocket};

#[tokio::main]
async fn main() -> zmtp_tokio::Result<()> {
    let mut ports = std::env::args().skip(1);
    let rep_port = ports.next().unwrap_or_else(|| "5555".into());
    let pub_port = ports.next().unwrap_or_else(|| "5556".into());

    // Request-reply: connect may come before the service is up; the request waits for it.
    let mut client = ReqSocket::new();
    client.connect(format!("tcp://127.0.0.1:{rep_port}"))?;
    for name in ["Ada", "Grace", "Linus"] {
        let reply = client.request(name).await?;
        println!("{}", String::from_utf8_lossy(&reply.frames()[0]));
    }

    // Publish-subscribe: subscribe to a prefix of the first frame; the publisher filters.
    let mut subscriber = SubSocket::new();
    subscriber.subscribe("weather.")?;
    subscriber.connect(format!("tcp://127.0.0.1:{pub_port}"))?;
    for _ in 0..3 {
        let update = subscriber.recv().await?;
        let frames = update.frames();
        println!(
            "{}: {}",
            String::from_utf8_lossy(&frames[0]),
            String::from_utf8_lossy(&frames[1])
        );
    }
    Ok(())
}
