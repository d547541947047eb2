//! Hand-written command line parsing shared by the subcommands: flags with their value either
//! in the next argument (`--count 5`) or after `=` (`--count=5`), positional arguments, and
//! `--` after which everything is positional (for messages that start with `-`).

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::CliError;

/// One command line item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arg {
    /// `--name`, `--name=value` or `-x`.
    Flag(Flag),
    /// Anything else, or anything after `--`.
    Positional(String),
}

/// A flag as written, with a value given after `=` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    /// The flag's name including its dashes, e.g. `--count`.
    pub(crate) name: String,
    /// The value given as `--name=value`.
    inline: Option<String>,
}

impl Flag {
    /// The same flag under another name (`--backend-curve-server` read as `--curve-server`),
    /// keeping a value given after `=`.
    pub(crate) fn renamed(&self, name: String) -> Flag {
        Flag {
            name,
            inline: self.inline.clone(),
        }
    }
}

/// The arguments of one subcommand, consumed front to back.
#[derive(Debug)]
pub(crate) struct Args {
    items: VecDeque<String>,
    /// Whether `--` was seen: the rest is positional.
    rest_positional: bool,
}

impl Args {
    /// The arguments following the subcommand's name.
    pub(crate) fn new(items: impl IntoIterator<Item = String>) -> Args {
        Args {
            items: items.into_iter().collect(),
            rest_positional: false,
        }
    }

    /// The next item, or `None` at the end.
    pub(crate) fn next_arg(&mut self) -> Option<Arg> {
        let item = self.items.pop_front()?;
        if self.rest_positional {
            return Some(Arg::Positional(item));
        }
        if item == "--" {
            self.rest_positional = true;
            return self.next_arg();
        }
        if item.starts_with("--") {
            return Some(Arg::Flag(match item.split_once('=') {
                Some((name, value)) => Flag {
                    name: name.to_owned(),
                    inline: Some(value.to_owned()),
                },
                None => Flag {
                    name: item,
                    inline: None,
                },
            }));
        }
        if item.len() > 1 && item.starts_with('-') {
            return Some(Arg::Flag(Flag {
                name: item,
                inline: None,
            }));
        }
        Some(Arg::Positional(item))
    }

    /// The value of `flag`: after its `=`, or the next argument whatever it looks like (so
    /// `--separator -` and `--reply --x` work).
    pub(crate) fn value(&mut self, flag: &Flag) -> Result<String, CliError> {
        match &flag.inline {
            Some(value) => Ok(value.clone()),
            None => self
                .items
                .pop_front()
                .ok_or_else(|| CliError::usage(format!("{} needs a value", flag.name))),
        }
    }

    /// Checks that a switch (a flag without a value) was not given one with `=`.
    pub(crate) fn switch(&self, flag: &Flag) -> Result<(), CliError> {
        match flag.inline {
            Some(_) => Err(CliError::usage(format!("{} takes no value", flag.name))),
            None => Ok(()),
        }
    }
}

/// Whether the arguments ask for help (`-h` or `--help` before any `--`).
pub(crate) fn wants_help(items: &[String]) -> bool {
    items
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "-h" || a == "--help")
}

/// Parses a number of seconds (`5`, `0.5`) given to `flag`.
pub(crate) fn seconds(flag: &Flag, value: &str) -> Result<Duration, CliError> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            CliError::usage(format!(
                "{}: expected a number of seconds, got {value:?}",
                flag.name
            ))
        })
}

/// Parses a count of at least 1 given to `flag`.
pub(crate) fn count(flag: &Flag, value: &str) -> Result<u64, CliError> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(CliError::usage(format!(
            "{}: expected a whole number of at least 1, got {value:?}",
            flag.name
        ))),
    }
}

/// The error for a flag no subcommand option matched.
pub(crate) fn unknown(flag: &Flag, command: &str) -> CliError {
    CliError::usage(format!(
        "unknown option {} for `zmtp {command}` (see `zmtp {command} --help`)",
        flag.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Args {
        Args::new(items.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_values_and_positionals() {
        let mut a = args(&[
            "--count",
            "3",
            "--type=push",
            "hello",
            "-v",
            "--",
            "--not-a-flag",
        ]);
        let Some(Arg::Flag(count)) = a.next_arg() else {
            panic!("flag expected")
        };
        assert_eq!(count.name, "--count");
        assert_eq!(a.value(&count).unwrap(), "3");
        let Some(Arg::Flag(kind)) = a.next_arg() else {
            panic!("flag expected")
        };
        assert_eq!(kind.name, "--type");
        assert_eq!(a.value(&kind).unwrap(), "push");
        assert!(a.switch(&kind).is_err(), "an inline value is not a switch");
        assert_eq!(a.next_arg(), Some(Arg::Positional("hello".into())));
        let Some(Arg::Flag(v)) = a.next_arg() else {
            panic!("flag expected")
        };
        assert_eq!(v.name, "-v");
        a.switch(&v).unwrap();
        assert_eq!(a.next_arg(), Some(Arg::Positional("--not-a-flag".into())));
        assert_eq!(a.next_arg(), None);
    }

    #[test]
    fn a_lone_dash_is_positional_and_a_missing_value_is_an_error() {
        let mut a = args(&["-", "--linger"]);
        assert_eq!(a.next_arg(), Some(Arg::Positional("-".into())));
        let Some(Arg::Flag(linger)) = a.next_arg() else {
            panic!("flag expected")
        };
        assert!(a.value(&linger).is_err());
    }

    #[test]
    fn numbers() {
        let flag = Flag {
            name: "--timeout".into(),
            inline: None,
        };
        assert_eq!(seconds(&flag, "1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(seconds(&flag, "0").unwrap(), Duration::ZERO);
        assert!(seconds(&flag, "-1").is_err());
        assert!(seconds(&flag, "soon").is_err());
        assert_eq!(count(&flag, "7").unwrap(), 7);
        assert!(count(&flag, "0").is_err());
        assert!(count(&flag, "x").is_err());
    }

    #[test]
    fn help_is_found_before_the_double_dash_only() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(wants_help(&s(&["--type", "push", "--help"])));
        assert!(wants_help(&s(&["-h"])));
        assert!(!wants_help(&s(&["--", "--help"])));
    }
}
