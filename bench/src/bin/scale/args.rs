//! `--key value` flags and bare switches, for the driver and for the child subcommands.

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed flags: `--key value` pairs and `--switch`es (a flag followed by another flag, or
/// last, is a switch).
#[derive(Debug, Default)]
pub struct Flags {
    values: HashMap<String, String>,
    switches: Vec<String>,
}

impl Flags {
    pub fn parse(args: &[String]) -> Result<Flags, String> {
        let mut flags = Flags::default();
        let mut i = 0;
        while i < args.len() {
            let key = args[i]
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {:?}", args[i]))?;
            match args.get(i + 1) {
                Some(value) if !value.starts_with("--") => {
                    flags.values.insert(key.to_string(), value.clone());
                    i += 2;
                }
                _ => {
                    flags.switches.push(key.to_string());
                    i += 1;
                }
            }
        }
        Ok(flags)
    }

    pub fn switch(&self, key: &str) -> bool {
        self.switches.iter().any(|s| s == key)
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of `--key`, or `default` when absent.
    pub fn get<T: FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.values.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("bad --{key}: {v:?}")),
        }
    }

    /// The value of `--key`, which must be there.
    pub fn required<T: FromStr>(&self, key: &str) -> Result<T, String> {
        let v = self.values.get(key).ok_or(format!("missing --{key}"))?;
        v.parse().map_err(|_| format!("bad --{key}: {v:?}"))
    }

    /// A comma-separated list, or `default` when absent.
    pub fn list<T: FromStr>(&self, key: &str, default: Vec<T>) -> Result<Vec<T>, String> {
        match self.values.get(key) {
            None => Ok(default),
            Some(v) => v
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.trim().parse().map_err(|_| format!("bad --{key}: {s:?}")))
                .collect(),
        }
    }
}

/// The two implementations under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impl {
    Zmtp,
    Libzmq,
}

impl Impl {
    pub fn name(self) -> &'static str {
        match self {
            Impl::Zmtp => "zmtp",
            Impl::Libzmq => "libzmq",
        }
    }
}

impl FromStr for Impl {
    type Err = String;

    fn from_str(s: &str) -> Result<Impl, String> {
        match s {
            "zmtp" => Ok(Impl::Zmtp),
            "libzmq" => Ok(Impl::Libzmq),
            other => Err(format!("unknown implementation {other:?} (zmtp, libzmq)")),
        }
    }
}
