//! Command-line arguments. `check` takes curl's own option names so a failing curl command can be
//! diagnosed by replacing `curl` with `authdoctor check`.

use crate::exit;
use authdoctor_core::input::curl;
use authdoctor_core::input::{CurlOptions, InputError};
use clap::parser::ValueSource;
use clap::{
    Arg, ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};

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

/// curl's options, as core's table describes them ([`curl::OPTIONS`]): one `clap::Arg` per row,
/// and every option given applied by core in command-line order, exactly as in a pasted line.
#[derive(Debug, Default)]
pub struct CurlFlags {
    /// Every curl option given, applied; the URL is `check`'s positional argument.
    options: CurlOptions,
    /// The options given, by name (`-H`, `--json`), in order: `check` refuses them next to
    /// `--curl`, whose line is the whole request.
    pub given: Vec<String>,
}

/// Rows of the table that are not flags of `check`: it has its own `--url` (a HAR filter) and
/// takes the request's URL as its positional argument.
const NOT_FLAGS: &[&str] = &["url"];

fn curl_flag_specs() -> impl Iterator<Item = &'static curl::OptSpec> {
    curl::OPTIONS
        .iter()
        .filter(|o| !NOT_FLAGS.contains(&o.long))
}

/// The `clap::Arg` of one row. Every option may repeat, and flags record each occurrence too,
/// so their positions on the command line are known (later ones win, data joins in order).
fn curl_arg(spec: &'static curl::OptSpec) -> Arg {
    let mut arg = Arg::new(spec.long)
        .long(spec.long)
        .action(ArgAction::Append);
    // `-#` and `-:` stay for pasted lines only: `#` starts a comment in fish's completion
    // script and `:` separates fields in zsh's.
    if let Some(c) = spec.short.filter(char::is_ascii_alphanumeric) {
        arg = arg.short(c);
    }
    if let Some(alias) = spec.alias {
        arg = arg.visible_alias(alias);
    }
    arg = match spec.value_name {
        Some(name) => arg.value_name(name),
        None => arg.num_args(0).default_missing_value(""),
    };
    match spec.help {
        Some(help) => arg.help(help),
        // Hidden from help and the man page; completion scripts still offer it.
        None => arg.hide(true).help(match spec.kind() {
            curl::OptionKind::NoEffect => "Accepted for curl compatibility; no effect",
            curl::OptionKind::Unsupported => "Refused: authdoctor cannot send this request",
            curl::OptionKind::Request => "Same as curl's option",
        }),
    }
}

impl Args for CurlFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.next_help_heading("curl options")
            .args(curl_flag_specs().map(curl_arg))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for CurlFlags {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given: Vec<(usize, &'static curl::OptSpec, Option<&str>)> = Vec::new();
        for spec in curl_flag_specs() {
            if m.value_source(spec.long) != Some(ValueSource::CommandLine) {
                continue;
            }
            let indices = m.indices_of(spec.long).into_iter().flatten();
            if spec.takes_value() {
                let values = m.get_many::<String>(spec.long).into_iter().flatten();
                given.extend(
                    indices
                        .zip(values)
                        .map(|(i, v)| (i, spec, Some(v.as_str()))),
                );
            } else {
                given.extend(indices.map(|i| (i, spec, None)));
            }
        }
        given.sort_by_key(|(i, ..)| *i);
        let mut names: Vec<String> = Vec::new();
        for (_, spec, _) in &given {
            if !names.contains(&spec.name()) {
                names.push(spec.name());
            }
        }
        let options = curl::apply_options(given.into_iter().map(|(_, spec, v)| (spec, v)))
            .map_err(|e| {
                // Not a pasted line here: "curl command line: " would point the user elsewhere.
                let text = match e {
                    InputError::CurlSyntax(m) => m,
                    other => other.to_string(),
                };
                clap::Error::raw(clap::error::ErrorKind::ValueValidation, format!("{text}\n"))
            })?;
        Ok(CurlFlags {
            given: names,
            options,
        })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl CurlFlags {
    /// Into curl's option model, with the request's URL. The options were applied in
    /// command-line order when the arguments were parsed, so `_m` is no longer needed.
    pub fn into_options(self, url: Option<String>, _m: &ArgMatches) -> CurlOptions {
        CurlOptions {
            url,
            ..self.options
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

#[cfg(test)]
mod tests {
    use super::*;
    use authdoctor_core::input::{AuthMethod, DataKind};
    use authdoctor_core::model::HttpVersionPref;

    fn flags(args: &[&str]) -> Result<CurlOptions, clap::Error> {
        let m = Cli::command().try_get_matches_from(["authdoctor", "check"].iter().chain(args))?;
        let Command::Check(check) = Cli::from_arg_matches(&m)?.command else {
            unreachable!("parsed as check");
        };
        let sub = m.subcommand_matches("check").expect("check");
        Ok(check.curl_flags.into_options(check.url, sub))
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_table_row_but_url_is_a_flag_of_check() {
        let cmd = Cli::command();
        let check = cmd.find_subcommand("check").expect("check");
        for spec in curl::OPTIONS {
            // `check --url` is its own (a HAR filter), and `url` its positional argument.
            let arg = check
                .get_arguments()
                .find(|a| a.get_id() == spec.long && a.get_long() == Some(spec.long));
            assert_eq!(arg.is_some(), spec.long != "url", "--{}", spec.long);
            if let Some(arg) = arg {
                let short = spec.short.filter(char::is_ascii_alphanumeric);
                assert_eq!(arg.get_short(), short, "--{}", spec.long);
                assert_eq!(arg.is_hide_set(), spec.help.is_none(), "--{}", spec.long);
            }
        }
    }

    #[test]
    fn flags_apply_in_command_line_order_like_a_pasted_line() {
        let args = [
            "-v",
            "--json",
            "{}",
            "-d",
            "a=1",
            "--digest",
            "-u",
            "u:p",
            "--basic",
            "--http2",
            "--http1.1",
            "-sS",
            "-H",
            "A: 1",
            "-r",
            "5",
            "-X",
            "PUT",
            "-X",
            "PATCH",
            "-o",
            "f",
            "-k",
            "--data-ascii",
            "b",
            "http://h/",
        ];
        let o = flags(&args).expect("parses");
        let line = format!("curl {}", args.map(|a| format!("'{a}'")).join(" "));
        assert_eq!(
            o,
            authdoctor_core::input::curl::parse_curl_line(&line).expect("parses")
        );
        let kinds: Vec<DataKind> = o.data.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DataKind::Json, DataKind::Ascii, DataKind::Ascii]);
        assert_eq!(o.auth_method, AuthMethod::Basic);
        assert_eq!(o.http_version, HttpVersionPref::Http1);
        assert_eq!(o.method.as_deref(), Some("PATCH"));
        assert_eq!(o.headers, ["A: 1", "Range: bytes=5-"]);
        assert_eq!(o.ignored, ["-v", "-s", "-S", "-o"]);
        assert!(o.insecure);
    }

    #[test]
    fn refused_options_and_bad_values_are_usage_errors_naming_the_option() {
        let e = flags(&["-F", "a=b", "http://h/"]).expect_err("refused");
        assert!(
            e.to_string().contains("curl option -F is not supported"),
            "{e}"
        );
        let e = flags(&["-m", "s3cr3t", "http://h/"]).expect_err("bad number");
        let text = e.to_string();
        assert!(
            text.contains("-m expects") && !text.contains("s3cr3t"),
            "{text}"
        );
        assert!(!text.contains("curl command line"), "{text}");
    }
}
