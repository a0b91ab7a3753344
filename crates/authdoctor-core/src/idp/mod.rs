//! Identity-provider evidence: what the token's issuer and the resource publish, checked against
//! the token. The network crate fetches (discovery, JWKS, RFC 9728 metadata, RFC 7662
//! introspection) into a [`RawIdp`]; [`assess`] — pure — verifies the signature with the
//! issuer's keys, decides what an unknown `kid` means, and compares `iss`, `aud` and scopes
//! with every [`Expectations`] source. The result, [`IdpEvidence`], hangs off
//! [`crate::evidence::Evidence`] and feeds the `idp` family of causes (and a few older ones).

pub mod discovery;
pub mod expect;
pub mod model;

pub use expect::{ExpectSource, Expectations, Expected, Match, ProfileIssuer, compare};
pub use model::{Discovery, Introspection, ResourceMetadata};

use crate::jose::{self, Alg, JoseError, Jwks};
use crate::token::jwt::Jwt;
use serde::Serialize;

/// One HTTP fetch made for the diagnosis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FetchRecord {
    /// What was fetched: `discovery`, `jwks`, `jwks-refetch`, `resource-metadata`, `introspection`.
    pub what: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Served from the on-disk cache (fresh by its HTTP cache headers, or revalidated: 304).
    pub from_cache: bool,
    pub elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One issuer as fetched: discovery and keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IssuerRaw {
    pub issuer: String,
    /// Why this issuer was consulted: "token iss", "--issuer", "profile prod", "--expect-iss", …
    pub source: String,
    pub fetches: Vec<FetchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovery>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip)]
    pub jwks: Option<Jwks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_error: Option<String>,
    /// The kids the JWKS publishes (usable keys).
    pub kids: Vec<String>,
    /// The JWKS was fetched again because the token's kid was not in it.
    pub refetched: bool,
}

/// Everything the network side gathered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RawIdp {
    /// The issuer the token is checked against (its `iss`, or `--issuer`, or the profile's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<IssuerRaw>,
    /// Other issuers consulted for an unknown kid: expected ones, other profiles'.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<IssuerRaw>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_fetch: Option<FetchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ResourceMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_error: Option<String>,
    /// Where the metadata URL came from: the challenge, or the well-known location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_source: Option<discovery::MetadataSource>,
    /// The metadata of the authorization servers the resource metadata names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_server_metadata: Vec<discovery::AsMetadataFetch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_fetch: Option<FetchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection: Option<Introspection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introspection_error: Option<String>,
    /// Things not done and why (http issuer refused, no introspection credentials, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The signature verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigVerdict {
    Verified,
    AlgNone,
    /// An algorithm the issuer's key cannot produce, or one not supported at all.
    AlgNotAllowed,
    /// The kid names a key that is not for signatures or unusable.
    KeyNotUsable,
    /// kid unknown even after a refetch, token old enough that its key has rotated out.
    UnknownKidRotated,
    /// kid unknown to the token's issuer but published by another issuer we know.
    UnknownKidOtherIssuer,
    /// kid unknown, recently issued: signed by a key this issuer never published.
    UnknownKidNotPublished,
    /// The key is the right one and the signature does not match: altered after signing.
    Tampered,
    /// The signature is shorter or longer than the algorithm's: cut off.
    Truncated,
    Malformed,
    /// HS* without `--hs-secret-env`.
    NoSecret,
    /// The keys could not be fetched.
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignatureCheck {
    pub verdict: SigVerdict,
    /// One sentence, expected vs actual.
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Whose keys decided: an issuer URL, or "--hs-secret-env".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_from: Option<String>,
    /// The JOSE error code behind a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl SignatureCheck {
    pub fn verified(&self) -> bool {
        self.verdict == SigVerdict::Verified
    }
}

/// One claim compared with the expectations of one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClaimCheck {
    /// `iss`, `aud` or `scope`.
    pub claim: &'static str,
    pub source: ExpectSource,
    pub expected: Vec<String>,
    pub actual: Vec<String>,
    pub result: Match,
    /// For scopes: the expected ones the token lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// True when any one expected value suffices (metadata lists), false when all are needed.
    pub any_of: bool,
}

impl ClaimCheck {
    pub fn ok(&self) -> bool {
        self.result == Match::Exact
    }
    /// "expected X (from S), got Y".
    pub fn describe(&self) -> String {
        let exp = if self.expected.len() == 1 {
            self.expected[0].clone()
        } else if self.any_of {
            format!("one of {}", self.expected.join(", "))
        } else {
            self.expected.join(" ")
        };
        let act = if self.actual.is_empty() {
            "none".to_string()
        } else {
            self.actual.join(" ")
        };
        format!(
            "{} expected {exp} (from {}), token has {act}",
            self.claim, self.source
        )
    }
}

