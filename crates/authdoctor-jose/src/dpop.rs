//! DPoP (RFC 9449): proof keys, proof creation, and proof checking in two moods — a diagnoser's
//! [`inspect_proof`] that never fails and lists every problem, and a server's [`verify_proof`]
//! that refuses on the first one. Also the RFC 7638 JWK thumbprint (`cnf.jkt`), the `ath` hash
//! and the RFC 9449 §4.3 `htu` normalisation.
//!
//! Signing and verification are aws-lc-rs; ES256 signatures are the fixed 64-byte `r || s`
//! form of RFC 7518 §3.4. No state lives here: `jti` replay tracking and server nonces belong to
//! whoever verifies (the guard keeps a bounded replay cache).

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair,
};
use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::jwk::rsa_exponent as strip_zeros;
use crate::{Alg, JoseError, Jwk, b64, verify};

/// The `typ` of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// Proofs longer than this are refused by [`verify_proof`] before any decoding (a proof with an
/// RSA-4096 key and a long `htu` is about 2 KiB).
pub const MAX_PROOF_LEN: usize = 8 * 1024;

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Why a key could not be loaded or used, or why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DpopError {
    /// The key bytes are neither a private JWK nor a PEM private key this module reads.
    #[error("the key is not a private JWK or PEM private key: {0}")]
    KeyFormat(String),
    /// A JWK or PEM that holds only a public key.
    #[error("the key has no private part (a DPoP key must be able to sign)")]
    NotPrivate,
    /// `ENCRYPTED PRIVATE KEY`: decrypt it first.
    #[error("the PEM key is encrypted; decrypt it first (openssl pkey -in KEY -out PLAIN)")]
    Encrypted,
    /// A key type or curve DPoP signing here does not support.
    #[error("unsupported key: {0} (use EC P-256, Ed25519 or RSA of 2048-8192 bits)")]
    KeyUnsupported(String),
    /// aws-lc refused the key (inconsistent components, RSA size, point not on the curve).
    #[error("the key was refused: {0}")]
    KeyRejected(String),
    /// Signing failed.
    #[error("signing failed")]
    Sign,
    /// The `htu` to put in a proof is not an absolute http(s) URL.
    #[error("{0:?} is not an absolute http(s) URL without user information")]
    InvalidHtu(String),
    /// The proof is longer than [`MAX_PROOF_LEN`].
    #[error("the DPoP proof is {0} bytes, over the limit of {MAX_PROOF_LEN}")]
    TooLarge(usize),
    /// A problem with the proof itself (see [`ProofProblem`]).
    #[error("{0}")]
    Proof(ProofProblem),
    /// The algorithm is valid but not in the verifier's allow-list.
    #[error("DPoP proof algorithm {0} is not accepted here")]
    AlgNotAllowed(Alg),
    /// `htm` is not the request's method.
    #[error("the DPoP proof is for method {found}, the request is {expected}")]
    HtmMismatch {
        /// The request method.
        expected: String,
        /// The proof's `htm`.
        found: String,
    },
    /// `htu` is not the request's URL (after RFC 9449 §4.3 normalisation).
    #[error("the DPoP proof is for {found}, the request is to {expected}")]
    HtuMismatch {
        /// The request URL, normalised.
        expected: String,
        /// The proof's `htu` (normalised when possible).
        found: String,
    },
    /// `iat` is older than the accepted window.
    #[error("the DPoP proof was made {}s ago, more than the {max_age}s accepted", now - iat)]
    IatTooOld {
        /// The proof's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The accepted age.
        max_age: i64,
    },
    /// `iat` is further in the future than the accepted skew.
    #[error("the DPoP proof was made {}s in the future, more than the {max_future}s accepted", iat - now)]
    IatInFuture {
        /// The proof's `iat`.
        iat: i64,
        /// The verifier's clock.
        now: i64,
        /// The accepted skew.
        max_future: i64,
    },
    /// An access token was presented but the proof has no `ath` (RFC 9449 §7).
    #[error("the DPoP proof has no ath, but an access token was presented")]
    AthMissing,
    /// `ath` is not the hash of the presented access token.
    #[error("the DPoP proof's ath is not the hash of the presented access token")]
    AthMismatch,
    /// The proof key is not the key the access token is bound to (`cnf.jkt`).
    #[error(
        "the DPoP proof key ({found}) is not the key the access token is bound to ({expected})"
    )]
    JktMismatch {
        /// The `cnf.jkt` of the token.
        expected: String,
        /// The proof key's thumbprint.
        found: String,
    },
    /// The verifier expects a nonce and the proof has none.
    #[error("the DPoP proof has no nonce; the server requires one")]
    NonceMissing,
    /// The proof's nonce is not the one expected.
    #[error("the DPoP proof's nonce is not the current one")]
    NonceMismatch,
}

impl DpopError {
    /// A short stable code, for JSON, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            DpopError::KeyFormat(_) => "key-format",
            DpopError::NotPrivate => "key-not-private",
            DpopError::Encrypted => "key-encrypted",
            DpopError::KeyUnsupported(_) => "key-unsupported",
            DpopError::KeyRejected(_) => "key-rejected",
            DpopError::Sign => "sign-failed",
            DpopError::InvalidHtu(_) => "invalid-htu",
            DpopError::TooLarge(_) => "proof-too-large",
            DpopError::Proof(p) => p.code(),
            DpopError::AlgNotAllowed(_) => "alg-not-allowed",
            DpopError::HtmMismatch { .. } => "htm-mismatch",
            DpopError::HtuMismatch { .. } => "htu-mismatch",
            DpopError::IatTooOld { .. } => "iat-too-old",
            DpopError::IatInFuture { .. } => "iat-in-future",
            DpopError::AthMissing => "ath-missing",
            DpopError::AthMismatch => "ath-mismatch",
            DpopError::JktMismatch { .. } => "jkt-mismatch",
            DpopError::NonceMissing => "nonce-missing",
            DpopError::NonceMismatch => "nonce-mismatch",
        }
    }
}

