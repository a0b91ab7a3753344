//! A profile's tokens as a program driven by config files uses them (the CLI's `token`, `exec`,
//! `proxy`, `scopes` and `check --fix` are such programs): the config layers read from the
//! machine, the profile resolved from them, its [`TokenConfig`], the [`TokenSource`] over the
//! 0600 file cache and, when the config's `[cache]` table names one, the shared Redis cache;
//! and the few steps built on them (a grant chosen by the user, revocation, what `token show`
//! reads, the issuer side of gathering). Errors are typed ([`SessionError`]); a refusal by the
//! token endpoint stays a [`TokenError`] so its recorded exchange can be diagnosed.

use crate::grant::{self, DevicePrompt, Recorder};
use crate::layers::{LayersError, load_layers};
use crate::status::{self, DegradedHook};
use crate::{FileCache, RedisCache, TokenConfig, TokenError, TokenSet, TokenSource};
use authdoctor_core::model::RequestSpec;
use authdoctor_core::profile::{self, CacheTable, ConfigError, Effective, Layers};
use authdoctor_net::gather::GatherOptions;
use authdoctor_net::gather::plan::{self, IssuerPlan, IssuerRequest, TokenFile};
use authdoctor_net::probes::ProbeOptions;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Why a profile's token machinery could not be set up. Every message names files, profiles
/// and references, never a secret.
#[derive(Debug, Error)]
pub enum SessionError {
    /// A config file exists but cannot be read or parsed.
    #[error(transparent)]
    Layers(#[from] LayersError),
    /// No profile fits the choice (or the request's host).
    #[error(transparent)]
    Profile(#[from] ConfigError),
    /// The profile's values do not make a token configuration.
    #[error(transparent)]
    Config(TokenError),
    /// The token cache cannot be opened or read.
    #[error(transparent)]
    Cache(TokenError),
    /// `[cache]` names a shared cache that cannot be built.
    #[error(transparent)]
    SharedCache(TokenError),
    /// The HTTP client cannot be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Which profile, from which project file, and how its client authenticates (the CLI's
/// `--profile`, `--config`, `--auth-method`, `--key-file`).
#[derive(Debug, Clone, Default)]
pub struct ProfileChoice {
    pub profile: Option<String>,
    pub config: Option<PathBuf>,
    pub auth_method: Option<String>,
    pub key_file: Option<String>,
}

/// Every layer from the machine (`project`: an explicit project file).
pub fn layers(project: Option<&Path>) -> Result<Layers, SessionError> {
    Ok(load_layers(project)?)
}

/// The HTTP client for token, discovery and revocation requests: redirects are not followed
/// (a token endpoint that redirects is a finding, not a hop) and nothing waits forever.
pub fn http_client() -> Result<reqwest::Client, SessionError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SessionError::Http(e.to_string()))
}

/// The per-user 0600 token cache.
pub fn file_cache() -> Result<FileCache, SessionError> {
    FileCache::open(FileCache::default_dir()).map_err(SessionError::Cache)
}

/// The shared (Redis) cache a `[cache]` table names, if any; `on_degraded` hears its outages.
pub fn shared_cache(
    table: Option<&CacheTable>,
    on_degraded: Option<DegradedHook>,
) -> Result<Option<RedisCache>, SessionError> {
    status::fleet_from_table(table, on_degraded).map_err(SessionError::SharedCache)
}

/// A resolved profile: its token configuration, the effective values it came from (its hosts
/// and how it was chosen decide where its tokens may be sent) and the config's `[cache]` table.
#[derive(Debug, Clone)]
pub struct Session {
    pub config: TokenConfig,
    pub profile: Effective,
    pub cache_table: Option<CacheTable>,
}

impl Session {
    /// Read the layers, resolve the profile (`host`: the request's, when the profile is chosen
    /// by host) and build its token configuration, in that order.
    pub fn open(choice: &ProfileChoice, host: Option<&str>) -> Result<Self, SessionError> {
        let layers = layers(choice.config.as_deref())?;
        let cache_table = profile::cache_table(&layers);
        let eff = profile::resolve(&layers, choice.profile.as_deref(), host)?;
        let config = TokenConfig::from_profile(
            &eff,
            choice.auth_method.as_deref(),
            choice.key_file.as_deref(),
        )
        .map_err(SessionError::Config)?;
        Ok(Session {
            config,
            profile: eff,
            cache_table,
        })
    }

