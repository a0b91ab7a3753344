//! Sender-constrained tokens against a guarded server: the DPoP attack set (RFC 9449) over real
//! HTTP — replay, wrong htu/htm, stale or future iat, ath missing or wrong, another key,
//! alg none, HS256, private members in the jwk, a bound token sent as Bearer, no proof, no typ —
//! with 0 acceptances, each refused with the RFC 9449 §7.1 challenge it deserves; a valid proof
//! accepted; server nonces; DPoP-required and Bearer-only configurations; and RFC 8705
//! certificate-bound tokens (the right certificate accepted, another or none refused).

mod support;

use std::convert::Infallible;
use std::time::Duration;

use authdoctor_guard::{ClientCertificate, DpopConfig, GuardLayer, KeySet, Validated, Validator};
use authdoctor_jose::b64 as jb64;
use authdoctor_jose::dpop::{ProofClaims, ProofKey, ath};
use aws_lc_rs::hmac;
use http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use support::*;
use tower::{Layer, ServiceExt, service_fn};

/// An RS256 access token with `cnf` (and the usual claims).
fn bound_token(k: &Keys, cnf: Value) -> String {
    let header = json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa"});
    let mut c = claims("read");
    c["cnf"] = cnf;
    let input = signing_input(&header, &c);
    format!("{input}.{}", b64(sign(k, "RS256", &input)))
}

fn validator(k: &Keys, dpop: Option<DpopConfig>) -> Validator {
    let mut b = Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .realm("api")
        .fixed_time(NOW);
    if let Some(d) = dpop {
        b = b.dpop(d);
    }
    b.build().unwrap()
}

/// A guarded axum server on 127.0.0.1; returns its base URL.
async fn serve(v: Validator) -> String {
    let app = axum::Router::new()
        .route(
            "/v1/orders",
            axum::routing::get(|v: Validated| async move {
                format!("hi {}", v.claims.sub.unwrap_or_default())
            })
            .post(|| async { "posted" }),
        )
        .layer(GuardLayer::new(v));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://127.0.0.1:{}", addr.port())
}

/// A server whose DPoP base URL is its own address.
async fn dpop_server(k: &Keys, f: impl FnOnce(DpopConfig) -> DpopConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let cfg = f(DpopConfig::new(base.parse().unwrap()));
    let app = axum::Router::new()
        .route(
            "/v1/orders",
            axum::routing::get(|| async { "ok" }).post(|| async { "posted" }),
        )
        .layer(GuardLayer::new(validator(k, Some(cfg))));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

struct Answer {
    status: StatusCode,
    challenges: Vec<String>,
    nonce: Option<String>,
}

async fn send(method: &str, url: &str, auth: Option<String>, proofs: &[String]) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), url);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    for p in proofs {
        req = req.header("dpop", p);
    }
    let r = req.send().await.unwrap();
    Answer {
        status: r.status(),
        challenges: r
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect(),
        nonce: r
            .headers()
            .get("dpop-nonce")
            .map(|v| v.to_str().unwrap().to_owned()),
    }
}

/// A proof with hand-made header and claims, signed by `key` whatever the header claims.
fn forge(key: &ProofKey, header: Value, claims: Value) -> String {
    let input = signing_input(&header, &claims);
    format!(
        "{input}.{}",
        jb64::encode(&key.sign(input.as_bytes()).unwrap())
    )
}

