//! The tower `Layer` and `Service`: read the bearer token from the Authorization header (only
//! there, RFC 6750 §2.1), validate it, check the route's scopes, and either pass the request on
//! with the [`Validated`] token in its extensions or answer with the exact challenge.

use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Request, Response};
use tower::{Layer, Service};

use crate::dpop::{DPOP_NONCE, Scheme};
use crate::error::Rejection;
use crate::future::ResponseFuture;
use crate::response::rejection_response_for;
use crate::validator::{Config, Validated, Validator, log_rejection};

/// Wraps services in a [`Guard`]. Clone it per route with different scopes.
#[derive(Clone, Debug)]
pub struct GuardLayer {
    validator: Validator,
    scopes: Arc<[String]>,
}

impl GuardLayer {
    /// A layer that validates with `validator` and requires no scope.
    pub fn new(validator: Validator) -> Self {
        GuardLayer {
            validator,
            scopes: Arc::from(Vec::new()),
        }
    }

    /// Every one of `scopes` must be granted, else 403 `insufficient_scope`.
    pub fn require_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes
            .into_iter()
            .map(Into::into)
            .collect::<Vec<_>>()
            .into();
        self
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            validator: self.validator.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// The middleware service built by [`GuardLayer`].
#[derive(Clone, Debug)]
pub struct Guard<S> {
    inner: S,
    validator: Validator,
    scopes: Arc<[String]>,
}

/// Extracts the token of `Authorization: Bearer <b64token>`.
///
/// No Authorization header, or one with another scheme, is "no bearer credential" (401 without
/// an error code, RFC 6750 §3.1); a Bearer header that is not exactly `Bearer SP b64token`, or
/// several Authorization headers, is `invalid_request`.
pub fn extract_bearer(headers: &HeaderMap, max_len: usize) -> Result<&str, Rejection> {
    extract_credential(headers, max_len, false).map(|(_, t)| t)
}

/// Extracts the scheme and token of `Authorization: Bearer <b64token>`, or, when `dpop` is on,
/// `Authorization: DPoP <token68>` (RFC 9449 §7.1). The same rules as [`extract_bearer`]; with
/// `dpop` off the DPoP scheme is "another scheme", as before.
pub fn extract_credential(
    headers: &HeaderMap,
    max_len: usize,
    dpop: bool,
) -> Result<(Scheme, &str), Rejection> {
    let mut all = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = all.next() else {
        return Err(Rejection::Missing);
    };
    if all.next().is_some() {
        return Err(Rejection::MalformedHeader(
            "more than one Authorization header",
        ));
    }
    if value.len() > max_len + 7 {
        return Err(Rejection::TooLarge {
            len: value.len(),
            limit: max_len,
        });
    }
    let v = value.to_str().map_err(|_| {
        Rejection::MalformedHeader("the header has bytes that are not visible ASCII")
    })?;
    let is_scheme =
        |s: &str| s.eq_ignore_ascii_case("bearer") || (dpop && s.eq_ignore_ascii_case("dpop"));
    let (scheme, rest) = match v.split_once(' ') {
        Some(p) => p,
        None if is_scheme(v) => return Err(no_token(v)),
        None => {
            return Err(Rejection::MalformedHeader(
                "expected `Bearer <token>` (scheme, one space, token)",
            ));
        }
    };
    if !is_scheme(scheme) {
        if scheme.is_empty() {
            return Err(Rejection::MalformedHeader("the header starts with a space"));
        }
        return Err(Rejection::Missing);
    }
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else {
        Scheme::Dpop
    };
    if rest.is_empty() {
        return Err(no_token(match scheme {
            Scheme::Bearer => "bearer",
            Scheme::Dpop => "dpop",
        }));
    }
    if rest.bytes().any(|b| b == b' ' || b == b'\t') {
        return Err(Rejection::MalformedHeader("the token contains whitespace"));
    }
    // RFC 6750 §2.1 b64token and RFC 9110 §11.2 token68 are the same grammar:
    // 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    let body = rest.trim_end_matches('=');
    let ok = !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        });
    if !ok {
        return Err(Rejection::MalformedHeader(
            "the token has characters outside RFC 6750 b64token",
        ));
    }
    Ok((scheme, rest))
}

/// With server nonces on, every accepted DPoP request's response carries the current nonce, so
/// clients move to a new one before theirs expires instead of meeting `use_dpop_nonce` (RFC 9449
/// §8.2).
fn success_nonce(cfg: &Config, scheme: Option<Scheme>) -> Option<HeaderValue> {
    if scheme != Some(Scheme::Dpop) {
        return None;
    }
    let n = cfg.dpop.as_ref()?.fresh_nonce(cfg.now())?;
    HeaderValue::from_str(&n).ok()
}

fn no_token(scheme: &str) -> Rejection {
    Rejection::MalformedHeader(if scheme.eq_ignore_ascii_case("dpop") {
        "the DPoP scheme is not followed by a token"
    } else {
        "the Bearer scheme is not followed by a token"
    })
}

