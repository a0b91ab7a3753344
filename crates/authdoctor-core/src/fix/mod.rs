//! Fix actions: what `authdoctor check --fix` can change in a request by itself.
//!
//! Each cause declares its action next to its rule (`Fix::new(..).action(Action::…)`), so a
//! fix is marked `automatic` exactly when there is an action for it; [`plan`] reads the actions
//! from the findings. Applying them and verifying the result (which needs the network and the
//! token sources) lives in the `authdoctor-fix` crate.

pub mod outcome;
pub mod plan;

pub use outcome::{Applied, Failed, FixOutcome};
pub use plan::{Planned, plan};

use crate::api_description::Place;
use crate::evidence::Evidence;
use crate::http::token_service::TokenService;
use crate::model::CredentialSource;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// One automatic fix, with what it needs to know from the evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A new token from the profile, with these scopes added to the profile's.
    NewToken { add_scopes: Vec<String> },
    /// `Authorization: Bearer <credential>` rebuilt from a malformed header.
    NormaliseHeader,
    /// Quotes, whitespace and control characters removed from the credential.
    TrimCredential,
    /// The credential sent with the scheme the server challenged (or the API describes).
    UseScheme { scheme: String },
    /// The request sent straight to the redirect's final URL.
    CallFinalUrl { url: url::Url },
    /// What the cache-bust probe sends: a unique query parameter and `Cache-Control: no-cache`,
    /// so the request reaches the origin instead of a stored 401.
    BustCache,
    /// The credential moved to the place the API's own description names.
    MoveCredential { to: Place },
    /// The token request a token-service challenge names, with the `-u` credentials; the
    /// token then sent as Bearer.
    TokenService { service: TokenService },
    /// The token sent under `DPoP`, with a fresh proof signed by `--dpop-key` per request.
    SignDpop,
    /// The request sent without the forward proxy, as the `direct` probe did successfully.
    BypassProxy,
    /// The Basic credential decoded, user and password trimmed of newlines and edge
    /// whitespace, and encoded again.
    ReencodeBasic,
    /// The stale `Authorization: Digest` header dropped and the server's new challenge
    /// answered with the `-u` credentials.
    AnswerDigest,
}

/// The query parameter [`Action::BustCache`] adds (the cache-bust probe's own).
pub const BUSTER_PARAM: &str = "authdoctor-probe";

impl Action {
    /// The action's id in the `fix` JSON (`applied[].id`): a public contract.
    pub fn id(&self) -> &'static str {
        match self {
            Action::NewToken { add_scopes } if add_scopes.is_empty() => "obtain-new-token",
            Action::NewToken { .. } => "request-scope",
            Action::NormaliseHeader => "fix-authorization-header",
            Action::TrimCredential => "clean-credential",
            Action::UseScheme { .. } => "use-challenged-scheme",
            Action::CallFinalUrl { .. } => "call-final-url",
            Action::BustCache => "bypass-cache",
            Action::MoveCredential { .. } => "move-credential",
            Action::TokenService { .. } => "request-service-token",
            Action::SignDpop => "sign-dpop-proof",
            Action::BypassProxy => "bypass-proxy",
            Action::ReencodeBasic => "reencode-basic",
            Action::AnswerDigest => "digest-retry-new-nonce",
        }
    }

    /// A new token cures these causes only when the credential is a token: a Basic or
    /// Digest password is not something a token can replace.
    pub fn new_token_for(ev: &Evidence) -> Option<Action> {
        let bearerish = ev.authorization.as_ref().is_none_or(|a| {
            a.scheme
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("bearer"))
        });
        bearerish.then(|| Action::NewToken { add_scopes: vec![] })
    }

    /// The token-service request, when the challenge names one and `-u` credentials are there
    /// to make it with.
    pub fn token_service_for(ev: &Evidence) -> Option<Action> {
        let service = TokenService::of(&ev.challenges)?;
        matches!(
            ev.request.credential_source,
            Some(CredentialSource::UserFlag { .. })
        )
        .then_some(Action::TokenService { service })
    }
}

/// Serialised as `{"id": …}` plus the action's parameters (URLs redacted, never a secret).
impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", self.id())?;
        match self {
            Action::NewToken { add_scopes } if !add_scopes.is_empty() => {
                m.serialize_entry("add_scopes", add_scopes)?
            }
            Action::UseScheme { scheme } => m.serialize_entry("scheme", scheme)?,
            Action::CallFinalUrl { url } => {
                m.serialize_entry("url", &crate::secret::redact_url(url.as_str()))?
            }
            Action::MoveCredential { to } => m.serialize_entry("to", to)?,
            Action::TokenService { service } => m.serialize_entry(
                "token_service",
                &crate::secret::redact_url(service.request_url().as_str()),
            )?,
            _ => {}
        }
        m.end()
    }
}

/// The Basic credential `value` (the part after `Basic `) decoded (base64 or base64url,
/// padded or not), user and password trimmed of line breaks and edge whitespace, and encoded
/// again; None when it does not decode to `user:password` or nothing changes.
pub fn reencode_basic(value: &str) -> Option<String> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let c = value.trim();
    let raw = STANDARD.decode(c).ok().or_else(|| {
        URL_SAFE_NO_PAD
            .decode(c.trim_end_matches('=').replace('+', "-").replace('/', "_"))
            .ok()
    })?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    let (user, password) = (user.trim(), password.trim());
    if user.is_empty() {
        return None;
    }
    let out = STANDARD.encode(format!("{user}:{password}"));
    (out != c).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn reencodes_a_trailing_newline_and_edge_whitespace() {
        let bad = STANDARD.encode("alice:secret\n");
        assert_eq!(
            reencode_basic(&bad).as_deref(),
            Some(STANDARD.encode("alice:secret").as_str())
        );
        let bad = STANDARD.encode(" alice :secret ");
        assert_eq!(
            reencode_basic(&bad).as_deref(),
            Some(STANDARD.encode("alice:secret").as_str())
        );
    }

    #[test]
    fn leaves_a_good_or_undecodable_credential() {
        assert_eq!(reencode_basic(&STANDARD.encode("alice:secret")), None);
        assert_eq!(reencode_basic("%%%"), None);
        assert_eq!(reencode_basic(&STANDARD.encode("no-colon")), None);
    }
}

#[cfg(test)]
mod catalogue_tests;