fn proof(key: &ProofKey, htm: &str, htu: &str, iat: i64, jti: &str, token: Option<&str>) -> String {
    key.proof(&ProofClaims {
        htm,
        htu,
        iat,
        jti,
        access_token: token,
        nonce: None,
    })
    .unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Want {
    /// 401, `WWW-Authenticate: DPoP algs=…, error=<code>`.
    Dpop(&'static str),
    /// 401, a Bearer challenge with this error, then a bare DPoP one.
    Bearer(&'static str),
}

fn check(name: &str, a: &Answer, want: Want) -> Result<(), String> {
    if a.status != StatusCode::UNAUTHORIZED {
        return Err(format!("{name}: status {} (want 401)", a.status));
    }
    let ok = match want {
        Want::Dpop(code) => {
            a.challenges.len() == 1
                && a.challenges[0]
                    .starts_with("DPoP realm=\"api\", algs=\"ES256 EdDSA RS256 PS256\"")
                && a.challenges[0].contains(&format!("error=\"{code}\""))
        }
        Want::Bearer(code) => {
            a.challenges.len() == 2
                && a.challenges[0].starts_with("Bearer realm=\"api\"")
                && a.challenges[0].contains(&format!("error=\"{code}\""))
                && a.challenges[1] == "DPoP realm=\"api\", algs=\"ES256 EdDSA RS256 PS256\""
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{name}: challenges {:?} (want {want:?})",
            a.challenges
        ))
    }
}

#[tokio::test]
async fn dpop_attack_set_has_zero_acceptances() {
    let k = keys();
    let key = ProofKey::generate_es256().unwrap();
    let base = dpop_server(&k, |c| c).await;
    let url = format!("{base}/v1/orders");
    let token = bound_token(&k, json!({"jkt": key.thumbprint()}));
    let other_token = bound_token(&k, json!({"jkt": "some-other-key"}));
    let dpop = |t: &str| Some(format!("DPoP {t}"));

    // The control: a valid proof is accepted, for GET and POST.
    let good = proof(&key, "GET", &url, NOW, "good-1", Some(&token));
    let a = send("GET", &url, dpop(&token), std::slice::from_ref(&good)).await;
    assert_eq!(a.status, StatusCode::OK, "valid proof: {:?}", a.challenges);
    let p = proof(&key, "POST", &url, NOW - 30, "good-2", Some(&token));
    assert_eq!(
        send("POST", &url, dpop(&token), &[p]).await.status,
        StatusCode::OK
    );
    // RFC 9449 §4.3 normalisation: the client may spell the URL differently.
    let loud = url.replace("http://", "HTTP://").replace("/v1/", "/v1/./");
    let p = proof(
        &key,
        "GET",
        &format!("{loud}?page=2#top"),
        NOW,
        "good-3",
        Some(&token),
    );
    assert_eq!(
        send("GET", &url, dpop(&token), &[p]).await.status,
        StatusCode::OK
    );

    let hdr = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()});
    let cl =
        |jti: &str| json!({"jti": jti, "htm": "GET", "htu": url, "iat": NOW, "ath": ath(&token)});
    let other_key = ProofKey::generate_es256().unwrap();
    let mut attacks: Vec<(&str, Option<String>, Vec<String>, Want)> = vec![
        (
            "replayed jti",
            dpop(&token),
            vec![good.clone()],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "wrong htu",
            dpop(&token),
            vec![proof(
                &key,
                "GET",
                &format!("{base}/v1/other"),
                NOW,
                "a1",
                Some(&token),
            )],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "wrong host in htu",
            dpop(&token),
            vec![proof(
                &key,
                "GET",
                "http://evil.example/v1/orders",
                NOW,
                "a1b",
                Some(&token),
            )],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "wrong htm",
            dpop(&token),
            vec![proof(&key, "POST", &url, NOW, "a2", Some(&token))],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "old iat",
            dpop(&token),
            vec![proof(&key, "GET", &url, NOW - 61, "a3", Some(&token))],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "future iat",
            dpop(&token),
            vec![proof(&key, "GET", &url, NOW + 6, "a4", Some(&token))],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "ath of another token",
            dpop(&token),
            vec![proof(&key, "GET", &url, NOW, "a5", Some(&other_token))],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "ath missing",
            dpop(&token),
            vec![proof(&key, "GET", &url, NOW, "a6", None)],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "proof key is not cnf.jkt",
            dpop(&token),
            vec![proof(&other_key, "GET", &url, NOW, "a7", Some(&token))],
            Want::Dpop("invalid_token"),
        ),
        (
            "alg none, no signature",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h["alg"] = "none".into();
                format!("{}.", signing_input(&h, &cl("a8")))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "alg none, signature kept",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h["alg"] = "none".into();
                forge(&key, h, cl("a9"))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "HS256 keyed with the public jwk",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h["alg"] = "HS256".into();
                let input = signing_input(&h, &cl("a10"));
                let tag = hs(
                    &hmac::HMAC_SHA256,
                    key.public_jwk().to_string().as_bytes(),
                    &input,
                );
                format!("{input}.{}", b64(tag))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "private key members in the jwk",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h["jwk"] = key.private_jwk().unwrap();
                forge(&key, h, cl("a11"))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "proof without typ",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h.as_object_mut().unwrap().remove("typ");
                forge(&key, h, cl("a12"))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "typ JWT",
            dpop(&token),
            vec![{
                let mut h = hdr.clone();
                h["typ"] = "JWT".into();
                forge(&key, h, cl("a13"))
            }],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "signature of another key, jwk swapped in",
            dpop(&token),
            vec![forge(&other_key, hdr.clone(), cl("a14"))],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "missing proof",
            dpop(&token),
            vec![],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "two proofs",
            dpop(&token),
            vec![
                proof(&key, "GET", &url, NOW, "a15", Some(&token)),
                proof(&key, "GET", &url, NOW, "a16", Some(&token)),
            ],
            Want::Dpop("invalid_dpop_proof"),
        ),
        (
            "bound token sent as Bearer, no proof",
            Some(format!("Bearer {token}")),
            vec![],
            Want::Bearer("invalid_token"),
        ),
        (
            "bound token sent as Bearer, with a valid proof",
            Some(format!("Bearer {token}")),
            vec![proof(&key, "GET", &url, NOW, "a17", Some(&token))],
            Want::Bearer("invalid_token"),
        ),
        (
            "unbound token with the DPoP scheme",
            dpop(&token_unbound(&k)),
            vec![proof(
                &key,
                "GET",
                &url,
                NOW,
                "a18",
                Some(&token_unbound(&k)),
            )],
            Want::Dpop("invalid_token"),
        ),
        (
            "a proof that is not a JWT",
            dpop(&token),
            vec!["not-a-jwt".into()],
            Want::Dpop("invalid_dpop_proof"),
        ),
    ];
    // The token itself still has to be valid: an expired bound token with a good proof.
    let mut expired = claims("read");
    expired["exp"] = json!(NOW - 3600);
    expired["cnf"] = json!({"jkt": key.thumbprint()});
    let input = signing_input(
        &json!({"alg": "RS256", "typ": "at+jwt", "kid": "rsa"}),
        &expired,
    );
    let expired = format!("{input}.{}", b64(sign(&k, "RS256", &input)));
    attacks.push((
        "expired token, valid proof",
        dpop(&expired),
        vec![proof(&key, "GET", &url, NOW, "a19", Some(&expired))],
        Want::Dpop("invalid_token"),
    ));

    let mut failures = Vec::new();
    let mut accepted = 0;
    for (name, auth, proofs, want) in &attacks {
        let a = send("GET", &url, auth.clone(), proofs).await;
        if a.status.is_success() {
            accepted += 1;
        }
        if let Err(e) = check(name, &a, *want) {
            failures.push(e);
        }
    }
    assert_eq!(accepted, 0, "accepted attacks; failures: {failures:#?}");
    assert!(
        failures.is_empty(),
        "{} of {}: {failures:#?}",
        failures.len(),
        attacks.len()
    );
}

