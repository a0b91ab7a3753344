//! # scheme-mismatch
//!
//! ## What it detects
//! The request's `Authorization` scheme is not among the schemes the server's
//! `WWW-Authenticate` challenges offer — e.g. `Basic` sent where the server asks for `Bearer`,
//! `Token` where it asks for `Bearer`, `Bearer` where it asks for `Digest` or `Negotiate`.
//!
//! ## Why it gives 401
//! A server only looks for credentials of the schemes it implements; any other scheme is the
//! same as no credential. It happens when an API key is sent the way another API wants it
//! (`Token …`, `Api-Key …`), when a client library defaults to Basic, or when a gateway in front
//! of the API expects a different scheme than the API itself.
//!
//! ## Evidence used
//! - the scheme of the request's `Authorization` header;
//! - every challenge of the final 401 (`WWW-Authenticate`, several allowed).
//!
//! ## Fix
//! Send the credential with a scheme the server offers; if the credential is of another kind
//! (an API key where a Bearer token is wanted), obtain the right kind of credential.
//! `authdoctor check --fix` retries with the challenged scheme when the credential fits it.
//!
//! ## Example
//! ```text
//! -H 'Authorization: Token ghp_…'  ← WWW-Authenticate: Bearer realm="api"
//! ```
//!
//! ## References
//! RFC 9110 §11.6.1 (WWW-Authenticate), §11.1 (schemes); IANA HTTP Authentication Scheme Registry.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "scheme-mismatch";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if let Some(f) = described_scheme(ev) {
        return Some(f);
    }
    if !ev.is_unauthorized() || ev.challenges.is_empty() {
        return None;
    }
    let a = ev.authorization.as_ref()?;
    let sent = a.scheme.as_deref()?;
    if ev.challenges.iter().any(|c| c.is_scheme(sent)) {
        return None;
    }
    // DPoP-bound tokens are also offered as Bearer by RFC 9449 servers; treat them as one family.
    if sent.eq_ignore_ascii_case("dpop") && ev.challenge("bearer").is_some() {
        return None;
    }
    let offered: Vec<&str> = ev.challenges.iter().map(|c| c.scheme.as_str()).collect();
    let first = offered[0];
    let mut f = Finding::new(
        ID,
        format!("The request used the {sent} scheme; the server only offers {}", offered.join(", ")),
        Grade::Probable,
    )
    .evidence_with(
        "request.header.authorization",
        format!("scheme sent: {sent}"),
        json!({ "sent": sent }),
    )
    .evidence_with(
        "response.header.www-authenticate",
        format!("schemes challenged: {}", offered.join(", ")),
        json!({ "offered": offered }),
    )
    .fix(
        Fix::new("use-challenged-scheme", format!("Send the credential with the {first} scheme"), Effort::Easy)
            // With a token service and -u, --fix requests its token instead.
            .action_opt(crate::fix::Action::token_service_for(ev).is_none().then(|| crate::fix::Action::UseScheme { scheme: first.to_string() }))
            .step(format!("Use 'Authorization: {first} <credential>' if your credential is of that kind."))
            .step(format!("Otherwise obtain a {first} credential for this API (the challenge's realm names the protection space).")),
    );
    // A token-service challenge (container registries): the credentials sent as Basic are
    // what the token service wants, and the challenge names the exact request.
    if let Some(ts) = crate::http::token_service::TokenService::of(&ev.challenges) {
        f.fixes.insert(0, ts.fix(ev));
    }
    Some(f)
}

/// The API's own description names the Authorization scheme for this operation, and the
/// request used another one (a challenge need not be there: many 403s carry none).
fn described_scheme(ev: &Evidence) -> Option<Finding> {
    use crate::api_description::Place;
    if !ev.is_auth_failure() {
        return None;
    }
    let api = ev.api.as_ref()?;
    let sent = ev.authorization.as_ref()?.scheme.clone()?;
    let schemes: Vec<&str> = api
        .places
        .iter()
        .filter_map(|p| match p {
            Place::Authorization { scheme } if scheme != "ApiKey" => Some(scheme.as_str()),
            _ => None,
        })
        .collect();
    // Only when the description wants the Authorization header, just another scheme.
    if schemes.len() != api.places.len()
        || schemes.is_empty()
        || schemes.iter().any(|s| s.eq_ignore_ascii_case(&sent))
    {
        return None;
    }
    let first = schemes[0];
    Some(
        Finding::new(
            ID,
            format!(
                "The request used the {sent} scheme; the API's description names {}",
                schemes.join(", ")
            ),
            Grade::Probable,
        )
        .evidence_with(
            "api.description",
            format!(
                "the API's description ({}) puts this operation's credential in Authorization with {}",
                crate::secret::redact_url(&api.url),
                schemes.join(" or ")
            ),
            json!({ "sent": sent, "described": schemes, "expectation_source": "the API's description" }),
        )
        .fix(
            Fix::new("use-challenged-scheme", format!("Send the credential with the {first} scheme"), Effort::Easy)
                .action(crate::fix::Action::UseScheme { scheme: first.to_string() })
                .step(format!("Use 'Authorization: {first} <credential>'.")),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn basic_sent_bearer_wanted() {
        let ev = evidence(
            &[("Authorization", "Basic YTpi")],
            401,
            &[("WWW-Authenticate", "Bearer realm=\"api\"")],
        );
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("Basic") && f.title.contains("Bearer"));
    }

    #[test]
    fn same_scheme_any_case_is_silent() {
        let ev = evidence(
            &[("Authorization", "bearer abc")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        assert!(super::check(&ev).is_none());
    }
}
