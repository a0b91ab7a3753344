//! # token-revoked
//!
//! ## What it detects
//! The issuer says the token is no longer active (RFC 7662 introspection answers
//! `"active": false`) although it has not expired: it was revoked — by a logout, a password
//! change, an admin, or a `/revoke` call. For an opaque token whose expiry cannot be read, an
//! inactive answer still means the issuer no longer honours it (revoked, expired or unknown).
//!
//! ## Why it gives 401
//! Resource servers that introspect (or check a revocation list) ask the issuer on every
//! request; an inactive token is refused with `invalid_token` even though it looks valid
//! locally.
//!
//! ## Evidence used
//! - the introspection response (with the profile's `introspection_client_id` and
//!   `introspection_client_secret` reference) at the issuer's `introspection_endpoint`;
//! - the token's own `exp` (JWT), judged by the server's clock: still in the future;
//! - for an active token, the `client_id`, `scope` and `exp` the issuer reports.
//!
//! ## Fix
//! Obtain a new token (sign in again, or run the client-credentials grant again). If tokens are
//! revoked unexpectedly, look for a logout, rotation or refresh-token reuse detection.
//!
//! ## Example
//! ```text
//! introspection at http://127.0.0.1:14000/token/introspection: {"active": false}
//! ```
//!
//! ## References
//! RFC 7662 §2.2 (`active`); RFC 7009 (token revocation); RFC 6750 §3.1 (`invalid_token`).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "token-revoked";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let idp = ev.idp.as_ref()?;
    let i = idp.raw.introspection.as_ref()?;
    if i.active != Some(false) {
        return None;
    }
    let url = idp
        .raw
        .introspection_fetch
        .as_ref()
        .map(|f| f.url.clone())
        .unwrap_or_default();
    let (t, clock) = ev.judging_time();
    let exp = ev.jws().and_then(|j| j.time_claim("exp"));
    let (grade, title, detail) = match exp {
        Some(e) if e > t => (
            Grade::Confirmed,
            "The token was revoked: the issuer reports it inactive before its expiry".to_string(),
            format!(
                "exp {e} is {} in the future by {clock}, yet the issuer says inactive",
                crate::time::human_duration(e - t)
            ),
        ),
        Some(_) => return None, // expired: token-expired says it better
        None => (
            Grade::Probable,
            "The issuer reports the token inactive: revoked (or expired or unknown to it)"
                .to_string(),
            "the token is opaque: its expiry cannot be read locally, so revoked, expired and unknown look alike; it was active earlier if it worked before".to_string(),
        ),
    };
    let f = Finding::new(ID, title, grade)
        .evidence_with(
            "idp.introspection",
            format!("introspection at {url}: {{\"active\": false}}"),
            serde_json::json!({ "url": url, "active": false }),
        )
        .evidence(
            "idp.introspection.expected",
            format!("expected active: true; {detail}"),
        );
    Some(
        f.fix(
            Fix::new("obtain-new-token", "Obtain a new access token", Effort::Easy)
                .action_opt(crate::fix::Action::new_token_for(ev))
                .step("Request a new token (sign in again, or repeat the client-credentials grant).")
                .step("If revocations are unexpected, check for logouts, credential rotation or refresh-token reuse detection."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::diagnosis::Grade;
    use crate::idp::tests::*;

    #[test]
    fn revoked_jwt_and_opaque() {
        let (ev, _) = scenario(Case::RevokedJwt);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Confirmed);
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
        let (ev, _) = scenario(Case::RevokedOpaque);
        assert_eq!(crate::causes::diagnose(&ev)[0].id, super::ID);
    }
}
