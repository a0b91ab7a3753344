//! # audience-mismatch
//!
//! ## What it detects
//! The token was minted for another API: its `aud` does not contain the audience this API
//! expects (from `--expect-aud`, the profile's `audience`/`resource`, or the resource's RFC 9728
//! `resource`), including differences of only a trailing slash.
//!
//! ## Why it gives 401
//! Audience restriction is what stops a token for one API being replayed at another: a resource
//! server must refuse a token whose `aud` does not name it (RFC 9068 §4, RFC 7519 §4.1.3).
//!
//! ## Evidence used
//! - the token's `aud` (string or array);
//! - expectations with their sources: flag, profile, RFC 9728 metadata `resource`;
//! - the exact comparison, and trailing-slash-only differences.
//!
//! ## Fix
//! Request the token for this API: pass its identifier as `resource` (RFC 8707) or `audience`
//! when asking the issuer, or fix the API's expected audience.
//!
//! ## Example
//! ```text
//! aud expected https://api.example.test/ (from flag --expect-aud), token has https://other.example.test/
//! ```
//!
//! ## References
//! RFC 7519 §4.1.3; RFC 9068 §4; RFC 8707 (resource indicators); RFC 9728 §2 (`resource`).

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
    supports: &[(Signal::Said(&[Said::Audience]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "audience-mismatch";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let idp = ev.idp.as_ref()?;
    let c = idp.failing("aud")?;
    let actual = if c.actual.is_empty() {
        "no aud".to_string()
    } else {
        c.actual.join(", ")
    };
    let title = match c.result {
        Match::TrailingSlashOnly => format!(
            "The token's audience {actual} differs from the expected {} only by a trailing slash",
            c.expected[0]
        ),
        _ => format!(
            "The token was minted for {actual}, not for this API ({})",
            c.expected.join(" or ")
        ),
    };
    let f = claim_evidence(Finding::new(ID, title, Grade::Probable), c);
    Some(
        f.fix(
            Fix::new(
                "request-token-for-this-api",
                "Request the token for this API's audience",
                Effort::Easy,
            )
            .action_opt(crate::fix::Action::new_token_for(ev))
            .step(format!(
                "Ask the issuer for a token with resource={} (RFC 8707) or audience={} (expected by {}).",
                c.expected[0], c.expected[0], c.source
            ))
            .step("If the token is right, fix the audience the API expects (trailing slash included)."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::idp::tests::*;

    #[test]
    fn wrong_audience_first() {
        let (ev, _) = scenario(Case::WrongAudience);
        let f = super::check(&ev).unwrap();
        assert!(f.evidence[0].text.contains("expected"), "{:?}", f.evidence);
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
    }
}
