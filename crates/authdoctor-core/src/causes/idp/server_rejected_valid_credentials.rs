//! # server-rejected-valid-credentials
//!
//! ## What it detects
//! Everything authdoctor can check passes and the server still answers 401: the token's
//! signature verifies with its issuer's published key, its `iss`, `aud` and scopes match every
//! expectation (flags, profile, RFC 9728 metadata), it is within its lifetime by the server's
//! clock, the clocks agree, and the issuer (when asked) says it is active. The problem is on
//! the server's side — its configuration, its cached keys, a rule the client cannot see.
//!
//! ## Why it gives 401
//! Resource servers enforce more than the standard claims: a stale JWKS cache after key
//! rotation, an issuer or audience configured with a typo, a required claim or group, a user or
//! client allow-list, a policy engine. None of these are visible from outside.
//!
//! ## Evidence used
//! - `signature-invalid`, `issuer-mismatch`, `audience-mismatch`, `insufficient-scope`,
//!   `token-expired`, `token-not-yet-valid`, `clock-skew` and `token-revoked` all came out
//!   clean, with the checks they made listed;
//! - how many expectations were checked (without any, the finding is weaker).
//!
//! ## Fix
//! Send the API owner the evidence bundle (`authdoctor check … --bundle evidence.json`): the
//! redacted request and response, the verification results and both clocks. Ask them to check
//! the server's log for the rejection reason and its issuer/audience/JWKS configuration.
//!
//! ## Example
//! ```text
//! token verifies with http://127.0.0.1:14000's key rs256-test; iss, aud, scope match;
//! exp in 4m50s by the server's clock; server still says 401
//! ```
//!
//! ## References
//! RFC 6750 §3.1; RFC 9068 §4 (validation a resource server performs); RFC 7662.

use crate::causes::consistency::{Profile, SPECIFIC, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::CredentialSent],
    supports: &[(Signal::ExpectationsKnown, Weight::Strong)],
    contradicts: &[(Signal::Said(SPECIFIC), Weight::Decisive)],
};

pub const ID: &str = "server-rejected-valid-credentials";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if ev.status() != Some(401) {
        return None;
    }
    let idp = ev.idp.as_ref()?;
    let sig = idp.signature.as_ref()?;
    if !sig.verified() || ev.credential_has_local_defect() {
        return None;
    }
    let j = ev.jws()?;
    // Anything an ID token / refresh token rule would say wins.
    for c in ["nonce", "at_hash", "c_hash"] {
        if j.claims.contains_key(c) {
            return None;
        }
    }
    if idp.claims.iter().any(|c| !c.ok()) {
        return None;
    }
    if idp
        .raw
        .introspection
        .as_ref()
        .is_some_and(|i| i.active == Some(false))
    {
        return None;
    }
    let (t, clock) = ev.judging_time();
    if j.time_claim("iat").is_some_and(|i| i > t + 60) {
        return None;
    }
    if let Some(c) = ev.server_clock
        && c.offset().abs() > 60
    {
        return None;
    }
    // A challenge that names a token problem (insufficient_scope etc.) is another cause's.
    if ev
        .challenge("bearer")
        .and_then(|b| b.param("error"))
        .is_some_and(|e| e == "insufficient_scope")
    {
        return None;
    }
    let checked: Vec<&str> = ["iss", "aud", "scope"]
        .into_iter()
        .filter(|c| idp.all_ok(c) == Some(true))
        .collect();
    // Valid by every check made: the more checks, the more it points at the server.
    let grade = if checked.is_empty() {
        Grade::Possible
    } else {
        Grade::Likely
    };
    let mut f = Finding::new(
        ID,
        "The token checks out at its issuer and against every expectation, yet the server refuses it",
        grade,
    )
    .evidence("idp.signature", sig.text.clone());
    for c in &idp.claims {
        f = super::claim_evidence(f, c);
    }
    if checked.is_empty() {
        f = f.evidence(
            "idp.expectations",
            "no iss/aud/scope expectation was available (give --expect-aud/--expect-iss/--expect-scope or a profile): the claims could not be compared",
        );
    }
    let life = match j.time_claim("exp") {
        Some(e) => format!("exp in {} by {clock}", crate::time::human_duration(e - t)),
        None => "no exp claim".into(),
    };
    let clocks = match ev.server_clock {
        Some(c) => format!("server clock offset {} s", c.offset()),
        None => "no server Date header".into(),
    };
    f = f.evidence("token.claims.exp", format!("{life}; {clocks}"));
    Some(
        f.fix(
            Fix::new(
                "send-evidence-bundle",
                "Ask the API owner, with the evidence bundle",
                Effort::Medium,
            )
            .step("Write the bundle: rerun with --bundle evidence.json (redacted request/response, verification results, clocks).")
            .step("Ask the API owner to look up the rejection in the server log and to check its issuer, audience and JWKS cache configuration.")
            .command("authdoctor check … --bundle evidence.json"),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::diagnosis::Grade;
    use crate::idp::tests::*;

    #[test]
    fn valid_token_refused() {
        let (ev, _) = scenario(Case::Valid);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Likely);
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
    }

    #[test]
    fn silent_when_a_check_fails() {
        for c in [Case::WrongAudience, Case::Tampered, Case::WrongIssuer] {
            let (ev, _) = scenario(c);
            assert!(super::check(&ev).is_none());
        }
    }
}