fn token_unbound(k: &Keys) -> String {
    token(k, "RS256", "read")
}

#[tokio::test]
async fn bearer_and_dpop_side_by_side() {
    let k = keys();
    let base = dpop_server(&k, |c| c).await;
    let url = format!("{base}/v1/orders");
    // Unbound Bearer tokens still work when DPoP is merely allowed.
    let a = send(
        "GET",
        &url,
        Some(format!("Bearer {}", token_unbound(&k))),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    // No credential: both schemes are offered.
    let a = send("GET", &url, None, &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenges,
        vec![
            "Bearer realm=\"api\"".to_owned(),
            "DPoP realm=\"api\", algs=\"ES256 EdDSA RS256 PS256\"".to_owned()
        ]
    );
    // A broken Bearer token gets the Bearer error and the DPoP offer.
    let a = send("GET", &url, Some("Bearer not.a.jwt".into()), &[]).await;
    check("bad bearer", &a, Want::Bearer("invalid_token")).unwrap();
}

#[tokio::test]
async fn dpop_required_refuses_bearer() {
    let k = keys();
    let key = ProofKey::generate(authdoctor_guard::Algorithm::EdDSA).unwrap();
    let base = dpop_server(&k, |c| {
        c.required(true)
            .algorithms(&[authdoctor_guard::Algorithm::EdDSA])
    })
    .await;
    let url = format!("{base}/v1/orders");
    let a = send(
        "GET",
        &url,
        Some(format!("Bearer {}", token_unbound(&k))),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.challenges,
        vec!["DPoP realm=\"api\", algs=\"EdDSA\"".to_owned()]
    );
    let token = bound_token(&k, json!({"jkt": key.thumbprint()}));
    let p = proof(&key, "GET", &url, NOW, "r1", Some(&token));
    let a = send("GET", &url, Some(format!("DPoP {token}")), &[p]).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.challenges);
    // An ES256 proof is outside this server's allow-list.
    let es = ProofKey::generate_es256().unwrap();
    let token = bound_token(&k, json!({"jkt": es.thumbprint()}));
    let p = proof(&es, "GET", &url, NOW, "r2", Some(&token));
    let a = send("GET", &url, Some(format!("DPoP {token}")), &[p]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(
        a.challenges[0].contains("error=\"invalid_dpop_proof\""),
        "{:?}",
        a.challenges
    );
}

#[tokio::test]
async fn server_nonces() {
    let k = keys();
    let key = ProofKey::generate(authdoctor_guard::Algorithm::RS256).unwrap();
    let base = dpop_server(&k, |c| c.require_nonce(Duration::from_secs(300))).await;
    let url = format!("{base}/v1/orders");
    let token = bound_token(&k, json!({"jkt": key.thumbprint()}));
    let auth = Some(format!("DPoP {token}"));
    // No nonce: 401 use_dpop_nonce with a DPoP-Nonce to use.
    let p = proof(&key, "GET", &url, NOW, "n1", Some(&token));
    let a = send("GET", &url, auth.clone(), &[p]).await;
    check("no nonce", &a, Want::Dpop("use_dpop_nonce")).unwrap();
    let nonce = a.nonce.expect("a DPoP-Nonce header");
    // A made-up nonce: the same.
    let with = |nonce: &str, jti: &str| {
        key.proof(&ProofClaims {
            htm: "GET",
            htu: &url,
            iat: NOW,
            jti,
            access_token: Some(&token),
            nonce: Some(nonce),
        })
        .unwrap()
    };
    let a = send("GET", &url, auth.clone(), &[with("made-up", "n2")]).await;
    check("made-up nonce", &a, Want::Dpop("use_dpop_nonce")).unwrap();
    // The issued nonce: accepted, and the answer carries the current nonce (RFC 9449 §8.2).
    let a = send("GET", &url, auth.clone(), &[with(&nonce, "n3")]).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.challenges);
    assert_eq!(
        a.nonce.as_deref(),
        Some(nonce.as_str()),
        "the same time slot"
    );
}

