//! DPoP against real peers: `authdoctor_jose::dpop` proofs obtain DPoP-bound tokens from a real
//! issuer (oidc-provider with its dPoP feature, peer `dpop_issuer`, including its server-nonce
//! client), the guard accepts those tokens with fresh proofs and refuses them as Bearer or with
//! another key's proof, and the same proofs are accepted by another implementation's resource
//! server (Auth0's express-oauth2-jwt-bearer, peer `dpop_rs`). And the other way round: keys
//! and proofs made by Node's crypto (`mint-dpop.mjs`) are loaded and judged by authdoctor.
//!
//! Needs `AUTHDOCTOR_DPOP_ISSUER` and `AUTHDOCTOR_DPOP_RS` (scripts/peers start). Without them the
//! test fails with a hint; it never skips.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use authdoctor_guard::{DpopConfig, GuardLayer, Validator};
use authdoctor_jose::dpop::{ProofClaims, ProofKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

/// A peers variable from the environment, else from the peers env file.
fn peer_var(name: &str) -> Option<String> {
    if let Ok(v) = std::env::var(name) {
        return Some(v);
    }
    let home = std::env::var("AUTHDOCTOR_PEERS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/authdoctor-peers")
        });
    let env = std::fs::read_to_string(home.join("run/peers.env")).ok()?;
    env.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

