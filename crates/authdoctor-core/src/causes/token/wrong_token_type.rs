//! # wrong-token-type
//!
//! ## What it detects
//! A token of the wrong kind sent as an access token: an OpenID Connect ID token (it has
//! `nonce` or `at_hash`, `typ: "ID"`, Cognito's `token_use: "id"`, or its `aud` is the client
//! id), or a refresh token (`typ: "Refresh"`, `token_use: "refresh"`).
//!
//! ## Why it gives 401
//! ID tokens tell a *client* who logged in; they are addressed to the client (`aud` = client
//! id), not to the API, and RFC 9068 access tokens carry `typ: at+jwt` precisely so that APIs can
//! refuse anything else. Refresh tokens are only for the token endpoint. Login libraries expose
//! `id_token` and `access_token` side by side, and the wrong one is easy to pick.
//!
//! ## Evidence used
//! - the JWT header `typ` and the claims `nonce`, `at_hash`, `c_hash`, `azp`, `aud`, `typ`,
//!   `token_use`, `scope`/`scp`.
//!
//! ## Fix
//! Send the `access_token` from the token response, not the `id_token` (or the refresh token).
//! If the provider only issues opaque access tokens, request the API's audience/resource so a
//! JWT access token is issued.
//!
//! ## Example
//! ```text
//! {"typ":"JWT"} {"aud":"my-spa-client","nonce":"n-0S6_WzA2Mj","at_hash":"…"} → an ID token
//! ```
//!
//! ## References
//! OpenID Connect Core 1.0 §2 (ID token), §3.1.3.6 (at_hash); RFC 9068 §2.1 (`at+jwt`), §4;
//! RFC 8725 §3.11 (explicit typing).

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::TokenType]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "wrong-token-type";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let j = ev.jws()?;
    let typ_header = j.typ().unwrap_or("").to_ascii_lowercase();
    if typ_header == "at+jwt" || typ_header == "application/at+jwt" {
        return None;
    }
    let claim_typ = j.str_claim("typ").unwrap_or("").to_ascii_lowercase();
    let token_use = j.str_claim("token_use").unwrap_or("").to_ascii_lowercase();
    // Every marker libraries write: `typ` (header and claim), `token_use` (Cognito),
    // `token_type` (simplejwt), `type` (Flask-JWT-Extended and others).
    let claim_token_type = j.str_claim("token_type").unwrap_or("").to_ascii_lowercase();
    let claim_type = j.str_claim("type").unwrap_or("").to_ascii_lowercase();
    let marker_of = |kind: &str| {
        [
            ("typ", claim_typ.as_str()),
            ("token_use", token_use.as_str()),
            ("token_type", claim_token_type.as_str()),
            ("type", claim_type.as_str()),
        ]
        .into_iter()
        .find(|(_, v)| v.contains(kind))
        .map(|(k, v)| format!("the claim {k} says {v:?}"))
    };
    let mut markers = Vec::new();
    let mut kind = "";
    if let Some(m) = marker_of("refresh").or_else(|| {
        typ_header
            .contains("refresh")
            .then(|| format!("the header typ says {typ_header:?}"))
    }) {
        kind = "a refresh token";
        markers.push(m);
    } else if let Some(m) = marker_of("logout") {
        kind = "a logout token";
        markers.push(m);
    } else {
        for c in ["nonce", "at_hash", "c_hash"] {
            if j.claims.contains_key(c) {
                markers.push(format!("has the ID-token claim '{c}'"));
            }
        }
        if claim_typ == "id" {
            markers.push("claim typ is \"ID\"".into());
        }
        if token_use == "id" {
            markers.push("token_use is \"id\"".into());
        }
        let aud = j.audiences();
        if let Some(azp) = j.str_claim("azp")
            && aud.len() == 1
            && aud[0] == azp
            && j.scopes().is_none()
        {
            markers.push(format!(
                "aud equals the client id (azp {azp:?}) and it grants no scope"
            ));
        }
        if !markers.is_empty() {
            kind = "an OpenID Connect ID token";
            // what the API expects, and RFC 9068's access-token type.
            if let Some(c) = ev.idp.as_ref().and_then(|i| i.failing("aud")) {
                markers.push(format!(
                    "aud is the client's id ({}), not this API's audience: {}",
                    c.actual.join(", "),
                    c.describe()
                ));
            }
            markers.push(format!(
                "header typ is {:?}, not \"at+jwt\" (RFC 9068 access tokens)",
                j.typ().unwrap_or("absent")
            ));
        }
    }
    if markers.is_empty() {
        return None;
    }
    // Each independent marker (typ, token_use, a missing claim…) adds certainty.
    let grade = if markers.len() >= 3 {
        Grade::Certain
    } else {
        Grade::Clear
    };
    let mut f = Finding::new(
        ID,
        format!("The token sent is {kind}, not an access token"),
        grade,
    );
    for m in &markers {
        f = f.evidence_with(
            "token.claims",
            m.clone(),
            json!({ "marker": m, "sent": kind, "expected": "an access token" }),
        );
    }
    Some(f.fix(
        Fix::new("send-access-token", "Send the access_token, not the id_token or refresh_token", Effort::Easy)
            .action_opt(crate::fix::Action::new_token_for(ev))
            .step("In the token response, use the field access_token.")
            .step("If the access token is opaque but the API wants a JWT, request the API's audience/resource when asking for the token."),
    ))
}

#[cfg(test)]
mod more_markers {
    use crate::causes::testkit::*;

    #[test]
    fn token_type_and_type_claims_name_a_refresh_token() {
        for claims in [
            serde_json::json!({"token_type": "refresh", "exp": NOW + 600, "jti": "x"}),
            serde_json::json!({"type": "refresh", "exp": NOW + 600, "fresh": false}),
        ] {
            let t = jwt(claims);
            let ev = evidence(
                &[("Authorization", &format!("Bearer {t}"))],
                401,
                &[("WWW-Authenticate", "Bearer error=\"invalid_token\"")],
            );
            let f = super::check(&ev).expect("finding");
            assert!(f.title.contains("refresh token"), "{}", f.title);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    #[test]
    fn id_token() {
        let t = jwt(json!({"aud":"spa","azp":"spa","nonce":"n1","at_hash":"x","exp": NOW + 600}));
        let ev = evidence(&[("Authorization", &format!("Bearer {t}"))], 401, &[]);
        assert_eq!(ids(&ev)[0], "wrong-token-type");
    }

    #[test]
    fn access_token_is_silent() {
        let t = crate::token::jwt::tests::make(
            json!({"alg":"RS256","typ":"at+jwt"}),
            json!({"nonce":"x"}),
            &[0; 256],
        );
        let ev = evidence(&[("Authorization", &format!("Bearer {t}"))], 401, &[]);
        assert!(super::check(&ev).is_none());
    }
}
