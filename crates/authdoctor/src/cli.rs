//! Command-line arguments. `check` takes curl's own option names so a failing curl command can be
//! diagnosed by replacing `curl` with `authdoctor check`.

use crate::exit;
use authdoctor_core::input::{AuthMethod, CurlOptions, DataArg, DataKind};
use authdoctor_core::model::HttpVersionPref;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "authdoctor",
    version,
    about = "Diagnose, fix and prevent HTTP 401 Unauthorized errors",
    long_about = "Send the failing request (or read it from a curl line or a HAR file), collect the evidence that explains the answer, and rank the causes, most likely first, with the fix for each.",
    after_long_help = exit::help_table()
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose a request: curl-style flags and a URL, --curl 'curl …', or --har FILE.
    Check(Box<CheckArgs>),
    /// Print the documentation of a cause: what it detects, why, evidence, fix, example.
    Explain(ExplainArgs),
    /// Run the diagnosis against an in-process demo API and issuer on 127.0.0.1.
    Demo(DemoArgs),
    /// Show profiles and configuration: every effective value and which source won.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Obtain, show or revoke a profile's access token (cached per profile, mode 0600).
    #[command(subcommand)]
    Token(crate::commands::token::TokenCommand),
    /// Run a command with a fresh token in environment variables (never on its command line).
    Exec(crate::commands::exec::ExecArgs),
    /// A local reverse proxy that injects a fresh Authorization header into every request.
    Proxy(crate::commands::proxy::ProxyArgs),
    /// Find the smallest set of the profile's scopes with which a request succeeds.
    Scopes(crate::commands::scopes::ScopesArgs),
    /// Check the lifetimes of every profile's tokens and credentials (exit code, JSON or
    /// OpenMetrics for CI and monitoring).
    Watch(crate::commands::watch::WatchArgs),
    /// Write a copy of a HAR file that is safe to share: every credential redacted.
    Redact(crate::commands::redact::RedactArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(crate::commands::generate::CompletionsArgs),
    /// Print the man page (roff), every subcommand included.
    Manpage(crate::commands::generate::ManpageArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Every effective value of a profile, where it came from, and what it overrode.
    Show(ConfigShowArgs),
    /// Write a profile from the issuer's discovery document (secret references only).
    Init(ConfigInitArgs),
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    /// The OAuth/OIDC issuer; its metadata is read (RFC 8414, then OpenID Connect discovery).
    #[arg(long, value_name = "URL")]
    pub issuer: String,
    /// Name of the profile to write.
    #[arg(long, default_value = "default", value_name = "NAME")]
    pub profile: String,
    /// The OAuth client.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The environment variable that will hold the client secret (its name, not its value).
    #[arg(long, value_name = "VAR", conflicts_with = "client_secret_file")]
    pub client_secret_env: Option<String>,
    /// The file that holds the client secret (keep it chmod 600).
    #[arg(long, value_name = "PATH")]
    pub client_secret_file: Option<String>,
    /// RFC 8707 resource indicator requested with every token.
    #[arg(long, value_name = "URL")]
    pub resource: Option<String>,
    /// A scope to request (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// Write ./authdoctor.toml (the project file, meant to be committed) instead of the user
    /// file ($XDG_CONFIG_HOME/authdoctor/config.toml).
    #[arg(long)]
    pub project: bool,
    /// Replace the profile when it already exists.
    #[arg(long)]
    pub force: bool,
    /// Read the discovery document over plain http from a host other than loopback.
    #[arg(long)]
    pub allow_http_issuer: bool,
}

#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// Profile name (default: AUTHDOCTOR_PROFILE, the profile matching --host, default_profile).
    #[arg(long)]
    pub profile: Option<String>,
    /// Pick the profile whose api_base/hosts match this host (as `check` does with its URL).
    #[arg(long)]
    pub host: Option<String>,
    /// Project config file (default: authdoctor.toml in this directory or the nearest parent).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format; json is one object (check: one per line when a HAR gives several entries).
    #[arg(long, value_enum, default_value = "human", global = true)]
    pub format: Format,
    /// Colour: auto (TTY and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Cause id, e.g. token-expired.
    pub id: Option<String>,
    /// List every cause id with a one-line summary.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Input")]
pub struct CheckArgs {
    /// The request URL (as for curl).
    pub url: Option<String>,
    /// A whole curl command line to diagnose; '-' reads it from stdin.
    #[arg(long, value_name = "LINE", conflicts_with_all = ["url", "har"])]
    pub curl: Option<String>,
    /// A browser HAR file: diagnoses its 401/403 entries offline.
    #[arg(long, value_name = "FILE", conflicts_with = "url")]
    pub har: Option<String>,
    /// With --har: the entry to diagnose (0-based index in log.entries).
    #[arg(long, value_name = "N", requires = "har")]
    pub entry: Option<usize>,
    /// With --har: only entries whose URL contains this text.
    #[arg(long = "url", value_name = "SUBSTR", requires = "har")]
    pub url_filter: Option<String>,
    /// With --har: send the recorded request again instead of analysing the recording.
    #[arg(long, requires = "har")]
    pub replay: bool,
    /// Allow sending a request whose method is not safe (POST, PUT, PATCH, DELETE: anything but
    /// GET, HEAD, OPTIONS, TRACE) again: with --replay, with the differential probes, with --fix.
    #[arg(long)]
    pub allow_replay: bool,
    /// An NTP server to compare clocks with, HOST[:PORT] (repeatable): says which clock is off.
    #[arg(long = "ntp", value_name = "HOST[:PORT]", help_heading = "Probes")]
    pub ntp: Vec<String>,
    /// Do not run the differential probes (without credentials, direct, cache-bust, DNS,
    /// client certificate, moved credential).
    #[arg(long, help_heading = "Probes")]
    pub no_probes: bool,
    /// A DPoP private key (JWK or PEM; EC P-256, Ed25519 or RSA): authdoctor signs a fresh
    /// proof for every request sent with 'Authorization: DPoP …' (and answers one nonce
    /// challenge). Without it, a DPoP header given with -H is diagnosed as sent, once.
    #[arg(long = "dpop-key", value_name = "FILE")]
    pub dpop_key: Option<String>,
    #[command(flatten)]
    pub idp: IdpArgs,
    /// Apply the automatic fixes of the diagnosis, send the request again and report before and
    /// after; exit 0 only when the re-sent request succeeds. New tokens come from --profile.
    #[arg(long, help_heading = "Fix")]
    pub fix: bool,

    #[command(flatten)]
    pub curl_flags: CurlFlags,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Identity-provider checks: the token against its issuer and the API's expectations.
#[derive(Debug, Args, Default, Clone)]
#[command(next_help_heading = "Issuer")]
pub struct IdpArgs {
    /// The issuer to check the token against (default: the token's iss, else the profile's).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<String>,
    /// The audience the API expects (repeatable: any one).
    #[arg(long = "expect-aud", value_name = "AUD")]
    pub expect_aud: Vec<String>,
    /// The issuer the API trusts (repeatable: any one).
    #[arg(long = "expect-iss", value_name = "ISS")]
    pub expect_iss: Vec<String>,
    /// A scope the API requires (repeatable: all of them).
    #[arg(long = "expect-scope", value_name = "SCOPE")]
    pub expect_scope: Vec<String>,
    /// Environment variable holding the HS256/384/512 secret, to verify HS* tokens.
    #[arg(long = "hs-secret-env", value_name = "VAR")]
    pub hs_secret_env: Option<String>,
    /// Fetch discovery/JWKS/metadata over plain http from hosts other than loopback.
    #[arg(long)]
    pub allow_http_issuer: bool,
    /// The profile with this API's expectations (default: chosen by the request's host).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Write an evidence bundle for the API owner (redacted request/response, verification
    /// results, clocks) to FILE.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<String>,
    /// Do not contact the issuer or fetch the resource's metadata.
    #[arg(long)]
    pub no_issuer: bool,
}

/// curl's options, same names and meaning.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "curl options")]
pub struct CurlFlags {
    /// Request method.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub request: Option<String>,
    /// Extra header, 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub header: Vec<String>,
    /// POST data (@file reads a file).
    #[arg(
        short = 'd',
        long = "data",
        visible_alias = "data-ascii",
        value_name = "DATA"
    )]
    pub data: Vec<String>,
    /// POST data, no @file processing.
    #[arg(long = "data-raw", value_name = "DATA")]
    pub data_raw: Vec<String>,
    /// POST data, @file read verbatim.
    #[arg(long = "data-binary", value_name = "DATA")]
    pub data_binary: Vec<String>,
    /// POST data, URL-encoded.
    #[arg(long = "data-urlencode", value_name = "DATA")]
    pub data_urlencode: Vec<String>,
    /// JSON body (sets Content-Type and Accept).
    #[arg(long = "json", value_name = "DATA")]
    pub json: Vec<String>,
    /// Send data as a GET query string.
    #[arg(short = 'G', long = "get")]
    pub get: bool,
    /// HEAD request.
    #[arg(short = 'I', long = "head")]
    pub head: bool,
    /// Server user and password (Basic unless --digest).
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    pub user: Option<String>,
    /// Use HTTP Basic (the default with -u).
    #[arg(long)]
    pub basic: bool,
    /// Use HTTP Digest with -u.
    #[arg(long)]
    pub digest: bool,
    /// Let the server's challenge pick the method.
    #[arg(long)]
    pub anyauth: bool,
    /// Bearer token for the Authorization header.
    #[arg(long = "oauth2-bearer", value_name = "TOKEN")]
    pub oauth2_bearer: Option<String>,
    /// User-Agent header.
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    pub user_agent: Option<String>,
    /// Referer header.
    #[arg(short = 'e', long = "referer", value_name = "URL")]
    pub referer: Option<String>,
    /// Cookies, 'name=value; name2=value2' (repeatable).
    #[arg(short = 'b', long = "cookie", value_name = "DATA")]
    pub cookie: Vec<String>,
    /// Proxy URL.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    pub proxy: Option<String>,
    /// Proxy user and password.
    #[arg(short = 'U', long = "proxy-user", value_name = "USER:PASSWORD")]
    pub proxy_user: Option<String>,
    /// Hosts that bypass the proxy.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,
    /// Connect to ADDR for HOST:PORT instead of asking DNS (curl's --resolve). Repeatable.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Connect to HOST2:PORT2 for requests to HOST1:PORT1 (curl's --connect-to; the port
    /// cannot change). Repeatable.
    #[arg(long = "connect-to", value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
    /// CA certificate bundle (PEM) to verify the server.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<String>,
    /// Client certificate (PEM).
    #[arg(short = 'E', long = "cert", value_name = "FILE")]
    pub cert: Option<String>,
    /// Client private key (PEM).
    #[arg(long, value_name = "FILE")]
    pub key: Option<String>,
    /// Accept an untrusted server certificate.
    #[arg(short = 'k', long)]
    pub insecure: bool,
    /// Seconds allowed for connecting.
    #[arg(long = "connect-timeout", value_name = "SECONDS")]
    pub connect_timeout: Option<f64>,
    /// Seconds allowed for the whole exchange.
    #[arg(short = 'm', long = "max-time", value_name = "SECONDS")]
    pub max_time: Option<f64>,
    /// Follow redirects that re-send a method other than GET, HEAD, OPTIONS, TRACE (307/308);
    /// authdoctor follows and records the others either way.
    #[arg(short = 'L', long = "location")]
    pub location: bool,
    /// Send credentials to redirect targets on other hosts too.
    #[arg(long = "location-trusted")]
    pub location_trusted: bool,
    /// Sign the request with AWS SigV4 (`aws:amz[:REGION[:SERVICE]]`, keys from -u or AWS_* variables).
    #[arg(long = "aws-sigv4", value_name = "PROVIDER")]
    pub aws_sigv4: Option<String>,
    /// Use HTTP/1.1.
    #[arg(long = "http1.1")]
    pub http1_1: bool,
    /// Use HTTP/2.
    #[arg(long = "http2")]
    pub http2: bool,
    /// Ask for a compressed response.
    #[arg(long)]
    pub compressed: bool,
    /// Accepted for curl compatibility; no effect (-s, -S, -v, -i).
    #[arg(short = 's', long = "silent", hide = true)]
    pub silent: bool,
    #[arg(short = 'S', long = "show-error", hide = true)]
    pub show_error: bool,
    #[arg(short = 'v', long = "verbose", hide = true)]
    pub verbose: bool,
    #[arg(short = 'i', long = "include", hide = true)]
    pub include: bool,
}

