//! The grants and the source against an in-process token endpoint that records and counts every
//! request: RFC 6749 §2.3.1 form-encoding before Base64, refresh with a rotated refresh token
//! stored before the old one is dropped, `invalid_grant` falling back to client_credentials,
//! single-flight, and the typed `invalid_client` refusal.

use authdoctor_core::secret::Secret;
use authdoctor_tokens::{
    ClientAuth, EndpointErrorKind, Endpoints, FileCache, TokenConfig, TokenError, TokenSet,
    TokenSource,
};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Default)]
struct Seen {
    requests: Vec<(String, String)>, // (authorization header, form body)
}

/// A token endpoint: `refresh_token=rt-old` → rotated `rt-new`; `rt-dead` → invalid_grant;
/// secret "wrong" → 401 invalid_client; else a 60 s opaque token. Each answer is delayed 50 ms so
/// concurrent callers overlap.
async fn endpoint() -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", l.local_addr().unwrap());
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = l.accept().await.unwrap();
            let seen = s2.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                let (head, body) = loop {
                    let n = sock.read(&mut tmp).await.unwrap();
                    buf.extend_from_slice(&tmp[..n]);
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let head = text[..i].to_string();
                        let len: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() >= i + 4 + len {
                            break (head, text[i + 4..i + 4 + len].to_string());
                        }
                    }
                };
                let auth = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .starts_with("authorization:")
                            .then(|| l[14..].trim().to_string())
                    })
                    .unwrap_or_default();
                seen.lock()
                    .unwrap()
                    .requests
                    .push((auth.clone(), body.clone()));
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let wrong = base64_decode(auth.trim_start_matches("Basic ")).ends_with(":wrong");
                let (status, json) = if wrong {
                    ("401 Unauthorized", r#"{"error":"invalid_client","error_description":"client authentication failed"}"#.to_string())
                } else if body.contains("refresh_token=rt-dead") {
                    (
                        "400 Bad Request",
                        r#"{"error":"invalid_grant","error_description":"refresh token expired"}"#
                            .to_string(),
                    )
                } else if body.contains("refresh_token=rt-old") {
                    ("200 OK", r#"{"access_token":"at-refreshed","token_type":"Bearer","expires_in":60,"refresh_token":"rt-new"}"#.to_string())
                } else {
                    (
                        "200 OK",
                        r#"{"access_token":"at-cc","token_type":"bearer","expires_in":60}"#
                            .to_string(),
                    )
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                    json.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, seen)
}

fn base64_decode(s: &str) -> String {
    use base64::Engine;
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_default(),
    )
    .unwrap_or_default()
}

