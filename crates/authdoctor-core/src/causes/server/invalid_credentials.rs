//! # invalid-credentials
//!
//! ## What it detects
//! A well-formed credential reached the server and was rejected, and nothing visible in the
//! request explains it: the header is well-formed, the token is neither damaged nor expired,
//! the encoding is right. The credential itself is wrong — a wrong password, a revoked or
//! rotated key, a token for another system.
//!
//! ## Why it gives 401
//! The server checked the credential against its store or its keys and found no match. Common
//! origins: a password changed elsewhere, a key rotated or deleted, a token from another
//! environment (dev vs prod), a typo in a secret kept in CI variables.
//!
//! ## Evidence used
//! - the request's credential (well-formed, no local defect found);
//! - the final 401 and its challenge (`error="invalid_token"` for Bearer; a repeated Basic
//!   challenge after credentials were sent).
//!
//! ## Fix
//! Check the credential against its source of truth: reset the password, create a new API key,
//! or obtain a new token from the right issuer/environment. Issuer checks (signature, audience,
//! issuer, revocation) narrow this down further when configured.
//!
//! ## Example
//! ```text
//! -u alice:wrong → 401, WWW-Authenticate: Basic realm="nginx-basic"
//! ```
//!
//! ## References
//! RFC 9110 §15.5.2; RFC 7617 §2; RFC 6750 §3.1 (`invalid_token`).

use crate::causes::consistency::{Profile, SPECIFIC, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[],
    contradicts: &[
        (Signal::Said(SPECIFIC), Weight::Strong),
        (Signal::Said(&[Said::NoCredential]), Weight::Weak),
        (Signal::NoCredentialSent, Weight::Strong),
    ],
};

pub const ID: &str = "invalid-credentials";

pub fn check(ev: &Evidence) -> Option<Finding> {
    // AWS answers 403, not 401, when it does not know the access key (InvalidClientTokenId,
    // InvalidAccessKeyId): that is a rejected credential all the same.
    let aws_unknown_key = ev
        .last()
        .and_then(|x| crate::sigv4::parse::aws_error(&x.headers, &x.body))
        .filter(|e| e.is_unknown_key());
    if !(ev.is_unauthorized() || aws_unknown_key.is_some())
        || !ev.has_any_credential()
        || ev.credential_has_local_defect()
    {
        return None;
    }
    // Digest failures have a more precise explanation (stale nonce, algorithm, password).
    if ev
        .authorization
        .as_ref()
        .is_some_and(|a| a.is_scheme("digest"))
        && crate::causes::header::digest_failure::check(ev).is_some()
    {
        return None;
    }
    // A credential that never arrived is not a wrong one.
    if ev.exchanges.iter().any(|x| !x.dropped_headers.is_empty()) {
        return None;
    }
    // A refusal with nothing more specific: plausible until the challenge says more.
    let mut grade = Grade::Plausible;
    let mut f = Finding::new(ID, "", grade);
    let a = ev.authorization.as_ref();
    let scheme = a.and_then(|a| a.canonical_scheme());
    if let Some(s) = &scheme
        && let Some(c) = ev.challenge(s)
    {
        // The server answered our scheme with the same scheme's challenge: it read and refused it.
        if c.param("error").is_some_and(|e| e == "invalid_token") || s == "Basic" || s == "Digest" {
            grade = Grade::Likely;
        } else if s == "Bearer" && c.param("error").is_none() {
            // RFC 6750 §3.1: no error code means the server saw no token, not a wrong one.
            grade = Grade::Doubtful;
        }
        f = f.evidence(
            "response.header.www-authenticate",
            format!(
                "the server received {s} credentials and answered with a {s} challenge again{}",
                c.param("error")
                    .map(|e| format!(" (error={e})"))
                    .unwrap_or_default()
            ),
        );
        if let Some(d) = c.param("error_description") {
            f = f.evidence(
                "response.header.www-authenticate",
                format!("error_description: {d:?}"),
            );
        }
    }
    if let Some(e) = &aws_unknown_key {
        grade = grade.max(Grade::Clear);
        f = f.evidence(
            "response.body.code",
            format!(
                "AWS answered {}: it does not know this access key id",
                e.code
            ),
        );
    }
    if let Some(m) = ev.error_message() {
        f = f.evidence("response.body", format!("the server said: {m:?}"));
    }
    if let Some(b) = &ev.basic
        && let Some(u) = &b.user
    {
        f = f.evidence(
            "request.header.authorization",
            format!("Basic credentials for user {u:?}, well-formed"),
        );
    } else if ev.jws().is_some() {
        f = f.evidence("token", "the JWT is well-formed and within its validity period; its signature, issuer and audience were not checked against the issuer");
    } else {
        f = f.evidence(
            "request",
            "the credential is well-formed; nothing in the request explains the rejection",
        );
    }
    f.title = match scheme.as_deref() {
        Some("Basic") => "The server rejected the user name or password".into(),
        Some(s) => format!("The server rejected the {s} credential itself"),
        None => "The server rejected the credential itself".into(),
    };
    // A token-service challenge with -u credentials: its token request is the fix.
    let service = crate::fix::Action::token_service_for(ev);
    if service.is_some()
        && let Some(ts) = crate::http::token_service::TokenService::of(&ev.challenges)
    {
        f = f.fix(ts.fix(ev));
    }
    Some(
        f.fix(
            Fix::new("check-credential-source", "Check the credential against its source of truth", Effort::Medium)
                .action_opt(service.is_none().then(|| crate::fix::Action::new_token_for(ev)).flatten())
                .step("Reset the password / create a new API key / obtain a new token from the right issuer.")
                .step("Make sure it belongs to the environment you are calling (dev vs prod)."),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn wrong_basic_password() {
        let ev = evidence(
            &[("Authorization", "Basic YWxpY2U6d3Jvbmc=")],
            401,
            &[("WWW-Authenticate", "Basic realm=\"r\"")],
        );
        assert_eq!(ids(&ev), vec!["invalid-credentials"]);
    }

    #[test]
    fn bare_bearer_challenge_is_low() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdefgh")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Doubtful);
        assert_eq!(ids(&ev)[0], "proxy-stripped-credentials");
    }

    #[test]
    fn not_when_local_defect() {
        let ev = evidence(&[("Authorization", "Bearer ${TOKEN}")], 401, &[]);
        assert!(super::check(&ev).is_none());
    }
}
