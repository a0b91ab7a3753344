//! The attack suite, modelled on jwt_tool's catalogue (alg none, key confusion, kid injection,
//! jku/x5u/jwk header keys, signature stripping, claim tampering, psychic signatures, oversized
//! input, crit, ID-token substitution…): every forged token must be refused — 0 acceptances —
//! and with the expected reason. Also: no JWKS fetch storm from made-up `kid`s, and header URLs
//! are never fetched.

mod support;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use authdoctor_guard::{KeySet, Malformed, Rejection, Validator};
use aws_lc_rs::hmac;
use serde_json::{Value, json};
use support::*;

fn validator(k: &Keys) -> Validator {
    Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .fixed_time(NOW)
        .build()
        .unwrap()
}

fn forge_hs(header: Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(&header, claims);
    format!("{input}.{}", b64(hs(&hmac::HMAC_SHA256, secret, &input)))
}

type Expect = fn(&Rejection) -> bool;

#[test]
fn attack_suite_has_zero_acceptances() {
    let k = keys();
    let v = validator(&k);
    let good = token(&k, "RS256", "read");
    assert!(v.validate_cached(&good).is_ok(), "control token must pass");
    let (h, p, s) = {
        let mut it = good.split('.');
        (
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
        )
    };
    let c = claims("read");
    let mut attacks: Vec<(String, String, Expect)> = Vec::new();
    let mut add = |name: &str, t: String, e: Expect| attacks.push((name.to_owned(), t, e));

    // 1. alg none, every spelling, with no signature and with the original one kept.
    for none in ["none", "None", "NONE", "nOnE"] {
        let input = signing_input(&json!({"alg": none, "typ": "at+jwt", "kid": "rsa"}), &c);
        add(
            &format!("alg {none}, empty signature"),
            format!("{input}."),
            |r| matches!(r, Rejection::AlgNone),
        );
        add(
            &format!("alg {none}, signature kept"),
            format!("{input}.{s}"),
            |r| matches!(r, Rejection::AlgNone),
        );
    }
    // 2. Key confusion: HS256 keyed with the RSA public key in every form an attacker can get.
    let jwk_rsa = k.jwks["keys"][0].to_string();
    let n_bytes = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        k.jwks["keys"][0]["n"].as_str().unwrap(),
    )
    .unwrap();
    for (what, secret) in [
        ("PKCS#1 DER", k.rsa_public_der.clone()),
        ("JWK JSON", jwk_rsa.into_bytes()),
        ("modulus bytes", n_bytes),
    ] {
        for kid in [Some("rsa"), None] {
            let mut hdr = json!({"alg": "HS256", "typ": "at+jwt"});
            if let Some(kid) = kid {
                hdr["kid"] = json!(kid);
            }
            add(
                &format!("HS256 with the RSA public key ({what}), kid {kid:?}"),
                forge_hs(hdr, &c, &secret),
                |r| {
                    matches!(
                        r,
                        Rejection::AlgNotAllowed { .. }
                            | Rejection::SignatureInvalid
                            | Rejection::KeyNotFound { .. }
                    )
                },
            );
        }
    }
    // HS256 with the EC public point, and with an empty secret.
    let ec_pt = aws_lc_rs::signature::KeyPair::public_key(&k.ec)
        .as_ref()
        .to_vec();
    add(
        "HS256 with the EC public point, kid ec",
        forge_hs(json!({"alg":"HS256","typ":"at+jwt","kid":"ec"}), &c, &ec_pt),
        |r| matches!(r, Rejection::AlgNotAllowed { .. }),
    );
    add(
        "HS256 with a blank secret, kid hs",
        forge_hs(json!({"alg":"HS256","typ":"at+jwt","kid":"hs"}), &c, b""),
        |r| matches!(r, Rejection::SignatureInvalid),
    );
    // 3. Algorithm swaps on a pinned key.
    for alg in ["PS256", "RS384", "RS512", "ES256", "EdDSA"] {
        let input = signing_input(&json!({"alg": alg, "typ": "at+jwt", "kid": "rsa"}), &c);
        let sig = if alg == "PS256" {
            sign(&k, "PS256", &input)
        } else {
            b"x".repeat(256)
        };
        add(
            &format!("{alg} on the RS256-pinned key"),
            format!("{input}.{}", b64(sig)),
            |r| {
                matches!(
                    r,
                    Rejection::AlgNotAllowed { .. } | Rejection::SignatureInvalid
                )
            },
        );
    }
    // 4. kid injection (path traversal, SQL, command, URL, NUL, huge): a plain map lookup.
    for kid in [
        "../../../../../../dev/null",
        "/dev/null",
        "../../../../etc/passwd",
        "' OR '1'='1",
        "x' UNION SELECT 'secret' --",
        "key|cat /etc/passwd",
        "`id`",
        "http://127.0.0.1:1/jwks.json",
        "rsa\u{0}",
        "rsa ",
        "RSA",
    ] {
        add(
            &format!("kid injection {kid:?}"),
            forge_hs(json!({"alg":"HS256","typ":"at+jwt","kid":kid}), &c, b""),
            |r| matches!(r, Rejection::KeyNotFound { .. }),
        );
    }
    add(
        "kid 10k chars",
        forge_hs(
            json!({"alg":"HS256","typ":"at+jwt","kid":"a".repeat(10_000)}),
            &c,
            b"",
        ),
        |r| {
            matches!(
                r,
                Rejection::TooLarge { .. } | Rejection::HeaderTooLarge { .. }
            )
        },
    );
    // 5. Header-supplied keys: an attacker's EC key in jwk / jku / x5u, token signed with it.
    let attacker = keys();
    let apt = aws_lc_rs::signature::KeyPair::public_key(&attacker.ec)
        .as_ref()
        .to_vec();
    let attacker_jwk = json!({"kty":"EC","crv":"P-256","x":b64(&apt[1..33]),"y":b64(&apt[33..65])});
    for (name, extra) in [
        ("embedded jwk", json!({"jwk": attacker_jwk})),
        (
            "jku",
            json!({"jku": "http://127.0.0.1:1/attacker-jwks.json"}),
        ),
        ("x5u", json!({"x5u": "http://127.0.0.1:1/attacker.pem"})),
        ("x5c", json!({"x5c": ["MIIB"]})),
    ] {
        for kid in [json!("ec"), Value::Null] {
            let mut hdr = json!({"alg":"ES256","typ":"at+jwt"});
            if !kid.is_null() {
                hdr["kid"] = kid.clone();
            }
            for (k2, v2) in extra.as_object().unwrap() {
                hdr[k2] = v2.clone();
            }
            let input = signing_input(&hdr, &c);
            let sig = sign(&attacker, "ES256", &input);
            add(
                &format!("{name}, kid {kid}"),
                format!("{input}.{}", b64(sig)),
                |r| matches!(r, Rejection::SignatureInvalid),
            );
        }
    }
    // 6. Signature stripping and tampering.
    add("signature stripped", format!("{h}.{p}."), |r| {
        matches!(r, Rejection::Malformed(Malformed::Signature))
    });
    add("signature segment missing", format!("{h}.{p}"), |r| {
        matches!(r, Rejection::Malformed(Malformed::Segments))
    });
    let mut admin = c.clone();
    admin["scope"] = json!("read write admin");
    admin["sub"] = json!("admin");
    add(
        "claims tampered, signature kept",
        format!("{h}.{}.{s}", b64(admin.to_string())),
        |r| matches!(r, Rejection::SignatureInvalid),
    );
    let mut exp = c.clone();
    exp["exp"] = json!(NOW + 10_000_000);
    add(
        "exp extended, signature kept",
        format!("{h}.{}.{s}", b64(exp.to_string())),
        |r| matches!(r, Rejection::SignatureInvalid),
    );
    add("signature with padding", format!("{good}=="), |r| {
        matches!(r, Rejection::Malformed(_))
    });
    add("JWE-shaped (5 segments)", format!("{h}.{p}.{s}.a.b"), |r| {
        matches!(r, Rejection::Malformed(Malformed::Segments))
    });
    add(
        "duplicate alg in header",
        {
            let hj = r#"{"alg":"RS256","alg":"none","typ":"at+jwt","kid":"rsa"}"#;
            format!("{}.{p}.{s}", b64(hj))
        },
        |r| matches!(r, Rejection::Malformed(Malformed::HeaderJson)),
    );
    // 7. Psychic signatures (CVE-2022-21449) and ECDSA range edges.
    let n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    let ec_input = signing_input(&json!({"alg":"ES256","typ":"at+jwt","kid":"ec"}), &c);
    for (name, sig) in [
        ("r=s=0", vec![0u8; 64]),
        ("r=s=n", [n.clone(), n.clone()].concat()),
        ("r=0, s=n", [vec![0u8; 32], n.clone()].concat()),
        ("r=1, s=0", [one(), vec![0u8; 32]].concat()),
        (
            "DER-encoded zeros",
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
        ),
    ] {
        add(
            &format!("psychic ES256 {name}"),
            format!("{ec_input}.{}", b64(sig)),
            |r| matches!(r, Rejection::SignatureInvalid),
        );
    }
    // 8. Oversized token and header.
    let mut big = c.clone();
    big["pad"] = json!("x".repeat(9000));
    add(
        "token over 8 KiB",
        format!(
            "{}.{}",
            signing_input(&json!({"alg":"RS256","typ":"at+jwt","kid":"rsa"}), &big),
            s
        ),
        |r| matches!(r, Rejection::TooLarge { .. }),
    );
    let input = signing_input(
        &json!({"alg":"HS256","typ":"at+jwt","kid":"hs","pad":"y".repeat(3000)}),
        &c,
    );
    let sig = sign(&k, "HS256", &input);
    add(
        "header over 2 KiB (validly signed)",
        format!("{input}.{}", b64(sig)),
        |r| matches!(r, Rejection::HeaderTooLarge { .. }),
    );
    // 9. Unknown crit (validly signed, so only crit can refuse it).
    for crit in [
        json!(["exp"]),
        json!(["b64"]),
        json!(["http://example.com/ext"]),
        json!([]),
    ] {
        let mut hdr =
            json!({"alg":"HS256","typ":"at+jwt","kid":"hs","crit": crit.clone(), "exp": 1});
        if crit == json!(["b64"]) {
            hdr["b64"] = json!(false);
        }
        let input = signing_input(&hdr, &c);
        let sig = sign(&k, "HS256", &input);
        add(
            &format!("crit {crit}"),
            format!("{input}.{}", b64(sig)),
            |r| matches!(r, Rejection::UnknownCrit(_)),
        );
    }
    // 10. Validly signed but wrong: ID token substitution (typ JWT), issuer, audience, time.
    let signed = |hdr: Value, cl: Value| {
        let input = signing_input(&hdr, &cl);
        format!("{input}.{}", b64(sign(&k, "HS256", &input)))
    };
    let hs_hdr = json!({"alg":"HS256","typ":"at+jwt","kid":"hs"});
    add(
        "typ JWT (an ID token)",
        signed(json!({"alg":"HS256","typ":"JWT","kid":"hs"}), c.clone()),
        |r| matches!(r, Rejection::WrongType { .. }),
    );
    add(
        "no typ",
        signed(json!({"alg":"HS256","kid":"hs"}), c.clone()),
        |r| matches!(r, Rejection::WrongType { .. }),
    );
    let mut wrong = c.clone();
    wrong["iss"] = json!("https://evil.test");
    add("foreign issuer", signed(hs_hdr.clone(), wrong), |r| {
        matches!(r, Rejection::IssuerMismatch { .. })
    });
    let mut wrong = c.clone();
    wrong["aud"] = json!(["https://other-api.test/"]);
    add("foreign audience", signed(hs_hdr.clone(), wrong), |r| {
        matches!(r, Rejection::AudienceMismatch { .. })
    });
    let mut wrong = c.clone();
    wrong["exp"] = json!(NOW - 61);
    add(
        "expired beyond leeway",
        signed(hs_hdr.clone(), wrong),
        |r| matches!(r, Rejection::Expired { .. }),
    );
    let mut wrong = c.clone();
    wrong["nbf"] = json!(NOW + 3600);
    add("not yet valid", signed(hs_hdr.clone(), wrong), |r| {
        matches!(r, Rejection::NotYetValid { .. })
    });
    let mut wrong = c.clone();
    wrong.as_object_mut().unwrap().remove("exp");
    add("no exp", signed(hs_hdr.clone(), wrong), |r| {
        matches!(r, Rejection::MissingClaim("exp"))
    });
    let mut wrong = c.clone();
    wrong["exp"] = json!("never");
    add("exp as a string", signed(hs_hdr.clone(), wrong), |r| {
        matches!(r, Rejection::Malformed(Malformed::ClaimsJson))
    });
    add(
        "claims not an object",
        signed(hs_hdr.clone(), json!(["iss", ISS])),
        |r| matches!(r, Rejection::Malformed(Malformed::ClaimsJson)),
    );

    let total = attacks.len();
    let mut accepted = Vec::new();
    let mut wrong_reason = Vec::new();
    for (name, tok, expect) in &attacks {
        match v.validate_cached(tok) {
            Ok(_) => accepted.push(name.clone()),
            Err(r) if !expect(&r) => wrong_reason.push(format!("{name}: {r:?}")),
            Err(_) => {}
        }
    }
    eprintln!(
        "attack suite: {total} forged tokens, {} accepted",
        accepted.len()
    );
    assert!(accepted.is_empty(), "ACCEPTED: {accepted:?}");
    assert!(
        wrong_reason.is_empty(),
        "refused for an unexpected reason:\n{}",
        wrong_reason.join("\n")
    );
    assert!(total >= 60, "the suite shrank: {total}");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn one() -> Vec<u8> {
    let mut v = vec![0u8; 32];
    v[31] = 1;
    v
}

