//! # environment-mismatch
//!
//! ## What it detects
//! A credential from one environment was sent to another: a test key against live data (Stripe
//! `sk_test_` vs `sk_live_`), a live key against a sandbox or staging host, a token issued by a
//! staging issuer presented to the production API, or an Entra token from another tenant.
//!
//! ## Why it gives 401
//! Environments keep separate key stores, signing keys and object ids. A key that is perfectly
//! valid in staging does not exist in production, and a test-mode key cannot see live objects
//! (Stripe answers "No such customer … a similar object exists in live mode"). The credential
//! is fine; it is the wrong one for this host — a mix-up of `.env` files, CI variables or
//! profiles.
//!
//! ## Evidence used
//! - the credential's format (`key_format`: a `live`/`test` prefix) against the host's
//!   environment labels (`sandbox`, `staging`, `dev`, `test`, `qa`, `uat`, …);
//! - the token's `iss` (and URL `aud`) host against the request host: same domain, different
//!   environment label;
//! - vendor messages from the knowledge base (Stripe live/test mode, Azure
//!   `InvalidAuthenticationTokenTenant`);
//! - the token's `iss` against the profiles: it is the issuer of another profile, of
//!   another `environment`, than the profile selected for this request;
//! - DNS (the `dns` probe): the request's host resolves to an address that another profile's
//!   host (of another `environment`) resolves to — a hosts-file pin or split-horizon DNS
//!   sending production traffic to staging.
//!
//! ## Fix
//! Use the credential of the environment you are calling (or call the environment the
//! credential belongs to): check which `.env`, profile or CI variable set was loaded.
//!
//! ## Example
//! ```text
//! GET https://api.example.com/v1/orders  (production)
//! token iss: https://auth.staging.example.com/  → issued by staging
//! ```
//!
//! ## References
//! Stripe "API keys" (test and live modes); RFC 7519 §4.1.1 (`iss`) and §4.1.3 (`aud`).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "environment-mismatch";

/// Host labels that name a non-production environment.
const NON_PROD: &[&str] = &[
    "sandbox",
    "test",
    "testing",
    "staging",
    "stage",
    "stg",
    "dev",
    "development",
    "qa",
    "uat",
    "preprod",
    "nonprod",
];

/// The non-production label of a host, if any (labels split on `.` and `-`).
fn environment_of(host: &str) -> Option<&'static str> {
    let host = host.to_ascii_lowercase();
    host.split(['.', '-'])
        .find_map(|l| NON_PROD.iter().find(|e| **e == l).copied())
}

/// The last two labels: enough to say two hosts belong to the same organisation for this
/// heuristic (it only ever compares hosts that already differ by an environment label).
fn base_domain(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    labels[labels.len().saturating_sub(2)..]
        .join(".")
        .to_ascii_lowercase()
}

use crate::model::host_of;

