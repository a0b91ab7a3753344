//! Criterion benchmarks of the diagnosis core. Every group measures authdoctor's code next to a
//! baseline doing the least work any implementation must do over the same input, so the results
//! read as ratios (`scripts/bench` computes them from criterion's `estimates.json`; the numbers
//! are recorded in `BENCHMARKS.md`).
//!
//! Groups and their baselines:
//! - `header`: `parse_challenges` / `authorization::analyse` vs `split(',')` + `trim`.
//! - `jwt`: `jwt::analyse` on an RS256-sized token vs base64url-decoding the three segments and
//!   `serde_json::from_slice::<Value>` of header and payload.
//! - `rule_pass`: `Evidence::new` + `diagnose` + `Report::new` + `json::render` for one typical
//!   401 with an expired JWT vs `serde_json::to_string` of the response headers.
//! - `har_1000`: offline analysis of a 1,000-entry HAR (built in memory from a fixture) vs
//!   `serde_json::from_slice::<Value>` of the same bytes.
//!
//! Run: `cargo bench -p authdoctor-core --bench core` (a few minutes on 2 cores).

use std::hint::black_box;
use std::time::Duration;

use authdoctor_core::causes::diagnose;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::http::{authorization, challenge};
use authdoctor_core::input::har::parse_har;
use authdoctor_core::model::{Exchange, Header, RequestSpec};
use authdoctor_core::report::{self, Report};
use authdoctor_core::token::jwt;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// Analysis time of the synthetic fixtures (unix seconds): 2026-09-21 14:13:20 UTC.
const NOW: i64 = 1_790_000_000;
const NOW_HTTP_DATE: &str = "Mon, 21 Sep 2026 14:13:20 GMT";

/// A realistic multi-challenge `WWW-Authenticate` value: Bearer with RFC 6750 error params,
/// Basic with charset, Digest with a quoted comma list (qop) — 3 challenges, 13 params.
const CHALLENGES: &str = "Bearer realm=\"api.example.com\", error=\"invalid_token\", \
error_description=\"The access token expired\", scope=\"orders:read orders:write\", \
Basic realm=\"api.example.com\", charset=\"UTF-8\", \
Digest realm=\"api@example.com\", qop=\"auth, auth-int\", algorithm=SHA-256, \
nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", userhash=true, stale=false";

/// An RS256-sized JWT (unsigned: 256 deterministic signature bytes), the shape the floors note
/// measures: header alg/typ/kid, claims iss/sub/aud/exp/nbf/iat/jti/scope. `exp` is one hour
/// before [`NOW`], so it is expired.
fn rs256_jwt() -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "2024-11-key-1"});
    let claims = json!({
        "iss": "https://login.example.com/",
        "sub": "user-64f1c2a9e4b0",
        "aud": "https://api.example.com",
        "exp": NOW - 3600,
        "nbf": NOW - 7200,
        "iat": NOW - 7200,
        "jti": "b3f1a0c2-7d4e",
        "scope": "orders:read orders:write"
    });
    let sig: Vec<u8> = (0..256u32)
        .map(|i| (i.wrapping_mul(197).wrapping_add(11) % 251) as u8)
        .collect();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

fn h(pairs: &[(&str, &str)]) -> Vec<Header> {
    pairs.iter().map(|(n, v)| Header::new(*n, *v)).collect()
}

