//! The token cache a fleet shares: Redis (`[cache] redis` in the config, or
//! [`RedisCache::builder`] for programs), so 50 replicas, 20 cron hosts or a hundred CI runners
//! make one token request per token lifetime between them instead of one each.
//!
//! It is the second level, behind each host's own file cache and single-flight
//! ([`crate::source::TokenSource`]):
//! - **Records** are sealed with AES-256-GCM ([`record`]), bound to their key name, under
//!   `authdoctor:v1:token:<16 hex digits>` — a hash of what the token is for (issuer, client,
//!   scopes, resource/audience; [`crate::config::TokenConfig::cache_key`]), so key names reveal
//!   no client id. A record lives until its access token expires (longer while it holds a
//!   refresh token).
//! - **One refresh across the fleet**: the instance that finds the record missing or due for
//!   renewal takes the lease `authdoctor:v1:lease:<same>` (`SET … NX PX`, a random value), asks
//!   the issuer, writes the record, and releases the lease with a compare-and-delete script (only
//!   its own). The others poll for the new record (every 15–45 ms); if the holder dies, its lease
//!   expires ([`DEFAULT_LEASE`]) and the next one takes it over.
//! - **Never a single point of failure**: every Redis operation and every connection attempt
//!   has a deadline ([`DEFAULT_TIMEOUT`]); an unreachable, slow or nonsensical Redis makes the
//!   source fall back to its local cache and single-flight, once announced (a `tracing` warning,
//!   the `on_degraded` hook the CLI turns into one stderr line, and [`RedisCache::problem`]).
//!   After a failure Redis is left alone for [`RETRY_AFTER`], then tried again. A record that
//!   fails authentication or does not parse is ignored and overwritten by the next write.

pub mod record;

pub use record::{EncryptionKey, KeyError, RecordError};

use crate::error::TokenError;
use crate::token::TokenSet;
use authdoctor_core::time::now_unix;
use redis::Value;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Deadline of one Redis operation, and of connecting.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);
/// How long a refresh lease outlives a holder that died.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);
/// After a failure, Redis is not tried again before this.
pub const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Compare-and-delete: release the lease only if it is still ours.
const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Stands for a WRONGTYPE answer: a key of ours holding something else (replaced on write).
const WRONGTYPE: &str = "WRONGTYPE";

type Hook = Arc<dyn Fn(&str) + Send + Sync>;

/// The shared cache; cheap to clone (one multiplexed connection, made on first use).
#[derive(Clone)]
pub struct RedisCache {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    display: String,
    key: EncryptionKey,
    timeout: Duration,
    lease: Duration,
    conn: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    state: Mutex<State>,
    on_degraded: Option<Hook>,
}

#[derive(Default)]
struct State {
    /// Why Redis is not used right now (an outage in progress), announced once.
    problem: Option<String>,
    retry_at: Option<Instant>,
    /// A corrupt record was seen (announced once per process).
    corrupt_seen: bool,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("url", &self.inner.display)
            .field("key", &self.inner.key)
            .field("timeout", &self.inner.timeout)
            .field("lease", &self.inner.lease)
            .finish()
    }
}

/// Builds a [`RedisCache`].
pub struct RedisCacheBuilder {
    url: Url,
    key: EncryptionKey,
    timeout: Duration,
    lease: Duration,
    on_degraded: Option<Hook>,
}

impl fmt::Debug for RedisCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCacheBuilder")
            .field("url", &redacted(&self.url))
            .field("key", &self.key)
            .field("timeout", &self.timeout)
            .field("lease", &self.lease)
            .finish()
    }
}

impl RedisCacheBuilder {
    /// Deadline of each operation and of connecting (default 50 ms).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Lifetime of a refresh lease whose holder died (default 5 s). Longer than a token
    /// request takes, shorter than callers will wait.
    pub fn lease(mut self, d: Duration) -> Self {
        self.lease = d;
        self
    }

    /// Called once when Redis stops being usable (and once for a corrupt record), with one
    /// line saying so; besides the `tracing` warning.
    pub fn on_degraded(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_degraded = Some(Arc::new(f));
        self
    }

