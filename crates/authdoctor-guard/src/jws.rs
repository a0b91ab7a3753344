//! JWS compact serialisation: strict splitting and base64url decoding, the protected header read
//! once, and the signature checked with a pinned, pre-parsed key.
//!
//! This module owns everything about a token up to "these payload bytes were signed by this key";
//! it knows nothing about claims. The Wycheproof and JOSE-cookbook vectors test it directly,
//! because their payloads are not JWT claim sets.

use std::borrow::Cow;
use std::sync::Arc;

use authdoctor_jose::b64;
use serde::Deserialize;

use crate::error::{Malformed, Rejection};
use crate::jwk::{KeySet, VerifyKey};

/// The JWS algorithms the guard verifies: `authdoctor_jose`'s table (names, key types, curves,
/// signature sizes), shared with the diagnoser. Anything else, `none` included, is refused by name.
pub use authdoctor_jose::Alg as Algorithm;

/// Limits applied before any decoding, so a hostile token costs bounded work.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest accepted compact token, in bytes (default 8 KiB).
    pub max_token_len: usize,
    /// Longest accepted protected header after base64url decoding (default 2 KiB).
    pub max_header_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_token_len: 8 * 1024,
            max_header_len: 2 * 1024,
        }
    }
}

/// What the caller wants checked in the protected header besides the signature.
#[derive(Clone, Debug, Default)]
pub struct HeaderPolicy {
    /// Algorithms accepted at all (intersected with what each key allows). Empty: all supported.
    pub allowed_algs: Vec<Algorithm>,
    /// Accepted `typ` values, compared case-insensitively with an optional `application/`
    /// prefix (RFC 9068 §4). Empty: `typ` is not checked.
    pub typ: Vec<String>,
}

/// The verified outcome of a compact JWS: which key and algorithm, and the payload bytes.
#[derive(Clone, Debug)]
pub struct VerifiedJws {
    /// The algorithm named in the header (and allowed for the key).
    pub alg: Algorithm,
    /// The `kid` of the key that verified the signature, if the key has one.
    pub kid: Option<Arc<str>>,
    /// The decoded payload.
    pub payload: Vec<u8>,
}

/// The protected header fields the guard acts on. `jku`, `x5u`, `jwk` and `x5c` are never read:
/// keys come only from the configured key set, so a token cannot name its own key.
#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow, default)]
    kid: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    typ: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    crit: Option<Vec<Cow<'a, str>>>,
}

// Stack buffers: the header and signature of every accepted token fit, and decoding into them
// saves two allocations per request.
const MAX_SIG: usize = 1024; // RSA-8192
const HEADER_BUF: usize = 4096;

