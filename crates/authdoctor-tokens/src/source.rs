//! [`TokenSource`]: hands out a fresh access token for one profile to any number of concurrent
//! callers, renewing ahead of expiry with exactly one token request at a time.
//!
//! How a caller gets a token ([`TokenSource::token`]):
//! 1. Fast path: the token in memory is fresh by the issuer's clock (outside its refresh margin,
//!    10–20 % of the lifetime with per-token jitter) → return it, no lock taken. Else the same
//!    test on the disk cache, also without a lock: stores are atomic renames, so a reader sees
//!    a whole old or a whole new file, and a fresh token needs no renewal to serialise. This is
//!    all a cached `token get` does: the HTTP client (root certificates) is built only when a
//!    request is sent.
//! 2. Take the in-process flight lock (one acquisition per process); look again: another caller
//!    may have renewed it while this one waited.
//! 3. Take the profile's cross-process file lock and read the disk cache: another process may
//!    have renewed it. A cached set for other scopes/resource (different key) is ignored.
//!    With a shared cache ([`crate::fleet`], `[cache] redis`), then its record, if another host
//!    has renewed it (also written to the disk cache); else take the fleet's refresh lease, or
//!    wait for its holder's record. Redis unusable → go on locally, as without it.
//! 4. Renew: with the refresh token if there is one; if the server says `invalid_grant` (expired,
//!    revoked, or rotated away) fall back to the client's own grant when it has one.
//!    Otherwise the primary grant (client_credentials).
//! 5. Store the new set (in Redis, then on disk by atomic rename) *before* replacing the one in
//!    memory, so a rotated refresh token is persisted before the old one is dropped.
//! 6. Release the locks (and the fleet's lease); every waiter now finds the fresh token at
//!    step 2 (3 on other hosts).
//!
//! After a 401, [`TokenSource::renew_after_rejection`] forces step 4 once — unless the token in
//! memory is already another one than the rejected one (a concurrent caller renewed it).
//!
//! A profile with `token_file` skips all of the above: the file is the token (another program
//! writes and rotates it — a Kubernetes projected service-account token, a Vault agent sink).
//! Each call stats it and re-reads it when its identity changes (inode — a symlink swap, as the
//! kubelet does —, size, mtime); after a 401 it is re-read whatever its stamp says. No token is
//! ever requested from an issuer for such a profile, and nothing is written to the cache.

use crate::cache::FileCache;
use crate::config::{ClientAuth, Endpoints, TokenConfig};
use crate::error::{EndpointErrorKind, TokenError};
use crate::fleet::{Obtain, RedisCache};
use crate::grant::{self, Recorder};
use crate::token::TokenSet;
use authdoctor_core::secret::Secret;
use authdoctor_core::time::now_unix;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::SystemTime;

/// What identifies one version of a token file: (inode, size, mtime).
type Stamp = (u64, u64, Option<SystemTime>);

/// A profile's `token_file` and the version of it last read.
struct FileSource {
    path: PathBuf,
    seen: RwLock<Option<(Stamp, Arc<TokenSet>)>>,
}

struct Current {
    token: Arc<TokenSet>,
    /// Drawn once per token, so its renewal deadline is stable between calls.
    jitter: f64,
}

struct Inner {
    /// The profile's DPoP key: its tokens are bound to it and every use needs a fresh proof.
    dpop: Option<authdoctor_core::model::DpopKey>,
    /// Held for the whole of an acquisition: the single-flight lock. Holds the config because
    /// endpoints are discovered lazily, once.
    flight: tokio::sync::Mutex<TokenConfig>,
    profile: String,
    key: String,
    /// What the configuration expects of a token, for diagnosing a refusal: fixed at
    /// construction, so reading it never waits for an acquisition.
    expect: authdoctor_net::gather::plan::ProfileExpectations,
    current: RwLock<Option<Current>>,
    cache: Option<FileCache>,
    rec: Recorder,
    requests: AtomicU64,
    /// Set for a `token_file` profile: the only token source.
    file: Option<FileSource>,
    /// The cache shared with other hosts, when configured.
    fleet: OnceLock<RedisCache>,
}

/// A shareable, cloneable token provider for one profile.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

/// A uniform draw in [0, 1) to spread clients' refreshes apart. Not a secret, so std's
/// randomly keyed SipHash (keys drawn once per thread, a counter per call) is enough; aws-lc's
/// CSPRNG would cost its one-time initialisation (milliseconds) on every cached `token get`.
fn jitter() -> f64 {
    use std::hash::BuildHasher;
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let n = DRAWS.fetch_add(1, Ordering::Relaxed);
    let r = std::collections::hash_map::RandomState::new().hash_one(n);
    (r >> 11) as f64 / (1u64 << 53) as f64
}

