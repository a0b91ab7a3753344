//! The demo issuer and API, exercised through `send` exactly as the CLI would.

use authdoctor_core::model::{Header, HeaderList, RequestSpec};
use authdoctor_net::demo;
use authdoctor_net::send::{SendOptions, send};
use serde_json::{Value, json};

fn get(url: &str, auth: Option<&str>) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: url.parse().unwrap(),
        headers: auth
            .map(|a| vec![Header::new("Authorization", a)])
            .unwrap_or_default(),
        ..Default::default()
    }
}

async fn one(spec: &RequestSpec) -> authdoctor_core::model::Exchange {
    let mut hops = send(spec, &SendOptions::default()).await.expect("send");
    assert_eq!(hops.len(), 1);
    hops.remove(0)
}

#[tokio::test]
async fn api_responses() {
    let d = demo::start().await.expect("demo");
    let now = jiff::Timestamp::now().as_second();

    let ok = one(&get(
        &d.orders_url,
        Some(&format!("Bearer {}", d.valid_token())),
    ))
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.headers.first("cache-control"), Some("no-store"));
    assert!(ok.headers.has("date"));
    let body: Value = serde_json::from_slice(&ok.body).expect("json");
    assert!(body["orders"].is_array());

    let missing = one(&get(&d.orders_url, None)).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.headers.first("www-authenticate"),
        Some("Bearer realm=\"demo-api\"")
    );
    assert_eq!(missing.body_text(), r#"{"error":"unauthorized"}"#);

    let t = d.valid_token();
    for bad in [
        format!("bearer {t}"),
        format!("Bearer: {t}"),
        format!("Bearer{t}"),
        format!("Basic {t}"),
    ] {
        let r = one(&get(&d.orders_url, Some(&bad))).await;
        assert_eq!(
            r.headers.first("www-authenticate"),
            Some(
                "Bearer realm=\"demo-api\", error=\"invalid_request\", error_description=\"Authorization header must be 'Bearer <token>'\""
            )
        );
    }

    let cases = [
        ("Bearer garbage".to_string(), "signature invalid"),
        (
            format!(
                "Bearer {}",
                d.mint(json!({"iss": d.issuer_url, "aud": "demo-api", "exp": now - 1}))
            ),
            "The access token expired",
        ),
        (
            format!(
                "Bearer {}",
                d.mint(json!({"iss": d.issuer_url, "aud": "other-api", "exp": now + 60}))
            ),
            "audience not accepted",
        ),
    ];
    for (auth, desc) in cases {
        let r = one(&get(&d.orders_url, Some(&auth))).await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.headers.first("www-authenticate").map(str::to_string),
            Some(format!(
                "Bearer realm=\"demo-api\", error=\"invalid_token\", error_description=\"{desc}\""
            ))
        );
    }
    d.shutdown().await;
}

#[tokio::test]
async fn issuer_discovery_and_token() {
    let d = demo::start().await.expect("demo");
    let disc = one(&get(
        &format!("{}/.well-known/openid-configuration", d.issuer_url),
        None,
    ))
    .await;
    let v: Value = serde_json::from_slice(&disc.body).expect("json");
    assert_eq!(v["issuer"], json!(d.issuer_url));
    assert_eq!(v["token_endpoint"], json!(d.token_url));
    let jwks = one(&get(v["jwks_uri"].as_str().expect("jwks"), None)).await;
    assert_eq!(jwks.status, 200);

    let mut token_req = RequestSpec {
        method: "POST".into(),
        url: d.token_url.parse().expect("a valid URL"),
        headers: vec![
            Header::new("Authorization", "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ="),
            Header::new("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body: Some(b"grant_type=client_credentials".to_vec()),
        ..Default::default()
    };
    let tok = one(&token_req).await;
    assert_eq!(tok.status, 200, "{}", tok.body_text());
    let v: Value = serde_json::from_slice(&tok.body).expect("json");
    let access = v["access_token"].as_str().expect("token");
    assert_eq!(v["expires_in"], json!(300));
    let ok = one(&get(&d.orders_url, Some(&format!("Bearer {access}")))).await;
    assert_eq!(ok.status, 200);

    token_req.headers[0] = Header::new("Authorization", "Basic ZGVtby1jbGllbnQ6d3Jvbmc=");
    let bad = one(&token_req).await;
    assert_eq!(bad.status, 401);
    assert!(bad.body_text().contains("invalid_client"));
}

#[tokio::test]
async fn demo_stops_on_drop() {
    let d = demo::start().await.expect("demo");
    let url = d.orders_url.clone();
    drop(d);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let err = send(&get(&url, None), &SendOptions::default())
        .await
        .expect_err("stopped");
    assert_eq!(err.kind(), "connect");
}
