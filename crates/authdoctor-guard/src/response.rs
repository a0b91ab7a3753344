//! What the client sees: RFC 6750 challenges (`WWW-Authenticate: Bearer realm, error,
//! error_description, scope, resource_metadata`), the 401/403/503 responses, and RFC 9728
//! protected-resource metadata.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::dpop::{DPOP_NONCE, Scheme};
use crate::error::Rejection;
use crate::validator::Config;

/// The path RFC 9728 §3 reserves for protected-resource metadata (append the resource's path).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// RFC 6750 §3: `error_description` and `scope` may only hold %x20-21 / %x23-5B / %x5D-7E.
/// Anything else (quotes, backslashes, control characters, non-ASCII from a hostile `kid`) becomes
/// `?`, so the header is always valid and cannot be split or spoofed.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        let ok = matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
        out.push(if ok { c } else { '?' });
    }
    out.push('"');
}

/// The `WWW-Authenticate` value for a rejection (`None` for 503: no challenge when the token was
/// not judged). The Bearer challenge; see [`rejection_response_for`] for DPoP.
pub fn challenge(cfg: &Config, rej: &Rejection) -> Option<HeaderValue> {
    if rej.status() == StatusCode::SERVICE_UNAVAILABLE {
        return None;
    }
    scheme_challenge(cfg, "Bearer", Some(rej), None)
}

/// One challenge: `<scheme> realm=…[, algs=…][, error=…, error_description=…][, scope=…]
/// [, resource_metadata=…]`; `rej` `None` (or one without an error code) gives the bare form.
fn scheme_challenge(
    cfg: &Config,
    scheme: &str,
    rej: Option<&Rejection>,
    algs: Option<&str>,
) -> Option<HeaderValue> {
    let mut v = String::with_capacity(160);
    v.push_str(scheme);
    v.push_str(" realm=");
    push_quoted(&mut v, &cfg.realm);
    if let Some(algs) = algs {
        v.push_str(", algs=");
        push_quoted(&mut v, algs);
    }
    if let Some(rej) = rej
        && let Some(code) = rej.error_code()
    {
        v.push_str(", error=\"");
        v.push_str(code);
        v.push('"');
        if cfg.descriptions {
            v.push_str(", error_description=");
            push_quoted(&mut v, &rej.to_string());
        }
    }
    if let Some(Rejection::InsufficientScope { required }) = rej {
        v.push_str(", scope=");
        push_quoted(&mut v, required);
    }
    if let Some(url) = &cfg.resource_metadata_url {
        v.push_str(", resource_metadata=");
        push_quoted(&mut v, url);
    }
    // Every byte is visible ASCII or space by construction.
    HeaderValue::from_str(&v).ok()
}

/// The full response for a rejection, with an empty (default) body of the service's type.
pub fn rejection_response<B: Default>(cfg: &Config, rej: &Rejection) -> Response<B> {
    rejection_response_for(cfg, rej, None)
}

/// The full response for a rejection of a request that used `scheme` (`None`: no credential
/// could be read).
///
/// Without DPoP this is the RFC 6750 Bearer challenge. With DPoP (RFC 9449 §7.1), failures of a
/// DPoP request or of its proof carry the `DPoP algs="…"` challenge with the error —
/// `invalid_dpop_proof`, `use_dpop_nonce` or `invalid_token`, all 401 at a resource server —
/// and other failures the Bearer challenge followed by a bare DPoP one, so a client learns both
/// schemes (§7.2); when DPoP is required only the DPoP challenge is sent. With server nonces on,
/// every DPoP challenge comes with a fresh `DPoP-Nonce` (§9).
pub fn rejection_response_for<B: Default>(
    cfg: &Config,
    rej: &Rejection,
    scheme: Option<Scheme>,
) -> Response<B> {
    let mut resp = Response::new(B::default());
    *resp.status_mut() = rej.status();
    let h = resp.headers_mut();
    if rej.status() == StatusCode::SERVICE_UNAVAILABLE {
        h.insert(RETRY_AFTER, HeaderValue::from_static("30"));
    } else if let Some(d) = &cfg.dpop {
        let algs = Some(d.algs_param.as_str());
        if rej.is_dpop() || scheme == Some(Scheme::Dpop) || d.required {
            h.extend(scheme_challenge(cfg, "DPoP", Some(rej), algs).map(|c| (WWW_AUTHENTICATE, c)));
        } else {
            h.extend(challenge(cfg, rej).map(|c| (WWW_AUTHENTICATE, c)));
            h.append(
                WWW_AUTHENTICATE,
                scheme_challenge(cfg, "DPoP", None, algs).expect("a bare challenge is valid"),
            );
        }
        if let Some(n) = d.fresh_nonce(cfg.now())
            && let Ok(v) = HeaderValue::from_str(&n)
        {
            h.insert(DPOP_NONCE.clone(), v);
        }
    } else if let Some(c) = challenge(cfg, rej) {
        h.insert(WWW_AUTHENTICATE, c);
    }
    // A rejection must never be cached and replayed to another client (see cached-401).
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// RFC 9728 protected-resource metadata.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    /// The resource identifier.
    pub resource: String,
    /// The issuers whose tokens this resource accepts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// The scopes used in this resource's authorisation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// Only the Authorization header is read (never a query parameter or form body).
    pub bearer_methods_supported: Vec<String>,
}

impl ProtectedResourceMetadata {
    /// The metadata a validator describes, if it was given a resource.
    pub fn from_config(cfg: &Config) -> Option<Self> {
        Some(ProtectedResourceMetadata {
            resource: cfg.resource.clone()?,
            authorization_servers: cfg.rules.issuers.clone(),
            scopes_supported: cfg.scopes_supported.clone(),
            bearer_methods_supported: vec!["header".into()],
        })
    }

    /// As an HTTP response (`application/json`).
    pub fn to_response(&self) -> Response<String> {
        let body = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        let mut r = Response::new(body);
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_replaces_unsafe_characters() {
        let mut s = String::new();
        push_quoted(&mut s, "a\"b\\c\r\nd é");
        assert_eq!(s, "\"a?b?c??d ?\"");
    }
}
