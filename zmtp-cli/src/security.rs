//! The security flags shared by every socket command, and the [`Options`] they give.
//!
//! - PLAIN client: `--plain-user U --plain-password P`
//! - PLAIN server: `--plain-server --plain-users FILE` (one `user:password` a line)
//! - CURVE server: `--curve-server --curve-secret-key SK [--curve-allow CLIENT_KEY]...`
//! - CURVE client: `--curve-server-key SERVER_KEY [--curve-public-key PK] [--curve-secret-key SK]`

use std::collections::HashMap;
use std::path::PathBuf;

use zmtp_tokio::{AuthDecision, AuthRequest, Credentials, KeyPair, Options, PublicKey, SecretKey};

use crate::args::{Args, Flag};
use crate::error::{CliError, CliResult};

/// The security flags as given.
#[derive(Debug, Default)]
pub(crate) struct SecurityFlags {
    plain_user: Option<String>,
    plain_password: Option<String>,
    plain_server: bool,
    plain_users: Option<PathBuf>,
    curve_server: bool,
    curve_secret_key: Option<String>,
    curve_public_key: Option<String>,
    curve_server_key: Option<String>,
    curve_allow: Vec<String>,
}

/// The role the flags ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// No security (NULL).
    Null,
    /// A PLAIN or CURVE client: a refused handshake ends the command.
    Client,
    /// A PLAIN or CURVE server: refused clients are reported, the command goes on.
    Server,
}

