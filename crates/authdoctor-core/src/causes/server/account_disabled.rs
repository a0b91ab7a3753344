//! # account-disabled
//!
//! ## What it detects
//! The user, API key, application or account behind the credential is disabled, locked,
//! blocked, suspended or deactivated: the server recognised the credential and refuses it because
//! of the account's state, not because the secret is wrong.
//!
//! ## Why it gives 401
//! Identity providers check the account's state after the secret: a user disabled by an
//! administrator, locked out after repeated wrong passwords (Entra Smart Lockout, Keycloak brute
//! force detection, Okta lockout), blocked (Auth0), deactivated (Slack `account_inactive`), or an
//! application disabled in the tenant. Many answer 401 or 400 with the same error as a wrong
//! password and tell the state only in the message.
//!
//! ## Evidence used
//! - the error message of the body (`error_description`, `message`, …) and the challenge's
//!   `error_description`, searched for account-state wording;
//! - vendor codes from the knowledge base: AADSTS50057/50053/70001, Okta E0000069, Slack
//!   `account_inactive`, Keycloak "Account disabled", Auth0 "user is blocked", Cognito
//!   "User is disabled".
//!
//! ## Fix
//! Have an administrator enable or unlock the account (or application), or wait for a lockout to
//! expire — and first stop whatever keeps retrying with a wrong secret, or the lock returns.
//! A new credential for the same account will not help.
//!
//! ## Example
//! ```text
//! HTTP/1.1 400 Bad Request
//! {"error":"invalid_grant","error_description":"Account disabled"}
//! ```
//!
//! ## References
//! RFC 6749 §5.2 (`invalid_grant`); Microsoft Entra error codes (AADSTS50057, AADSTS50053);
//! Okta error codes (E0000069); Slack Web API (`account_inactive`).

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::AccountState]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "account-disabled";

/// Account-state wording, lower case. Each names an account, user, key or app together with
/// its state, so a message merely mentioning "disabled" (a feature, an endpoint) does not count.
const PHRASES: &[&str] = &[
    "account disabled",
    "account is disabled",
    "account has been disabled",
    "account temporarily disabled",
    "user disabled",
    "user is disabled",
    "user account is disabled",
    "account locked",
    "account is locked",
    "account has been locked",
    "user is locked",
    "user locked",
    "locked out",
    "user is blocked",
    "user has been blocked",
    "account suspended",
    "account is suspended",
    "account has been suspended",
    "account deactivated",
    "account has been deactivated",
    "account is inactive",
    "user is inactive",
    "api key is disabled",
    "api key has been disabled",
    "key is disabled",
    "application is disabled",
];

pub fn check(ev: &Evidence) -> Option<Finding> {
    // Token endpoints answer 400 for a disabled user, so any 4xx with an error message counts.
    let status = ev.status()?;
    if !ev.is_auth_failure() && !(400..500).contains(&status) {
        return None;
    }
    let mut texts: Vec<(&str, String)> = Vec::new();
    if let Some(m) = ev.error_message() {
        texts.push(("response.body", m));
    }
    for c in &ev.challenges {
        if let Some(d) = c.error_description() {
            texts.push(("response.header.www-authenticate", d.to_string()));
        }
    }
    let (source, text, phrase) = texts.into_iter().find_map(|(src, t)| {
        let lower = t.to_lowercase();
        PHRASES
            .iter()
            .find(|p| lower.contains(*p))
            .map(|p| (src, t, *p))
    })?;
    Some(
        Finding::new(
            ID,
            "The account behind the credential is disabled, locked or blocked",
            Grade::Probable,
        )
        .evidence(
            source,
            format!("the server said: {text:?} (account state: \"{phrase}\")"),
        )
        .fix(
            Fix::new(
                "enable-account",
                "Enable or unlock the account, then retry",
                Effort::Medium,
            )
            .step("Ask an administrator to enable, unlock or unblock the user, key or application.")
            .step("Stop any job that keeps retrying with a wrong secret: lockouts return while it runs.")
            .step("A new password or key for the same account will not help until it is enabled."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;

    fn with_body(status: u16, body: &str) -> Evidence {
        let r = request(&[("Authorization", "Basic YWxpY2U6c2VjcmV0")]);
        let mut x = response(status, &[("Content-Type", "application/json")]);
        x.body = body.as_bytes().to_vec();
        Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn keycloak_account_disabled() {
        let ev = with_body(
            400,
            r#"{"error":"invalid_grant","error_description":"Account disabled"}"#,
        );
        assert_eq!(ids(&ev)[0], "account-disabled");
    }

    #[test]
    fn locked_out_on_401() {
        let ev = with_body(401, r#"{"message":"User is locked out after 5 attempts"}"#);
        assert!(super::check(&ev).is_some());
    }

    #[test]
    fn other_disabled_things_do_not_count() {
        let ev = with_body(401, r#"{"message":"Feature disabled for this plan"}"#);
        assert!(super::check(&ev).is_none());
        let ev = with_body(200, r#"{"message":"account is disabled"}"#);
        assert!(super::check(&ev).is_none());
    }
}
