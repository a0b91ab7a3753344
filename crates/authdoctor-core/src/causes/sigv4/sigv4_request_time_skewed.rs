//! # sigv4-request-time-skewed
//!
//! ## What it detects
//! An AWS SigV4 request whose `X-Amz-Date` is more than 15 minutes from the server's clock (its
//! `Date` header, or the `<ServerTime>` of AWS's `RequestTimeTooSkewed`), or an AWS answer
//! that says so (`RequestTimeTooSkewed`, EC2's `RequestExpired`). It also tells whose clock is
//! off: the signer's (the local clock agrees with the server) or this machine's.
//!
//! ## Why it gives 401
//! AWS accepts a signed request only within 15 minutes of its own clock, to limit replays. A
//! request signed long before it is sent (stored, queued, retried), or by a machine whose clock
//! drifted, is refused before its signature is even checked. Some emulators do not check the
//! window at all: then the finding is a warning on a request that succeeded but would fail
//! against AWS.
//!
//! ## Evidence used
//! - `X-Amz-Date` (header, or the presigned query parameter);
//! - the final response's `Date`, or AWS's `<RequestTime>`/`<ServerTime>`;
//! - the local clock when the response arrived, to say whose clock is wrong;
//! - AWS's error `<Code>`.
//!
//! ## Fix
//! Sign immediately before sending, with a synchronised clock (`timedatectl set-ntp true`,
//! `chronyc makestep`). Never store signed requests for later; store the inputs and sign again.
//!
//! ## Example
//! ```text
//! X-Amz-Date 20261122T101500Z, server Date 10:35:00 → 403 RequestTimeTooSkewed: "The
//! difference between the request time and the current time is too large."
//! ```
//!
//! ## References
//! AWS Signature Version 4: "Elements of a request signature" (the 15-minute window);
//! AWS error codes `RequestTimeTooSkewed`, `RequestExpired`; RFC 9110 §6.6.1 (Date).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::sigv4::diagnose::{self, MAX_SKEW_SECS};
use crate::time::{format_unix, human_duration};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "sigv4-request-time-skewed";

const CODES: &[&str] = &["RequestTimeTooSkewed", "RequestExpired"];

