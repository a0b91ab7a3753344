//! # token-expired
//!
//! ## What it detects
//! A JWT whose `exp` (expiration time) is at or before the time the server judged it — the
//! server's own clock from its `Date` header when available, else the local clock.
//!
//! ## Why it gives 401
//! RFC 7519 §4.1.4: the token "MUST NOT be accepted on or after" `exp`. Access tokens are
//! short-lived on purpose (minutes to an hour); long-running jobs, cached tokens and tokens
//! copied into scripts outlive them. Many servers allow no leeway at all (mod_auth_openidc), so
//! a token that "just" expired, or one judged by a server whose clock runs ahead, fails too.
//!
//! ## Evidence used
//! - the token's `exp` and `iat` claims (decoded, not verified);
//! - the server's `Date` header against the local clock;
//! - the challenge's `error="invalid_token"` and its `error_description`, when present.
//! - a signed URL's own expiry in the query string: Azure SAS `se`, AWS `X-Amz-Date` +
//!   `X-Amz-Expires`, GCS `X-Goog-Date` + `X-Goog-Expires`, CloudFront `Expires`;
//! - what the server says (`expired`), and the clocks: two against one points at the clock.
//!
//! ## Fix
//! Obtain a new token (or refresh it) and refresh ahead of expiry next time, judged by the
//! server's clock. `authdoctor check --fix` refreshes via the profile and re-sends.
//!
//! ## Example
//! ```text
//! exp 2026-11-22T10:00:00Z, server Date 2026-11-22T10:03:12Z
//! → "The access token expired 3m12s ago by the server's clock"
//! ```
//!
//! ## References
//! RFC 7519 §4.1.4; RFC 6750 §3.1 (`invalid_token`); RFC 9068 §4 (validating JWT access tokens).

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
    supports: &[(Signal::Said(&[Said::Expired]), Weight::Strong)],
    contradicts: &[(Signal::ClocksAgreeTokenValid, Weight::Decisive)],
};

pub const ID: &str = "token-expired";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let Some(j) = ev.jws() else {
        return signed_url_expired(ev);
    };
    let exp = j.time_claim("exp")?;
    let (t, clock) = ev.judging_time();
    if exp > t {
        return None;
    }
    let ago = t - exp;
    // exp in the past by the judging clock is a measurement; the server's invalid_token confirms.
    let mut grade = Grade::Certain;
    let mut f = Finding::new(
        ID,
        format!(
            "The access token expired {} ago by {clock}",
            human_duration(ago)
        ),
        grade,
    )
    .evidence_with(
        "token.claims.exp",
        format!(
            "exp {} ({}); judged at {} by {clock}",
            exp,
            format_unix(exp),
            format_unix(t)
        ),
        json!({ "exp": exp, "judged_at": t, "clock": clock, "expired_seconds_ago": ago }),
    );
    if let Some(iat) = j.time_claim("iat") {
        f = f.evidence_with(
            "token.claims.iat",
            format!(
                "issued {} ({}), lifetime {}",
                iat,
                format_unix(iat),
                human_duration(exp - iat)
            ),
            json!({ "iat": iat, "lifetime_seconds": exp - iat }),
        );
    }
    if let Some(c) = ev.server_clock
        && exp > c.local
    {
        f = f.evidence(
            "response.header.date",
            format!(
                "by the local clock the token is still valid for {}: the server's clock is {} ahead",
                human_duration(exp - c.local),
                human_duration(c.offset())
            ),
        );
    }
    let mut valid_by_ntp = false;
    if let Some(n) = ev.ntp_time() {
        // Re-judged by NTP time: is it the token, or the clock that judged it?
        if exp > n {
            valid_by_ntp = true;
            f = f.evidence_with(
                "ntp",
                format!(
                    "by NTP time ({}) the token is still valid for {}: the clock that judged it is off",
                    format_unix(n),
                    human_duration(exp - n)
                ),
                json!({ "ntp_now": n, "valid_for_seconds": exp - n }),
            );
        } else {
            f = f.evidence_with(
                "ntp",
                format!(
                    "NTP time ({}) agrees: expired {} ago",
                    format_unix(n),
                    human_duration(n - exp)
                ),
                json!({ "ntp_now": n }),
            );
        }
    }
    if let Some(b) = ev.challenge("bearer")
        && b.param("error").is_some_and(|e| e == "invalid_token")
    {
        grade = Grade::Confirmed;
        let desc = b.param("error_description").unwrap_or("");
        f = f.evidence(
            "response.header.www-authenticate",
            format!("the server says invalid_token {desc:?}")
                .trim_end_matches(" \"\"")
                .to_string(),
        );
    }
    if valid_by_ntp {
        // The token is fine by true time: the clock is the cause (clock-skew ranks first).
        grade = grade.min(Grade::Probable);
    }
    Some(
        f.fix(super::new_token_fix(ev, "The token has expired."))
            .graded(grade),
    )
}

/// A signed URL (SAS, presigned) past its expiry, judged like a token's `exp`.
fn signed_url_expired(ev: &Evidence) -> Option<Finding> {
    let s = ev.signed_url.as_ref()?;
    let exp = s.expires.as_ref()?;
    let (t, clock) = ev.judging_time();
    if exp.unix > t {
        return None;
    }
    Some(
        Finding::new(
            ID,
            format!(
                "The {} expired {} ago by {clock} ({})",
                s.kind.name(),
                human_duration(t - exp.unix),
                exp.params
            ),
            Grade::Certain,
        )
        .evidence_with(
            "request.query",
            format!(
                "{} says it expires at {}; judged at {} by {clock}",
                exp.params,
                format_unix(exp.unix),
                format_unix(t)
            ),
            json!({ "kind": s.kind, "param": exp.params, "expires": exp.unix, "judged_at": t }),
        )
        .fix(
            Fix::new(
                "new-signed-url",
                "Sign a new URL with a later expiry",
                Effort::Easy,
            )
            .step("Generate the SAS / presigned URL again; its lifetime starts when it is signed.")
            .step("Hand out URLs shortly before use, or with a lifetime that covers the use."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    #[test]
    fn expired_by_server_clock() {
        let t = jwt(json!({"exp": NOW - 192, "iat": NOW - 3792}));
        let date = crate::time::format_unix(NOW); // placeholder, replaced below
        let _ = date;
        let ev = evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            401,
            &[
                ("WWW-Authenticate", "Bearer error=\"invalid_token\""),
                ("Date", &http_date(NOW)),
            ],
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(
            f.title,
            "The access token expired 3m12s ago by the server's clock"
        );
        assert_eq!(f.grade, Grade::Confirmed);
        assert_eq!(ids(&ev)[0], "token-expired");
    }

    #[test]
    fn valid_token_is_silent() {
        let t = jwt(json!({"exp": NOW + 600}));
        let ev = evidence(&[("Authorization", &format!("Bearer {t}"))], 401, &[]);
        assert!(super::check(&ev).is_none());
    }

    pub(crate) fn http_date(t: i64) -> String {
        jiff::Timestamp::from_second(t)
            .unwrap()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    }
}
