//! The reverse proxy against an in-process token endpoint (each request a new token: `at-1`,
//! `at-2`, …) and an in-process upstream that rejects `at-1` and echoes what reached it: the
//! token is injected (replacing the client's), the upstream base path and query are kept,
//! hop-by-hop headers are dropped, a safe request is retried once after a 401 with a renewed
//! token, a request with a body is not, bodies stream through, and h2c clients are served.

use authdoctor_tokens::proxy::{Stats, serve};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use support::{token_endpoint, token_source, upstream};

mod support;

struct Proxy {
    base: String,
    stats: Arc<Stats>,
    tokens: Arc<AtomicU64>,
}

async fn proxy() -> Proxy {
    let (token_url, tokens) = token_endpoint().await;
    let src = token_source(token_url);
    let up = url::Url::parse(&upstream().await).unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let stats = Arc::new(Stats::default());
    let st = stats.clone();
    tokio::spawn(async move { serve(l, up, src, st, std::future::pending()).await });
    Proxy {
        base,
        stats,
        tokens,
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injects_the_token_and_retries_a_safe_request_once_after_a_401() {
    let p = proxy().await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/x/y?q=1&r=%20", p.base))
        .header("authorization", "Bearer the-clients-own")
        .header("connection", "x-hop")
        .header("x-hop", "1")
        .header("x-keep", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // at-1 was refused, at-2 (one renewal) accepted.
    assert_eq!(header(&r, "x-auth"), "Bearer at-2");
    assert_eq!(header(&r, "x-target"), "/base/x/y?q=1&r=%20");
    assert_eq!(header(&r, "x-saw-hop"), "false");
    assert_eq!(header(&r, "x-saw-keep"), "true");
    assert_eq!(p.stats.retried.load(Ordering::SeqCst), 1);
    assert_eq!(p.tokens.load(Ordering::SeqCst), 2);
    // The renewed token is reused: no more token requests, no more retries.
    for _ in 0..5 {
        let r = http.get(format!("{}/x", p.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-auth"), "Bearer at-2");
    }
    assert_eq!(p.stats.retried.load(Ordering::SeqCst), 1);
    assert_eq!(p.tokens.load(Ordering::SeqCst), 2);
    assert_eq!(p.stats.requests.load(Ordering::SeqCst), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_a_body_is_streamed_and_never_resent() {
    let p = proxy().await;
    let http = reqwest::Client::new();
    // Renew past at-1 first (a GET, retried), so the POSTs below carry an accepted token.
    assert_eq!(
        http.get(format!("{}/", p.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let tokens = p.tokens.load(Ordering::SeqCst);
    // A 1 MiB body sent in chunks (no length): streamed through and echoed back whole.
    let chunks: std::collections::VecDeque<Bytes> =
        (0..64u8).map(|i| Bytes::from(vec![i; 16 * 1024])).collect();
    let expected: Vec<u8> = chunks.iter().flat_map(|c| c.to_vec()).collect();
    let body = reqwest::Body::wrap(Chunks(chunks));
    let r = http
        .post(format!("{}/echo", p.base))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-method"), "POST");
    assert_eq!(r.bytes().await.unwrap().as_ref(), expected.as_slice());
    // A POST refused with 401 comes back as is: no renewal, no second send.
    let r = http
        .post(format!("{}/deny", p.base))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(p.tokens.load(Ordering::SeqCst), tokens);
    assert_eq!(p.stats.retried.load(Ordering::SeqCst), 1);
    assert_eq!(p.stats.unauthorized.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_h2c_clients() {
    let p = proxy().await;
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = http.get(format!("{}/h2", p.base)).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-target"), "/base/h2");
    assert_eq!(header(&r, "x-auth"), "Bearer at-2");
    let r = http
        .put(format!("{}/h2put", p.base))
        .body("over h2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"over h2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_connections_closed_or_handed_between_clients_still_serve() {
    let p = proxy().await;
    // The upstream closes its connection after every answer: each next request finds the
    // client's own upstream connection gone and goes out on a new one.
    let http = reqwest::Client::new();
    for i in 0..10 {
        let r = http
            .get(format!("{}/close/{i}", p.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "request {i}");
    }
    // A new client connection per request: upstream connections are parked and reused.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for i in 0..10 {
        let r = http
            .get(format!("{}/again/{i}", p.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "request {i}");
        assert_eq!(header(&r, "x-target"), format!("/base/again/{i}"));
    }
    assert_eq!(p.stats.errors.load(Ordering::SeqCst), 0);
}

/// A body of the given chunks with no length announced (so it goes out chunked, as a stream).
struct Chunks(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|c| Ok(hyper::body::Frame::data(c))))
    }
}
