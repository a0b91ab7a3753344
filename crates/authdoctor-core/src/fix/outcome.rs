//! What `--fix` did and what came of it: the `fix` field of the report (a public contract;
//! add fields freely, never rename).

use crate::diagnosis::Outcome;
use crate::report::Report;
use serde::Serialize;
use serde_json::{Map, Value};

/// One action applied (or tried): its id, the cause that declared it, what it changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub id: &'static str,
    pub cause: &'static str,
    pub what: String,
}

/// One action that could not be applied, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failed {
    pub id: &'static str,
    pub cause: &'static str,
    pub reason: String,
}

/// A finding of the diagnosis after the fix, in brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AfterFinding {
    pub id: &'static str,
    pub title: String,
}

/// The diagnosis of the re-sent request, when it still failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct After {
    pub outcome: Outcome,
    pub summary: String,
    pub findings: Vec<AfterFinding>,
}

/// A claim's value in the token sent before and in the one sent after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub before: Value,
    pub after: Value,
}

/// The result of `check --fix`. `verified` is true only when the re-sent request got a 2xx;
/// the actions are then under `applied`, otherwise under `tried`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FixOutcome {
    pub applied: Vec<Applied>,
    pub verified: bool,
    pub status_before: Option<u16>,
    pub status_after: Option<u16>,
    /// Why nothing was re-sent (or nothing planned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Applied, but the re-sent request still failed (or was not re-sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tried: Option<Vec<Applied>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failed>,
    /// The WWW-Authenticate of the last answer before and after (only once re-sent; null
    /// when there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_before: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_after: Option<Option<String>>,
    /// JWT claims that differ between the token sent before and after (`jti` left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_changed: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<After>,
    /// The token endpoint's refusal, diagnosed, when a new token could not be obtained.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<Box<Report>>,
    /// The outcome of the diagnosis after the fix (for the exit code), when re-sent.
    #[serde(skip)]
    pub outcome_after: Option<Outcome>,
}

impl FixOutcome {
    /// Nothing was re-sent, for `note`'s reason.
    pub fn noted(status_before: Option<u16>, note: impl Into<String>) -> Self {
        FixOutcome {
            status_before,
            note: Some(note.into()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::testkit::*;

    #[test]
    fn the_report_carries_the_fix_scrubbed() {
        let secret = "client-secret-0123456789abcdef";
        let ev = evidence(&[("Authorization", "Bearer abcdef0123456789")], 401, &[]);
        let te_ev = evidence(&[("Authorization", &format!("Basic {secret}"))], 401, &[]);
        let te = Report::new(&te_ev, vec![]);
        let fix = FixOutcome {
            status_before: Some(401),
            failed: vec![Failed {
                id: "obtain-new-token",
                cause: "token-expired",
                reason: format!("the token endpoint refused {secret}"),
            }],
            token_endpoint: Some(Box::new(te)),
            ..Default::default()
        };
        let r = Report::new(&ev, vec![]).with_fix(fix);
        let text = crate::report::json::render(&r);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["fix"]["status_before"], 401);
        assert_eq!(v["fix"]["verified"], false);
        assert!(v["fix"]["status_after"].is_null());
        assert!(v["fix"]["applied"].as_array().unwrap().is_empty());
        assert_eq!(v["fix"]["failed"][0]["id"], "obtain-new-token");
        assert!(v["fix"]["token_endpoint"]["outcome"].is_string());
        assert!(!text.contains(secret), "{text}");
    }
}
