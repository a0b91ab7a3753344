//! Typed outcomes: why a request was refused (`Rejection`, with its RFC 6750 status, error code
//! and description), why a key was unusable (`KeyError`), and why the guard could not be built or
//! could not fetch keys (`GuardError`).
//!
//! A rejection's `Display` is the `error_description` the client sees (when descriptions are
//! on) and `reason()` the stable id logged with `tracing`. Neither ever contains the token.

use http::StatusCode;

use crate::jws::Algorithm;

/// Which structural part of a token is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Malformed {
    Segments,
    Header,
    HeaderBase64,
    HeaderJson,
    Signature,
    SignatureBase64,
    PayloadBase64,
    ClaimsJson,
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Malformed::Segments => "expected three dot-separated segments (compact JWS)",
            Malformed::Header => "the header segment is empty",
            Malformed::HeaderBase64 => "the header is not strict base64url",
            Malformed::HeaderJson => "the header is not a JSON object with a string alg",
            Malformed::Signature => "the signature segment is empty",
            Malformed::SignatureBase64 => "the signature is not strict base64url",
            Malformed::PayloadBase64 => "the payload is not strict base64url",
            Malformed::ClaimsJson => "the payload is not a JSON claims object",
        })
    }
}

/// Why a request was refused. Each maps to one HTTP status and RFC 6750 error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No bearer credential at all: 401 with a bare challenge (RFC 6750 §3.1).
    #[error("no bearer token was sent")]
    Missing,
    /// The Authorization header is not `Bearer <b64token>`: 401 `invalid_request`.
    #[error("malformed Authorization header: {0}")]
    MalformedHeader(&'static str),
    /// The token is longer than the configured limit.
    #[error("the token is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The decoded JOSE header is longer than the configured limit.
    #[error("the token header is over the limit of {limit} bytes")]
    HeaderTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Not a well-formed compact JWS / JWT.
    #[error("malformed token: {0}")]
    Malformed(Malformed),
    /// `alg: none`: never accepted.
    #[error("unsigned tokens (alg none) are not accepted")]
    AlgNone,
    /// An algorithm the guard does not implement.
    #[error("signing algorithm {0} is not supported")]
    UnsupportedAlg(String),
    /// The algorithm is not allowed by configuration or for the key the token names.
    #[error("signing algorithm {alg} is not accepted{}", kid.as_ref().map(|k| format!(" for key {k}")).unwrap_or_default())]
    AlgNotAllowed {
        /// The token's algorithm.
        alg: Algorithm,
        /// The key it named, if any.
        kid: Option<String>,
    },
    /// A `crit` header parameter the guard does not implement (RFC 7515 §4.1.11).
    #[error("critical header parameter {0} is not supported")]
    UnknownCrit(String),
    /// No trusted key matches the token's `kid` (or, without a `kid`, no single key fits).
    #[error("{}", match kid { Some(k) => format!("signing key {k} not found at the issuer"), None => "the token has no kid and no single signing key fits".to_owned() })]
    KeyNotFound {
        /// The `kid` the token named.
        kid: Option<String>,
    },
    /// The signature does not verify.
    #[error("signature invalid")]
    SignatureInvalid,
    /// The header `typ` is not the accepted one (RFC 9068 `at+jwt`).
    #[error("token type {} is not accepted, expected {expected}", found.as_deref().unwrap_or("(none)"))]
    WrongType {
        /// The `typ` found.
        found: Option<String>,
        /// The accepted type.
        expected: String,
    },
    /// `exp` is past (with leeway).
    #[error("the access token expired at {} ({}s ago)", fmt_time(*exp), now - exp)]
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The guard's clock.
        now: i64,
    },
    /// `nbf` is in the future (with leeway).
    #[error("the access token is not valid before {} (in {}s)", fmt_time(*nbf), nbf - now)]
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The guard's clock.
        now: i64,
    },
    /// `iat` is in the future (with leeway).
    #[error("the access token was issued in the future, at {} (in {}s)", fmt_time(*iat), iat - now)]
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The guard's clock.
        now: i64,
    },
    /// A required claim is absent.
    #[error("required claim {0} is missing")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type.
    #[error("claim {0} has the wrong type")]
    InvalidClaim(&'static str),
    /// `iss` is not the trusted issuer.
    #[error("issuer {} is not accepted", found.as_deref().unwrap_or("(none)"))]
    IssuerMismatch {
        /// The `iss` found.
        found: Option<String>,
    },
    /// No `aud` value is one this API accepts.
    #[error("audience {} not accepted", if found.is_empty() { "(none)".to_owned() } else { found.join(" ") })]
    AudienceMismatch {
        /// The `aud` values found.
        found: Vec<String>,
    },
    /// The token is valid but lacks a scope the route needs: 403 `insufficient_scope`.
    #[error("the token lacks the scope this resource requires: {required}")]
    InsufficientScope {
        /// The scopes required (space-separated).
        required: String,
    },
    /// No keys could be fetched and none are cached: 503, the token was not judged.
    #[error("the signing keys are unavailable")]
    KeysUnavailable,
    /// The DPoP proof is invalid (RFC 9449 §7.1: 401 `invalid_dpop_proof`).
    #[error("invalid DPoP proof: {0}")]
    DpopProof(authdoctor_jose::dpop::DpopError),
    /// The `DPoP` header is missing, repeated, too long or not ASCII: 401 `invalid_dpop_proof`.
    #[error("invalid DPoP proof: {0}")]
    DpopHeader(&'static str),
    /// The proof's `jti` was seen before within its window: 401 `invalid_dpop_proof`.
    #[error("invalid DPoP proof: this proof (jti) was already used")]
    DpopReplay,
    /// The replay cache is full of live proofs: 503, the request was not judged.
    #[error("too many DPoP proofs in flight; retry shortly")]
    DpopReplayCacheFull,
    /// The proof has no nonce, or a stale one: 401 `use_dpop_nonce` with a `DPoP-Nonce`.
    #[error("the resource server requires a fresh nonce in the DPoP proof")]
    UseDpopNonce,
    /// The proof key is not the key in the token's `cnf.jkt`: 401 `invalid_token`.
    #[error("invalid DPoP key binding: the proof key is not the key the token is bound to")]
    DpopKeyMismatch,
    /// The DPoP scheme with a token that has no `cnf.jkt`: 401 `invalid_token`.
    #[error("the access token is not DPoP-bound (no cnf.jkt) but was sent with the DPoP scheme")]
    TokenNotDpopBound,
    /// A DPoP-bound token (`cnf.jkt`) sent with the Bearer scheme (RFC 9449 §7.2).
    #[error("the access token is DPoP-bound; send it with the DPoP scheme and a proof")]
    BoundTokenAsBearer,
    /// A certificate-bound token (`cnf.x5t#S256`) on a connection without a client certificate.
    #[error("the access token is bound to a client certificate and none was presented")]
    CertificateMissing,
    /// The client certificate is not the one the token is bound to (RFC 8705 §3).
    #[error("the client certificate is not the one the access token is bound to")]
    CertificateMismatch,
}

impl Rejection {
    /// The HTTP status: 401, 403 for insufficient scope, 503 when keys are unavailable.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Rejection::KeysUnavailable | Rejection::DpopReplayCacheFull => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            // RFC 9449 §7.1: at a resource server every DPoP failure is a 401 with the DPoP
            // challenge (the 400 `invalid_dpop_proof` of §5 is the token endpoint's).
            _ => StatusCode::UNAUTHORIZED,
        }
    }

    /// The RFC 6750 §3.1 error code, `None` when no credential was sent.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Rejection::Missing | Rejection::KeysUnavailable | Rejection::DpopReplayCacheFull => {
                None
            }
            Rejection::MalformedHeader(_) => Some("invalid_request"),
            Rejection::DpopProof(_) | Rejection::DpopHeader(_) | Rejection::DpopReplay => {
                Some("invalid_dpop_proof")
            }
            Rejection::UseDpopNonce => Some("use_dpop_nonce"),
            Rejection::InsufficientScope { .. } => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }

    /// A stable, short id for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Missing => "missing",
            Rejection::MalformedHeader(_) => "malformed_header",
            Rejection::TooLarge { .. } => "token_too_large",
            Rejection::HeaderTooLarge { .. } => "header_too_large",
            Rejection::Malformed(_) => "malformed_token",
            Rejection::AlgNone => "alg_none",
            Rejection::UnsupportedAlg(_) => "unsupported_alg",
            Rejection::AlgNotAllowed { .. } => "alg_not_allowed",
            Rejection::UnknownCrit(_) => "unknown_crit",
            Rejection::KeyNotFound { .. } => "key_not_found",
            Rejection::SignatureInvalid => "signature_invalid",
            Rejection::WrongType { .. } => "wrong_typ",
            Rejection::Expired { .. } => "expired",
            Rejection::NotYetValid { .. } => "not_yet_valid",
            Rejection::IssuedInFuture { .. } => "issued_in_future",
            Rejection::MissingClaim(_) => "missing_claim",
            Rejection::InvalidClaim(_) => "invalid_claim",
            Rejection::IssuerMismatch { .. } => "issuer_mismatch",
            Rejection::AudienceMismatch { .. } => "audience_mismatch",
            Rejection::InsufficientScope { .. } => "insufficient_scope",
            Rejection::KeysUnavailable => "keys_unavailable",
            Rejection::DpopProof(_) => "dpop_proof_invalid",
            Rejection::DpopHeader(_) => "dpop_header_malformed",
            Rejection::DpopReplay => "dpop_replay",
            Rejection::DpopReplayCacheFull => "dpop_replay_cache_full",
            Rejection::UseDpopNonce => "dpop_nonce_required",
            Rejection::DpopKeyMismatch => "dpop_key_mismatch",
            Rejection::TokenNotDpopBound => "token_not_dpop_bound",
            Rejection::BoundTokenAsBearer => "bound_token_as_bearer",
            Rejection::CertificateMissing => "certificate_missing",
            Rejection::CertificateMismatch => "certificate_mismatch",
        }
    }

    /// Whether this is about DPoP (so its challenge is the DPoP one whatever the scheme).
    pub fn is_dpop(&self) -> bool {
        matches!(
            self,
            Rejection::DpopProof(_)
                | Rejection::DpopHeader(_)
                | Rejection::DpopReplay
                | Rejection::UseDpopNonce
                | Rejection::DpopKeyMismatch
                | Rejection::TokenNotDpopBound
        )
    }
}