    /// The token source for `cfg` (this profile's configuration, possibly with other scopes)
    /// over the disk cache and the shared cache. Its HTTP client is built on the first token
    /// request, so a cache hit costs little more than reading the file. A `token_file`
    /// profile's token lives in its file only: no cache.
    pub fn source(
        &self,
        cfg: TokenConfig,
        on_degraded: Option<DegradedHook>,
    ) -> Result<TokenSource, SessionError> {
        let make = || http_client().map_err(|e| e.to_string());
        let (cache, fleet) = match cfg.token_file {
            Some(_) => (None, None),
            None => (
                Some(file_cache()?),
                shared_cache(self.cache_table.as_ref(), on_degraded)?,
            ),
        };
        let src = TokenSource::lazy(cfg, make, cache);
        if let Some(f) = fleet {
            src.set_redis_cache(f).map_err(SessionError::SharedCache)?;
        }
        Ok(src)
    }
}

/// How a token is obtained when the user picks the grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// client_credentials (and refresh_token when a refresh token is cached); `force`: treat
    /// the cached token as rejected and renew it.
    ClientCredentials { force: bool },
    /// Device authorization (RFC 8628).
    Device,
    /// Authorization code with PKCE and a loopback redirect on 127.0.0.1 (`redirect_port` 0:
    /// any free port).
    AuthCode { redirect_port: u16 },
}

