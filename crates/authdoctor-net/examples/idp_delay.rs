//! A loopback issuer + API where every response is delayed, for `scripts/bench-idp` (the issuer checks
//! performance check): it shows that `authdoctor check` runs the issuer fetches concurrently with
//! the request, so the wall time tracks the slowest dependency chain (discovery → JWKS, two
//! round trips) rather than the sum of all fetches.
//!
//! `cargo run --release -p authdoctor-net --example idp_delay -- PORT DELAY_MS` prints a line
//! `token <JWT>` (ES256, signed by the key its JWKS publishes, valid 1 h) then `ready`, and
//! serves on 127.0.0.1:PORT until killed:
//! - `/.well-known/openid-configuration`, `/jwks`: the issuer (`Cache-Control: no-store`, so
//!   every run fetches again);
//! - `/.well-known/oauth-protected-resource/api`: RFC 9728 metadata;
//! - `/api`: 401 with a Bearer challenge naming that metadata.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(14900);
    let delay = Duration::from_millis(args.next().and_then(|d| d.parse().ok()).unwrap_or(200));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("idp_delay: runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(serve(port, delay)) {
        eprintln!("idp_delay: {e}");
        std::process::exit(1);
    }
}

async fn serve(port: u16, delay: Duration) -> Result<(), String> {
    let base = format!("http://127.0.0.1:{port}");
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| "keygen failed")?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|_| "key failed")?;
    let p = key.public_key().as_ref();
    let jwks = serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "bench-1",
        "use": "sig", "alg": "ES256", "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..65])}]});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let header = serde_json::json!({"alg": "ES256", "typ": "at+jwt", "kid": "bench-1"});
    let claims = serde_json::json!({"iss": base, "aud": format!("{base}/api"), "sub": "bench",
        "scope": "read", "iat": now, "exp": now + 3600});
    let si = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = key.sign(&rng, si.as_bytes()).map_err(|_| "sign failed")?;
    println!("token {si}.{}", B64.encode(sig.as_ref()));
    let discovery = serde_json::json!({"issuer": base, "jwks_uri": format!("{base}/jwks")});
    let meta_url = format!("{base}/.well-known/oauth-protected-resource/api");
    let metadata = serde_json::json!({"resource": format!("{base}/api"),
        "authorization_servers": [base], "scopes_supported": ["read"]});
    let docs = Arc::new((
        discovery.to_string(),
        jwks.to_string(),
        metadata.to_string(),
        meta_url,
    ));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("bind 127.0.0.1:{port}: {e}"))?;
    println!("ready");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let docs = docs.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let docs = docs.clone();
                    async move {
                        tokio::time::sleep(delay).await;
                        let (status, body, challenge) = match req.uri().path() {
                            "/.well-known/openid-configuration" => {
                                (StatusCode::OK, docs.0.clone(), None)
                            }
                            "/jwks" => (StatusCode::OK, docs.1.clone(), None),
                            "/.well-known/oauth-protected-resource/api" => {
                                (StatusCode::OK, docs.2.clone(), None)
                            }
                            "/api" => (
                                StatusCode::UNAUTHORIZED,
                                r#"{"error":"invalid_token"}"#.to_string(),
                                Some(format!(
                                    "Bearer error=\"invalid_token\", resource_metadata=\"{}\"",
                                    docs.3
                                )),
                            ),
                            _ => (StatusCode::NOT_FOUND, "{}".to_string(), None),
                        };
                        let mut r = Response::new(Full::new(Bytes::from(body)));
                        *r.status_mut() = status;
                        let h = r.headers_mut();
                        h.insert(
                            "content-type",
                            hyper::header::HeaderValue::from_static("application/json"),
                        );
                        h.insert(
                            "cache-control",
                            hyper::header::HeaderValue::from_static("no-store"),
                        );
                        if let Some(c) = challenge
                            && let Ok(v) = hyper::header::HeaderValue::from_str(&c)
                        {
                            h.insert("www-authenticate", v);
                        }
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
