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
//!    method — GET, HEAD, OPTIONS, TRACE: [`authdoctor_core::model::may_send_again`], the same
//!    rule as the CLI's), renew the token once (shared with every concurrent caller that saw the
//!    same 401) and send it again. PUT, POST, PATCH and DELETE are never sent twice.
//! 4. Still 401/403: gather the evidence of the final answer with the same
//!    [`authdoctor_net::gather`] as `authdoctor check` (the answer as received, the probes for a
//!    safe method, the issuer's discovery and keys) and the expectations of the source's
//!    [`TokenConfig`] (issuer, `audience` else `resource`, scopes: [`profile_expectations`], as
//!    `check --profile` takes them from the profile), diagnose it with authdoctor-core and return
//!    [`AuthClientError::Rejected`] carrying the ranked findings — the ones the CLI gives.

use crate::config::TokenConfig;
use crate::error::TokenError;
use crate::source::TokenSource;
use authdoctor_core::causes;
use authdoctor_core::diagnosis::Finding;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::{Header, RequestSpec};
use authdoctor_core::time::now_unix;
use authdoctor_net::gather::plan::{ProfileExpectations, ProfileValue};
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
    use authdoctor_core::model::{BodyHeld, may_send_again};
    let body = match req.body() {
        None => BodyHeld::None,
        Some(b) if b.as_bytes().is_some() => BodyHeld::Buffered,
        Some(_) => BodyHeld::Streamed,
    };
    if may_send_again(req.method().as_str(), body) {
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

/// Set `Authorization` for `token`, and for a DPoP-bound token of a source with a DPoP key, a
/// fresh proof for this very request (with the server's nonce when it asked for one).
pub(crate) fn authorize_token(
    req: &mut reqwest::Request,
    source: &TokenSource,
    token: &crate::token::TokenSet,
    nonce: Option<&str>,
) -> Result<(), TokenError> {
    authorize(req, &token.authorization())?;
    if let Some(key) = source.dpop_key()
        && token.token_type.eq_ignore_ascii_case("dpop")
    {
        crate::dpop::sign_request(req, key, token.access_token.expose(), nonce)?;
    }
    Ok(())
}

/// The nonce a DPoP 401 asks for (`use_dpop_nonce` + `DPoP-Nonce`), when the source signs.
pub(crate) fn nonce_wanted(source: &TokenSource, resp: &reqwest::Response) -> Option<String> {
    source.dpop_key()?;
    crate::dpop::wanted_nonce(resp.status().as_u16(), resp.headers(), b"")
}

/// Where a program's profile values come from, as the diagnosis names the expectation's source
/// ("profile NAME (audience, the program's TokenConfig)").
pub const PROGRAM_ORIGIN: &str = "the program's TokenConfig";

/// What `cfg` expects of its tokens: its issuer, `audience` (else `resource`) and scopes, under
/// its profile name. No environment or introspection client: a [`TokenConfig`] has neither.
pub fn profile_expectations(cfg: &TokenConfig) -> ProfileExpectations {
    let val = |v: &Option<String>| v.as_ref().map(|v| ProfileValue::new(v, PROGRAM_ORIGIN));
    ProfileExpectations {
        profile: cfg.profile.clone(),
        issuer: val(&cfg.issuer),
        audience: val(&cfg.audience),
        resource: val(&cfg.resource),
        scopes: (!cfg.scopes.is_empty())
            .then(|| ProfileValue::new(cfg.scopes.join(" "), PROGRAM_ORIGIN)),
        environment: None,
        introspection: None,
    }
}

/// Whether a final answer is a refusal to diagnose.
pub(crate) fn refused(resp: &reqwest::Response) -> bool {
    matches!(resp.status().as_u16(), 401 | 403)
}

/// Diagnose a final 401/403 as `authdoctor check` does — [`authdoctor_net::gather`] on the
/// answer received (not sent again), with the probes, the issuer's evidence and the source's
/// expectations ([`TokenSource::expectations`]) — then rank the
/// causes: [`AuthClientError::Rejected`], redacted. `method` is the request's. The probes send
/// the request again, so they run for a safe method only (the CLI's rule, without
/// `--allow-replay`). Shared with the `reqwest-middleware` piece.
pub(crate) async fn rejection(
    source: &TokenSource,
    method: &reqwest::Method,
    sent: &reqwest::header::HeaderMap,
    resp: reqwest::Response,
) -> AuthClientError {
    let url = resp.url().to_string();
    let status = resp.status().as_u16();
    // The request as it went (every header the caller and this client set, the DPoP proof
    // included), so the diagnosis sees what the server saw; the probes sign their own proofs.
    let spec = RequestSpec {
        method: method.as_str().into(),
        url: resp.url().clone(),
        headers: sent
            .iter()
            .map(|(n, v)| Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes())))
            .collect(),
        dpop_key: source.dpop_key().cloned(),
        ..Default::default()
    };
    let observed = authdoctor_net::gather::observed_exchange(&spec, resp).await;
    let options = authdoctor_net::GatherOptions {
        probes: Some(authdoctor_net::probes::ProbeOptions::default()),
        // The profile's own expectations, as `check --profile` has them: a refusal that does
        // not say why is still judged against the audience and scopes the program asked for.
        issuer: Some(authdoctor_net::gather::IssuerPlan::from_expectations(
            &Default::default(),
            &spec,
            Some(source.expectations()),
        )),
        observed: Some(vec![observed.clone()]),
        ..Default::default()
    };
    // Boxed: the whole gathering is a large future; a caller's task stack need not hold it.
    let ev = match Box::pin(authdoctor_net::gather(spec.clone(), options)).await {
        Ok(ev) => ev,
        // Only a pin that cannot be honoured stops gathering: judge the answer alone then.
        Err(_) => Evidence::new(spec, vec![observed], None, None, now_unix()),
    };
    let findings = causes::diagnose(&ev);
    let report = authdoctor_core::report::Report::new(&ev, findings);
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
        authorize_token(&mut req, &self.source, &token, None)?;
        let mut sent = req.headers().clone();
        let mut resp = self.http.execute(req).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(mut again) = spare
        {
            // A DPoP nonce challenge: the same token, a proof with the nonce (RFC 9449 §9).
            if let Some(n) = nonce_wanted(&self.source, &resp) {
                authorize_token(&mut again, &self.source, &token, Some(&n))?;
            } else {
                let renewed = self.source.renew_after_rejection(&token).await?;
                authorize_token(&mut again, &self.source, &renewed, None)?;
            }
            sent = again.headers().clone();
            resp = self.http.execute(again).await?;
        }
        if refused(&resp) {
            return Err(rejection(&self.source, &method, &sent, resp).await);
        }
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientAuth;

    #[test]
    fn a_token_configs_expectations_name_the_program() {
        let cfg = TokenConfig {
            profile: "api".into(),
            issuer: Some("https://id.example.com/".into()),
            endpoints: None,
            client_id: "c".into(),
            auth: ClientAuth::None,
            scopes: vec!["read".into(), "write".into()],
            resource: Some("https://api.example.com/".into()),
            audience: Some("api://orders".into()),
            token_env: Vec::new(),
            token_file: None,
            dpop_key: None,
        };
        let pe = profile_expectations(&cfg);
        assert_eq!(pe.profile, "api");
        let v = |p: &Option<ProfileValue>| p.as_ref().map(|v| (v.value.clone(), v.origin.clone()));
        assert_eq!(
            v(&pe.audience),
            Some(("api://orders".into(), PROGRAM_ORIGIN.into()))
        );
        assert_eq!(
            v(&pe.scopes),
            Some(("read write".into(), PROGRAM_ORIGIN.into()))
        );
        let src = TokenSource::new(cfg.with_scopes(Vec::new()), reqwest::Client::new(), None);
        assert!(
            src.expectations().scopes.is_none(),
            "no scopes: none expected"
        );
        assert_eq!(
            src.expectations().issuer.as_ref().map(|i| i.value.as_str()),
            Some("https://id.example.com/")
        );
    }
}
