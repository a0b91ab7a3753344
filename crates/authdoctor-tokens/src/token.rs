//! A token set as obtained and cached: access token, its lifetime in the issuer's clock, the
//! refresh token, and the offset between the issuer's clock and ours (from its `Date` header),
//! so "is it about to expire" is judged by the server's clock, not a possibly skewed local one.

use authdoctor_core::secret::{self, Secret};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The stored form (also the cache file's format, `version` 1, and the fleet record's sealed
/// payload).
///
/// It serialises the tokens whole — on purpose, and only for those two stores (a 0600 file and
/// an encrypted record). Anything shown to a user (status, `token show`, watch) is built from
/// redacted fields, never by serialising this.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenSet {
    #[serde(with = "secret::persist")]
    pub access_token: Secret,
    pub token_type: String,
    /// Expiry in the issuer's clock (the JWT's `exp`, else issue time + `expires_in`).
    pub expires_at: Option<i64>,
    /// Issue time in the issuer's clock.
    pub issued_at: i64,
    // `default`: with a `with` helper serde no longer treats a missing Option field as None.
    #[serde(with = "secret::persist::option", default)]
    pub refresh_token: Option<Secret>,
    /// `refresh_expires_in` when the provider says (Keycloak and others), in the issuer's clock.
    #[serde(default)]
    pub refresh_expires_at: Option<i64>,
    /// Granted scopes, space-separated, when the response said.
    pub scope: Option<String>,
    /// Issuer clock minus local clock, in seconds, when its `Date` header was seen.
    #[serde(default)]
    pub server_offset: Option<i64>,
    /// What the token was requested for ([`crate::config::TokenConfig::cache_key`]).
    pub key: String,
}

impl fmt::Debug for TokenSet {
    // Never print a token whole, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("server_offset", &self.server_offset)
            .finish()
    }
}

impl TokenSet {
    /// Now in the issuer's clock, from the local clock and the recorded offset.
    pub fn server_now(&self, local_now: i64) -> i64 {
        local_now + self.server_offset.unwrap_or(0)
    }

    /// Lifetime in seconds, when known.
    pub fn lifetime(&self) -> Option<i64> {
        self.expires_at.map(|e| (e - self.issued_at).max(0))
    }

    /// Seconds left by the issuer's clock (negative once expired).
    pub fn remaining(&self, local_now: i64) -> Option<i64> {
        self.expires_at.map(|e| e - self.server_now(local_now))
    }

    /// How long before expiry to renew: 10–20 % of the lifetime (the random part spreads many
    /// clients' refreshes apart), at least 1 s and at most 60 s (+ up to 15 s jitter).
    ///
    /// `jitter` is in [0, 1); callers draw it once per token so a token's deadline is stable.
    pub fn refresh_margin(&self, jitter: f64) -> i64 {
        let Some(life) = self.lifetime() else {
            return 0;
        };
        let share = (life as f64 * (0.10 + 0.10 * jitter)).ceil() as i64;
        share.clamp(1, 60 + (15.0 * jitter) as i64)
    }

    /// Still good to hand out: not within its refresh margin of expiry by the issuer's clock.
    /// A token without a known expiry is trusted until a 401 says otherwise.
    pub fn is_fresh(&self, local_now: i64, jitter: f64) -> bool {
        match self.remaining(local_now) {
            Some(left) => left > self.refresh_margin(jitter),
            None => true,
        }
    }

    /// The value of an `Authorization` header for this token.
    pub fn authorization(&self) -> String {
        // RFC 6750 wants "Bearer"; some providers answer "bearer" in token_type.
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") {
            "Bearer"
        } else {
            self.token_type.as_str()
        };
        format!("{scheme} {}", self.access_token.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache file exactly as written before the tokens became [`Secret`]s
    /// (`serde_json::to_vec_pretty`): users' caches on disk must keep loading, byte for byte.
    const STORED: &str = r#"{
  "access_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.at-secret-123456",
  "token_type": "Bearer",
  "expires_at": 2000,
  "issued_at": 1000,
  "refresh_token": "rt-secret-abcdef",
  "refresh_expires_at": 5000,
  "scope": "read write",
  "server_offset": -3,
  "key": "k"
}"#;

    #[test]
    fn todays_stored_form_loads_and_is_written_back_unchanged() {
        let t: TokenSet = serde_json::from_str(STORED).expect("today's cache format");
        assert_eq!(
            t.access_token.expose(),
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.at-secret-123456"
        );
        assert_eq!(
            t.refresh_token.as_ref().map(Secret::expose),
            Some("rt-secret-abcdef")
        );
        assert_eq!(
            (t.expires_at, t.issued_at, t.refresh_expires_at),
            (Some(2000), 1000, Some(5000))
        );
        assert_eq!(t.server_offset, Some(-3));
        assert_eq!(
            String::from_utf8(serde_json::to_vec_pretty(&t).unwrap()).unwrap(),
            STORED
        );
        // The fleet record's payload is the compact form of the same document.
        let compact: String = STORED.split('\n').map(str::trim).collect();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            compact.replace("\": ", "\":")
        );
    }

    #[test]
    fn older_forms_without_optional_fields_still_load() {
        // No refresh token (null), and a file from before the optional fields existed.
        let t: TokenSet = serde_json::from_str(
            r#"{"access_token":"at","token_type":"Bearer","expires_at":null,"issued_at":1,
                "refresh_token":null,"scope":null,"key":"k"}"#,
        )
        .unwrap();
        assert!(t.refresh_token.is_none() && t.refresh_expires_at.is_none());
        let t: TokenSet = serde_json::from_str(
            r#"{"access_token":"at","token_type":"Bearer","expires_at":null,"issued_at":1,
                "scope":null,"key":"k"}"#,
        )
        .unwrap();
        assert!(t.refresh_token.is_none() && t.server_offset.is_none());
        assert!(
            serde_json::to_string(&t)
                .unwrap()
                .contains(r#""refresh_token":null"#)
        );
    }

    #[test]
    fn debug_and_authorization() {
        let t: TokenSet = serde_json::from_str(STORED).unwrap();
        let shown = format!("{t:?}");
        assert!(!shown.contains("at-secret-123456"), "{shown}");
        assert!(!shown.contains("rt-secret-abcdef"), "{shown}");
        assert_eq!(
            t.authorization(),
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.at-secret-123456"
        );
    }
}
