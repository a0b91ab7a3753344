//! `authdoctor watch`: the lifetimes of every profile's credentials, for cron and CI — the
//! cached access token (renewed automatically, so informational), the refresh token (its
//! `refresh_expires_in`, or its own `exp` when it is a JWT), the client secret (its
//! `client_secret_expires_at` when the profile's issuer told us at registration, else unknown),
//! and a client certificate file when `AUTHDOCTOR_CLIENT_CERT` names one.
//!
//! Exit codes: 0 all fine, 1 something expired, 5 something expires within `--warn`.

use crate::cli::{Format, OutputArgs};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::time::{human_duration, now_unix};
use authdoctor_tokens::{FileCache, TokenSet};
use clap::Args;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only this profile (default: every profile in the config files and the cache).
    #[arg(long)]
    pub profile: Option<String>,
    /// Warn about credentials expiring within this many seconds.
    #[arg(long, default_value_t = 7 * 24 * 3600, value_name = "SECONDS")]
    pub warn: i64,
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Exit code when something expires within the warning window.
const EXPIRING: i32 = 5;

fn item(
    what: &str,
    expires_at: Option<i64>,
    now: i64,
    warn: i64,
    renewable: bool,
) -> serde_json::Value {
    let (status, left) = match expires_at {
        None => ("unknown", None),
        Some(e) => {
            let left = e - now;
            let s = if renewable {
                "ok"
            } else if left <= 0 {
                "expired"
            } else if left <= warn {
                "expiring"
            } else {
                "ok"
            };
            (s, Some(left))
        }
    };
    serde_json::json!({"what": what, "expires_at": expires_at, "remaining_seconds": left, "status": status})
}

fn jwt_exp(s: &str) -> Option<i64> {
    match authdoctor_core::token::jwt::analyse(s)? {
        authdoctor_core::token::jwt::JwtAnalysis::Jws(j) => j.time_claim("exp"),
        _ => None,
    }
}

fn cert_not_after(path: &str) -> Option<i64> {
    let mut spec = authdoctor_core::model::RequestSpec::default();
    spec.transport.cert = Some(path.to_string());
    authdoctor_net::probes::read_client_cert(&spec)?.not_after
}

pub fn run(a: WatchArgs) -> Result<i32, CliError> {
    let layers = super::config::layers(a.config.as_deref())?;
    let cache =
        FileCache::open(FileCache::default_dir()).map_err(|e| CliError::Io(e.to_string()))?;
    let mut names: Vec<String> = match &a.profile {
        Some(p) => vec![p.clone()],
        None => {
            let mut v: Vec<String> = [layers.user.as_ref(), layers.project.as_ref()]
                .into_iter()
                .flatten()
                .flat_map(|(_, f)| f.profiles.keys().cloned())
                .chain(cache.profiles())
                .collect();
            v.sort();
            v.dedup();
            v
        }
    };
    names.retain(|n| !n.is_empty());
    let now = now_unix();
    let mut code = exit::OK;
    let mut profiles = Vec::new();
    for name in &names {
        let t: Option<TokenSet> = cache.load(name).ok().flatten();
        let mut items = Vec::new();
        match &t {
            Some(t) => {
                let server_now = t.server_now(now);
                items.push(item("access_token", t.expires_at, server_now, a.warn, true));
                if let Some(rt) = &t.refresh_token {
                    let exp = t.refresh_expires_at.or_else(|| jwt_exp(rt));
                    items.push(item("refresh_token", exp, server_now, a.warn, false));
                }
            }
            None => {
                items.push(serde_json::json!({"what": "access_token", "status": "none cached"}))
            }
        }
        items.push(item("client_secret", None, now, a.warn, false));
        if let Ok(path) = std::env::var("AUTHDOCTOR_CLIENT_CERT") {
            items.push(item(
                "client_certificate",
                cert_not_after(&path),
                now,
                a.warn,
                false,
            ));
        }
        for i in &items {
            match i["status"].as_str() {
                Some("expired") => code = exit::AUTH_FAILURE,
                Some("expiring") if code == exit::OK => code = EXPIRING,
                _ => {}
            }
        }
        profiles.push(serde_json::json!({"profile": name, "items": items}));
    }
    if a.output.format == Format::Json {
        outln!(
            "{}",
            serde_json::json!({
                "version": 1,
                "checked_at": now,
                "store": cache.store_kind(),
                "keyring_unavailable": cache.keyring_unavailable(),
                "profiles": profiles,
            })
        );
    } else {
        outln!("store: {}", cache.store_note());
        if profiles.is_empty() {
            outln!("no profiles configured and no cached tokens");
        }
        for p in &profiles {
            outln!("{}", p["profile"].as_str().unwrap_or(""));
            for i in p["items"].as_array().into_iter().flatten() {
                let left = i["remaining_seconds"].as_i64().map(|l| {
                    if l >= 0 {
                        format!("expires in {}", human_duration(l))
                    } else {
                        format!("expired {} ago", human_duration(-l))
                    }
                });
                outln!(
                    "  {:<20} {:<10} {}",
                    i["what"].as_str().unwrap_or(""),
                    i["status"].as_str().unwrap_or(""),
                    left.unwrap_or_default()
                );
            }
        }
    }
    Ok(code)
}