#[tokio::test]
async fn bearer_only_configuration_is_unchanged_and_refuses_bound_tokens() {
    let k = keys();
    let base = serve(validator(&k, None)).await;
    let url = format!("{base}/v1/orders");
    let a = send(
        "GET",
        &url,
        Some(format!("Bearer {}", token_unbound(&k))),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    // The DPoP scheme is not one this server knows: a bare Bearer challenge, as before.
    let key = ProofKey::generate_es256().unwrap();
    let token = bound_token(&k, json!({"jkt": key.thumbprint()}));
    let p = proof(&key, "GET", &url, NOW, "b1", Some(&token));
    let a = send("GET", &url, Some(format!("DPoP {token}")), &[p]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenges, vec!["Bearer realm=\"api\"".to_owned()]);
    // A DPoP-bound token is not a bearer token, even here.
    let a = send("GET", &url, Some(format!("Bearer {token}")), &[]).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.challenges.len(), 1);
    assert!(
        a.challenges[0].starts_with("Bearer realm=\"api\", error=\"invalid_token\""),
        "{:?}",
        a.challenges
    );
}

/// The guard in-process with a client certificate in the request extensions, as a TLS server
/// would put it there.
async fn call_with_cert(v: &Validator, token: &str, cert: Option<&[u8]>) -> Response<String> {
    let svc = GuardLayer::new(v.clone()).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new("ok".to_owned()))
    }));
    let mut req = Request::builder()
        .uri("/v1/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .unwrap();
    if let Some(der) = cert {
        req.extensions_mut()
            .insert(ClientCertificate::from_der(der));
    }
    svc.oneshot(req).await.unwrap()
}

