//! `zmtp keygen`: a fresh CURVE key pair in Z85, labelled as libzmq's `curve_keygen` prints it.

use zmtp_tokio::{KeyPair, OsRandom};

use crate::error::{CliError, CliResult};

/// `zmtp keygen --help`.
pub(crate) const HELP: &str = "\
usage: zmtp keygen

Prints a new CURVE key pair (from the operating system's random generator) in Z85, as
libzmq's curve_keygen does:

  == CURVE PUBLIC KEY ==
  <40 characters: give it to clients (--curve-server-key) or servers (--curve-allow)>
  == CURVE SECRET KEY ==
  <40 characters: keep it secret (--curve-secret-key)>";

/// Runs `zmtp keygen`.
pub(crate) fn run(items: Vec<String>) -> CliResult {
    if let Some(extra) = items.first() {
        return Err(CliError::usage(format!(
            "`zmtp keygen` takes no arguments (got {extra:?})"
        )));
    }
    let keys = KeyPair::try_generate(&OsRandom)
        .map_err(|e| CliError::failed(format!("cannot generate a key pair: {e}")))?;
    println!("== CURVE PUBLIC KEY ==");
    println!("{}", keys.public().to_z85());
    println!("== CURVE SECRET KEY ==");
    println!("{}", keys.secret().expose_z85().as_str());
    Ok(())
}