/// A problem a proof has on its own, whatever request it comes with (RFC 9449 §4.2, §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofProblem {
    /// Not three strict-base64url segments with a JSON object header and claims set.
    #[error(
        "the DPoP proof is not a compact JWT (three base64url segments, JSON header and claims)"
    )]
    NotAJwt,
    /// `typ` is absent or not `dpop+jwt`.
    #[error("the DPoP proof's typ is not dpop+jwt")]
    TypNotDpop,
    /// The header has no `alg`.
    #[error("the DPoP proof header has no alg")]
    NoAlg,
    /// `alg: none`.
    #[error("the DPoP proof is unsigned (alg none)")]
    AlgNone,
    /// An HMAC algorithm: a proof must be signed with an asymmetric key.
    #[error("the DPoP proof uses a symmetric algorithm (HS*); proofs need an asymmetric key")]
    AlgSymmetric,
    /// An algorithm name that is not a supported JWS algorithm.
    #[error("the DPoP proof's algorithm is not a supported JWS algorithm")]
    AlgUnknown,
    /// A `crit` header parameter (none is understood).
    #[error("the DPoP proof marks a header parameter as critical, which is not understood")]
    CritUnsupported,
    /// No `jwk` header (or not a JSON object).
    #[error("the DPoP proof header has no jwk (the public key)")]
    NoJwk,
    /// The `jwk` header holds private key members.
    #[error("the DPoP proof's jwk contains private key members")]
    JwkHasPrivateMembers,
    /// The `jwk` header is not a usable public key (bad members, wrong type for the alg, RSA
    /// under 2048 bits, …).
    #[error("the DPoP proof's jwk is not a usable public key for its alg")]
    JwkInvalid,
    /// The signature does not verify with the embedded `jwk`.
    #[error("the DPoP proof's signature does not verify with its own jwk")]
    SignatureInvalid,
    /// A required claim (`jti`, `htm`, `htu`, `iat`) is absent.
    #[error("the DPoP proof has no {0} claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type (or `jti` is empty).
    #[error("the DPoP proof's {0} claim has the wrong type or is empty")]
    InvalidClaim(&'static str),
    /// `htu` is not an absolute http(s) URL, or carries a query or fragment (RFC 9449 §4.2).
    #[error("the DPoP proof's htu is not an http(s) URL without query and fragment")]
    HtuInvalid,
}

impl ProofProblem {
    /// A short stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofProblem::NotAJwt => "not-a-jwt",
            ProofProblem::TypNotDpop => "typ-not-dpop",
            ProofProblem::NoAlg => "no-alg",
            ProofProblem::AlgNone => "alg-none",
            ProofProblem::AlgSymmetric => "alg-symmetric",
            ProofProblem::AlgUnknown => "alg-unknown",
            ProofProblem::CritUnsupported => "crit-unsupported",
            ProofProblem::NoJwk => "no-jwk",
            ProofProblem::JwkHasPrivateMembers => "jwk-has-private-members",
            ProofProblem::JwkInvalid => "jwk-invalid",
            ProofProblem::SignatureInvalid => "signature-invalid",
            ProofProblem::MissingClaim(_) => "missing-claim",
            ProofProblem::InvalidClaim(_) => "invalid-claim",
            ProofProblem::HtuInvalid => "htu-invalid",
        }
    }
}

impl From<ProofProblem> for DpopError {
    fn from(p: ProofProblem) -> Self {
        DpopError::Proof(p)
    }
}

