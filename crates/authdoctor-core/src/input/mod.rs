//! Input: the three ways a user gives us the failing request — curl-style flags, a pasted curl
//! command line, or a browser HAR file — all turned into one [`crate::model::RequestSpec`].
//!
//! [`CurlOptions`] is the shared shape: [`curl`] holds the one table of curl's options and
//! applies them, for a pasted command line and for the CLI's curl-style flags alike, and
//! [`CurlOptions::into_request`] (in [`request`]) applies curl's own semantics (method defaults,
//! `-u` → Basic, `-G`, `-b`, …). [`har`] reads HAR files, whose
//! entries carry a recorded exchange as well as the request.

pub mod curl;
pub mod har;
pub mod pins;
pub mod request;

use thiserror::Error;

/// Why the input could not be understood. Each renders as one line for the user.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum InputError {
    #[error("curl command line: {0}")]
    CurlSyntax(String),
    #[error("curl option {option} is not supported by authdoctor{hint}")]
    UnsupportedCurlOption { option: String, hint: String },
    #[error("curl option {0} needs a value")]
    MissingOptionValue(String),
    #[error("no URL given")]
    MissingUrl,
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid header {0:?}: expected 'Name: value'")]
    InvalidHeader(String),
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("HAR file: {0}")]
    Har(String),
    #[error("{0}")]
    Other(String),
}

/// How a `-d`-family argument is treated, per curl's man page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// `-d`/`--data`/`--data-ascii`: `@file` reads a file and strips CR/LF.
    Ascii,
    /// `--data-raw`: no `@` processing.
    Raw,
    /// `--data-binary`: `@file` read verbatim.
    Binary,
    /// `--data-urlencode`: `name=content`, `=content`, `name@file` forms, URL-encoded.
    UrlEncode,
    /// `--json`: like `--data-binary` plus JSON content-type/accept headers.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataArg {
    pub kind: DataKind,
    pub value: String,
}

/// curl's authentication method flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMethod {
    #[default]
    Basic,
    Digest,
    Ntlm,
    Negotiate,
    Any,
}

/// The options of one curl invocation that matter to authdoctor, in curl's own terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurlOptions {
    pub url: Option<String>,
    /// `-X/--request`
    pub method: Option<String>,
    /// `-H/--header` values as given, `Name: value` (also `Name;` for an empty value).
    pub headers: Vec<String>,
    /// `-d`, `--data-raw`, `--data-binary`, `--data-urlencode`, `--json`, in order.
    pub data: Vec<DataArg>,
    /// `-u/--user user[:password]`
    pub user: Option<String>,
    pub auth_method: AuthMethod,
    /// `--oauth2-bearer`
    pub oauth2_bearer: Option<String>,
    /// `-A/--user-agent`
    pub user_agent: Option<String>,
    /// `-e/--referer`
    pub referer: Option<String>,
    /// `-b/--cookie` (a `name=value` string; a file name is not read)
    pub cookies: Vec<String>,
    /// `-x/--proxy`
    pub proxy: Option<String>,
    /// `-U/--proxy-user`
    pub proxy_user: Option<String>,
    /// `--noproxy`
    pub noproxy: Option<String>,
    /// `--resolve HOST:PORT:ADDR` (repeatable)
    pub resolve: Vec<String>,
    /// `--connect-to HOST1:PORT1:HOST2:PORT2` (repeatable)
    pub connect_to: Vec<String>,
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    /// `-k/--insecure`
    pub insecure: bool,
    /// `--connect-timeout` seconds
    pub connect_timeout: Option<f64>,
    /// `-m/--max-time` seconds
    pub max_time: Option<f64>,
    /// `-L/--location`
    pub location: bool,
    /// `--location-trusted`
    pub location_trusted: bool,
    /// `-G/--get`: data goes to the query string.
    pub get: bool,
    /// `-I/--head`
    pub head: bool,
    /// `--aws-sigv4 provider1[:provider2[:region[:service]]]`
    pub aws_sigv4: Option<String>,
    /// `--http1.1` / `--http2`
    pub http_version: crate::model::HttpVersionPref,
    /// `--compressed` (adds Accept-Encoding)
    pub compressed: bool,
    /// Flags accepted but without effect on the diagnosis (`-s`, `-v`, …), for the notes.
    pub ignored: Vec<String>,
}
