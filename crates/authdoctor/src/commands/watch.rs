//! `authdoctor watch`: the lifetimes of every profile's credentials, for cron and CI — the
//! cached access token (renewed automatically, so informational), the refresh token (its
//! `refresh_expires_in`, or its own `exp` when it is a JWT), the client secret (its
//! `client_secret_expires_at` when the profile's issuer told us at registration, else unknown),
//! and a client certificate file when `AUTHDOCTOR_CLIENT_CERT` names one. A `token_file` profile
//! reports its file's token instead (exit 1 only when it has expired: another program renews it).
//!
//! Exit codes ([`crate::exit::Code`]): 0 all fine, 1 something expired, 5 something expires
//! within `--warn`.
//!
//! `--format prometheus` prints the same facts as OpenMetrics text for a node-exporter textfile
//! collector or a scrape wrapper ([`prometheus`]).

use crate::cli::ColorChoice;
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::report::documents::{CredentialKind, WatchProfile};
use authdoctor_core::time::{human_duration, now_unix};
use authdoctor_tokens::FileCache;
use authdoctor_tokens::status;
use clap::Args;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only this profile (default: every profile in the config files and the cache).
    #[arg(long)]
    pub profile: Option<String>,
    /// Warn about credentials expiring within this many seconds.
    #[arg(long, default_value_t = 7 * 24 * 3600, value_name = "SECONDS")]
    pub warn: i64,
    /// Project config file (default: authdoctor.toml here or in a parent directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Output format: human, json, or prometheus (OpenMetrics text).
    #[arg(long, value_enum, default_value = "human")]
    pub format: WatchFormat,
    /// Colour: auto (TTY and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum WatchFormat {
    Human,
    Json,
    /// OpenMetrics text: expiry timestamps per profile (and per credential kind).
    Prometheus,
}

/// A label value in the exposition format: `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// OpenMetrics text for the profiles' items (as built by [`run`]): one gauge family for the
/// access tokens' expiry, one for the other credentials' (labelled by `kind`), each sample only
/// where the expiry is known, then `# EOF`. Timestamps are Unix seconds by the local clock (the
/// issuer's clock is converted with the offset recorded when the token was issued), so an
/// alert can compare them with `time()`.
pub fn prometheus(profiles: &[WatchProfile]) -> String {
    let mut tokens = String::new();
    let mut creds = String::new();
    for p in profiles {
        let name = label(&p.profile);
        let offset = p.server_offset.unwrap_or(0);
        for i in &p.items {
            let Some(exp) = i.expires_at else {
                continue;
            };
            if i.what == CredentialKind::AccessToken {
                tokens.push_str(&format!(
                    "authdoctor_token_expiry_timestamp_seconds{{profile=\"{name}\"}} {}\n",
                    exp - offset
                ));
            } else {
                let local = if i.what == CredentialKind::RefreshToken {
                    exp - offset
                } else {
                    exp
                };
                creds.push_str(&format!(
                    "authdoctor_credential_expiry_timestamp_seconds{{profile=\"{name}\",kind=\"{}\"}} {local}\n",
                    label(i.what.as_str())
                ));
            }
        }
    }
    let mut out = String::new();
    out.push_str("# HELP authdoctor_token_expiry_timestamp_seconds When the profile's cached access token expires (Unix time, local clock).\n");
    out.push_str("# TYPE authdoctor_token_expiry_timestamp_seconds gauge\n");
    out.push_str("# UNIT authdoctor_token_expiry_timestamp_seconds seconds\n");
    out.push_str(&tokens);
    out.push_str("# HELP authdoctor_credential_expiry_timestamp_seconds When a profile's credential expires, by kind (refresh_token, client_secret, client_certificate; Unix time, local clock).\n");
    out.push_str("# TYPE authdoctor_credential_expiry_timestamp_seconds gauge\n");
    out.push_str("# UNIT authdoctor_credential_expiry_timestamp_seconds seconds\n");
    out.push_str(&creds);
    out.push_str("# EOF\n");
    out
}

pub fn run(a: WatchArgs) -> Result<i32, CliError> {
    let layers = super::config::layers(a.config.as_deref())?;
    let cache =
        FileCache::open(FileCache::default_dir()).map_err(|e| CliError::Io(e.to_string()))?;
    // `[cache] redis`: each profile's record there (key, TTL), looked up under one runtime.
    let fleet = super::token::fleet_from(
        authdoctor_core::profile::cache_table(&layers).as_ref(),
        false,
    )?;
    let opts = status::WatchOptions {
        profile: a.profile.clone(),
        warn: a.warn,
        client_cert: std::env::var("AUTHDOCTOR_CLIENT_CERT").ok(),
    };
    let doc = super::runtime()?.block_on(status::watch(
        &layers,
        &cache,
        fleet.as_ref(),
        &opts,
        now_unix(),
    ));
    let code = match status::verdict(&doc.profiles) {
        status::Verdict::Fine => exit::OK,
        status::Verdict::Expiring => exit::EXPIRING,
        status::Verdict::Expired => exit::AUTH_FAILURE,
    };
    if a.format == WatchFormat::Prometheus {
        crate::out::write_generated(&prometheus(&doc.profiles));
        return Ok(code);
    }
    if a.format == WatchFormat::Json {
        outln!("{}", serde_json::to_string(&doc).unwrap_or_default());
    } else {
        match &fleet {
            Some(f) => {
                match f.problem() {
                    Some(why) => outln!(
                        "store: {} unreachable ({why}): using the local cache",
                        f.url()
                    ),
                    None => outln!("store: {} (shared; AES-256-GCM)", f.url()),
                }
                outln!("local: {}", cache.store_note());
            }
            None => outln!("store: {}", cache.store_note()),
        }
        if doc.profiles.is_empty() {
            outln!("no profiles configured and no cached tokens");
        }
        for p in &doc.profiles {
            match &p.token_file {
                Some(f) => outln!("{} (token_file {f})", p.profile),
                None => outln!("{}", p.profile),
            }
            if let Some(d) = p.shared_cache.as_ref().filter(|d| d.is_object()) {
                outln!("  {:<20} {}", "redis", super::token::shared_store_line(d));
            }
            for i in &p.items {
                let left = i.remaining_seconds.map(|l| {
                    if l >= 0 {
                        format!("expires in {}", human_duration(l))
                    } else {
                        format!("expired {} ago", human_duration(-l))
                    }
                });
                outln!(
                    "  {:<20} {:<10} {}",
                    i.what.as_str(),
                    i.status.as_str(),
                    left.unwrap_or_default()
                );
            }
        }
    }
    Ok(code)
}