/// What an interactive grant asks the user to do: open a URL and enter a code, or open a URL.
pub enum Prompt<'a> {
    Device(&'a DevicePrompt),
    Browser(&'a str),
}

/// How long the authorization-code grant waits for the browser's redirect.
const AUTH_CODE_TIMEOUT: Duration = Duration::from_secs(300);

/// A token for `cfg` from `src` by `grant`. A `token_file` profile's file is re-read as it is
/// now, whatever the grant. The outer error is the setup's; the inner one the grant's (a
/// refusal carries its recorded exchange).
pub async fn obtain(
    cfg: &TokenConfig,
    src: &TokenSource,
    grant: Grant,
    prompt: impl Fn(Prompt<'_>),
) -> Result<Result<Arc<TokenSet>, TokenError>, SessionError> {
    match grant {
        _ if cfg.token_file.is_some() => Ok(src.token().await),
        Grant::ClientCredentials { force: true } => {
            match file_cache()?.load(&cfg.profile).ok().flatten() {
                Some(old) => Ok(src.renew_after_rejection(&old).await),
                None => Ok(src.token().await),
            }
        }
        Grant::ClientCredentials { force: false } => Ok(src.token().await),
        Grant::Device | Grant::AuthCode { .. } => {
            let mut cfg = cfg.clone();
            let http = http_client()?;
            let ep = match cfg.endpoints(&http).await {
                Ok(ep) => ep.clone(),
                Err(e) => return Ok(Err(e)),
            };
            let rec = Recorder::new(http);
            let t = match grant {
                Grant::AuthCode { redirect_port } => {
                    let open = |url: &str| prompt(Prompt::Browser(url));
                    grant::auth_code_pkce(&rec, &cfg, &ep, redirect_port, AUTH_CODE_TIMEOUT, open)
                        .await
                }
                _ => grant::device(&rec, &cfg, &ep, |p| prompt(Prompt::Device(p))).await,
            };
            Ok(t.and_then(|t| src.adopt(t)))
        }
    }
}

/// What revocation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Nothing was cached for the profile: nothing to revoke.
    NothingCached,
    /// These tokens were revoked at the issuer (RFC 7009) and the cache entry removed.
    Tokens(Vec<&'static str>),
}

/// Revoke the profile's cached tokens at the issuer and remove the cache entry. The outer error
/// is the cache's or the client's; the inner one the issuer's.
pub async fn revoke(cfg: &TokenConfig) -> Result<Result<Revoked, TokenError>, SessionError> {
    let cache = file_cache()?;
    let Some(t) = cache.load(&cfg.profile).map_err(SessionError::Cache)? else {
        return Ok(Ok(Revoked::NothingCached));
    };
    let http = http_client()?;
    let mut cfg = cfg.clone();
    let ep = match cfg.endpoints(&http).await {
        Ok(ep) => ep.clone(),
        Err(e) => return Ok(Err(e)),
    };
    match grant::revoke(&Recorder::new(http.clone()), &cfg, &ep, &t).await {
        Ok(done) => {
            cache.remove(&cfg.profile).map_err(SessionError::Cache)?;
            Ok(Ok(Revoked::Tokens(done)))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// What `token show` reads for a profile without a `token_file`: the cached token set (the
/// local one, else the shared cache's), the shared record's state, and the local cache.
pub struct Cached {
    pub token: Option<TokenSet>,
    /// The shared cache's record ([`crate::fleet::RedisCache::describe_key`]), when `[cache]`
    /// names one.
    pub shared: Option<serde_json::Value>,
    pub cache: FileCache,
}

impl Session {
    /// The cached token of this profile ([`Cached`]); shared-cache outages are in its record,
    /// not announced.
    pub async fn cached(&self) -> Result<Cached, SessionError> {
        let cache = file_cache()?;
        let local = cache
            .load(&self.config.profile)
            .map_err(SessionError::Cache)?;
        let (shared, from_shared) = match shared_cache(self.cache_table.as_ref(), None)? {
            Some(f) => {
                let key = self.config.cache_key();
                let (d, t) = status::shared_record(&f, &key, local.is_none()).await;
                (Some(d), t)
            }
            None => (None, None),
        };
        Ok(Cached {
            token: local.or(from_shared),
            shared,
            cache,
        })
    }
}

/// The profile a request's gathering uses, and the layers it came from: explicit (`profile`),
/// or chosen by the request's host. An unreadable config or no fitting profile only disables
/// the profile's part, unless a profile was asked for.
pub fn gather_profile(
    profile: Option<&str>,
    spec: &RequestSpec,
) -> Result<(Option<Layers>, Option<Effective>), SessionError> {
    let layers = match layers(None) {
        Ok(l) => l,
        Err(e) if profile.is_some() => return Err(e),
        Err(_) => return Ok((None, None)),
    };
    let eff = match plan::effective_profile(&layers, profile, spec) {
        Ok(e) => Some(e),
        Err(e) if profile.is_some() => return Err(e.into()),
        Err(_) => None,
    };
    Ok((Some(layers), eff))
}

/// `probes` with the profiles' hosts for the DNS comparison (what the request's host resolves
/// to against each profile's environment); a config that cannot be read only disables that
/// comparison.
pub fn with_profile_hosts(probes: ProbeOptions, spec: &RequestSpec) -> ProbeOptions {
    let profiles = layers(None)
        .ok()
        .and_then(|l| plan::profile_hosts(&l, spec));
    ProbeOptions { profiles, ..probes }
}

/// The one resolution of secret references (env, file with `~`, keyring), as the issuer plan
/// wants it.
fn read_secret(r: &profile::SecretRef) -> Result<String, String> {
    crate::config::resolve_secret(r)
        .map(|s| s.expose().to_string())
        .map_err(|e| e.to_string())
}

/// What gathering fetches besides the request: `probes`, the issuer side from `req` and the
/// profile (none when `no_issuer`), and the profile's token file.
pub fn gather_options(
    req: &IssuerRequest,
    no_issuer: bool,
    spec: &RequestSpec,
    (layers, eff): (Option<&Layers>, Option<&Effective>),
    probes: Option<ProbeOptions>,
) -> GatherOptions {
    let issuer =
        (!no_issuer).then(|| IssuerPlan::from_profile(req, spec, eff, layers, &read_secret));
    GatherOptions {
        probes,
        issuer,
        token_file: eff.and_then(|e| TokenFile::of(e, &crate::config::expand_home)),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_named_in_an_unreadable_project_file_is_an_error() {
        let dir = std::env::temp_dir().join(format!("adt-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("authdoctor.toml");
        std::fs::write(&file, "[profiles.x\n").unwrap();
        let choice = ProfileChoice {
            profile: Some("x".into()),
            config: Some(file.clone()),
            ..Default::default()
        };
        assert!(matches!(
            Session::open(&choice, None),
            Err(SessionError::Layers(LayersError::Parse(_)))
        ));
        // A readable file without the profile: the profile is what is missing.
        std::fs::write(&file, "[profiles.y]\nissuer = \"https://idp.example\"\n").unwrap();
        assert!(matches!(
            Session::open(&choice, None),
            Err(SessionError::Profile(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
