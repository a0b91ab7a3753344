//! The JSON documents the tool writes besides the report: `watch --format json`
//! ([`WatchDocument`]), `scopes --format json` ([`ScopesDocument`]) and `check --bundle FILE`
//! ([`EvidenceBundle`]). Each is built from these types and nothing else, so its shape is
//! written down once; field names are a public contract like the report's (fields may be added,
//! never renamed).
//!
//! Fields are declared in alphabetical order: serde_json sorts a map's keys, and these
//! documents were built as maps before they were types, so the bytes stay as they were.

use super::Report;
use crate::evidence::Evidence;
use serde::Serialize;
use serde_json::Value;

/// Schema version of these documents (`version`). Bump only for incompatible changes.
pub const DOCUMENT_VERSION: u32 = 1;

/// `authdoctor watch --format json`: the lifetimes of every profile's credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchDocument {
    /// When the lifetimes were judged, Unix seconds by the local clock.
    pub checked_at: i64,
    /// Why the OS keyring is not used (`null` when it is).
    pub keyring_unavailable: Option<String>,
    pub profiles: Vec<WatchProfile>,
    /// The fleet cache (`[cache] redis`), when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_cache: Option<SharedCacheState>,
    /// Where tokens are cached on this machine: `keyring` or `file`.
    pub store: String,
    pub version: u32,
}

/// One profile of [`WatchDocument`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchProfile {
    pub items: Vec<WatchItem>,
    pub profile: String,
    /// The issuer's clock minus the local one when the cached token was issued (seconds).
    pub server_offset: Option<i64>,
    /// The profile's record in the fleet cache, as the fleet cache describes it (`kind`, `url`,
    /// `key`, `ttl_seconds`, `state`, `reason`, `encryption`, `key_fingerprint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_cache: Option<Value>,
    /// A `token_file` profile: the file (its token is what is watched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
}

/// One credential's lifetime.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchItem {
    /// Unix seconds (for tokens, by the issuer's clock); `null` when unknown.
    pub expires_at: Option<i64>,
    /// Why a token file counts as expired (unreadable, empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `expires_at` minus now (negative once expired); `null` when unknown.
    pub remaining_seconds: Option<i64>,
    pub status: WatchStatus,
    pub what: CredentialKind,
}

/// The credential a [`WatchItem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    AccessToken,
    RefreshToken,
    ClientSecret,
    ClientCertificate,
}

impl CredentialKind {
    /// The name in the document (and the Prometheus `kind` label).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::AccessToken => "access_token",
            CredentialKind::RefreshToken => "refresh_token",
            CredentialKind::ClientSecret => "client_secret",
            CredentialKind::ClientCertificate => "client_certificate",
        }
    }
}

/// A credential's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchStatus {
    Ok,
    /// Expires within the warning window (`--warn`).
    Expiring,
    Expired,
    /// The expiry is not known (a client secret the issuer gave no expiry for).
    Unknown,
    /// The profile has no cached token.
    #[serde(rename = "none cached")]
    NoneCached,
}

impl WatchStatus {
    /// The name in the document.
    pub fn as_str(self) -> &'static str {
        match self {
            WatchStatus::Ok => "ok",
            WatchStatus::Expiring => "expiring",
            WatchStatus::Expired => "expired",
            WatchStatus::Unknown => "unknown",
            WatchStatus::NoneCached => "none cached",
        }
    }
}

impl WatchItem {
    /// Judge a credential expiring at `expires_at` (compared with `now`, by the same clock):
    /// a `renewable` one (the access token, renewed automatically) is always `ok` once known;
    /// otherwise expired at or after its expiry, expiring within `warn` seconds of it.
    pub fn judge(
        what: CredentialKind,
        expires_at: Option<i64>,
        now: i64,
        warn: i64,
        renewable: bool,
    ) -> WatchItem {
        let (status, remaining_seconds) = match expires_at {
            None => (WatchStatus::Unknown, None),
            Some(e) => {
                let left = e - now;
                let s = if renewable {
                    WatchStatus::Ok
                } else if left <= 0 {
                    WatchStatus::Expired
                } else if left <= warn {
                    WatchStatus::Expiring
                } else {
                    WatchStatus::Ok
                };
                (s, Some(left))
            }
        };
        WatchItem {
            expires_at,
            reason: None,
            remaining_seconds,
            status,
            what,
        }
    }

