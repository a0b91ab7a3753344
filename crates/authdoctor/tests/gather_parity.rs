//! A Rust program and the command line judge the same request the same way: `AuthClient`'s
//! rejection and `authdoctor check --format json` both go through `authdoctor_net::gather`, so
//! for the same refused request they rank the same causes, in the same order. Checked against
//! the real oidc-provider peer (`AUTHDOCTOR_OIDC`) and an in-test resource server validating its
//! tokens with authdoctor-guard: an expired token, a token for another audience, a token
//! without the scope the route needs — through a safe method (probes run, and `AuthClient`
//! renews once, into a token with the same defect) and a POST (never sent twice, no probes).

mod support;

use authdoctor_tokens::client::{AuthClient, AuthClientError};
use authdoctor_tokens::config::{ClientAuth, TokenConfig};
use authdoctor_tokens::source::TokenSource;
use authdoctor_tokens::token::TokenSet;
use serde_json::Value;
use support::peer;

const SHORT: &str = "https://api.authdoctor.test/short";
const DEFAULT_AUD: &str = "https://api.authdoctor.test/";
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";

fn oidc() -> String {
    peer("AUTHDOCTOR_OIDC")
}

/// `/v1/read` needs `read`, `/v1/write` needs `write`, any method; aud = SHORT, leeway 0.
fn resource_server(issuer: &str) -> String {
    use authdoctor_guard::{GuardLayer, Validator};
    use axum::Router;
    use axum::routing::any;
    let issuer = issuer.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let v = Validator::builder()
                .realm("parity-test")
                .discover(issuer)
                .audience(SHORT)
                .leeway(0)
                .build()
                .unwrap();
            let app = Router::new()
                .route(
                    "/v1/read",
                    any(|| async { "read ok\n" })
                        .layer(GuardLayer::new(v.clone()).require_scopes(["read"])),
                )
                .route(
                    "/v1/write",
                    any(|| async { "write ok\n" })
                        .layer(GuardLayer::new(v.clone()).require_scopes(["write"])),
                );
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            axum::serve(l, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// A client-credentials token from the provider for `scope` and `resource`.
fn provider_token(scope: &str, resource: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-u", &format!("{CLIENT}:{SECRET}")])
        .args(["-d", "grant_type=client_credentials"])
        .args(["-d", &format!("scope={scope}")])
        .args(["-d", &format!("resource={resource}")])
        .arg(format!("{}/token", oidc()))
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).expect("token response");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A source that renews from the provider with `scope` and `resource` (so a renewal keeps the
/// defect), holding `token` to start with.
fn source(token: &str, scope: &str, resource: &str) -> TokenSource {
    let cfg = TokenConfig {
        profile: "parity".into(),
        issuer: Some(oidc()),
        endpoints: None,
        client_id: CLIENT.into(),
        auth: ClientAuth::SecretBasic(authdoctor_core::secret::Secret::new(SECRET)),
        scopes: vec![scope.into()],
        resource: Some(resource.into()),
        audience: None,
        token_env: Vec::new(),
        token_file: None,
        dpop_key: None,
    };
    let src = TokenSource::new(cfg.clone(), reqwest::Client::new(), None);
    src.adopt(TokenSet {
        access_token: token.into(),
        token_type: "Bearer".into(),
        // Fresh as far as the source knows: only the server can say otherwise.
        expires_at: Some(authdoctor_core::time::now_unix() + 3600),
        issued_at: authdoctor_core::time::now_unix(),
        refresh_token: None,
        refresh_expires_at: None,
        scope: Some(scope.into()),
        server_offset: None,
        key: cfg.cache_key(),
    })
    .expect("adopt");
    src
}

/// The ranked finding ids `AuthClient` attaches to its rejection, and the token it last sent.
fn client_ids(src: TokenSource, method: reqwest::Method, url: &str) -> (Vec<String>, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let client = AuthClient::new(http.clone(), src.clone());
        let req = http.request(method, url).build().unwrap();
        match client.execute(req).await {
            Err(AuthClientError::Rejected { findings, .. }) => {
                let ids = findings.iter().map(|f| f.id.to_string()).collect();
                let last = src
                    .current()
                    .expect("a token was sent")
                    .access_token
                    .clone();
                (ids, last)
            }
            Err(e) => panic!("expected a diagnosed rejection from {url}, got: {e}"),
            Ok(r) => panic!("expected a rejection from {url}, got {}", r.status()),
        }
    })
}

/// The same request through `authdoctor check --format json` (no profile, fresh caches).
fn cli_ids(method: &str, url: &str, token: &str) -> Vec<String> {
    let auth = format!("Authorization: Bearer {token}");
    let run = support::check_json_fresh(&["-X", method, "-H", auth.as_str(), url]);
    let ids = run.finding_ids();
    assert!(!ids.is_empty(), "the CLI found nothing:\n{}", run.stdout);
    ids
}

fn assert_same(case: &str, first: &str, method: reqwest::Method, url: &str, src: TokenSource) {
    let (client, sent) = client_ids(src, method.clone(), url);
    let cli = cli_ids(method.as_str(), url, &sent);
    eprintln!("{case}: {cli:?}");
    assert_eq!(
        cli.first().map(String::as_str),
        Some(first),
        "{case}: {cli:?}"
    );
    assert_eq!(
        client, cli,
        "{case}: AuthClient and the CLI rank different causes for {method} {url}"
    );
}

#[test]
fn wrong_audience_same_findings() {
    let api = resource_server(&oidc());
    let token = provider_token("read", DEFAULT_AUD);
    let url = format!("{api}/v1/read");
    assert_same(
        "wrong audience, GET",
        "audience-mismatch",
        reqwest::Method::GET,
        &url,
        source(&token, "read", DEFAULT_AUD),
    );
    assert_same(
        "wrong audience, POST",
        "audience-mismatch",
        reqwest::Method::POST,
        &url,
        source(&token, "read", DEFAULT_AUD),
    );
}

#[test]
fn missing_scope_same_findings() {
    let api = resource_server(&oidc());
    let token = provider_token("read", SHORT);
    let url = format!("{api}/v1/write");
    assert_same(
        "missing scope, GET",
        "insufficient-scope",
        reqwest::Method::GET,
        &url,
        source(&token, "read", SHORT),
    );
    assert_same(
        "missing scope, POST",
        "insufficient-scope",
        reqwest::Method::POST,
        &url,
        source(&token, "read", SHORT),
    );
}

#[test]
fn expired_token_same_findings() {
    let api = resource_server(&oidc());
    // The provider's tokens for SHORT live 5 seconds.
    let token = provider_token("read", SHORT);
    std::thread::sleep(std::time::Duration::from_secs(7));
    let url = format!("{api}/v1/read");
    // A POST is never sent twice: the expired token is the one judged, by both.
    assert_same(
        "expired, POST",
        "token-expired",
        reqwest::Method::POST,
        &url,
        source(&token, "read", SHORT),
    );
}