/// The assessed evidence: raw fetches, expectations, and what they say about the token.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdpEvidence {
    #[serde(flatten)]
    pub raw: RawIdp,
    pub expectations: Expectations,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimCheck>,
}

impl IdpEvidence {
    /// The first failing check of this claim (flags and profile before metadata).
    pub fn failing(&self, claim: &str) -> Option<&ClaimCheck> {
        self.claims.iter().find(|c| c.claim == claim && !c.ok())
    }
    /// Were there expectations for this claim, and did all of them pass?
    pub fn all_ok(&self, claim: &str) -> Option<bool> {
        let mut it = self.claims.iter().filter(|c| c.claim == claim).peekable();
        it.peek()?;
        Some(it.all(ClaimCheck::ok))
    }
    pub fn issuer_url(&self) -> Option<&str> {
        self.raw.primary.as_ref().map(|p| p.issuer.as_str())
    }
}

/// Assess the raw fetches against the token. `token` is the credential as sent (after the
/// scheme), `jwt` its decoded form, `hs_secret` the user's HMAC secret, `now` the judging time.
pub fn assess(
    raw: RawIdp,
    mut expectations: Expectations,
    token: Option<&str>,
    jwt: Option<&Jwt>,
    hs_secret: Option<&[u8]>,
    now: i64,
) -> IdpEvidence {
    if let (Some(m), Some(f)) = (&raw.metadata, &raw.metadata_fetch) {
        let src = |field: &str| ExpectSource::ResourceMetadata {
            url: f.url.clone(),
            field: field.to_string(),
        };
        if let Some(r) = &m.resource {
            expectations.aud.push(Expected {
                value: r.clone(),
                source: src("resource"),
            });
        }
        for a in m.authorization_servers.iter().flatten() {
            expectations.iss.push(Expected {
                value: a.clone(),
                source: src("authorization_servers"),
            });
        }
    }
    let signature = match (token, jwt) {
        (Some(t), Some(_)) => Some(check_signature(&raw, t, jwt, hs_secret, now)),
        _ => None,
    };
    let mut claims = Vec::new();
    if let Some(j) = jwt {
        let iss: Vec<String> = j.str_claim("iss").map(str::to_string).into_iter().collect();
        let aud: Vec<String> = j.audiences().into_iter().map(str::to_string).collect();
        claims.extend(compare_group("iss", &expectations.iss, &iss));
        claims.extend(compare_group("aud", &expectations.aud, &aud));
        let granted = j.scopes().unwrap_or_default();
        claims.extend(scope_checks(&expectations.scope, &granted, false));
        if let (Some(m), Some(f)) = (&raw.metadata, &raw.metadata_fetch)
            && let Some(s) = &m.scopes_supported
            && !s.is_empty()
            && j.scopes().is_some()
        {
            let exp: Vec<Expected> = s
                .iter()
                .map(|v| Expected {
                    value: v.clone(),
                    source: ExpectSource::ResourceMetadata {
                        url: f.url.clone(),
                        field: "scopes_supported".into(),
                    },
                })
                .collect();
            claims.extend(scope_checks(&exp, &granted, true));
        }
    } else if let Some(i) = &raw.introspection
        && i.active == Some(true)
    {
        // Opaque token: the introspection response stands in for the claims.
        let granted: Vec<String> = i
            .scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        claims.extend(scope_checks(&expectations.scope, &granted, false));
        if let Some(iss) = &i.iss {
            claims.extend(compare_group(
                "iss",
                &expectations.iss,
                std::slice::from_ref(iss),
            ));
        }
    }
    IdpEvidence {
        raw,
        expectations,
        signature,
        claims,
    }
}

/// One check per source: a source's values are alternatives for iss/aud.
fn compare_group(claim: &'static str, exp: &[Expected], actual: &[String]) -> Vec<ClaimCheck> {
    let mut out: Vec<ClaimCheck> = Vec::new();
    for e in exp {
        if let Some(c) = out.iter_mut().find(|c| c.source == e.source) {
            c.expected.push(e.value.clone());
        } else {
            out.push(ClaimCheck {
                claim,
                source: e.source.clone(),
                expected: vec![e.value.clone()],
                actual: actual.to_vec(),
                result: Match::Different,
                missing: Vec::new(),
                any_of: true,
            });
        }
    }
    for c in &mut out {
        c.result = c
            .expected
            .iter()
            .flat_map(|e| actual.iter().map(move |a| compare(e, a)))
            .min_by_key(|m| match m {
                Match::Exact => 0,
                Match::TrailingSlashOnly => 1,
                Match::Different => 2,
            })
            .unwrap_or(Match::Different);
    }
    out
}

