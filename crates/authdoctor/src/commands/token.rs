//! `authdoctor token get|show|revoke --profile P`: obtain (or reuse from the 0600 cache) the
//! profile's access token, show it redacted with its claims and lifetime, or revoke it. Also the
//! helpers every token-using command shares: profile → [`TokenConfig`], the cached
//! [`TokenSource`], and how a token-endpoint refusal is reported (the same diagnosis report as
//! any other 401, built from the recorded token request).

use crate::cli::{Format, OutputArgs};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::report::{Report, human, json};
use authdoctor_core::secret::redact;
use authdoctor_core::time::{format_unix, human_duration, now_unix};
use authdoctor_tokens::fleet::RedisCache;
use authdoctor_tokens::grant::{self, Recorder};
use authdoctor_tokens::status;
use authdoctor_tokens::{FileCache, TokenConfig, TokenError, TokenSource};
use clap::{Args, Subcommand, ValueEnum};

/// Which profile, and how its client authenticates.
#[derive(Debug, Args, Clone, Default)]
pub struct ProfileArgs {
    /// Profile name (default: AUTHDOCTOR_PROFILE, then default_profile).
    #[arg(long)]
    pub profile: Option<String>,
    /// Project config file (default: authdoctor.toml here or in a parent directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
    /// Client authentication: client_secret_basic (default with a secret), client_secret_post,
    /// private_key_jwt (with --key-file), none (public client).
    #[arg(long, value_name = "METHOD")]
    pub auth_method: Option<String>,
    /// PKCS#8 private key (PEM) for private_key_jwt.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a fresh access token (from the cache when still fresh by the issuer's clock).
    Get(TokenGetArgs),
    /// Show the cached token redacted: claims, lifetime, refresh token, where it is stored.
    Show(TokenShowArgs),
    /// Revoke the cached tokens at the issuer (RFC 7009) and delete the cache entry.
    Revoke(TokenShowArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GrantKind {
    /// client_credentials (and refresh_token when a refresh token is cached).
    ClientCredentials,
    /// Device authorization (RFC 8628): prints a code to enter in a browser.
    Device,
    /// Authorization code + PKCE with a loopback redirect on 127.0.0.1.
    AuthCode,
}

#[derive(Debug, Args)]
pub struct TokenGetArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The grant to use.
    #[arg(long, value_enum, default_value = "client-credentials")]
    pub grant: GrantKind,
    /// Ignore the cached token and obtain a new one.
    #[arg(long)]
    pub force: bool,
    /// Port of the loopback redirect for --grant auth-code (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub redirect_port: u16,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TokenShowArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The profile's token configuration.
pub(crate) fn token_config(p: &ProfileArgs, host: Option<&str>) -> Result<TokenConfig, CliError> {
    token_config_and_profile(p, host).map(|(c, _)| c)
}

/// [`token_config`] and the effective profile it came from (its hosts and how it was chosen
/// decide where its tokens may be sent).
pub(crate) fn token_config_and_profile(
    p: &ProfileArgs,
    host: Option<&str>,
) -> Result<(TokenConfig, authdoctor_core::profile::Effective), CliError> {
    let layers = super::config::layers(p.config.as_deref())?;
    let _ = CACHE_TABLE.set(authdoctor_core::profile::cache_table(&layers));
    let eff = authdoctor_core::profile::resolve(&layers, p.profile.as_deref(), host)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let cfg = TokenConfig::from_profile(&eff, p.auth_method.as_deref(), p.key_file.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    Ok((cfg, eff))
}

pub(crate) fn http_client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::Io(format!("cannot build the HTTP client: {e}")))
}

/// The `[cache]` table of the config files this run read (one configuration per process).
static CACHE_TABLE: std::sync::OnceLock<Option<authdoctor_core::profile::CacheTable>> =
    std::sync::OnceLock::new();

/// The shared (Redis) cache of `[cache]`, if configured: its outages are said once on stderr.
pub(crate) fn fleet() -> Result<Option<RedisCache>, CliError> {
    let table = match CACHE_TABLE.get() {
        Some(t) => t.clone(),
        None => authdoctor_core::profile::cache_table(&super::config::layers(None)?),
    };
    fleet_from(table.as_ref(), true)
}

/// [`fleet`] from a given `[cache]` table; `announce`: say outages on stderr (not for the
/// commands whose `store:` line says it).
pub(crate) fn fleet_from(
    table: Option<&authdoctor_core::profile::CacheTable>,
    announce: bool,
) -> Result<Option<RedisCache>, CliError> {
    let on_degraded: Option<status::DegradedHook> = match announce {
        true => Some(Box::new(|line| {
            crate::out::errln!("authdoctor: warning: {line}")
        })),
        false => None,
    };
    status::fleet_from_table(table, on_degraded).map_err(|e| CliError::Usage(e.to_string()))
}

/// The `store:` line of the shared cache, from [`RedisCache::describe_key`].
pub(crate) fn shared_store_line(d: &serde_json::Value) -> String {
    let url = d["url"].as_str().unwrap_or("");
    let key = d["key"].as_str().unwrap_or("");
    let reason = d["reason"].as_str().unwrap_or("");
    match d["state"].as_str().unwrap_or("") {
        "unreachable" => format!("{url} unreachable ({reason}): using the local cache"),
        state => {
            let ttl = d["ttl_seconds"]
                .as_i64()
                .map(|s| format!("TTL {}", human_duration(s)))
                .unwrap_or_else(|| "no TTL".into());
            let what = match state {
                "ok" => ttl,
                "absent" => "no record yet".to_string(),
                _ => format!("record ignored ({reason}), to be replaced"),
            };
            format!(
                "{url} key {key} {what} (shared; AES-256-GCM, key sha256:{})",
                d["key_fingerprint"].as_str().unwrap_or("")
            )
        }
    }
}

pub(crate) fn cache() -> Result<FileCache, CliError> {
    FileCache::open(FileCache::default_dir()).map_err(|e| CliError::Io(e.to_string()))
}

/// The profile's token source over the disk cache. Its HTTP client is built on the first token
/// request: a cache hit (`token get` in a script's loop) then costs little more than reading
/// the file.
pub(crate) fn source(cfg: TokenConfig) -> Result<TokenSource, CliError> {
    let make = || http_client().map_err(|e| e.to_string());
    // A token_file profile's token lives in its file only: no cache.
    let (cache, fleet) = match cfg.token_file {
        Some(_) => (None, None),
        None => (Some(cache()?), fleet()?),
    };
    let src = TokenSource::lazy(cfg, make, cache);
    if let Some(f) = fleet {
        src.set_redis_cache(f)
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    Ok(src)
}

/// The diagnosis of a refused token request, as a report (None without a recorded exchange).
pub(crate) fn endpoint_report(e: &TokenError) -> Option<Report> {
    e.diagnosis(now_unix())
}

/// Report a token error: the token endpoint's diagnosis when it refused, else one error line.
/// Returns the exit code.
pub(crate) fn report_token_error(e: &TokenError, out: &OutputArgs) -> i32 {
    if let Some(report) = endpoint_report(e) {
        match out.format {
            Format::Json => outln!("{}", json::render(&report)),
            Format::Human => {
                outln!("{}", human::render(&report, false));
            }
        }
        crate::out::errln!("authdoctor: error: {e}");
        return exit::AUTH_FAILURE;
    }
    crate::out::errln!("authdoctor: error: {e}");
    match e {
        TokenError::Transport { .. } | TokenError::Discovery { .. } => exit::UNREACHABLE,
        _ => exit::USAGE,
    }
}

pub fn run(cmd: TokenCommand) -> Result<i32, CliError> {
    match cmd {
        TokenCommand::Get(a) => get(a),
        TokenCommand::Show(a) => show(a),
        TokenCommand::Revoke(a) => revoke(a),
    }
}

fn get(a: TokenGetArgs) -> Result<i32, CliError> {
    let cfg = token_config(&a.profile, None)?;
    if let Some(path) = &cfg.token_file
        && a.grant != GrantKind::ClientCredentials
    {
        return Err(CliError::Usage(format!(
            "profile {} reads its token from token_file {}: --grant does not apply",
            cfg.profile,
            path.display()
        )));
    }
    let rt = super::runtime()?;
    let src = source(cfg.clone())?;
    let result = rt.block_on(async {
        match a.grant {
            // The file is the source (re-read as it is now); nothing is requested or cached.
            _ if cfg.token_file.is_some() => Ok(src.token().await),
            GrantKind::ClientCredentials if a.force => {
                // A forced renewal: treat the cached token as rejected.
                match cache()?.load(&cfg.profile).ok().flatten() {
                    Some(old) => Ok::<_, CliError>(src.renew_after_rejection(&old).await),
                    None => Ok(src.token().await),
                }
            }
            GrantKind::ClientCredentials => Ok(src.token().await),
            GrantKind::Device | GrantKind::AuthCode => {
                let mut cfg = cfg.clone();
                let http = http_client()?;
                let ep = match cfg.endpoints(&http).await {
                    Ok(ep) => ep.clone(),
                    Err(e) => return Ok(Err(e)),
                };
                let rec = Recorder::new(http);
                let t = if a.grant == GrantKind::Device {
                    grant::device(&rec, &cfg, &ep, |p| {
                        crate::out::errln!(
                            "To sign in, open {} and enter the code {} (expires in {})",
                            p.verification_uri,
                            p.user_code,
                            human_duration(p.expires_in.as_secs() as i64)
                        );
                    })
                    .await
                } else {
                    grant::auth_code_pkce(
                        &rec,
                        &cfg,
                        &ep,
                        a.redirect_port,
                        std::time::Duration::from_secs(300),
                        |url| crate::out::errln!("Open this URL in a browser to sign in:\n  {url}"),
                    )
                    .await
                };
                Ok(t.and_then(|t| src.adopt(t)))
            }
        }
    })?;
    let t = match result {
        Ok(t) => t,
        Err(e) => return Ok(report_token_error(&e, &a.output)),
    };
    if let Some(path) = &cfg.token_file
        && let Some(left) = t.remaining(now_unix()).filter(|l| *l <= 0)
    {
        crate::out::errln!(
            "warning: the token in {} expired {} ago: whatever writes it has not rotated it",
            path.display(),
            human_duration(-left)
        );
    }
    match a.output.format {
        Format::Json => {
            let now = now_unix();
            // The token is this command's output: the one write that is not redacted.
            crate::out::write_secret(&format!(
                "{}\n",
                serde_json::json!({
                    "access_token": t.access_token, "token_type": t.token_type,
                    "expires_at": t.expires_at, "expires_in": t.remaining(now),
                    "scope": t.scope,
                })
            ));
        }
        // The token alone, so `$(authdoctor token get)` works.
        Format::Human => crate::out::write_secret(&format!("{}\n", t.access_token)),
    }
    Ok(exit::OK)
}

/// `token show` for a `token_file` profile: the file's token, redacted, and where it is.
fn show_file(a: &TokenShowArgs, cfg: TokenConfig) -> Result<i32, CliError> {
    let path = cfg.token_file.clone().unwrap_or_default();
    let name = cfg.profile.clone();
    let src = TokenSource::new(cfg, reqwest::Client::new(), None);
    let t = match super::runtime()?.block_on(src.token()) {
        Ok(t) => t,
        Err(e) => {
            crate::out::errln!("authdoctor: error: {e}");
            return Ok(exit::AUTH_FAILURE);
        }
    };
    let v = status::file_view(&t, &name, &path, now_unix());
    let mtime = v["file_modified_at"].as_i64();
    if a.output.format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(exit::OK);
    }
    let now = now_unix();
    outln!("profile:  {name}");
    outln!("token:    {} {}", t.token_type, redact(&t.access_token));
    match (t.expires_at, t.remaining(now)) {
        (Some(exp), Some(left)) => outln!(
            "lifetime: issued {} ─ expires {} ({})",
            format_unix(t.issued_at),
            format_unix(exp),
            if left > 0 {
                format!("expires in {}", human_duration(left))
            } else {
                format!(
                    "expired {} ago: whatever writes the file has not rotated it",
                    human_duration(-left)
                )
            }
        ),
        _ => outln!("lifetime: unknown (not a JWT with exp)"),
    }
    show_scope_and_jwt(t.scope.as_deref(), &v);
    outln!(
        "store:    token_file {} (written and rotated by another program{}; re-read when it changes, never requested from an issuer)",
        path.display(),
        mtime
            .map(|m| format!(", modified {}", format_unix(m)))
            .unwrap_or_default()
    );
    Ok(exit::OK)
}

fn show(a: TokenShowArgs) -> Result<i32, CliError> {
    let cfg = token_config(&a.profile, None)?;
    if cfg.token_file.is_some() {
        return show_file(&a, cfg);
    }
    let cache = cache()?;
    let local = cache
        .load(&cfg.profile)
        .map_err(|e| CliError::Io(e.to_string()))?;
    // With a shared cache: its record's state, and the token from it when none is local.
    let table = CACHE_TABLE.get().cloned().flatten();
    let (shared, from_shared) = match fleet_from(table.as_ref(), false)? {
        Some(f) => {
            let (d, t) = super::runtime()?.block_on(status::shared_record(
                &f,
                &cfg.cache_key(),
                local.is_none(),
            ));
            (Some(d), t)
        }
        None => (None, None),
    };
    let Some(t) = local.or(from_shared) else {
        crate::out::errln!(
            "authdoctor: error: no cached token for profile {}: run `authdoctor token get --profile {}`",
            cfg.profile,
            cfg.profile
        );
        return Ok(exit::AUTH_FAILURE);
    };
    let stale = t.key != cfg.cache_key();
    let v = status::cached_view(&t, &cfg, &cache, shared.as_ref(), now_unix());
    if a.output.format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(exit::OK);
    }
    let now = now_unix();
    outln!("profile:  {}", cfg.profile);
    outln!("token:    {} {}", t.token_type, redact(&t.access_token));
    if let Some(exp) = t.expires_at {
        let left = t.remaining(now).unwrap_or(0);
        let state = if left > 0 {
            format!("expires in {}", human_duration(left))
        } else {
            format!("expired {} ago", human_duration(-left))
        };
        outln!(
            "lifetime: issued {} ─ expires {} ({} by the issuer's clock; lifetime {})",
            format_unix(t.issued_at),
            format_unix(exp),
            state,
            human_duration(t.lifetime().unwrap_or(0))
        );
    }
    if let Some(o) = t.server_offset.filter(|o| *o != 0) {
        outln!("clock:    the issuer's clock is {o:+} s from this machine's");
    }
    outln!(
        "refresh:  {}",
        t.refresh_token
            .as_deref()
            .map(redact)
            .unwrap_or_else(|| "none".into())
    );
    show_scope_and_jwt(t.scope.as_deref(), &v);
    match &shared {
        Some(d) => {
            outln!("store:    {}", shared_store_line(d));
            outln!(
                "local:    {} ({})",
                cache.location(&cfg.profile),
                cache.store_note()
            );
        }
        None => outln!(
            "store:    {} ({})",
            cache.location(&cfg.profile),
            cache.store_note()
        ),
    }
    if stale {
        outln!(
            "note:     cached for other scopes/resource than the profile now asks for; `token get` will replace it"
        );
    }
    Ok(exit::OK)
}

