//! Verification keys: JWKs (RFC 7517) and HMAC secrets turned, once, into aws-lc-rs objects that
//! are each pinned to the algorithms their `kty`/`crv`/`alg` allow.
//!
//! What a JWK *means* — parsing and validating it, and which algorithms it may verify — is
//! `authdoctor_jose` (shared with the diagnoser: one rule, one set of verdicts). This module only
//! turns that material into pre-parsed keys (`ParsedPublicKey`, `hmac::Key`) pinned to those
//! algorithms. A `KeySet` is what the JWKS cache holds; keys are parsed when the set is built,
//! never per request: parsing costs 10–20 % of a verify.

use std::sync::Arc;

use authdoctor_jose::{Jwk, Jwks, KeyMaterial};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};

use crate::error::{KeyError, Rejection};
use crate::jws::{Algorithm, truncate};

/// One algorithm's ready-to-use verifier.
pub(crate) enum Verifier {
    Public(ParsedPublicKey),
    // Boxed: an aws-lc HMAC key is ~1.2 KiB (precomputed inner/outer states) and would make
    // every RSA/EC entry that large.
    Hmac(Box<hmac::Key>),
}

impl Verifier {
    #[inline]
    pub(crate) fn verify(&self, input: &[u8], sig: &[u8]) -> Result<(), ()> {
        match self {
            Verifier::Public(k) => k.verify_sig(input, sig).map_err(|_| ()),
            // Constant-time comparison inside aws-lc.
            Verifier::Hmac(k) => hmac::verify(k, input, sig).map_err(|_| ()),
        }
    }
}

/// A key with the algorithms it may verify, each with its parsed verifier.
pub struct VerifyKey {
    /// The key id, shared with every `VerifiedJws` it produces.
    pub kid: Option<Arc<str>>,
    verifiers: Vec<(Algorithm, Verifier)>,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyKey")
            .field("kid", &self.kid)
            .field("algs", &self.algorithms())
            .finish()
    }
}

impl VerifyKey {
    /// The algorithms this key verifies (its pin).
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.verifiers.iter().map(|(a, _)| *a).collect()
    }

    pub(crate) fn verifier(&self, alg: Algorithm) -> Option<&Verifier> {
        self.verifiers
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, v)| v)
    }

    /// An HMAC secret for the given HS algorithm(s). The secret is never exposed again.
    pub fn hmac(kid: Option<&str>, secret: &[u8], algs: &[Algorithm]) -> Result<Self, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::Invalid("empty HMAC secret".into()));
        }
        let mut verifiers = Vec::new();
        for &alg in algs {
            let a = alg
                .hmac_algorithm()
                .ok_or_else(|| KeyError::AlgMismatch(format!("{alg} with an HMAC secret")))?;
            verifiers.push((alg, Verifier::Hmac(Box::new(hmac::Key::new(a, secret)))));
        }
        Ok(VerifyKey {
            kid: kid.map(Arc::from),
            verifiers,
        })
    }

    /// A public key in SubjectPublicKeyInfo DER (what a PEM `PUBLIC KEY` block holds), pinned to
    /// `alg`.
    pub fn from_spki_der(kid: Option<&str>, alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        let params = alg.verification_algorithm().ok_or_else(|| {
            KeyError::AlgMismatch(format!("{alg} needs a secret, not a public key"))
        })?;
        let k = ParsedPublicKey::new(params, der).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Ok(VerifyKey {
            kid: kid.map(Arc::from),
            verifiers: vec![(alg, Verifier::Public(k))],
        })
    }

    /// Parses one JWK (public part only; private members are ignored) into a pinned key.
    pub fn from_jwk(jwk: &serde_json::Value) -> Result<Self, KeyError> {
        VerifyKey::from_parsed_jwk(&Jwk::from_value(jwk)?)
    }

    /// Pins a parsed JWK to every algorithm `authdoctor_jose` says it is usable for (`use`,
    /// `key_ops`, its own `alg`, `kty`/`crv`, RSA size, non-empty secret) and parses its
    /// material once per algorithm. aws-lc checks the rest (EC points on the curve, RSA
    /// exponent and the 8192-bit ceiling).
    fn from_parsed_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let algs: Vec<Algorithm> = Algorithm::ALL
            .into_iter()
            .filter(|a| jwk.check_usable_for(*a).is_ok())
            .collect();
        if algs.is_empty() {
            return Err(unusable(jwk));
        }
        let kid = jwk.kid.as_deref();
        if let KeyMaterial::Oct { k } = &jwk.material {
            return VerifyKey::hmac(kid, k, &algs);
        }
        let parsed = |alg: Algorithm| -> Result<(Algorithm, Verifier), KeyError> {
            let invalid = |e: aws_lc_rs::error::KeyRejected| KeyError::Invalid(e.to_string());
            let k = match &jwk.material {
                KeyMaterial::Rsa { .. } => {
                    // authdoctor_jose's exponent rule (leading zero octets dropped).
                    let (n, e) = jwk.material.rsa_components().expect("an RSA key");
                    RsaPublicKeyComponents { n, e }
                        .to_parsed_public_key(
                            alg.rsa_parameters().expect("an RSA key pins RSA algs"),
                        )
                        .map_err(invalid)?
                }
                // Parsing checks an EC point is on the curve (invalid-curve attacks).
                KeyMaterial::Ec { point: raw, .. }
                | KeyMaterial::Okp { x: raw, .. }
                | KeyMaterial::Spki { der: raw, .. } => ParsedPublicKey::new(
                    alg.verification_algorithm()
                        .expect("a public key pins public algs"),
                    raw,
                )
                .map_err(invalid)?,
                KeyMaterial::Oct { .. } => unreachable!("HMAC keys are built by VerifyKey::hmac"),
            };
            Ok((alg, Verifier::Public(k)))
        };
        Ok(VerifyKey {
            kid: kid.map(Arc::from),
            verifiers: algs.into_iter().map(parsed).collect::<Result<_, _>>()?,
        })
    }
}

