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
//! collector or a scrape wrapper (`authdoctor_tokens::openmetrics`).

use crate::cli::ColorChoice;
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::time::{human_duration, now_unix};
use authdoctor_tokens::{session, status};
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

pub fn run(a: WatchArgs) -> Result<i32, CliError> {
    let layers = super::config::layers(a.config.as_deref())?;
    let cache = session::file_cache()?;
    // `[cache] redis`: each profile's record there (key, TTL), looked up under one runtime.
    let table = authdoctor_core::profile::cache_table(&layers);
    let fleet = session::shared_cache(table.as_ref(), None)?;
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
        crate::out::write_generated(&authdoctor_tokens::openmetrics::render(&doc.profiles));
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