/// jku / x5u URLs in headers are never contacted: a listener behind them sees no connection.
#[test]
fn header_urls_are_never_fetched() {
    let k = keys();
    let v = validator(&k);
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let url = format!("http://{}/jwks.json", trap.local_addr().unwrap());
    for field in ["jku", "x5u"] {
        let input = signing_input(
            &json!({"alg":"RS256","typ":"at+jwt","kid":"nope", field: url}),
            &claims("read"),
        );
        let t = format!("{input}.{}", b64(sign(&k, "RS256", &input)));
        assert!(matches!(
            v.validate_cached(&t),
            Err(Rejection::KeyNotFound { .. })
        ));
    }
    std::thread::sleep(Duration::from_millis(50));
    assert!(
        trap.accept().is_err(),
        "the guard connected to a URL from a token header"
    );
}

/// 200 tokens with made-up kids, concurrently: one JWKS fetch at start, at most one refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_cause_no_fetch_storm() {
    let k = keys();
    let jwks = k.jwks.to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let h2 = hits.clone();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            h2.fetch_add(1, Ordering::SeqCst);
            let body = jwks.clone();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let v = Validator::builder()
        .jwks_url(url)
        .issuer(ISS)
        .audience(AUD)
        .fixed_time(NOW)
        .refresh_interval(Duration::from_secs(60))
        .build()
        .unwrap();
    // First use: the keys are fetched (no prefetch), and a good token passes.
    assert!(v.validate(&token(&k, "ES256", "read")).await.is_ok());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let v = v.clone();
        let t = forge_hs(
            json!({"alg":"HS256","typ":"at+jwt","kid":format!("made-up-{i}")}),
            &claims("read"),
            b"x",
        );
        tasks.push(tokio::spawn(async move { v.validate(&t).await }));
    }
    for t in tasks {
        assert!(matches!(
            t.await.unwrap(),
            Err(Rejection::KeyNotFound { .. })
        ));
    }
    // Within the refresh interval: no refresh at all after the initial fetch (the first unknown
    // kid's refresh is throttled by the initial fetch a moment ago).
    assert!(
        hits.load(Ordering::SeqCst) <= 2,
        "JWKS fetched {} times",
        hits.load(Ordering::SeqCst)
    );
    // Known keys keep working throughout.
    assert!(v.validate(&token(&k, "EdDSA", "read")).await.is_ok());
}

