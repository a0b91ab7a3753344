//! DPoP (RFC 9449) for a profile with `dpop_key`: tokens are requested bound to the key (a
//! proof on every token-endpoint request, one `use_dpop_nonce` answer), and every request that
//! carries such a token gets a fresh proof for its own method and URL — never one proof twice.

use crate::error::TokenError;
use authdoctor_core::jose::dpop::ProofKey;
use authdoctor_core::model::DpopKey;

/// Load a DPoP private key (private JWK or PEM) from a profile's secret reference.
pub fn load_key(bytes: &[u8]) -> Result<DpopKey, TokenError> {
    ProofKey::load(bytes)
        .map(DpopKey::new)
        .map_err(|e| TokenError::Secret(format!("dpop_key: not a usable DPoP key: {e}")))
}

/// A fresh proof for one request (see [`ProofKey::fresh_proof`]).
pub fn proof(
    key: &DpopKey,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> Result<String, TokenError> {
    key.0
        .fresh_proof(
            method,
            url,
            access_token,
            nonce,
            authdoctor_core::time::now_unix(),
        )
        .map_err(|e| TokenError::Protocol(format!("the DPoP proof could not be signed: {e}")))
}

/// Add `DPoP: <fresh proof>` to a reqwest request carrying `Authorization: DPoP <token>`.
pub(crate) fn sign_request(
    req: &mut reqwest::Request,
    key: &DpopKey,
    token: &str,
    nonce: Option<&str>,
) -> Result<(), TokenError> {
    let p = proof(
        key,
        req.method().as_str(),
        req.url().as_str(),
        Some(token),
        nonce,
    )?;
    let v = reqwest::header::HeaderValue::from_str(&p)
        .map_err(|_| TokenError::Protocol("the DPoP proof is not a valid header value".into()))?;
    req.headers_mut().insert("dpop", v);
    Ok(())
}

/// The nonce a 400/401 asks for ([`authdoctor_core::jose::dpop::nonce_challenge`]).
pub fn wanted_nonce(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Option<String> {
    let challenges: Vec<String> = headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    authdoctor_core::jose::dpop::nonce_challenge(
        status,
        challenges.iter().map(String::as_str),
        headers.get("dpop-nonce").and_then(|v| v.to_str().ok()),
        body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proofs_are_fresh_and_bound_to_the_request() {
        let k = DpopKey::new(ProofKey::generate_es256().unwrap());
        let a = proof(&k, "GET", "https://api.example/x?y=1", Some("tok"), None).unwrap();
        let b = proof(&k, "GET", "https://api.example/x?y=1", Some("tok"), None).unwrap();
        assert_ne!(a, b, "a new jti each time");
        let p = authdoctor_core::jose::dpop::inspect_proof(&a);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.htu.as_deref(), Some("https://api.example/x"));
        assert_eq!(p.ath, Some(authdoctor_core::jose::dpop::ath("tok")));
        assert_eq!(p.jkt, Some(k.thumbprint()));
    }

    #[test]
    fn nonce_only_when_asked() {
        let mut h = http::HeaderMap::new();
        h.insert("dpop-nonce", "n1".parse().unwrap());
        assert_eq!(
            wanted_nonce(400, &h, br#"{"error":"use_dpop_nonce"}"#).as_deref(),
            Some("n1")
        );
        assert_eq!(wanted_nonce(400, &h, br#"{"error":"invalid_grant"}"#), None);
        assert_eq!(wanted_nonce(200, &h, b"use_dpop_nonce"), None);
    }
}