enum Signer {
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A private signing key for DPoP proofs: EC P-256 (ES256), Ed25519 (EdDSA) or RSA (RS256, or
/// PS256 when a JWK says so). Its `Debug` shows the algorithm and thumbprint, never the key.
pub struct ProofKey {
    signer: Signer,
    alg: Alg,
    public_jwk: Value,
    thumbprint: String,
}

impl std::fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofKey")
            .field("alg", &self.alg)
            .field("jkt", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

/// The fields of one proof.
#[derive(Debug, Clone, Copy)]
pub struct ProofClaims<'a> {
    /// The HTTP method, as sent (`GET`, `POST`, …).
    pub htm: &'a str,
    /// The target URL; query and fragment are dropped (RFC 9449 §4.2).
    pub htu: &'a str,
    /// Creation time, Unix seconds.
    pub iat: i64,
    /// A unique identifier for this proof (use a fresh random value per request).
    pub jti: &'a str,
    /// The access token the proof accompanies; adds `ath`.
    pub access_token: Option<&'a str>,
    /// A server-provided nonce (`DPoP-Nonce`).
    pub nonce: Option<&'a str>,
}

fn rejected(e: aws_lc_rs::error::KeyRejected) -> DpopError {
    DpopError::KeyRejected(e.to_string())
}

impl ProofKey {
    fn from_signer(signer: Signer, alg: Alg) -> Result<ProofKey, DpopError> {
        let public_jwk = match &signer {
            Signer::Ec(k) => {
                let pt = k.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "x": b64::encode(&pt[1..33]), "y": b64::encode(&pt[33..65])})
            }
            Signer::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64::encode(k.public_key().as_ref())})
            }
            Signer::Rsa(k) => {
                let (n, e) = rsa_public_n_e(k.public_key().as_ref())?;
                json!({"kty": "RSA", "n": b64::encode(&n), "e": b64::encode(&e)})
            }
        };
        let thumbprint = jwk_thumbprint(&public_jwk)?;
        Ok(ProofKey {
            signer,
            alg,
            public_jwk,
            thumbprint,
        })
    }

    /// Loads a private key, sniffing the format: a private JWK (JSON with `d`), or PEM —
    /// PKCS#8 `PRIVATE KEY` (RSA, EC P-256, Ed25519), SEC1 `EC PRIVATE KEY`, PKCS#1
    /// `RSA PRIVATE KEY` — or PKCS#8 DER.
    pub fn load(bytes: &[u8]) -> Result<ProofKey, DpopError> {
        let text = std::str::from_utf8(bytes).ok().map(str::trim);
        match text {
            Some(t) if t.starts_with('{') => {
                let v: Value = serde_json::from_str(t)
                    .map_err(|e| DpopError::KeyFormat(format!("JSON: {e}")))?;
                ProofKey::from_private_jwk(&v)
            }
            Some(t) if t.starts_with("-----BEGIN ") => ProofKey::from_pem(t),
            _ if bytes.first() == Some(&0x30) => ProofKey::from_pkcs8_der(bytes),
            _ => Err(DpopError::KeyFormat(
                "expected a JSON JWK, a PEM block or PKCS#8 DER".into(),
            )),
        }
    }

    /// A fresh EC P-256 key (ES256).
    pub fn generate_es256() -> Result<ProofKey, DpopError> {
        let k = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| DpopError::KeyRejected("P-256 key generation failed".into()))?;
        ProofKey::from_signer(Signer::Ec(k), Alg::ES256)
    }

    /// A fresh key for `alg`: ES256, EdDSA/Ed25519, RS256 or PS256 (RSA keys are 2048 bits).
    pub fn generate(alg: Alg) -> Result<ProofKey, DpopError> {
        let failed = |_| DpopError::KeyRejected(format!("{alg} key generation failed"));
        match alg {
            Alg::ES256 => ProofKey::generate_es256(),
            Alg::EdDSA | Alg::Ed25519 => {
                ProofKey::from_signer(Signer::Ed(Ed25519KeyPair::generate().map_err(failed)?), alg)
            }
            Alg::RS256 | Alg::PS256 => ProofKey::from_signer(
                Signer::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?),
                alg,
            ),
            other => Err(DpopError::KeyUnsupported(format!(
                "DPoP signing with {other}"
            ))),
        }
    }

    /// The proof algorithm.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public JWK (only public members: what goes into the proof header).
    pub fn public_jwk(&self) -> Value {
        self.public_jwk.clone()
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url (a token's `cnf.jkt`).
    pub fn thumbprint(&self) -> String {
        self.thumbprint.clone()
    }

    /// The private JWK (with `alg`), to store a generated key in a file only its owner reads.
    pub fn private_jwk(&self) -> Result<Value, DpopError> {
        let mut jwk = self.public_jwk.clone();
        let m = jwk.as_object_mut().expect("public_jwk is an object");
        match &self.signer {
            Signer::Ec(k) => {
                let d = k.private_key().as_be_bytes().map_err(|_| DpopError::Sign)?;
                m.insert("d".into(), b64::encode(d.as_ref()).into());
            }
            Signer::Ed(k) => {
                let seed = k
                    .seed()
                    .and_then(|s| s.as_be_bytes())
                    .map_err(|_| DpopError::Sign)?;
                m.insert("d".into(), b64::encode(seed.as_ref()).into());
            }
            Signer::Rsa(k) => {
                let pkcs8 = k.as_der().map_err(|_| DpopError::Sign)?;
                let ints = rsa_private_ints(pkcs8.as_ref())?;
                for (name, v) in ["d", "p", "q", "dp", "dq", "qi"].iter().zip(&ints[3..9]) {
                    m.insert((*name).into(), b64::encode(v).into());
                }
            }
        }
        m.insert("alg".into(), self.alg.name().into());
        Ok(jwk)
    }

    /// The raw JWS signature of `msg` with this key (the JOSE form: `r || s` for ES256).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, DpopError> {
        let rng = SystemRandom::new();
        Ok(match &self.signer {
            Signer::Ec(k) => k
                .sign(&rng, msg)
                .map_err(|_| DpopError::Sign)?
                .as_ref()
                .to_vec(),
            Signer::Ed(k) => k.sign(msg).as_ref().to_vec(),
            Signer::Rsa(k) => {
                let enc: &dyn signature::RsaEncoding = if self.alg == Alg::PS256 {
                    &signature::RSA_PSS_SHA256
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(enc, &rng, msg, &mut sig)
                    .map_err(|_| DpopError::Sign)?;
                sig
            }
        })
    }

    /// A compact DPoP proof JWT: header `{"typ":"dpop+jwt","alg",…,"jwk":<public key>}`,
    /// claims `jti`, `htm`, `htu` (query and fragment dropped), `iat`, and `ath`/`nonce` when
    /// given.
    /// A proof for one request made at `now`, as a client sends it: a random 128-bit `jti`,
    /// `htu` the URL without query and fragment, `ath` when a token goes with it. The one
    /// place clients (the diagnoser's sender, the token library) make their proofs.
    pub fn fresh_proof(
        &self,
        htm: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        now: i64,
    ) -> Result<String, DpopError> {
        let htu = url.split(['?', '#']).next().unwrap_or(url);
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| DpopError::Sign)?;
        self.proof(&ProofClaims {
            htm,
            htu,
            iat: now,
            jti: &b64::encode(&jti),
            access_token,
            nonce,
        })
    }

    pub fn proof(&self, p: &ProofClaims<'_>) -> Result<String, DpopError> {
        let htu = normalize_htu(p.htu).ok_or_else(|| DpopError::InvalidHtu(p.htu.to_string()))?;
        let header = json!({"typ": DPOP_TYP, "alg": self.alg.name(), "jwk": self.public_jwk});
        let mut claims = json!({"jti": p.jti, "htm": p.htm, "htu": htu, "iat": p.iat});
        if let Some(t) = p.access_token {
            claims["ath"] = ath(t).into();
        }
        if let Some(n) = p.nonce {
            claims["nonce"] = n.into();
        }
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(claims.to_string().as_bytes())
        );
        let sig = self.sign(input.as_bytes())?;
        Ok(format!("{input}.{}", b64::encode(&sig)))
    }

    fn from_private_jwk(v: &Value) -> Result<ProofKey, DpopError> {
        let m = v
            .as_object()
            .ok_or_else(|| DpopError::KeyFormat("a JWK must be a JSON object".into()))?;
        let s = |name: &str| m.get(name).and_then(Value::as_str);
        let bin = |name: &'static str| -> Result<Vec<u8>, DpopError> {
            let v = s(name).ok_or_else(|| DpopError::KeyFormat(format!("no {name:?} member")))?;
            b64::decode(v, "key member").map_err(|e| DpopError::KeyFormat(format!("{name}: {e}")))
        };
        if s("d").is_none() {
            return Err(DpopError::NotPrivate);
        }
        match (s("kty"), s("crv")) {
            (Some("EC"), Some("P-256")) => {
                let mut point = vec![4u8];
                point.extend(bin("x")?);
                point.extend(bin("y")?);
                let k = EcdsaKeyPair::from_private_key_and_public_key(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &bin("d")?,
                    &point,
                )
                .map_err(rejected)?;
                ProofKey::from_signer(Signer::Ec(k), Alg::ES256)
            }
            (Some("OKP"), Some("Ed25519")) => {
                let k = Ed25519KeyPair::from_seed_and_public_key(&bin("d")?, &bin("x")?)
                    .map_err(rejected)?;
                ProofKey::from_signer(Signer::Ed(k), Alg::EdDSA)
            }
            (Some("RSA"), _) => {
                if s("p").is_none() {
                    return Err(DpopError::KeyUnsupported(
                        "an RSA JWK without its primes (p, q, dp, dq, qi)".into(),
                    ));
                }
                let (n, e) = (bin("n")?, bin("e")?);
                let c = KeyPairComponents {
                    public_key: PublicKeyComponents {
                        n: strip_zeros(&n),
                        e: strip_zeros(&e),
                    },
                    d: &bin("d")?[..],
                    p: &bin("p")?[..],
                    q: &bin("q")?[..],
                    dP: &bin("dp")?[..],
                    dQ: &bin("dq")?[..],
                    qInv: &bin("qi")?[..],
                };
                let k = RsaKeyPair::from_components(&c).map_err(rejected)?;
                let alg = if s("alg") == Some("PS256") {
                    Alg::PS256
                } else {
                    Alg::RS256
                };
                ProofKey::from_signer(Signer::Rsa(k), alg)
            }
            (kty, crv) => Err(DpopError::KeyUnsupported(format!(
                "kty {} crv {}",
                kty.unwrap_or("(none)"),
                crv.unwrap_or("(none)")
            ))),
        }
    }

    fn from_pem(text: &str) -> Result<ProofKey, DpopError> {
        let first = text.lines().next().unwrap_or("");
        let label = first
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
            .ok_or_else(|| DpopError::KeyFormat("malformed PEM header line".into()))?
            .to_string();
        let body: String = text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("-----END "))
            .map(str::trim)
            // RFC 1421 headers (Proc-Type, DEK-Info) mark legacy encrypted keys.
            .filter(|l| !l.is_empty())
            .collect();
        if body.contains(':') {
            return Err(DpopError::Encrypted);
        }
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| DpopError::KeyFormat(format!("PEM body: {e}")))?;
        match label.as_str() {
            "PRIVATE KEY" => ProofKey::from_pkcs8_der(&der),
            "EC PRIVATE KEY" => {
                let k = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
                    .map_err(|e| {
                        DpopError::KeyUnsupported(format!("EC PRIVATE KEY that is not P-256 ({e})"))
                    })?;
                ProofKey::from_signer(Signer::Ec(k), Alg::ES256)
            }
            "RSA PRIVATE KEY" => ProofKey::from_signer(
                Signer::Rsa(RsaKeyPair::from_der(&der).map_err(rejected)?),
                Alg::RS256,
            ),
            "ENCRYPTED PRIVATE KEY" => Err(DpopError::Encrypted),
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(DpopError::NotPrivate),
            other => Err(DpopError::KeyFormat(format!("PEM block {other:?}"))),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<ProofKey, DpopError> {
        let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
        if has(OID_RSA) {
            let k = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
            ProofKey::from_signer(Signer::Rsa(k), Alg::RS256)
        } else if has(OID_EC) {
            if !has(OID_P256) {
                return Err(DpopError::KeyUnsupported(
                    "an EC key on a curve other than P-256".into(),
                ));
            }
            let k = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map_err(rejected)?;
            ProofKey::from_signer(Signer::Ec(k), Alg::ES256)
        } else if has(OID_ED25519) {
            let k = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?;
            ProofKey::from_signer(Signer::Ed(k), Alg::EdDSA)
        } else {
            Err(DpopError::KeyUnsupported(
                "a PKCS#8 key that is not RSA, EC or Ed25519".into(),
            ))
        }
    }
}

