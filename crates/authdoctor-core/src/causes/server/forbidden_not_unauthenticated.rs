//! # forbidden-not-unauthenticated
//!
//! ## What it detects
//! The server answered 403 Forbidden: it knows who the caller is (or does not need to) and
//! refuses this action. That is authorization, not authentication.
//!
//! ## Why it gives 401
//! It does not — and that is the point: a 403 means fixing the credential will not help. The
//! caller lacks a role, a policy statement, a group, an org/SSO authorisation, or the resource
//! belongs to someone else; a WAF or IP allowlist may also answer 403. (A 403 with
//! `error="insufficient_scope"` is reported as insufficient-scope instead.)
//!
//! ## Evidence used
//! - the final status (403) and any challenge or error body;
//! - whether the request carried a credential at all.
//!
//! ## Fix
//! Grant the identity the permission (IAM policy, role binding, repository/org access, API
//! product subscription), or call with an identity that has it. Check the error body for the
//! exact permission named.
//!
//! ## Example
//! ```text
//! HTTP/1.1 403 Forbidden
//! {"message":"Resource not accessible by integration"}
//! ```
//!
//! ## References
//! RFC 9110 §15.5.4 (403) vs §15.5.2 (401); RFC 6750 §3.1.

use crate::causes::consistency::{ABOUT_CREDENTIAL, Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::CredentialSent],
    supports: &[(Signal::Said(&[Said::Permission]), Weight::Weak)],
    contradicts: &[
        (Signal::Said(ABOUT_CREDENTIAL), Weight::Decisive),
        (Signal::AnonymousSame, Weight::Decisive),
    ],
};

pub const ID: &str = "forbidden-not-unauthenticated";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if ev.status()? != 403 {
        return None;
    }
    if ev.challenge("bearer").and_then(|b| b.param("error")) == Some("insufficient_scope") {
        return None;
    }
    // AWS answers 403 for failed authentication too (SignatureDoesNotMatch, InvalidClientTokenId,
    // ExpiredToken): those are not permission problems.
    if ev
        .last()
        .and_then(|x| crate::sigv4::parse::aws_error(&x.headers, &x.body))
        .is_some_and(|e| e.is_authentication_failure())
    {
        return None;
    }
    let body = ev
        .last()
        .map(|x| x.body_text().trim().chars().take(200).collect::<String>())
        .unwrap_or_default();
    let mut f = Finding::new(
        ID,
        "The server refused the action (403): authenticated, but not permitted",
        Grade::Probable,
    )
    .evidence(
        "response.status",
        "status 403 Forbidden: the server does not ask for other credentials",
    );
    if !ev.has_any_credential() {
        f = f.graded(Grade::Possible).evidence("request.headers", "the request carried no credentials; the resource may need them and answer 403 instead of 401");
    }
    if !body.is_empty() {
        f = f.evidence("response.body", format!("the server said: {body:?}"));
    }
    Some(f.fix(
        Fix::new("grant-permission", "Grant this identity the permission, or use one that has it", Effort::Medium)
            .step("Read the error body for the permission, role or policy it names.")
            .step("Check the identity's roles/policies (IAM, RBAC, org or SSO authorisation) for this resource and action.")
            .step("A new credential will not help unless it belongs to an identity with the permission."),
    ))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn plain_403() {
        let ev = evidence(&[("Authorization", "Bearer abcdef")], 403, &[]);
        assert_eq!(ids(&ev)[0], "forbidden-not-unauthenticated");
    }
}