/// Stale-while-revalidate: when the JWKS endpoint goes down the cached keys keep serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_survive_an_issuer_outage() {
    let k = keys();
    let jwks = k.jwks.to_string();
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let up2 = up.clone();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let ok = up2.load(Ordering::SeqCst);
            let body = jwks.clone();
            async move {
                if ok {
                    (axum::http::StatusCode::OK, body)
                } else {
                    (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new())
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let v = Validator::builder()
        .jwks_url(url)
        .issuer(ISS)
        .audience(AUD)
        .fixed_time(NOW)
        .refresh_interval(Duration::ZERO)
        .max_age(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(v.prefetch().await.unwrap(), 4);
    up.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        assert!(v.validate(&token(&k, "RS256", "read")).await.is_ok());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // An unknown kid during the outage: refused as not found, the cached keys stay.
    let t = forge_hs(
        json!({"alg":"HS256","typ":"at+jwt","kid":"new"}),
        &claims("read"),
        b"x",
    );
    assert!(matches!(
        v.validate(&t).await,
        Err(Rejection::KeyNotFound { .. })
    ));
    assert!(v.validate(&token(&k, "HS256", "read")).await.is_ok());
}

/// With no keys ever obtained the guard says 503 (the token was not judged), not 401.
#[tokio::test]
async fn unreachable_issuer_is_503_not_401() {
    let v = Validator::builder()
        .jwks_url("http://127.0.0.1:1/jwks")
        .fixed_time(NOW)
        .build()
        .unwrap();
    let k = keys();
    let r = v.validate(&token(&k, "RS256", "read")).await.unwrap_err();
    assert_eq!(r, Rejection::KeysUnavailable);
    assert_eq!(r.status(), 503);
}