pub fn check(ev: &Evidence) -> Option<Finding> {
    let a = diagnose::from_evidence(ev)?.ok()?;
    let code = a.server.as_ref().map(|e| e.code.as_str());
    let said = code.is_some_and(|c| CODES.contains(&c));
    // A presigned URL's X-Amz-Date is when it was made, legitimately long ago: only the server's
    // word counts there.
    let skew = a.time.filter(|t| {
        t.is_skewed() && (a.claimed.placement == crate::sigv4::parse::Placement::Header || said)
    });
    if !said && skew.is_none() {
        return None;
    }
    let ok = !ev.is_auth_failure();
    // AWS saying so confirms the measured skew; a request that succeeded anyway is only a
    // warning about the next one.
    let grade = match (said, ok) {
        (true, _) => Grade::Confirmed,
        (false, true) => Grade::Possible,
        (false, false) => Grade::Clear,
    };
    let title = match skew {
        Some(t) => {
            let dir = if t.skew() < 0 { "behind" } else { "ahead of" };
            let base = format!(
                "X-Amz-Date is {} {dir} the server's clock (AWS allows 15 min)",
                human_duration(t.skew())
            );
            if ok {
                format!("{base}: this server accepted it, AWS would refuse it")
            } else {
                base
            }
        }
        None => "AWS says the request time is too far from its clock".into(),
    };
    let mut f = Finding::new(ID, title, grade);
    if let Some(e) = &a.server
        && said
    {
        f = f.evidence(
            "response.body.code",
            format!(
                "the server answered {}{}",
                e.code,
                e.message
                    .as_deref()
                    .map(|m| format!(": {m:?}"))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(t) = skew.or(a.time) {
        let source = if t.from_error_body {
            "AWS's <ServerTime>"
        } else {
            "the response's Date"
        };
        f = f.evidence_with(
            "request.header.x-amz-date",
            format!(
                "X-Amz-Date {} vs {source} {}: {} apart, limit {}",
                format_unix(t.request_time),
                format_unix(t.server_time),
                human_duration(t.skew()),
                human_duration(MAX_SKEW_SECS)
            ),
            json!({"request_time": t.request_time, "server_time": t.server_time, "skew_seconds": t.skew()}),
        );
        if let Some(c) = ev.server_clock {
            let local_off = c.local - c.date;
            let text = if (local_off - t.skew()).abs() < 120 && local_off.abs() > 60 {
                format!(
                    "this machine's clock is {} off the server's as well: the local clock is wrong",
                    human_duration(local_off)
                )
            } else {
                format!(
                    "this machine's clock agrees with the server's (within {}): the request was signed at another time than it was sent, or by a machine with a wrong clock",
                    human_duration(local_off.abs().max(1))
                )
            };
            f = f.evidence("clock", text);
        }
    }
    Some(f.fix(
        Fix::new("sign-when-sending", "Sign the request just before sending it, with a synchronised clock", Effort::Easy)
            .step("Re-sign now: SigV4 signatures are valid for 15 minutes around X-Amz-Date.")
            .step("Synchronise the signer's clock: timedatectl set-ntp true, or chronyc makestep.")
            .step("Store the request's inputs, not the signed request, when sending later or retrying."),
    ))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::model::Header;
    use crate::sigv4::sign::{SignOptions, Signer, sign_headers};
    use crate::sigv4::{Provider, diagnose::wire_request};

    fn ev_signed_at(t: i64, status: u16, body: &str) -> crate::evidence::Evidence {
        let url = "https://ec2.us-east-1.amazonaws.com/?Action=DescribeRegions";
        let w = wire_request("GET", url, &[]).unwrap();
        let s = sign_headers(
            &w,
            b"",
            &Signer {
                provider: Provider::aws(),
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "secret-secret".into(),
                session_token: None,
                region: "us-east-1".into(),
                service: "ec2".into(),
                time: t,
            },
            SignOptions::for_service("ec2"),
        )
        .unwrap();
        let date = jiff::Timestamp::from_second(NOW)
            .unwrap()
            .strftime("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let mut r = request(&[]);
        r.url = url.parse().unwrap();
        r.headers = s.add.clone();
        let mut x = response(status, &[("Date", date.as_str())]);
        x.url = url.into();
        x.request_headers = s.add;
        x.body = body.as_bytes().to_vec();
        crate::evidence::Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn signed_twenty_minutes_ago_and_refused() {
        let ev = ev_signed_at(
            NOW - 1200,
            401,
            "<Response><Errors><Error><Code>AuthFailure</Code></Error></Errors></Response>",
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Clear);
        assert!(
            f.title.contains("20m0s behind") || f.title.contains("20m behind"),
            "{}",
            f.title
        );
        assert_eq!(ids(&ev)[0], super::ID);
    }

    #[test]
    fn accepted_by_a_lenient_server_is_a_warning() {
        let ev = ev_signed_at(NOW - 1200, 200, "");
        let f = super::check(&ev).unwrap();
        assert!(
            f.grade < Grade::Plausible && f.title.contains("AWS would refuse"),
            "{}",
            f.title
        );
    }

    #[test]
    fn within_the_window_is_fine() {
        assert!(super::check(&ev_signed_at(NOW - 600, 200, "")).is_none());
    }

    #[test]
    fn aws_says_so() {
        let body = "<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message><RequestTime>20261122T101500Z</RequestTime><ServerTime>2026-11-22T10:35:00Z</ServerTime></Error>";
        let ev = ev_signed_at(NOW, 403, body);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Confirmed);
        let _ = Header::new("a", "b");
    }
}
