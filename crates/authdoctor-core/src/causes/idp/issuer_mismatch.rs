//! # issuer-mismatch
//!
//! ## What it detects
//! The token's `iss` is not the issuer the API expects: a different authorization server, a
//! different tenant or realm, or the same URL but for a trailing slash (`https://id.example/`
//! vs `https://id.example`), which strict servers compare byte for byte.
//!
//! ## Why it gives 401
//! A resource server trusts tokens from configured issuers only (RFC 9068 §4: the `iss` must
//! match exactly). A genuine, correctly signed token from any other issuer — even one sharing
//! signing keys — is refused.
//!
//! ## Evidence used
//! - the token's `iss` claim;
//! - expectations, each with its source: `--expect-iss`, the profile's `issuer`, the resource's
//!   RFC 9728 `authorization_servers`;
//! - the exact comparison, and whether only a trailing slash differs.
//!
//! ## Fix
//! Request the token from the issuer the API trusts (or fix the issuer URL in the API's or the
//! client's configuration, including its trailing slash).
//!
//! ## Example
//! ```text
//! iss expected http://127.0.0.1:14000 (from flag --expect-iss), token has http://127.0.0.1:14011
//! ```
//!
//! ## References
//! RFC 7519 §4.1.1; RFC 9068 §4; RFC 9728 §2 (`authorization_servers`); RFC 8414 §3.3
//! (the issuer identifier must match exactly).

use super::claim_evidence;
use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::idp::Match;
use crate::statement::Said;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Issuer]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "issuer-mismatch";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let idp = ev.idp.as_ref()?;
    let c = idp.failing("iss")?;
    let actual = c.actual.first().cloned().unwrap_or_else(|| "no iss".into());
    let (grade, title) = match c.result {
        Match::TrailingSlashOnly => (
            Grade::Probable,
            format!(
                "The token's issuer {actual} differs from the expected {} only by a trailing slash",
                c.expected[0]
            ),
        ),
        _ => (
            Grade::Clear,
            format!(
                "The token comes from issuer {actual}; the API expects {}",
                c.expected.join(" or ")
            ),
        ),
    };
    let mut f = claim_evidence(Finding::new(ID, title, grade), c);
    if let Some(s) = &idp.signature
        && s.verified()
    {
        f = f.evidence(
            "idp.signature",
            format!("the token itself is genuine: {}", s.text),
        );
    }
    Some(
        f.fix(
            Fix::new(
                "use-expected-issuer",
                "Get the token from the issuer the API trusts",
                Effort::Easy,
            )
            .action_opt(crate::fix::Action::new_token_for(ev))
            .step(format!(
                "Request the token from {} (expected by {}).",
                c.expected[0], c.source
            ))
            .step("If the issuer is right, fix the issuer URL configured at the API or client, trailing slash included."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::idp::tests::*;

    #[test]
    fn wrong_issuer() {
        let (ev, _) = scenario(Case::WrongIssuer);
        let f = super::check(&ev).unwrap();
        assert!(
            f.evidence[0].text.contains("flag --expect-iss"),
            "{:?}",
            f.evidence
        );
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
    }

    #[test]
    fn trailing_slash_only() {
        let (ev, _) = scenario(Case::TrailingSlashIssuer);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("trailing slash"), "{}", f.title);
    }
}
