//! # session-expired
//!
//! ## What it detects
//! A cookie session that ended: the session cookie sent had already expired, the 401 response
//! deletes it (`Max-Age=0` or an `Expires` in the past), or no session cookie was sent although
//! earlier responses in the recording set one.
//!
//! ## Why it gives 401
//! Browser apps authenticate API calls with a session cookie. Sessions end on the server (idle
//! timeout, logout elsewhere, server restart) or in the browser (the cookie expired, was blocked
//! as third-party, or never stored because of `SameSite`/`Secure` attributes), and the next call
//! arrives without a valid session.
//!
//! ## Evidence used
//! - HAR: the request's cookies with their recorded expiry, the response's cookies, and cookies
//!   set by earlier entries on the same host;
//! - `Set-Cookie` headers on the 401 response.
//!
//! ## Fix
//! Log in again to get a new session. If it keeps happening, check the session lifetime and
//! idle timeout, and the cookie's `SameSite`, `Secure` and `Domain` attributes (a cookie set on
//! another host or over http is not sent).
//!
//! ## Example
//! ```text
//! Cookie: sessionid=…   (expired 2026-11-22T09:00:00Z, request at 09:30:00Z)
//! ← 401, Set-Cookie: sessionid=; Max-Age=0
//! ```
//!
//! ## References
//! RFC 6265 §4.1.2 (Set-Cookie attributes), §5.3 (storage model); OWASP Session Management
//! Cheat Sheet.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::time::human_duration;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "session-expired";

fn session_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["sess", "sid", "auth", "token", "jwt", "login", "remember"]
        .iter()
        .any(|k| n.contains(k))
}

/// (name, deleted?) for each Set-Cookie of a response: deleted = Max-Age<=0 or Expires past.
fn set_cookie_deletions(values: &[&str], now: i64) -> Vec<String> {
    let mut out = Vec::new();
    for v in values {
        let mut parts = v.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            continue;
        };
        let mut deleted = false;
        for attr in parts {
            let (k, val) = attr.split_once('=').unwrap_or((attr, ""));
            match k.trim().to_ascii_lowercase().as_str() {
                "max-age" => deleted |= val.trim().parse::<i64>().is_ok_and(|m| m <= 0),
                "expires" => {
                    deleted |= crate::time::parse_http_date(val)
                        .or_else(|| crate::time::parse_http_date(&val.replace('-', " ")))
                        .is_some_and(|t| t <= now)
                }
                _ => {}
            }
        }
        if deleted || value.trim().is_empty() && session_like(name) {
            out.push(name.trim().to_string());
        }
    }
    out
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let last = ev.last()?;
    let now = ev.har.as_ref().and_then(|h| h.started_at).unwrap_or(ev.now);
    // The strongest sign seen; none, no finding.
    let mut grade: Option<Grade> = None;
    let mut f = Finding::new(ID, "", Grade::Faint);
    let mut title = String::new();

    if let Some(h) = &ev.har {
        for c in &h.request_cookies {
            if let Some(exp) = c.expires
                && exp <= now
            {
                grade = grade.max(Some(Grade::Clear));
                title = format!(
                    "The session cookie {} had expired {} before the request",
                    c.name,
                    human_duration(now - exp)
                );
                f = f.evidence_with(
                    "har.request.cookies",
                    format!(
                        "cookie {} expired at {}",
                        c.name,
                        crate::time::format_unix(exp)
                    ),
                    json!({ "cookie": c.name, "expires": exp }),
                );
            }
        }
        let sent: Vec<String> = h.request_cookies.iter().map(|c| c.name.clone()).collect();
        let missing: Vec<&String> = h
            .earlier_cookie_names
            .iter()
            .filter(|n| session_like(n) && !sent.contains(n))
            .collect();
        if !missing.is_empty() && !ev.request.headers.has("authorization") {
            grade = grade.max(Some(Grade::Likely));
            if title.is_empty() {
                title = format!("The session cookie {} set earlier was not sent", missing[0]);
            }
            f = f.evidence_with(
                "har.entries",
                format!(
                    "earlier responses set {:?}, but this request did not send it",
                    missing
                ),
                json!({ "missing": missing }),
            );
        }
    }
    let deleted = set_cookie_deletions(&last.headers.all("set-cookie"), now);
    let deleted: Vec<&String> = deleted.iter().filter(|n| session_like(n)).collect();
    if !deleted.is_empty() {
        grade = grade.max(Some(Grade::Probable));
        if title.is_empty() {
            title = format!(
                "The server ended the session: the 401 deletes the cookie {}",
                deleted[0]
            );
        }
        f = f.evidence_with(
            "response.header.set-cookie",
            format!("the 401 response clears {:?}", deleted),
            json!({ "deleted": deleted }),
        );
    }
    let grade = grade?;
    f.title = title;
    Some(
        f.fix(
            Fix::new("log-in-again", "Log in again to start a new session", Effort::Easy)
                .step("Sign in again (or re-run the login request) and retry with the new session cookie.")
                .step("If sessions end too soon, check the idle timeout and the cookie's SameSite/Secure/Domain attributes."),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn deleting_cookie_on_401() {
        let ev = evidence(
            &[("Cookie", "sessionid=abc")],
            401,
            &[("Set-Cookie", "sessionid=; Max-Age=0; Path=/")],
        );
        assert_eq!(ids(&ev)[0], "session-expired");
    }
}
