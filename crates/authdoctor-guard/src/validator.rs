//! The validator: configuration (issuer, audiences, leeway, `typ`, algorithms, limits, response
//! options), where keys come from, and the single-pass check of one token.
//!
//! It is framework-free: the tower `Guard` calls it, and so can anything else. A `Validator` is
//! a cheap clone (one `Arc`).

use std::sync::Arc;
use std::time::Duration;

use crate::claims::{ClaimRules, Claims, RequiredClaim};
use crate::dpop::{self, ClientCertificate, DpopConfig, DpopState, Scheme};
use crate::error::{GuardError, Malformed, Rejection};
use crate::jwk::{KeySet, VerifyKey};
use crate::jwks::{JwksCache, RemoteSource};
use crate::jws::{self, Algorithm, HeaderPolicy, Limits};

/// A token that passed every check: its claims, the key and algorithm that verified it, and the
/// payload bytes for claims the guard does not model. Inserted into the request extensions.
#[derive(Clone, Debug)]
pub struct Validated {
    /// The registered claims.
    pub claims: Claims,
    /// The verifying algorithm.
    pub alg: Algorithm,
    /// The verifying key's `kid`.
    pub kid: Option<Arc<str>>,
    // A Vec, not Arc<[u8]>: converting would copy the payload on every request, while a clone
    // (only when a handler extracts the token) is rare.
    payload: Vec<u8>,
}

impl Validated {
    /// Deserialises the verified payload into the caller's own claims type.
    pub fn claims_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }
}

type ClockFn = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Response and policy options shared by the validator and the tower layer.
#[derive(Clone)]
pub struct Config {
    pub(crate) realm: String,
    pub(crate) descriptions: bool,
    pub(crate) resource: Option<String>,
    pub(crate) resource_metadata_url: Option<String>,
    pub(crate) scopes_supported: Vec<String>,
    pub(crate) rules: ClaimRules,
    pub(crate) header: HeaderPolicy,
    pub(crate) limits: Limits,
    pub(crate) clock: ClockFn,
    pub(crate) dpop: Option<Arc<DpopState>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("realm", &self.realm)
            .field("descriptions", &self.descriptions)
            .field("rules", &self.rules)
            .field("header", &self.header)
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// The realm in every challenge.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The guard's current time (Unix seconds).
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> &[String] {
        &self.rules.issuers
    }

    /// Whether the DPoP scheme is accepted.
    pub fn dpop_enabled(&self) -> bool {
        self.dpop.is_some()
    }

    /// Whether the Bearer scheme is accepted (always, unless DPoP is required).
    pub fn bearer_allowed(&self) -> bool {
        !self.dpop.as_ref().is_some_and(|d| d.required)
    }
}

pub(crate) enum KeySource {
    Static(Arc<KeySet>),
    Remote(Arc<JwksCache>),
}

struct Inner {
    config: Config,
    keys: KeySource,
}

