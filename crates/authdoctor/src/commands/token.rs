//! `authdoctor token get|show|revoke --profile P`: obtain (or reuse from the 0600 cache) the
//! profile's access token, show it redacted with its claims and lifetime, or revoke it. Also what
//! every token-using command shares: the profile flags → [`Session`] (whose source and caches
//! `authdoctor_tokens::session` builds), and how a token-endpoint refusal is reported (the same
//! diagnosis report as any other 401, built from the recorded token request).

use crate::cli::{Format, OutputArgs};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::report::{human, json};
use authdoctor_core::time::{format_unix, human_duration, now_unix};
use authdoctor_tokens::session::{self, Cached, Grant, ProfileChoice, Prompt, Revoked, Session};
use authdoctor_tokens::status::{self, DegradedHook};
use authdoctor_tokens::{TokenConfig, TokenError, TokenSource};
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

impl ProfileArgs {
    fn choice(&self) -> ProfileChoice {
        ProfileChoice {
            profile: self.profile.clone(),
            config: self.config.as_ref().map(Into::into),
            auth_method: self.auth_method.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

/// The profile's session: its token configuration, the effective profile it came from (its
/// hosts and how it was chosen decide where its tokens may be sent) and the `[cache]` table.
pub(crate) fn session(p: &ProfileArgs, host: Option<&str>) -> Result<Session, CliError> {
    Ok(Session::open(&p.choice(), host)?)
}

/// The session's token source; outages of the shared cache are said once on stderr.
pub(crate) fn source(s: &Session) -> Result<TokenSource, CliError> {
    let announce: DegradedHook = Box::new(|line| crate::out::errln!("authdoctor: warning: {line}"));
    Ok(s.source(s.config.clone(), Some(announce))?)
}

/// The `store:` line of the shared cache, from [`authdoctor_tokens::RedisCache::describe_key`].
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

/// Report a token error: the token endpoint's diagnosis when it refused, else one error line.
/// Returns the exit code.
pub(crate) fn report_token_error(e: &TokenError, out: &OutputArgs) -> i32 {
    if let Some(report) = e.diagnosis(now_unix()) {
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
    exit::for_token_error(e)
}

pub fn run(cmd: TokenCommand) -> Result<i32, CliError> {
    match cmd {
        TokenCommand::Get(a) => get(a),
        TokenCommand::Show(a) => show(a),
        TokenCommand::Revoke(a) => revoke(a),
    }
}

fn get(a: TokenGetArgs) -> Result<i32, CliError> {
    let s = session(&a.profile, None)?;
    let cfg = &s.config;
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
    let src = source(&s)?;
    let grant = match a.grant {
        GrantKind::ClientCredentials => Grant::ClientCredentials { force: a.force },
        GrantKind::Device => Grant::Device,
        GrantKind::AuthCode => Grant::AuthCode {
            redirect_port: a.redirect_port,
        },
    };
    let result = rt.block_on(session::obtain(cfg, &src, grant, prompt))?;
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
                    "access_token": t.access_token.expose(), "token_type": t.token_type,
                    "expires_at": t.expires_at, "expires_in": t.remaining(now),
                    "scope": t.scope,
                })
            ));
        }
        // The token alone, so `$(authdoctor token get)` works.
        Format::Human => crate::out::write_secret(&format!("{}\n", t.access_token.expose())),
    }
    Ok(exit::OK)
}

/// What an interactive grant asks of the user, on stderr (stdout is the token).
fn prompt(p: Prompt<'_>) {
    match p {
        Prompt::Device(p) => crate::out::errln!(
            "To sign in, open {} and enter the code {} (expires in {})",
            p.verification_uri,
            p.user_code,
            human_duration(p.expires_in.as_secs() as i64)
        ),
        Prompt::Browser(url) => {
            crate::out::errln!("Open this URL in a browser to sign in:\n  {url}")
        }
    }
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
    // Secret displays redacted.
    outln!("token:    {} {}", t.token_type, t.access_token);
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
    let s = session(&a.profile, None)?;
    let cfg = &s.config;
    if cfg.token_file.is_some() {
        return show_file(&a, cfg.clone());
    }
    // With a shared cache: its record's state, and the token from it when none is local.
    let Cached {
        token,
        shared,
        cache,
    } = super::runtime()?.block_on(s.cached())?;
    let Some(t) = token else {
        crate::out::errln!(
            "authdoctor: error: no cached token for profile {}: run `authdoctor token get --profile {}`",
            cfg.profile,
            cfg.profile
        );
        return Ok(exit::AUTH_FAILURE);
    };
    let stale = t.key != cfg.cache_key();
    let v = status::cached_view(&t, cfg, &cache, shared.as_ref(), now_unix());
    if a.output.format == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(exit::OK);
    }
    let now = now_unix();
    outln!("profile:  {}", cfg.profile);
    // Secret displays redacted.
    outln!("token:    {} {}", t.token_type, t.access_token);
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
            .as_ref()
            .map_or_else(|| "none".into(), ToString::to_string)
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
    let s = session(&a.profile, None)?;
    let cfg = &s.config;
    if let Some(path) = &cfg.token_file {
        return Err(CliError::Usage(format!(
            "profile {} reads its token from token_file {}, which another program writes: revoke it where it is issued",
            cfg.profile,
            path.display()
        )));
    }
    match super::runtime()?.block_on(session::revoke(cfg))? {
        Ok(Revoked::NothingCached) => outln!("no cached token for profile {}", cfg.profile),
        Ok(Revoked::Tokens(done)) => outln!(
            "revoked {} and removed the cache entry of profile {}",
            done.join(" and "),
            cfg.profile
        ),
        Err(e) => return Ok(report_token_error(&e, &a.output)),
    }
    Ok(exit::OK)
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