/// The help text for the security flags.
pub(crate) const HELP: &str = "\
security (default: none; keys are 40-character Z85 text, as `zmtp keygen` prints them):
  --plain-user U --plain-password P   PLAIN client
  --plain-server --plain-users FILE   PLAIN server; FILE has one `user:password` a line
                                      (empty lines and lines starting with # are skipped)
  --curve-server --curve-secret-key SK
                                      CURVE server (its public key is derived from SK)
  --curve-allow CLIENT_PUBLIC_KEY     CURVE server: admit only these clients (repeatable;
                                      without it any client that knows the server key gets in)
  --curve-server-key SERVER_PUBLIC_KEY
                                      CURVE client of that server
  --curve-public-key PK --curve-secret-key SK
                                      CURVE client: its own key pair (default: a fresh one)";

impl SecurityFlags {
    /// Takes `flag` (and its value) if it is a security flag; `Ok(false)` if it is not one.
    pub(crate) fn accept(&mut self, flag: &Flag, args: &mut Args) -> CliResult<bool> {
        match flag.name.as_str() {
            "--plain-user" => self.plain_user = Some(args.value(flag)?),
            "--plain-password" => self.plain_password = Some(args.value(flag)?),
            "--plain-server" => {
                args.switch(flag)?;
                self.plain_server = true;
            }
            "--plain-users" => self.plain_users = Some(args.value(flag)?.into()),
            "--curve-server" => {
                args.switch(flag)?;
                self.curve_server = true;
            }
            "--curve-secret-key" => self.curve_secret_key = Some(args.value(flag)?),
            "--curve-public-key" => self.curve_public_key = Some(args.value(flag)?),
            "--curve-server-key" => self.curve_server_key = Some(args.value(flag)?),
            "--curve-allow" => self.curve_allow.push(args.value(flag)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The role the flags ask for, after checking that they ask for one consistent role.
    pub(crate) fn role(&self) -> CliResult<Role> {
        let plain_client = self.plain_user.is_some() || self.plain_password.is_some();
        let plain_server = self.plain_server || self.plain_users.is_some();
        let curve_server = self.curve_server || !self.curve_allow.is_empty();
        let curve_client = self.curve_server_key.is_some() || self.curve_public_key.is_some();
        let roles = [
            (plain_client, "PLAIN client (--plain-user/--plain-password)"),
            (plain_server, "PLAIN server (--plain-server/--plain-users)"),
            (curve_server, "CURVE server (--curve-server/--curve-allow)"),
            (
                curve_client,
                "CURVE client (--curve-server-key/--curve-public-key)",
            ),
        ];
        let chosen: Vec<&str> = roles.iter().filter(|r| r.0).map(|r| r.1).collect();
        match chosen.as_slice() {
            [] if self.curve_secret_key.is_some() => Err(CliError::usage(
                "--curve-secret-key needs --curve-server (server) or --curve-server-key (client)",
            )),
            [] => Ok(Role::Null),
            [_] => Ok(if plain_client || curve_client {
                Role::Client
            } else {
                Role::Server
            }),
            many => Err(CliError::usage(format!(
                "choose one security role, not {}",
                many.join(" and ")
            ))),
        }
    }

    /// Adds the security the flags ask for to `options` (reading the PLAIN users file).
    pub(crate) fn apply(&self, options: Options) -> CliResult<Options> {
        self.role()?;
        if self.plain_user.is_some() || self.plain_password.is_some() {
            let (Some(user), Some(password)) = (&self.plain_user, &self.plain_password) else {
                return Err(CliError::usage(
                    "a PLAIN client needs both --plain-user and --plain-password",
                ));
            };
            return Ok(options.plain_client(user.clone(), password.as_str()));
        }
        if self.plain_server || self.plain_users.is_some() {
            let Some(path) = &self.plain_users else {
                return Err(CliError::usage(
                    "--plain-server needs --plain-users FILE (without users it refuses everyone)",
                ));
            };
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::failed(format!("cannot read --plain-users {}: {e}", path.display()))
            })?;
            let users = parse_users(&text)
                .map_err(|e| CliError::usage(format!("--plain-users {}: {e}", path.display())))?;
            return Ok(options
                .plain_server()
                .authenticator(move |request: &AuthRequest| check_plain(&users, request)));
        }
        if self.curve_server || !self.curve_allow.is_empty() {
            let Some(secret) = &self.curve_secret_key else {
                return Err(CliError::usage(
                    "--curve-server needs --curve-secret-key SK",
                ));
            };
            let secret = secret_key("--curve-secret-key", secret)?;
            let options = options.curve_server(KeyPair::from_secret(secret));
            if self.curve_allow.is_empty() {
                return Ok(options);
            }
            let allowed = self
                .curve_allow
                .iter()
                .map(|k| public_key("--curve-allow", k))
                .collect::<CliResult<Vec<PublicKey>>>()?;
            return Ok(options.authenticator(move |request: &AuthRequest| {
                match &request.credentials {
                    Credentials::Curve { client_key } if allowed.contains(client_key) => {
                        AuthDecision::allow_as(client_key.to_z85())
                    }
                    _ => AuthDecision::deny(),
                }
            }));
        }
        if self.curve_server_key.is_some() || self.curve_public_key.is_some() {
            let Some(server_key) = &self.curve_server_key else {
                return Err(CliError::usage(
                    "--curve-public-key is for CURVE clients, which need --curve-server-key",
                ));
            };
            let server_key = public_key("--curve-server-key", server_key)?;
            let keys = match (&self.curve_public_key, &self.curve_secret_key) {
                (None, None) => None,
                (Some(_), None) => {
                    return Err(CliError::usage(
                        "--curve-public-key needs its --curve-secret-key",
                    ))
                }
                (public, Some(secret)) => {
                    let keys = KeyPair::from_secret(secret_key("--curve-secret-key", secret)?);
                    if let Some(public) = public {
                        if public_key("--curve-public-key", public)? != *keys.public() {
                            return Err(CliError::usage(
                                "--curve-public-key does not belong to --curve-secret-key",
                            ));
                        }
                    }
                    Some(keys)
                }
            };
            return Ok(options.curve_client(server_key, keys));
        }
        Ok(options)
    }
}

/// Parses a Z85 public key given to `flag`.
fn public_key(flag: &str, text: &str) -> CliResult<PublicKey> {
    PublicKey::from_z85(text.trim())
        .map_err(|e| CliError::usage(format!("{flag}: not a Z85 public key: {e}")))
}

/// Parses a Z85 secret key given to `flag` (never echoing it).
fn secret_key(flag: &str, text: &str) -> CliResult<SecretKey> {
    SecretKey::from_z85(text.trim())
        .map_err(|e| CliError::usage(format!("{flag}: not a Z85 secret key: {e}")))
}

/// Parses a PLAIN users file: `user:password` a line, the password being everything after the
/// first `:`; empty lines and lines starting with `#` are skipped.
fn parse_users(text: &str) -> Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let mut users = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((user, password)) = line.split_once(':') else {
            return Err(format!("line {}: expected user:password", number + 1));
        };
        users.insert(user.as_bytes().to_vec(), password.as_bytes().to_vec());
    }
    if users.is_empty() {
        return Err("no users".into());
    }
    Ok(users)
}

