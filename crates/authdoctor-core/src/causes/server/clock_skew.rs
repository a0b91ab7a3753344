//! # clock-skew
//!
//! ## What it detects
//! The server's clock (its `Date` header) and the local clock disagree by 30 seconds or more,
//! and especially when that difference decides a time check: a token valid by one clock and
//! expired or not-yet-valid by the other.
//!
//! ## Why it gives 401
//! Every time-based check — JWT `exp`/`nbf`/`iat`, AWS SigV4's 15-minute window, Kerberos, TOTP —
//! is judged by the server's clock against times stamped by another machine. A VM resumed from
//! suspend, a container without NTP or a dead CMOS battery is enough. Refresh logic that uses
//! the local clock then renews too late.
//!
//! ## Evidence used
//! - the final response's `Date` header against the local clock when it arrived (1 s resolution);
//! - the token's time claims, judged by both clocks;
//! - SNTP measurements from the `--ntp` servers (offset and round-trip delay): the referee
//!   that says *which* clock is off — the local one, the server's, or the NTP server itself
//!   when it disagrees with both.
//!
//! ## Fix
//! Synchronise the clock that is off (`timedatectl set-ntp true`, `chronyc makestep`); judge
//! token lifetimes by the server's clock (authdoctor does). `--ntp pool.ntp.org` adds an
//! independent clock and names the one that is wrong.
//!
//! ## Example
//! ```text
//! server Date 10:10:00, local 10:00:00 → "the server's clock is 10m ahead of the local one";
//! token exp 10:05:00 is valid locally, expired for the server
//! ```
//!
//! ## References
//! RFC 9110 §6.6.1 (Date); RFC 7519 §4.1.4 (leeway); RFC 5905 (NTP).

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::time::human_duration;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::ClocksAgreeTokenValid, Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "clock-skew";

/// Below this, `Date` resolution and network delay make a difference meaningless.
const THRESHOLD: i64 = 30;

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let c = ev.server_clock?;
    let off = c.offset();
    // Beyond a year apart, one side is a placeholder timestamp (synthetic HARs), not a clock.
    if off.abs() > 366 * 86_400 {
        return None;
    }
    // NTP, when asked for, referees: offsets of each clock against true time.
    let ntp = ev.ntp_offset();
    let (local_off, server_off) = match ntp {
        Some((n, _)) => {
            let n = n.round() as i64;
            (Some(-n), Some(off - n))
        }
        None => (None, None),
    };
    let ntp_disagrees = ntp.is_some_and(|(n, _)| n.abs() >= THRESHOLD as f64);
    if off.abs() < THRESHOLD && !ntp_disagrees {
        return None;
    }
    let behind_ahead = |x: i64| if x > 0 { "ahead" } else { "behind" };
    let who = match (local_off, server_off) {
        (Some(l), Some(sv))
            if l.abs() >= THRESHOLD && sv.abs() >= THRESHOLD && off.abs() < THRESHOLD =>
        {
            format!(
                "The NTP server disagrees with both the local clock and the server's by {}: the NTP server is off",
                human_duration(l)
            )
        }
        (Some(l), Some(sv)) if l.abs() >= THRESHOLD && sv.abs() >= THRESHOLD => format!(
            "Both clocks are off: the server's is {} {} of NTP time, the local one {} {}",
            human_duration(sv),
            behind_ahead(sv),
            human_duration(l),
            behind_ahead(l)
        ),
        (Some(_), Some(sv)) if sv.abs() >= THRESHOLD => format!(
            "The server's clock is {} {} (NTP agrees with the local clock)",
            human_duration(sv),
            behind_ahead(sv)
        ),
        (Some(l), Some(_)) if l.abs() >= THRESHOLD => format!(
            "The local clock is {} {} (NTP agrees with the server's clock)",
            human_duration(l),
            behind_ahead(l)
        ),
        _ => format!(
            "The server's clock is {} {} of the local clock",
            human_duration(off),
            behind_ahead(off)
        ),
    };
    let server_is_off = server_off.is_some_and(|s| s.abs() >= THRESHOLD);
    let ntp_is_off = off.abs() < THRESHOLD && ntp_disagrees;
    // An offset alone is a hint; it becomes the cause when it flips the token's verdict.
    let mut grade = if ntp_is_off {
        Grade::Faint
    } else if off.abs() > 300 {
        Grade::Possible
    } else {
        Grade::Doubtful
    };
    let mut f = Finding::new(ID, who, grade).evidence_with(
        "response.header.date",
        format!(
            "server Date {} vs local {} when the response arrived",
            crate::time::format_unix(c.date),
            crate::time::format_unix(c.local)
        ),
        json!({ "server_date": c.date, "local": c.local, "offset_seconds": off }),
    );
    for s in &ev.ntp {
        match (s.offset_seconds, &s.error) {
            (Some(o), _) => {
                f = f.evidence_with(
                    "ntp",
                    format!(
                        "NTP {}: local clock {} {} (offset {o:+.3} s, round trip {:.1} ms, stratum {})",
                        s.server,
                        human_duration(o.round() as i64),
                        if o > 0.0 { "behind" } else { "ahead" },
                        s.delay_ms.unwrap_or(0.0),
                        s.stratum.map(|x| x.to_string()).unwrap_or_default()
                    ),
                    json!({ "server": s.server, "offset_seconds": o, "delay_ms": s.delay_ms }),
                );
            }
            (None, Some(e)) => {
                f = f.evidence("ntp", format!("NTP {}: no answer ({e})", s.server));
            }
            _ => {}
        }
    }
    if let Some(j) = ev.jws() {
        // Does the verdict flip between the two clocks?
        for claim in ["exp", "nbf"] {
            if let Some(v) = j.time_claim(claim) {
                let ok_local = if claim == "exp" {
                    v > c.local
                } else {
                    v <= c.local
                };
                let ok_server = if claim == "exp" {
                    v > c.date
                } else {
                    v <= c.date
                };
                if ok_local != ok_server {
                    grade = grade.max(Grade::Clear);
                    // NTP says the server's clock is the wrong one: that is the cause.
                    if server_is_off {
                        grade = Grade::Confirmed;
                    }
                    f = f.evidence_with(
                        &format!("token.claims.{claim}"),
                        format!("the token's {claim} passes by the local clock and fails by the server's: the skew decides"),
                        json!({ "claim": claim }),
                    );
                }
            }
        }
    }
    Some(
        f.fix(
            Fix::new("sync-clock", "Synchronise the clock that is off", Effort::Medium)
                .step("Check both hosts: timedatectl status (or chronyc tracking); enable NTP where it is off.")
                .step("Refresh tokens by the server's clock, not the local one.")
                .command("timedatectl set-ntp true"),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    fn date(t: i64) -> String {
        jiff::Timestamp::from_second(t)
            .unwrap()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string()
    }

    #[test]
    fn skew_that_decides() {
        let t = jwt(json!({"exp": NOW + 120}));
        let ev = evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            401,
            &[("Date", &date(NOW + 600))],
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Clear);
        assert!(f.title.contains("10m ahead"), "{}", f.title);
    }

    #[test]
    fn small_offset_is_silent() {
        let ev = evidence(&[], 401, &[("Date", &date(NOW + 3))]);
        assert!(super::check(&ev).is_none());
    }
}