fn authorize(v: &Validated, scopes: &[String]) -> Result<(), Rejection> {
    if scopes.iter().all(|s| v.claims.has_scope(s)) {
        return Ok(());
    }
    let rej = Rejection::InsufficientScope {
        required: scopes.join(" "),
    };
    log_rejection(&rej, v.kid.as_deref(), Some(&v.claims));
    Err(rej)
}

// A short-lived local on the stack: boxing the large variant would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
enum First {
    Done(Option<Scheme>, Result<Validated, Rejection>),
    NeedsKeys(Scheme, String),
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Guard<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let cfg = self.validator.config();
        let first =
            match extract_credential(req.headers(), cfg.limits.max_token_len, cfg.dpop_enabled()) {
                Err(rej) => {
                    log_rejection(&rej, None, None);
                    First::Done(None, Err(rej))
                }
                // DPoP required: a Bearer credential is no credential this API takes.
                Ok((Scheme::Bearer, _)) if !cfg.bearer_allowed() => {
                    log_rejection(&Rejection::Missing, None, None);
                    First::Done(None, Err(Rejection::Missing))
                }
                Ok((scheme, token)) => match self.validator.validate_cached(token) {
                    Err(Rejection::KeyNotFound { .. }) if self.validator.is_remote() => {
                        First::NeedsKeys(scheme, token.to_owned())
                    }
                    r => First::Done(
                        Some(scheme),
                        r.and_then(|v| {
                            self.validator
                                .check_binding(scheme, token, &v, &req)
                                .map(|()| v)
                        }),
                    ),
                },
            };
        match first {
            First::Done(scheme, Ok(v)) => match authorize(&v, &self.scopes) {
                Ok(()) => {
                    req.extensions_mut().insert(v);
                    ResponseFuture::Inner {
                        fut: self.inner.call(req),
                        nonce: success_nonce(cfg, scheme),
                    }
                }
                Err(rej) => ResponseFuture::Ready {
                    resp: Some(rejection_response_for(cfg, &rej, scheme)),
                },
            },
            First::Done(scheme, Err(rej)) => ResponseFuture::Ready {
                resp: Some(rejection_response_for(cfg, &rej, scheme)),
            },
            First::NeedsKeys(scheme, token) => {
                // The inner service that was polled ready goes into the future; a fresh clone
                // stays behind (tower's usual pattern).
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let validator = self.validator.clone();
                let scopes = self.scopes.clone();
                ResponseFuture::Slow {
                    fut: Box::pin(async move {
                        let checked = validator
                            .validate(&token)
                            .await
                            .and_then(|v| {
                                validator
                                    .check_binding(scheme, &token, &v, &req)
                                    .map(|()| v)
                            })
                            .and_then(|v| authorize(&v, &scopes).map(|()| v));
                        match checked {
                            Ok(v) => {
                                req.extensions_mut().insert(v);
                                let nonce = success_nonce(validator.config(), Some(scheme));
                                let mut resp = inner.call(req).await?;
                                if let Some(n) = nonce {
                                    resp.headers_mut().insert(DPOP_NONCE.clone(), n);
                                }
                                Ok(resp)
                            }
                            Err(rej) => Ok(rejection_response_for(
                                validator.config(),
                                &rej,
                                Some(scheme),
                            )),
                        }
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn bearer_extraction() {
        assert_eq!(
            extract_bearer(&HeaderMap::new(), 100),
            Err(Rejection::Missing)
        );
        assert_eq!(extract_bearer(&h("Bearer abc.def-_"), 100), Ok("abc.def-_"));
        assert_eq!(extract_bearer(&h("bearer abc=="), 100), Ok("abc=="));
        assert_eq!(
            extract_bearer(&h("Basic dXNlcjpwYXNz"), 100),
            Err(Rejection::Missing)
        );
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer  abc",
            "Bearer a b",
            "Bearer a=b",
            "Bearerabc",
            "Bearer a\"b",
        ] {
            assert!(
                matches!(
                    extract_bearer(&h(bad), 100),
                    Err(Rejection::MalformedHeader(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            extract_credential(&h("DPoP abc.def"), 100, true),
            Ok((Scheme::Dpop, "abc.def"))
        );
        assert_eq!(
            extract_credential(&h("dpop abc"), 100, true),
            Ok((Scheme::Dpop, "abc"))
        );
        assert_eq!(
            extract_credential(&h("Bearer abc"), 100, true),
            Ok((Scheme::Bearer, "abc"))
        );
        // Without DPoP the scheme is someone else's, as before.
        assert_eq!(extract_bearer(&h("DPoP abc"), 100), Err(Rejection::Missing));
        assert!(matches!(
            extract_credential(&h("DPoP"), 100, true),
            Err(Rejection::MalformedHeader(_))
        ));
        let mut two = h("Bearer a");
        two.append(AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert!(matches!(
            extract_bearer(&two, 100),
            Err(Rejection::MalformedHeader(_))
        ));
        assert!(matches!(
            extract_bearer(&h(&format!("Bearer {}", "a".repeat(200))), 100),
            Err(Rejection::TooLarge { .. })
        ));
    }
}
