//! What the runner and the Rust peer drivers share: the driver protocol (`PROTOCOL.md`) and
//! the fixed CURVE keys every driver knows.

pub mod command;
pub mod peer_loop;

/// libzmq's test keys (`tests/testutil_security.hpp`): fixed, so that no driver has to be
/// told a key and the Python and Java drivers can hard-code the same four strings.
pub mod keys {
    /// The CURVE server's public key, Z85.
    pub const SERVER_PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    /// The CURVE server's secret key, Z85.
    pub const SERVER_SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
    /// The CURVE client's public key, Z85.
    pub const CLIENT_PUBLIC: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    /// The CURVE client's secret key, Z85.
    pub const CLIENT_SECRET: &str = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
    /// PLAIN credentials.
    pub const USERNAME: &str = "admin";
    /// PLAIN credentials.
    pub const PASSWORD: &str = "secret";
}

/// The last frame of the last message of every scenario: a driver stops after passing it on.
pub const END: &[u8] = b"END";

/// How long a driver waits in one send or receive before it reports a failure.
pub const DRIVER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
