//! Exit codes and error rendering: the one place an error reaches the user. Each error is one
//! line on stderr (`authdoctor: error: …`) plus, where it helps, one `hint:` line.
//!
//! [`Code`] is the one table of exit codes, meanings included: every command returns one of
//! them (`exec` passes its command's own code through), and the README's "Exit codes" table is
//! checked against [`Code::ALL`] by a test.

use authdoctor_core::diagnosis::Outcome;
use authdoctor_core::input::InputError;
use authdoctor_net::send::NetError;
use authdoctor_tokens::TokenError;
use authdoctor_tokens::init::InitError;
use authdoctor_tokens::session::SessionError;

/// Every exit code authdoctor itself chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Ok,
    AuthFailure,
    Usage,
    Unreachable,
    OtherFailure,
    /// `watch` only: nothing has expired, but something will within `--warn`.
    Expiring,
    /// stdout was closed by its reader: the number a shell gives a process killed by SIGPIPE.
    ClosedPipe,
}

impl Code {
    /// The table, in numeric order.
    pub const ALL: [Code; 7] = [
        Code::Ok,
        Code::AuthFailure,
        Code::Usage,
        Code::Unreachable,
        Code::OtherFailure,
        Code::Expiring,
        Code::ClosedPipe,
    ];

    /// The number the process exits with.
    pub const fn value(self) -> i32 {
        match self {
            Code::Ok => 0,
            Code::AuthFailure => 1,
            Code::Usage => 2,
            Code::Unreachable => 3,
            Code::OtherFailure => 4,
            Code::Expiring => 5,
            Code::ClosedPipe => 141,
        }
    }

    /// What the code means, as documented (one README table row).
    pub const fn meaning(self) -> &'static str {
        match self {
            Code::Ok => "the request succeeded (or the command did its job)",
            Code::AuthFailure => {
                "an authentication or authorization failure was diagnosed: 401, 403, 407, and any other 4xx (400, 422, …) whose statement is about the credential or whose request without credentials is challenged; `watch`: a credential has expired; `scopes`: the request fails even with every scope"
            }
            Code::Usage => {
                "usage or input error: bad flags, malformed curl line, broken HAR, bad URL, unreadable token file or config; stdout could not be written"
            }
            Code::Unreachable => {
                "the server could not be reached: DNS, connection, TLS, timeout, proxy"
            }
            Code::OtherFailure => {
                "the request failed for a reason that is not authentication (404, 500, a redirect loop, …)"
            }
            Code::Expiring => "`watch`: a credential expires within `--warn` (none has expired)",
            Code::ClosedPipe => {
                "stdout was closed early (e.g. piped into `head`): output stopped there, as a shell reports a SIGPIPE death"
            }
        }
    }

    /// The README table row: `| code | meaning |`.
    #[cfg(test)]
    fn markdown_row(self) -> String {
        format!("| {} | {} |", self.value(), self.meaning())
    }
}

/// The table for `authdoctor --help` (and the man page).
pub fn help_table() -> String {
    let mut s = String::from("Exit codes:\n");
    for c in Code::ALL {
        s.push_str(&format!(
            "  {:>3}  {}\n",
            c.value(),
            c.meaning().replace('`', "")
        ));
    }
    s.push_str(
        "  `authdoctor exec` exits with its command's own code."
            .replace('`', "")
            .as_str(),
    );
    s
}

pub const OK: i32 = Code::Ok.value();
pub const AUTH_FAILURE: i32 = Code::AuthFailure.value();
pub const USAGE: i32 = Code::Usage.value();
pub const UNREACHABLE: i32 = Code::Unreachable.value();
pub const OTHER_FAILURE: i32 = Code::OtherFailure.value();
pub const EXPIRING: i32 = Code::Expiring.value();
pub const CLOSED_PIPE: i32 = Code::ClosedPipe.value();

/// Every error the commands can end with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Net(#[from] NetError),
    /// A profile's configuration, caches or HTTP client.
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Init(#[from] InitError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

impl CliError {
    fn code(&self) -> i32 {
        match self {
            CliError::Input(_) | CliError::Usage(_) | CliError::Io(_) => USAGE,
            CliError::Session(_) => USAGE,
            // An issuer that answered with something else is a wrong URL, not a network problem.
            CliError::Init(e @ InitError::Discovery(_)) if !e.issuer_answered() => UNREACHABLE,
            CliError::Init(_) => USAGE,
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

/// The exit code for a token request that failed without a refusal to diagnose: the issuer not
/// reached, else the profile or its secrets.
pub fn for_token_error(e: &TokenError) -> i32 {
    match e {
        TokenError::Transport { .. } | TokenError::Discovery { .. } => UNREACHABLE,
        _ => USAGE,
    }
}

/// The exit code for a finished diagnosis.
pub fn for_outcome(o: Outcome) -> i32 {
    match o {
        Outcome::Ok => OK,
        Outcome::Unauthorized | Outcome::Forbidden => AUTH_FAILURE,
        Outcome::Error => OTHER_FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_in_order() {
        let v: Vec<i32> = Code::ALL.iter().map(|c| c.value()).collect();
        assert!(v.windows(2).all(|w| w[0] < w[1]), "{v:?}");
        assert!(v.iter().all(|c| (0..=255).contains(c)), "{v:?}");
    }

    /// The README's "Exit codes" table lists exactly [`Code::ALL`], row for row.
    #[test]
    fn readme_exit_codes_table_is_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let section = readme
            .split("\n### Exit codes\n")
            .nth(1)
            .expect("an \"### Exit codes\" section");
        let section = section.split("\n#").next().unwrap_or(section);
        let rows: Vec<&str> = section
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("| ") && !l.starts_with("| code "))
            .collect();
        let expected: Vec<String> = Code::ALL.iter().map(|c| c.markdown_row()).collect();
        assert_eq!(
            rows, expected,
            "README.md's exit codes differ from exit::Code"
        );
    }
}