/// A typical failing call: GET with an expired Bearer JWT, answered 401 + RFC 6750 challenge.
fn typical_401(token: &str) -> (RequestSpec, Exchange) {
    let auth = format!("Bearer {token}");
    let req_headers = h(&[
        ("Accept", "application/json"),
        ("User-Agent", "curl/8.5.0"),
        ("Authorization", &auth),
    ]);
    let request = RequestSpec {
        method: "GET".into(),
        url: "https://api.example.com/v1/orders?limit=20"
            .parse()
            .unwrap(),
        headers: req_headers.clone(),
        ..Default::default()
    };
    let exchange = Exchange {
        method: "GET".into(),
        url: request.url.to_string(),
        request_headers: req_headers,
        status: 401,
        reason: Some("Unauthorized".into()),
        http_version: "HTTP/1.1".into(),
        headers: h(&[
            ("Date", NOW_HTTP_DATE),
            ("Content-Type", "application/json"),
            ("Content-Length", "96"),
            ("Connection", "keep-alive"),
            (
                "WWW-Authenticate",
                "Bearer realm=\"api.example.com\", error=\"invalid_token\", error_description=\"The access token expired\"",
            ),
            ("Cache-Control", "no-store"),
            ("Vary", "Origin"),
            ("X-Request-Id", "7f3c9a2e-5b1d-4c8e-a0f2-9d6b4e1c3a57"),
            ("Server", "nginx"),
        ]),
        body: br#"{"error":"invalid_token","error_description":"The access token expired","status":401}"#.to_vec(),
        elapsed_ms: Some(1.2),
        remote_addr: Some("203.0.113.10:443".into()),
        received_at: Some(NOW),
        ..Default::default()
    };
    (request, exchange)
}

// ---------------------------------------------------------------------------------------------
// header parsing

fn split_trim(s: &str) -> usize {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::len)
        .sum()
}

