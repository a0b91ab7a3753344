//! # proxy-stripped-credentials
//!
//! ## What it detects
//! The request carried a credential, but the server answered as if it had received none — a
//! Bearer challenge without an `error` code, or an error such as "no token provided" — and a
//! proxy or other intermediary sits in the path (`-x`, `HTTP(S)_PROXY`, `Via`, `X-Cache … from`).
//!
//! ## Why it gives 401
//! Forward proxies (squid `request_header_access Authorization deny all`, tinyproxy's anonymous
//! mode), reverse proxies (`proxy_set_header Authorization ""`), API gateways and corporate
//! TLS-inspecting proxies remove or rewrite `Authorization`. The origin then sees an anonymous
//! request. By RFC 6750 §3.1 a Bearer server omits the `error` code exactly when the request
//! had no credentials, which is the tell.
//!
//! ## Evidence used
//! - the request's `Authorization` header (present, well-formed);
//! - the final challenge: no `error` code, or an error description saying no token arrived;
//! - a configured proxy (flag or environment) or `Via`/`X-Cache` headers naming one;
//! - the `direct` probe: the same request to the same origin without the proxy (a different
//!   answer proves the proxy), and the `without-credentials` probe: the same answer without
//!   the credential shows it never arrived.
//!
//! ## Fix
//! Bypass the proxy to confirm (`--noproxy '*'` or `NO_PROXY`), then have the proxy forward
//! `Authorization` (squid: remove the `request_header_access Authorization deny` line; nginx:
//! do not clear it) or add the host to `NO_PROXY`.
//!
//! ## Example
//! ```text
//! curl -x http://proxy:3128 -H 'Authorization: Bearer eyJ…' http://api/…
//! ← 401, WWW-Authenticate: Bearer        (no error: the origin saw no token)
//! ← Via: 1.1 proxy (squid/5.7)
//! ```
//!
//! ## References
//! RFC 6750 §3.1; RFC 9110 §7.6.3 (Via), §11.6.2; RFC 9112 §3.2.2 (proxies).

use crate::causes::consistency::{Profile, READ_A_CREDENTIAL, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::model::ProxySource;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[Signal::CredentialSent],
    supports: &[
        (Signal::ProxyOnPath, Weight::Strong),
        (Signal::AnonymousSame, Weight::Strong),
        (Signal::Said(&[Said::NoCredential]), Weight::Weak),
    ],
    contradicts: &[
        (Signal::AnonymousDiffers, Weight::Decisive),
        // The server says it read the credential: it arrived.
        (Signal::Said(READ_A_CREDENTIAL), Weight::Decisive),
        (Signal::Said(&[Said::Refused]), Weight::Decisive),
        (Signal::NoProxy, Weight::Weak),
    ],
};

pub const ID: &str = "proxy-stripped-credentials";