/// Why a JWK could not become a verification key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A member the key type needs is absent.
    #[error("JWK member `{0}` is missing")]
    Missing(&'static str),
    /// Bad encoding or a key aws-lc refuses (e.g. RSA under 2048 bits, point not on the curve).
    #[error("invalid key: {0}")]
    Invalid(String),
    /// A key type, curve or algorithm the guard does not implement.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The JWK's `alg` contradicts its `kty`/`crv`.
    #[error("algorithm does not fit the key: {0}")]
    AlgMismatch(String),
    /// `use`/`key_ops` say the key is not for verifying signatures.
    #[error("key is not for signatures: {0}")]
    NotForSignatures(String),
}

impl From<authdoctor_jose::JoseError> for KeyError {
    fn from(e: authdoctor_jose::JoseError) -> Self {
        use authdoctor_jose::JoseError as J;
        match e {
            J::BadKey(r) => KeyError::Invalid(r),
            J::KeyNotForSigning(r) => KeyError::NotForSignatures(r),
            J::KeyAlgMismatch { .. } | J::KeyCannotProduce { .. } => {
                KeyError::AlgMismatch(e.to_string())
            }
            J::AlgUnsupported(a) => KeyError::Unsupported(format!("alg={a}")),
            other => KeyError::Invalid(other.to_string()),
        }
    }
}

/// Why the guard could not be configured or could not obtain keys.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The configuration is unusable (e.g. no key source, empty audience list).
    #[error("invalid guard configuration: {0}")]
    Config(String),
    /// A key given directly was refused.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Discovery or JWKS fetch failed.
    #[error("fetching {url} failed: {detail}")]
    Fetch {
        /// The URL fetched.
        url: String,
        /// What went wrong.
        detail: String,
    },
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (proleptic Gregorian, UTC), without a date crate.
pub fn fmt_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_unix_time() {
        assert_eq!(fmt_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_time(1_795_347_235), "2026-11-22T11:33:55Z");
        assert_eq!(fmt_time(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn statuses_and_codes() {
        assert_eq!(Rejection::Missing.error_code(), None);
        assert_eq!(
            Rejection::InsufficientScope {
                required: "a".into()
            }
            .status(),
            403
        );
        assert_eq!(
            Rejection::MalformedHeader("x").error_code(),
            Some("invalid_request")
        );
        assert_eq!(
            Rejection::SignatureInvalid.error_code(),
            Some("invalid_token")
        );
    }
}