fn scope_checks(exp: &[Expected], granted: &[String], any_of: bool) -> Vec<ClaimCheck> {
    let mut out: Vec<ClaimCheck> = Vec::new();
    for e in exp {
        // A flag or profile may hold several scopes in one value ("read write").
        let vals: Vec<String> = e.value.split_whitespace().map(str::to_string).collect();
        if let Some(c) = out.iter_mut().find(|c| c.source == e.source) {
            c.expected.extend(vals);
        } else {
            out.push(ClaimCheck {
                claim: "scope",
                source: e.source.clone(),
                expected: vals,
                actual: granted.to_vec(),
                result: Match::Different,
                missing: Vec::new(),
                any_of,
            });
        }
    }
    for c in &mut out {
        c.missing = c
            .expected
            .iter()
            .filter(|e| !granted.contains(e))
            .cloned()
            .collect();
        let ok = if any_of {
            c.missing.len() < c.expected.len()
        } else {
            c.missing.is_empty()
        };
        c.result = if ok { Match::Exact } else { Match::Different };
        if any_of && ok {
            c.missing.clear();
        }
    }
    out
}

/// Signature lengths each algorithm produces (RSA: the modulus size, any of the common ones).
fn sig_len_ok(alg: Alg, len: usize, rsa_bytes: Option<usize>) -> bool {
    match alg.fixed_signature_len() {
        Some(n) => len == n,
        None => rsa_bytes.is_none_or(|n| n == len),
    }
}

