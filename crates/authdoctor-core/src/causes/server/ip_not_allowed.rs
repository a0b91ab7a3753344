//! # ip-not-allowed
//!
//! ## What it detects
//! The server refused the caller's network address, not its credential: an IP allowlist (or
//! blocklist, firewall rule, WAF rule) in front of the API or on the key itself. Recognised by
//! the typical messages — "IP address not allowed", "not in the allowlist/whitelist", GitHub's
//! "IP allow list enabled", Azure's "Client address is not authorized", AWS policy denials on
//! `aws:SourceIp`, Cloudflare's "error code: 1020" (access denied by a firewall rule) — and
//! headers such as `X-Deny-Reason`.
//!
//! ## Why it gives 401
//! Many APIs let a key be restricted to source addresses, and gateways put allowlists in front
//! of them. The request arrives from a different egress address than the one registered —
//! another office, a VPN or proxy, a CI runner, IPv6 instead of IPv4, a cloud NAT that changed
//! — and the server answers 401 or 403 although the credential is valid. A new token does not
//! help.
//!
//! ## Evidence used
//! - the final response's body and error message (the phrases above, an IP address quoted in
//!   them);
//! - headers that carry the deny reason (`X-Deny-Reason`, `X-Blocked-Reason`,
//!   `CF-Mitigated`);
//! - the proxy in use, since it changes the egress address.
//!
//! ## Fix
//! Find the address the server sees (the one quoted in the message, or your egress address),
//! then add it to the allowlist of the key, organisation or gateway — or call from an allowed
//! network (VPN, the registered NAT, without the proxy).
//!
//! ## Example
//! ```text
//! HTTP/1.1 403 Forbidden
//! {"message":"Although you appear to have the correct authorization credentials, the `acme`
//!  organization has an IP allow list enabled, and your IP address is not permitted to access
//!  this resource."}
//! ```
//!
//! ## References
//! GitHub "Managing allowed IP addresses for your organization"; AWS IAM condition key
//! `aws:SourceIp`; Azure Key Vault / Storage network rules; Cloudflare error 1020; nginx
//! `ngx_http_access_module` (`allow`/`deny`).

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Ip]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "ip-not-allowed";

/// Phrases (lowercase) that name an address restriction, with how clearly each names one.
const PHRASES: &[(&str, Grade)] = &[
    ("ip allow list", Grade::Certain),
    ("ip allowlist", Grade::Certain),
    ("ip whitelist", Grade::Certain),
    ("ip address not allowed", Grade::Certain),
    ("ip address is not allowed", Grade::Certain),
    ("ip not allowed", Grade::Certain),
    ("ip_not_allowed", Grade::Certain),
    ("ip is not allowed", Grade::Certain),
    ("not in the allowlist", Grade::Clear),
    ("not in allowlist", Grade::Clear),
    ("not in the whitelist", Grade::Clear),
    ("not in whitelist", Grade::Clear),
    ("not on the allowlist", Grade::Clear),
    ("your ip address is not permitted", Grade::Certain),
    ("ip address is not authorized", Grade::Certain),
    ("client address is not authorized", Grade::Certain),
    ("client ip address is not allowed", Grade::Certain),
    ("ip address has been blocked", Grade::Clear),
    ("ip address rejected", Grade::Clear),
    ("ip restricted", Grade::Probable),
    ("ip_restricted", Grade::Probable),
    ("aws:sourceip", Grade::Clear),
    ("error code: 1020", Grade::Probable),
    ("source ip", Grade::Plausible),
];

const DENY_HEADERS: &[&str] = &["x-deny-reason", "x-blocked-reason", "x-denied-reason"];