fn revoke(a: TokenShowArgs) -> Result<i32, CliError> {
    let mut cfg = token_config(&a.profile, None)?;
    if let Some(path) = &cfg.token_file {
        return Err(CliError::Usage(format!(
            "profile {} reads its token from token_file {}, which another program writes: revoke it where it is issued",
            cfg.profile,
            path.display()
        )));
    }
    let cache = cache()?;
    let Some(t) = cache
        .load(&cfg.profile)
        .map_err(|e| CliError::Io(e.to_string()))?
    else {
        outln!("no cached token for profile {}", cfg.profile);
        return Ok(exit::OK);
    };
    let rt = super::runtime()?;
    let http = http_client()?;
    let r = rt.block_on(async {
        let ep = cfg.endpoints(&http).await?.clone();
        grant::revoke(&Recorder::new(http.clone()), &cfg, &ep, &t).await
    });
    match r {
        Ok(done) => {
            cache
                .remove(&cfg.profile)
                .map_err(|e| CliError::Io(e.to_string()))?;
            outln!(
                "revoked {} and removed the cache entry of profile {}",
                done.join(" and "),
                cfg.profile
            );
            Ok(exit::OK)
        }
        Err(e) => Ok(report_token_error(&e, &a.output)),
    }
}

/// The token's scope and, for a JWT, its header and claims (never its signature).
fn show_scope_and_jwt(scope: Option<&str>, v: &serde_json::Value) {
    if let Some(s) = scope {
        outln!("scope:    {s}");
    }
    if let serde_json::Value::Object(jwt) = &v["jwt"] {
        outln!(
            "header:   {}",
            jwt.get("header").cloned().unwrap_or_default()
        );
        outln!(
            "claims:   {}",
            jwt.get("claims").cloned().unwrap_or_default()
        );
    }
}
