//! The guard's cost for a DPoP request against a Bearer request, in one run: the same ES256
//! access token claims through the whole tower layer (`GuardLayer` around a trivial service),
//! once as `Authorization: Bearer`, once as `Authorization: DPoP` with an ES256 proof (proof
//! parsing, thumbprint, signature, htm/htu/iat/ath/jkt checks, replay cache). Each DPoP
//! iteration gets a fresh proof made outside the timing (`iter_batched`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use authdoctor_guard::{DpopConfig, GuardLayer, KeySet, Validator};
use authdoctor_jose::dpop::{ProofClaims, ProofKey};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::{Request, Response, header};
use serde_json::{Value, json};
use support::*;
use tower::{Layer, ServiceExt, service_fn};

const URL: &str = "https://api.example/v1/orders";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn es256_token(k: &Keys, cnf: Option<Value>) -> String {
    let t = now();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec"});
    let mut claims = json!({"iss": ISS, "sub": "user-1", "aud": AUD, "exp": t + 3600, "nbf": t - 10, "iat": t - 10,
        "jti": "b2f1c3d4-0000-4000-8000-000000000001", "client_id": "svc", "scope": "read write"});
    if let Some(cnf) = cnf {
        claims["cnf"] = cnf;
    }
    let input = signing_input(&header, &claims);
    format!("{input}.{}", b64(sign(k, "ES256", &input)))
}

fn benches(c: &mut Criterion) {
    let k = keys();
    let v = Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .dpop(
            DpopConfig::new("https://api.example".parse().unwrap())
                // Every timed request is a new jti; keep them all.
                .replay_capacity(50_000_000),
        )
        .build()
        .unwrap();
    let svc = GuardLayer::new(v).layer(service_fn(|_req: Request<()>| async {
        Ok::<_, Infallible>(Response::new(()))
    }));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let key = ProofKey::generate_es256().unwrap();
    let bearer = es256_token(&k, None);
    let bound = es256_token(&k, Some(json!({"jkt": key.thumbprint()})));
    let bearer_req = || {
        Request::get(URL)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
            .body(())
            .unwrap()
    };
    let mut n = 0u64;
    let mut dpop_req = || {
        n += 1;
        let jti = format!("bench-{n}");
        let proof = key
            .proof(&ProofClaims {
                htm: "GET",
                htu: URL,
                iat: now(),
                jti: &jti,
                access_token: Some(&bound),
                nonce: None,
            })
            .unwrap();
        Request::get(URL)
            .header(header::AUTHORIZATION, format!("DPoP {bound}"))
            .header("dpop", proof)
            .body(())
            .unwrap()
    };
    let ok = |req: Request<()>| {
        let r = rt.block_on(svc.clone().oneshot(black_box(req))).unwrap();
        r.status().is_success()
    };
    assert!(ok(bearer_req()), "the bearer request must pass");
    assert!(ok(dpop_req()), "the DPoP request must pass");

    let mut g = c.benchmark_group("guard_request_es256");
    g.bench_function("bearer", |b| {
        b.iter_batched(bearer_req, |r| assert!(ok(r)), BatchSize::SmallInput)
    });
    g.bench_function("dpop", |b| {
        b.iter_batched(&mut dpop_req, |r| assert!(ok(r)), BatchSize::SmallInput)
    });
    g.finish();
}

criterion_group! {
    name = dpop;
    // Short runs on a shared 2-core machine: ratios within one run, not absolute numbers.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = benches
}
criterion_main!(dpop);