/// The first IPv4 address quoted in a text, for evidence.
fn quoted_ip(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|w| w.parse::<std::net::Ipv4Addr>().is_ok())
        .map(str::to_string)
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    let last = ev.last()?;
    if !(ev.is_auth_failure() || matches!(last.status, 400 | 404 | 429)) {
        return None;
    }
    let body = last.body_text();
    let lower = body.to_ascii_lowercase();
    let mut grade: Option<Grade> = None;
    let mut f = Finding::new(ID, "", Grade::Faint);
    if let Some((phrase, g)) = PHRASES
        .iter()
        .filter(|(p, _)| lower.contains(p))
        .max_by_key(|(_, g)| *g)
    {
        grade = Some(*g);
        let message = ev
            .error_message()
            .unwrap_or_else(|| body.chars().take(200).collect());
        f = f.evidence_with(
            "response.body",
            format!(
                "the server says {:?}: an address restriction",
                message.trim()
            ),
            json!({ "phrase": phrase }),
        );
    }
    for name in DENY_HEADERS {
        if let Some(v) = last.headers.first(name) {
            let l = v.to_ascii_lowercase();
            if l.contains("ip") || l.contains("address") || l.contains("allow") {
                grade = grade.max(Some(Grade::Clear));
                f = f.evidence(&format!("response.header.{name}"), format!("{name}: {v}"));
            }
        }
    }
    let mut grade = grade?;
    // A 400/404/429 that names an address restriction: likely, but the status says otherwise.
    if !ev.is_auth_failure() {
        grade = grade.min(Grade::Likely);
    }
    let ip = quoted_ip(&body);
    if let Some(ip) = &ip {
        f = f.evidence_with(
            "response.body",
            format!("the address the server saw: {ip}"),
            json!({ "ip": ip }),
        );
    }
    if let Some(p) = &ev.proxy {
        f = f.evidence(
            "transport.proxy",
            format!(
                "the request went through the proxy {}: the server sees the proxy's address, not yours",
                crate::secret::redact_url(&p.url)
            ),
        );
    }
    f.title = match &ip {
        Some(ip) => format!("The server refuses requests from {ip}: it is not on its IP allowlist"),
        None => "The server refuses requests from this network address (IP allowlist)".into(),
    };
    Some(
        f.fix(
            Fix::new(
                "allowlist-egress-ip",
                "Allow the address you call from, or call from an allowed network",
                Effort::Medium,
            )
            .step("Find the address the server sees: the one in its message, or your egress address (a VPN, proxy, CI runner or cloud NAT changes it; IPv6 counts separately).")
            .step("Add it to the allowlist of the key, organisation or gateway (GitHub org settings → IP allow list; AWS policy aws:SourceIp; Azure network rules; Cloudflare WAF rule).")
            .step("Or send the request from the registered network (VPN on, without the proxy)."),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;

    fn with_body(status: u16, body: &str) -> Evidence {
        let r = request(&[("Authorization", "Bearer abcdef")]);
        let mut x = response(status, &[]);
        x.body = body.as_bytes().to_vec();
        Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn github_allow_list() {
        let ev = with_body(
            403,
            r#"{"message":"Although you appear to have the correct authorization credentials, the `acme` organization has an IP allow list enabled, and your IP address is not permitted to access this resource."}"#,
        );
        assert_eq!(ids(&ev)[0], "ip-not-allowed");
    }

    #[test]
    fn quoted_address() {
        let ev = with_body(
            401,
            r#"{"error":"ip_not_allowed","message":"IP address 203.0.113.9 is not in the allowlist"}"#,
        );
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("203.0.113.9"), "{}", f.title);
    }

    #[test]
    fn cloudflare_1020_and_aws() {
        assert!(super::check(&with_body(403, "Access denied | api.example.com used Cloudflare to restrict access ... error code: 1020")).is_some());
        assert!(super::check(&with_body(403, "User is not authorized to perform: execute-api:Invoke ... with an explicit deny in a resource-based policy (aws:SourceIp)")).is_some());
    }

    #[test]
    fn unrelated_401_is_silent() {
        assert!(super::check(&with_body(401, r#"{"error":"invalid_token"}"#)).is_none());
    }
}
