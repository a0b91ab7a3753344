//! Snapshot tests of the human and JSON reports over fixed, offline scenarios (one per common
//! cause), plus the rule that no scenario ever prints a full secret.

use authdoctor_core::causes::diagnose;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::{DroppedHeader, Exchange, Header, RequestSpec};
use authdoctor_core::report::{Report, human, json};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// 2026-09-21T12:26:40Z: fixed so snapshots are stable.
const NOW: i64 = 1_790_000_000;

fn jwt(header: Value, claims: Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode([42u8; 256])
    )
}

fn date(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn hs(h: &[(&str, &str)]) -> Vec<Header> {
    h.iter().map(|(n, v)| Header::new(*n, *v)).collect()
}

struct Scenario {
    name: &'static str,
    ev: Evidence,
    secrets: Vec<String>,
}

// A table row builder: the positional form keeps each scenario on a few readable lines.
#[allow(clippy::too_many_arguments)]
fn one_hop(
    name: &'static str,
    url: &str,
    req: &[(&str, &str)],
    status: u16,
    reason: &str,
    resp: &[(&str, &str)],
    body: &str,
    secrets: Vec<String>,
) -> Scenario {
    let request = RequestSpec {
        method: "GET".into(),
        url: url.parse().unwrap(),
        headers: hs(req),
        ..Default::default()
    };
    let x = Exchange {
        method: "GET".into(),
        url: url.into(),
        request_headers: hs(req),
        status,
        reason: Some(reason.into()),
        http_version: "HTTP/1.1".into(),
        headers: hs(resp),
        body: body.as_bytes().to_vec(),
        elapsed_ms: Some(12.0),
        received_at: Some(NOW),
        ..Default::default()
    };
    Scenario {
        name,
        ev: Evidence::new(request, vec![x], None, None, NOW),
        secrets,
    }
}

fn scenarios() -> Vec<Scenario> {
    let rs = json!({"alg":"RS256","typ":"at+jwt","kid":"k1"});
    let expired = jwt(
        rs.clone(),
        json!({"iss":"https://id.example.com/","sub":"svc","aud":"https://api.example.com/","scope":"orders:read","iat": NOW - 3792,"exp": NOW - 192,"jti":"canary-expired-7731"}),
    );
    let id_token = jwt(
        json!({"alg":"RS256","typ":"JWT"}),
        json!({"iss":"https://id.example.com/","sub":"alice","aud":"spa-client","azp":"spa-client","nonce":"n-0S6_WzA2Mj","at_hash":"77QmUPtjPfzWtF2AnpK9RQ","iat": NOW - 60,"exp": NOW + 3540,"jti":"canary-idtoken-5521"}),
    );
    let good = jwt(
        rs,
        json!({"iss":"https://id.example.com/","sub":"svc","aud":"https://api.example.com/","scope":"orders:read","iat": NOW - 60,"exp": NOW + 240,"jti":"canary-good-9912"}),
    );
    let basic_nl = STANDARD.encode("alice:Wonderland-7f3c9\n");
    let basic_wrong = STANDARD.encode("alice:not-the-password-42");
    let d = date(NOW);
    let url = "https://api.example.com/v1/orders";
    let mut v = vec![
        one_hop(
            "expired_token",
            url,
            &[("Authorization", &format!("Bearer {expired}"))],
            401,
            "Unauthorized",
            &[
                (
                    "WWW-Authenticate",
                    "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"The access token expired\"",
                ),
                ("Date", &d),
                ("Content-Type", "application/json"),
            ],
            "{\"error\":\"invalid_token\"}",
            vec![expired.clone()],
        ),
        one_hop(
            "missing_credentials",
            url,
            &[],
            401,
            "Unauthorized",
            &[("WWW-Authenticate", "Bearer realm=\"api\""), ("Date", &d)],
            "",
            vec![],
        ),
        one_hop(
            "lowercase_scheme",
            "http://127.0.0.1:14200/bearer",
            &[("Authorization", &format!("bearer {good}"))],
            401,
            "UNAUTHORIZED",
            &[
                ("WWW-Authenticate", "Bearer"),
                ("Date", &d),
                ("Server", "gunicorn"),
            ],
            "",
            vec![good.clone()],
        ),
        one_hop(
            "basic_trailing_newline",
            "http://127.0.0.1:14401/",
            &[("Authorization", &format!("Basic {basic_nl}"))],
            401,
            "Unauthorized",
            &[
                ("WWW-Authenticate", "Basic realm=\"nginx-basic\""),
                ("Date", &d),
            ],
            "<html><head><title>401 Authorization Required</title></head></html>",
            vec![basic_nl.clone(), "Wonderland-7f3c9".into()],
        ),
        one_hop(
            "basic_wrong_password",
            "http://127.0.0.1:14401/",
            &[("Authorization", &format!("Basic {basic_wrong}"))],
            401,
            "Unauthorized",
            &[
                ("WWW-Authenticate", "Basic realm=\"nginx-basic\""),
                ("Date", &d),
            ],
            "",
            vec![basic_wrong.clone(), "not-the-password-42".into()],
        ),
        one_hop(
            "cached_401",
            "http://127.0.0.1:14404/bearer",
            &[("Authorization", &format!("Bearer {good}"))],
            401,
            "Unauthorized",
            &[
                ("WWW-Authenticate", "Bearer"),
                ("X-Cache-Status", "HIT"),
                ("Date", &d),
            ],
            "",
            vec![good.clone()],
        ),
        one_hop(
            "forbidden",
            url,
            &[("Authorization", &format!("Bearer {good}"))],
            403,
            "Forbidden",
            &[("Date", &d), ("Content-Type", "application/json")],
            "{\"message\":\"Resource not accessible by integration\"}",
            vec![good.clone()],
        ),
        one_hop(
            "id_token",
            url,
            &[("Authorization", &format!("Bearer {id_token}"))],
            401,
            "Unauthorized",
            &[
                (
                    "WWW-Authenticate",
                    "Bearer realm=\"api\", error=\"invalid_token\"",
                ),
                ("Date", &d),
            ],
            "",
            vec![id_token.clone()],
        ),
        one_hop(
            "placeholder",
            url,
            &[("X-Api-Key", "YOUR_API_KEY")],
            401,
            "Unauthorized",
            &[("Date", &d)],
            "{\"message\":\"Invalid API key\"}",
            vec![],
        ),
        one_hop(
            "success",
            url,
            &[("Authorization", &format!("Bearer {good}"))],
            200,
            "OK",
            &[("Date", &d), ("Content-Type", "application/json")],
            "{\"orders\":[],\"access_token\":\"should-be-redacted-0000000\"}",
            vec![good.clone(), "should-be-redacted-0000000".into()],
        ),
    ];
    // Two hops: 127.0.0.1 → localhost drops Authorization.
    let req = RequestSpec {
        method: "GET".into(),
        url: "http://127.0.0.1:14200/redirect-to".parse().unwrap(),
        headers: hs(&[("Authorization", &format!("Bearer {good}"))]),
        ..Default::default()
    };
    let hop1 = Exchange {
        method: "GET".into(),
        url: req.url.to_string(),
        request_headers: req.headers.clone(),
        status: 307,
        reason: Some("TEMPORARY REDIRECT".into()),
        http_version: "HTTP/1.1".into(),
        headers: hs(&[("Location", "http://localhost:14200/bearer"), ("Date", &d)]),
        received_at: Some(NOW),
        ..Default::default()
    };
    let hop2 = Exchange {
        method: "GET".into(),
        url: "http://localhost:14200/bearer".into(),
        request_headers: vec![],
        dropped_headers: vec![DroppedHeader {
            name: "Authorization".into(),
            reason: "origin changed from http://127.0.0.1:14200 to http://localhost:14200".into(),
        }],
        status: 401,
        reason: Some("UNAUTHORIZED".into()),
        http_version: "HTTP/1.1".into(),
        headers: hs(&[("WWW-Authenticate", "Bearer"), ("Date", &d)]),
        received_at: Some(NOW),
        ..Default::default()
    };
    v.push(Scenario {
        name: "redirect_dropped",
        ev: Evidence::new(req, vec![hop1, hop2], None, None, NOW),
        secrets: vec![good],
    });
    v
}

fn render(s: &Scenario) -> (String, String) {
    let report = Report::new(&s.ev, diagnose(&s.ev));
    (human::render(&report, false), json::render(&report))
}

#[test]
fn human_and_json_snapshots() {
    for s in scenarios() {
        let (h, j) = render(&s);
        insta::assert_snapshot!(format!("{}_human", s.name), h);
        insta::assert_snapshot!(format!("{}_json", s.name), j);
    }
}

#[test]
fn expected_first_cause_per_scenario() {
    let expect = [
        ("expired_token", Some("token-expired")),
        ("missing_credentials", Some("missing-credentials")),
        ("lowercase_scheme", Some("malformed-authorization-header")),
        ("basic_trailing_newline", Some("basic-encoding")),
        ("basic_wrong_password", Some("invalid-credentials")),
        ("cached_401", Some("cached-401")),
        ("forbidden", Some("forbidden-not-unauthenticated")),
        ("id_token", Some("wrong-token-type")),
        ("placeholder", Some("credential-formatting")),
        ("success", None),
        ("redirect_dropped", Some("redirect-dropped-credentials")),
    ];
    let all = scenarios();
    for (name, first) in expect {
        let s = all.iter().find(|s| s.name == name).unwrap();
        let f = diagnose(&s.ev);
        assert_eq!(
            f.first().map(|f| f.id),
            first,
            "{name}: {:?}",
            f.iter().map(|f| (f.id, f.score)).collect::<Vec<_>>()
        );
    }
}

#[test]
fn json_has_the_contract_fields() {
    for s in scenarios() {
        let (_, j) = render(&s);
        let v: Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["version"], 1);
        assert!(
            ["unauthorized", "forbidden", "ok", "error"].contains(&v["outcome"].as_str().unwrap())
        );
        assert!(v["request"].is_object());
        for x in v["exchanges"].as_array().unwrap() {
            assert!(x["url"].is_string() && x["status"].is_u64() && x["headers"].is_array());
        }
        for f in v["findings"].as_array().unwrap() {
            for k in ["id", "title", "likelihood", "score", "evidence", "fixes"] {
                assert!(!f[k].is_null(), "{}: finding lacks {k}", s.name);
            }
            for fix in f["fixes"].as_array().unwrap() {
                for k in ["id", "effort", "automatic", "steps"] {
                    assert!(!fix[k].is_null(), "{}: fix lacks {k}", s.name);
                }
            }
        }
        let scores: Vec<u64> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["score"].as_u64().unwrap())
            .collect();
        assert!(
            scores.windows(2).all(|w| w[0] >= w[1]),
            "{}: findings not ranked",
            s.name
        );
    }
}

#[test]
fn no_scenario_prints_a_full_secret() {
    for s in scenarios() {
        let (h, j) = render(&s);
        for secret in &s.secrets {
            assert!(
                !h.contains(secret.as_str()),
                "{}: human output leaks a secret",
                s.name
            );
            assert!(
                !j.contains(secret.as_str()),
                "{}: JSON output leaks a secret",
                s.name
            );
            // Nor the signature part of a JWT on its own.
            if let Some((_, sig)) = secret.rsplit_once('.') {
                assert!(
                    !h.contains(sig) && !j.contains(sig),
                    "{}: a JWT signature leaked",
                    s.name
                );
            }
        }
    }
}
