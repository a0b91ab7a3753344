//! In-process fixtures shared by the proxy and middleware tests: a token endpoint handing out
//! `at-1`, `at-2`, … and an upstream that rejects `at-1` and echoes what reached it.

use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A token endpoint handing out `at-<n>` (60 s) to every request; returns its URL and counter.
pub async fn token_endpoint() -> (String, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", l.local_addr().unwrap());
    let c2 = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = l.accept().await.unwrap();
            let n = c2.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                // The form is small: read until the head and its announced body are in.
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                loop {
                    let r = sock.read(&mut tmp).await.unwrap();
                    buf.extend_from_slice(&tmp[..r]);
                    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                    if let Some(i) = text.find("\r\n\r\n") {
                        let len: usize = text[..i]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map(|v| v.trim().parse().unwrap())
                            .unwrap_or(0);
                        if buf.len() >= i + 4 + len || r == 0 {
                            break;
                        }
                    }
                }
                let json =
                    format!(r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":60}}"#);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                    json.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, count)
}

/// The upstream: 401 for `Bearer at-1` and for any path ending in `/deny`; else 200 with the
/// request's method, path+query, Authorization, the `x-hop`/`x-keep` headers it received (as
/// response headers) and its body echoed.
pub async fn upstream() -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/base/", l.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (sock, _) = l.accept().await.unwrap();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let auth = req
                            .headers()
                            .get("authorization")
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default();
                        let hop = req.headers().contains_key("x-hop");
                        let keep = req.headers().contains_key("x-keep");
                        let target = req.uri().path_and_query().unwrap().to_string();
                        let method = req.method().to_string();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let status = if auth == "Bearer at-1" || target.ends_with("/deny") {
                            401
                        } else {
                            200
                        };
                        // `/close…`: the upstream ends the connection after answering.
                        let close = if target.contains("/close") {
                            "close"
                        } else {
                            "keep-alive"
                        };
                        let resp = hyper::Response::builder()
                            .status(status)
                            .header("connection", close)
                            .header("x-method", method)
                            .header("x-target", target)
                            .header("x-auth", auth)
                            .header("x-saw-hop", hop.to_string())
                            .header("x-saw-keep", keep.to_string())
                            .body(Full::new(body))
                            .unwrap();
                        Ok::<_, std::convert::Infallible>(resp)
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(sock), svc)
                    .await;
            });
        }
    });
    url
}

/// A `TokenSource` for profile `p` whose token endpoint is `token_url` (no disk cache).
pub fn token_source(token_url: String) -> authdoctor_tokens::TokenSource {
    let cfg = authdoctor_tokens::TokenConfig {
        profile: "p".into(),
        issuer: Some("http://issuer.invalid".into()),
        endpoints: Some(authdoctor_tokens::Endpoints {
            token_endpoint: token_url,
            ..Default::default()
        }),
        client_id: "c".into(),
        auth: authdoctor_tokens::ClientAuth::SecretBasic(authdoctor_core::secret::Secret::new("s")),
        scopes: vec!["read".into()],
        resource: None,
        audience: None,
        token_env: vec![],
        token_file: None,
        dpop_key: None,
    };
    authdoctor_tokens::TokenSource::new(cfg, reqwest::Client::new(), None)
}