impl TokenSource {
    /// `cache` None keeps tokens in memory only.
    pub fn new(cfg: TokenConfig, http: reqwest::Client, cache: Option<FileCache>) -> Self {
        Self::with_recorder(cfg, Recorder::new(http), cache)
    }

    /// Like [`Self::new`] with the HTTP client built by `make` only when a token request (or
    /// discovery) is actually sent, so a cache hit never pays for it.
    pub fn lazy(
        cfg: TokenConfig,
        make: impl Fn() -> Result<reqwest::Client, String> + Send + Sync + 'static,
        cache: Option<FileCache>,
    ) -> Self {
        Self::with_recorder(cfg, Recorder::lazy(make), cache)
    }

    fn with_recorder(cfg: TokenConfig, rec: Recorder, cache: Option<FileCache>) -> Self {
        let rec = rec.with_dpop(cfg.dpop_key.clone());
        let dpop = cfg.dpop_key.clone();
        TokenSource {
            inner: Arc::new(Inner {
                dpop,
                profile: cfg.profile.clone(),
                key: cfg.cache_key(),
                expect: crate::client::profile_expectations(&cfg),
                file: cfg.token_file.clone().map(|path| FileSource {
                    path,
                    seen: RwLock::new(None),
                }),
                flight: tokio::sync::Mutex::new(cfg),
                current: RwLock::new(None),
                cache,
                rec,
                requests: AtomicU64::new(0),
                fleet: OnceLock::new(),
            }),
        }
    }

    /// Share tokens with other hosts through `fleet` (see [`crate::fleet`]); the local cache
    /// stays the first level. Once per source: a second call is refused. Not for a
    /// `token_file` profile (its file is the token).
    pub fn with_redis_cache(self, fleet: RedisCache) -> Result<Self, TokenError> {
        self.set_redis_cache(fleet)?;
        Ok(self)
    }

    /// [`Self::with_redis_cache`] on a shared source (every clone sees it).
    pub fn set_redis_cache(&self, fleet: RedisCache) -> Result<(), TokenError> {
        if self.inner.file.is_some() {
            return Ok(());
        }
        self.inner.fleet.set(fleet).map_err(|_| TokenError::Config {
            profile: self.inner.profile.clone(),
            reason: "a shared token cache is already set".into(),
        })
    }

    /// The shared cache, when there is one.
    pub fn redis_cache(&self) -> Option<&RedisCache> {
        self.inner.fleet.get()
    }

    /// What identifies the token this source is for ([`TokenConfig::cache_key`]).
    pub fn cache_key(&self) -> &str {
        &self.inner.key
    }

    /// Token requests this source has sent (for tests and benchmarks).
    /// The DPoP key whose proofs must go with this source's tokens, if the profile has one.
    pub fn dpop_key(&self) -> Option<&authdoctor_core::model::DpopKey> {
        self.inner.dpop.as_ref()
    }

    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub fn profile(&self) -> &str {
        &self.inner.profile
    }

    /// What this source's configuration expects of a token (issuer, audience or resource,
    /// scopes), as [`AuthClient`](crate::AuthClient)'s diagnosis judges a refusal with it.
    pub fn expectations(&self) -> &authdoctor_net::gather::plan::ProfileExpectations {
        &self.inner.expect
    }

    fn fresh_in_memory(&self) -> Option<Arc<TokenSet>> {
        let g = self.inner.current.read().ok()?;
        let c = g.as_ref()?;
        c.token
            .is_fresh(now_unix(), c.jitter)
            .then(|| c.token.clone())
    }

    fn set_current(&self, t: Arc<TokenSet>) {
        self.set_current_with(t, jitter());
    }

    fn set_current_with(&self, token: Arc<TokenSet>, jitter: f64) {
        if let Ok(mut g) = self.inner.current.write() {
            *g = Some(Current { token, jitter });
        }
    }

    /// The token in memory, fresh or not.
    pub fn current(&self) -> Option<Arc<TokenSet>> {
        self.inner
            .current
            .read()
            .ok()?
            .as_ref()
            .map(|c| c.token.clone())
    }

    /// The profile's `token_file`, when the token comes from a file.
    pub fn token_file(&self) -> Option<&Path> {
        self.inner.file.as_ref().map(|f| f.path.as_path())
    }

    /// A fresh token (see the module doc for the steps).
    pub async fn token(&self) -> Result<Arc<TokenSet>, TokenError> {
        if let Some(f) = &self.inner.file {
            return self.read_token_file(f, false);
        }
        if let Some(t) = self.fresh_in_memory() {
            return Ok(t);
        }
        if let Some(t) = self.fresh_on_disk() {
            return Ok(t);
        }
        self.acquire(None).await
    }

