//! The remote key cache: discovery (RFC 8414 §3.1, then OpenID Connect), the JWKS fetch, parsed keys
//! held behind an `Arc`, refresh on an unknown `kid` at most once per interval with one fetch in
//! flight (no storms), and stale-while-revalidate when the issuer is down.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::error::GuardError;
use crate::jwk::KeySet;

/// Where the keys come from.
#[derive(Clone, Debug)]
pub(crate) enum RemoteSource {
    Jwks(String),
    Discovery(String),
}

#[derive(Default)]
struct State {
    generation: u64,
    last_attempt: Option<Instant>,
    fetched_at: Option<Instant>,
    jwks_uri: Option<String>,
    last_error: Option<String>,
}

/// Documents larger than this are refused: a JWKS is a few KiB.
const MAX_DOC: usize = 1 << 20;

pub(crate) struct JwksCache {
    source: RemoteSource,
    client: reqwest::Client,
    keys: RwLock<Arc<KeySet>>,
    state: Mutex<State>,
    flight: tokio::sync::Mutex<()>,
    background: AtomicBool,
    refresh_interval: Duration,
    max_age: Duration,
}

impl JwksCache {
    pub(crate) fn new(
        source: RemoteSource,
        refresh_interval: Duration,
        max_age: Duration,
        timeout: Duration,
    ) -> Result<Self, GuardError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // A JWKS URL that redirects elsewhere is a configuration error, not something to
            // follow silently.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| GuardError::Config(format!("HTTP client: {e}")))?;
        Ok(JwksCache {
            source,
            client,
            keys: RwLock::new(Arc::new(KeySet::new())),
            state: Mutex::new(State::default()),
            flight: tokio::sync::Mutex::new(()),
            background: AtomicBool::new(false),
            refresh_interval,
            max_age,
        })
    }

    pub(crate) fn current(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.lock_state().last_error.clone()
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Refresh because a token named an unknown `kid`. Single-flight: callers queue on one
    /// mutex, and whoever finds that a fetch finished while it waited uses that result. At most
    /// one fetch per `refresh_interval`, so a stream of made-up `kid`s costs one fetch.
    pub(crate) async fn refresh(&self) {
        let gen0 = self.lock_state().generation;
        let _flight = self.flight.lock().await;
        {
            let mut st = self.lock_state();
            if st.generation != gen0 {
                return; // someone else fetched while we waited
            }
            if let Some(t) = st.last_attempt
                && t.elapsed() < self.refresh_interval
            {
                return;
            }
            st.last_attempt = Some(Instant::now());
        }
        let _ = self.fetch_locked().await;
    }

    /// An unconditional fetch (start-up warm-up).
    pub(crate) async fn fetch_now(&self) -> Result<usize, GuardError> {
        let _flight = self.flight.lock().await;
        self.lock_state().last_attempt = Some(Instant::now());
        self.fetch_locked().await
    }

    /// Stale-while-revalidate: keys older than `max_age` keep serving while one background task
    /// refreshes them. Needs a tokio runtime; without one the keys simply stay.
    pub(crate) fn revalidate_if_stale(self: &Arc<Self>) {
        let stale = {
            let st = self.lock_state();
            let old = st.fetched_at.is_some_and(|t| t.elapsed() >= self.max_age);
            let throttled = st
                .last_attempt
                .is_some_and(|t| t.elapsed() < self.refresh_interval);
            old && !throttled
        };
        if !stale || self.background.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            self.background.store(false, Ordering::Release);
            return;
        };
        let me = Arc::clone(self);
        rt.spawn(async move {
            me.refresh().await;
            me.background.store(false, Ordering::Release);
        });
    }

    /// Fetches while holding the flight lock. On failure the old keys stay (stale-while-
    /// revalidate) and the error is kept for logs.
    async fn fetch_locked(&self) -> Result<usize, GuardError> {
        match self.fetch_keys().await {
            Ok(set) => {
                let n = set.len();
                for s in &set.skipped {
                    tracing::warn!(kid = s.kid.as_deref().unwrap_or("-"), reason = %s.reason, "JWKS key skipped");
                }
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
                let mut st = self.lock_state();
                st.generation += 1;
                st.fetched_at = Some(Instant::now());
                st.last_error = None;
                tracing::debug!(keys = n, "JWKS refreshed");
                Ok(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "JWKS refresh failed; keeping the cached keys");
                let mut st = self.lock_state();
                st.generation += 1;
                st.last_error = Some(e.to_string());
                Err(e)
            }
        }
    }

    async fn fetch_keys(&self) -> Result<KeySet, GuardError> {
        let jwks_uri = match &self.source {
            RemoteSource::Jwks(u) => u.clone(),
            RemoteSource::Discovery(issuer) => {
                let cached = self.lock_state().jwks_uri.clone();
                match cached {
                    Some(u) => u,
                    None => {
                        let u = self.discover(issuer).await?;
                        self.lock_state().jwks_uri = Some(u.clone());
                        u
                    }
                }
            }
        };
        let body = self.get(&jwks_uri).await?;
        let set = KeySet::from_jwks_json(&body).map_err(|e| GuardError::Fetch {
            url: jwks_uri.clone(),
            detail: e.to_string(),
        })?;
        if set.is_empty() {
            return Err(GuardError::Fetch {
                url: jwks_uri,
                detail: "no usable signing key in the JWKS".into(),
            });
        }
        Ok(set)
    }

    /// The issuer's metadata at the URLs clients try, in their order
    /// ([`authdoctor_jose::discovery::metadata_urls`]: RFC 8414 §3.1, then OpenID Connect).
    /// The document's `issuer` must equal the configured one (RFC 8414 §3.3).
    async fn discover(&self, issuer: &str) -> Result<String, GuardError> {
        let urls = authdoctor_jose::discovery::metadata_urls(issuer);
        if urls.is_empty() {
            return Err(GuardError::Config(format!(
                "issuer {issuer} is not an http(s) URL"
            )));
        }
        let mut last = None;
        for url in urls {
            match self.get(&url).await {
                Ok(body) => {
                    let doc: serde_json::Value =
                        serde_json::from_slice(&body).map_err(|e| GuardError::Fetch {
                            url: url.clone(),
                            detail: format!("not JSON: {e}"),
                        })?;
                    let iss = doc.get("issuer").and_then(|v| v.as_str()).unwrap_or("");
                    if iss != issuer {
                        return Err(GuardError::Fetch {
                            url,
                            detail: format!("discovery names issuer {iss:?}, expected {issuer:?}"),
                        });
                    }
                    return doc
                        .get("jwks_uri")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned)
                        .ok_or(GuardError::Fetch {
                            url,
                            detail: "no jwks_uri".into(),
                        });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("at least two attempts"))
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, GuardError> {
        let err = |detail: String| GuardError::Fetch {
            url: url.to_owned(),
            detail,
        };
        let resp = self
            .client
            .get(url)
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| err(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(err(format!("HTTP {}", resp.status())));
        }
        if resp.content_length().is_some_and(|n| n as usize > MAX_DOC) {
            return Err(err("document too large".into()));
        }
        use http_body_util::{BodyExt, Limited};
        // Read no more than MAX_DOC, whatever the server sends (no Content-Length, or a lie).
        let body = Limited::new(reqwest::Body::from(resp), MAX_DOC)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    err("document too large".into())
                } else {
                    err(e.to_string())
                }
            })?;
        Ok(body.to_bytes().to_vec())
    }
}
