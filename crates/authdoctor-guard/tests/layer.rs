//! The tower layer end to end (no network): statuses, challenges, RFC 6750 error codes, scopes,
//! descriptions switched off, claims in the extensions, and RFC 9728 metadata.

mod support;

use std::convert::Infallible;

use authdoctor_guard::{GuardLayer, KeySet, ProtectedResourceMetadata, Validated, Validator};
use http::{Request, Response, StatusCode, header};
use support::*;
use tower::{Layer, ServiceExt, service_fn};

fn validator(k: &Keys, descriptions: bool) -> Validator {
    Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .fixed_time(NOW)
        .error_descriptions(descriptions)
        .resource(AUD, "https://api.test/.well-known/oauth-protected-resource")
        .scopes_supported(["read", "write"])
        .build()
        .unwrap()
}

async fn call(layer: &GuardLayer, auth: Option<&str>) -> Response<String> {
    let svc = layer.layer(service_fn(|req: Request<()>| async move {
        let v = req
            .extensions()
            .get::<Validated>()
            .expect("claims in extensions");
        Ok::<_, Infallible>(Response::new(format!(
            "hello {}",
            v.claims.sub.as_deref().unwrap_or("?")
        )))
    }));
    let mut req = Request::builder().uri("/v1/orders");
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    svc.oneshot(req.body(()).unwrap()).await.unwrap()
}

fn challenge(r: &Response<String>) -> String {
    r.headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn statuses_and_challenges() {
    let k = keys();
    let layer = GuardLayer::new(validator(&k, true)).require_scopes(["read"]);
    for alg in ["RS256", "ES256", "EdDSA", "HS256"] {
        let r = call(
            &layer,
            Some(&format!("Bearer {}", token(&k, alg, "read write"))),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK, "{alg}");
        assert_eq!(r.body(), "hello user-1");
    }
    let meta = "resource_metadata=\"https://api.test/.well-known/oauth-protected-resource\"";

    let r = call(&layer, None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(challenge(&r), format!("Bearer realm=\"api\", {meta}"));
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");

    let r = call(&layer, Some("Bearer")).await;
    assert!(
        challenge(&r).contains("error=\"invalid_request\""),
        "{}",
        challenge(&r)
    );

    let r = call(&layer, Some("Bearer not.a.jwt")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        challenge(&r).contains("error=\"invalid_token\", error_description=\"malformed token"),
        "{}",
        challenge(&r)
    );

    let r = call(
        &layer,
        Some(&format!("Bearer {}", token(&k, "RS256", "write"))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        challenge(&r).contains("error=\"insufficient_scope\"")
            && challenge(&r).contains("scope=\"read\"")
    );

    // Descriptions off: the same codes, no error_description.
    let quiet = GuardLayer::new(validator(&k, false));
    let r = call(&quiet, Some("Bearer not.a.jwt")).await;
    assert_eq!(
        challenge(&r),
        format!("Bearer realm=\"api\", error=\"invalid_token\", {meta}")
    );
}

#[test]
fn protected_resource_metadata() {
    let k = keys();
    let v = validator(&k, true);
    let m = ProtectedResourceMetadata::from_config(v.config()).unwrap();
    let body: serde_json::Value = serde_json::from_str(m.to_response().body()).unwrap();
    assert_eq!(body["resource"], AUD);
    assert_eq!(body["authorization_servers"][0], ISS);
    assert_eq!(body["bearer_methods_supported"][0], "header");
    assert_eq!(body["scopes_supported"][1], "write");
}
