//! Dogfood: the example API (in-process) guarded against a real issuer (oidc-provider, from the
//! peers env), real tokens from it, and the `authdoctor` binary diagnosing each of the guard's
//! rejections — right cause first, with the guard's own error_description as evidence.
//!
//! Needs `AUTHDOCTOR_OIDC` (scripts/peers start). Without it the test fails with a hint; it never
//! skips.

#[allow(dead_code)]
#[path = "../examples/guarded_api.rs"]
mod guarded_api;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

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

/// target/debug/authdoctor, next to this test's own deps directory; built if it is missing.
fn authdoctor_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let bin = dir.join(format!("authdoctor{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "-p", "authdoctor", "--bin", "authdoctor"])
            .status()
            .expect("run cargo build -p authdoctor")
            .success();
        assert!(ok && bin.exists(), "could not build {}", bin.display());
    }
    bin
}

async fn token(issuer: &str, scope: &str) -> String {
    let id = require("AUTHDOCTOR_OIDC_CLIENT_ID");
    let secret = require("AUTHDOCTOR_OIDC_CLIENT_SECRET");
    let resp = reqwest::Client::new()
        .post(format!("{issuer}/token"))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        // Form-encoded by hand (reqwest's `form` feature is off in the workspace): only the
        // space and the resource URL's reserved characters occur.
        .body(format!(
            "grant_type=client_credentials&scope={}&resource={}",
            scope.replace(' ', "+"),
            guarded_api::AUDIENCE
                .replace(':', "%3A")
                .replace('/', "%2F")
        ))
        .send()
        .await
        .expect("token request");
    let status = resp.status();
    let body: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).expect("token JSON");
    assert!(
        status.is_success(),
        "token endpoint answered {status}: {body}"
    );
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// An RFC 9068 token signed with the issuer's own ES256 key (from the shared KEYS_FILE), expired
/// an hour ago: what a client gets after caching a token too long.
fn expired_token(issuer: &str) -> String {
    let keys: Value = serde_json::from_str(
        &std::fs::read_to_string(require("AUTHDOCTOR_OIDC_KEYS_FILE")).unwrap(),
    )
    .unwrap();
    let jwk = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == "es256-test")
        .expect("es256-test key");
    let b = |f: &str| URL_SAFE_NO_PAD.decode(jwk[f].as_str().unwrap()).unwrap();
    let mut point = vec![4u8];
    point.extend(b("x"));
    point.extend(b("y"));
    let kp = EcdsaKeyPair::from_private_key_and_public_key(
        &ECDSA_P256_SHA256_FIXED_SIGNING,
        &b("d"),
        &point,
    )
    .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "es256-test"});
    let claims = json!({"iss": issuer, "aud": guarded_api::AUDIENCE, "sub": "svc", "client_id": "svc",
        "scope": "read", "iat": now - 7200, "exp": now - 3600, "jti": "dogfood-expired"});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = kp.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
}

struct Diagnosis {
    exit: i32,
    json: Value,
}

impl Diagnosis {
    fn first_id(&self) -> &str {
        self.json["findings"][0]["id"].as_str().unwrap_or("(none)")
    }

