//! Typed errors of token acquisition, caching and use. A refusal by the token endpoint keeps the
//! recorded exchange so the CLI can diagnose it with the same report as any other 401.

use authdoctor_core::model::{Exchange, RequestSpec};
use thiserror::Error;

/// What the token endpoint said, by its RFC 6749 §5.2 error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointErrorKind {
    /// `invalid_client`: the client's own credentials were refused.
    InvalidClient,
    /// `invalid_grant`: the refresh token (or code) is expired, revoked or was rotated away.
    InvalidGrant,
    /// `invalid_scope`: a requested scope is unknown or not allowed for this client.
    InvalidScope,
    /// `invalid_target` (RFC 8707): the resource indicator is unknown.
    InvalidTarget,
    /// `unauthorized_client`: the client may not use this grant type.
    UnauthorizedClient,
    /// Anything else, by its code (or `http_<status>` when the body had none).
    Other(String),
}

impl EndpointErrorKind {
    pub fn from_code(code: &str) -> Self {
        match code {
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "invalid_scope" => Self::InvalidScope,
            "invalid_target" => Self::InvalidTarget,
            "unauthorized_client" => Self::UnauthorizedClient,
            other => Self::Other(other.to_string()),
        }
    }
    pub fn code(&self) -> &str {
        match self {
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::Other(s) => s,
        }
    }
}

/// The recorded token request and its answer: enough to build diagnosis evidence.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub request: RequestSpec,
    pub exchange: Exchange,
}

#[derive(Debug, Error)]
pub enum TokenError {
    /// The profile lacks something acquisition needs.
    #[error("profile {profile}: {reason}")]
    Config { profile: String, reason: String },
    /// A referenced secret could not be read (the message names the reference, never a value).
    #[error("client secret: {0}")]
    Secret(String),
    #[error("discovery at {url} failed: {reason}")]
    Discovery { url: String, reason: String },
    /// The token endpoint answered with an OAuth error.
    #[error("the token endpoint refused the {grant} request: {} (HTTP {status}){}", kind.code(), description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Endpoint {
        grant: &'static str,
        kind: EndpointErrorKind,
        status: u16,
        description: Option<String>,
        recorded: Box<Option<Recorded>>,
    },
    #[error("cannot reach the token endpoint {url}: {reason}")]
    Transport { url: String, reason: String },
    /// The answer was not a token response.
    #[error("unexpected answer from the token endpoint: {0}")]
    Protocol(String),
    #[error("token cache {path}: {reason}")]
    Cache { path: String, reason: String },
    /// The user (or the device flow's deadline) stopped an interactive grant.
    #[error("{0}")]
    Interactive(String),
}

impl TokenError {
    /// The recorded token-endpoint exchange behind an [`TokenError::Endpoint`].
    pub fn recorded(&self) -> Option<&Recorded> {
        match self {
            TokenError::Endpoint { recorded, .. } => recorded.as_ref().as_ref(),
            _ => None,
        }
    }
    /// The diagnosis of a refused token request, as the same report as any other 401 (built
    /// from the recorded exchange, judged at `now`); None without a recorded exchange.
    pub fn diagnosis(&self, now: i64) -> Option<authdoctor_core::report::Report> {
        let r = self.recorded()?;
        let ev = authdoctor_core::evidence::Evidence::new(
            r.request.clone(),
            vec![r.exchange.clone()],
            None,
            None,
            now,
        );
        let findings = authdoctor_core::causes::diagnose(&ev);
        Some(authdoctor_core::report::Report::new(&ev, findings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_recorded_exchange_no_diagnosis() {
        let e = TokenError::Transport {
            url: "https://idp.example/token".into(),
            reason: "connection refused".into(),
        };
        assert!(e.diagnosis(0).is_none());
    }
}
