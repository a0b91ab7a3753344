//! [`TokenMiddleware`] (cargo feature `middleware`): the [`AuthClient`](crate::AuthClient) steps
//! as a `reqwest_middleware::Middleware`, for programs that build their client with
//! `reqwest_middleware::ClientBuilder`:
//!
//! ```no_run
//! # async fn f(source: authdoctor_tokens::TokenSource) -> Result<(), reqwest_middleware::Error> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(authdoctor_tokens::middleware::TokenMiddleware::new(source))
//!     .build();
//! let resp = client.get("https://api.example/v1/me").send().await?;
//! # Ok(()) }
//! ```
//!
//! 1. Take a fresh token from the [`TokenSource`] (single-flight, renewed ahead of expiry) and
//!    set `Authorization`, replacing any the caller set.
//! 2. On a 401, if the request can be sent again (a safe method — GET, HEAD, OPTIONS, TRACE —
//!    and a body that is not a stream, `Request::try_clone`), renew the token once
//!    ([`TokenSource::renew_after_rejection`]) and send it again through the rest of the chain.
//! 3. Still 401/403: the error is `reqwest_middleware::Error::Middleware` wrapping
//!    [`AuthClientError::Rejected`] with authdoctor's ranked, redacted causes, judged against
//!    the source's configuration as [`AuthClient`](crate::AuthClient) judges them (the issuer,
//!    audience and scopes it asks for, [`TokenSource::expectations`]); get it back with
//!    `err.downcast_ref::<AuthClientError>()` on the inner `anyhow::Error`.

use crate::client::{
    AuthClientError, authorize_token, nonce_wanted, refused, rejection, spare_copy,
};
use crate::source::TokenSource;
use http::Extensions;
use reqwest_middleware::{Error, Middleware, Next, Result};

/// Injects a profile's token into every request; see the module doc.
#[derive(Clone)]
pub struct TokenMiddleware {
    source: TokenSource,
}

impl TokenMiddleware {
    pub fn new(source: TokenSource) -> Self {
        TokenMiddleware { source }
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// Share tokens with the other hosts of a fleet through Redis, as
    /// [`AuthClient::with_redis_cache`](crate::AuthClient::with_redis_cache).
    pub fn with_redis_cache(
        self,
        url: url::Url,
        key: crate::fleet::EncryptionKey,
    ) -> std::result::Result<Self, crate::TokenError> {
        self.source
            .set_redis_cache(crate::fleet::RedisCache::new(url, key)?)?;
        Ok(self)
    }
}

fn fail(e: impl Into<AuthClientError>) -> Error {
    Error::middleware(e.into())
}

#[async_trait::async_trait]
impl Middleware for TokenMiddleware {
    async fn handle(
        &self,
        mut req: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> Result<reqwest::Response> {
        let method = req.method().clone();
        let token = self.source.token().await.map_err(fail)?;
        let spare = spare_copy(&req);
        authorize_token(&mut req, &self.source, &token, None).map_err(fail)?;
        let mut sent = req.headers().clone();
        let mut resp = next.clone().run(req, extensions).await?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED
            && let Some(mut again) = spare
        {
            if let Some(n) = nonce_wanted(&self.source, &resp) {
                authorize_token(&mut again, &self.source, &token, Some(&n)).map_err(fail)?;
            } else {
                let renewed = self
                    .source
                    .renew_after_rejection(&token)
                    .await
                    .map_err(fail)?;
                authorize_token(&mut again, &self.source, &renewed, None).map_err(fail)?;
            }
            sent = again.headers().clone();
            resp = next.run(again, extensions).await?;
        }
        if refused(&resp) {
            return Err(Error::middleware(
                rejection(&self.source, &method, &sent, resp).await,
            ));
        }
        Ok(resp)
    }
}
