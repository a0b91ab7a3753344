//! Verification keys: JWKs (RFC 7517) and HMAC secrets turned, once, into aws-lc-rs objects that
//! are each pinned to the algorithms their `kty`/`crv`/`alg` allow.
//!
//! A `KeySet` is what the JWKS cache holds. Keys are parsed when the set is built
//! (`ParsedPublicKey`, `hmac::Key`), never per request: parsing costs 10–20 % of a verify.

use std::sync::Arc;

use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

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
            let a = match alg {
                Algorithm::HS256 => hmac::HMAC_SHA256,
                Algorithm::HS384 => hmac::HMAC_SHA384,
                Algorithm::HS512 => hmac::HMAC_SHA512,
                other => {
                    return Err(KeyError::AlgMismatch(format!(
                        "{other} with an HMAC secret"
                    )));
                }
            };
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
        let params = public_params(alg).ok_or_else(|| {
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
        let raw: RawJwk =
            serde_json::from_value(jwk.clone()).map_err(|e| KeyError::Invalid(e.to_string()))?;
        raw.into_key()
    }
}

/// The aws-lc-rs verification algorithm for a public-key JWA algorithm.
fn public_params(alg: Algorithm) -> Option<&'static dyn VerificationAlgorithm> {
    Some(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        // FIXED = the JOSE r||s form. aws-lc rejects r or s equal to 0 or >= n (CVE-2022-21449).
        Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
        Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
        Algorithm::EdDSA | Algorithm::Ed25519 => &signature::ED25519,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => return None,
    })
}

fn rsa_params(alg: Algorithm) -> Option<&'static signature::RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    k: Option<String>,
}

const REGISTERED_KEY_OPS: [&str; 8] = [
    "sign",
    "verify",
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "deriveKey",
    "deriveBits",
];

fn b64(field: &'static str, v: &Option<String>) -> Result<Vec<u8>, KeyError> {
    let s = v.as_deref().ok_or(KeyError::Missing(field))?;
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| KeyError::Invalid(format!("`{field}` is not base64url")))
}

impl RawJwk {
    fn into_key(self) -> Result<VerifyKey, KeyError> {
        // RFC 7517 §4.2/4.3: a key marked for encryption must not verify signatures.
        if let Some(u) = &self.use_
            && u != "sig"
        {
            return Err(KeyError::NotForSignatures(format!("use={u}")));
        }
        if let Some(ops) = &self.key_ops {
            // Unregistered values are ignored (RFC 7517 §4.3 allows others); registered ones
            // that do not include `verify` exclude the key.
            let registered: Vec<&String> = ops
                .iter()
                .filter(|o| REGISTERED_KEY_OPS.contains(&o.as_str()))
                .collect();
            if !registered.is_empty() && !registered.iter().any(|o| *o == "verify") {
                return Err(KeyError::NotForSignatures(format!("key_ops={ops:?}")));
            }
        }
        // The algorithms this key type can possibly verify, narrowed to the JWK's `alg` if set.
        let by_type: Vec<Algorithm> = match (self.kty.as_str(), self.crv.as_deref()) {
            ("RSA", _) => vec![
                Algorithm::RS256,
                Algorithm::RS384,
                Algorithm::RS512,
                Algorithm::PS256,
                Algorithm::PS384,
                Algorithm::PS512,
            ],
            ("EC", Some("P-256")) => vec![Algorithm::ES256],
            ("EC", Some("P-384")) => vec![Algorithm::ES384],
            ("EC", Some("P-521")) => vec![Algorithm::ES512],
            ("OKP", Some("Ed25519")) => vec![Algorithm::EdDSA, Algorithm::Ed25519],
            ("oct", _) => vec![Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
            (kty, crv) => {
                return Err(KeyError::Unsupported(format!(
                    "kty={kty} crv={}",
                    crv.unwrap_or("-")
                )));
            }
        };
        let algs = match &self.alg {
            None => by_type,
            Some(name) => {
                let a = Algorithm::from_name(name)
                    .ok_or_else(|| KeyError::Unsupported(format!("alg={}", truncate(name))))?;
                if !by_type.contains(&a) {
                    return Err(KeyError::AlgMismatch(format!(
                        "alg={a} on a kty={} key",
                        self.kty
                    )));
                }
                vec![a]
            }
        };
        let kid = self.kid.as_deref();
        match self.kty.as_str() {
            "RSA" => {
                let n = b64("n", &self.n)?;
                let e = b64("e", &self.e)?;
                let comps = RsaPublicKeyComponents {
                    n: strip_zeros(&n),
                    e: strip_zeros(&e),
                };
                let mut verifiers = Vec::with_capacity(algs.len());
                for alg in algs {
                    let p = rsa_params(alg).expect("RSA algs only");
                    let k = comps
                        .to_parsed_public_key(p)
                        .map_err(|e| KeyError::Invalid(e.to_string()))?;
                    verifiers.push((alg, Verifier::Public(k)));
                }
                Ok(VerifyKey {
                    kid: kid.map(Arc::from),
                    verifiers,
                })
            }
            "EC" => {
                let x = b64("x", &self.x)?;
                let y = b64("y", &self.y)?;
                let len = match algs[0] {
                    Algorithm::ES256 => 32,
                    Algorithm::ES384 => 48,
                    _ => 66,
                };
                if x.len() != len || y.len() != len {
                    return Err(KeyError::Invalid(format!(
                        "EC coordinates must be {len} bytes"
                    )));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let p = public_params(algs[0]).expect("EC alg");
                // Parsing checks the point is on the curve (invalid-curve attacks).
                let k = ParsedPublicKey::new(p, &point)
                    .map_err(|e| KeyError::Invalid(e.to_string()))?;
                Ok(VerifyKey {
                    kid: kid.map(Arc::from),
                    verifiers: vec![(algs[0], Verifier::Public(k))],
                })
            }
            "OKP" => {
                let x = b64("x", &self.x)?;
                let mut verifiers = Vec::new();
                for alg in algs {
                    let k = ParsedPublicKey::new(&signature::ED25519, &x)
                        .map_err(|e| KeyError::Invalid(e.to_string()))?;
                    verifiers.push((alg, Verifier::Public(k)));
                }
                Ok(VerifyKey {
                    kid: kid.map(Arc::from),
                    verifiers,
                })
            }
            _ => {
                let k = b64("k", &self.k)?;
                VerifyKey::hmac(kid, &k, &algs)
            }
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    &b[i..]
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
        let v: serde_json::Value = serde_json::from_slice(json)
            .map_err(|e| KeyError::Invalid(format!("JWKS is not JSON: {e}")))?;
        let list = match v.get("keys") {
            Some(serde_json::Value::Array(a)) => a.clone(),
            Some(_) => return Err(KeyError::Invalid("`keys` is not an array".into())),
            None if v.get("kty").is_some() => vec![v],
            None => return Err(KeyError::Missing("keys")),
        };
        let mut set = KeySet::new();
        for jwk in &list {
            match VerifyKey::from_jwk(jwk) {
                Ok(k) => set.insert(k),
                Err(e) => set.skipped.push(SkippedKey {
                    kid: jwk.get("kid").and_then(|k| k.as_str()).map(str::to_owned),
                    reason: e.to_string(),
                }),
            }
        }
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
