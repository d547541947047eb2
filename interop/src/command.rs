//! One driver command, parsed (the Rust drivers' half of `PROTOCOL.md`; the runner writes
//! these lines with [`Command::line`]).

/// A socket the driver opens: its type (libzmq's name), `bind` or `connect`, the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSpec {
    /// `REQ`, `REP`, `DEALER`, `ROUTER`, `PUSH`, `PULL`, `PUB`, `SUB`, `PAIR`.
    pub kind: String,
    /// Whether the driver binds (else it connects).
    pub bind: bool,
    /// `tcp://...` or `ipc://...`.
    pub endpoint: String,
}

impl SocketSpec {
    fn words(&self) -> String {
        let mode = if self.bind { "bind" } else { "connect" };
        format!("{} {mode} {}", self.kind, self.endpoint)
    }

    fn parse(words: &[&str]) -> Option<SocketSpec> {
        let bind = match *words.get(1)? {
            "bind" => true,
            "connect" => false,
            _ => return None,
        };
        Some(SocketSpec {
            kind: words.first()?.to_string(),
            bind,
            endpoint: words.get(2)?.to_string(),
        })
    }
}

/// What the driver does with its socket(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send every message received back on the same socket, until one ending with `END`.
    Echo(SocketSpec),
    /// Send every message received on the first socket on the second, until one ending with
    /// `END`.
    Relay(SocketSpec, SocketSpec),
    /// Send `[i, "", "m"]` for i in 0..n (`END` for "m" in the last), each time waiting for
    /// the same message back.
    Client(SocketSpec, usize),
}

/// A command line: the action and the options of every socket it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// What to do.
    pub action: Action,
    /// `plain-server`, `plain-client`, `curve-server`, `curve-client`, `hb` (heartbeats every
    /// 100 ms, timeout 1 s), `sub=PREFIX` (a SUB's subscription).
    pub options: Vec<String>,
}

impl Command {
    /// The line sent to a driver.
    pub fn line(&self) -> String {
        let head = match &self.action {
            Action::Echo(s) => format!("echo {}", s.words()),
            Action::Relay(a, b) => format!("relay {} {}", a.words(), b.words()),
            Action::Client(s, n) => format!("client {} {n}", s.words()),
        };
        std::iter::once(head)
            .chain(self.options.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Parses a line a runner sent.
    pub fn parse(line: &str) -> Option<Command> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (action, rest) = match *words.first()? {
            "echo" => (
                Action::Echo(SocketSpec::parse(&words[1..])?),
                words.get(4..)?,
            ),
            "relay" => (
                Action::Relay(
                    SocketSpec::parse(&words[1..])?,
                    SocketSpec::parse(words.get(4..)?)?,
                ),
                words.get(7..)?,
            ),
            "client" => (
                Action::Client(SocketSpec::parse(&words[1..])?, words.get(4)?.parse().ok()?),
                words.get(5..)?,
            ),
            _ => return None,
        };
        Some(Command {
            action,
            options: rest.iter().map(|w| w.to_string()).collect(),
        })
    }

    /// The subscriptions among the options.
    pub fn subscriptions(&self) -> impl Iterator<Item = &str> {
        self.options.iter().filter_map(|o| o.strip_prefix("sub="))
    }

    /// Whether an option is present.
    pub fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// The message a `client` driver sends `i`th of `n`.
pub fn client_message(i: usize, n: usize) -> Vec<Vec<u8>> {
    let last = if i + 1 == n { crate::END } else { b"m" };
    vec![i.to_string().into_bytes(), Vec::new(), last.to_vec()]
}