    /// An item with no expiry to judge: `status` and, for an expired token file, why.
    pub fn without_expiry(
        what: CredentialKind,
        status: WatchStatus,
        reason: Option<String>,
    ) -> WatchItem {
        WatchItem {
            expires_at: None,
            reason,
            remaining_seconds: None,
            status,
            what,
        }
    }
}

/// The fleet cache as a whole (`watch`'s top-level `shared_cache`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedCacheState {
    /// Always `redis` today.
    pub kind: String,
    /// Why it is unreachable (`null` when it is not).
    pub reason: Option<String>,
    pub state: SharedCacheHealth,
    /// The store's URL, without its password.
    pub url: String,
}

/// Whether the fleet cache answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SharedCacheHealth {
    Ok,
    Unreachable,
}

/// `authdoctor scopes --format json`: the smallest set of the profile's scopes with which the
/// request succeeds, and every token request that found it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopesDocument {
    /// The minimal set; `null` when the request fails even with every scope.
    pub minimal: Option<Vec<String>>,
    /// Every attempt, in order: the first with all the profile's scopes.
    pub steps: Vec<ScopeStep>,
    /// How many tokens were requested (one per step).
    pub token_requests: usize,
    /// The URL requested with each token.
    pub url: String,
    pub version: u32,
}

/// One attempt of [`ScopesDocument`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeStep {
    /// The scopes the token was requested with.
    pub scopes: Vec<String>,
    /// The request's status with that token (0 when it got no answer).
    pub status: u16,
}

impl ScopesDocument {
    pub fn new(url: String, minimal: Option<Vec<String>>, steps: Vec<ScopeStep>) -> Self {
        ScopesDocument {
            minimal,
            token_requests: steps.len(),
            steps,
            url,
            version: DOCUMENT_VERSION,
        }
    }
}

/// The `kind` of an [`EvidenceBundle`].
pub const BUNDLE_KIND: &str = "authdoctor-evidence-bundle";

/// `check --bundle FILE`: the report plus the verification results and both clocks, for the
/// API owner. Written after the report has been redacted and scrubbed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceBundle {
    pub clocks: BundleClocks,
    /// When the bundle was written, Unix seconds by the local clock.
    pub generated_at: i64,
    /// Always [`BUNDLE_KIND`].
    pub kind: String,
    /// The whole report, as `--format json` prints it.
    pub report: Value,
    /// The report's one-line summary.
    pub summary: String,
    /// The report's `issuer` object (signature, claims, discovery); `null` without one.
    pub verification: Option<Value>,
    pub version: u32,
}

/// Both clocks, and which one the token's claims were judged by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleClocks {
    /// The time the claims were judged at (Unix seconds).
    pub claims_judged_at: i64,
    /// Whose clock that is: `the server's clock`, `the recording's time` or `the local clock`.
    pub judged_by: String,
    /// The local clock when the answer arrived.
    pub local: i64,
    /// The server's `Date` minus the local clock (`null` without a `Date`).
    pub offset_seconds: Option<i64>,
    /// The server's `Date` (`null` without one).
    pub server: Option<i64>,
}

impl EvidenceBundle {
    /// The bundle for `report` (already redacted and scrubbed) diagnosed from `ev`.
    pub fn new(ev: &Evidence, report: &Report, generated_at: i64) -> Self {
        let report_json: Value =
            serde_json::from_str(&super::json::render(report)).unwrap_or_default();
        let (judged, clock) = ev.judging_time();
        EvidenceBundle {
            clocks: BundleClocks {
                claims_judged_at: judged,
                judged_by: clock.to_string(),
                local: ev.server_clock.map(|c| c.local).unwrap_or(ev.now),
                offset_seconds: ev.server_clock.map(|c| c.offset()),
                server: ev.server_clock.map(|c| c.date),
            },
            generated_at,
            kind: BUNDLE_KIND.to_string(),
            verification: report_json.get("issuer").cloned(),
            report: report_json,
            summary: report.summary.clone(),
            version: DOCUMENT_VERSION,
        }
    }