/// Why a key usable for no algorithm is refused: the reason `authdoctor_jose` gives for its own
/// `alg` when it names a known one, else for the first algorithm of its key type.
fn unusable(jwk: &Jwk) -> KeyError {
    let kty = jwk.material.kty();
    let alg = jwk
        .alg
        .as_deref()
        .and_then(Algorithm::from_name)
        .or_else(|| Algorithm::ALL.into_iter().find(|a| a.kty() == kty))
        .unwrap_or(Algorithm::ALL[0]);
    match jwk.check_usable_for(alg) {
        Err(e) => e.into(),
        Ok(()) => KeyError::Unsupported(format!("kty={kty}")),
    }
}

/// A JWK that could not be used, and why (kept for logs and diagnostics).
#[derive(Clone, Debug)]
pub struct SkippedKey {
    /// Its `kid`, if it had one.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// The keys a validator trusts.
///
/// A plain vector scanned by `kid`: a JWKS holds a handful of keys, and comparing a few short
/// strings is cheaper than hashing the `kid` (SipHash) on every request.
#[derive(Default, Debug)]
pub struct KeySet {
    keys: Vec<Arc<VerifyKey>>,
    /// JWKs in the source document that were not usable.
    pub skipped: Vec<SkippedKey>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        KeySet::default()
    }

    /// Adds a key. A later key with the same `kid` replaces the earlier one.
    pub fn insert(&mut self, key: VerifyKey) {
        if let Some(kid) = &key.kid {
            self.keys.retain(|k| k.kid.as_ref() != Some(kid));
        }
        self.keys.push(Arc::new(key));
    }

    /// Builds a set from a JWKS document (`{"keys":[…]}`) or a single JWK. Unusable keys are
    /// listed in `skipped` rather than failing the whole set: one odd key at an issuer must not
    /// take every token down.
    pub fn from_jwks_json(json: &[u8]) -> Result<Self, KeyError> {
        let jwks = Jwks::parse(json).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let mut set = KeySet::new();
        for jwk in &jwks.keys {
            match VerifyKey::from_parsed_jwk(jwk) {
                Ok(k) => set.insert(k),
                Err(e) => set.skipped.push(SkippedKey {
                    kid: jwk.kid.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        set.skipped.extend(
            jwks.rejected
                .into_iter()
                .map(|(_, kid, reason)| SkippedKey { kid, reason }),
        );
        Ok(set)
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no usable key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a key with this `kid` is present.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// The key for a token: by `kid` when the token names one (a plain map lookup: the `kid` is
    /// never a path, query or URL), else the one key allowed for `alg`.
    pub(crate) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<&VerifyKey, Rejection> {
        if let Some(kid) = kid {
            return match self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
                Some(k) if k.verifier(alg).is_some() => Ok(k),
                Some(_) => Err(Rejection::AlgNotAllowed {
                    alg,
                    kid: Some(truncate(kid)),
                }),
                None => Err(Rejection::KeyNotFound {
                    kid: Some(truncate(kid)),
                }),
            };
        }
        // No kid: only an unambiguous choice is made. Trying every key would let one token cost
        // N verifications.
        let mut candidates = self.keys.iter().filter(|k| k.verifier(alg).is_some());
        match (candidates.next(), candidates.next()) {
            (Some(k), None) => Ok(k),
            (None, _) => {
                if self.is_empty() {
                    Err(Rejection::KeyNotFound { kid: None })
                } else {
                    Err(Rejection::AlgNotAllowed { alg, kid: None })
                }
            }
            (Some(_), Some(_)) => Err(Rejection::KeyNotFound { kid: None }),
        }
    }
}
