//! `authdoctor watch`: the lifetimes of every profile's credentials, for cron and CI — the
//! cached access token (renewed automatically, so informational), the refresh token (its
//! `refresh_expires_in`, or its own `exp` when it is a JWT), the client secret (its
//! `client_secret_expires_at` when the profile's issuer told us at registration, else unknown),
//! and a client certificate file when `AUTHDOCTOR_CLIENT_CERT` names one. A `token_file` profile
//! reports its file's token instead (exit 1 only when it has expired: another program renews it).
//!
//! Exit codes: 0 all fine, 1 something expired, 5 something expires within `--warn`.
//!
//! `--format prometheus` prints the same facts as OpenMetrics text for a node-exporter textfile
//! collector or a scrape wrapper ([`prometheus`]).

use crate::cli::ColorChoice;
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
pub fn prometheus(profiles: &[serde_json::Value], _now: i64) -> String {
    let mut tokens = String::new();
    let mut creds = String::new();
    for p in profiles {
        let name = label(p["profile"].as_str().unwrap_or_default());
        let offset = p["server_offset"].as_i64().unwrap_or(0);
        for i in p["items"].as_array().into_iter().flatten() {
            let Some(exp) = i["expires_at"].as_i64() else {
                continue;
            };
            let what = i["what"].as_str().unwrap_or_default();
            if what == "access_token" {
                tokens.push_str(&format!(
                    "authdoctor_token_expiry_timestamp_seconds{{profile=\"{name}\"}} {}\n",
                    exp - offset
                ));
            } else {
                let local = if what == "refresh_token" {
                    exp - offset
                } else {
                    exp
                };
                creds.push_str(&format!(
                    "authdoctor_credential_expiry_timestamp_seconds{{profile=\"{name}\",kind=\"{}\"}} {local}\n",
                    label(what)
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
    // `[cache] redis`: each profile's record there (key, TTL), looked up under one runtime.
    let fleet = super::token::fleet_from(
        authdoctor_core::profile::cache_table(&layers).as_ref(),
        false,
    )?;
    let rt = match &fleet {
        Some(_) => Some(super::runtime()?),
        None => None,
    };
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
        // A token_file profile: its file is the token (rotated by another program), so only an
        // expired one is a problem, and there is no client secret to watch.
        let token_file = authdoctor_core::profile::resolve(&layers, Some(name), None)
            .ok()
            .and_then(|e| e.str("token_file").map(str::to_string));
        if let Some(path) = token_file {
            let full = authdoctor_tokens::config::expand_home(&path);
            let status_item = match std::fs::read_to_string(&full) {
                Ok(text) if !text.trim().is_empty() => {
                    item("access_token", jwt_exp(text.trim()), now, 0, false)
                }
                Ok(_) => {
                    serde_json::json!({"what": "access_token", "status": "expired", "reason": "the token file is empty"})
                }
                Err(e) => {
                    serde_json::json!({"what": "access_token", "status": "expired", "reason": format!("the token file cannot be read: {}", e.kind())})
                }
            };
            if status_item["status"] == "expired" {
                code = exit::AUTH_FAILURE;
            }
            profiles.push(serde_json::json!({
                "profile": name,
                "token_file": path,
                "items": [status_item],
                "server_offset": null,
            }));
            continue;
        }
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
        // The record's key: from the profile (no secret needed), else the cached set's.
        let shared = match (&fleet, &rt) {
            (Some(f), Some(rt)) => authdoctor_core::profile::resolve(&layers, Some(name), None)
                .ok()
                .and_then(|e| authdoctor_tokens::TokenConfig::from_profile(&e, None, None).ok())
                .map(|c| c.cache_key())
                .or_else(|| t.as_ref().map(|t| t.key.clone()))
                .map(|k| rt.block_on(f.describe_key(&k))),
            _ => None,
        };
        let mut entry = serde_json::json!({
            "profile": name,
            "items": items,
            "server_offset": t.as_ref().and_then(|t| t.server_offset),
        });
        if let Some(d) = shared {
            entry["shared_cache"] = d;
        }
        profiles.push(entry);
    }
    if a.format == WatchFormat::Prometheus {
        crate::out::write_generated(&prometheus(&profiles, now));
        return Ok(code);
    }
    if a.format == WatchFormat::Json {
        let mut doc = serde_json::json!({
            "version": 1,
            "checked_at": now,
            "store": cache.store_kind(),
            "keyring_unavailable": cache.keyring_unavailable(),
            "profiles": profiles,
        });
        if let Some(f) = &fleet {
            doc["shared_cache"] = serde_json::json!({
                "kind": "redis",
                "url": f.url(),
                "state": if f.problem().is_some() { "unreachable" } else { "ok" },
                "reason": f.problem(),
            });
        }
        outln!("{doc}");
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
        if profiles.is_empty() {
            outln!("no profiles configured and no cached tokens");
        }
        for p in &profiles {
            match p["token_file"].as_str() {
                Some(f) => outln!("{} (token_file {f})", p["profile"].as_str().unwrap_or("")),
                None => outln!("{}", p["profile"].as_str().unwrap_or("")),
            }
            if p["shared_cache"].is_object() {
                outln!(
                    "  {:<20} {}",
                    "redis",
                    super::token::shared_store_line(&p["shared_cache"])
                );
            }
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
