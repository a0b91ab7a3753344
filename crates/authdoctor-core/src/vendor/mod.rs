//! Vendor knowledge: how each large provider words its rejections (status, headers, body fields,
//! codes, messages) and what its credentials look like (key prefixes), mapped onto the cause
//! catalogue's ids with the vendor's own fix wording. The knowledge is data, not code paths.

use crate::model::{Exchange, RequestSpec};
use serde::Serialize;

/// One knowledge-base entry that matched the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorMatch {
    /// Provider, e.g. `GitHub`.
    pub vendor: String,
    /// Knowledge-base entry id, e.g. `github.bad-credentials`.
    pub entry: String,
    /// The catalogue id this response shape means.
    pub cause: String,
    pub score: u8,
    /// What matched, in words ("body message \"Bad credentials\"").
    pub evidence: String,
    pub fix_title: String,
    pub fix_steps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The response signals an authentication failure even when its status does not (Slack's 200).
    pub auth_failure: bool,
}

/// A credential recognised by its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFormat {
    pub vendor: String,
    /// e.g. "personal access token (classic)", "secret key".
    pub kind: String,
    /// `test` / `live` where the format says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// Match the final response (and the request's credential) against the knowledge base.
pub fn analyse(request: &RequestSpec, last: Option<&Exchange>) -> Vec<VendorMatch> {
    let _ = (request, last);
    Vec::new()
}

/// Recognise a credential's provider and kind from its format.
pub fn key_format(credential: &str) -> Option<KeyFormat> {
    let _ = credential;
    None
}
