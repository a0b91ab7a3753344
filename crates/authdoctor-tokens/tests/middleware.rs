//! `TokenMiddleware` (feature `middleware`, enabled for this crate's tests by its self
//! dev-dependency) in a real `reqwest_middleware` client against the in-process token endpoint
//! and upstream of `support`: the token is injected (replacing the caller's), a safe request is
//! retried once after a 401 with a renewed token, a POST is not, and a request refused even with
//! the renewed token fails with authdoctor's diagnosis attached.

use authdoctor_tokens::client::AuthClientError;
use authdoctor_tokens::middleware::TokenMiddleware;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use support::{token_endpoint, token_source, upstream};

mod support;

struct Fixture {
    client: reqwest_middleware::ClientWithMiddleware,
    base: String,
    tokens: Arc<AtomicU64>,
}

async fn fixture() -> Fixture {
    let (token_url, tokens) = token_endpoint().await;
    let src = token_source(token_url);
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(TokenMiddleware::new(src))
        .build();
    Fixture {
        client,
        base: upstream().await,
        tokens,
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

fn rejected(e: reqwest_middleware::Error) -> (u16, String) {
    let text = format!("{e:?} {e}");
    assert!(!text.contains("Bearer at-"), "token leaked: {text}");
    match e {
        reqwest_middleware::Error::Middleware(inner) => {
            match inner.downcast_ref::<AuthClientError>() {
                Some(AuthClientError::Rejected {
                    status, summary, ..
                }) => (*status, summary.clone()),
                other => panic!("not a rejection: {other:?}"),
            }
        }
        other => panic!("not a middleware error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injects_renews_and_retries_a_safe_request_once_after_a_401() {
    let f = fixture().await;
    let r = f
        .client
        .get(format!("{}x?q=1", f.base))
        .header("authorization", "Bearer the-callers-own")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // at-1 was refused, at-2 (one forced renewal) accepted.
    assert_eq!(header(&r, "x-auth"), "Bearer at-2");
    assert_eq!(header(&r, "x-target"), "/base/x?q=1");
    assert_eq!(f.tokens.load(Ordering::SeqCst), 2);
    // The renewed token is reused: no more token requests.
    for _ in 0..3 {
        let r = f.client.put(format!("{}y", f.base)).body("b").send().await;
        let r = r.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-auth"), "Bearer at-2");
        assert_eq!(header(&r, "x-method"), "PUT");
    }
    assert_eq!(f.tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_not_resent_and_fails_with_the_diagnosis() {
    let f = fixture().await;
    let e = f
        .client
        .post(format!("{}x", f.base))
        .body("payload")
        .send()
        .await
        .unwrap_err();
    let (status, summary) = rejected(e);
    assert_eq!(status, 401);
    assert!(!summary.is_empty());
    // No forced renewal for a request that is not sent again.
    assert_eq!(f.tokens.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn still_refused_after_one_renewal_attaches_the_diagnosis() {
    let f = fixture().await;
    let e = f
        .client
        .get(format!("{}deny", f.base))
        .send()
        .await
        .unwrap_err();
    let (status, _) = rejected(e);
    assert_eq!(status, 401);
    // Exactly one renewal and one retry, not a loop.
    assert_eq!(f.tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_and_a_delete_are_not_resent_after_a_401() {
    // PUT and DELETE are idempotent but not safe: like the CLI, never sent twice unasked.
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let f = fixture().await;
        let e = f
            .client
            .request(method.clone(), format!("{}x", f.base))
            .body("payload")
            .send()
            .await
            .unwrap_err();
        let (status, _) = rejected(e);
        assert_eq!(status, 401, "{method}");
        assert_eq!(
            f.tokens.load(Ordering::SeqCst),
            1,
            "{method} was sent again"
        );
    }
}
