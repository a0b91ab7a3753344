//! The JWT claims the guard checks, deserialised in one pass straight from the verified payload
//! (no intermediate `serde_json::Value`, no second parse), and the checks themselves.
//!
//! Claims the guard does not know stay in the payload bytes kept by `Validated`, so a handler can
//! read its own claims with `Validated::claims_as` without the guard paying for them.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::Rejection;
use crate::jws::truncate;

/// The registered (and RFC 9068) claims of an access token.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Claims {
    /// Issuer.
    #[serde(default)]
    pub iss: Option<String>,
    /// Subject.
    #[serde(default)]
    pub sub: Option<String>,
    /// Audience(s): a string or an array of strings.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry, Unix seconds (fractions are truncated).
    #[serde(default, deserialize_with = "numeric_date")]
    pub exp: Option<i64>,
    /// Not before, Unix seconds.
    #[serde(default, deserialize_with = "numeric_date")]
    pub nbf: Option<i64>,
    /// Issued at, Unix seconds.
    #[serde(default, deserialize_with = "numeric_date")]
    pub iat: Option<i64>,
    /// Token id.
    #[serde(default)]
    pub jti: Option<String>,
    /// The OAuth client the token was issued to (RFC 9068 §2.2).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Space-separated scopes (RFC 9068 §2.2.3, RFC 8693 §4.2).
    #[serde(default)]
    pub scope: Option<String>,
    /// Scopes as an array, as some issuers (Okta, Azure AD) send them.
    #[serde(default, deserialize_with = "one_or_many")]
    pub scp: Vec<String>,
    /// Confirmation (RFC 7800): the key or certificate the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// The `cnf` members the guard enforces; a token with either is only accepted with its proof.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Confirmation {
    /// RFC 9449 §6: the RFC 7638 thumbprint of the DPoP key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jkt: Option<String>,
    /// RFC 8705 §3.1: the SHA-256 thumbprint of the client certificate.
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

impl Claims {
    /// The token's scopes, from `scope` and `scp`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .chain(self.scp.iter().map(String::as_str))
    }

    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
}

/// Which claims a token must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RequiredClaim {
    Exp,
    Iat,
    Nbf,
    Iss,
    Sub,
    Aud,
    Jti,
    ClientId,
}

impl RequiredClaim {
    fn name(self) -> &'static str {
        match self {
            RequiredClaim::Exp => "exp",
            RequiredClaim::Iat => "iat",
            RequiredClaim::Nbf => "nbf",
            RequiredClaim::Iss => "iss",
            RequiredClaim::Sub => "sub",
            RequiredClaim::Aud => "aud",
            RequiredClaim::Jti => "jti",
            RequiredClaim::ClientId => "client_id",
        }
    }

    fn present(self, c: &Claims) -> bool {
        match self {
            RequiredClaim::Exp => c.exp.is_some(),
            RequiredClaim::Iat => c.iat.is_some(),
            RequiredClaim::Nbf => c.nbf.is_some(),
            RequiredClaim::Iss => c.iss.is_some(),
            RequiredClaim::Sub => c.sub.is_some(),
            RequiredClaim::Aud => !c.aud.is_empty(),
            RequiredClaim::Jti => c.jti.is_some(),
            RequiredClaim::ClientId => c.client_id.is_some(),
        }
    }
}

/// The claim rules of one validator.
#[derive(Clone, Debug)]
pub(crate) struct ClaimRules {
    pub issuers: Vec<String>,
    pub audiences: Vec<String>,
    pub leeway: i64,
    pub required: Vec<RequiredClaim>,
    pub check_exp: bool,
    pub check_nbf: bool,
}

impl ClaimRules {
    /// Time first (the most common failure and the most useful description), then iss and aud.
    pub fn check(&self, c: &Claims, now: i64) -> Result<(), Rejection> {
        for r in &self.required {
            if !r.present(c) {
                return Err(Rejection::MissingClaim(r.name()));
            }
        }
        if self.check_exp
            && let Some(exp) = c.exp
            && now >= exp.saturating_add(self.leeway)
        {
            return Err(Rejection::Expired { exp, now });
        }
        if self.check_nbf
            && let Some(nbf) = c.nbf
            && nbf > now.saturating_add(self.leeway)
        {
            return Err(Rejection::NotYetValid { nbf, now });
        }
        if let Some(iat) = c.iat
            && iat > now.saturating_add(self.leeway)
        {
            return Err(Rejection::IssuedInFuture { iat, now });
        }
        if !self.issuers.is_empty() {
            let ok = c
                .iss
                .as_deref()
                .is_some_and(|i| self.issuers.iter().any(|t| t == i));
            if !ok {
                return Err(Rejection::IssuerMismatch {
                    found: c.iss.as_deref().map(truncate),
                });
            }
        }
        if !self.audiences.is_empty() && !c.aud.iter().any(|a| self.audiences.contains(a)) {
            return Err(Rejection::AudienceMismatch {
                found: c.aud.iter().take(4).map(|a| truncate(a)).collect(),
            });
        }
        Ok(())
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_owned()])
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(vec![v])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a NumericDate (seconds since the epoch)")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // `as` saturates; NaN cannot come from JSON.
            Ok(Some(v.trunc() as i64))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aud_string_or_array_and_float_dates() {
        let c: Claims = serde_json::from_str(r#"{"aud":"a","exp":1.9,"scope":"x y"}"#).unwrap();
        assert_eq!(c.aud, vec!["a"]);
        assert_eq!(c.exp, Some(1));
        assert!(c.has_scope("y"));
        let c: Claims = serde_json::from_str(r#"{"aud":["a","b"],"scp":["z"]}"#).unwrap();
        assert_eq!(c.aud.len(), 2);
        assert!(c.has_scope("z"));
        assert!(serde_json::from_str::<Claims>(r#"{"exp":"soon"}"#).is_err());
        assert!(serde_json::from_str::<Claims>(r#"{"iss":"a","iss":"b"}"#).is_err());
        let c: Claims =
            serde_json::from_str(r#"{"cnf":{"jkt":"abc","x5t#S256":"def","other":1}}"#).unwrap();
        let cnf = c.cnf.unwrap();
        assert_eq!(cnf.jkt.as_deref(), Some("abc"));
        assert_eq!(cnf.x5t_s256.as_deref(), Some("def"));
        assert!(serde_json::from_str::<Claims>(r#"{"cnf":"abc"}"#).is_err());
    }
}
