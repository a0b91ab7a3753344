//! Test keys and token minting shared by the attack suite, the proptest and the benches: fresh
//! RSA-2048, P-256, Ed25519 and HMAC keys, their public JWKS, and compact JWS signing.

#![allow(dead_code)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use aws_lc_rs::{hmac, rsa::KeySize};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

pub const ISS: &str = "https://issuer.test";
pub const AUD: &str = "https://api.test/";
pub const HMAC_SECRET: &[u8] = b"a-32-byte-hmac-secret-for-tests!";
pub const NOW: i64 = 1_800_000_000;

pub struct Keys {
    pub rsa: RsaKeyPair,
    pub ec: EcdsaKeyPair,
    pub ed: Ed25519KeyPair,
    /// DER SubjectPublicKeyInfo-free PKCS#1 RSAPublicKey bytes (what an attacker can fetch).
    pub rsa_public_der: Vec<u8>,
    pub jwks: Value,
}

pub fn b64(b: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// n and e from a PKCS#1 RSAPublicKey (SEQUENCE { INTEGER n, INTEGER e }).
fn rsa_n_e(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn tlv(b: &[u8]) -> (&[u8], &[u8]) {
        let (len, hdr) = if b[1] & 0x80 == 0 {
            (b[1] as usize, 2)
        } else {
            let n = (b[1] & 0x7f) as usize;
            (
                b[2..2 + n].iter().fold(0usize, |a, &x| a << 8 | x as usize),
                2 + n,
            )
        };
        (&b[hdr..hdr + len], &b[hdr + len..])
    }
    let (seq, _) = tlv(der);
    let (n, rest) = tlv(seq);
    let (e, _) = tlv(rest);
    let strip = |v: &[u8]| {
        v.iter()
            .skip_while(|&&x| x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    (strip(n), strip(e))
}

pub fn keys() -> Keys {
    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let ec = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let ed = Ed25519KeyPair::generate().unwrap();
    let rsa_public_der = rsa.public_key().as_ref().to_vec();
    let (n, e) = rsa_n_e(&rsa_public_der);
    let pt = ec.public_key().as_ref();
    let jwks = json!({"keys": [
        {"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig", "n": b64(&n), "e": b64(&e)},
        {"kty": "EC", "kid": "ec", "alg": "ES256", "crv": "P-256", "x": b64(&pt[1..33]), "y": b64(&pt[33..65])},
        {"kty": "OKP", "kid": "ed", "alg": "EdDSA", "crv": "Ed25519", "x": b64(ed.public_key().as_ref())},
        {"kty": "oct", "kid": "hs", "alg": "HS256", "k": b64(HMAC_SECRET)},
    ]});
    Keys {
        rsa,
        ec,
        ed,
        rsa_public_der,
        jwks,
    }
}

pub fn claims(scope: &str) -> Value {
    json!({"iss": ISS, "sub": "user-1", "aud": AUD, "exp": NOW + 300, "nbf": NOW - 10, "iat": NOW - 10,
           "jti": "b2f1c3d4-0000-4000-8000-000000000001", "client_id": "svc", "scope": scope})
}

/// header.payload, base64url-encoded.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", b64(header.to_string()), b64(claims.to_string()))
}

pub fn hs(alg: &'static hmac::Algorithm, secret: &[u8], input: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(*alg, secret), input.as_bytes())
        .as_ref()
        .to_vec()
}

/// Signs `input` with the named test key for `alg`.
pub fn sign(k: &Keys, alg: &str, input: &str) -> Vec<u8> {
    let rng = SystemRandom::new();
    match alg {
        "RS256" => {
            let mut s = vec![0; k.rsa.public_modulus_len()];
            k.rsa
                .sign(&signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut s)
                .unwrap();
            s
        }
        "PS256" => {
            let mut s = vec![0; k.rsa.public_modulus_len()];
            k.rsa
                .sign(&signature::RSA_PSS_SHA256, &rng, input.as_bytes(), &mut s)
                .unwrap();
            s
        }
        "ES256" => k.ec.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
        "EdDSA" => k.ed.sign(input.as_bytes()).as_ref().to_vec(),
        "HS256" => hs(&hmac::HMAC_SHA256, HMAC_SECRET, input),
        other => panic!("no test key for {other}"),
    }
}

pub fn kid_for(alg: &str) -> &'static str {
    match alg {
        "RS256" | "PS256" => "rsa",
        "ES256" => "ec",
        "EdDSA" => "ed",
        _ => "hs",
    }
}

/// A valid RFC 9068 access token for `alg`.
pub fn token(k: &Keys, alg: &str, scope: &str) -> String {
    let header = json!({"alg": alg, "typ": "at+jwt", "kid": kid_for(alg)});
    let input = signing_input(&header, &claims(scope));
    let sig = sign(k, alg, &input);
    format!("{input}.{}", b64(sig))
}
