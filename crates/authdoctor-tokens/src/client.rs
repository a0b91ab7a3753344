//! [`AuthClient`]: the library piece for Rust programs — a reqwest client wrapper that injects
//! the profile's token, renews it ahead of expiry, retries once after a 401, and when the request
//! still fails attaches authdoctor's diagnosis (ranked causes, redacted) to the error.
//!
//! For programs already built on `reqwest-middleware`, the same steps come as a `Middleware`
//! ([`crate::middleware::TokenMiddleware`], cargo feature `middleware`); both share the helpers
//! here (the retry copy, the header, the diagnosis).
//!
//! [`AuthClient::execute`]:
//! 1. Take a fresh token from the [`TokenSource`] (single-flight, renewed ahead of expiry).
//! 2. Send the request with `Authorization` set (replacing any the caller set).
//! 3. On a 401, if the request can be sent again (a body that is not a stream, and a safe
//!    method — GET, HEAD, OPTIONS, TRACE, [`authdoctor_core::model::method_is_safe`], the same
//!    rule as the CLI's), renew the token once (shared with every concurrent caller that saw the
//!    same 401) and send it again. PUT, POST, PATCH and DELETE are never sent twice.
//! 4. Still 401/403: diagnose the final answer with authdoctor-core and return
//!    [`AuthClientError::Rejected`] carrying the findings.

use crate::error::TokenError;
use crate::source::TokenSource;
use authdoctor_core::causes;
use authdoctor_core::diagnosis::Finding;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::{Exchange, Header, RequestSpec};
use authdoctor_core::time::now_unix;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AuthClientError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The server refused the request even with a renewed token.
    #[error("{status} from {url}: {summary}")]
    Rejected {
        status: u16,
        url: String,
        /// "most likely <cause> — <title>", redacted.
        summary: String,
        /// The ranked causes, most likely first.
        findings: Vec<Finding>,
    },
}

/// A reqwest client that authenticates every request with a profile's token.
#[derive(Clone)]
pub struct AuthClient {
    http: reqwest::Client,
    source: TokenSource,
}

/// A copy to send again after a 401: only for a safe method and a body that is not a stream
/// (`Request::try_clone`). Shared with the `reqwest-middleware` piece.
pub(crate) fn spare_copy(req: &reqwest::Request) -> Option<reqwest::Request> {
    if authdoctor_core::model::method_is_safe(req.method().as_str()) {
        req.try_clone()
    } else {
        None
    }
}

/// Set `Authorization` on `req`, replacing any the caller set.
pub(crate) fn authorize(req: &mut reqwest::Request, authorization: &str) -> Result<(), TokenError> {
    let v = reqwest::header::HeaderValue::from_str(authorization)
        .map_err(|_| TokenError::Protocol("the token is not a valid header value".into()))?;
    req.headers_mut().insert(reqwest::header::AUTHORIZATION, v);
    Ok(())
}

/// Whether a final answer is a refusal to diagnose.
pub(crate) fn refused(resp: &reqwest::Response) -> bool {
    matches!(resp.status().as_u16(), 401 | 403)
}

/// Diagnose a final 401/403 with authdoctor-core: [`AuthClientError::Rejected`] with the ranked
/// causes, redacted. `method` is the request's. Shared with the `reqwest-middleware` piece.
pub(crate) async fn rejection(
    source: &TokenSource,
    method: &reqwest::Method,
    resp: reqwest::Response,
) -> AuthClientError {
    let url = resp.url().to_string();
    let status = resp.status().as_u16();
    let headers: Vec<Header> = resp
        .headers()
        .iter()
        .map(|(n, v)| Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes())))
        .collect();
    // What the diagnosis reads of a body is capped like the CLI's.
    let body = crate::grant::read_capped(resp, authdoctor_core::model::BODY_CAP)
        .await
        .unwrap_or_default();
    let auth = source
        .current()
        .map(|t| t.authorization())
        .unwrap_or_default();
    let spec = RequestSpec {
        method: method.as_str().into(),
        url: url.clone(),
        headers: vec![Header::new("Authorization", auth)],
        ..Default::default()
    };
    let x = Exchange {
        method: spec.method.clone(),
        url: url.clone(),
        request_headers: spec.headers.clone(),
        dropped_headers: Vec::new(),
        status,
        reason: None,
        http_version: "HTTP/1.1".into(),
        headers,
        body,
        body_truncated: false,
        elapsed_ms: None,
        remote_addr: None,
        tls: None,
        received_at: Some(now_unix()),
    };
    let ev = Evidence::new(spec, vec![x], None, None, now_unix());
    let findings = causes::diagnose(&ev);
    let report = authdoctor_core::report::Report::new(&ev, findings.clone());
    AuthClientError::Rejected {
        status,
        url,
        summary: report.summary.clone(),
        findings: report.findings.clone(),
    }
}

impl AuthClient {
    pub fn new(http: reqwest::Client, source: TokenSource) -> Self {
        AuthClient { http, source }
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// Share tokens with the other hosts of a fleet through Redis ([`crate::fleet`]): `url` is
    /// `redis://` or `rediss://` (a password may be in it), `key` seals the records. For the
    /// timeouts, the lease and a hook on outages, build a
    /// [`RedisCache`](crate::fleet::RedisCache) and use [`TokenSource::with_redis_cache`].
    pub fn with_redis_cache(
        self,
        url: url::Url,
        key: crate::fleet::EncryptionKey,
    ) -> Result<Self, TokenError> {
        self.source
            .set_redis_cache(crate::fleet::RedisCache::new(url, key)?)?;
        Ok(self)
    }

    /// A GET through [`Self::execute`].
    pub async fn get(&self, url: &str) -> Result<reqwest::Response, AuthClientError> {
        let req = self.http.get(url).build()?;
        self.execute(req).await
    }

    /// Send `req` authenticated (the steps are in the module doc).
    pub async fn execute(
        &self,
        mut req: reqwest::Request,
    ) -> Result<reqwest::Response, AuthClientError> {
        let method = req.method().clone();
        let token = self.source.token().await?;
        let spare = spare_copy(&req);
        authorize(&mut req, &token.authorization())?;
        let mut resp = self.http.execute(req).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(mut again) = spare
        {
            let renewed = self.source.renew_after_rejection(&token).await?;
            authorize(&mut again, &renewed.authorization())?;
            resp = self.http.execute(again).await?;
        }
        if refused(&resp) {
            return Err(rejection(&self.source, &method, resp).await);
        }
        Ok(resp)
    }
}