    /// A fresh token from the disk cache, read without the locks (see the module doc, step 1),
    /// now the one in memory. Any doubt (no cache, unreadable, other key, stale) → None, and the
    /// locked path decides.
    fn fresh_on_disk(&self) -> Option<Arc<TokenSet>> {
        let disk = self
            .inner
            .cache
            .as_ref()?
            .load(&self.inner.profile)
            .ok()??;
        let j = jitter();
        if disk.key != self.inner.key || !disk.is_fresh(now_unix(), j) {
            return None;
        }
        let t = Arc::new(disk);
        self.set_current_with(t.clone(), j);
        Some(t)
    }

    /// Renew after the server rejected `rejected` (once, however many callers saw the 401).
    pub async fn renew_after_rejection(
        &self,
        rejected: &TokenSet,
    ) -> Result<Arc<TokenSet>, TokenError> {
        if let Some(f) = &self.inner.file {
            let t = self.read_token_file(f, true)?;
            if t.access_token == rejected.access_token {
                return Err(TokenError::Config {
                    profile: self.inner.profile.clone(),
                    reason: format!(
                        "the token file {} still holds the token that was refused: whatever writes it (kubelet, Vault agent, …) has not rotated it; no token is requested from an issuer for a token_file profile",
                        f.path.display()
                    ),
                });
            }
            return Ok(t);
        }
        self.acquire(Some(rejected)).await
    }

