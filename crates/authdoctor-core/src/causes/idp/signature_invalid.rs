//! # signature-invalid
//!
//! ## What it detects
//! The token's signature does not verify against the keys its issuer publishes: `alg: none`, an
//! algorithm the issuer's key cannot produce (an RS256 key asked to check HS256), a `kid` the
//! issuer does not publish even after fetching its JWKS again (a rotated-out key, a token from
//! another issuer or environment), or a signature that does not match the right key (the token
//! was altered or cut off after signing).
//!
//! ## Why it gives 401
//! A resource server accepts a JWT only if its signature verifies with a key of an issuer it
//! trusts. Whatever the claims say, an unverifiable token is treated as forged and refused
//! with `invalid_token` (or a bare 401).
//!
//! ## Evidence used
//! - the issuer's discovery document (`/.well-known/openid-configuration`, else
//!   `/.well-known/oauth-authorization-server`) and its `jwks_uri`, fetched and cached;
//! - a second JWKS fetch when the `kid` is unknown (key rotation), and the JWKS of other
//!   issuers you expect or have profiles for;
//! - verification with aws-lc-rs (RS/PS/ES 256–512, EdDSA; HS* only with `--hs-secret-env`),
//!   strict base64url, and the signature length for the algorithm;
//! - the token's `iat`, to tell a rotated key (old token) from a key never published.
//!
//! ## Fix
//! Get a fresh token from the issuer the API trusts. If the kid was rotated out, the token
//! predates the rotation; if another issuer signed it, use that environment's API or this
//! environment's issuer; if the signature does not match, the token was changed after it was
//! issued (a copy/paste that dropped characters, or a hand-edited claim).
//!
//! ## Example
//! ```text
//! kid k-2024-01 is not among https://login.example.com/'s keys [k-2025-03]
//! (also after fetching the JWKS again): signed by a key this issuer does not publish
//! ```
//!
//! ## References
//! RFC 7515 §5.2 (JWS validation); RFC 7517 (JWK Set); RFC 8725 §3.1–3.2 (algorithm
//! verification, `none`); OpenID Connect Discovery 1.0 §4.

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::idp::SigVerdict;
use crate::statement::Said;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Signature]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "signature-invalid";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let s = ev.idp.as_ref()?.signature.as_ref()?;
    let (grade, title) = match s.verdict {
        SigVerdict::AlgNone => (
            Grade::Confirmed,
            "The token is unsigned (alg: none)".to_string(),
        ),
        SigVerdict::AlgNotAllowed => (
            Grade::Certain,
            format!(
                "The token's algorithm {} is not one its issuer's key produces",
                s.alg.as_deref().unwrap_or("?")
            ),
        ),
        SigVerdict::Tampered => (
            Grade::Certain,
            "The token's signature does not match its issuer's key: it was altered after signing"
                .to_string(),
        ),
        SigVerdict::Truncated => (
            Grade::Clear,
            "The token's signature has the wrong length: it was cut off".to_string(),
        ),
        SigVerdict::UnknownKidOtherIssuer => (
            Grade::Clear,
            "The token was signed by another issuer's key".to_string(),
        ),
        SigVerdict::UnknownKidNotPublished => (
            Grade::Clear,
            format!(
                "The token was signed by a key its issuer does not publish (kid {})",
                s.kid.as_deref().unwrap_or("none")
            ),
        ),
        SigVerdict::UnknownKidRotated => (
            Grade::Clear,
            format!(
                "The token's signing key (kid {}) has been rotated out by its issuer",
                s.kid.as_deref().unwrap_or("none")
            ),
        ),
        SigVerdict::KeyNotUsable => (
            Grade::Probable,
            "The issuer's key named by the token cannot verify signatures".to_string(),
        ),
        SigVerdict::Malformed => (
            Grade::Probable,
            format!("The token cannot be verified: {}", s.text),
        ),
        SigVerdict::Verified | SigVerdict::NoSecret | SigVerdict::Unavailable => return None,
    };
    let expected = match s.verdict {
        SigVerdict::AlgNone | SigVerdict::AlgNotAllowed => {
            format!(
                "expected a signature by a key of {}",
                s.keys_from.as_deref().unwrap_or("the issuer")
            )
        }
        _ => format!(
            "expected a signature verifiable with the JWKS of {} (keys from the token's iss)",
            s.keys_from.as_deref().unwrap_or("the issuer")
        ),
    };
    let f = Finding::new(ID, title, grade)
        .evidence_with(
            "idp.signature",
            s.text.clone(),
            serde_json::json!({
                "verdict": s.verdict,
                "alg": s.alg,
                "kid": s.kid,
                "keys_from": s.keys_from,
                "code": s.code,
            }),
        )
        .evidence("idp.signature.expected", expected);
    let fix = match s.verdict {
        SigVerdict::UnknownKidRotated => Fix::new(
            "refresh-token-after-rotation",
            "Get a new token: the key that signed this one was rotated out",
            Effort::Easy,
        )
        .step("Request a new access token from the issuer; cached tokens from before the key rotation are no longer accepted.")
        .step("If the API caches the issuer's JWKS, make sure it refreshes on an unknown kid."),
        SigVerdict::UnknownKidOtherIssuer | SigVerdict::UnknownKidNotPublished => Fix::new(
            "token-from-trusted-issuer",
            "Use a token from the issuer this API trusts",
            Effort::Easy,
        )
        .step("Check which environment's issuer minted the token (its iss and kid) and request one from the API's issuer.")
        .step("Check the profile or .env file that supplied the token."),
        _ => Fix::new(
            "reissue-token",
            "Send the token exactly as the issuer returned it",
            Effort::Easy,
        )
        .step("Copy the whole token again (no trailing characters lost, no edits), or request a new one.")
        .step("Never set alg by hand or re-sign a token: the API only accepts the issuer's signature."),
    };
    Some(f.fix(fix.action_opt(crate::fix::Action::new_token_for(ev))))
}

#[cfg(test)]
mod tests {
    use crate::idp::tests::*;

    #[test]
    fn tampered_token_is_first() {
        let (ev, _) = scenario(Case::Tampered);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("altered"), "{}", f.title);
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
    }

    #[test]
    fn unknown_kid_after_refetch() {
        let (ev, _) = scenario(Case::UnknownKid);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("does not publish"), "{}", f.title);
    }

    #[test]
    fn valid_token_is_silent() {
        let (ev, _) = scenario(Case::Valid);
        assert!(super::check(&ev).is_none());
    }
}
