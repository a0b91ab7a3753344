//! JSON output: one object per run, schema version [`super::SCHEMA_VERSION`]. Its field names
//! are a public contract (documented in the README): add fields freely, never rename.

use super::Report;

/// Pretty-printed JSON, scrubbed of every known secret.
pub fn render(report: &Report) -> String {
    let text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        format!(
            "{{\"version\":1,\"outcome\":\"error\",\"error\":{:?}}}",
            e.to_string()
        )
    });
    report.scrub(&text)
}
