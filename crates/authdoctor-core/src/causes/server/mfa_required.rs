//! # mfa-required
//!
//! ## What it detects
//! A second factor or a fresher sign-in is required on top of the credential: a one-time code,
//! multi-factor authentication, or an authentication more recent than allowed. RFC 9470's
//! `error="insufficient_user_authentication"`, OAuth's `interaction_required`/`mfa_required`,
//! GitHub's `X-GitHub-OTP: required`, Entra AADSTS50076/50079.
//!
//! ## Why it gives 401
//! The password or token proves the first factor only. The account (or a Conditional Access
//! policy, or the resource's step-up rule) requires a second factor or an authentication newer
//! than `max_age`, and a non-interactive client cannot provide it. Changing the password or
//! getting another token the same way gives the same 401.
//!
//! ## Evidence used
//! - the challenge's `error`, `acr_values` and `max_age` (RFC 9470);
//! - the body's `error` (`mfa_required`, `interaction_required`, `insufficient_user_authentication`);
//! - vendor signals from the knowledge base (GitHub `X-GitHub-OTP`, AADSTS50076/50079).
//!
//! ## Fix
//! Authenticate interactively to satisfy the second factor (or a step-up with the `acr_values`
//! and `max_age` the challenge asks for), or use a credential made for automation: a personal
//! access token, a service principal, a managed identity, a client-credentials client.
//!
//! ## Example
//! ```text
//! WWW-Authenticate: Bearer error="insufficient_user_authentication",
//!   error_description="A different authentication level is required", acr_values="myACR"
//! ```
//!
//! ## References
//! RFC 9470 (OAuth 2.0 Step Up Authentication Challenge); OpenID Connect Core §3.1.2.6
//! (`interaction_required`); GitHub REST API "Working with two-factor authentication".

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Mfa]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "mfa-required";

const BODY_ERRORS: &[&str] = &[
    "insufficient_user_authentication",
    "mfa_required",
    "interaction_required",
];

pub fn check(ev: &Evidence) -> Option<Finding> {
    let status = ev.status()?;
    if !ev.is_auth_failure() && !(400..500).contains(&status) {
        return None;
    }
    let mut f = Finding::new(
        ID,
        "A second factor or a fresher sign-in is required",
        Grade::Faint,
    );
    let mut grade: Option<Grade> = None;
    let mut acr = None;
    let mut max_age = None;
    for c in &ev.challenges {
        if c.error() == Some("insufficient_user_authentication") {
            grade = Some(Grade::Certain);
            acr = c.param("acr_values").map(str::to_string);
            max_age = c.param("max_age").map(str::to_string);
            f = f.evidence_with(
                "response.header.www-authenticate",
                "the challenge says error=\"insufficient_user_authentication\" (RFC 9470 step-up)",
                json!({ "acr_values": acr, "max_age": max_age }),
            );
        }
    }
    let body_error = ev
        .last()
        .and_then(|x| serde_json::from_slice::<serde_json::Value>(&x.body).ok())
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string));
    if let Some(e) = body_error.filter(|e| BODY_ERRORS.contains(&e.as_str())) {
        // interaction_required is wider than MFA (consent, account selection): weigh it lower.
        grade = grade.max(Some(if e == "interaction_required" {
            Grade::Likely
        } else {
            Grade::Clear
        }));
        f = f.evidence("response.body", format!("the body says error=\"{e}\""));
    }
    let grade = grade?;
    let mut fix = Fix::new(
        "complete-mfa",
        "Sign in interactively with the second factor, or use an automation credential",
        Effort::Medium,
    )
    .step("Interactive clients: start a sign-in that can prompt for the second factor.");
    if acr.is_some() || max_age.is_some() {
        fix = fix.step(format!(
            "Request the new token with{}{}.",
            acr.map(|a| format!(" acr_values=\"{a}\""))
                .unwrap_or_default(),
            max_age.map(|m| format!(" max_age={m}")).unwrap_or_default()
        ));
    }
    fix = fix.step("Scripts and CI: use a credential made for automation (personal access token, service principal, managed identity, client credentials) instead of a user's password.");
    Some(f.fix(fix).graded(grade))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;

    #[test]
    fn rfc9470_step_up() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdefghijkl")],
            401,
            &[(
                "WWW-Authenticate",
                "Bearer error=\"insufficient_user_authentication\", acr_values=\"urn:mfa\", max_age=300",
            )],
        );
        let f = super::check(&ev).unwrap();
        assert!(f.fixes[0].steps.iter().any(|s| s.contains("max_age=300")));
        assert_eq!(ids(&ev)[0], "mfa-required");
    }

    #[test]
    fn auth0_mfa_required_body() {
        let r = request(&[]);
        let mut x = response(403, &[]);
        x.body = br#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"Fe26.2*abc"}"#.to_vec();
        let ev = Evidence::new(r, vec![x], None, None, NOW);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Clear);
        assert!(
            !format!("{f:?}").contains("Fe26"),
            "mfa_token must not be shown"
        );
    }

    #[test]
    fn nothing_without_signal() {
        let ev = evidence(&[("Authorization", "Bearer abcdefghijkl")], 401, &[]);
        assert!(super::check(&ev).is_none());
    }
}