// DER-encoded OIDs (tag and length included where a bare value would be ambiguous).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];

/// One DER TLV: (tag, contents, rest). Definite lengths only, as DER requires.
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 & 0x80 == 0 {
        (usize::from(l0), rest)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &x| a << 8 | usize::from(x));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The INTEGERs of a DER SEQUENCE, leading zero octets stripped.
fn der_ints(seq: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (tag, mut body, _) = der_tlv(seq)?;
    if tag != 0x30 {
        return None;
    }
    let mut out = Vec::new();
    while !body.is_empty() {
        let (t, v, rest) = der_tlv(body)?;
        if t != 0x02 {
            return None;
        }
        out.push(strip_zeros(v).to_vec());
        body = rest;
    }
    Some(out)
}

/// n and e of a PKCS#1 RSAPublicKey.
fn rsa_public_n_e(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), DpopError> {
    match der_ints(der).as_deref() {
        Some([n, e]) => Ok((n.clone(), e.clone())),
        _ => Err(DpopError::KeyRejected("unreadable RSA public key".into())),
    }
}

/// version, n, e, d, p, q, dp, dq, qi of the RSAPrivateKey inside a PKCS#8 PrivateKeyInfo.
fn rsa_private_ints(pkcs8: &[u8]) -> Result<Vec<Vec<u8>>, DpopError> {
    let bad = || DpopError::KeyRejected("unreadable RSA private key".into());
    let (_, info, _) = der_tlv(pkcs8).ok_or_else(bad)?;
    let (_, _version, rest) = der_tlv(info).ok_or_else(bad)?;
    let (_, _alg, rest) = der_tlv(rest).ok_or_else(bad)?;
    let (tag, inner, _) = der_tlv(rest).ok_or_else(bad)?;
    if tag != 0x04 {
        return Err(bad());
    }
    let ints = der_ints(inner).ok_or_else(bad)?;
    if ints.len() < 9 {
        return Err(bad());
    }
    Ok(ints)
}

/// `ath`: base64url(SHA-256(the ASCII access token)) (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    b64::encode(digest::digest(&digest::SHA256, access_token.as_bytes()).as_ref())
}

/// The nonce a refused request is asked to carry (RFC 9449 §8, §9): the answer is a 400 or
/// 401 that says `use_dpop_nonce` (in a challenge or an OAuth error body) and names the nonce in
/// `DPoP-Nonce`. `None` for anything else, so a client retries only what the server refused
/// unprocessed for want of a nonce.
pub fn nonce_challenge<'a>(
    status: u16,
    challenges: impl IntoIterator<Item = &'a str>,
    dpop_nonce: Option<&str>,
    body: &[u8],
) -> Option<String> {
    if !matches!(status, 400 | 401) {
        return None;
    }
    let asks = challenges.into_iter().any(|c| c.contains("use_dpop_nonce"))
        || String::from_utf8_lossy(body).contains("use_dpop_nonce");
    let n = dpop_nonce?.trim();
    (asks && !n.is_empty()).then(|| n.to_string())
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: the required members, in
/// lexicographic order, as JSON without whitespace — EC `{crv,kty,x,y}`, RSA `{e,kty,n}`, OKP
/// `{crv,kty,x}`, oct `{k,kty}`. Other members (`kid`, `alg`, private ones) do not count.
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, DpopError> {
    let m = jwk
        .as_object()
        .ok_or_else(|| DpopError::KeyFormat("a JWK must be a JSON object".into()))?;
    let kty = m
        .get("kty")
        .and_then(Value::as_str)
        .ok_or_else(|| DpopError::KeyFormat("no kty".into()))?;
    let members: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        "oct" => &["k", "kty"],
        other => return Err(DpopError::KeyUnsupported(format!("kty {other:?}"))),
    };
    let mut canon = String::from("{");
    for (i, name) in members.iter().enumerate() {
        let v = m.get(*name).and_then(Value::as_str).ok_or_else(|| {
            DpopError::KeyFormat(format!("member {name:?} missing or not a string"))
        })?;
        if i > 0 {
            canon.push(',');
        }
        // serde_json writes a string with exactly the escaping RFC 7638 §3.3 asks for.
        canon.push_str(&Value::from(*name).to_string());
        canon.push(':');
        canon.push_str(&Value::from(v).to_string());
    }
    canon.push('}');
    Ok(b64::encode(
        digest::digest(&digest::SHA256, canon.as_bytes()).as_ref(),
    ))
}

