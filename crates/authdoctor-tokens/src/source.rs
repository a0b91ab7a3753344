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
//! 4. Renew: with the refresh token if there is one; if the server says `invalid_grant` (expired,
//!    revoked, or rotated away) fall back to the client's own grant when it has one.
//!    Otherwise the primary grant (client_credentials).
//! 5. Store the new set on disk (atomic rename) *before* replacing the one in memory, so a
//!    rotated refresh token is persisted before the old one is dropped.
//! 6. Release the locks; every waiter now finds the fresh token at step 2.
//!
//! After a 401, [`TokenSource::renew_after_rejection`] forces step 4 once — unless the token in
//! memory is already another one than the rejected one (a concurrent caller renewed it).

use crate::cache::FileCache;
use crate::config::{ClientAuth, Endpoints, TokenConfig};
use crate::error::{EndpointErrorKind, TokenError};
use crate::grant::{self, Recorder};
use crate::token::TokenSet;
use authdoctor_core::time::now_unix;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

struct Current {
    token: Arc<TokenSet>,
    /// Drawn once per token, so its renewal deadline is stable between calls.
    jitter: f64,
}

struct Inner {
    /// Held for the whole of an acquisition: the single-flight lock. Holds the config because
    /// endpoints are discovered lazily, once.
    flight: tokio::sync::Mutex<TokenConfig>,
    profile: String,
    key: String,
    current: RwLock<Option<Current>>,
    cache: Option<FileCache>,
    rec: Recorder,
    requests: AtomicU64,
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
        TokenSource {
            inner: Arc::new(Inner {
                profile: cfg.profile.clone(),
                key: cfg.cache_key(),
                flight: tokio::sync::Mutex::new(cfg),
                current: RwLock::new(None),
                cache,
                rec,
                requests: AtomicU64::new(0),
            }),
        }
    }

    /// Token requests this source has sent (for tests and benchmarks).
    pub fn requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    pub fn profile(&self) -> &str {
        &self.inner.profile
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

    /// A fresh token (see the module doc for the steps).
    pub async fn token(&self) -> Result<Arc<TokenSet>, TokenError> {
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
        self.acquire(Some(rejected)).await
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
        // Step 4: renew.
        let http_ep = self.endpoints(&mut cfg).await?;
        let new = match refresh_token {
            Some(rt) => {
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                match grant::refresh(&self.inner.rec, &cfg, &http_ep, &rt).await {
                    Ok(t) => t,
                    Err(TokenError::Endpoint {
                        kind: EndpointErrorKind::InvalidGrant,
                        ..
                    }) if has_own_grant(&cfg) => {
                        self.inner.requests.fetch_add(1, Ordering::Relaxed);
                        grant::client_credentials(&self.inner.rec, &cfg, &http_ep).await?
                    }
                    Err(e) => return Err(e),
                }
            }
            None if has_own_grant(&cfg) => {
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                grant::client_credentials(&self.inner.rec, &cfg, &http_ep).await?
            }
            None => {
                return Err(TokenError::Config {
                    profile: cfg.profile.clone(),
                    reason: "a public client with no refresh token: log in with `authdoctor token get --grant device` or `--grant auth-code`".into(),
                });
            }
        };
        // Step 5: persist before replacing (a rotated refresh token must not be lost).
        if let Some(cache) = &self.inner.cache {
            cache.store(&self.inner.profile, &new)?;
        }
        let t = Arc::new(new);
        self.set_current(t.clone());
        Ok(t)
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

/// Can the client get a token on its own (client_credentials)?
fn has_own_grant(cfg: &TokenConfig) -> bool {
    !matches!(cfg.auth, ClientAuth::None)
}
