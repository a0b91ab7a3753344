//! The fuzz harness of the `guard` target in `fuzz/fuzz_targets/`, shared with the corpus
//! replay test `tests/fuzz_replay.rs` so both run the same code.
//!
//! A [`Validator`] with two fixed static keys (an HS256 secret and a P-256 public key; no
//! network) judges the input twice: as an `Authorization` header value (through
//! [`extract_bearer`]) and as a bare compact token. It must never panic, every rejection must
//! render a valid challenge, and a token it accepts must carry a signature that an independent
//! aws-lc-rs check confirms was made with one of the fixed keys. Not part of the API.

use std::sync::OnceLock;

use authdoctor_jose::b64;
use aws_lc_rs::{hmac, signature};
use http::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::{Algorithm, KeySet, Rejection, Validated, Validator, VerifyKey, extract_bearer};

/// The issuer the fixed validator trusts.
pub const ISSUER: &str = "https://issuer.fuzz.test";
/// The audience the fixed validator requires.
pub const AUDIENCE: &str = "https://api.fuzz.test/";
/// The validator's fixed clock (2027-01-15T08:00:00Z).
pub const NOW: i64 = 1_800_000_000;
/// The HS256 shared secret (`kid` "hs").
pub const HMAC_SECRET: &[u8] = b"authdoctor-guard-fuzz-hmac-secret-32b";
/// The P-256 public key (`kid` "ec"), as JWK coordinates.
pub const EC_X: &str = "ptVajuS0iO3RY8X-ZjqZOMnh3j97CVxSh_qlSEK8Nzk";
/// See [`EC_X`].
pub const EC_Y: &str = "WTdkZHbGCSjCYHPnfWlU0KnqgXcvb58Sjd8QKAoegeU";

/// The fixed validator the harness judges with (static keys, fixed clock, no network).
pub fn validator() -> &'static Validator {
    static V: OnceLock<Validator> = OnceLock::new();
    V.get_or_init(|| {
        let mut keys = KeySet::new();
        keys.insert(VerifyKey::hmac(Some("hs"), HMAC_SECRET, &[Algorithm::HS256]).unwrap());
        let ec = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "ec", "alg": "ES256", "use": "sig",
            "x": EC_X, "y": EC_Y,
        });
        keys.insert(VerifyKey::from_jwk(&ec).unwrap());
        Validator::builder()
            .keys(keys)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .fixed_time(NOW)
            .build()
            .unwrap()
    })
}

/// The `guard` target: never panics, challenges always render, and only tokens signed with the
/// fixed keys are accepted.
pub fn guard(data: &[u8]) {
    let v = validator();
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        match extract_bearer(&headers, 8 * 1024) {
            Ok(token) => judge(v, token),
            Err(rej) => check_rejection(v, &rej),
        }
    }
    let text = String::from_utf8_lossy(data);
    judge(v, text.trim());
}

fn judge(v: &Validator, token: &str) {
    match v.validate_cached(token) {
        Ok(ok) => assert_signed_by_fixed_key(token, &ok),
        Err(rej) => check_rejection(v, &rej),
    }
}

fn check_rejection(v: &Validator, rej: &Rejection) {
    let _ = (
        rej.status(),
        rej.error_code(),
        rej.reason(),
        rej.to_string(),
    );
    let challenge = crate::response::challenge(v.config(), rej);
    if !matches!(rej, Rejection::KeysUnavailable) {
        assert!(challenge.is_some(), "no valid challenge for {rej:?}");
    }
    let _ = crate::response::rejection_response::<String>(v.config(), rej);
}

/// Re-verifies an accepted token outside the guard: its signature must be valid under the
/// fixed key of the algorithm the guard reports.
fn assert_signed_by_fixed_key(token: &str, ok: &Validated) {
    let (input, sig) = token
        .rsplit_once('.')
        .unwrap_or_else(|| panic!("accepted a token without segments: {token:?}"));
    let sig = b64::decode(sig, "signature")
        .unwrap_or_else(|e| panic!("accepted a token whose signature is not base64url: {e}"));
    let genuine = match ok.alg {
        Algorithm::HS256 => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET);
            hmac::verify(&key, input.as_bytes(), &sig).is_ok()
        }
        Algorithm::ES256 => {
            let mut point = vec![4u8];
            point.extend(b64::decode(EC_X, "x").unwrap());
            point.extend(b64::decode(EC_Y, "y").unwrap());
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(input.as_bytes(), &sig)
                .is_ok()
        }
        other => panic!("accepted a token under {other:?}, which no fixed key has"),
    };
    assert!(
        genuine,
        "accepted a token not signed by the fixed key: {token:?}"
    );
    assert_eq!(
        ok.claims.iss.as_deref(),
        Some(ISSUER),
        "accepted a foreign issuer"
    );
}
