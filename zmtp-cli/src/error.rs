//! The error every subcommand returns, and the exit code it maps to.

use std::fmt;
use std::process::ExitCode;

/// Why `zmtp` stopped with a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CliError {
    /// Bad command line: exit code 2.
    Usage(String),
    /// The command ran and failed (bind error, timeout, authentication failure, ...): exit
    /// code 1.
    Failed(String),
}

impl CliError {
    /// A command line error.
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    /// A failure while running.
    pub(crate) fn failed(message: impl Into<String>) -> CliError {
        CliError::Failed(message.into())
    }

    /// The process exit code: 2 for a bad command line, 1 for any other failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
        }
    }
}

impl From<zmtp_tokio::Error> for CliError {
    fn from(e: zmtp_tokio::Error) -> CliError {
        CliError::Failed(e.to_string())
    }
}

/// Shorthand for the subcommands' results.
pub(crate) type CliResult<T = ()> = Result<T, CliError>;
