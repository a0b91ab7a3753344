//! JOSE knowledge shared by authdoctor's diagnoser (`authdoctor_core::jose` re-exports this
//! crate) and its server guard (`authdoctor-guard`): the algorithm table ([`Alg`]), strict
//! base64url ([`b64`]), JWK and JWKS parsing into [`KeyMaterial`] with the one rule for "is this
//! key usable for this alg" ([`Jwk::check_usable_for`]), and compact JWS verification (RFC 7515)
//! for RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA (Ed25519); HS256/384/512 only with
//! a secret the user supplies. The guard builds its pre-parsed aws-lc-rs keys from the same
//! [`KeyMaterial`], pinned to the algorithms `check_usable_for` allows, so both judge a key alike.
//!
//! Unlike a validating library this module explains: every refusal is a typed [`JoseError`]
//! naming what was wrong (`alg: none`, an algorithm the key cannot produce, a key marked for
//! encryption, a non-canonical base64url segment, a signature that does not match). Nothing is
//! ever accepted on a weaker path: `none` is always refused, the algorithm must be one the key
//! can produce (and the key's own `alg`, when it has one), and base64url is decoded strictly.
//! Pure: no I/O.
//!
//! [`discovery`] builds an authorization server's metadata URLs (RFC 8414 §3.1, OpenID Connect).
//!
//! [`dpop`] adds DPoP (RFC 9449): proof keys and proofs for a client, a non-failing proof
//! inspection for a diagnoser and strict proof verification for a server, RFC 7638 thumbprints.

pub mod b64;
pub mod discovery;
pub mod dpop;
/// Fuzz harness shared by the cargo-fuzz `dpop_proof` target in `fuzz/` and the corpus replay test.
#[doc(hidden)]
pub mod fuzz;
pub mod jwk;
pub mod verify;

pub use jwk::{Jwk, Jwks, KeyMaterial};
pub use verify::{Verified, split_compact, verify_compact, verify_hmac};

use aws_lc_rs::{hmac, signature};
use thiserror::Error;

/// A JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864): the one table of names, key types,
/// curves and signature sizes, shared by the diagnoser and the guard. `none` is not an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // the variants are the registered JWA names
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    /// `EdDSA` with an Ed25519 key (RFC 8037).
    EdDSA,
    /// RFC 9864's fully-specified name for EdDSA over Ed25519.
    Ed25519,
}

impl Alg {
    /// Every algorithm this crate knows.
    pub const ALL: [Alg; 14] = [
        Alg::HS256,
        Alg::HS384,
        Alg::HS512,
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
        Alg::Ed25519,
    ];

    /// The algorithm named `s`, exactly (JOSE names are case-sensitive). `none` is not one.
    pub fn from_name(s: &str) -> Option<Alg> {
        Some(match s {
            "HS256" => Alg::HS256,
            "HS384" => Alg::HS384,
            "HS512" => Alg::HS512,
            "RS256" => Alg::RS256,
            "RS384" => Alg::RS384,
            "RS512" => Alg::RS512,
            "PS256" => Alg::PS256,
            "PS384" => Alg::PS384,
            "PS512" => Alg::PS512,
            "ES256" => Alg::ES256,
            "ES384" => Alg::ES384,
            "ES512" => Alg::ES512,
            "EdDSA" => Alg::EdDSA,
            "Ed25519" => Alg::Ed25519,
            _ => return None,
        })
    }

    /// The registered name, as in a JOSE header.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
            Alg::Ed25519 => "Ed25519",
        }
    }

    /// The JWK `kty` that can produce this algorithm.
    pub fn kty(self) -> &'static str {
        match self {
            Alg::HS256 | Alg::HS384 | Alg::HS512 => "oct",
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => "RSA",
            Alg::ES256 | Alg::ES384 | Alg::ES512 => "EC",
            Alg::EdDSA | Alg::Ed25519 => "OKP",
        }
    }

    /// The curve an EC or OKP algorithm requires.
    pub fn curve(self) -> Option<&'static str> {
        match self {
            Alg::ES256 => Some("P-256"),
            Alg::ES384 => Some("P-384"),
            Alg::ES512 => Some("P-521"),
            Alg::EdDSA | Alg::Ed25519 => Some("Ed25519"),
            _ => None,
        }
    }

    /// Whether this is an HMAC algorithm (a shared secret, never a public key).
    pub fn is_hmac(self) -> bool {
        self.kty() == "oct"
    }

    /// The exact signature length, where the algorithm fixes one (HMAC, ECDSA in the JOSE
    /// `r || s` form of RFC 7518 §3.4, Ed25519); RSA signatures are as long as the modulus.
    pub fn fixed_signature_len(self) -> Option<usize> {
        match self {
            Alg::HS256 => Some(32),
            Alg::HS384 => Some(48),
            Alg::HS512 | Alg::ES256 | Alg::EdDSA | Alg::Ed25519 => Some(64),
            Alg::ES384 => Some(96),
            Alg::ES512 => Some(132),
            _ => None,
        }
    }

    /// Whether a signature of `len` bytes can be one of this algorithm's: the fixed length where
    /// there is one. ECDSA must be the JOSE `r || s` form (RFC 7518 §3.4): a DER-encoded or
    /// zero-padded signature is refused before any verification, by the diagnoser and the guard
    /// alike. RSA lengths depend on the key and are left to the verifier.
    #[inline]
    pub fn signature_len_ok(self, len: usize) -> bool {
        self.fixed_signature_len().is_none_or(|n| n == len)
    }

    /// The aws-lc-rs HMAC algorithm, for HS*.
    pub fn hmac_algorithm(self) -> Option<hmac::Algorithm> {
        Some(match self {
            Alg::HS256 => hmac::HMAC_SHA256,
            Alg::HS384 => hmac::HMAC_SHA384,
            Alg::HS512 => hmac::HMAC_SHA512,
            _ => return None,
        })
    }

    /// The aws-lc-rs RSA parameters (modulus 2048–8192 bits), for RS* and PS*.
    pub fn rsa_parameters(self) -> Option<&'static signature::RsaParameters> {
        Some(match self {
            Alg::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Alg::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Alg::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Alg::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Alg::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Alg::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }

    /// The aws-lc-rs verification algorithm for a public-key algorithm (`None` for HS*).
    /// ECDSA is the `FIXED` (`r || s`) form; aws-lc rejects `r` or `s` equal to 0 or ≥ n
    /// (CVE-2022-21449).
    pub fn verification_algorithm(self) -> Option<&'static dyn signature::VerificationAlgorithm> {
        Some(match self {
            Alg::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Alg::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Alg::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
            Alg::EdDSA | Alg::Ed25519 => &signature::ED25519,
            _ => return self.rsa_parameters().map(|p| p as _),
        })
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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