fn require(name: &str) -> String {
    peer_var(name).unwrap_or_else(|| {
        panic!("{name} is not set and not in the peers env file: run `scripts/peers start` (or scripts/test)")
    })
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn jti() -> String {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn proof(key: &ProofKey, htm: &str, htu: &str, token: Option<&str>, nonce: Option<&str>) -> String {
    key.proof(&ProofClaims {
        htm,
        htu,
        iat: now(),
        jti: &jti(),
        access_token: token,
        nonce,
    })
    .unwrap()
}

/// client_credentials with a DPoP proof (and the nonce the issuer asks for, if it does): the
/// token, and whether a nonce was needed.
async fn dpop_token(
    issuer: &str,
    client: (&str, &str),
    audience: &str,
    key: &ProofKey,
) -> (String, bool) {
    let url = format!("{issuer}/token");
    let body = format!(
        "grant_type=client_credentials&scope=read&resource={}",
        audience.replace(':', "%3A").replace('/', "%2F")
    );
    let http = reqwest::Client::new();
    let mut nonce: Option<String> = None;
    for _ in 0..2 {
        let r = http
            .post(&url)
            .basic_auth(client.0, Some(client.1))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("dpop", proof(key, "POST", &url, None, nonce.as_deref()))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status();
        let fresh = r
            .headers()
            .get("dpop-nonce")
            .map(|v| v.to_str().unwrap().to_owned());
        let v: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap_or(Value::Null);
        if status.is_success() {
            assert_eq!(v["token_type"], "DPoP", "{v}");
            return (
                v["access_token"].as_str().unwrap().to_owned(),
                nonce.is_some(),
            );
        }
        assert_eq!(
            v["error"], "use_dpop_nonce",
            "token request refused: {status} {v}"
        );
        nonce = Some(fresh.expect("use_dpop_nonce comes with a DPoP-Nonce"));
    }
    panic!("no token after the nonce round trip");
}

async fn send(url: &str, auth: &str, proof: Option<String>) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .get(url)
        .header("authorization", auth);
    if let Some(p) = proof {
        req = req.header("dpop", p);
    }
    let r = req.send().await.unwrap();
    let c = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_issuer_tokens_through_the_guard_and_a_real_rs() {
    let issuer = require("AUTHDOCTOR_DPOP_ISSUER");
    let audience = require("AUTHDOCTOR_DPOP_AUDIENCE");
    let rs = require("AUTHDOCTOR_DPOP_RS");
    let svc = (
        require("AUTHDOCTOR_DPOP_CLIENT_ID"),
        require("AUTHDOCTOR_DPOP_CLIENT_SECRET"),
    );
    let nonce_client = (
        require("AUTHDOCTOR_DPOP_NONCE_CLIENT_ID"),
        require("AUTHDOCTOR_DPOP_NONCE_CLIENT_SECRET"),
    );

    // The guard, in front of a handler, reached at its own address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let validator = Validator::builder()
        .discover(issuer.clone())
        .audience(audience.clone())
        .dpop(DpopConfig::new(base.parse().unwrap()))
        .build()
        .unwrap();
    validator
        .prefetch()
        .await
        .expect("JWKS from the DPoP issuer");
    let app = axum::Router::new()
        .route("/v1/orders", axum::routing::get(|| async { "ok" }))
        .layer(GuardLayer::new(validator));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("{base}/v1/orders");

    for (name, client) in [("dpop-svc", &svc), ("dpop-nonce", &nonce_client)] {
        let key = ProofKey::generate_es256().unwrap();
        let (token, needed_nonce) =
            dpop_token(&issuer, (&client.0, &client.1), &audience, &key).await;
        assert_eq!(
            needed_nonce,
            name == "dpop-nonce",
            "{name}: the issuer's nonce rule"
        );
        let auth = format!("DPoP {token}");

        // Accepted with a fresh proof by the bound key.
        let (status, c) = send(
            &url,
            &auth,
            Some(proof(&key, "GET", &url, Some(&token), None)),
        )
        .await;
        assert_eq!(status, 200, "{name}: {c}");
        // Refused as Bearer (RFC 9449 §7.2), and with another key's proof.
        let (status, c) = send(&url, &format!("Bearer {token}"), None).await;
        assert_eq!(status, 401, "{name}");
        assert!(
            c.starts_with("Bearer ") && c.contains("invalid_token"),
            "{name}: {c}"
        );
        let other = ProofKey::generate_es256().unwrap();
        let (status, c) = send(
            &url,
            &auth,
            Some(proof(&other, "GET", &url, Some(&token), None)),
        )
        .await;
        assert_eq!(status, 401, "{name}");
        assert!(
            c.starts_with("DPoP ") && c.contains("error=\"invalid_token\""),
            "{name}: {c}"
        );
        // No proof at all.
        let (status, c) = send(&url, &auth, None).await;
        assert_eq!(status, 401, "{name}");
        assert!(c.contains("invalid_dpop_proof"), "{name}: {c}");

        // The same kind of proof is accepted by Auth0's resource-server middleware.
        let rs_url = format!("{rs}/api/hello");
        let (status, c) = send(
            &rs_url,
            &auth,
            Some(proof(&key, "GET", &rs_url, Some(&token), None)),
        )
        .await;
        assert_eq!(status, 200, "{name} at express-oauth2-jwt-bearer: {c}");
    }
}

/// The other direction: a key, a token and proofs made by Node's own crypto
/// (`tests/peers/oidc-provider/mint-dpop.mjs`), read and judged by authdoctor: the key files load
/// with the same thumbprint, the valid proof is accepted by the guard, each broken one refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_made_keys_and_proofs() {
    let issuer = require("AUTHDOCTOR_DPOP_ISSUER");
    let audience = require("AUTHDOCTOR_DPOP_AUDIENCE");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let url = format!("{base}/v1/orders");

    let dir = std::env::temp_dir().join(format!("authdoctor-guard-dpop-{}", jti()));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers/oidc-provider/mint-dpop.mjs");
    let out = std::process::Command::new("node")
        .arg(&script)
        .args([
            "--dir",
            dir.to_str().unwrap(),
            "--issuer",
            &issuer,
            "--resource",
            &audience,
        ])
        .args(["--pair", "GET", &url])
        .output()
        .expect("run node (scripts/install-peers installs it)");
    assert!(
        out.status.success(),
        "mint-dpop.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("mint-dpop.mjs prints JSON");
    let jkt = v["jkt"].as_str().unwrap();
    for file in ["key_file", "pem_file"] {
        let bytes = std::fs::read(v[file].as_str().unwrap()).unwrap();
        let key = ProofKey::load(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            key.thumbprint(),
            jkt,
            "{file}: RFC 7638 thumbprint as Node computes it"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    let validator = Validator::builder()
        .discover(issuer.clone())
        .audience(audience.clone())
        .dpop(DpopConfig::new(base.parse().unwrap()))
        .build()
        .unwrap();
    validator
        .prefetch()
        .await
        .expect("JWKS from the DPoP issuer");
    let app = axum::Router::new()
        .route("/v1/orders", axum::routing::get(|| async { "ok" }))
        .layer(GuardLayer::new(validator));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let auth = format!("DPoP {}", v["access_token"].as_str().unwrap());
    let proofs = &v["pairs"][0]["proofs"];
    let p = |name: &str| Some(proofs[name]["proof"].as_str().unwrap().to_owned());
    let (status, c) = send(&url, &auth, p("valid")).await;
    assert_eq!(status, 200, "valid: {c}");
    for (name, code) in [
        ("valid", "invalid_dpop_proof"), // the same proof again: a replay
        ("other_key", "invalid_token"),
        ("wrong_htu", "invalid_dpop_proof"),
        ("wrong_htm", "invalid_dpop_proof"),
        ("old_iat", "invalid_dpop_proof"),
        ("no_ath", "invalid_dpop_proof"),
        ("wrong_ath", "invalid_dpop_proof"),
    ] {
        let (status, c) = send(&url, &auth, p(name)).await;
        assert_eq!(status, 401, "{name}");
        assert!(
            c.starts_with("DPoP ") && c.contains(&format!("error=\"{code}\"")),
            "{name}: {c}"
        );
    }
}