#[tokio::test]
async fn certificate_bound_tokens() {
    let k = keys();
    let v = validator(&k, None);
    let cert_a: &[u8] = b"0\x82 certificate A (any DER: only its SHA-256 counts)";
    let cert_b: &[u8] = b"0\x82 certificate B";
    let x5t = ClientCertificate::from_der(cert_a).thumbprint();
    let token = bound_token(&k, json!({"x5t#S256": x5t}));
    let r = call_with_cert(&v, &token, Some(cert_a)).await;
    assert_eq!(r.status(), StatusCode::OK);
    for (name, cert) in [
        ("another certificate", Some(cert_b)),
        ("no certificate", None),
    ] {
        let r = call_with_cert(&v, &token, cert).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        let c = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(c.contains("error=\"invalid_token\""), "{name}: {c}");
    }
    // An unbound token does not need a certificate, and ignores one.
    assert_eq!(
        call_with_cert(&v, &token_unbound(&k), None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        call_with_cert(&v, &token_unbound(&k), Some(cert_b))
            .await
            .status(),
        StatusCode::OK
    );
}

/// The slow path: keys fetched from a JWKS URL on the first request (the layer's boxed future),
/// with the proof checked there too.
#[tokio::test]
async fn dpop_on_the_key_fetch_path() {
    let k = keys();
    let jwks = k.jwks.to_string();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let body = jwks.clone();
            async move { body }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let key = ProofKey::generate_es256().unwrap();
    let token = bound_token(&k, json!({"jkt": key.thumbprint()}));
    let url = "https://api.example/v1/orders";
    for (name, htm, want) in [
        ("valid proof", "GET", StatusCode::OK),
        ("wrong htm", "POST", StatusCode::UNAUTHORIZED),
    ] {
        // A fresh validator each time, so the keys are not cached yet.
        let v = Validator::builder()
            .jwks_url(jwks_url.clone())
            .issuer(ISS)
            .audience(AUD)
            .fixed_time(NOW)
            .dpop(DpopConfig::new("https://api.example".parse().unwrap()))
            .build()
            .unwrap();
        let svc = GuardLayer::new(v).layer(service_fn(|_req: Request<()>| async {
            Ok::<_, Infallible>(Response::new(String::new()))
        }));
        let req = Request::get("/v1/orders")
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("dpop", proof(&key, htm, url, NOW, name, Some(&token)))
            .body(())
            .unwrap();
        let r = svc.oneshot(req).await.unwrap();
        assert_eq!(r.status(), want, "{name}");
        if want != StatusCode::OK {
            let c = r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
            assert!(
                c.starts_with("DPoP ") && c.contains("invalid_dpop_proof"),
                "{c}"
            );
        }
    }
}