fn config(url: &str, id: &str, secret: &str) -> TokenConfig {
    TokenConfig {
        profile: "t".into(),
        issuer: Some("http://issuer.invalid".into()),
        endpoints: Some(Endpoints {
            token_endpoint: url.into(),
            ..Default::default()
        }),
        client_id: id.into(),
        auth: ClientAuth::SecretBasic(Secret::new(secret)),
        scopes: vec!["read".into()],
        resource: Some("https://api.example/".into()),
        audience: None,
        token_env: vec![],
        token_file: None,
        dpop_key: None,
    }
}

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("adt-endpoint-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_form_encodes_before_base64_and_sends_resource() {
    let (url, seen) = endpoint().await;
    let src = TokenSource::new(
        config(&url, "my client", "a+b/c=d:e%"),
        reqwest::Client::new(),
        None,
    );
    let t = src.token().await.unwrap();
    assert_eq!(t.authorization(), "Bearer at-cc");
    let (auth, body) = seen.lock().unwrap().requests[0].clone();
    // RFC 6749 §2.3.1: application/x-www-form-urlencoded first, then Base64.
    assert_eq!(
        base64_decode(auth.trim_start_matches("Basic ")),
        "my+client:a%2Bb%2Fc%3Dd%3Ae%25"
    );
    assert!(body.contains("grant_type=client_credentials"));
    assert!(body.contains("resource=https%3A%2F%2Fapi.example%2F"));
    assert!(!body.contains("client_secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_request() {
    let (url, seen) = endpoint().await;
    let src = TokenSource::new(config(&url, "c", "s"), reqwest::Client::new(), None);
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let s = src.clone();
            tokio::spawn(async move { s.token().await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().access_token.expose(), "at-cc");
    }
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
    // A 401 seen by many callers renews once.
    let old = src.current().unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = src.clone();
            let o = old.clone();
            tokio::spawn(async move { s.renew_after_rejection(&o).await.unwrap() })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(seen.lock().unwrap().requests.len(), 2);
}

fn expired_with(rt: &str, key: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new("at-old"),
        token_type: "Bearer".into(),
        expires_at: Some(1000),
        issued_at: 900,
        refresh_token: Some(Secret::new(rt)),
        refresh_expires_at: None,
        scope: None,
        server_offset: None,
        key: key.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_refresh_token_is_stored() {
    let (url, seen) = endpoint().await;
    let cfg = config(&url, "c", "s");
    let cache = FileCache::open(tmpdir("rotate")).unwrap();
    cache
        .store("t", &expired_with("rt-old", &cfg.cache_key()))
        .unwrap();
    let src = TokenSource::new(cfg, reqwest::Client::new(), Some(cache.clone()));
    let t = src.token().await.unwrap();
    assert_eq!(t.access_token.expose(), "at-refreshed");
    assert!(
        seen.lock().unwrap().requests[0]
            .1
            .contains("grant_type=refresh_token")
    );
    let disk = cache.load("t").unwrap().unwrap();
    assert_eq!(
        disk.refresh_token.as_ref().map(Secret::expose),
        Some("rt-new")
    );
    std::fs::remove_dir_all(cache.dir()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_refresh_token_falls_back_to_client_credentials() {
    let (url, seen) = endpoint().await;
    let cfg = config(&url, "c", "s");
    let cache = FileCache::open(tmpdir("dead")).unwrap();
    cache
        .store("t", &expired_with("rt-dead", &cfg.cache_key()))
        .unwrap();
    let src = TokenSource::new(cfg, reqwest::Client::new(), Some(cache.clone()));
    assert_eq!(src.token().await.unwrap().access_token.expose(), "at-cc");
    assert_eq!(seen.lock().unwrap().requests.len(), 2);
    std::fs::remove_dir_all(cache.dir()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_a_typed_invalid_client_with_the_exchange() {
    let (url, _) = endpoint().await;
    let src = TokenSource::new(config(&url, "c", "wrong"), reqwest::Client::new(), None);
    let e = src.token().await.unwrap_err();
    match &e {
        TokenError::Endpoint { kind, status, .. } => {
            assert_eq!(*kind, EndpointErrorKind::InvalidClient);
            assert_eq!(*status, 401);
        }
        other => panic!("{other:?}"),
    }
    let rec = e.recorded().unwrap();
    assert_eq!(rec.exchange.status, 401);
    assert!(!e.to_string().contains("wrong"), "{e}");
}

/// A cache hit never builds the HTTP client (that is what keeps a cached `token get` at the
/// cost of a process start); a stale entry builds it once, on the first token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_hit_builds_no_http_client() {
    let (url, seen) = endpoint().await;
    let cfg = config(&url, "c", "s");
    let cache = FileCache::open(tmpdir("lazy")).unwrap();
    let now = authdoctor_core::time::now_unix();
    let fresh = TokenSet {
        access_token: Secret::new("at-cached"),
        expires_at: Some(now + 3600),
        issued_at: now,
        refresh_token: None,
        ..expired_with("", &cfg.cache_key())
    };
    cache.store("t", &fresh).unwrap();
    let built = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let b2 = built.clone();
    let make = move || {
        b2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(reqwest::Client::new())
    };
    let src = TokenSource::lazy(cfg.clone(), make.clone(), Some(cache.clone()));
    assert_eq!(
        src.token().await.unwrap().access_token.expose(),
        "at-cached"
    );
    assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 0);
    assert!(seen.lock().unwrap().requests.is_empty());
    // Stale on disk: one client built, one token request.
    cache
        .store("t", &expired_with("rt-old", &cfg.cache_key()))
        .unwrap();
    let src = TokenSource::lazy(cfg, make, Some(cache.clone()));
    assert_eq!(
        src.token().await.unwrap().access_token.expose(),
        "at-refreshed"
    );
    assert_eq!(built.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(seen.lock().unwrap().requests.len(), 1);
    std::fs::remove_dir_all(cache.dir()).unwrap();
}
