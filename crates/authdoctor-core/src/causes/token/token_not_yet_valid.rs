//! # token-not-yet-valid
//!
//! ## What it detects
//! A JWT whose `nbf` (not before) lies in the future at the time the server judged it, or whose
//! `iat` (issued at) does — the token is from the future as far as the server can tell.
//!
//! ## Why it gives 401
//! RFC 7519 §4.1.5: the token "MUST NOT be accepted before" `nbf`. A freshly minted token is
//! rejected when the issuer's clock runs ahead of the API's clock (or the API's behind), because
//! `nbf`/`iat` are stamped with the issuer's time. Some servers also reject an `iat` in the
//! future. It often shows up as "works after a few seconds/minutes".
//!
//! ## Evidence used
//! - the token's `nbf` and `iat` claims;
//! - the server's `Date` against the local clock (who is ahead).
//! - a signed URL's start in the query string (Azure SAS `st`, AWS `X-Amz-Date`).
//!
//! ## Fix
//! Fix the clock that is off (issuer or API host: enable NTP), or configure a small leeway
//! (30–60 s) in the API's validation. Retrying after `nbf` works as a stopgap.
//!
//! ## Example
//! ```text
//! nbf 2026-11-22T10:05:00Z, server Date 2026-11-22T10:00:00Z → "valid only in 5m"
//! ```
//!
//! ## References
//! RFC 7519 §4.1.5 (nbf), §4.1.6 (iat); RFC 9068 §4.

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::Said;
use crate::time::{format_unix, human_duration};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::NotYetValid]), Weight::Strong)],
    contradicts: &[(Signal::ClocksAgreeTokenValid, Weight::Decisive)],
};

pub const ID: &str = "token-not-yet-valid";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let Some(j) = ev.jws() else {
        return signed_url_not_yet_valid(ev);
    };
    let (t, clock) = ev.judging_time();
    let nbf = j.time_claim("nbf").filter(|n| *n > t);
    // An iat a few seconds ahead is normal clock noise; servers that check iat allow some.
    let iat = j.time_claim("iat").filter(|i| *i > t + 5);
    // Servers must honour nbf; fewer check iat.
    let (claim, when, grade) = match (nbf, iat) {
        (Some(n), _) => ("nbf", n, Grade::Clear),
        (None, Some(i)) => ("iat", i, Grade::Plausible),
        _ => return None,
    };
    // Re-judged by NTP time: a token valid by true time points at the judging clock.
    let ntp = ev.ntp_time();
    let grade = match ntp {
        Some(n) if when <= n => grade.min(Grade::Plausible),
        _ => grade,
    };
    let mut f = Finding::new(
        ID,
        format!(
            "The token is not valid yet: {claim} is {} in the future by {clock}",
            human_duration(when - t)
        ),
        grade,
    )
    .evidence_with(
        &format!("token.claims.{claim}"),
        format!(
            "{claim} {} ({}); judged at {} by {clock}",
            when,
            format_unix(when),
            format_unix(t)
        ),
        json!({ "claim": claim, "value": when, "judged_at": t, "seconds_early": when - t }),
    );
    if let Some(n) = ntp {
        f = f.evidence_with(
            "ntp",
            if when <= n {
                format!(
                    "by NTP time ({}) {claim} has passed: the clock that judged it is behind",
                    format_unix(n)
                )
            } else {
                format!(
                    "NTP time ({}) agrees: {claim} is {} ahead",
                    format_unix(n),
                    human_duration(when - n)
                )
            },
            json!({ "ntp_now": n }),
        );
    }
    let f = f.fix(
        Fix::new(
            "sync-clocks",
            "Bring the issuer's and the API's clocks together",
            Effort::Medium,
        )
        .step("Check NTP on the issuer and on the API host (timedatectl / chronyc tracking).")
        .step("Or allow a small leeway (30–60 s) for nbf/iat in the API's token validation."),
    )
    .fix(
        Fix::new(
            "retry-later",
            format!("Retry in {}", human_duration(when - t)),
            Effort::Easy,
        )
        .step(
            "The token becomes valid by the server's clock then; this only works around the skew.",
        ),
    );
    Some(f)
}

/// A signed URL whose start (`st`, `X-Amz-Date`) is still ahead, judged like a token's `nbf`.
fn signed_url_not_yet_valid(ev: &Evidence) -> Option<Finding> {
    let s = ev.signed_url.as_ref()?;
    let start = s.starts.as_ref()?;
    let (t, clock) = ev.judging_time();
    // A few seconds ahead is clock noise; services allow some.
    if start.unix <= t + 5 {
        return None;
    }
    Some(
        Finding::new(
            ID,
            format!(
                "The {} is not valid yet: {} is {} in the future by {clock}",
                s.kind.name(),
                start.params,
                human_duration(start.unix - t)
            ),
            Grade::Clear,
        )
        .evidence_with(
            "request.query",
            format!(
                "{} says it starts at {}; judged at {} by {clock}",
                start.params,
                format_unix(start.unix),
                format_unix(t)
            ),
            json!({ "kind": s.kind, "param": start.params, "starts": start.unix, "judged_at": t }),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    #[test]
    fn nbf_in_future() {
        let t = jwt(json!({"nbf": NOW + 300, "exp": NOW + 3600}));
        let ev = evidence(&[("Authorization", &format!("Bearer {t}"))], 401, &[]);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("5m"), "{}", f.title);
        assert_eq!(ids(&ev)[0], "token-not-yet-valid");
    }
}
