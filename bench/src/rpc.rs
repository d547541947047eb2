//! Shared pieces of the RPC comparison (`rpc.sh`, `rpc-runner` and the `rpc-*` peers): the
//! command line every peer takes, the 100-byte body, the measuring window and the output line.
//!
//! ```text
//! rpc-<impl> server <host:port>
//! rpc-<impl> client <host:port> <in-flight> <warm-up-secs> <secs>
//! ```
//!
//! The server echoes each request's body until it is killed. The client keeps `in-flight`
//! requests outstanding for `warm-up-secs + secs`; a request counts when it was sent after the
//! warm-up and its reply came before the end. It prints one line:
//!
//! ```text
//! requests/s <f> p50_us <f> p99_us <f> requests <n>
//! ```

use std::time::{Duration, Instant};

/// The size of every request and reply body, in bytes.
pub const BODY_LEN: usize = 100;

/// The body every client sends: ASCII, so that JSON carries it unescaped (100 bytes of JSON
/// string content).
pub fn body() -> Vec<u8> {
    (0..BODY_LEN).map(|i| b'a' + (i % 26) as u8).collect()
}

/// What a client is asked to do.
#[derive(Debug, Clone)]
pub struct ClientArgs {
    /// `host:port` of the server.
    pub addr: String,
    /// Requests outstanding at any time.
    pub in_flight: usize,
    /// Unrecorded time before the window.
    pub warmup: Duration,
    /// The recorded window.
    pub secs: Duration,
}

/// A peer's role, from its command line.
#[derive(Debug, Clone)]
pub enum Role {
    /// Echo at `host:port` until killed.
    Server(String),
    /// Load a server and print the result.
    Client(ClientArgs),
}

/// Parses the command line (see the module docs); exits with usage on anything else.
pub fn role() -> Role {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!(
            "usage: {0} server <host:port>\n       {0} client <host:port> <in-flight> \
             <warm-up-secs> <secs>",
            args.first().map_or("rpc-peer", String::as_str)
        );
        std::process::exit(2)
    };
    let secs = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(Duration::from_secs_f64)
    };
    match args.get(1).map(String::as_str) {
        Some("server") if args.len() == 3 => Role::Server(args[2].clone()),
        Some("client") if args.len() == 6 => {
            let in_flight = args[3].parse().ok().filter(|n| *n > 0);
            match (in_flight, secs(&args[4]), secs(&args[5])) {
                (Some(in_flight), Some(warmup), Some(secs)) => Role::Client(ClientArgs {
                    addr: args[2].clone(),
                    in_flight,
                    warmup,
                    secs,
                }),
                _ => usage(),
            }
        }
        _ => usage(),
    }
}

/// The warm-up and the recorded window, from the moment a client is connected.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    warm_end: Instant,
    end: Instant,
    secs: Duration,
}

impl Window {
    /// Starts the warm-up now.
    pub fn start(args: &ClientArgs) -> Window {
        let now = Instant::now();
        Window {
            warm_end: now + args.warmup,
            end: now + args.warmup + args.secs,
            secs: args.secs,
        }
    }

    /// Whether a request sent at `now` may still be started.
    pub fn open(&self, now: Instant) -> bool {
        now < self.end
    }

    /// Records the round trip of a request sent at `sent` whose reply came now, if it belongs
    /// to the window; returns now (the next request's send time).
    pub fn record(&self, sent: Instant, samples: &mut Vec<Duration>) -> Instant {
        let now = Instant::now();
        if sent >= self.warm_end && now <= self.end {
            samples.push(now - sent);
        }
        now
    }

    /// Prints the output line for the round trips recorded in the window.
    pub fn report(&self, mut samples: Vec<Duration>) {
        samples.sort_unstable();
        let pick = |q: f64| {
            if samples.is_empty() {
                return f64::NAN;
            }
            let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
            samples[i].as_secs_f64() * 1e6
        };
        println!(
            "requests/s {:.1} p50_us {:.2} p99_us {:.2} requests {}",
            samples.len() as f64 / self.secs.as_secs_f64(),
            pick(0.50),
            pick(0.99),
            samples.len()
        );
    }
}

/// A peer's error, whatever its library's error type.
pub type BoxError = Box<dyn std::error::Error>;

/// The client side every tokio peer shares: the window starts, then one loop per caller (a
/// connection, or a clone of a multiplexed client) makes one call at a time until it closes;
/// `call` makes one round trip and answers the reply body's length, which must be
/// [`BODY_LEN`]. Prints the report line.
pub async fn run_callers<C>(
    args: &ClientArgs,
    callers: Vec<C>,
    call: impl AsyncFn(&mut C) -> Result<usize, BoxError>,
) -> Result<(), BoxError> {
    let window = Window::start(args);
    let call = &call;
    let loops = callers.into_iter().map(|mut caller| async move {
        let mut samples = Vec::new();
        let mut sent = Instant::now();
        while window.open(sent) {
            let len = call(&mut caller).await?;
            if len != BODY_LEN {
                return Err(format!("reply of {len} bytes").into());
            }
            sent = window.record(sent, &mut samples);
        }
        Ok::<_, BoxError>(samples)
    });
    let mut samples = Vec::new();
    for result in futures::future::join_all(loops).await {
        samples.extend(result?);
    }
    window.report(samples);
    Ok(())
}

/// A tokio current_thread runtime: every tokio peer, server or client, runs on one thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Retries `connect` every 10 ms for up to 5 s (the server may still be starting).
pub async fn retry_connect<T, E, F, Fut>(mut connect: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let give_up = Instant::now() + Duration::from_secs(5);
    loop {
        match connect().await {
            Ok(value) => return Ok(value),
            Err(e) if Instant::now() >= give_up => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}
