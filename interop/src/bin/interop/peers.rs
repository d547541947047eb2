//! The peers: how to start each one's driver, what each supports, and so its cells.

use std::path::PathBuf;

use crate::cell::{Cell, Scenario};
use crate::ours::Mech;
use crate::pairs::{DEALER_ROUTER, PAIRS, ROUTER_DEALER};

/// A peer implementation.
pub struct Peer {
    /// Short name (`--peers`, the known-defects file).
    pub key: &'static str,
    /// What it is, for the matrix.
    pub label: &'static str,
    /// The driver's source, relative to the repository.
    pub driver: &'static str,
    /// The command that starts the driver.
    pub argv: Vec<String>,
    /// What it supports beyond NULL over tcp.
    pub ipc: bool,
    /// PLAIN (RFC 24).
    pub plain: bool,
    /// CURVE (RFC 26).
    pub curve: bool,
    /// ZMTP 3.1 heartbeats (PING/PONG, RFC 37).
    pub heartbeat: bool,
    /// PAIR sockets.
    pub pair: bool,
}

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sibling(binary: &str) -> String {
    let exe = std::env::current_exe().expect("the runner's path");
    exe.with_file_name(binary).display().to_string()
}

fn python(script: &str) -> Vec<String> {
    let path = interop_dir().join("drivers").join(script);
    vec!["python3".into(), path.display().to_string()]
}

/// Every peer, in the matrix's order.
pub fn all() -> Vec<Peer> {
    let java_classes = interop_dir().join("target").join("java");
    vec![
        Peer {
            key: "pyzmq",
            label: "libzmq, as the pyzmq wheel ships it (PyPI `pyzmq`)",
            driver: "interop/drivers/pyzmq_driver.py",
            argv: python("pyzmq_driver.py"),
            ipc: true,
            plain: true,
            curve: true,
            heartbeat: true,
            pair: true,
        },
        Peer {
            key: "jeromq",
            label: "JeroMQ, pure Java (Debian `libjeromq-java`; no PLAIN, CURVE or heartbeats, and its ipc:// is TCP on loopback, not a Unix socket)",
            driver: "interop/drivers/JeromqDriver.java",
            argv: vec![
                "java".into(),
                "-cp".into(),
                format!("{}:/usr/share/java/jeromq.jar", java_classes.display()),
                "JeromqDriver".into(),
            ],
            ipc: false,
            plain: false,
            curve: false,
            heartbeat: false,
            pair: true,
        },
        Peer {
            key: "azmq",
            label: "azmq, pure-Python asyncio (PyPI `azmq`)",
            driver: "interop/drivers/azmq_driver.py",
            argv: python("azmq_driver.py"),
            ipc: false,
            plain: false,
            curve: false,
            heartbeat: false,
            pair: false,
        },
        Peer {
            key: "omq",
            label: "omq-tokio (crates.io)",
            driver: "interop/src/bin/peer-omq.rs",
            argv: vec![sibling("peer-omq")],
            ipc: true,
            plain: true,
            curve: true,
            heartbeat: true,
            pair: true,
        },
        Peer {
            key: "zeromq",
            label: "zeromq, zmq.rs (crates.io)",
            driver: "interop/src/bin/peer-zeromq.rs",
            argv: vec![sibling("peer-zeromq")],
            ipc: true,
            plain: false,
            curve: false,
            heartbeat: false,
            pair: false,
        },
    ]
}

impl Peer {
    /// Every cell this peer supports.
    pub fn cells(&self) -> Vec<Cell> {
        let mut cells = Vec::new();
        let cell = |pair, zmtp_binds, mech, ipc, scenario| Cell {
            pair,
            zmtp_binds,
            mech,
            ipc,
            scenario,
        };
        for pair in PAIRS {
            if pair.name == "PAIR-PAIR" && !self.pair {
                continue;
            }
            for zmtp_binds in [true, false] {
                for scenario in [Scenario::Frames, Scenario::TenThousand] {
                    cells.push(cell(pair, zmtp_binds, Mech::Null, false, scenario));
                }
            }
        }
        for zmtp_binds in [true, false] {
            let mut mechs = Vec::new();
            if self.plain {
                mechs.push(Mech::Plain { server: true });
                mechs.push(Mech::Plain { server: false });
            }
            if self.curve {
                mechs.push(Mech::Curve { server: true });
                mechs.push(Mech::Curve { server: false });
            }
            for mech in mechs {
                cells.push(cell(
                    DEALER_ROUTER,
                    zmtp_binds,
                    mech,
                    false,
                    Scenario::Frames,
                ));
            }
            if self.ipc {
                cells.push(cell(
                    DEALER_ROUTER,
                    zmtp_binds,
                    Mech::Null,
                    true,
                    Scenario::Frames,
                ));
                cells.push(cell(
                    ROUTER_DEALER,
                    zmtp_binds,
                    Mech::Null,
                    true,
                    Scenario::Frames,
                ));
            }
            if self.heartbeat {
                cells.push(cell(
                    DEALER_ROUTER,
                    zmtp_binds,
                    Mech::Null,
                    false,
                    Scenario::Heartbeat,
                ));
            }
        }
        cells.push(cell(
            DEALER_ROUTER,
            false,
            Mech::Null,
            false,
            Scenario::Restart,
        ));
        cells.push(cell(
            ROUTER_DEALER,
            true,
            Mech::Null,
            false,
            Scenario::Restart,
        ));
        cells
    }
}
