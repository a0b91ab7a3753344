//! # malformed-authorization-header
//!
//! ## What it detects
//! An `Authorization` header that does not have the form `scheme SP credential`: no scheme (a
//! bare token), `Bearer:` or `Bearer=` punctuation, the scheme twice (`Bearer Bearer …`), a
//! quoted or empty credential, several Authorization headers, extra spaces, or a scheme in a
//! case the server does not accept (`bearer` where the server challenges `Bearer`).
//!
//! ## Why it gives 401
//! The server cannot find the credential, so it treats the request as unauthenticated or the
//! token as invalid. RFC 9110 §11.1 makes schemes case-insensitive, but many servers compare
//! them literally (httpbin's `/bearer`, hand-written middleware). Duplicate headers are handled
//! inconsistently: a proxy may join them with a comma, the framework may read the first one.
//! The usual origin is string building: `"Bearer " + token` where the token already contained
//! "Bearer ", or a config value written as `Bearer: …`.
//!
//! ## Evidence used
//! - the raw `Authorization` header(s) of the request, taken apart (scheme, separator, credential);
//! - the final status and `WWW-Authenticate` challenges (to judge a strict scheme match).
//!
//! ## Fix
//! Send exactly one header `Authorization: <Scheme> <credential>` — scheme spelled as the
//! server's challenge spells it, one space, the credential without quotes or a second scheme.
//! `authdoctor check --fix` rewrites the header and re-sends the request.
//!
//! ## Example
//! ```text
//! -H 'Authorization: bearer eyJ…'   → server challenges `Bearer`, compares case-sensitively
//! -H 'Authorization: Bearer: eyJ…'  → the credential it reads is ": eyJ…" (or nothing)
//! ```
//!
//! ## References
//! RFC 9110 §11.4 (credentials), §11.6.2 (Authorization), §11.1 (scheme case); RFC 6750 §2.1.

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::http::authorization::HeaderIssue;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::CredentialSent, Signal::ValueIsUsers],
    supports: &[(
        Signal::Said(&[Said::Unreadable, Said::NoCredential]),
        Weight::Strong,
    )],
    contradicts: &[],
};

pub const ID: &str = "malformed-authorization-header";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let a = ev.authorization.as_ref()?;
    if a.issues.is_empty() || !ev.is_auth_failure() {
        return None;
    }
    let mut grade = Grade::Faint;
    let mut f = Finding::new(ID, "", grade);
    for issue in &a.issues {
        // Defects every server refuses are clear; ones lenient parsers accept are weaker.
        let g = match issue {
            HeaderIssue::NoScheme
            | HeaderIssue::SchemePunctuation { .. }
            | HeaderIssue::DoubledScheme { .. }
            | HeaderIssue::EmptyCredentials => Grade::Clear,
            HeaderIssue::Duplicate { .. } => Grade::Likely,
            HeaderIssue::InternalWhitespace => Grade::Plausible,
            HeaderIssue::ExtraSeparator => Grade::Doubtful,
            HeaderIssue::SchemeCase { canonical, .. } => {
                // Strict servers challenge with the canonical spelling and reject ours.
                let strict = ev.challenges.iter().any(|c| c.scheme == *canonical);
                if strict && ev.is_unauthorized() {
                    f = f.evidence(
                        "response.header.www-authenticate",
                        format!("the server challenges with '{canonical}' and rejected the request: it compares the scheme case-sensitively"),
                    );
                    Grade::Clear
                } else {
                    Grade::Doubtful
                }
            }
        };
        grade = grade.max(g);
        f = f.evidence_with(
            "request.header.authorization",
            issue.describe(),
            json!({ "issue": issue }),
        );
    }
    let scheme = a
        .canonical_scheme()
        .or_else(|| ev.challenges.first().map(|c| c.scheme.clone()))
        .unwrap_or_else(|| "Bearer".into());
    let headline = a
        .issues
        .iter()
        .max_by_key(|i| match i {
            HeaderIssue::ExtraSeparator => 0,
            HeaderIssue::SchemeCase { .. } => 1,
            HeaderIssue::InternalWhitespace => 2,
            HeaderIssue::Duplicate { .. } => 3,
            _ => 4,
        })
        .map(|i| i.describe())
        .unwrap_or_default();
    f.title = format!("The Authorization header is malformed: {headline}");
    let fix = Fix::new(
        "rewrite-authorization-header",
        format!("Send 'Authorization: {scheme} <credential>'"),
        Effort::Easy,
    )
    .action(crate::fix::Action::NormaliseHeader)
    .step(format!(
        "Send exactly one Authorization header, scheme '{scheme}', one space, then the credential."
    ))
    .step(
        "If the credential comes from a variable, check it does not already start with the scheme.",
    )
    .command(format!(
        "curl -H \"Authorization: {scheme} $TOKEN\" {}",
        super::missing_credentials::shell_quote(ev.request.url.as_str())
    ));
    Some(f.fix(fix).graded(grade))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn strict_lowercase_scheme_is_high() {
        let ev = evidence(
            &[("Authorization", "bearer abcdef")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Clear);
        assert_eq!(ids(&ev)[0], "malformed-authorization-header");
    }

    #[test]
    fn lenient_lowercase_scheme_is_low() {
        let ev = evidence(
            &[("Authorization", "bearer abcdef")],
            401,
            &[("WWW-Authenticate", "Basic realm=x")],
        );
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Doubtful);
    }

    #[test]
    fn punctuation_and_bare_token() {
        let ev = evidence(&[("Authorization", "Bearer: abcdef")], 401, &[]);
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Clear);
        let ev = evidence(&[("Authorization", "abcdefghijkl")], 401, &[]);
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Clear);
    }

    #[test]
    fn silent_on_success() {
        assert!(super::check(&evidence(&[("Authorization", "bearer abc")], 200, &[])).is_none());
    }
}
