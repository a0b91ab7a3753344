//! # cached-401
//!
//! ## What it detects
//! The 401 came from a cache, not from the origin: `X-Cache: HIT`, `X-Cache-Status: HIT`,
//! `CF-Cache-Status: HIT`, an `Age` header, or a `Via` naming a cache — while the request
//! carried credentials.
//!
//! ## Why it gives 401
//! A shared cache (nginx `proxy_cache`, Varnish, a CDN) stored an earlier 401 under a key that
//! does not include `Authorization`, and now serves it to everyone — including callers with
//! valid credentials. RFC 9111 §3.5 forbids storing responses to authenticated requests unless
//! explicitly allowed, but caches configured to cache 401s, or keyed on the URL alone, do it
//! anyway. The symptom: the fix "does not work" until the cache entry expires.
//!
//! ## Evidence used
//! - cache headers of the final response (`Age`, `X-Cache`, `X-Cache-Status`, `CF-Cache-Status`,
//!   `X-Varnish`, `Via`);
//! - the request's credential;
//! - the `cache-bust` probe: the same request with `Cache-Control: no-cache` and a unique
//!   query parameter; a different answer confirms the cached one.
//!
//! ## Fix
//! Bypass the cache to confirm (a unique query parameter plus `Cache-Control: no-cache`), purge
//! the entry, and fix the cache: never cache 401/403, or key on the `Authorization` header, and
//! have the origin send `Cache-Control: no-store` on 401s. `authdoctor check --fix` retries
//! with a cache-buster.
//!
//! ## Example
//! ```text
//! HTTP/1.1 401 Unauthorized
//! X-Cache-Status: HIT
//! Age: 42
//! ```
//!
//! ## References
//! RFC 9111 §3.5 (storing responses to authenticated requests), §5.1 (Age); RFC 9110 §7.6.3 (Via).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "cached-401";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let last = ev.last()?;
    // The strongest sign of a cache seen; none, no finding.
    let mut grade: Option<Grade> = None;
    let mut f = Finding::new(ID, "", Grade::Faint);
    for name in [
        "x-cache",
        "x-cache-status",
        "cf-cache-status",
        "x-proxy-cache",
        "x-cache-lookup",
        "x-drupal-cache",
        "x-fastly-cache",
    ] {
        for v in last.headers.all(name) {
            if v.to_ascii_uppercase().contains("HIT") {
                grade = grade.max(Some(Grade::Certain));
                f = f.evidence_with(
                    &format!("response.header.{name}"),
                    format!("{name}: {v} — the response came from a cache"),
                    json!({ "header": name, "value": v }),
                );
            }
        }
    }
    if let Some(age) = last
        .headers
        .first("age")
        .and_then(|a| a.trim().parse::<u64>().ok())
        && age > 0
    {
        grade = grade.max(Some(Grade::Likely));
        f = f.evidence_with(
            "response.header.age",
            format!("Age: {age} — the response was stored {age}s ago"),
            json!({ "age": age }),
        );
    }
    if last.headers.has("x-varnish")
        && last
            .headers
            .first("x-varnish")
            .is_some_and(|v| v.split_whitespace().count() >= 2)
    {
        grade = grade.max(Some(Grade::Likely));
        f = f.evidence(
            "response.header.x-varnish",
            "X-Varnish carries two ids: a Varnish cache hit",
        );
    }
    // The cache-bust probe: the same request past the cache. A different answer
    // confirms the cached one; the same answer from the origin clears the cache.
    if let Some(p) = ev
        .probe(crate::model::ProbeKind::CacheBust)
        .filter(|p| p.status.is_some())
    {
        let status = p.status.unwrap_or(0);
        if p.differs == Some(true) {
            if grade.is_some() || status < 400 {
                grade = Some(Grade::Proven);
            }
            f = f.evidence_with(
                "probe.cache-bust",
                format!(
                    "probe cache-bust: with 'Cache-Control: no-cache' and a unique query parameter the same request got {status} — the cached answer is stale"
                ),
                json!({ "probe": "cache-bust", "status": status }),
            );
        } else if grade.is_some() {
            grade = grade.min(Some(Grade::Doubtful));
            f = f.evidence_with(
                "probe.cache-bust",
                format!("probe cache-bust: past the cache the origin also answers {status}: the cache is not the cause"),
                json!({ "probe": "cache-bust", "status": status }),
            );
        }
    }
    let mut grade = grade?;
    if !ev.has_any_credential() {
        // A cached 401 to an anonymous request is the right answer, served fast.
        grade = Grade::Faint;
    }
    if let Some(cc) = last.headers.first("cache-control") {
        f = f.evidence(
            "response.header.cache-control",
            format!("Cache-Control: {cc}"),
        );
    }
    f.title = format!(
        "The {} was served from a cache, not by the origin",
        last.status
    );
    Some(
        f.fix(
            Fix::new("bypass-cache", "Bypass the cache to confirm, then purge it", Effort::Easy)
                .action(crate::fix::Action::BustCache)
                .step("Retry with a unique query parameter and 'Cache-Control: no-cache'.")
                .step("Purge the cached entry (CDN purge / nginx proxy_cache_purge / varnishadm ban).")
                .command(format!("curl -H 'Cache-Control: no-cache' -H \"Authorization: ...\" {}", crate::shell::quote(&cache_buster(ev.request.url.as_str())))),
        )
        .fix(
            Fix::new("fix-cache-config", "Stop caching 401/403 (or key the cache on Authorization)", Effort::Medium)
                .step("nginx: remove 401 from proxy_cache_valid, or add $http_authorization to proxy_cache_key.")
                .step("Have the origin send 'Cache-Control: no-store' with 401 responses."),
        )
        .graded(grade),
    )
}

fn cache_buster(url: &str) -> String {
    let url = crate::secret::redact_url(url);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}authdoctor-nocache=1")
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn hit_with_credentials() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdef")],
            401,
            &[("X-Cache-Status", "HIT"), ("WWW-Authenticate", "Bearer")],
        );
        assert_eq!(ids(&ev)[0], "cached-401");
    }

    #[test]
    fn miss_is_silent() {
        let ev = evidence(
            &[("Authorization", "Bearer abcdef")],
            401,
            &[("X-Cache-Status", "MISS")],
        );
        assert!(super::check(&ev).is_none());
    }
}