    /// The file's text (pretty-printed JSON), before the last scrub.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The shape of a JSON value: every leaf replaced by its type's name, arrays by the shape of
/// their first element. For schema tests: two documents have the same shape when their shapes
/// are equal.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(n) if n.is_f64() => "number".into(),
        Value::Number(_) => "integer".into(),
        Value::String(_) => "string".into(),
        Value::Array(a) => Value::Array(a.first().map(shape).into_iter().collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_value<T: Serialize>(t: &T) -> Value {
        serde_json::to_value(t).unwrap()
    }

    #[test]
    fn watch_items_are_judged_by_expiry_and_warning() {
        let j = |exp, renewable| {
            WatchItem::judge(CredentialKind::RefreshToken, exp, 1000, 100, renewable).status
        };
        assert_eq!(j(None, false), WatchStatus::Unknown);
        assert_eq!(j(Some(1000), false), WatchStatus::Expired);
        assert_eq!(j(Some(1100), false), WatchStatus::Expiring);
        assert_eq!(j(Some(1101), false), WatchStatus::Ok);
        assert_eq!(j(Some(900), true), WatchStatus::Ok);
        let i = WatchItem::judge(CredentialKind::ClientCertificate, Some(900), 1000, 0, false);
        assert_eq!(i.remaining_seconds, Some(-100));
    }

    /// `watch --format json`: the shape the document has always had, field by field.
    #[test]
    fn watch_document_schema() {
        let doc = WatchDocument {
            checked_at: 1_700_000_000,
            keyring_unavailable: Some("no Secret Service".into()),
            profiles: vec![
                WatchProfile {
                    items: vec![
                        WatchItem::judge(
                            CredentialKind::AccessToken,
                            Some(1_700_000_600),
                            1_700_000_000,
                            60,
                            true,
                        ),
                        WatchItem::judge(CredentialKind::ClientSecret, None, 0, 60, false),
                    ],
                    profile: "api".into(),
                    server_offset: Some(2),
                    shared_cache: Some(json!({"kind": "redis", "state": "ok"})),
                    token_file: None,
                },
                WatchProfile {
                    items: vec![WatchItem::without_expiry(
                        CredentialKind::AccessToken,
                        WatchStatus::Expired,
                        Some("the token file is empty".into()),
                    )],
                    profile: "ci".into(),
                    server_offset: None,
                    shared_cache: None,
                    token_file: Some("~/.token".into()),
                },
            ],
            shared_cache: Some(SharedCacheState {
                kind: "redis".into(),
                reason: None,
                state: SharedCacheHealth::Ok,
                url: "redis://127.0.0.1:6379/0".into(),
            }),
            store: "file".into(),
            version: DOCUMENT_VERSION,
        };
        let v = to_value(&doc);
        assert_eq!(
            shape(&v),
            json!({
                "version": "integer", "checked_at": "integer", "store": "string",
                "keyring_unavailable": "string",
                "shared_cache": {"kind": "string", "url": "string", "state": "string", "reason": "null"},
                "profiles": [{
                    "profile": "string", "server_offset": "integer",
                    "shared_cache": {"kind": "string", "state": "string"},
                    "items": [{"what": "string", "expires_at": "integer",
                               "remaining_seconds": "integer", "status": "string"}]
                }]
            })
        );
        assert_eq!(
            shape(&v["profiles"][1]),
            json!({
                "profile": "string", "token_file": "string", "server_offset": "null",
                "items": [{"what": "string", "status": "string", "reason": "string",
                           "expires_at": "null", "remaining_seconds": "null"}]
            })
        );
        assert_eq!(v["profiles"][0]["items"][1]["status"], "unknown");
        assert_eq!(v["profiles"][0]["items"][1]["what"], "client_secret");
        assert_eq!(
            to_value(&WatchStatus::NoneCached),
            json!("none cached"),
            "the status of a profile without a cached token"
        );
        for s in [
            WatchStatus::Ok,
            WatchStatus::Expiring,
            WatchStatus::Expired,
            WatchStatus::Unknown,
            WatchStatus::NoneCached,
        ] {
            assert_eq!(to_value(&s), json!(s.as_str()));
        }
        for k in [
            CredentialKind::AccessToken,
            CredentialKind::RefreshToken,
            CredentialKind::ClientSecret,
            CredentialKind::ClientCertificate,
        ] {
            assert_eq!(to_value(&k), json!(k.as_str()));
        }
        // Without a fleet cache, no `shared_cache` at all (not null).
        let bare = WatchDocument {
            shared_cache: None,
            profiles: vec![],
            ..doc
        };
        assert!(to_value(&bare).get("shared_cache").is_none());
    }

    /// `scopes --format json`, field by field.
    #[test]
    fn scopes_document_schema() {
        let doc = ScopesDocument::new(
            "https://api.example/v1".into(),
            Some(vec!["read".into()]),
            vec![
                ScopeStep {
                    scopes: vec!["read".into(), "write".into()],
                    status: 200,
                },
                ScopeStep {
                    scopes: vec!["read".into()],
                    status: 200,
                },
            ],
        );
        let v = to_value(&doc);
        assert_eq!(
            shape(&v),
            json!({
                "version": "integer", "url": "string", "minimal": ["string"],
                "token_requests": "integer",
                "steps": [{"scopes": ["string"], "status": "integer"}]
            })
        );
        assert_eq!(v["token_requests"], 2);
        let failed = ScopesDocument::new("u".into(), None, vec![]);
        assert_eq!(to_value(&failed)["minimal"], Value::Null);
        // The bytes: keys in the order serde_json's maps always gave them.
        assert_eq!(
            serde_json::to_string(&failed).unwrap(),
            r#"{"minimal":null,"steps":[],"token_requests":0,"url":"u","version":1}"#
        );
    }

    /// `--bundle FILE`, field by field, from a real diagnosis of a recorded answer.
    #[test]
    fn evidence_bundle_schema() {
        use crate::model::{Exchange, Header, RequestSpec};
        let now = 1_796_558_400; // the answer's Date
        let request = RequestSpec {
            method: "GET".into(),
            url: "https://api.example.com/v1/orders".parse().unwrap(),
            ..Default::default()
        };
        let answer = Exchange {
            method: "GET".into(),
            url: request.url.to_string(),
            status: 401,
            http_version: "HTTP/1.1".into(),
            headers: vec![
                Header::new("WWW-Authenticate", "Bearer realm=\"api\""),
                Header::new("Date", "Sun, 06 Dec 2026 12:00:00 GMT"),
            ],
            received_at: Some(now + 3),
            ..Default::default()
        };
        let ev = Evidence::new(request, vec![answer], None, None, now + 3);
        let report = Report::new(&ev, crate::causes::diagnose(&ev));
        let b = EvidenceBundle::new(&ev, &report, 1_700_000_000);
        let v: Value = serde_json::from_str(&b.to_json_pretty()).unwrap();
        let mut s = shape(&v);
        // The report's own shape is the report's schema test; here only that it is the report.
        assert_eq!(v["report"]["summary"], v["summary"]);
        s["report"] = "report".into();
        assert_eq!(
            s,
            json!({
                "kind": "string", "version": "integer", "generated_at": "integer",
                "summary": "string", "verification": "null",
                "clocks": {"local": "integer", "server": "integer", "offset_seconds": "integer",
                           "claims_judged_at": "integer", "judged_by": "string"},
                "report": "report"
            })
        );
        assert_eq!(v["kind"], BUNDLE_KIND);
        assert_eq!(v["clocks"]["judged_by"], "the server's clock");
    }
}
