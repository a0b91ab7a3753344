//! # missing-credentials
//!
//! ## What it detects
//! The request carried no credential at all — no `Authorization` header, no API-key header, no
//! cookie, no token in the query — and the server answered 401.
//!
//! ## Why it gives 401
//! A protected resource cannot identify an anonymous caller. RFC 9110 §15.5.2 says the 401
//! carries a `WWW-Authenticate` challenge naming the scheme(s) the server accepts; RFC 6750 §3.1
//! says a Bearer server omits the `error` code when the request has no credentials at all.
//! Usually the client forgot to add the header, an environment variable holding the token was
//! empty, or a library only sends credentials after a challenge (preemptive auth off).
//!
//! ## Evidence used
//! - the original request's headers and URL (no credential-bearing field);
//! - the final response status (401) and its `WWW-Authenticate` challenges;
//! - `error`/`error_description` in a Bearer challenge ("no token", "missing").
//!
//! ## Fix
//! Send the credential the challenge asks for, e.g. `-H "Authorization: Bearer $TOKEN"` (check
//! that `$TOKEN` is not empty), or `-u user:password` for Basic.
//!
//! ## Example
//! ```text
//! $ authdoctor check https://api.example.com/v1/orders
//! ✗ 401 Unauthorized — missing-credentials (high): the request carried no credentials;
//!   the server asks for Bearer (realm="api")
//! ```
//!
//! ## References
//! RFC 9110 §11.6.1, §15.5.2; RFC 6750 §3, §3.1.

use crate::causes::consistency::{Profile, READ_A_CREDENTIAL, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::NoCredentialSent],
    supports: &[(Signal::Said(&[Said::NoCredential]), Weight::Strong)],
    contradicts: &[
        // The server says it read a credential (parsed it, judged its claims): one arrived,
        // in a place this request's reading does not know.
        (Signal::Said(READ_A_CREDENTIAL), Weight::Decisive),
        // A browser's sanitized HAR export leaves credentials out: absence proves less.
        (Signal::RecorderRemoved, Weight::Strong),
    ],
};

pub const ID: &str = "missing-credentials";

pub fn check(ev: &Evidence) -> Option<Finding> {
    // Many frameworks, storage APIs and gateways answer 403 for a missing credential.
    let forbidden = ev.status() == Some(403);
    if !(ev.is_unauthorized() || forbidden) || ev.has_any_credential() {
        return None;
    }
    let schemes: Vec<String> = ev.challenges.iter().map(|c| c.scheme.clone()).collect();
    // A bare 401 is this cause's usual shape; a challenge naming the scheme wanted says it.
    let mut grade = Grade::Likely;
    let mut f = Finding::new(ID, "", grade);
    if forbidden {
        grade = Grade::Plausible;
        f = f.evidence(
            "response.status",
            "403 to a request without any credential: many servers answer 403, not 401, when none was sent",
        );
    } else if schemes.is_empty() {
        f = f.evidence(
            "response.header.www-authenticate",
            "the 401 carries no WWW-Authenticate challenge, so the server does not say which scheme it wants",
        );
    } else {
        grade = Grade::Certain;
        f = f.evidence_with(
            "response.header.www-authenticate",
            format!("the server challenges with {}", schemes.join(", ")),
            json!({ "schemes": schemes }),
        );
    }
    if let Some(b) = ev.challenge("bearer") {
        if let Some(desc) = b.param("error_description") {
            f = f.evidence(
                "response.header.www-authenticate",
                format!("error_description: {desc:?}"),
            );
        }
        if b.param("error").is_none() {
            f = f.evidence(
                "response.header.www-authenticate",
                "the Bearer challenge has no error code: by RFC 6750 §3.1 the server saw no credentials",
            );
        }
    }
    f = f.evidence(
        "request.headers",
        "the request has no Authorization header, API-key header, cookie or token parameter",
    );
    let scheme = ev
        .challenges
        .first()
        .map(|c| c.scheme.as_str())
        .unwrap_or("Bearer");
    let fix = if scheme.eq_ignore_ascii_case("basic") {
        Fix::new(
            "send-basic-credentials",
            "Send the user name and password",
            Effort::Easy,
        )
        .step("Add the credentials with -u (curl encodes them as Basic).")
        .command(format!(
            "curl -u 'USER:PASSWORD' {}",
            shell_quote(ev.request.url.as_str())
        ))
    } else {
        Fix::new(
            "send-bearer-token",
            format!("Send a token with the {scheme} scheme"),
            Effort::Easy,
        )
        .step("Obtain an access token for this API from its issuer.")
        .step("Check the variable holding it is not empty: echo ${#TOKEN}")
        .command(format!(
            "curl -H \"Authorization: {scheme} $TOKEN\" {}",
            shell_quote(ev.request.url.as_str())
        ))
    };
    let title = if schemes.is_empty() {
        "The request carried no credentials".to_string()
    } else {
        format!(
            "The request carried no credentials; the server asks for {}",
            schemes.join(" or ")
        )
    };
    f.title = title;
    // A token-service challenge (container registries) names the exact token request.
    if let Some(ts) = crate::http::token_service::TokenService::of(&ev.challenges) {
        f = f.fix(ts.fix(ev));
    }
    // A new token from the profile, unless the token service's request comes first.
    let fix = fix.action_opt(
        crate::fix::Action::token_service_for(ev)
            .is_none()
            .then(|| crate::fix::Action::new_token_for(ev))
            .flatten(),
    );
    Some(f.fix(fix).graded(grade))
}

/// One shell word for a command shown to the user ([`crate::shell::quote`]).
pub(crate) fn shell_quote(s: &str) -> String {
    crate::shell::quote(s)
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn fires_without_credentials() {
        let ev = evidence(&[], 401, &[("WWW-Authenticate", "Bearer realm=\"api\"")]);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Certain);
        assert!(f.title.contains("Bearer"));
        assert_eq!(ids(&ev)[0], "missing-credentials");
    }

    #[test]
    fn silent_with_credentials_or_success() {
        assert!(super::check(&evidence(&[("Authorization", "Bearer x")], 401, &[])).is_none());
        assert!(super::check(&evidence(&[("X-Api-Key", "x")], 401, &[])).is_none());
        assert!(super::check(&evidence(&[], 200, &[])).is_none());
    }
}
