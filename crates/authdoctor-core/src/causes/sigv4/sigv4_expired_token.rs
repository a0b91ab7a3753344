//! # sigv4-expired-token
//!
//! ## What it detects
//! Temporary AWS credentials that no longer work: AWS answers `ExpiredToken`,
//! `ExpiredTokenException` or `TokenRefreshRequired`, or the request is signed with a temporary
//! (`ASIA…`) access key but carries no `X-Amz-Security-Token`, which such a key cannot work
//! without.
//!
//! ## Why it gives 401
//! Keys from STS (assume-role, SSO, instance and container roles, `get-session-token`) are only
//! valid together with their session token and only until it expires, typically 1 to 12 hours.
//! After that AWS refuses every request signed with them, however correct the signature; and a
//! temporary key sent without its token is unknown to AWS.
//!
//! ## Evidence used
//! - AWS's error `<Code>` (XML) or `__type` (JSON), and its message;
//! - the access key id's prefix (`ASIA` = temporary, `AKIA` = long-term);
//! - whether an `X-Amz-Security-Token` header or parameter was sent (never its value).
//!
//! ## Fix
//! Obtain new temporary credentials (`aws sso login`, `aws sts assume-role`, refresh the profile
//! or let the SDK's credential provider refresh them) and send the session token with every
//! request (`X-Amz-Security-Token`, or `AWS_SESSION_TOKEN` for authdoctor and the SDKs).
//!
//! ## Example
//! ```text
//! 403 <Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message>
//! ```
//!
//! ## References
//! AWS STS: "Temporary security credentials" and "Using temporary credentials with AWS
//! resources"; AWS error code `ExpiredToken`.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::sigv4::diagnose;
use crate::sigv4::parse;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "sigv4-expired-token";

const CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "TokenRefreshRequired",
];

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let x = ev.last()?;
    let error = parse::aws_error(&x.headers, &x.body);
    let expired = error.as_ref().filter(|e| CODES.contains(&e.code.as_str()));
    let claimed = diagnose::from_evidence(ev)
        .and_then(Result::ok)
        .map(|a| a.claimed);
    let tokenless_temporary = claimed
        .as_ref()
        .is_some_and(|c| c.credential.is_temporary() && !c.has_security_token);
    if expired.is_none() && !tokenless_temporary {
        return None;
    }
    let mut f = match expired {
        Some(e) => Finding::new(ID, "The AWS session token has expired", Grade::Confirmed)
            .evidence(
                "response.body.code",
                format!(
                    "the server answered {} {}{}",
                    x.status,
                    e.code,
                    e.message
                        .as_deref()
                        .map(|m| format!(": {m:?}"))
                        .unwrap_or_default()
                ),
            ),
        None => Finding::new(
            ID,
            "A temporary AWS access key (ASIA…) was sent without its session token",
            Grade::Clear,
        ),
    };
    if let Some(c) = &claimed {
        let kind = if c.credential.is_temporary() {
            "a temporary key from STS (ASIA…): valid only with its session token, until it expires"
        } else {
            "a long-term IAM user key"
        };
        f = f.evidence(
            "sigv4.claims",
            format!(
                "the request is signed with access key {}, {kind}",
                c.credential.key_id
            ),
        );
        f = f.evidence(
            "request.header.x-amz-security-token",
            if c.has_security_token {
                "an X-Amz-Security-Token was sent (value not shown)"
            } else {
                "no X-Amz-Security-Token was sent"
            },
        );
    }
    Some(f.fix(
        Fix::new("refresh-temporary-credentials", "Obtain new temporary credentials and send their session token", Effort::Easy)
            .step("Refresh them: aws sso login, aws sts assume-role, or let the SDK's credential provider renew them.")
            .step("Send the session token with every request: X-Amz-Security-Token (or AWS_SESSION_TOKEN for authdoctor and the SDKs).")
            .step("Renew before expiry: STS credentials carry an Expiration time.")
            .command("aws sts get-caller-identity"),
    ))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLEEXAMPLE12/20261122/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn expired_token_code() {
        let mut ev = evidence(
            &[
                ("Authorization", AUTH),
                ("X-Amz-Date", "20261122T100000Z"),
                ("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLETOKEN"),
            ],
            403,
            &[],
        );
        ev.exchanges[0].body = b"<ErrorResponse><Error><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>".to_vec();
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Confirmed);
        assert!(!format!("{f:?}").contains("FwoGZXIvYXdzEXAMPLETOKEN"));
    }

    #[test]
    fn temporary_key_without_token() {
        let ev = evidence(
            &[("Authorization", AUTH), ("X-Amz-Date", "20261122T100000Z")],
            403,
            &[],
        );
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Clear);
    }

    #[test]
    fn long_term_key_is_not_expired() {
        let auth = AUTH.replace("ASIA", "AKIA");
        let ev = evidence(
            &[("Authorization", &auth), ("X-Amz-Date", "20261122T100000Z")],
            403,
            &[],
        );
        assert!(super::check(&ev).is_none());
    }
}