    /// Nothing is connected yet: the first operation connects.
    pub fn build(self) -> Result<RedisCache, TokenError> {
        let display = redacted(&self.url);
        let bad = |reason: String| TokenError::Config {
            profile: "[cache]".into(),
            reason,
        };
        if !matches!(self.url.scheme(), "redis" | "rediss") {
            return Err(bad(format!(
                "{display}: the Redis URL must start with redis:// or rediss://"
            )));
        }
        let client = redis::Client::open(self.url.as_str())
            .map_err(|e| bad(format!("{display}: {}", scrub(&e.to_string(), &self.url))))?;
        Ok(RedisCache {
            inner: Arc::new(Inner {
                client,
                display,
                key: self.key,
                timeout: self.timeout,
                lease: self.lease,
                conn: tokio::sync::Mutex::new(None),
                state: Mutex::new(State::default()),
                on_degraded: self.on_degraded,
            }),
        })
    }
}

/// `scheme://host:port/db`: never the user or password of the URL.
pub fn redacted(url: &Url) -> String {
    let db = url
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .filter(|d| !d.is_empty())
        .unwrap_or("0");
    format!(
        "{}://{}:{}/{}",
        url.scheme(),
        url.host_str().unwrap_or("?"),
        url.port().unwrap_or(6379),
        db
    )
}

/// Remove the URL's password from a message, should a library quote it.
fn scrub(msg: &str, url: &Url) -> String {
    match url.password().filter(|p| !p.is_empty()) {
        Some(p) => msg.replace(p, "***"),
        None => msg.to_string(),
    }
}

/// What the record under a key says.
#[derive(Debug)]
pub enum Lookup {
    Found(TokenSet),
    Absent,
    /// A record that failed authentication or does not parse: ignored (and replaced later).
    Ignored(String),
    /// Redis could not be used (why).
    Unavailable(String),
}

/// The lease on a key's refresh, held until [`RedisCache::release`].
#[derive(Debug)]
pub struct Lease {
    name: String,
    value: String,
}

impl Lease {
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What [`RedisCache::obtain`] got.
pub(crate) enum Obtain {
    /// A usable token another instance wrote.
    Fresh(TokenSet),
    /// This instance refreshes; the last record seen (its refresh token may be used).
    Lease(Lease, Option<TokenSet>),
    /// Go local (Redis is down or the holder did not deliver in time).
    Unavailable,
}

fn digest16(cache_key: &str) -> String {
    let d = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("authdoctor redis v1\n{cache_key}").as_bytes(),
    );
    record::hex(&d.as_ref()[..8])
}

/// A uniform draw in [0, 1) for poll jitter (not a secret).
fn draw() -> f64 {
    use std::hash::BuildHasher;
    let r = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    (r >> 11) as f64 / (1u64 << 53) as f64
}

impl RedisCache {
    /// A cache on `url` (`redis://`, `rediss://`; user and password may be in it) sealing
    /// records with `key`.
    pub fn builder(url: Url, key: EncryptionKey) -> RedisCacheBuilder {
        RedisCacheBuilder {
            url,
            key,
            timeout: DEFAULT_TIMEOUT,
            lease: DEFAULT_LEASE,
            on_degraded: None,
        }
    }

    /// [`Self::builder`] with the defaults.
    pub fn new(url: Url, key: EncryptionKey) -> Result<Self, TokenError> {
        Self::builder(url, key).build()
    }

    /// From a config file's `[cache]` table: None when it names no Redis. References are
    /// resolved here (env, file, keyring); errors name them, never a value.
    pub fn from_table(
        t: &authdoctor_core::profile::CacheTable,
    ) -> Result<Option<RedisCacheBuilder>, TokenError> {
        let bad = |reason: String| TokenError::Config {
            profile: "[cache]".into(),
            reason,
        };
        let Some(url_ref) = &t.redis else {
            if t.encryption_key.is_some() {
                return Err(bad("encryption_key is set but redis is not".into()));
            }
            return Ok(None);
        };
        let resolve = |what: &str, r: &authdoctor_core::profile::SecretRef| {
            crate::config::resolve_secret(r).map_err(|e| {
                let why = match e {
                    TokenError::Secret(s) => s,
                    other => other.to_string(),
                };
                bad(format!("{what} ({r}): {why}"))
            })
        };
        let url_text = resolve("redis", url_ref)?;
        let mut url =
            Url::parse(url_text.expose()).map_err(|e| bad(format!("redis: not a URL ({e})")))?;
        if let Some(u) = &t.username {
            url.set_username(u)
                .map_err(|_| bad("redis: the URL cannot carry a user".into()))?;
        }
        if let Some(p) = &t.password {
            let p = resolve("password", p)?;
            url.set_password(Some(p.expose()))
                .map_err(|_| bad("redis: the URL cannot carry a password".into()))?;
        }
        let Some(key_ref) = &t.encryption_key else {
            return Err(bad(format!(
                "redis = {} needs encryption_key (32 random bytes, base64; e.g. {{ env = \"AUTHDOCTOR_CACHE_KEY\" }} with `openssl rand -base64 32`)",
                redacted(&url)
            )));
        };
        let key_text = resolve("encryption_key", key_ref)?;
        let key = EncryptionKey::from_base64(key_text.expose())
            .map_err(|e| bad(format!("encryption_key ({key_ref}): {e}")))?;
        let mut b = Self::builder(url, key);
        if let Some(ms) = t.timeout_ms {
            b = b.timeout(Duration::from_millis(ms.max(1)));
        }
        if let Some(ms) = t.lease_ms {
            b = b.lease(Duration::from_millis(ms.max(100)));
        }
        Ok(Some(b))
    }