const NO_TOKEN_PHRASES: &[&str] = &[
    "no token",
    "no access token",
    "no bearer token",
    "missing authorization",
    "missing token",
    "missing bearer",
    "token not provided",
    "no authorization header",
    "authorization header is missing",
    "missing credentials",
    "no credentials",
];

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_unauthorized() {
        return None;
    }
    let a = ev.authorization.as_ref()?;
    let last = ev.last()?;
    // If the last hop did not send it, a redirect dropped it: another cause.
    if !last.request_headers.has("authorization") {
        return None;
    }
    let mut signal = None;
    if let Some(b) = ev.challenge("bearer") {
        let desc = b
            .param("error_description")
            .unwrap_or("")
            .to_ascii_lowercase();
        if NO_TOKEN_PHRASES.iter().any(|p| desc.contains(p)) {
            signal = Some(format!(
                "the server says {:?}: the credential did not arrive",
                b.param("error_description").unwrap_or("")
            ));
        } else if b.param("error").is_none() && a.is_scheme("bearer") {
            signal = Some("the Bearer challenge has no error code: by RFC 6750 §3.1 the server saw no credentials".to_string());
        }
    }
    let body = last.body_text().to_ascii_lowercase();
    if signal.is_none() && NO_TOKEN_PHRASES.iter().any(|p| body.contains(p)) {
        signal = Some("the error body says no credentials were received".to_string());
    }
    // Differential probes: the same request around the proxy, and without the
    // credential. A different answer direct proves the proxy; the same answer without the
    // credential proves it never arrived.
    let direct = ev
        .probe(crate::model::ProbeKind::Direct)
        .filter(|p| p.status.is_some());
    let without = ev
        .probe(crate::model::ProbeKind::WithoutCredentials)
        .filter(|p| p.status.is_some() && p.differs == Some(false));
    if signal.is_none() && direct.is_some_and(|p| p.differs == Some(true)) && ev.proxy.is_some() {
        signal = Some(format!(
            "the same request without the proxy got {} instead of {}",
            direct.and_then(|p| p.status).unwrap_or(0),
            last.status
        ));
    }
    if signal.is_none() && without.is_some() && ev.proxy.is_some() {
        signal = Some("the answer is the same with and without the credential".to_string());
    }
    let signal = signal?;

    // A refusal that reads like "no credential" is possible; each sign of an intermediary, and
    // the probes, move it.
    let mut grade = Grade::Possible;
    let mut f = Finding::new(ID, "", grade).evidence("response.header.www-authenticate", signal);
    if let Some(w) = without {
        grade = Grade::Likely;
        f = f.evidence_with(
            "probe.without-credentials",
            format!(
                "probe without-credentials: {} — the same answer as with the credential, so it is not reaching (or not read by) the origin",
                w.status.unwrap_or(0)
            ),
            json!({ "probe": "without-credentials", "status": w.status }),
        );
    }
    if let Some(p) = &ev.proxy {
        grade = Grade::Clear;
        let src = match (p.source, &p.env_var) {
            (ProxySource::Flag, _) => "the -x/--proxy flag".to_string(),
            (ProxySource::Env, Some(v)) => format!("the {v} environment variable"),
            (ProxySource::Env, None) => "the environment".to_string(),
        };
        f = f.evidence_with(
            "transport.proxy",
            format!(
                "the request went through the proxy {} (from {src})",
                crate::secret::redact_url(&p.url)
            ),
            json!({ "proxy": crate::secret::redact_url(&p.url), "source": p.source }),
        );
    }
    let mut via_seen = false;
    for v in last.headers.all("via") {
        via_seen = true;
        grade = grade.max(Grade::Probable);
        f = f.evidence_with(
            "response.header.via",
            format!("Via: {v} — an intermediary handled the request"),
            json!({ "via": v }),
        );
    }
    let mut x_cache_seen = false;
    for v in last.headers.all("x-cache") {
        if v.contains(" from ") {
            x_cache_seen = true;
            grade = grade.max(Grade::Likely);
            f = f.evidence(
                "response.header.x-cache",
                format!("X-Cache: {v} — a proxy cache handled the request"),
            );
        }
    }
    let mut proven = false;
    if let Some(d) = direct {
        if d.differs == Some(true) {
            grade = Grade::Proven;
            proven = true;
            f = f.evidence_with(
                "probe.direct",
                format!(
                    "probe direct: the same request without the proxy got {} (through the proxy: {}) — the proxy changes the answer",
                    d.status.unwrap_or(0),
                    last.status
                ),
                json!({ "probe": "direct", "status": d.status, "via_proxy": last.status }),
            );
        } else {
            grade = grade.min(Grade::Doubtful);
            f = f.evidence_with(
                "probe.direct",
                format!(
                    "probe direct: without the proxy the answer is the same ({}): the proxy is probably not the cause",
                    d.status.unwrap_or(0)
                ),
                json!({ "probe": "direct", "status": d.status }),
            );
        }
    }
    let intermediary = ev.proxy.is_some() || via_seen || x_cache_seen;
    let refuted = direct.is_some() && !proven;
    let nothing_else = !intermediary && without.is_none() && direct.is_none();
    if nothing_else || (without.is_some() && ev.proxy.is_none() && !proven) {
        f = f.evidence("transport", "no proxy is configured or announced; a reverse proxy or gateway in front of the API may still remove the header");
    }
    f.title = if proven {
        "A proxy between you and the server removed or rewrote the credential (the direct request gets a different answer)".into()
    } else if !refuted && (ev.proxy.is_some() || via_seen) {
        "A proxy between you and the server removed the credential".into()
    } else {
        "The credential was sent but the server saw none: something in between may have removed it"
            .into()
    };
    Some(
        f.fix(
            Fix::new("bypass-proxy", "Bypass the proxy to confirm, then let it forward Authorization", Effort::Medium)
                // Only where the direct probe proved the route without the proxy works.
                .action_opt(
                    direct
                        .and_then(|p| p.status)
                        .filter(|s| (200..300).contains(s))
                        .map(|_| crate::fix::Action::BypassProxy),
                )
                .step("Retry without the proxy: curl --noproxy '*' … (or NO_PROXY=host).")
                .step("squid: drop 'request_header_access Authorization deny all'; nginx: do not set proxy_set_header Authorization \"\"; gateways: allow the header through."),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn via_header_and_bare_challenge() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdef")],
            401,
            &[
                ("WWW-Authenticate", "Bearer"),
                ("Via", "1.1 vm (squid/5.7)"),
            ],
        );
        assert_eq!(ids(&ev)[0], "proxy-stripped-credentials");
    }

    #[test]
    fn invalid_token_is_not_stripping() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdef")],
            401,
            &[
                ("WWW-Authenticate", "Bearer error=\"invalid_token\""),
                ("Via", "1.1 x"),
            ],
        );
        assert!(super::check(&ev).is_none());
    }
}