    /// The token in the profile's file: the one read before when the file's stamp is unchanged
    /// (unless `force`), else read again. The same content keeps the same set in memory, so a
    /// renewal after a 401 can tell "rotated" from "rewritten with the same token".
    fn read_token_file(&self, f: &FileSource, force: bool) -> Result<Arc<TokenSet>, TokenError> {
        let err = |reason: String| TokenError::Config {
            profile: self.inner.profile.clone(),
            reason,
        };
        let meta = std::fs::metadata(&f.path)
            .map_err(|e| err(format!("cannot read token_file {}: {e}", f.path.display())))?;
        let stamp: Stamp = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), meta.len(), meta.modified().ok())
        };
        let seen = f.seen.read().ok().and_then(|g| g.clone());
        if !force
            && let Some((st, t)) = &seen
            && *st == stamp
        {
            return Ok(t.clone());
        }
        let text = std::fs::read_to_string(&f.path)
            .map_err(|e| err(format!("cannot read token_file {}: {e}", f.path.display())))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(err(format!("token_file {} is empty", f.path.display())));
        }
        let t = match seen {
            Some((_, t)) if t.access_token.expose() == token => t,
            _ => Arc::new(file_token_set(token, &self.inner.key, stamp.2)),
        };
        if let Ok(mut g) = f.seen.write() {
            *g = Some((stamp, t.clone()));
        }
        self.set_current(t.clone());
        Ok(t)
    }

    async fn acquire(&self, rejected: Option<&TokenSet>) -> Result<Arc<TokenSet>, TokenError> {
        let mut cfg = self.inner.flight.lock().await;
        // Step 2: renewed by someone else while we waited? (By identity: a provider may hand
        // out an equal string twice, but each renewal is a new set in memory.)
        if let Some(cur) = self.current() {
            let replaced = rejected.is_some_and(|r| !std::ptr::eq(Arc::as_ptr(&cur), r));
            if replaced || (rejected.is_none() && self.fresh_in_memory().is_some()) {
                return Ok(cur);
            }
        }
        // Step 3: the disk cache, under the cross-process lock.
        let _lock = match &self.inner.cache {
            Some(c) => Some(c.lock(&self.inner.profile).await?),
            None => None,
        };
        let mut refresh_token = self.current().and_then(|c| c.refresh_token.clone());
        if let Some(cache) = &self.inner.cache
            && let Some(disk) = cache.load(&self.inner.profile)?
            && disk.key == self.inner.key
        {
            let j = jitter();
            let usable = match &rejected {
                Some(r) => r.access_token != disk.access_token && disk.is_fresh(now_unix(), j),
                None => disk.is_fresh(now_unix(), j),
            };
            if usable {
                let t = Arc::new(disk);
                self.set_current_with(t.clone(), j);
                return Ok(t);
            }
            if disk.refresh_token.is_some() {
                refresh_token = disk.refresh_token.clone();
            }
        }
        // Step 3, shared: the fleet's record, or its lease.
        let mut lease = None;
        if let Some(fleet) = self.inner.fleet.get() {
            let j = jitter();
            let key = self.inner.key.clone();
            let usable = |t: &TokenSet| {
                t.key == key
                    && t.is_fresh(now_unix(), j)
                    && rejected.is_none_or(|r| r.access_token != t.access_token)
            };
            match fleet.obtain(&self.inner.key, usable).await {
                Obtain::Fresh(t) => {
                    if let Some(cache) = &self.inner.cache {
                        cache.store(&self.inner.profile, &t)?;
                    }
                    let t = Arc::new(t);
                    self.set_current_with(t.clone(), j);
                    return Ok(t);
                }
                Obtain::Lease(l, seen) => {
                    if let Some(rt) = seen.and_then(|s| s.refresh_token) {
                        refresh_token = Some(rt);
                    }
                    lease = Some(l);
                }
                Obtain::Unavailable => {}
            }
        }
        let renewed = self.renew(&mut cfg, refresh_token).await;
        if let (Some(fleet), Ok(new)) = (self.inner.fleet.get(), &renewed) {
            // Best effort: the others refresh on their own if this write is lost.
            let _ = fleet.store(&self.inner.key, new).await;
        }
        if let (Some(fleet), Some(l)) = (self.inner.fleet.get(), lease) {
            let _ = fleet.release(l).await;
        }
        let new = renewed?;
        // Step 5: persist before replacing (a rotated refresh token must not be lost).
        if let Some(cache) = &self.inner.cache {
            cache.store(&self.inner.profile, &new)?;
        }
        let t = Arc::new(new);
        self.set_current(t.clone());
        Ok(t)
    }

    /// Step 4: ask the issuer.
    async fn renew(
        &self,
        cfg: &mut TokenConfig,
        refresh_token: Option<Secret>,
    ) -> Result<TokenSet, TokenError> {
        let http_ep = self.endpoints(cfg).await?;
        let new = match refresh_token {
            Some(rt) => {
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                match grant::refresh(&self.inner.rec, cfg, &http_ep, &rt).await {
                    Ok(t) => t,
                    Err(TokenError::Endpoint {
                        kind: EndpointErrorKind::InvalidGrant,
                        ..
                    }) if has_own_grant(cfg) => {
                        self.inner.requests.fetch_add(1, Ordering::Relaxed);
                        grant::client_credentials(&self.inner.rec, cfg, &http_ep).await?
                    }
                    Err(e) => return Err(e),
                }
            }
            None if has_own_grant(cfg) => {
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                grant::client_credentials(&self.inner.rec, cfg, &http_ep).await?
            }
            None => {
                return Err(TokenError::Config {
                    profile: cfg.profile.clone(),
                    reason: "a public client with no refresh token: log in with `authdoctor token get --grant device` or `--grant auth-code`".into(),
                });
            }
        };
        Ok(new)
    }

    async fn endpoints(&self, cfg: &mut TokenConfig) -> Result<Endpoints, TokenError> {
        let http = self
            .inner
            .rec
            .http()
            .map_err(|reason| TokenError::Discovery {
                url: cfg.issuer.clone().unwrap_or_default(),
                reason,
            })?;
        Ok(cfg.endpoints(http).await?.clone())
    }

    /// Adopt a token obtained elsewhere (an interactive grant): store, then keep in memory.
    pub fn adopt(&self, t: TokenSet) -> Result<Arc<TokenSet>, TokenError> {
        if let Some(cache) = &self.inner.cache {
            cache.store(&self.inner.profile, &t)?;
        }
        let t = Arc::new(t);
        self.set_current(t.clone());
        Ok(t)
    }

    /// The transport recorder (for interactive grants that share it).
    pub fn recorder(&self) -> &Recorder {
        &self.inner.rec
    }
}

/// A token set for a file's token: expiry, issue time and scope from its claims when it is a
/// JWT (else issued at the file's mtime, expiry unknown).
fn file_token_set(token: &str, key: &str, mtime: Option<SystemTime>) -> TokenSet {
    use authdoctor_core::token::jwt::{JwtAnalysis, analyse};
    let jwt = match analyse(token) {
        Some(JwtAnalysis::Jws(j)) => Some(j),
        _ => None,
    };
    let mtime = mtime
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or_else(now_unix);
    TokenSet {
        access_token: Secret::new(token),
        token_type: "Bearer".into(),
        expires_at: jwt.as_ref().and_then(|j| j.time_claim("exp")),
        issued_at: jwt
            .as_ref()
            .and_then(|j| j.time_claim("iat"))
            .unwrap_or(mtime),
        refresh_token: None,
        refresh_expires_at: None,
        scope: jwt.as_ref().and_then(|j| j.scopes()).map(|s| s.join(" ")),
        server_offset: None,
        key: key.to_string(),
    }
}

/// Can the client get a token on its own (client_credentials)?
fn has_own_grant(cfg: &TokenConfig) -> bool {
    !matches!(cfg.auth, ClientAuth::None)
}