/// The PLAIN authenticator: the user must be listed with this password.
fn check_plain(users: &HashMap<Vec<u8>, Vec<u8>>, request: &AuthRequest) -> AuthDecision {
    match &request.credentials {
        Credentials::Plain { username, password } => match users.get(&username[..]) {
            Some(expected) if equal_in_constant_time(expected, password.expose()) => {
                AuthDecision::allow_as(username.clone())
            }
            _ => AuthDecision::deny(),
        },
        _ => AuthDecision::deny(),
    }
}

/// Compares two byte strings without an early exit on the first difference.
fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(items: &[&str]) -> CliResult<SecurityFlags> {
        let mut args = Args::new(items.iter().map(|s| s.to_string()));
        let mut flags = SecurityFlags::default();
        while let Some(crate::args::Arg::Flag(flag)) = args.next_arg() {
            assert!(
                flags.accept(&flag, &mut args)?,
                "{} is a security flag",
                flag.name
            );
        }
        Ok(flags)
    }

    const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
    const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

    #[test]
    fn roles() {
        assert_eq!(flags(&[]).unwrap().role().unwrap(), Role::Null);
        let client = flags(&["--plain-user", "u", "--plain-password", "p"]).unwrap();
        assert_eq!(client.role().unwrap(), Role::Client);
        let server = flags(&["--curve-server", "--curve-secret-key", SERVER_SECRET]).unwrap();
        assert_eq!(server.role().unwrap(), Role::Server);
        let both = flags(&["--plain-user", "u", "--curve-server"]).unwrap();
        assert!(matches!(both.role(), Err(CliError::Usage(_))));
    }

    #[test]
    fn options_for_each_role() {
        use zmtp_tokio::Security;
        let o = |f: SecurityFlags| f.apply(Options::default()).map(|o| o.security);
        assert!(matches!(
            o(flags(&["--plain-user", "u", "--plain-password", "p"]).unwrap()),
            Ok(Security::PlainClient(_))
        ));
        assert!(o(flags(&["--plain-user", "u"]).unwrap()).is_err());
        assert!(
            o(flags(&["--plain-server"]).unwrap()).is_err(),
            "needs a users file"
        );
        let Ok(Security::CurveServer { keys }) = o(flags(&[
            "--curve-server",
            "--curve-secret-key",
            SERVER_SECRET,
            "--curve-allow",
            CLIENT_PUBLIC,
        ])
        .unwrap()) else {
            panic!("CURVE server expected")
        };
        assert_eq!(keys.public().to_z85(), SERVER_PUBLIC);
        let Ok(Security::CurveClient { server_key, keys }) = o(flags(&[
            "--curve-server-key",
            SERVER_PUBLIC,
            "--curve-public-key",
            CLIENT_PUBLIC,
            "--curve-secret-key",
            CLIENT_SECRET,
        ])
        .unwrap()) else {
            panic!("CURVE client expected")
        };
        assert_eq!(server_key.to_z85(), SERVER_PUBLIC);
        assert_eq!(
            keys.expect("the given pair").public().to_z85(),
            CLIENT_PUBLIC
        );
        // A public key that is not the secret key's.
        assert!(o(flags(&[
            "--curve-server-key",
            SERVER_PUBLIC,
            "--curve-public-key",
            SERVER_PUBLIC,
            "--curve-secret-key",
            CLIENT_SECRET,
        ])
        .unwrap())
        .is_err());
        assert!(o(flags(&["--curve-server-key", "short"]).unwrap()).is_err());
        assert!(matches!(
            o(flags(&["--curve-server-key", SERVER_PUBLIC]).unwrap()),
            Ok(Security::CurveClient { .. })
        ));
    }

    #[test]
    fn users_file() {
        let users = parse_users("# comment\nalice:won:derland\r\n\nbob:\n").unwrap();
        assert_eq!(users[&b"alice"[..]], b"won:derland");
        assert_eq!(users[&b"bob"[..]], b"");
        assert!(parse_users("nobody\n").is_err());
        assert!(parse_users("\n# only comments\n").is_err());
    }

    #[test]
    fn constant_time_comparison() {
        assert!(equal_in_constant_time(b"abc", b"abc"));
        assert!(!equal_in_constant_time(b"abc", b"abd"));
        assert!(!equal_in_constant_time(b"abc", b"ab"));
    }
}
