//! Scenarios for the idp assessment and the idp causes: an ES256 issuer key generated per run,
//! tokens signed with it (or with another key, or altered), and the raw fetches the network
//! crate would have produced.

use super::*;
use crate::causes::testkit::{NOW, request, response};
use crate::evidence::Evidence;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

pub const ISS: &str = "https://id.example.test";
pub const AUD: &str = "https://api.example.test/";

pub struct Key {
    pair: EcdsaKeyPair,
    pub kid: String,
}

impl Key {
    pub fn new(kid: &str) -> Key {
        let rng = SystemRandom::new();
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("keygen");
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).expect("key");
        Key {
            pair,
            kid: kid.into(),
        }
    }
    pub fn jwk(&self) -> Value {
        let p = self.pair.public_key().as_ref();
        json!({"kty":"EC","crv":"P-256","kid":self.kid,"use":"sig","alg":"ES256",
               "x": crate::jose::b64::encode(&p[1..33]), "y": crate::jose::b64::encode(&p[33..65])})
    }
    pub fn sign(&self, header: Value, claims: Value) -> String {
        let si = format!(
            "{}.{}",
            crate::jose::b64::encode(header.to_string().as_bytes()),
            crate::jose::b64::encode(claims.to_string().as_bytes())
        );
        let sig = self
            .pair
            .sign(&SystemRandom::new(), si.as_bytes())
            .expect("sign");
        format!("{si}.{}", crate::jose::b64::encode(sig.as_ref()))
    }
}

pub fn jwks(keys: &[&Key]) -> Jwks {
    let v = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    Jwks::parse(v.to_string().as_bytes()).expect("jwks")
}

pub fn issuer(url: &str, keys: &[&Key], refetched: bool) -> IssuerRaw {
    let j = jwks(keys);
    IssuerRaw {
        issuer: url.into(),
        source: "token iss".into(),
        kids: j.kids(),
        jwks: Some(j),
        jwks_uri: Some(format!("{url}/jwks")),
        refetched,
        ..Default::default()
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Case {
    Valid,
    Tampered,
    UnknownKid,
    WrongIssuer,
    TrailingSlashIssuer,
    WrongAudience,
    RevokedJwt,
    RevokedOpaque,
}

fn flag(f: &str, v: &str) -> Expected {
    Expected {
        value: v.into(),
        source: ExpectSource::Flag { flag: f.into() },
    }
}

/// Evidence for a 401 from an API with a token of the given case, assessed.
pub fn scenario(case: Case) -> (Evidence, String) {
    let key = Key::new("k1");
    let claims = |iss: &str, aud: &str| {
        json!({"iss": iss, "aud": aud, "sub": "svc", "scope": "read write",
               "iat": NOW - 60, "exp": NOW + 300})
    };
    let hdr = json!({"alg":"ES256","typ":"at+jwt","kid":"k1"});
    let mut exp = Expectations {
        iss: vec![flag("--expect-iss", ISS)],
        aud: vec![flag("--expect-aud", AUD)],
        ..Default::default()
    };
    let mut raw = RawIdp {
        primary: Some(issuer(ISS, &[&key], false)),
        ..Default::default()
    };
    let token = match case {
        Case::Valid | Case::RevokedJwt => key.sign(hdr, claims(ISS, AUD)),
        Case::Tampered => {
            let t = key.sign(hdr, claims(ISS, AUD));
            let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
            parts[1] = crate::jose::b64::encode(
                claims(ISS, "https://admin.example.test/")
                    .to_string()
                    .as_bytes(),
            );
            parts.join(".")
        }
        Case::UnknownKid => {
            raw.primary = Some(issuer(ISS, &[&Key::new("k2")], true));
            key.sign(hdr, claims(ISS, AUD))
        }
        Case::WrongIssuer => {
            let other = "https://id.staging.example.test";
            raw.primary = Some(issuer(other, &[&key], false));
            key.sign(hdr, claims(other, AUD))
        }
        Case::TrailingSlashIssuer => {
            exp.iss = vec![flag("--expect-iss", &format!("{ISS}/"))];
            key.sign(hdr, claims(ISS, AUD))
        }
        Case::WrongAudience => key.sign(hdr, claims(ISS, "https://other.example.test/")),
        Case::RevokedOpaque => "opaque-token-0123456789abcdef".to_string(),
    };
    if matches!(case, Case::RevokedJwt | Case::RevokedOpaque) {
        raw.introspection = Some(Introspection {
            active: Some(false),
            ..Default::default()
        });
        raw.introspection_fetch = Some(FetchRecord {
            what: "introspection".into(),
            url: format!("{ISS}/token/introspection"),
            status: Some(200),
            from_cache: false,
            elapsed_ms: 1.0,
            error: None,
        });
    }
    let auth = format!("Bearer {token}");
    let ev = Evidence::new(
        request(&[("Authorization", &auth)]),
        vec![response(401, &[])],
        None,
        None,
        NOW,
    );
    let jwt = ev.jws().cloned();
    let idp = assess(raw, exp, Some(&token), jwt.as_ref(), None, NOW);
    (ev.with_idp(Some(idp)), token)
}

#[test]
fn valid_token_verifies_and_claims_match() {
    let (ev, _) = scenario(Case::Valid);
    let idp = ev.idp.as_ref().unwrap();
    assert!(
        idp.signature.as_ref().unwrap().verified(),
        "{:?}",
        idp.signature
    );
    assert!(idp.claims.iter().all(ClaimCheck::ok));
}

#[test]
fn other_issuer_publishes_the_kid() {
    let key = Key::new("dev-1");
    let token = key.sign(
        json!({"alg":"ES256","kid":"dev-1"}),
        json!({"iss": ISS, "exp": NOW + 60}),
    );
    let mut other = issuer("https://id.dev.example.test", &[&key], false);
    other.source = "profile dev".into();
    let raw = RawIdp {
        primary: Some(issuer(ISS, &[&Key::new("prod-1")], true)),
        others: vec![other],
        ..Default::default()
    };
    let jwt = crate::token::jwt::analyse(&token);
    let Some(crate::token::jwt::JwtAnalysis::Jws(j)) = jwt else {
        panic!("jwt")
    };
    let idp = assess(
        raw,
        Expectations::default(),
        Some(&token),
        Some(&j),
        None,
        NOW,
    );
    assert_eq!(
        idp.signature.unwrap().verdict,
        SigVerdict::UnknownKidOtherIssuer
    );
}

#[test]
fn alg_none_and_hmac_without_secret() {
    let none = format!(
        "{}.{}.",
        crate::jose::b64::encode(br#"{"alg":"none"}"#),
        crate::jose::b64::encode(br#"{"iss":"x"}"#)
    );
    let raw = RawIdp::default();
    let s = assess(
        raw.clone(),
        Expectations::default(),
        Some(&none),
        None,
        None,
        NOW,
    );
    assert!(
        s.signature.is_none(),
        "no decoded jwt given: nothing assessed"
    );
    let j = match crate::token::jwt::analyse(&none) {
        Some(crate::token::jwt::JwtAnalysis::Jws(j)) => j,
        other => panic!("{other:?}"),
    };
    let s = assess(
        raw,
        Expectations::default(),
        Some(&none),
        Some(&j),
        None,
        NOW,
    );
    assert_eq!(s.signature.unwrap().verdict, SigVerdict::AlgNone);
}