    fn evidence_text(&self) -> String {
        self.json["findings"][0]["evidence"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// The WWW-Authenticate header the guard sent, as authdoctor recorded it.
    fn challenge(&self) -> String {
        self.json["exchanges"][0]["headers"]
            .as_array()
            .and_then(|h| h.iter().find(|h| h["name"] == "www-authenticate"))
            .and_then(|h| h["value"].as_str())
            .unwrap_or("")
            .to_owned()
    }
}

async fn check(bin: &Path, args: Vec<String>) -> Diagnosis {
    let bin = bin.to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin)
            .arg("check")
            .arg("--format")
            .arg("json")
            .args(args)
            .output()
            .expect("run authdoctor")
    })
    .await
    .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "authdoctor output is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Diagnosis {
        exit: out.status.code().unwrap_or(-1),
        json,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authdoctor_diagnoses_every_guard_rejection() {
    let issuer = require("AUTHDOCTOR_OIDC");
    let bin = authdoctor_bin();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let validator = guarded_api::validator(&issuer, guarded_api::AUDIENCE, &base).unwrap();
    validator.prefetch().await.expect("JWKS from the issuer");
    let app = guarded_api::app(Some(&validator));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let url = format!("{base}/v1/orders");
    let bearer = |t: &str| {
        vec![
            "-H".to_owned(),
            format!("Authorization: Bearer {t}"),
            url.clone(),
        ]
    };

    // A valid token with scope read: 200, exit 0.
    let read = token(&issuer, "read").await;
    let d = check(&bin, bearer(&read)).await;
    assert_eq!(d.exit, 0, "valid token: {}", d.json);

    // No token: a bare challenge, diagnosed as missing credentials — after the discovery
    // chain, which is broken here: the example's metadata names its audience
    // (https://api.authdoctor.test/) as `resource` while it is served on 127.0.0.1, and the
    // issuer offers no registration, so a discovering client (MCP) would stop first.
    let d = check(&bin, vec![url.clone()]).await;
    assert_eq!(d.first_id(), "resource-metadata-invalid", "{}", d.json);
    assert!(
        d.json["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["id"] == "missing-credentials")),
        "{}",
        d.json
    );
    assert!(
        !d.challenge().contains("error="),
        "RFC 6750 §3.1: no error code without a token: {}",
        d.challenge()
    );

    // Expired (signed by the issuer's real key): token-expired, with the guard's description.
    let d = check(&bin, bearer(&expired_token(&issuer))).await;
    assert_eq!(d.first_id(), "token-expired", "{}", d.json);
    assert!(
        d.challenge()
            .contains("error_description=\"the access token expired at"),
        "{}",
        d.challenge()
    );
    assert!(
        d.evidence_text().contains("expired at"),
        "guard's description in the evidence: {}",
        d.evidence_text()
    );

    // Garbage: not a JWT at all.
    let d = check(&bin, bearer("not-a-jwt")).await;
    assert!(
        ["token-truncated", "invalid-credentials"].contains(&d.first_id()),
        "{}",
        d.json
    );
    assert!(
        d.evidence_text().contains("malformed token"),
        "{}",
        d.evidence_text()
    );

    // A JWT cut short: token-truncated.
    let cut = &read[..read.rfind('.').unwrap()];
    let d = check(&bin, bearer(cut)).await;
    assert!(
        ["token-truncated", "invalid-credentials"].contains(&d.first_id()),
        "{}",
        d.json
    );
    assert!(
        d.challenge().contains("malformed token"),
        "{}",
        d.challenge()
    );

    // Missing scope: POST needs write, the token has read only: 403 insufficient_scope.
    let mut args = vec!["-X".to_owned(), "POST".to_owned()];
    args.extend(bearer(&read));
    let d = check(&bin, args).await;
    assert_eq!(d.first_id(), "insufficient-scope", "{}", d.json);
    assert!(
        d.challenge().contains("error=\"insufficient_scope\"")
            && d.challenge().contains("scope=\"write\"")
    );
    assert!(d.evidence_text().contains("write"), "{}", d.evidence_text());

    // Malformed header: the scheme with no token after it: invalid_request.
    let d = check(
        &bin,
        vec!["-H".into(), "Authorization: Bearer".into(), url.clone()],
    )
    .await;
    assert_eq!(d.first_id(), "malformed-authorization-header", "{}", d.json);
    assert!(
        d.challenge().contains("error=\"invalid_request\"")
            && d.challenge().contains("not followed by a token"),
        "{}",
        d.challenge()
    );
    // Two words after the scheme: the guard says invalid_request too.
    let d = check(
        &bin,
        vec![
            "-H".into(),
            "Authorization: Bearer abc def".into(),
            url.clone(),
        ],
    )
    .await;
    assert_eq!(d.first_id(), "malformed-authorization-header", "{}", d.json);
    assert!(
        d.challenge().contains("error=\"invalid_request\"") && d.challenge().contains("whitespace"),
        "{}",
        d.challenge()
    );

    // The RFC 9728 metadata the challenges point at.
    let meta: Value = reqwest::get(format!("{base}{}", authdoctor_guard::METADATA_PATH))
        .await
        .unwrap()
        .json_or_panic()
        .await;
    assert_eq!(meta["resource"], guarded_api::AUDIENCE);
    assert_eq!(meta["authorization_servers"][0], issuer.as_str());
}

trait JsonOrPanic {
    async fn json_or_panic(self) -> Value;
}

impl JsonOrPanic for reqwest::Response {
    async fn json_or_panic(self) -> Value {
        serde_json::from_slice(&self.bytes().await.unwrap()).expect("JSON body")
    }
}
