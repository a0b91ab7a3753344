//! # invalid-client
//!
//! ## What it detects
//! The token endpoint rejected the OAuth client's own credentials, not the user's: RFC 6749's
//! `error="invalid_client"` (unknown client, wrong secret, unsupported authentication method) or
//! `unauthorized_client`, in the body or in a challenge such as
//! `WWW-Authenticate: Basic realm="…", error="invalid_client"`, and vendor codes for the same
//! (AADSTS7000215, AADSTS700016, Slack `bad_client_secret`, …).
//!
//! ## Why it gives 401
//! A confidential client proves itself with its client_id and a secret, certificate or signed
//! assertion. The usual slips: the secret's ID sent instead of its value (Entra), an expired or
//! rotated secret, a client_id from another tenant or environment, sending the secret in the
//! form body when the client is registered for HTTP Basic (or the reverse), or a secret with
//! `+`/`/`/`=` not form-encoded before Basic encoding as RFC 6749 §2.3.1 requires.
//!
//! ## Evidence used
//! - the body's `error`/`error_description` and any challenge's `error` parameter;
//! - how the request authenticated the client: HTTP Basic (`client_secret_basic`), form fields
//!   (`client_secret_post`), a `client_assertion` (`private_key_jwt`), or nothing;
//! - whether a Basic client secret contains characters that must be form-encoded first;
//! - vendor codes from the knowledge base.
//!
//! ## Fix
//! Check the client_id and its current secret (or certificate) in the provider's console, use
//! the authentication method the client is registered with, and form-encode id and secret before
//! Basic encoding.
//!
//! ## Example
//! ```text
//! POST /token  Authorization: Basic Y2xpZW50Ondyb25n
//! HTTP/1.1 401 Unauthorized
//! WWW-Authenticate: Basic realm="oidc", error="invalid_client"
//! {"error":"invalid_client","error_description":"client authentication failed"}
//! ```
//!
//! ## References
//! RFC 6749 §2.3.1 and §5.2; OpenID Connect Core §9 (client authentication methods); RFC 7523.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "invalid-client";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let x = ev.last()?;
    // RFC 6749 §5.2: 401 when the client used the Authorization header, else 400 is allowed.
    if !matches!(x.status, 400 | 401 | 403) {
        return None;
    }
    let body = serde_json::from_slice::<serde_json::Value>(&x.body).ok();
    let body_error = body
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|e| e.as_str());
    let challenge_error = ev
        .challenges
        .iter()
        .find_map(|c| c.error().filter(|e| *e == "invalid_client"));
    let (mut grade, code, source) = match (challenge_error, body_error) {
        (Some(e), _) => (Grade::Certain, e, "response.header.www-authenticate"),
        (None, Some("invalid_client")) => (Grade::Clear, "invalid_client", "response.body"),
        (None, Some("unauthorized_client")) => {
            (Grade::Likely, "unauthorized_client", "response.body")
        }
        _ => return None,
    };
    let mut f = Finding::new(
        ID,
        "The token endpoint rejected the client's credentials (client id or secret)",
        grade,
    )
    .evidence(
        source,
        format!("the server says error=\"{code}\" (RFC 6749 §5.2)"),
    );
    if code == "unauthorized_client" {
        f.title = "The client is not allowed to use this grant type".into();
    }
    if let Some(d) = body
        .as_ref()
        .and_then(|v| v.get("error_description"))
        .and_then(|d| d.as_str())
    {
        let d: String = d.lines().next().unwrap_or("").chars().take(200).collect();
        f = f.evidence("response.body", format!("error_description: {d:?}"));
    }
    let form: Vec<(String, String)> = ev
        .request
        .body
        .as_deref()
        .map(|b| {
            url::form_urlencoded::parse(b)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let has = |k: &str| form.iter().any(|(n, _)| n == k);
    let basic = ev.basic.as_ref().filter(|_| {
        ev.authorization
            .as_ref()
            .is_some_and(|a| a.is_scheme("basic"))
    });
    let method = if basic.is_some() {
        "HTTP Basic (client_secret_basic)"
    } else if has("client_assertion") {
        "a signed client_assertion (private_key_jwt / client_secret_jwt)"
    } else if has("client_secret") {
        "client_secret in the form body (client_secret_post)"
    } else if has("client_id") {
        "client_id only, no secret (a public client)"
    } else {
        ""
    };
    if !method.is_empty() {
        f = f.evidence("request", format!("the client authenticated with {method}"));
    }
    let mut fix = Fix::new(
        "check-client-credentials",
        "Check the client id, its current secret, and the authentication method",
        Effort::Medium,
    )
    .step("Compare the client_id and secret with the provider's console; secrets expire and are shown only once (Entra: send the secret's Value, not its ID).")
    .step("Use the method the client is registered with (token_endpoint_auth_method): client_secret_basic, client_secret_post or private_key_jwt.");
    if let Some(b) = basic {
        let special = |s: &str| s.chars().any(|c| "+/=%&: ".contains(c));
        let id_special = b.user.as_deref().is_some_and(special);
        let secret_special = b.password.as_deref().is_some_and(special);
        if id_special || secret_special {
            grade = grade.max(Grade::Clear);
            f = f.evidence(
                "request.header.authorization",
                format!(
                    "the Basic client {} contains characters (+ / = % & : space) that RFC 6749 §2.3.1 requires to be form-encoded before Basic encoding; many servers decode them and get a different secret",
                    if secret_special { "secret" } else { "id" }
                ),
            );
            fix = fix.step("Form-encode client_id and client_secret (application/x-www-form-urlencoded) before joining them with ':' and base64-encoding.");
        }
    }
    if code == "unauthorized_client" {
        fix = fix.step("Enable the grant type (client_credentials, password, refresh_token, …) for this client in the provider's console.");
    }
    Some(f.fix(fix).graded(grade))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;

    fn token_call(
        auth: Option<&str>,
        form: &str,
        status: u16,
        hdrs: &[(&str, &str)],
        body: &str,
    ) -> Evidence {
        let h: Vec<(&str, &str)> = auth.map(|a| vec![("Authorization", a)]).unwrap_or_default();
        let mut r = request(&h);
        r.method = "POST".into();
        r.body = Some(form.as_bytes().to_vec());
        let mut x = response(status, hdrs);
        x.body = body.as_bytes().to_vec();
        Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn oidc_provider_basic_challenge() {
        // base64("client:wrong")
        let ev = token_call(
            Some("Basic Y2xpZW50Ondyb25n"),
            "grant_type=client_credentials",
            401,
            &[(
                "WWW-Authenticate",
                "Basic realm=\"oidc\", error=\"invalid_client\"",
            )],
            r#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Certain);
        assert!(
            f.evidence
                .iter()
                .any(|e| e.text.contains("client_secret_basic"))
        );
        assert_eq!(ids(&ev)[0], "invalid-client");
    }

    #[test]
    fn post_secret_on_400() {
        let ev = token_call(
            None,
            "grant_type=client_credentials&client_id=a&client_secret=b",
            400,
            &[],
            r#"{"error":"invalid_client"}"#,
        );
        let f = super::check(&ev).unwrap();
        assert!(
            f.evidence
                .iter()
                .any(|e| e.text.contains("client_secret_post"))
        );
    }

    #[test]
    fn unencoded_special_secret() {
        // base64("client:a+b/c=")
        let ev = token_call(
            Some("Basic Y2xpZW50OmErYi9jPQ=="),
            "grant_type=client_credentials",
            401,
            &[],
            r#"{"error":"invalid_client"}"#,
        );
        let f = super::check(&ev).unwrap();
        assert!(f.evidence.iter().any(|e| e.text.contains("form-encoded")));
        assert!(
            !format!("{f:?}").contains("a+b/c="),
            "the secret must not be shown"
        );
    }

    #[test]
    fn not_for_other_errors() {
        let ev = token_call(None, "", 400, &[], r#"{"error":"invalid_grant"}"#);
        assert!(super::check(&ev).is_none());
    }
}