    /// `redis://host:port/db` (never the user or password).
    pub fn url(&self) -> &str {
        &self.inner.display
    }

    /// The encryption key's public fingerprint.
    pub fn key_fingerprint(&self) -> &str {
        self.inner.key.fingerprint()
    }

    /// The record's key name for a token config's cache key.
    pub fn key_name(cache_key: &str) -> String {
        format!("authdoctor:v1:token:{}", digest16(cache_key))
    }

    /// The refresh lease's key name.
    pub fn lease_name(cache_key: &str) -> String {
        format!("authdoctor:v1:lease:{}", digest16(cache_key))
    }

    /// Why Redis is not being used right now (None when the last operation worked).
    pub fn problem(&self) -> Option<String> {
        self.inner.state.lock().ok()?.problem.clone()
    }

    fn announce(&self, line: &str) {
        tracing::warn!(target: "authdoctor_tokens::fleet", redis = %self.inner.display, "{line}");
        if let Some(h) = &self.inner.on_degraded {
            h(line);
        }
    }

    fn failed(&self, why: String) -> String {
        let first = {
            let Ok(mut s) = self.inner.state.lock() else {
                return why;
            };
            s.retry_at = Some(Instant::now() + RETRY_AFTER);
            let first = s.problem.is_none();
            s.problem = Some(why.clone());
            first
        };
        if first {
            self.announce(&format!(
                "the shared token cache {} is not usable ({why}): using the local cache",
                self.inner.display
            ));
        }
        why
    }

    fn worked(&self) {
        let back = match self.inner.state.lock() {
            Ok(mut s) => s.problem.take().is_some(),
            Err(_) => false,
        };
        if back {
            tracing::info!(target: "authdoctor_tokens::fleet", redis = %self.inner.display, "the shared token cache is usable again");
        }
    }

    /// While Redis is left alone after a failure: why.
    fn backing_off(&self) -> Option<String> {
        let s = self.inner.state.lock().ok()?;
        match (s.retry_at, &s.problem) {
            (Some(at), Some(p)) if Instant::now() < at => Some(p.clone()),
            _ => None,
        }
    }

