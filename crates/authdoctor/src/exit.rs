//! Exit codes and error rendering: the one place an error reaches the user. Each error is one
//! line on stderr (`authdoctor: error: …`) plus, where it helps, one `hint:` line.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | the request succeeded (or the command did its job) |
//! | 1 | an authentication/authorization failure was diagnosed |
//! | 2 | usage or input error (bad flags, curl line, HAR, URL, token file) |
//! | 3 | the server could not be reached (DNS, connect, TLS, timeout, proxy) |
//! | 4 | the request failed for a reason that is not authentication (e.g. 404, 500, a redirect loop) |

use authdoctor_core::diagnosis::Outcome;
use authdoctor_core::input::InputError;
use authdoctor_net::send::NetError;

pub const OK: i32 = 0;
pub const AUTH_FAILURE: i32 = 1;
pub const USAGE: i32 = 2;
pub const UNREACHABLE: i32 = 3;
pub const OTHER_FAILURE: i32 = 4;

/// Every error the commands can end with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

impl CliError {
    fn code(&self) -> i32 {
        match self {
            CliError::Input(_) | CliError::Usage(_) | CliError::Io(_) => USAGE,
            CliError::Net(
                NetError::InvalidRequest(_) | NetError::ClientCert { .. } | NetError::CaCert { .. },
            ) => USAGE,
            CliError::Net(NetError::TooManyRedirects { .. }) => OTHER_FAILURE,
            CliError::Net(_) => UNREACHABLE,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            CliError::Net(NetError::Dns { .. }) => Some("check the host name, your DNS and VPN; authdoctor did not reach the server".into()),
            CliError::Net(NetError::Connect { .. }) => Some("is the server running and the port right? A firewall may also refuse the connection".into()),
            CliError::Net(NetError::Tls { .. }) => Some("use --cacert FILE for a private CA, or -k to inspect an untrusted server anyway".into()),
            CliError::Net(NetError::Timeout { .. }) => Some("raise --max-time / --connect-timeout, or check the network path".into()),
            CliError::Input(InputError::UnsupportedCurlOption { .. }) => Some("run `authdoctor check --help` for the supported curl options".into()),
            CliError::Input(InputError::CurlSyntax(_)) => Some("paste the curl command in single quotes, or pass it on stdin with --curl -".into()),
            _ => None,
        }
    }
}

/// Print the error (one line, plus a hint) and return its exit code.
pub fn report(e: &CliError) -> i32 {
    let msg = e.to_string().replace(['\n', '\r'], " ");
    crate::out::errln!("authdoctor: error: {msg}");
    if let Some(h) = e.hint() {
        crate::out::errln!("hint: {h}");
    }
    e.code()
}

/// The exit code for a finished diagnosis.
pub fn for_outcome(o: Outcome) -> i32 {
    match o {
        Outcome::Ok => OK,
        Outcome::Unauthorized | Outcome::Forbidden => AUTH_FAILURE,
        Outcome::Error => OTHER_FAILURE,
    }
}
