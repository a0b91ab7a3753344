//! JOSE for diagnosis: JWK and JWKS parsing into aws-lc-rs public keys, and compact JWS
//! verification (RFC 7515) for RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA (Ed25519);
//! HS256/384/512 only with a secret the user supplies.
//!
//! Unlike a validating library this module explains: every refusal is a typed [`JoseError`]
//! naming what was wrong (`alg: none`, an algorithm the key cannot produce, a key marked for
//! encryption, a non-canonical base64url segment, a signature that does not match). Nothing is
//! ever accepted on a weaker path: `none` is always refused, the algorithm must be one the key
//! can produce (and the key's own `alg`, when it has one), and base64url is decoded strictly.
//! Pure: no I/O.

pub mod b64;
pub mod jwk;
pub mod verify;

pub use jwk::{Jwk, Jwks, KeyMaterial};
pub use verify::{Verified, split_compact, verify_compact, verify_hmac};

use thiserror::Error;

/// A JWS algorithm name (RFC 7518 §3.1, RFC 8037 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Hs256,
    Hs384,
    Hs512,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    Es256,
    Es384,
    Es512,
    EdDsa,
    /// RFC 9864's fully-specified name for EdDSA over Ed25519.
    Ed25519,
}

impl Alg {
    /// The algorithm named `s`, if it is one this module verifies. `none` is not an algorithm.
    pub fn parse(s: &str) -> Option<Alg> {
        Some(match s {
            "HS256" => Alg::Hs256,
            "HS384" => Alg::Hs384,
            "HS512" => Alg::Hs512,
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "PS384" => Alg::Ps384,
            "PS512" => Alg::Ps512,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "ES512" => Alg::Es512,
            "EdDSA" => Alg::EdDsa,
            "Ed25519" => Alg::Ed25519,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Alg::Hs256 => "HS256",
            Alg::Hs384 => "HS384",
            Alg::Hs512 => "HS512",
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
            Alg::Ps256 => "PS256",
            Alg::Ps384 => "PS384",
            Alg::Ps512 => "PS512",
            Alg::Es256 => "ES256",
            Alg::Es384 => "ES384",
            Alg::Es512 => "ES512",
            Alg::EdDsa => "EdDSA",
            Alg::Ed25519 => "Ed25519",
        }
    }

    /// The JWK `kty` that can produce this algorithm.
    pub fn kty(self) -> &'static str {
        match self {
            Alg::Hs256 | Alg::Hs384 | Alg::Hs512 => "oct",
            Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512 => "RSA",
            Alg::Es256 | Alg::Es384 | Alg::Es512 => "EC",
            Alg::EdDsa | Alg::Ed25519 => "OKP",
        }
    }

    /// The EC curve an ES algorithm requires.
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Alg::Es256 => Some("P-256"),
            Alg::Es384 => Some("P-384"),
            Alg::Es512 => Some("P-521"),
            Alg::EdDsa | Alg::Ed25519 => Some("Ed25519"),
            _ => None,
        }
    }

    pub fn is_hmac(self) -> bool {
        self.kty() == "oct"
    }
}

/// Why a token or key was refused. Each variant is a distinct diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JoseError {
    #[error("the token has {0} segments; a compact JWS has 3")]
    SegmentCount(usize),
    #[error("the {what} is not strict base64url: {reason}")]
    Base64 { what: &'static str, reason: String },
    #[error("the {what} is not a JSON object: {reason}")]
    Json { what: &'static str, reason: String },
    #[error("the header has no \"alg\"")]
    NoAlg,
    #[error("alg is \"none\": an unsigned token is never accepted")]
    AlgNone,
    #[error("alg {0:?} is not supported (RS/PS/ES 256-512, EdDSA, HS with a secret)")]
    AlgUnsupported(String),
    #[error("the header marks {0:?} as critical, which is not understood")]
    CritUnsupported(String),
    #[error("alg {alg} cannot be produced by this {kty} key{detail}")]
    KeyCannotProduce {
        alg: &'static str,
        kty: String,
        detail: String,
    },
    #[error("the key is pinned to alg {key_alg}, the token says {alg}")]
    KeyAlgMismatch { key_alg: String, alg: &'static str },
    #[error("the key is not for signatures ({0})")]
    KeyNotForSigning(String),
    #[error("the key is unusable: {0}")]
    BadKey(String),
    #[error("the signature does not match ({alg}, key {kid})")]
    SignatureMismatch { alg: &'static str, kid: String },
    #[error("HS* tokens are verified only with a secret you supply (--hs-secret-env)")]
    HmacNeedsSecret,
}

impl JoseError {
    /// A short stable code, for JSON and tests.
    pub fn code(&self) -> &'static str {
        match self {
            JoseError::SegmentCount(_) => "segment-count",
            JoseError::Base64 { .. } => "base64",
            JoseError::Json { .. } => "json",
            JoseError::NoAlg => "no-alg",
            JoseError::AlgNone => "alg-none",
            JoseError::AlgUnsupported(_) => "alg-unsupported",
            JoseError::CritUnsupported(_) => "crit-unsupported",
            JoseError::KeyCannotProduce { .. } => "key-cannot-produce-alg",
            JoseError::KeyAlgMismatch { .. } => "key-alg-mismatch",
            JoseError::KeyNotForSigning(_) => "key-not-for-signing",
            JoseError::BadKey(_) => "bad-key",
            JoseError::SignatureMismatch { .. } => "signature-mismatch",
            JoseError::HmacNeedsSecret => "hmac-needs-secret",
        }
    }
}