    async fn connection(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        let mut g = self.inner.conn.lock().await;
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.inner.timeout))
            .set_response_timeout(Some(self.inner.timeout));
        // The library's own deadlines, and ours around them (DNS and TLS included).
        let c = tokio::time::timeout(
            self.inner.timeout * 2,
            self.inner
                .client
                .get_multiplexed_async_connection_with_config(&cfg),
        )
        .await
        .map_err(|_| format!("no connection within {:?}", self.inner.timeout * 2))?
        .map_err(|e| self.describe(&e))?;
        *g = Some(c.clone());
        Ok(c)
    }

    fn describe(&self, e: &redis::RedisError) -> String {
        // The URL is not in redis' messages; the first line is enough.
        e.to_string().lines().next().unwrap_or("error").to_string()
    }

    /// One command under the deadline; any failure drops the connection and marks Redis down.
    async fn run(&self, cmd: &redis::Cmd) -> Result<Value, String> {
        // Not a new failure: the back-off is not extended, so Redis is tried again in time
        // however busy the callers are.
        if let Some(why) = self.backing_off() {
            return Err(why);
        }
        let mut c = match self.connection().await {
            Ok(c) => c,
            Err(why) => return Err(self.failed(why)),
        };
        let r = tokio::time::timeout(self.inner.timeout, cmd.query_async::<Value>(&mut c)).await;
        let why = match r {
            Ok(Ok(Value::ServerError(e))) => format!("Redis said {e:?}"),
            Ok(Ok(v)) => {
                self.worked();
                return Ok(v);
            }
            Ok(Err(e)) if e.code() == Some("WRONGTYPE") => {
                // Not ours, but not an outage either: the caller ignores and replaces it.
                self.worked();
                return Ok(Value::SimpleString(WRONGTYPE.into()));
            }
            Ok(Err(e)) => self.describe(&e),
            Err(_) => format!("no answer within {:?}", self.inner.timeout),
        };
        *self.inner.conn.lock().await = None;
        Err(self.failed(why))
    }

    /// The record for `cache_key`, decrypted and checked.
    pub async fn load(&self, cache_key: &str) -> Lookup {
        let name = Self::key_name(cache_key);
        let v = match self.run(redis::cmd("GET").arg(&name)).await {
            Ok(v) => v,
            Err(why) => return Lookup::Unavailable(why),
        };
        let bytes = match v {
            Value::Nil => return Lookup::Absent,
            Value::BulkString(b) => b,
            Value::SimpleString(s) if s == WRONGTYPE => {
                return self.ignored(&name, "a value of another type".into());
            }
            other => return self.ignored(&name, format!("not a record ({})", kind_of(&other))),
        };
        let plain = match self.inner.key.open(&name, &bytes) {
            Ok(p) => p,
            Err(e) => return self.ignored(&name, e.to_string()),
        };
        match serde_json::from_slice::<TokenSet>(&plain) {
            Ok(t) if t.key == cache_key => Lookup::Found(t),
            Ok(_) => self.ignored(&name, "made for another token".into()),
            Err(e) => self.ignored(&name, format!("does not parse: {e}")),
        }
    }

    fn ignored(&self, name: &str, why: String) -> Lookup {
        let first = match self.inner.state.lock() {
            Ok(mut s) => !std::mem::replace(&mut s.corrupt_seen, true),
            Err(_) => false,
        };
        if first {
            self.announce(&format!(
                "ignored the record {name} in {}: {why}; it will be replaced",
                self.inner.display
            ));
        }
        Lookup::Ignored(why)
    }

    /// How long the record should live: until its access token expires (its refresh token,
    /// when it has one: then up to a day, or the refresh token's own expiry), plus 5 s for clock differences.
    fn ttl_for(t: &TokenSet) -> Option<Duration> {
        let now = now_unix();
        let access = t.remaining(now).unwrap_or(3600);
        let refresh = match (&t.refresh_token, t.refresh_expires_at) {
            (None, _) => i64::MIN,
            (Some(_), Some(e)) => e - t.server_now(now),
            (Some(_), None) => 24 * 3600,
        };
        let secs = access.max(refresh);
        (secs > 0).then(|| Duration::from_secs(secs as u64 + 5))
    }

    /// Write the record for `cache_key` (sealed; see [`record`]).
    pub async fn store(&self, cache_key: &str, t: &TokenSet) -> Result<(), String> {
        let Some(ttl) = Self::ttl_for(t) else {
            return Ok(());
        };
        let name = Self::key_name(cache_key);
        let plain = serde_json::to_vec(t).map_err(|e| e.to_string())?;
        let sealed = self
            .inner
            .key
            .seal(&name, &plain)
            .map_err(|e| e.to_string())?;
        let mut cmd = redis::cmd("SET");
        cmd.arg(&name)
            .arg(sealed)
            .arg("PX")
            .arg(ttl.as_millis() as u64);
        self.run(&cmd).await.map(|_| ())
    }

    /// The record's remaining lifetime in Redis (None: no record).
    pub async fn ttl(&self, cache_key: &str) -> Result<Option<Duration>, String> {
        match self
            .run(redis::cmd("PTTL").arg(Self::key_name(cache_key)))
            .await?
        {
            Value::Int(ms) if ms >= 0 => Ok(Some(Duration::from_millis(ms as u64))),
            Value::Int(-1) => Ok(Some(Duration::MAX)),
            _ => Ok(None),
        }
    }

    /// Take the refresh lease for `cache_key`, if no one holds it.
    pub async fn try_lease(&self, cache_key: &str) -> Result<Option<Lease>, String> {
        let mut rnd = [0u8; 16];
        aws_lc_rs::rand::fill(&mut rnd).map_err(|_| "no randomness".to_string())?;
        let lease = Lease {
            name: Self::lease_name(cache_key),
            value: record::hex(&rnd),
        };
        let mut cmd = redis::cmd("SET");
        cmd.arg(&lease.name)
            .arg(&lease.value)
            .arg("NX")
            .arg("PX")
            .arg(self.inner.lease.as_millis() as u64);
        match self.run(&cmd).await? {
            Value::Okay => Ok(Some(lease)),
            Value::SimpleString(s) if s == "OK" => Ok(Some(lease)),
            _ => Ok(None),
        }
    }

    /// Release a lease if it is still ours (true when it was).
    pub async fn release(&self, lease: Lease) -> Result<bool, String> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(RELEASE).arg(1).arg(&lease.name).arg(&lease.value);
        Ok(matches!(self.run(&cmd).await?, Value::Int(1)))
    }

    /// A usable record (written by another instance), or the lease to refresh, waiting for
    /// the current holder while there is one (see the module doc).
    pub(crate) async fn obtain(
        &self,
        cache_key: &str,
        usable: impl Fn(&TokenSet) -> bool,
    ) -> Obtain {
        // The holder has the lease's lifetime to deliver; past that it is presumed dead and
        // its lease has expired, so one of the waiters takes it over.
        let deadline = Instant::now() + self.inner.lease + self.inner.timeout * 8 + RETRY_AFTER;
        let mut seen = None;
        loop {
            match self.load(cache_key).await {
                Lookup::Found(t) if usable(&t) => return Obtain::Fresh(t),
                Lookup::Found(t) => seen = Some(t),
                Lookup::Absent | Lookup::Ignored(_) => {}
                Lookup::Unavailable(_) => return Obtain::Unavailable,
            }
            match self.try_lease(cache_key).await {
                Ok(Some(lease)) => {
                    // The previous holder may have written and released between our read and
                    // our lease: look once more before asking the issuer.
                    return match self.load(cache_key).await {
                        Lookup::Found(t) if usable(&t) => {
                            let _ = self.release(lease).await;
                            Obtain::Fresh(t)
                        }
                        Lookup::Found(t) => Obtain::Lease(lease, Some(t)),
                        Lookup::Unavailable(_) => Obtain::Unavailable,
                        _ => Obtain::Lease(lease, seen),
                    };
                }
                Ok(None) => {}
                Err(_) => return Obtain::Unavailable,
            }
            if Instant::now() >= deadline {
                let why = format!(
                    "the holder of the refresh lease published no token within {:?}",
                    self.inner.lease
                );
                self.announce(&format!("{why}: refreshing locally"));
                return Obtain::Unavailable;
            }
            let ms = 15.0 + 30.0 * draw();
            tokio::time::sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
        }
    }

    /// For display: `{"kind":"redis","url":…,"key":…,"ttl_seconds":…,"state":…}`, looking the
    /// record up (state `ok`, `absent`, `ignored` with the reason, `unreachable`).
    pub async fn describe_key(&self, cache_key: &str) -> serde_json::Value {
        let name = Self::key_name(cache_key);
        let (state, reason) = match self.load(cache_key).await {
            Lookup::Found(_) => ("ok", None),
            Lookup::Absent => ("absent", None),
            Lookup::Ignored(why) => ("ignored", Some(why)),
            Lookup::Unavailable(why) => ("unreachable", Some(why)),
        };
        let ttl = if state == "unreachable" {
            None
        } else {
            self.ttl(cache_key).await.ok().flatten()
        };
        serde_json::json!({
            "kind": "redis",
            "url": self.inner.display,
            "key": name,
            "ttl_seconds": ttl.filter(|d| *d != Duration::MAX).map(|d| d.as_secs()),
            "state": state,
            "reason": reason,
            "encryption": "AES-256-GCM",
            "key_fingerprint": self.inner.key.fingerprint(),
        })
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an integer",
        Value::Array(_) => "an array",
        Value::SimpleString(_) | Value::Okay => "a status",
        _ => "something else",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_displayed_url_never_has_the_password() {
        let u = Url::parse("redis://alice:pa55w0rd-x@cache.internal:6380/3").unwrap();
        assert_eq!(redacted(&u), "redis://cache.internal:6380/3");
        let u = Url::parse("rediss://:pw@h").unwrap();
        assert_eq!(redacted(&u), "rediss://h:6379/0");
        let k = EncryptionKey::from_bytes(&[1; 32]).unwrap();
        let c = RedisCache::new(
            Url::parse("redis://alice:pa55w0rd-x@127.0.0.1:1/0").unwrap(),
            k,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pa55w0rd"));
        assert_eq!(c.url(), "redis://127.0.0.1:1/0");
    }

    #[test]
    fn key_names_are_hashed_and_prefixed() {
        let n = RedisCache::key_name("0123abcd");
        assert!(n.starts_with("authdoctor:v1:token:"));
        assert_eq!(n.len(), "authdoctor:v1:token:".len() + 16);
        assert_eq!(
            RedisCache::lease_name("0123abcd")[20..],
            n["authdoctor:v1:token:".len()..]
        );
        assert_ne!(n, RedisCache::key_name("0123abce"));
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_reported_once_and_fails_fast() {
        // A port nothing listens on: refused at once.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let l2 = lines.clone();
        let c = RedisCache::builder(
            Url::parse(&format!("redis://u:hunter2-pw@127.0.0.1:{port}/0")).unwrap(),
            EncryptionKey::from_bytes(&[1; 32]).unwrap(),
        )
        .on_degraded(move |l| l2.lock().unwrap().push(l.to_string()))
        .build()
        .unwrap();
        for _ in 0..3 {
            assert!(matches!(c.load("k").await, Lookup::Unavailable(_)));
        }
        assert!(matches!(c.obtain("k", |_| true).await, Obtain::Unavailable));
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("not usable"), "{lines:?}");
        assert!(!lines[0].contains("hunter2"), "{lines:?}");
        assert!(c.problem().is_some());
    }

    /// A server that accepts and then says nothing (`silent`), or answers nonsense.
    async fn fake_redis(silent: bool) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = l.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        if !silent {
                            let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n\x00\xff").await;
                        }
                    }
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn a_silent_or_nonsensical_server_is_given_up_on_within_the_deadline() {
        for silent in [true, false] {
            let port = fake_redis(silent).await;
            let c = RedisCache::new(
                Url::parse(&format!("redis://127.0.0.1:{port}/0")).unwrap(),
                EncryptionKey::from_bytes(&[1; 32]).unwrap(),
            )
            .unwrap();
            let t = Instant::now();
            let r = c.load("k").await;
            assert!(matches!(r, Lookup::Unavailable(_)), "{r:?}");
            // A liveness bound, not a measurement: 50 ms deadlines, well under a second.
            assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
            assert!(c.problem().is_some());
            // Backing off: the next call does not wait at all.
            assert!(matches!(c.load("k").await, Lookup::Unavailable(_)));
        }
    }

    #[test]
    fn config_tables_resolve_references_and_refuse_bad_keys() {
        use authdoctor_core::profile::{CacheTable, SecretRef};
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([3u8; 32]);
        let t = CacheTable {
            redis: Some(SecretRef::Literal("redis://127.0.0.1:6379/2".into())),
            encryption_key: Some(SecretRef::Literal(key)),
            username: Some("app".into()),
            password: Some(SecretRef::Literal("pw-xyz".into())),
            timeout_ms: Some(75),
            lease_ms: None,
        };
        let c = RedisCache::from_table(&t)
            .unwrap()
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.url(), "redis://127.0.0.1:6379/2");
        assert_eq!(c.inner.timeout, Duration::from_millis(75));
        let mut short = t.clone();
        short.encryption_key = Some(SecretRef::Literal("c2hvcnQ=".into()));
        let e = RedisCache::from_table(&short).unwrap_err().to_string();
        assert!(e.contains("32 random bytes"), "{e}");
        let mut none = t.clone();
        none.encryption_key = None;
        assert!(RedisCache::from_table(&none).is_err());
        let mut env = t.clone();
        env.encryption_key = Some(SecretRef::Env {
            env: "ADT_SURELY_UNSET_KEY_VAR".into(),
        });
        let e = RedisCache::from_table(&env).unwrap_err().to_string();
        assert!(e.contains("ADT_SURELY_UNSET_KEY_VAR is not set"), "{e}");
        assert!(
            RedisCache::from_table(&CacheTable::default())
                .unwrap()
                .is_none()
        );
    }
}