/// Splits, decodes and verifies a compact JWS against `keys`.
///
/// Single pass: the header is decoded and deserialised once (borrowing from a stack buffer), the
/// key is looked up by `kid`, the signature is checked over the bytes as received, and only then
/// is the payload decoded.
pub fn verify_compact(
    token: &str,
    keys: &KeySet,
    policy: &HeaderPolicy,
    limits: &Limits,
) -> Result<VerifiedJws, Rejection> {
    if token.len() > limits.max_token_len {
        return Err(Rejection::TooLarge {
            len: token.len(),
            limit: limits.max_token_len,
        });
    }
    let bytes = token.as_bytes();
    let Some(d1) = memchr('.', token, 0) else {
        return Err(Rejection::Malformed(Malformed::Segments));
    };
    let Some(d2) = memchr('.', token, d1 + 1) else {
        return Err(Rejection::Malformed(Malformed::Segments));
    };
    if memchr('.', token, d2 + 1).is_some() {
        // Five segments would be a JWE; more is garbage. Either way not a JWS we accept.
        return Err(Rejection::Malformed(Malformed::Segments));
    }
    let (h64, p64, s64) = (&token[..d1], &token[d1 + 1..d2], &token[d2 + 1..]);
    if h64.is_empty() {
        return Err(Rejection::Malformed(Malformed::Header));
    }
    if s64.is_empty() {
        // An empty signature is what `alg:none` tokens carry; say which when the header says so.
        return Err(match header_alg_name(h64, limits).as_deref() {
            Some(n) if n.eq_ignore_ascii_case("none") => Rejection::AlgNone,
            _ => Rejection::Malformed(Malformed::Signature),
        });
    }
    // Bound the decoded header before decoding: base64url expands 3 bytes into 4 characters.
    let header_len = h64.len() / 4 * 3 + 3;
    if header_len > limits.max_header_len.min(HEADER_BUF) + 3 {
        return Err(Rejection::HeaderTooLarge {
            limit: limits.max_header_len,
        });
    }
    let mut hbuf = [0u8; HEADER_BUF];
    let hn = b64::decode_slice(h64, &mut hbuf, "header")
        .map_err(|_| Rejection::Malformed(Malformed::HeaderBase64))?;
    if hn > limits.max_header_len {
        return Err(Rejection::HeaderTooLarge {
            limit: limits.max_header_len,
        });
    }
    let header: RawHeader<'_> = serde_json::from_slice(&hbuf[..hn])
        .map_err(|_| Rejection::Malformed(Malformed::HeaderJson))?;

    let alg = match Algorithm::from_name(&header.alg) {
        Some(a) => a,
        None if header.alg.eq_ignore_ascii_case("none") => return Err(Rejection::AlgNone),
        None => return Err(Rejection::UnsupportedAlg(truncate(&header.alg))),
    };
    if !policy.allowed_algs.is_empty() && !policy.allowed_algs.contains(&alg) {
        return Err(Rejection::AlgNotAllowed {
            alg,
            kid: header.kid.as_deref().map(truncate),
        });
    }
    // RFC 7515 §4.1.11: a critical extension we do not implement makes the token invalid. We
    // implement none (b64=false included: its signing input differs and we refuse it).
    if let Some(crit) = &header.crit {
        return Err(Rejection::UnknownCrit(
            crit.first()
                .map(|c| truncate(c))
                .unwrap_or_else(|| "(empty list)".into()),
        ));
    }
    if !policy.typ.is_empty() {
        let ok = header
            .typ
            .as_deref()
            .is_some_and(|t| typ_matches(t, &policy.typ));
        if !ok {
            return Err(Rejection::WrongType {
                found: header.typ.as_deref().map(truncate),
                expected: policy.typ[0].clone(),
            });
        }
    }

    let mut sbuf = [0u8; MAX_SIG];
    if s64.len() > MAX_SIG / 3 * 4 {
        return Err(Rejection::Malformed(Malformed::SignatureBase64));
    }
    let sn = b64::decode_slice(s64, &mut sbuf, "signature")
        .map_err(|_| Rejection::Malformed(Malformed::SignatureBase64))?;
    let sig = &sbuf[..sn];
    if !alg.signature_len_ok(sn) {
        // authdoctor_jose's rule: ECDSA must be the fixed r||s form (RFC 7518 §3.4); DER or
        // padded forms are refused.
        return Err(Rejection::SignatureInvalid);
    }

    let signing_input = &bytes[..d2];
    let key = keys.find(header.kid.as_deref(), alg)?;
    verify_with(key, alg, signing_input, sig)?;

    // Only signed bytes are decoded further. Payload decoding is strict base64url as well.
    let payload =
        b64::decode(p64, "payload").map_err(|_| Rejection::Malformed(Malformed::PayloadBase64))?;
    Ok(VerifiedJws {
        alg,
        kid: key.kid.clone(),
        payload,
    })
}

/// Verifies `sig` over `input` with `key`, pinned to `alg` (the key refuses any other).
fn verify_with(key: &VerifyKey, alg: Algorithm, input: &[u8], sig: &[u8]) -> Result<(), Rejection> {
    let Some(v) = key.verifier(alg) else {
        return Err(Rejection::AlgNotAllowed {
            alg,
            kid: key.kid.as_deref().map(truncate),
        });
    };
    v.verify(input, sig)
        .map_err(|()| Rejection::SignatureInvalid)
}

/// RFC 9068 §4 and RFC 7515 §4.1.9: `typ` is a media type, case-insensitive, and
/// `application/` may be omitted.
fn typ_matches(found: &str, accepted: &[String]) -> bool {
    let strip = |s: &str| -> String {
        let l = s.to_ascii_lowercase();
        l.strip_prefix("application/")
            .map(str::to_owned)
            .unwrap_or(l)
    };
    let f = strip(found);
    accepted.iter().any(|a| strip(a) == f)
}

/// The `alg` of a header, best effort, for naming `none` when a token has no signature.
fn header_alg_name(h64: &str, limits: &Limits) -> Option<String> {
    if h64.len() > limits.max_header_len * 2 {
        return None;
    }
    let raw = b64::decode(h64, "header").ok()?;
    let h: RawHeader<'_> = serde_json::from_slice(&raw).ok()?;
    Some(h.alg.into_owned())
}

/// The next `needle` at or after `from`. Goes through `str::find`, which core implements with a
/// word-at-a-time memchr: a plain byte loop costs ~0.3 µs on a 680-byte RS256 token.
fn memchr(needle: char, hay: &str, from: usize) -> Option<usize> {
    hay[from..].find(needle).map(|p| p + from)
}

/// Attacker-chosen strings end up in descriptions and logs: keep them short.
pub(crate) fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_signature_lengths() {
        assert_eq!(Algorithm::HS256.fixed_signature_len(), Some(32));
        assert_eq!(Algorithm::ES256.fixed_signature_len(), Some(64));
        assert_eq!(Algorithm::ES512.fixed_signature_len(), Some(132));
        assert_eq!(Algorithm::RS256.fixed_signature_len(), None);
    }

    #[test]
    fn typ_is_case_insensitive_with_optional_prefix() {
        let acc = vec!["at+jwt".to_owned()];
        assert!(typ_matches("AT+JWT", &acc));
        assert!(typ_matches("application/at+jwt", &acc));
        assert!(!typ_matches("JWT", &acc));
    }
}