/// Normalises an `htu` or request URL for comparison (RFC 9449 §4.3; RFC 3986 §6.2.2 and
/// §6.2.3): query and fragment dropped, scheme and host lower-cased, the default port dropped,
/// dot segments removed, an empty path made `/`, percent-encoded unreserved characters decoded
/// and other percent-encodings upper-cased. `None` for anything that is not an absolute http(s)
/// URL, or that carries user information (RFC 9110 §4.2.4 forbids it in http(s) URIs).
pub fn normalize_htu(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return None;
    }
    if !u.username().is_empty() || u.password().is_some() {
        return None;
    }
    u.set_query(None);
    u.set_fragment(None);
    let path = normalize_percent(u.path());
    if path != u.path() {
        u.set_path(&path);
    }
    Some(u.into())
}

/// RFC 3986 §6.2.2.1/§6.2.2.2 on a path: `%7e` → `~`, `%2f` → `%2F`.
fn normalize_percent(path: &str) -> String {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            let c = h << 4 | l;
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(c));
            } else {
                out.push('%');
                out.push(char::from(b[i + 1].to_ascii_uppercase()));
                out.push(char::from(b[i + 2].to_ascii_uppercase()));
            }
            i += 3;
        } else {
            // Multi-byte characters are already percent-encoded by the URL parser.
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

/// A DPoP proof taken apart: its header and claims, the fields read from them, whether the
/// signature verifies with the embedded key, and every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// The decoded header (`Null` when unreadable).
    pub header: Value,
    /// The decoded claims (`Null` when unreadable).
    pub claims: Value,
    /// The header `alg`, when it is a known algorithm.
    pub alg: Option<Alg>,
    /// The RFC 7638 thumbprint of the header `jwk`, when it has the required members.
    pub jkt: Option<String>,
    /// `htm`.
    pub htm: Option<String>,
    /// `htu`, as sent.
    pub htu: Option<String>,
    /// `iat`, Unix seconds.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// `ath`.
    pub ath: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// The signature verifies with the header `jwk` under `alg`.
    pub signature_ok: bool,
    /// Every problem, in RFC 9449 §4.3 order.
    pub problems: Vec<ProofProblem>,
}

/// What a server expects of a proof for one request.
#[derive(Debug, Clone, Copy)]
pub struct ProofExpectations<'a> {
    /// The request method.
    pub htm: &'a str,
    /// The request URL as the client addressed it (normalised before comparing).
    pub htu: &'a str,
    /// The verifier's clock, Unix seconds.
    pub now: i64,
    /// The oldest accepted `iat` is `now - max_age_secs`.
    pub max_age_secs: i64,
    /// The newest accepted `iat` is `now + max_future_secs`.
    pub max_future_secs: i64,
    /// The access token presented with the proof: `ath` must be its hash.
    pub access_token: Option<&'a str>,
    /// The token's `cnf.jkt`: the proof key's thumbprint must equal it.
    pub jkt: Option<&'a str>,
    /// The nonce the server requires, exactly.
    pub nonce: Option<&'a str>,
    /// Accepted algorithms; empty accepts every supported asymmetric one.
    pub algs: &'a [Alg],
}

/// Parses a proof without trusting it: never fails, lists every problem it can see without
/// knowing the request (typ, alg, jwk, signature, claims, htu shape).
pub fn inspect_proof(compact: &str) -> Proof {
    parse(compact, false)
}

/// Verifies a proof for one request, refusing on the first problem, in the order of RFC 9449
/// §4.3: a well-formed JWT, the required claims, `typ`, an allowed asymmetric `alg`, the
/// signature with the embedded public key (which must hold no private members), `htm`, `htu`,
/// `nonce`, `iat` within the window, `ath`, and the key binding. `jti` uniqueness is the
/// caller's (it needs state).
pub fn verify_proof(compact: &str, expect: &ProofExpectations<'_>) -> Result<Proof, DpopError> {
    if compact.len() > MAX_PROOF_LEN {
        return Err(DpopError::TooLarge(compact.len()));
    }
    let mut proof = parse(compact, true);
    if let Some(first) = proof.problems.pop() {
        return Err(DpopError::Proof(first));
    }
    let alg = proof.alg.expect("a proof without problems has an alg");
    if !expect.algs.is_empty() && !expect.algs.contains(&alg) {
        return Err(DpopError::AlgNotAllowed(alg));
    }
    let htm = proof.htm.as_deref().unwrap_or_default();
    if htm != expect.htm {
        return Err(DpopError::HtmMismatch {
            expected: expect.htm.to_string(),
            found: htm.to_string(),
        });
    }
    let htu = proof.htu.as_deref().unwrap_or_default();
    let found = normalize_htu(htu);
    let expected = normalize_htu(expect.htu);
    if found.is_none() || found != expected {
        return Err(DpopError::HtuMismatch {
            expected: expected.unwrap_or_else(|| expect.htu.to_string()),
            found: found.unwrap_or_else(|| htu.to_string()),
        });
    }
    if let Some(want) = expect.nonce {
        match proof.nonce.as_deref() {
            None => return Err(DpopError::NonceMissing),
            Some(n) if n != want => return Err(DpopError::NonceMismatch),
            Some(_) => {}
        }
    }
    let iat = proof.iat.expect("a proof without problems has an iat");
    if iat < expect.now.saturating_sub(expect.max_age_secs) {
        return Err(DpopError::IatTooOld {
            iat,
            now: expect.now,
            max_age: expect.max_age_secs,
        });
    }
    if iat > expect.now.saturating_add(expect.max_future_secs) {
        return Err(DpopError::IatInFuture {
            iat,
            now: expect.now,
            max_future: expect.max_future_secs,
        });
    }
    if let Some(token) = expect.access_token {
        match proof.ath.as_deref() {
            None => return Err(DpopError::AthMissing),
            Some(a) if a != ath(token) => return Err(DpopError::AthMismatch),
            Some(_) => {}
        }
    }
    if let Some(want) = expect.jkt {
        let jkt = proof.jkt.as_deref().unwrap_or_default();
        if jkt != want {
            return Err(DpopError::JktMismatch {
                expected: want.to_string(),
                found: jkt.to_string(),
            });
        }
    }
    Ok(proof)
}

