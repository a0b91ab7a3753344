//! Validations per second for RS256, ES256, EdDSA and HS256, three ways over the same token bytes
//! in the same run: the raw aws-lc-rs verify with a pre-parsed key (the floor), the guard's full
//! validation (`Validator::validate_cached`: split, header, key lookup, verify, claims, rules),
//! and jsonwebtoken 11 (`aws_lc_rs`) full validation with its key built once. scripts/bench-guard
//! turns the estimates into ratios for BENCHMARKS.md.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authdoctor_guard::{KeySet, Validator};
use aws_lc_rs::hmac;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use support::*;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token like the floors note's: iss, sub, aud, exp, nbf, iat, jti, scope (+ client_id), with
/// times around the real clock so jsonwebtoken (system clock only) accepts it too.
fn bench_token(k: &Keys, alg: &str) -> String {
    let t = now();
    let header = json!({"alg": alg, "typ": "at+jwt", "kid": kid_for(alg)});
    let claims = json!({"iss": ISS, "sub": "user-1", "aud": AUD, "exp": t + 3600, "nbf": t - 10, "iat": t - 10,
        "jti": "b2f1c3d4-0000-4000-8000-000000000001", "client_id": "svc", "scope": "read write"});
    let input = signing_input(&header, &claims);
    format!("{input}.{}", b64(sign(k, alg, &input)))
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // read by jsonwebtoken's validation, not by the bench
struct JwtClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: String,
    scope: String,
}

fn benches(c: &mut Criterion) {
    let k = keys();
    let v = Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .build()
        .unwrap();
    let jwk = |i: usize, f: &str| k.jwks["keys"][i][f].as_str().unwrap().to_owned();
    let dec = |s: String| URL_SAFE_NO_PAD.decode(s).unwrap();

    for alg in ["RS256", "ES256", "EdDSA", "HS256"] {
        let token = bench_token(&k, alg);
        assert!(
            v.validate_cached(&token).is_ok(),
            "{alg}: guard must accept the bench token"
        );
        let dot = token.rfind('.').unwrap();
        let input = token.as_bytes()[..dot].to_vec();
        let sig = URL_SAFE_NO_PAD.decode(&token[dot + 1..]).unwrap();

        // The floor: the same bytes, a key parsed once, nothing else.
        let raw: Box<dyn Fn() -> bool> = match alg {
            "RS256" => {
                let key = RsaPublicKeyComponents {
                    n: dec(jwk(0, "n")),
                    e: dec(jwk(0, "e")),
                }
                .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                .unwrap();
                Box::new(move || key.verify_sig(black_box(&input), black_box(&sig)).is_ok())
            }
            "ES256" => {
                let mut pt = vec![4u8];
                pt.extend(dec(jwk(1, "x")));
                pt.extend(dec(jwk(1, "y")));
                let key = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &pt).unwrap();
                Box::new(move || key.verify_sig(black_box(&input), black_box(&sig)).is_ok())
            }
            "EdDSA" => {
                let key = ParsedPublicKey::new(&signature::ED25519, dec(jwk(2, "x"))).unwrap();
                Box::new(move || key.verify_sig(black_box(&input), black_box(&sig)).is_ok())
            }
            _ => {
                let key = hmac::Key::new(hmac::HMAC_SHA256, HMAC_SECRET);
                Box::new(move || hmac::verify(&key, black_box(&input), black_box(&sig)).is_ok())
            }
        };
        assert!(raw());

        let (jkey, jalg) = match alg {
            "RS256" => (
                jsonwebtoken::DecodingKey::from_rsa_der(&k.rsa_public_der),
                jsonwebtoken::Algorithm::RS256,
            ),
            "ES256" => (
                jsonwebtoken::DecodingKey::from_ec_components(&jwk(1, "x"), &jwk(1, "y")).unwrap(),
                jsonwebtoken::Algorithm::ES256,
            ),
            "EdDSA" => (
                jsonwebtoken::DecodingKey::from_ed_components(&jwk(2, "x")).unwrap(),
                jsonwebtoken::Algorithm::EdDSA,
            ),
            _ => (
                jsonwebtoken::DecodingKey::from_secret(HMAC_SECRET),
                jsonwebtoken::Algorithm::HS256,
            ),
        };
        let mut val = jsonwebtoken::Validation::new(jalg);
        val.set_issuer(&[ISS]);
        val.set_audience(&[AUD]);
        val.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        val.validate_nbf = true;
        jsonwebtoken::decode::<JwtClaims>(&token, &jkey, &val)
            .expect("jsonwebtoken must accept the bench token");

        let mut g = c.benchmark_group(alg);
        g.bench_function("raw_aws_lc_parsed_key", |b| b.iter(|| assert!(raw())));
        g.bench_function("guard", |b| {
            b.iter(|| v.validate_cached(black_box(&token)).is_ok())
        });
        g.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::decode::<JwtClaims>(black_box(&token), &jkey, &val).is_ok())
        });
        g.finish();
    }
}

criterion_group! {
    name = guard;
    // Short runs: three benchmarks per algorithm, ≤ 3 s each, on a shared 2-core machine.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = benches
}
criterion_main!(guard);
