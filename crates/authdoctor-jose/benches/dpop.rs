//! A DPoP proof's cost against the raw signature of the same key, in one run: `raw_sign` is the
//! aws-lc-rs signature over a proof-sized input (the floor); `proof` is a whole proof (header
//! with the public jwk, claims with `ath`, JSON, base64url, signature). Also the strict
//! verification of a proof against the raw verify of its signature. Per key kind: ES256, EdDSA,
//! RS256.

use std::hint::black_box;
use std::time::Duration;

use authdoctor_jose::Alg;
use authdoctor_jose::b64;
use authdoctor_jose::dpop::{ProofClaims, ProofExpectations, ProofKey, verify_proof};
use aws_lc_rs::signature::{self, UnparsedPublicKey};
use criterion::{Criterion, criterion_group, criterion_main};

const TOKEN: &str = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoidXNlci0xIn0.c2lnbmF0dXJl";

fn benches(c: &mut Criterion) {
    for alg in [Alg::ES256, Alg::EdDSA, Alg::RS256] {
        let key = ProofKey::generate(alg).unwrap();
        let claims = ProofClaims {
            htm: "GET",
            htu: "https://api.example/v1/orders",
            iat: 1_800_000_000,
            jti: "5f0c2d7e-4b1a-4c39-9a57-0d3e8f6b2a11",
            access_token: Some(TOKEN),
            nonce: None,
        };
        let proof = key.proof(&claims).unwrap();
        let (input, sig) = proof.rsplit_once('.').unwrap();
        let input = input.as_bytes().to_vec();
        let sig = b64::decode(sig, "sig").unwrap();
        let jkt = key.thumbprint();
        let expect = ProofExpectations {
            htm: "GET",
            htu: "https://api.example/v1/orders",
            now: 1_800_000_000,
            max_age_secs: 60,
            max_future_secs: 5,
            access_token: Some(TOKEN),
            jkt: Some(&jkt),
            nonce: None,
            algs: &[],
        };
        assert!(verify_proof(&proof, &expect).is_ok());
        let jwk = key.public_jwk();
        let public: Vec<u8> = match alg {
            Alg::ES256 => {
                let mut p = vec![4u8];
                p.extend(b64::decode(jwk["x"].as_str().unwrap(), "x").unwrap());
                p.extend(b64::decode(jwk["y"].as_str().unwrap(), "y").unwrap());
                p
            }
            Alg::EdDSA => b64::decode(jwk["x"].as_str().unwrap(), "x").unwrap(),
            _ => Vec::new(),
        };
        let n = b64::decode(jwk["n"].as_str().unwrap_or(""), "n").unwrap();
        let e = b64::decode(jwk["e"].as_str().unwrap_or(""), "e").unwrap();
        let raw_verify = || match alg {
            Alg::ES256 => UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &public)
                .verify(&input, &sig)
                .is_ok(),
            Alg::EdDSA => UnparsedPublicKey::new(&signature::ED25519, &public)
                .verify(&input, &sig)
                .is_ok(),
            _ => signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, &input, &sig)
                .is_ok(),
        };
        assert!(raw_verify());

        let mut g = c.benchmark_group(format!("dpop_{alg}"));
        g.bench_function("raw_sign", |b| {
            b.iter(|| key.sign(black_box(&input)).unwrap())
        });
        g.bench_function("proof", |b| {
            b.iter(|| key.proof(black_box(&claims)).unwrap())
        });
        g.bench_function("raw_verify", |b| b.iter(|| assert!(raw_verify())));
        g.bench_function("verify_proof", |b| {
            b.iter(|| verify_proof(black_box(&proof), &expect).is_ok())
        });
        g.finish();
    }
}

criterion_group! {
    name = dpop;
    // Short runs on a shared 2-core machine: ratios within one run, not absolute numbers.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = benches
}
criterion_main!(dpop);