/// The shared parser. `strict` stops at the first problem (returned as `Err` with that one
/// problem); otherwise it goes as far as it can and the result is always `Err` when anything
/// was found — `inspect_proof` does not care which.
fn parse(compact: &str, strict: bool) -> Proof {
    let mut p = Proof {
        header: Value::Null,
        claims: Value::Null,
        alg: None,
        jkt: None,
        htm: None,
        htu: None,
        iat: None,
        jti: None,
        ath: None,
        nonce: None,
        signature_ok: false,
        problems: Vec::new(),
    };
    macro_rules! problem {
        ($x:expr) => {{
            p.problems.push($x);
            if strict {
                return p;
            }
        }};
    }
    let parts = match verify::split_compact(compact) {
        Ok(parts) => parts,
        Err(_) => {
            // Show what can be read, for a diagnoser, even when the whole is not a JWT.
            let mut segs = compact.trim().split('.');
            p.header = segs
                .next()
                .and_then(|s| b64::decode(s, "header").ok())
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or(Value::Null);
            p.problems.push(ProofProblem::NotAJwt);
            return p;
        }
    };
    let header = &parts.header;
    p.header = Value::Object(header.clone());
    let claims: Option<Map<String, Value>> = serde_json::from_slice(&parts.payload).ok();
    let Some(claims) = claims else {
        p.problems.push(ProofProblem::NotAJwt);
        return p;
    };
    p.claims = Value::Object(claims.clone());

    // Claims (RFC 9449 §4.3 check 3: all required claims are present).
    let str_claim = |name: &'static str| -> Result<Option<String>, ProofProblem> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ProofProblem::InvalidClaim(name)),
        }
    };
    for name in ["jti", "htm", "htu"] {
        match str_claim(name) {
            Ok(Some(v)) => {
                if name == "jti" && v.is_empty() {
                    problem!(ProofProblem::InvalidClaim("jti"));
                }
                match name {
                    "jti" => p.jti = Some(v),
                    "htm" => p.htm = Some(v),
                    _ => p.htu = Some(v),
                }
            }
            Ok(None) => problem!(ProofProblem::MissingClaim(name)),
            Err(e) => problem!(e),
        }
    }
    match claims.get("iat") {
        None => problem!(ProofProblem::MissingClaim("iat")),
        Some(Value::Number(n)) => match n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64))
        {
            Some(t) => p.iat = Some(t),
            None => problem!(ProofProblem::InvalidClaim("iat")),
        },
        Some(_) => problem!(ProofProblem::InvalidClaim("iat")),
    }
    for name in ["ath", "nonce"] {
        match str_claim(name) {
            Ok(v) if name == "ath" => p.ath = v,
            Ok(v) => p.nonce = v,
            Err(e) => problem!(e),
        }
    }
    if let Some(htu) = &p.htu
        && (normalize_htu(htu).is_none() || htu.contains('?') || htu.contains('#'))
    {
        problem!(ProofProblem::HtuInvalid);
    }

    // Header: typ (§4.3 check 4), alg (check 5), crit.
    let typ = header.get("typ").and_then(Value::as_str);
    // A media type: case-insensitive, and `application/` may be omitted (RFC 7515 §4.1.9).
    let is_dpop = |t: &str| {
        let t = t.to_ascii_lowercase();
        t.strip_prefix("application/").unwrap_or(&t) == DPOP_TYP
    };
    if !typ.is_some_and(is_dpop) {
        problem!(ProofProblem::TypNotDpop);
    }
    let alg = match header.get("alg").and_then(Value::as_str) {
        None => {
            problem!(ProofProblem::NoAlg);
            None
        }
        Some(n) if n.eq_ignore_ascii_case("none") => {
            problem!(ProofProblem::AlgNone);
            None
        }
        Some(n) => match Alg::from_name(n) {
            None => {
                problem!(ProofProblem::AlgUnknown);
                None
            }
            Some(a) if a.is_hmac() => {
                problem!(ProofProblem::AlgSymmetric);
                None
            }
            Some(a) => Some(a),
        },
    };
    p.alg = alg;
    if header.contains_key("crit") {
        problem!(ProofProblem::CritUnsupported);
    }

    // The key (§4.3 checks 6 and 7): a public JWK, which verifies the signature.
    let jwk_value = match header.get("jwk") {
        Some(v @ Value::Object(_)) => v,
        _ => {
            problem!(ProofProblem::NoJwk);
            return p;
        }
    };
    p.jkt = jwk_thumbprint(jwk_value).ok();
    let jwk_obj = jwk_value.as_object().expect("matched an object");
    if PRIVATE_MEMBERS.iter().any(|m| jwk_obj.contains_key(*m)) {
        problem!(ProofProblem::JwkHasPrivateMembers);
    }
    let jwk = match Jwk::from_value(jwk_value) {
        Ok(k) => Some(k),
        Err(_) => {
            problem!(ProofProblem::JwkInvalid);
            None
        }
    };
    if let (Some(jwk), Some(alg)) = (jwk, alg) {
        match verify::check_signature(&parts, alg, &jwk) {
            Ok(_) => p.signature_ok = true,
            Err(JoseError::SignatureMismatch { .. }) => problem!(ProofProblem::SignatureInvalid),
            Err(_) => problem!(ProofProblem::JwkInvalid),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims<'a>(token: Option<&'a str>) -> ProofClaims<'a> {
        ProofClaims {
            htm: "GET",
            htu: "https://api.example/v1/orders",
            iat: NOW,
            jti: "e1j3V_bKic8-LAEB",
            access_token: token,
            nonce: None,
        }
    }

    fn expect<'a>(token: Option<&'a str>, jkt: Option<&'a str>) -> ProofExpectations<'a> {
        ProofExpectations {
            htm: "GET",
            htu: "https://API.example:443/v1/orders?x=1",
            now: NOW,
            max_age_secs: 60,
            max_future_secs: 5,
            access_token: token,
            jkt,
            nonce: None,
            algs: &[],
        }
    }

    #[test]
    fn rfc7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert!(jwk_thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": "a"})).is_err());
    }

    #[test]
    fn rfc9449_examples() {
        // RFC 9449 §7.1: the access token of Figure 12 and the ath of its proof.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
        // RFC 9449 §4.1: the public key of the example proofs and its thumbprint (the cnf.jkt
        // of §6.1's example token).
        let jwk = json!({
            "kty": "EC",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
            "crv": "P-256"
        });
        assert_eq!(
            jwk_thumbprint(&jwk).unwrap(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        // RFC 9449 §4.1: the example proof for the token request, signed by that key.
        let proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
        let p = inspect_proof(proof);
        assert_eq!(p.problems, vec![], "{p:?}");
        assert!(p.signature_ok);
        assert_eq!(
            p.jkt.as_deref(),
            Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        );
        let expect = ProofExpectations {
            htm: "POST",
            htu: "https://server.example.com/token",
            now: 1_562_262_616,
            max_age_secs: 60,
            max_future_secs: 5,
            access_token: None,
            jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
            nonce: None,
            algs: &[Alg::ES256],
        };
        assert_eq!(
            verify_proof(proof, &expect).unwrap().jti.as_deref(),
            Some("-BwC3ESc6acc2lTc")
        );
    }

    #[test]
    fn htu_normalisation() {
        let n = |s: &str| normalize_htu(s);
        assert_eq!(
            n("HTTPS://Server.Example.COM:443/a/./b/../c?q=1#f").as_deref(),
            Some("https://server.example.com/a/c")
        );
        assert_eq!(n("http://h:80").as_deref(), Some("http://h/"));
        assert_eq!(n("http://h:8080/").as_deref(), Some("http://h:8080/"));
        assert_eq!(
            n("https://h/%7euser/%2f").as_deref(),
            Some("https://h/~user/%2F")
        );
        assert_eq!(n("ftp://h/"), None);
        assert_eq!(n("/relative"), None);
        assert_eq!(n("https://user:pw@h/"), None);
    }

    #[test]
    fn sign_verify_round_trip_every_key_kind() {
        for alg in [Alg::ES256, Alg::EdDSA, Alg::RS256, Alg::PS256] {
            let key = ProofKey::generate(alg).unwrap();
            assert_eq!(key.alg(), alg);
            let jkt = key.thumbprint();
            let proof = key.proof(&claims(Some("tok"))).unwrap();
            let ok = verify_proof(&proof, &expect(Some("tok"), Some(&jkt)))
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            assert!(ok.signature_ok);
            assert_eq!(ok.jkt.as_deref(), Some(jkt.as_str()));
            assert_eq!(ok.htu.as_deref(), Some("https://api.example/v1/orders"));
            // The private JWK loads back into the same key.
            let back = ProofKey::load(key.private_jwk().unwrap().to_string().as_bytes()).unwrap();
            assert_eq!(back.thumbprint(), jkt, "{alg}");
            assert_eq!(back.alg(), alg);
            // The public JWK has no private members.
            let pubk = key.public_jwk();
            assert!(PRIVATE_MEMBERS.iter().all(|m| pubk.get(m).is_none()));
            // A public JWK is not a proof key.
            assert_eq!(
                ProofKey::load(pubk.to_string().as_bytes()).unwrap_err(),
                DpopError::NotPrivate
            );
        }
    }

    fn pem(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn loads_pem_formats() {
        // PKCS#8 for each kind.
        let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let ec8 = ec.to_pkcs8v1().unwrap();
        let k = ProofKey::load(pem("PRIVATE KEY", ec8.as_ref()).as_bytes()).unwrap();
        assert_eq!(k.alg(), Alg::ES256);
        // SEC1 EC PRIVATE KEY.
        let sec1 = ec.private_key().as_der().unwrap();
        let k2 = ProofKey::load(pem("EC PRIVATE KEY", sec1.as_ref()).as_bytes()).unwrap();
        assert_eq!(k2.thumbprint(), k.thumbprint());
        // Raw PKCS#8 DER.
        assert_eq!(
            ProofKey::load(ec8.as_ref()).unwrap().thumbprint(),
            k.thumbprint()
        );
        let ed = Ed25519KeyPair::generate().unwrap();
        let k =
            ProofKey::load(pem("PRIVATE KEY", ed.to_pkcs8().unwrap().as_ref()).as_bytes()).unwrap();
        assert_eq!(k.alg(), Alg::EdDSA);
        let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let r8 = rsa.as_der().unwrap();
        let k = ProofKey::load(pem("PRIVATE KEY", r8.as_ref()).as_bytes()).unwrap();
        assert_eq!(k.alg(), Alg::RS256);
        // PKCS#1 RSA PRIVATE KEY: the inner structure of the PKCS#8 document.
        let (_, info, _) = der_tlv(r8.as_ref()).unwrap();
        let (_, _, rest) = der_tlv(info).unwrap();
        let (_, _, rest) = der_tlv(rest).unwrap();
        let (_, pkcs1, _) = der_tlv(rest).unwrap();
        let k1 = ProofKey::load(pem("RSA PRIVATE KEY", pkcs1).as_bytes()).unwrap();
        assert_eq!(k1.thumbprint(), k.thumbprint());
        // Refusals.
        assert_eq!(
            ProofKey::load(pem("ENCRYPTED PRIVATE KEY", b"x").as_bytes()).unwrap_err(),
            DpopError::Encrypted
        );
        assert_eq!(
            ProofKey::load(pem("PUBLIC KEY", b"x").as_bytes()).unwrap_err(),
            DpopError::NotPrivate
        );
        assert_eq!(ProofKey::load(b"hello").unwrap_err().code(), "key-format");
    }

    /// A proof with a hand-made header and claims, signed by `key` (whatever the header says).
    fn forge(key: &ProofKey, header: Value, claims: Value) -> String {
        let input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(claims.to_string().as_bytes())
        );
        format!(
            "{input}.{}",
            b64::encode(&key.sign(input.as_bytes()).unwrap())
        )
    }

    #[test]
    fn every_proof_problem() {
        let key = ProofKey::generate_es256().unwrap();
        let hdr = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()});
        let cl =
            json!({"jti": "j", "htm": "GET", "htu": "https://api.example/v1/orders", "iat": NOW});
        let first = |t: &str| inspect_proof(t).problems.first().cloned();
        assert_eq!(
            inspect_proof(&forge(&key, hdr.clone(), cl.clone())).problems,
            vec![]
        );

        assert_eq!(first("a.b"), Some(ProofProblem::NotAJwt));
        assert_eq!(first("e30.bm90IGpzb24.AA"), Some(ProofProblem::NotAJwt));
        let mut h = hdr.clone();
        h.as_object_mut().unwrap().remove("typ");
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::TypNotDpop)
        );
        let mut h = hdr.clone();
        h["typ"] = "JWT".into();
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::TypNotDpop)
        );
        let mut h = hdr.clone();
        h["typ"] = "application/DPoP+JWT".into();
        assert_eq!(first(&forge(&key, h, cl.clone())), None);
        let mut h = hdr.clone();
        h.as_object_mut().unwrap().remove("alg");
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::NoAlg)
        );
        let mut h = hdr.clone();
        h["alg"] = "none".into();
        let t = forge(&key, h, cl.clone());
        assert_eq!(first(&t), Some(ProofProblem::AlgNone));
        let (si, _) = t.rsplit_once('.').unwrap();
        assert_eq!(first(&format!("{si}.")), Some(ProofProblem::AlgNone));
        let mut h = hdr.clone();
        h["alg"] = "HS256".into();
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::AlgSymmetric)
        );
        let mut h = hdr.clone();
        h["alg"] = "ES999".into();
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::AlgUnknown)
        );
        let mut h = hdr.clone();
        h["crit"] = json!(["x"]);
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::CritUnsupported)
        );
        let mut h = hdr.clone();
        h.as_object_mut().unwrap().remove("jwk");
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::NoJwk)
        );
        let mut h = hdr.clone();
        h["jwk"] = key.private_jwk().unwrap();
        h["jwk"].as_object_mut().unwrap().remove("alg");
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::JwkHasPrivateMembers)
        );
        let mut h = hdr.clone();
        h["jwk"]["x"] = "AAAA".into();
        assert_eq!(
            first(&forge(&key, h, cl.clone())),
            Some(ProofProblem::JwkInvalid)
        );
        let other = ProofKey::generate_es256().unwrap();
        let mut h = hdr.clone();
        h["jwk"] = other.public_jwk();
        let p = inspect_proof(&forge(&key, h, cl.clone()));
        assert_eq!(p.problems, vec![ProofProblem::SignatureInvalid]);
        assert!(!p.signature_ok);
        for name in ["jti", "htm", "htu", "iat"] {
            let mut c = cl.clone();
            c.as_object_mut().unwrap().remove(name);
            assert_eq!(
                inspect_proof(&forge(&key, hdr.clone(), c)).problems,
                vec![ProofProblem::MissingClaim(name)]
            );
        }
        let mut c = cl.clone();
        c["iat"] = "now".into();
        assert_eq!(
            first(&forge(&key, hdr.clone(), c)),
            Some(ProofProblem::InvalidClaim("iat"))
        );
        let mut c = cl.clone();
        c["jti"] = "".into();
        assert_eq!(
            first(&forge(&key, hdr.clone(), c)),
            Some(ProofProblem::InvalidClaim("jti"))
        );
        let mut c = cl.clone();
        c["htu"] = "https://api.example/v1/orders?id=1".into();
        assert_eq!(
            first(&forge(&key, hdr.clone(), c)),
            Some(ProofProblem::HtuInvalid)
        );

        // inspect lists every problem at once.
        let p = inspect_proof(&forge(
            &key,
            json!({"alg": "HS256", "jwk": key.private_jwk().unwrap()}),
            json!({"htm": "GET"}),
        ));
        for want in [
            ProofProblem::MissingClaim("jti"),
            ProofProblem::MissingClaim("htu"),
            ProofProblem::MissingClaim("iat"),
            ProofProblem::TypNotDpop,
            ProofProblem::AlgSymmetric,
            ProofProblem::JwkHasPrivateMembers,
        ] {
            assert!(p.problems.contains(&want), "{want:?} in {:?}", p.problems);
        }
    }

    #[test]
    fn verify_refusals() {
        let key = ProofKey::generate_es256().unwrap();
        let jkt = key.thumbprint();
        let good = key.proof(&claims(Some("tok"))).unwrap();
        let e = expect(Some("tok"), Some(&jkt));
        assert!(verify_proof(&good, &e).is_ok());
        let code = |t: &str, e: &ProofExpectations<'_>| verify_proof(t, e).unwrap_err().code();
        assert_eq!(
            code(&good, &ProofExpectations { htm: "POST", ..e }),
            "htm-mismatch"
        );
        assert_eq!(
            code(
                &good,
                &ProofExpectations {
                    htu: "https://api.example/v1/other",
                    ..e
                }
            ),
            "htu-mismatch"
        );
        assert_eq!(
            code(&good, &ProofExpectations { now: NOW + 61, ..e }),
            "iat-too-old"
        );
        assert_eq!(
            code(&good, &ProofExpectations { now: NOW - 6, ..e }),
            "iat-in-future"
        );
        assert_eq!(
            code(
                &good,
                &ProofExpectations {
                    access_token: Some("other"),
                    ..e
                }
            ),
            "ath-mismatch"
        );
        let no_ath = key.proof(&claims(None)).unwrap();
        assert_eq!(code(&no_ath, &e), "ath-missing");
        assert_eq!(
            code(
                &good,
                &ProofExpectations {
                    jkt: Some("x"),
                    ..e
                }
            ),
            "jkt-mismatch"
        );
        assert_eq!(
            code(
                &good,
                &ProofExpectations {
                    nonce: Some("n"),
                    ..e
                }
            ),
            "nonce-missing"
        );
        let with_nonce = key
            .proof(&ProofClaims {
                nonce: Some("m"),
                ..claims(Some("tok"))
            })
            .unwrap();
        assert_eq!(
            code(
                &with_nonce,
                &ProofExpectations {
                    nonce: Some("n"),
                    ..e
                }
            ),
            "nonce-mismatch"
        );
        assert!(
            verify_proof(
                &with_nonce,
                &ProofExpectations {
                    nonce: Some("m"),
                    ..e
                }
            )
            .is_ok()
        );
        assert_eq!(
            code(
                &good,
                &ProofExpectations {
                    algs: &[Alg::EdDSA],
                    ..e
                }
            ),
            "alg-not-allowed"
        );
        assert_eq!(code(&"a".repeat(MAX_PROOF_LEN + 1), &e), "proof-too-large");
        assert_eq!(code("x.y.z", &e), "not-a-jwt");
        // A tampered payload no longer verifies.
        let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
        let mut c: Value = serde_json::from_slice(&b64::decode(&parts[1], "p").unwrap()).unwrap();
        c["htm"] = "POST".into();
        parts[1] = b64::encode(c.to_string().as_bytes());
        assert_eq!(
            code(&parts.join("."), &ProofExpectations { htm: "POST", ..e }),
            "signature-invalid"
        );
    }
}
