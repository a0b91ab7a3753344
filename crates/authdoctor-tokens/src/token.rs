//! A token set as obtained and cached: access token, its lifetime in the issuer's clock, the
//! refresh token, and the offset between the issuer's clock and ours (from its `Date` header),
//! so "is it about to expire" is judged by the server's clock, not a possibly skewed local one.

use authdoctor_core::secret::redact;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The stored form (also the cache file's format, `version` 1).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: String,
    /// Expiry in the issuer's clock (the JWT's `exp`, else issue time + `expires_in`).
    pub expires_at: Option<i64>,
    /// Issue time in the issuer's clock.
    pub issued_at: i64,
    pub refresh_token: Option<String>,
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
            .field("access_token", &redact(&self.access_token))
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("refresh_token", &self.refresh_token.as_deref().map(redact))
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
        format!("{scheme} {}", self.access_token)
    }
}