impl CurlFlags {
    /// Into curl's option model. `m` gives argument positions, so data flags of different kinds
    /// keep the order they had on the command line, as curl joins them.
    pub fn into_options(self, url: Option<String>, m: &ArgMatches) -> CurlOptions {
        let mut data: Vec<(usize, DataArg)> = Vec::new();
        for (id, kind, values) in [
            ("data", DataKind::Ascii, &self.data),
            ("data_raw", DataKind::Raw, &self.data_raw),
            ("data_binary", DataKind::Binary, &self.data_binary),
            ("data_urlencode", DataKind::UrlEncode, &self.data_urlencode),
            ("json", DataKind::Json, &self.json),
        ] {
            let idx: Vec<usize> = m.indices_of(id).map(|i| i.collect()).unwrap_or_default();
            for (n, v) in values.iter().enumerate() {
                data.push((
                    idx.get(n).copied().unwrap_or(usize::MAX),
                    DataArg {
                        kind,
                        value: v.clone(),
                    },
                ));
            }
        }
        data.sort_by_key(|(i, _)| *i);
        let mut ignored = Vec::new();
        for (on, name) in [
            (self.silent, "-s"),
            (self.show_error, "-S"),
            (self.verbose, "-v"),
            (self.include, "-i"),
        ] {
            if on {
                ignored.push(name.to_string());
            }
        }
        CurlOptions {
            url,
            method: self.request,
            headers: self.header,
            data: data.into_iter().map(|(_, d)| d).collect(),
            user: self.user,
            auth_method: if self.digest {
                AuthMethod::Digest
            } else if self.anyauth {
                AuthMethod::Any
            } else {
                AuthMethod::Basic
            },
            oauth2_bearer: self.oauth2_bearer,
            user_agent: self.user_agent,
            referer: self.referer,
            cookies: self.cookie,
            proxy: self.proxy,
            proxy_user: self.proxy_user,
            noproxy: self.noproxy,
            resolve: self.resolve,
            connect_to: self.connect_to,
            cacert: self.cacert,
            cert: self.cert,
            key: self.key,
            insecure: self.insecure,
            connect_timeout: self.connect_timeout,
            max_time: self.max_time,
            location: self.location,
            location_trusted: self.location_trusted,
            get: self.get,
            head: self.head,
            aws_sigv4: self.aws_sigv4,
            http_version: if self.http2 {
                HttpVersionPref::Http2
            } else if self.http1_1 {
                HttpVersionPref::Http1
            } else {
                HttpVersionPref::Any
            },
            compressed: self.compressed,
            ignored,
        }
    }
}

/// The parsed command line plus the raw matches (for argument order).
pub struct Parsed {
    pub cli: Cli,
    pub matches: ArgMatches,
}

/// Parse arguments. Usage errors print one line and a hint and give exit code 2; help and
/// version print normally and give 0.
pub fn parse() -> Result<Parsed, i32> {
    let cmd = Cli::command();
    let matches = match cmd.try_get_matches() {
        Ok(m) => m,
        Err(e) => return Err(clap_error(e)),
    };
    match Cli::from_arg_matches(&matches) {
        Ok(cli) => Ok(Parsed { cli, matches }),
        Err(e) => Err(clap_error(e)),
    }
}

fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                exit::USAGE
            } else {
                exit::OK
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let first = first.trim_start_matches("error: ");
            crate::out::errln!("authdoctor: error: {first}");
            crate::out::errln!("hint: see `authdoctor --help` or `authdoctor check --help`");
            exit::USAGE
        }
    }
}
