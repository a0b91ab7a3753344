//! # redirect-dropped-credentials
//!
//! ## What it detects
//! The request was redirected to another origin (host, port or scheme changed; or https → http)
//! and the credential was not sent to the new location, which then answered 401.
//!
//! ## Why it gives 401
//! curl (since 7.83 for custom headers), browsers (Fetch), reqwest, Go's net/http and Python's
//! requests all drop `Authorization` and cookies when a redirect leaves the original origin,
//! so a credential is never leaked to a host the user did not address. APIs that redirect
//! `api.example.com` → `www.example.com`, http → https → a CDN host, or `127.0.0.1` →
//! `localhost` lose the credential on the way.
//!
//! ## Evidence used
//! - every hop of the redirect chain (status, `Location`), and which credential headers each
//!   hop dropped and why;
//! - the final hop's 401.
//!
//! ## Fix
//! Call the final URL directly. If you trust the target, re-send the credential to it
//! explicitly (curl `--location-trusted` sends it to every host — only for hosts you trust).
//! `authdoctor check --fix` re-sends to the final target when it is the same site over https.
//!
//! ## Example
//! ```text
//! GET http://127.0.0.1:8080/api → 307 Location: http://localhost:8080/api
//! GET http://localhost:8080/api (Authorization dropped: origin changed) → 401
//! ```
//!
//! ## References
//! RFC 9110 §15.4 (redirects), §11.6.2; Fetch Standard §4.4 (HTTP-redirect fetch, step 13);
//! curl CVE-2022-27776.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "redirect-dropped-credentials";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let (i, hop) = ev
        .exchanges
        .iter()
        .enumerate()
        .find(|(_, x)| !x.dropped_headers.is_empty())?;
    let names: Vec<&str> = hop
        .dropped_headers
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let reason = hop.dropped_headers[0].reason.clone();
    let prev = i.checked_sub(1).map(|p| &ev.exchanges[p]);
    let mut f = Finding::new(
        ID,
        format!(
            "A redirect to {} dropped the {} header ({reason})",
            crate::secret::redact_url(&hop.url),
            names.join(", ")
        ),
        Grade::Certain,
    );
    if let Some(p) = prev {
        f = f.evidence_with(
            "exchanges",
            format!("hop {}: {} {} → {} Location: {}", i, p.method, crate::secret::redact_url(&p.url), p.status, crate::secret::redact_url(&hop.url)),
            json!({ "hop": i, "from": crate::secret::redact_url(&p.url), "to": crate::secret::redact_url(&hop.url), "status": p.status }),
        );
    }
    f = f.evidence_with(
        "exchanges",
        format!(
            "hop {}: {} sent without {}: {reason}",
            i + 1,
            crate::secret::redact_url(&hop.url),
            names.join(", ")
        ),
        json!({ "hop": i + 1, "dropped": names, "reason": reason }),
    );
    // What mainstream clients do at this hop, so the user knows it is not authdoctor's quirk.
    let clients = if reason.starts_with("https→http") {
        "curl (≥ 7.83), browsers (fetch/XHR) and reqwest all drop Authorization and cookies on a redirect from https to http: the credential would travel in clear text"
    } else {
        "curl (≥ 7.83, without --location-trusted), browsers (fetch: Authorization is removed on a cross-origin redirect) and reqwest (drops Authorization, Cookie and Proxy-Authorization when the host changes) all drop it here; 127.0.0.1 and localhost are different hosts to all of them"
    };
    f = f.evidence("redirect.clients", clients);
    let last = ev.last()?;
    f = f.evidence(
        "response.status",
        format!("the final hop answered {}", last.status),
    );
    let fix = Fix::new("call-final-url", "Call the final URL directly", Effort::Easy)
        .action_opt(
            url::Url::parse(&last.url)
                .ok()
                .map(|url| crate::fix::Action::CallFinalUrl { url }),
        )
        .step(format!("Use {} as the request URL (update the base URL in your config).", crate::secret::redact_url(&hop.url)))
        .step("Only if you trust the target host: send the credential there explicitly (curl --location-trusted sends it to every host).");
    Some(f.fix(fix))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;
    use crate::model::DroppedHeader;

    #[test]
    fn names_the_hop() {
        let r = request(&[("Authorization", "Bearer abcdef")]);
        let mut a = response(307, &[("Location", "http://localhost/x")]);
        a.url = "http://127.0.0.1/x".into();
        let mut b = response(401, &[("WWW-Authenticate", "Bearer")]);
        b.url = "http://localhost/x".into();
        b.dropped_headers = vec![DroppedHeader {
            name: "Authorization".into(),
            reason: "origin changed".into(),
        }];
        let ev = Evidence::new(r, vec![a, b], None, None, NOW);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("localhost"));
        assert_eq!(ids(&ev)[0], "redirect-dropped-credentials");
    }
}