/// Validates bearer JWT access tokens. Build one with [`Validator::builder`].
#[derive(Clone)]
pub struct Validator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Validator {
    /// A builder with the defaults: leeway 60 s, `exp` required, `typ` must be `at+jwt`, every
    /// supported algorithm (each still pinned by its key), 8 KiB tokens, descriptions on.
    pub fn builder() -> ValidatorBuilder {
        ValidatorBuilder::default()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Validates with the keys at hand, never fetching: the whole check, synchronously. An
    /// unknown `kid` gives `KeyNotFound` here; [`Validator::validate`] refreshes first.
    pub fn validate_cached(&self, token: &str) -> Result<Validated, Rejection> {
        let now = self.inner.config.now();
        match &self.inner.keys {
            KeySource::Static(set) => self.check(token, set, now),
            KeySource::Remote(cache) => {
                let r = self.check(token, &cache.current(), now);
                if !matches!(r, Err(Rejection::KeyNotFound { .. })) {
                    cache.revalidate_if_stale();
                }
                r
            }
        }
    }

    /// Whether a `KeyNotFound` from [`Validator::validate_cached`] could be cured by a fetch.
    pub(crate) fn is_remote(&self) -> bool {
        matches!(self.inner.keys, KeySource::Remote(_))
    }

    /// Validates, refreshing the JWKS on an unknown `kid` (single-flight, at most once per
    /// refresh interval). When no keys were ever obtained the answer is `KeysUnavailable`.
    pub async fn validate(&self, token: &str) -> Result<Validated, Rejection> {
        let first = self.validate_cached(token);
        let KeySource::Remote(cache) = &self.inner.keys else {
            return first;
        };
        match first {
            Err(Rejection::KeyNotFound { .. }) => {
                cache.refresh().await;
                let set = cache.current();
                if set.is_empty() {
                    tracing::warn!(
                        reason = "keys_unavailable",
                        error = cache.last_error().as_deref().unwrap_or("-"),
                        "no signing keys"
                    );
                    return Err(Rejection::KeysUnavailable);
                }
                self.check(token, &set, self.inner.config.now())
            }
            other => other,
        }
    }

    /// Fetches the keys now (start-up warm-up). Errors are also kept for `KeysUnavailable`.
    pub async fn prefetch(&self) -> Result<usize, GuardError> {
        match &self.inner.keys {
            KeySource::Static(s) => Ok(s.len()),
            KeySource::Remote(c) => c.fetch_now().await,
        }
    }

    /// The proof-of-possession checks for a token that passed [`Validator::validate_cached`]
    /// or [`Validator::validate`], sent with `scheme` on `req` (RFC 9449 §4.3, §7; RFC 8705
    /// §3): a `cnf.jkt` token needs the DPoP scheme and a valid, unused proof by that key in the
    /// `DPoP` header; a `cnf.x5t#S256` token needs that client certificate as a
    /// [`ClientCertificate`] in the request extensions; a DPoP request needs a `cnf.jkt` token.
    /// The tower layer calls this after validating.
    pub fn check_binding<B>(
        &self,
        scheme: Scheme,
        token: &str,
        validated: &Validated,
        req: &http::Request<B>,
    ) -> Result<(), Rejection> {
        let cfg = &self.inner.config;
        let claims = &validated.claims;
        let cert = req.extensions().get::<ClientCertificate>();
        let r = dpop::check_certificate(claims, cert).and_then(|()| match scheme {
            Scheme::Bearer => {
                if claims.cnf.as_ref().is_some_and(|c| c.jkt.is_some()) {
                    // RFC 9449 §7.2: a DPoP-bound token is never accepted as a bearer token.
                    Err(Rejection::BoundTokenAsBearer)
                } else {
                    Ok(())
                }
            }
            Scheme::Dpop => match &cfg.dpop {
                Some(d) => d.check(
                    token,
                    claims,
                    req.method().as_str(),
                    req.uri().path(),
                    req.headers(),
                    cfg.now(),
                ),
                // Unreachable through the layer (the scheme is not parsed without DPoP).
                None => Err(Rejection::Missing),
            },
        });
        if let Err(rej) = &r {
            log_rejection(rej, validated.kid.as_deref(), Some(claims));
        }
        r
    }

    /// One token, one pass: JWS verify (header once, pinned key), claims once, rules.
    fn check(&self, token: &str, keys: &KeySet, now: i64) -> Result<Validated, Rejection> {
        let cfg = &self.inner.config;
        let jws = match jws::verify_compact(token, keys, &cfg.header, &cfg.limits) {
            Ok(j) => j,
            Err(rej) => {
                log_rejection(&rej, None, None);
                return Err(rej);
            }
        };
        // serde's derived struct visitor also accepts a JSON array (fields by position): a
        // claims set must be an object (RFC 7519 §7.2), so anything else is refused first.
        let is_object = jws.payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let parsed = if is_object {
            serde_json::from_slice::<Claims>(&jws.payload).ok()
        } else {
            None
        };
        let claims: Claims = match parsed {
            Some(c) => c,
            None => {
                let rej = Rejection::Malformed(Malformed::ClaimsJson);
                log_rejection(&rej, jws.kid.as_deref(), None);
                return Err(rej);
            }
        };
        if let Err(rej) = cfg.rules.check(&claims, now) {
            log_rejection(&rej, jws.kid.as_deref(), Some(&claims));
            return Err(rej);
        }
        Ok(Validated {
            claims,
            alg: jws.alg,
            kid: jws.kid,
            payload: jws.payload,
        })
    }
}

/// The structured log of a rejection: the reason and the token's identifying claims, never the
/// token itself.
pub(crate) fn log_rejection(rej: &Rejection, kid: Option<&str>, claims: Option<&Claims>) {
    let c = claims;
    tracing::info!(
        reason = rej.reason(),
        description = %rej,
        kid = kid.unwrap_or("-"),
        iss = c.and_then(|c| c.iss.as_deref()).unwrap_or("-"),
        aud = c.and_then(|c| c.aud.first().map(String::as_str)).unwrap_or("-"),
        sub = c.and_then(|c| c.sub.as_deref()).unwrap_or("-"),
        "bearer token rejected"
    );
}

/// Builds a [`Validator`].
pub struct ValidatorBuilder {
    realm: String,
    descriptions: bool,
    resource: Option<String>,
    resource_metadata_url: Option<String>,
    scopes_supported: Vec<String>,
    issuers: Vec<String>,
    audiences: Vec<String>,
    leeway: i64,
    required: Vec<RequiredClaim>,
    check_exp: bool,
    check_nbf: bool,
    header: HeaderPolicy,
    limits: Limits,
    clock: ClockFn,
    keys: Option<KeySet>,
    remote: Option<RemoteSource>,
    refresh_interval: Duration,
    max_age: Duration,
    http_timeout: Duration,
    dpop: Option<DpopConfig>,
}

impl Default for ValidatorBuilder {
    fn default() -> Self {
        ValidatorBuilder {
            realm: "api".into(),
            descriptions: true,
            resource: None,
            resource_metadata_url: None,
            scopes_supported: Vec::new(),
            issuers: Vec::new(),
            audiences: Vec::new(),
            leeway: 60,
            required: vec![RequiredClaim::Exp],
            check_exp: true,
            check_nbf: true,
            header: HeaderPolicy {
                allowed_algs: Vec::new(),
                typ: vec!["at+jwt".into()],
            },
            limits: Limits::default(),
            clock: Arc::new(system_now),
            keys: None,
            remote: None,
            refresh_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(300),
            http_timeout: Duration::from_secs(5),
            dpop: None,
        }
    }
}

impl ValidatorBuilder {
    /// The `realm` of every challenge (default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Trust tokens whose `iss` is `issuer` (may be called more than once). Also makes `iss`
    /// required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        if !self.required.contains(&RequiredClaim::Iss) {
            self.required.push(RequiredClaim::Iss);
        }
        self
    }

    /// Accept tokens whose `aud` contains `aud` (may be called more than once).
    pub fn audience(mut self, aud: impl Into<String>) -> Self {
        self.audiences.push(aud.into());
        self
    }

    /// Clock leeway for `exp`/`nbf`/`iat`, in seconds (default 60).
    pub fn leeway(mut self, secs: u32) -> Self {
        self.leeway = i64::from(secs);
        self
    }

    /// The claims a token must carry (default: `exp`, plus `iss` once an issuer is set).
    pub fn required_claims(mut self, claims: &[RequiredClaim]) -> Self {
        self.required = claims.to_vec();
        self
    }

    /// Turn the `exp` check off (tests and vectors only; never in production).
    pub fn check_exp(mut self, on: bool) -> Self {
        self.check_exp = on;
        self
    }

    /// Turn the `nbf` check off.
    pub fn check_nbf(mut self, on: bool) -> Self {
        self.check_nbf = on;
        self
    }

    /// Accepted header `typ` values (default `at+jwt`, RFC 9068). An empty list turns the check
    /// off, for issuers that mint plain `JWT` access tokens.
    pub fn typ<I: IntoIterator<Item = S>, S: Into<String>>(mut self, typs: I) -> Self {
        self.header.typ = typs.into_iter().map(Into::into).collect();
        self
    }

    /// Restrict the accepted algorithms (each key still allows only its own).
    pub fn algorithms(mut self, algs: &[Algorithm]) -> Self {
        self.header.allowed_algs = algs.to_vec();
        self
    }

    /// Size limits for the token and its header.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Put `error_description` into challenges (default on). Off for production if you prefer:
    /// the `tracing` event still carries the reason.
    pub fn error_descriptions(mut self, on: bool) -> Self {
        self.descriptions = on;
        self
    }

    /// The resource identifier (RFC 9728 `resource`) and the URL its metadata is served at; the
    /// URL goes into every challenge as `resource_metadata`.
    pub fn resource(
        mut self,
        resource: impl Into<String>,
        metadata_url: impl Into<String>,
    ) -> Self {
        self.resource = Some(resource.into());
        self.resource_metadata_url = Some(metadata_url.into());
        self
    }

    /// `scopes_supported` in the protected-resource metadata.
    pub fn scopes_supported<I: IntoIterator<Item = S>, S: Into<String>>(mut self, s: I) -> Self {
        self.scopes_supported = s.into_iter().map(Into::into).collect();
        self
    }

    /// The clock (Unix seconds). Default: the system clock.
    pub fn clock(mut self, f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(f);
        self
    }

    /// A fixed time, for tests and vectors.
    pub fn fixed_time(self, t: i64) -> Self {
        self.clock(move || t)
    }

    /// Static keys (a JWKS parsed at start-up).
    pub fn keys(mut self, keys: KeySet) -> Self {
        self.keys = Some(keys);
        self
    }

    /// An HS256 shared secret (added to the static keys, `kid` optional).
    pub fn hs256_secret(mut self, kid: Option<&str>, secret: &[u8]) -> Result<Self, GuardError> {
        let k = VerifyKey::hmac(kid, secret, &[Algorithm::HS256])?;
        self.keys.get_or_insert_with(KeySet::new).insert(k);
        Ok(self)
    }

    /// Keys from a JWKS URL, cached and refreshed.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.remote = Some(RemoteSource::Jwks(url.into()));
        self
    }

    /// Keys from the issuer's metadata (RFC 8414 §3.1, else OpenID Connect). Also trusts
    /// that issuer.
    pub fn discover(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        self.remote = Some(RemoteSource::Discovery(issuer.clone()));
        self.issuer(issuer)
    }

    /// The least time between two JWKS fetches caused by unknown `kid`s (default 30 s).
    pub fn refresh_interval(mut self, d: Duration) -> Self {
        self.refresh_interval = d;
        self
    }

    /// How long fetched keys are fresh; older keys are still used while a background refresh
    /// runs (stale-while-revalidate). Default 300 s.
    pub fn max_age(mut self, d: Duration) -> Self {
        self.max_age = d;
        self
    }

    /// Accept DPoP-bound tokens (RFC 9449) with the `DPoP` scheme, per `config` (the external
    /// URL the API is reached at, Bearer still allowed or not, proof algorithms, `iat` window,
    /// replay cache size, server nonces). Without this only Bearer is accepted, and a
    /// DPoP-bound token is refused either way.
    pub fn dpop(mut self, config: DpopConfig) -> Self {
        self.dpop = Some(config);
        self
    }

    /// Builds the validator. Fails on a configuration that could never accept a token.
    pub fn build(self) -> Result<Validator, GuardError> {
        let keys = match (self.keys, self.remote) {
            (Some(_), Some(_)) => {
                return Err(GuardError::Config(
                    "give either static keys or a JWKS/discovery source, not both".into(),
                ));
            }
            (Some(k), None) => {
                if k.is_empty() {
                    return Err(GuardError::Config("the static key set is empty".into()));
                }
                KeySource::Static(Arc::new(k))
            }
            (None, Some(r)) => KeySource::Remote(Arc::new(JwksCache::new(
                r,
                self.refresh_interval,
                self.max_age,
                self.http_timeout,
            )?)),
            (None, None) => {
                return Err(GuardError::Config(
                    "no key source (keys, jwks_url or discover)".into(),
                ));
            }
        };
        if self.audiences.iter().any(String::is_empty) || self.issuers.iter().any(String::is_empty)
        {
            return Err(GuardError::Config("empty issuer or audience".into()));
        }
        if self.realm.contains('"') || self.realm.contains('\\') {
            return Err(GuardError::Config(
                "the realm must not contain quotes or backslashes".into(),
            ));
        }
        let dpop = match self.dpop {
            Some(c) => Some(Arc::new(DpopState::new(c).map_err(GuardError::Config)?)),
            None => None,
        };
        Ok(Validator {
            inner: Arc::new(Inner {
                config: Config {
                    realm: self.realm,
                    descriptions: self.descriptions,
                    resource: self.resource,
                    resource_metadata_url: self.resource_metadata_url,
                    scopes_supported: self.scopes_supported,
                    rules: ClaimRules {
                        issuers: self.issuers,
                        audiences: self.audiences,
                        leeway: self.leeway,
                        required: self.required,
                        check_exp: self.check_exp,
                        check_nbf: self.check_nbf,
                    },
                    header: self.header,
                    limits: self.limits,
                    clock: self.clock,
                    dpop,
                },
                keys,
            }),
        })
    }
}