fn label(env: Option<&str>) -> &str {
    env.unwrap_or("production")
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let host = ev.request.host()?;
    let host_env = environment_of(&host);
    let mut f = Finding::new(ID, "", Grade::Faint);
    // The strongest sign seen; none, no finding.
    let mut grade: Option<Grade> = None;

    if let Some(k) = &ev.key_format
        && k.environment.as_deref() == Some("live")
        && let Some(e) = host_env
    {
        grade = Some(Grade::Plausible);
        f.title = format!("A live {} {} was sent to a {e} host", k.vendor, k.kind);
        f = f.evidence(
            "request.credential",
            format!(
                "the credential is a {} {} for the live environment; {host} is a {e} host",
                k.vendor, k.kind
            ),
        );
    }

    if let Some(j) = ev.jws() {
        let mut claims: Vec<(&str, String)> = Vec::new();
        if let Some(iss) = j.str_claim("iss") {
            claims.push(("iss", iss.to_string()));
        }
        for a in j.audiences() {
            claims.push(("aud", a.to_string()));
        }
        for (claim, value) in claims {
            let Some(h) = host_of(&value) else { continue };
            let claim_env = environment_of(&h);
            if claim_env != host_env && base_domain(&h) == base_domain(&host) {
                grade = grade.max(Some(Grade::Likely));
                f.title = format!(
                    "The token comes from {} ({claim} {h}) and was sent to {} ({host})",
                    label(claim_env),
                    label(host_env)
                );
                f = f.evidence(
                    "token.claims",
                    format!(
                        "{claim} is {value:?}: a {} host; the request went to {host}, a {} host",
                        label(claim_env),
                        label(host_env)
                    ),
                );
                break;
            }
        }
    }
    // the token's issuer is another profile's, of another environment, than the
    // profile selected for this request (by --profile or the request's host).
    if let Some(idp) = &ev.idp
        && let Some(iss) = ev.jws().and_then(|j| j.str_claim("iss"))
        && let Some(sel) = &idp.expectations.profile
        && let Some(o) = idp.expectations.other_profiles.iter().find(|o| {
            o.issuer
                .as_deref()
                .is_some_and(|i| crate::idp::compare(i, iss) != crate::idp::Match::Different)
                && o.environment.is_some()
                && o.environment != sel.environment
        })
    {
        grade = grade.max(Some(Grade::Certain));
        let theirs = o.environment.as_deref().unwrap_or("?");
        let mine = sel
            .environment
            .as_deref()
            .unwrap_or("an unlabelled environment");
        f.title = format!(
            "The token was issued by the {theirs} issuer (profile {}) and sent to the {mine} API (profile {})",
            o.profile, sel.profile
        );
        f = f.evidence_with(
            "idp.expectations.profile",
            format!(
                "iss {iss} is profile {}'s issuer ({theirs}); this request's profile {} ({mine}) expects issuer {}",
                o.profile,
                sel.profile,
                sel.issuer.as_deref().unwrap_or("(none set)")
            ),
            serde_json::json!({
                "token_iss": iss,
                "token_environment": theirs,
                "request_profile": sel.profile,
                "request_environment": sel.environment,
                "expected_issuer": sel.issuer,
            }),
        );
        if let Some(s) = &idp.signature
            && s.verified()
        {
            f = f.evidence(
                "idp.signature",
                format!("the token is genuine for {theirs}: {}", s.text),
            );
        }
    }
    // DNS: the host resolves to an address that belongs to another
    // profile's environment (a hosts-file pin, split-horizon DNS, a stale record).
    if let Some(d) = &ev.dns
        && let Some(m) = d
            .matches
            .iter()
            .find(|m| m.environment.is_some() && m.environment != d.environment)
    {
        grade = grade.max(Some(Grade::Likely));
        let other = m.environment.as_deref().unwrap_or("?");
        let mine = d
            .environment
            .as_deref()
            .unwrap_or("an unlabelled environment");
        f.title = format!(
            "{} resolves to {}, an address of the {other} environment (profile {}'s {}), not {mine}",
            d.host,
            m.shared.join(", "),
            m.profile,
            m.host
        );
        f = f.evidence(
            "probe.dns",
            format!(
                "{} → {}{}; profile {} ({other}) host {} → the same address",
                d.host,
                d.addresses.join(", "),
                if d.hosts_file {
                    " (pinned in /etc/hosts)"
                } else {
                    ""
                },
                m.profile,
                m.host
            ),
        );
    }
    let grade = grade?;
    Some(
        f.fix(
            Fix::new(
                "use-matching-environment",
                "Use the credential of the environment you are calling",
                Effort::Easy,
            )
            .step("Check which .env file, profile or CI variable set supplied the credential.")
            .step("Get a key or token from the target environment's issuer or dashboard, or call the environment the credential belongs to."),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;
    use serde_json::json;

    fn at(url: &str, auth: &str) -> Evidence {
        let mut r = request(&[("Authorization", auth)]);
        r.url = url.parse().unwrap();
        let x = response(401, &[]);
        Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn staging_token_on_production() {
        let t = jwt(json!({"iss": "https://auth.staging.example.com/", "exp": NOW + 600}));
        let ev = at("https://api.example.com/v1/orders", &format!("Bearer {t}"));
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("staging"), "{}", f.title);
        assert_eq!(ids(&ev)[0], "environment-mismatch");
    }

    #[test]
    fn same_environment_is_fine() {
        let t = jwt(json!({"iss": "https://auth.example.com/", "exp": NOW + 600}));
        let ev = at("https://api.example.com/v1/orders", &format!("Bearer {t}"));
        assert!(super::check(&ev).is_none());
        let t = jwt(json!({"iss": "https://login.other.com/", "exp": NOW + 600}));
        let ev = at("https://api.staging.example.com/", &format!("Bearer {t}"));
        assert!(
            super::check(&ev).is_none(),
            "different organisations are not compared"
        );
    }

    #[test]
    fn live_key_on_sandbox_host() {
        let ev = at(
            "https://api.sandbox.example.com/v1",
            "Bearer sk_live_EXAMPLEEXAMPLEEXAMPLE",
        );
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Plausible);
    }

    #[test]
    fn labels() {
        assert_eq!(
            super::environment_of("api-sandbox.paypal.com"),
            Some("sandbox")
        );
        assert_eq!(super::environment_of("api.stripe.com"), None);
        assert_eq!(super::environment_of("devices.example.com"), None);
    }
}
