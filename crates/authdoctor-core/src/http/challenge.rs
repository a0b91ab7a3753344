//! `WWW-Authenticate` / `Proxy-Authenticate` parsing (RFC 9110 §11.6.1).
//!
//! OWNED BY THE CHALLENGE-PARSER WORK ITEM.

use serde::Serialize;

/// One challenge: a scheme plus either a token68 or auth-params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// As sent (case preserved); compare with `eq_ignore_ascii_case`.
    pub scheme: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token68: Option<String>,
    /// auth-params in order; names as sent, values unquoted and unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }
}

/// Parse every challenge in the given header field values (each value may hold several).
/// Lenient: a malformed part is skipped and the rest are still returned.
pub fn parse_challenges(values: &[&str]) -> Vec<Challenge> {
    let _ = values;
    Vec::new()
}