fn check_signature(
    raw: &RawIdp,
    token: &str,
    jwt: Option<&Jwt>,
    hs_secret: Option<&[u8]>,
    now: i64,
) -> SignatureCheck {
    let mut out = SignatureCheck {
        verdict: SigVerdict::Malformed,
        text: String::new(),
        alg: None,
        kid: None,
        keys_from: None,
        code: None,
    };
    let parts = match jose::verify::split_compact(token) {
        Ok(p) => p,
        Err(e) => {
            out.code = Some(e.code().into());
            out.text = format!("the token cannot be verified: {e}");
            return out;
        }
    };
    out.alg = parts.alg_name().map(str::to_string);
    out.kid = parts.kid().map(str::to_string);
    let alg = match jose::verify::header_alg(&parts.header) {
        Ok(a) => a,
        Err(e) => {
            out.verdict = match e {
                JoseError::AlgNone => SigVerdict::AlgNone,
                JoseError::AlgUnsupported(_) => SigVerdict::AlgNotAllowed,
                _ => SigVerdict::Malformed,
            };
            out.code = Some(e.code().into());
            out.text = e.to_string();
            return out;
        }
    };
    if alg.is_hmac() {
        let Some(secret) = hs_secret else {
            out.verdict = SigVerdict::NoSecret;
            out.code = Some(JoseError::HmacNeedsSecret.code().into());
            out.text = format!(
                "{} is a shared-secret algorithm: not verified (give the secret with --hs-secret-env VAR)",
                alg.name()
            );
            return out;
        };
        out.keys_from = Some("--hs-secret-env".into());
        return match jose::verify::verify_parts(&parts, alg, &jose::Jwk::from_secret(secret)) {
            Ok(_) => {
                out.verdict = SigVerdict::Verified;
                out.text = format!(
                    "{} signature verifies with the secret you supplied",
                    alg.name()
                );
                out
            }
            Err(e) => {
                out.verdict = if sig_len_ok(alg, parts.signature.len(), None) {
                    SigVerdict::Tampered
                } else {
                    SigVerdict::Truncated
                };
                out.code = Some(e.code().into());
                out.text = format!(
                    "the {} signature does not match the secret you supplied: altered after signing, or signed with another secret",
                    alg.name()
                );
                out
            }
        };
    }
    let Some(primary) = &raw.primary else {
        out.verdict = SigVerdict::Unavailable;
        out.text = "no issuer to fetch keys from (the token has no iss; give --issuer)".into();
        return out;
    };
    out.keys_from = Some(primary.issuer.clone());
    let Some(jwks) = &primary.jwks else {
        out.verdict = SigVerdict::Unavailable;
        out.text = format!(
            "the keys of {} could not be fetched: {}",
            primary.issuer,
            primary
                .jwks_error
                .as_deref()
                .or(primary.discovery_error.as_deref())
                .unwrap_or("unknown error")
        );
        return out;
    };
    let kid = parts.kid().map(str::to_string);
    let candidates: Vec<&jose::Jwk> = match &kid {
        Some(k) => jwks.by_kid(k),
        None => jwks.keys.iter().collect(),
    };
    if candidates.is_empty() {
        let k = kid.clone().unwrap_or_else(|| "(none)".into());
        if let Some(k) = &kid
            && let Some((_, _, why)) = jwks
                .rejected
                .iter()
                .find(|(_, rk, _)| rk.as_deref() == Some(k))
        {
            out.verdict = SigVerdict::KeyNotUsable;
            out.text =
                format!("the issuer publishes kid {k} but it is not a usable signing key: {why}");
            return out;
        }
        // Another issuer we know (expected, or another profile's) publishes it?
        let other = raw
            .others
            .iter()
            .find(|o| o.jwks.as_ref().is_some_and(|j| j.has_kid(&k)));
        let published = primary.kids.join(", ");
        let refetch = if primary.refetched {
            " (also after fetching the JWKS again)"
        } else {
            ""
        };
        if let Some(o) = other {
            out.verdict = SigVerdict::UnknownKidOtherIssuer;
            out.keys_from = Some(o.issuer.clone());
            out.text = format!(
                "kid {k} is not among {}'s keys [{published}]{refetch}, but {} ({}) publishes it: the token was signed by another issuer",
                primary.issuer, o.issuer, o.source
            );
            return out;
        }
        let age = jwt.and_then(|j| j.time_claim("iat")).map(|iat| now - iat);
        if age.is_some_and(|a| a > 86_400) {
            out.verdict = SigVerdict::UnknownKidRotated;
            out.text = format!(
                "kid {k} is not among {}'s keys [{published}]{refetch}; the token was issued {} ago: the key was most likely rotated out",
                primary.issuer,
                crate::time::human_duration(age.unwrap_or(0))
            );
        } else {
            out.verdict = SigVerdict::UnknownKidNotPublished;
            out.text = format!(
                "kid {k} is not among {}'s keys [{published}]{refetch}: the token was signed by a key this issuer does not publish (another issuer or environment, or forged)",
                primary.issuer
            );
        }
        return out;
    }
    let mut last_err = None;
    for key in &candidates {
        match jose::verify::verify_parts(&parts, alg, key) {
            Ok(_) => {
                out.verdict = SigVerdict::Verified;
                out.text = format!(
                    "{} signature verifies with {}'s key {}",
                    alg.name(),
                    primary.issuer,
                    key.kid_or_none()
                );
                return out;
            }
            Err(e) => last_err = Some((e, *key)),
        }
    }
    let Some((e, key)) = last_err else {
        return out;
    };
    out.code = Some(e.code().into());
    match &e {
        JoseError::SignatureMismatch { .. } => {
            let rsa = key.material.rsa_bits().map(|b| b.div_ceil(8));
            // Does another issuer's key with that kid verify it?
            if let Some(o) = raw.others.iter().find(|o| {
                o.jwks.as_ref().is_some_and(|j| {
                    kid.as_deref().is_some_and(|k| {
                        j.by_kid(k)
                            .iter()
                            .any(|key| jose::verify::verify_parts(&parts, alg, key).is_ok())
                    })
                })
            }) {
                out.verdict = SigVerdict::UnknownKidOtherIssuer;
                out.keys_from = Some(o.issuer.clone());
                out.text = format!(
                    "the signature does not verify with {}'s key {} but does with {}'s ({}): the token was signed by another issuer that reuses the kid",
                    primary.issuer,
                    key.kid_or_none(),
                    o.issuer,
                    o.source
                );
            } else if !sig_len_ok(alg, parts.signature.len(), rsa) {
                out.verdict = SigVerdict::Truncated;
                out.text = format!(
                    "the signature is {} bytes; {} with key {} gives {}: the token was cut off or altered",
                    parts.signature.len(),
                    alg.name(),
                    key.kid_or_none(),
                    rsa.map(|n| n.to_string())
                        .unwrap_or_else(|| "another length".into())
                );
            } else {
                out.verdict = SigVerdict::Tampered;
                out.text = format!(
                    "the {} signature does not match {}'s key {}: the token was altered after signing, or signed by another key under the same kid",
                    alg.name(),
                    primary.issuer,
                    key.kid_or_none()
                );
            }
        }
        JoseError::KeyCannotProduce { .. } | JoseError::KeyAlgMismatch { .. } => {
            out.verdict = SigVerdict::AlgNotAllowed;
            out.text = format!("{e} (issuer {})", primary.issuer);
        }
        _ => {
            out.verdict = SigVerdict::KeyNotUsable;
            out.text = format!("{e} (issuer {})", primary.issuer);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests;