fn bench_header(c: &mut Criterion) {
    let token = rs256_jwt();
    let authz = format!("Bearer {token}");
    // Sanity: the inputs parse as intended.
    assert_eq!(challenge::parse_challenges(&[CHALLENGES]).len(), 3);
    assert!(authorization::analyse(&[&authz]).is_some_and(|a| a.is_scheme("bearer")));

    let mut g = c.benchmark_group("header");
    g.bench_function("parse_challenges", |b| {
        b.iter(|| challenge::parse_challenges(black_box(&[CHALLENGES])))
    });
    g.bench_function("baseline_split_trim_challenges", |b| {
        b.iter(|| split_trim(black_box(CHALLENGES)))
    });
    g.bench_function("authorization_analyse", |b| {
        b.iter(|| authorization::analyse(black_box(&[authz.as_str()])))
    });
    g.bench_function("baseline_split_trim_authorization", |b| {
        b.iter(|| split_trim(black_box(authz.as_str())))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// JWT

/// What any JWT decoder must do: base64url-decode the 3 segments, parse header and payload.
fn baseline_jwt(s: &str) -> (Value, Value, usize) {
    let mut parts = s.split('.');
    let h = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let p = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    let sig = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
    (
        serde_json::from_slice::<Value>(&h).unwrap(),
        serde_json::from_slice::<Value>(&p).unwrap(),
        sig.len(),
    )
}

fn bench_jwt(c: &mut Criterion) {
    let token = rs256_jwt();
    assert!(
        (670..=700).contains(&token.len()),
        "RS256-sized token, got {} B",
        token.len()
    );
    match jwt::analyse(&token) {
        Some(jwt::JwtAnalysis::Jws(j)) => assert!(j.defects.is_empty() && j.signature_len == 256),
        other => panic!("token does not decode: {other:?}"),
    }
    let mut g = c.benchmark_group("jwt");
    g.bench_function("jwt_analyse_rs256", |b| {
        b.iter(|| jwt::analyse(black_box(&token)))
    });
    g.bench_function("baseline_b64_serde_value", |b| {
        b.iter(|| baseline_jwt(black_box(&token)))
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// the whole rule pass over one exchange

fn bench_rule_pass(c: &mut Criterion) {
    let token = rs256_jwt();
    let (request, exchange) = typical_401(&token);
    {
        let ev = Evidence::new(request.clone(), vec![exchange.clone()], None, None, NOW);
        let findings = diagnose(&ev);
        assert!(
            findings.iter().any(|f| f.id == "token-expired"),
            "the fixture must diagnose token-expired, got {:?}",
            findings.iter().map(|f| f.id).collect::<Vec<_>>()
        );
        let out = report::json::render(&Report::new(&ev, findings));
        assert!(!out.contains(&token), "the token must be redacted");
    }
    let inputs = || (request.clone(), vec![exchange.clone()]);

    let mut g = c.benchmark_group("rule_pass");
    g.bench_function("evidence_diagnose_report_json", |b| {
        b.iter_batched(
            inputs,
            |(req, xs)| {
                let ev = Evidence::new(req, xs, None, None, NOW);
                let findings = diagnose(&ev);
                report::json::render(&Report::new(&ev, findings))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("evidence_diagnose_report_human", |b| {
        b.iter_batched(
            inputs,
            |(req, xs)| {
                let ev = Evidence::new(req, xs, None, None, NOW);
                let findings = diagnose(&ev);
                report::human::render(&Report::new(&ev, findings), false)
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("evidence_new", |b| {
        b.iter_batched(
            inputs,
            |(req, xs)| Evidence::new(req, xs, None, None, NOW),
            BatchSize::SmallInput,
        )
    });
    // The batched benchmarks above clone their inputs in an untimed setup step; the baseline
    // touches the same response headers once.
    g.bench_function("baseline_serde_to_string_response_headers", |b| {
        b.iter(|| serde_json::to_string(black_box(&exchange.headers)).unwrap())
    });
    g.finish();
}

/// The server's statement and the consistency pass against the rule pass they were added to:
/// the same evidence, the rules alone (every rule's check, ranked) next to the whole diagnosis
/// (rules, vendor and statement merge, weighing by each cause's table, ranking).
fn bench_statement(c: &mut Criterion) {
    let token = rs256_jwt();
    let (request, exchange) = typical_401(&token);
    let ev = Evidence::new(request, vec![exchange.clone()], None, None, NOW);
    let mut g = c.benchmark_group("statement");
    g.bench_function("rules_only", |b| {
        b.iter(|| {
            let f: Vec<_> = authdoctor_core::causes::CATALOGUE
                .iter()
                .filter_map(|c| (c.check)(black_box(&ev)))
                .collect();
            authdoctor_core::diagnosis::rank(f)
        })
    });
    g.bench_function("diagnose_with_statement_and_consistency", |b| {
        b.iter(|| diagnose(black_box(&ev)))
    });
    g.bench_function("statement_read", |b| {
        b.iter(|| authdoctor_core::statement::read(black_box(&exchange)))
    });
    g.finish();
}

/// `check`'s pure part on a DPoP-protected 401 (a bound token, a proof taken apart and compared
/// field by field with the request) against the same pass on the Bearer 401 it replaces.
fn bench_dpop(c: &mut Criterion) {
    use authdoctor_core::jose::dpop::{ProofClaims, ProofKey};
    let token = rs256_jwt();
    let (bearer_req, bearer_x) = typical_401(&token);
    let key = ProofKey::generate_es256().expect("a P-256 key");
    let proof = key
        .proof(&ProofClaims {
            htm: "GET",
            htu: "https://api.example.com/v1/other",
            iat: NOW,
            jti: "bench-jti",
            access_token: Some(&token),
            nonce: None,
        })
        .expect("a proof");
    let dpop_auth = format!("DPoP {token}");
    let mut dpop_req = bearer_req.clone();
    dpop_req.headers = h(&[
        ("Accept", "application/json"),
        ("Authorization", &dpop_auth),
        ("DPoP", &proof),
    ]);
    let mut dpop_x = bearer_x.clone();
    dpop_x.request_headers = dpop_req.headers.clone();
    dpop_x.status = 400;
    dpop_x.headers = h(&[
        ("Date", NOW_HTTP_DATE),
        (
            "WWW-Authenticate",
            "DPoP algs=\"ES256\", error=\"invalid_dpop_proof\", error_description=\"DPoP Proof htu mismatch\"",
        ),
    ]);
    {
        let ev = Evidence::new(dpop_req.clone(), vec![dpop_x.clone()], None, None, NOW);
        let f = diagnose(&ev);
        assert_eq!(
            f[0].id, "dpop-proof",
            "the fixture must diagnose dpop-proof"
        );
    }
    let mut g = c.benchmark_group("dpop");
    g.bench_function("bearer_401_evidence_diagnose_report_json", |b| {
        b.iter_batched(
            || (bearer_req.clone(), vec![bearer_x.clone()]),
            |(req, xs)| {
                let ev = Evidence::new(req, xs, None, None, NOW);
                report::json::render(&Report::new(&ev, diagnose(&ev)))
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("dpop_400_evidence_diagnose_report_json", |b| {
        b.iter_batched(
            || (dpop_req.clone(), vec![dpop_x.clone()]),
            |(req, xs)| {
                let ev = Evidence::new(req, xs, None, None, NOW);
                report::json::render(&Report::new(&ev, diagnose(&ev)))
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// offline analysis of a 1,000-entry HAR

const HAR_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/har/har-to-openapi/request-generator-all-status-and-method.har"
);
const HAR_ENTRIES: usize = 1000;
const HAR_401S: usize = 40;

/// The fixture's 665 entries replicated to exactly 1,000, with exactly 40 of them turned into
/// 401s that carry a `WWW-Authenticate: Bearer …` challenge and a Bearer JWT in the request
/// (the fixture's own 401s are among the 40; its 403s stay as recorded).
fn har_1000() -> Vec<u8> {
    let text = std::fs::read(HAR_FIXTURE).expect("HAR fixture");
    let mut root: Value = serde_json::from_slice(&text).unwrap();
    let original = root["log"]["entries"].as_array().unwrap().clone();
    let mut entries: Vec<Value> = original.iter().cycle().take(HAR_ENTRIES).cloned().collect();
    let token = rs256_jwt();
    let status = |e: &Value| e["response"]["status"].as_u64().unwrap_or(0);
    let already: Vec<usize> = (0..entries.len())
        .filter(|&i| status(&entries[i]) == 401)
        .collect();
    let mut chosen = already.clone();
    // Spread the remaining ones evenly over 200-status entries.
    let mut i = 7;
    while chosen.len() < HAR_401S {
        if status(&entries[i]) == 200 && !chosen.contains(&i) {
            chosen.push(i);
        }
        i = (i + 37) % entries.len();
    }
    for &i in &chosen {
        let e = &mut entries[i];
        e["response"]["status"] = json!(401);
        e["response"]["headers"].as_array_mut().unwrap().push(json!({
            "name": "www-authenticate",
            "value": "Bearer realm=\"requestgenerator.com\", error=\"invalid_token\", error_description=\"The access token expired\""
        }));
        e["request"]["headers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "authorization", "value": format!("Bearer {token}")}));
    }
    root["log"]["entries"] = Value::Array(entries);
    serde_json::to_vec(&root).unwrap()
}

fn analyse_har(bytes: &[u8]) -> usize {
    let har = parse_har(bytes, "bench.har").unwrap();
    let picked = har.select(None, None).unwrap();
    let mut findings = 0;
    for i in picked {
        let ctx = har.context(i);
        let now = ctx.started_at.unwrap_or(NOW);
        let ev = Evidence::new(har.request(i), har.exchanges(i), None, Some(ctx), now);
        let f = diagnose(&ev);
        findings += f.len();
        let report = Report::new(&ev, f);
        black_box(&report);
    }
    findings
}

fn bench_har(c: &mut Criterion) {
    let bytes = har_1000();
    {
        let har = parse_har(&bytes, "bench.har").unwrap();
        assert_eq!(har.len(), HAR_ENTRIES);
        let statuses: Vec<u16> = har.summaries().iter().map(|s| s.status).collect();
        assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), HAR_401S);
        assert!(analyse_har(&bytes) > 0);
    }
    let mut g = c.benchmark_group("har_1000");
    // One iteration is tens of milliseconds: fewer, longer samples.
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("parse_select_diagnose_report", |b| {
        b.iter(|| analyse_har(black_box(&bytes)))
    });
    g.bench_function("baseline_serde_value_from_slice", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bytes)).unwrap())
    });
    g.finish();
}

fn criterion() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30)
        .configure_from_args()
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = bench_header, bench_jwt, bench_rule_pass, bench_statement, bench_dpop, bench_har
}
criterion_main!(benches);
