//! # token-truncated
//!
//! ## What it detects
//! A token that starts like a JWT (`eyJ…`) but is structurally broken: the wrong number of
//! dot-separated parts, a part that is not base64url, a header or payload that is not JSON, or
//! a signature whose length does not fit its algorithm (a cut at the end).
//!
//! ## Why it gives 401
//! The server cannot parse or verify a broken token and rejects it as `invalid_token`. Tokens
//! get cut by copy/paste from terminals that wrap lines, by fixed-size columns or environment
//! variables, by log lines that truncate, and by tools that "helpfully" convert base64url to
//! base64 (`+`, `/`, `=`).
//!
//! ## Evidence used
//! - the credential decoded part by part: segment count, base64url alphabet, JSON, signature
//!   length against the lengths RFC 7518 fixes per algorithm.
//!
//! ## Fix
//! Copy the whole token again from its source (the token endpoint's response, not a log line);
//! check the storage that held it (column size, env var limits).
//!
//! ## Example
//! ```text
//! eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.Qk3…(cut)  → RS256 signature is 190 bytes; expected 256
//! ```
//!
//! ## References
//! RFC 7519 §7.2 (validating a JWT), RFC 7515 §7.1 (compact serialisation), RFC 7518 §3 (alg sizes),
//! RFC 4648 §5 (base64url).

use crate::diagnosis::Finding;
use crate::diagnosis::Grade;
use crate::evidence::Evidence;
use crate::token::jwt::{JwtAnalysis, JwtDefect};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
/// A value a recorder masked (`Bearer REDACTED`) is not the user's to fix.
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile {
    requires: &[crate::causes::consistency::Signal::ValueIsUsers],
    ..crate::causes::consistency::Profile::NONE
};

pub const ID: &str = "token-truncated";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let defects: Vec<&JwtDefect> = match ev.jwt.as_ref()? {
        JwtAnalysis::Broken(d) => vec![d],
        JwtAnalysis::Jws(j) => j.defects.iter().collect(),
        JwtAnalysis::Jwe { .. } => return None,
    };
    let first = defects.first()?;
    // A signature of the wrong length may be another algorithm's; an empty one may be an
    // unsecured token on purpose.
    let grade = match first {
        JwtDefect::SignatureLength { .. } => Grade::Clear,
        JwtDefect::EmptySignature { .. } => Grade::Probable,
        _ => Grade::Certain,
    };
    let len = ev
        .authorization
        .as_ref()
        .map(|a| a.credential.trim().len())
        .unwrap_or(0);
    let mut f = Finding::new(
        ID,
        format!("The token is damaged: its {}", first.describe()),
        grade,
    );
    for d in &defects {
        f = f.evidence_with(
            "token",
            format!("the token {}", d.describe()),
            json!({ "defect": format!("{d:?}") }),
        );
    }
    f = f.evidence_with(
        "token",
        format!("token length: {len} characters"),
        json!({ "length": len }),
    );
    Some(f.fix(
        crate::diagnosis::Fix::new("recopy-token", "Copy the whole token again from its source", crate::diagnosis::Effort::Easy)
            .step("Take the token from the token endpoint's JSON response, not from a log line or a wrapped terminal.")
            .step("Check whatever stored it (database column, env var, config field) is long enough."),
    ))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    #[test]
    fn cut_signature() {
        let t =
            crate::token::jwt::tests::make(json!({"alg":"RS256"}), json!({"sub":"x"}), &[1; 256]);
        let cut = &t[..t.len() - 30];
        let ev = evidence(
            &[("Authorization", &format!("Bearer {cut}"))],
            401,
            &[("WWW-Authenticate", "Bearer error=\"invalid_token\"")],
        );
        assert_eq!(ids(&ev)[0], "token-truncated");
    }

    #[test]
    fn two_segments() {
        let t = jwt(json!({"sub":"x"}));
        let two = t.rsplit_once('.').unwrap().0;
        let ev = evidence(&[("Authorization", &format!("Bearer {two}"))], 401, &[]);
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Certain);
    }
}
