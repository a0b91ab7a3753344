//! # credentials-in-wrong-place
//!
//! ## What it detects
//! The credential was sent where the API does not read it: an API key in the query when the API
//! wants a header, a key under `Authorization` when the API wants `X-API-Key`, a token in a
//! cookie instead of a header — judged against the API's own published description (its
//! OpenAPI/Swagger document's security schemes for the operation called).
//!
//! ## Why it gives 401
//! The server looks for the credential in one place only. Finding nothing there, it answers as
//! if none was sent (401, or 403 "Not authenticated" on many frameworks), although the request
//! carried a perfectly good credential somewhere else.
//!
//! ## Evidence used
//! - the API's OpenAPI 3 `components.securitySchemes` and the operation's `security` (or the
//!   global one), Swagger 2 `securityDefinitions`, fetched from the addressed origin only
//!   (`/openapi.json`, `/swagger.json`, `/v3/api-docs`, …), without any credential;
//! - where the request carried its credential (Authorization scheme, API-key headers, query);
//! - the probe `moved-credential`: the same request (safe methods only) with the credential
//!   moved to the documented place — a success proves it;
//! - what the server says ("no credential", supported; a verdict on the credential's claims
//!   contradicts it: the server read it).
//!
//! ## Fix
//! Send the credential where the description puts it (`--fix` moves it and verifies).
//!
//! ## Example
//! ```text
//! curl -H 'Authorization: Bearer k-123' https://api.example.com/apikey
//!   ← 403 {"detail":"Not authenticated"}; /openapi.json: apiKey in header X-API-Key
//! curl -H 'X-API-Key: k-123' https://api.example.com/apikey   ← 200
//! ```
//!
//! ## References
//! - OpenAPI Specification 3.1, Security Scheme Object and Security Requirement Object
//! - RFC 6750 §2 (the three places a bearer token may travel)

use crate::api_description::{Place, sent_places};
use crate::causes::consistency::{Profile, READ_A_CREDENTIAL, Signal};
use crate::diagnosis::{Effort, Finding, Fix, Grade, Weight};
use crate::evidence::Evidence;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::CredentialSent],
    supports: &[(Signal::Said(&[Said::NoCredential]), Weight::Strong)],
    contradicts: &[(Signal::Said(READ_A_CREDENTIAL), Weight::Decisive)],
};

pub const ID: &str = "credentials-in-wrong-place";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let api = ev.api.as_ref()?;
    if api.satisfied_by(&ev.request) {
        return None;
    }
    let sent = sent_places(&ev.request);
    let (from, _) = sent.first()?;
    // Authorization with another scheme than described is scheme-mismatch's to say.
    if matches!(from, Place::Authorization { .. })
        && api
            .places
            .iter()
            .all(|p| matches!(p, Place::Authorization { scheme } if scheme != "ApiKey"))
    {
        return None;
    }
    let wanted: Vec<String> = api.places.iter().map(|p| p.describe()).collect();
    let mut f = Finding::new(
        ID,
        format!(
            "The credential was sent in {}, but the API reads it from {}",
            from.describe(),
            wanted.join(" or ")
        ),
        Grade::Probable,
    )
    .evidence_with(
        "api.description",
        format!(
            "the API's own description ({}) puts this operation's credential in {}",
            crate::secret::redact_url(&api.url),
            wanted.join(" or ")
        ),
        json!({ "document": crate::secret::redact_url(&api.url), "places": api.places, "sent": from }),
    );
    if let Some(p) = ev
        .probe(crate::model::ProbeKind::MovedCredential)
        .filter(|p| p.status.is_some())
    {
        let ok = p.status.is_some_and(|s| (200..300).contains(&s));
        f = f.evidence_with(
            "probe.moved-credential",
            format!("probe moved-credential: {}", p.verdict),
            json!({ "probe": "moved-credential", "status": p.status }),
        );
        // Moving it made the request succeed, or it did not help.
        f = f.graded(if ok { Grade::Proven } else { Grade::Possible });
    }
    let to = &api.places[0];
    Some(
        f.fix(
            Fix::new(
                "move-credential",
                format!("Send the credential in {}", to.describe()),
                Effort::Easy,
            )
            .action(crate::fix::Action::MoveCredential { to: to.clone() })
            .step(format!(
                "Move it from {} to {}, as the API's description says.",
                from.describe(),
                to.describe()
            )),
        ),
    )
}
