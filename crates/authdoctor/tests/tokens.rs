//! Tokens, --fix, exec and proxy end to end, against the real oidc-provider peer (`AUTHDOCTOR_OIDC`, 5-second tokens
//! for `https://api.authdoctor.test/short`) and an in-test resource server that validates the
//! provider's tokens with authdoctor-guard (JWKS from discovery, leeway 0, scopes per route):
//! the verified-fix loop (expired → refreshed, missing scope → re-requested, wrong audience →
//! resource indicator, wrong client secret → `invalid-client` and *not* fixed), token
//! get/show/exec, single-flight counted at the provider, and a soak through `authdoctor proxy`.
//! Every run checks that no secret reaches output, and the cache's file modes.

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::peer;

const SHORT: &str = "https://api.authdoctor.test/short";
const DEFAULT_AUD: &str = "https://api.authdoctor.test/";
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";

fn oidc() -> String {
    peer("AUTHDOCTOR_OIDC")
}

/// The resource server: /v1/read needs `read`, /v1/write needs `write`; aud = SHORT.
fn resource_server(issuer: &str) -> String {
    support::read_write_api(issuer, "tokens-test", SHORT)
}

/// A token straight from the provider, as the user's failing request would carry it.
fn provider_token(scope: &str, resource: &str) -> String {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-u",
            &format!("{CLIENT}:{SECRET}"),
            "-d",
            "grant_type=client_credentials",
        ])
        .args([
            "-d",
            &format!("scope={scope}"),
            "-d",
            &format!("resource={resource}"),
        ])
        .arg(format!("{}/token", oidc()))
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).expect("token response");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A sandbox: config dir with profiles, a cache dir, and the secret in an env var.
struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str, secret: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("adt-tokens-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
        let issuer = oidc();
        std::fs::write(
            dir.join("config/authdoctor/config.toml"),
            format!(
                r#"default_profile = "short"
[profiles.short]
issuer = "{issuer}"
client_id = "{CLIENT}"
client_secret = {{ env = "ADT_TOKENS_SECRET" }}
resource = "{SHORT}"
scopes = ["read"]
token_env = "API_TOKEN"
"#
            ),
        )
        .unwrap();
        let e = Env { dir };
        std::fs::write(e.dir.join("secret"), secret).unwrap();
        e
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
        c.args(args)
            .current_dir(&self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", self.cache_dir())
            .env(
                "ADT_TOKENS_SECRET",
                std::fs::read_to_string(self.dir.join("secret")).unwrap(),
            )
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY");
        c
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.cmd(args).output().expect("run authdoctor");
        let r = (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert_no_secret(&[&r.1, &r.2], &[SECRET, "fix-client-WRONG-secret"]);
        r
    }

    /// The cache: directory 0700, every file 0600, and the client secret in none of them.
    fn assert_cache_safe(&self) {
        let d = self.cache_dir();
        assert_eq!(mode(&d), 0o700, "cache dir mode");
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{} mode", p.display());
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(!text.contains(SECRET), "client secret in {}", p.display());
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn assert_no_secret(texts: &[&str], secrets: &[&str]) {
    for t in texts {
        for s in secrets {
            assert!(!t.contains(s), "secret {s:?} leaked into output:\n{t}");
        }
    }
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}):\n{s}"))
}

#[test]
fn expired_token_is_fixed_by_a_new_token_and_verified() {
    let rs = resource_server(&oidc());
    let env = Env::new("expired", SECRET);
    let stale = provider_token("read", SHORT);
    // The provider's tokens for SHORT live 5 s.
    std::thread::sleep(Duration::from_secs(6));
    let auth = format!("Authorization: Bearer {stale}");
    let (code, out, err) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "short",
        "--format",
        "json",
        "--no-probes",
        "-H",
        &auth,
        &format!("{rs}/v1/read"),
    ]);
    let v = json(&out);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(v["findings"][0]["id"], "token-expired", "{out}");
    let fix = &v["fix"];
    assert_eq!(fix["verified"], true, "{fix}");
    assert_eq!(fix["status_before"], 401);
    assert_eq!(fix["status_after"], 200);
    assert_eq!(fix["applied"][0]["id"], "obtain-new-token", "{fix}");
    assert!(fix["claims_changed"]["exp"].is_object(), "{fix}");
    // The new token is nowhere in the output; only in the 0600 cache.
    let cached: Value = json(&std::fs::read_to_string(env.cache_dir().join("short.json")).unwrap());
    let new_token = cached["access_token"].as_str().unwrap();
    assert_no_secret(&[&out, &err], &[new_token, &stale]);
    env.assert_cache_safe();
}

#[test]
fn missing_scope_is_fixed_by_requesting_it() {
    let rs = resource_server(&oidc());
    let env = Env::new("scope", SECRET);
    let token = provider_token("read", SHORT);
    let auth = format!("Authorization: Bearer {token}");
    let (code, out, err) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "short",
        "--format",
        "json",
        "--no-probes",
        "-H",
        &auth,
        &format!("{rs}/v1/write"),
    ]);
    let v = json(&out);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(v["findings"][0]["id"], "insufficient-scope", "{out}");
    assert_eq!(v["fix"]["status_before"], 403);
    assert_eq!(v["fix"]["status_after"], 200);
    assert_eq!(v["fix"]["applied"][0]["id"], "request-scope");
    assert_eq!(
        v["fix"]["claims_changed"]["scope"]["after"], "read write",
        "{}",
        v["fix"]
    );
    env.assert_cache_safe();
}

#[test]
fn wrong_audience_is_fixed_by_the_resource_indicator() {
    let rs = resource_server(&oidc());
    let env = Env::new("aud", SECRET);
    let token = provider_token("read", DEFAULT_AUD);
    let auth = format!("Authorization: Bearer {token}");
    let (code, out, err) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "short",
        "--format",
        "json",
        "--no-probes",
        "-H",
        &auth,
        &format!("{rs}/v1/read"),
    ]);
    let v = json(&out);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(v["fix"]["verified"], true);
    assert_eq!(v["fix"]["claims_changed"]["aud"]["before"], DEFAULT_AUD);
    assert_eq!(v["fix"]["claims_changed"]["aud"]["after"], SHORT);
}

#[test]
fn wrong_client_secret_is_invalid_client_and_not_fixed() {
    let rs = resource_server(&oidc());
    let env = Env::new("badsecret", "fix-client-WRONG-secret");
    let stale = provider_token("read", SHORT);
    std::thread::sleep(Duration::from_secs(6));
    let auth = format!("Authorization: Bearer {stale}");
    let (code, out, err) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "short",
        "--format",
        "json",
        "--no-probes",
        "-H",
        &auth,
        &format!("{rs}/v1/read"),
    ]);
    let v = json(&out);
    assert_eq!(code, Some(1), "stdout:\n{out}\nstderr:\n{err}");
    let fix = &v["fix"];
    assert_eq!(fix["verified"], false);
    assert_eq!(
        fix["applied"],
        serde_json::json!([]),
        "a failed fix is never reported as applied"
    );
    assert!(fix["status_after"].is_null());
    assert_eq!(
        fix["token_endpoint"]["findings"][0]["id"], "invalid-client",
        "{fix}"
    );
    // The same diagnosis from `token get`.
    let (code, out, _) = env.run(&["token", "get", "--format", "json"]);
    assert_eq!(code, Some(1));
    assert_eq!(json(&out)["findings"][0]["id"], "invalid-client");
    // And the human report says it too.
    let (_, out, _) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "short",
        "--no-probes",
        "-H",
        &auth,
        &format!("{rs}/v1/read"),
    ]);
    assert!(
        out.contains("Not fixed") && out.contains("invalid-client"),
        "{out}"
    );
}

#[test]
fn token_get_show_exec() {
    let env = Env::new("get", SECRET);
    let (code, token, err) = env.run(&["token", "get"]);
    assert_eq!(code, Some(0), "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("eyJ"));
    // Cached: the second get is the same token, without a token request.
    let (_, again, _) = env.run(&["token", "get"]);
    assert_eq!(again.trim(), token);
    // The JSON form carries the token whole too (it is the command's output), from the cache.
    let (code, out, err) = env.run(&["token", "get", "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["access_token"], token.as_str(), "{out}");
    let (code, show, _) = env.run(&["token", "show"]);
    assert_eq!(code, Some(0));
    assert!(
        show.contains("fix-client") && show.contains("lifetime") && show.contains("0600"),
        "{show}"
    );
    assert_no_secret(&[&show], &[&token]);
    // No OS keyring here (no feature, or no Secret Service): the file is used, and said why.
    assert!(show.contains("keyring unavailable: "), "{show}");
    let (_, watch, _) = env.run(&["watch", "--format", "json"]);
    let w: serde_json::Value = serde_json::from_str(&watch).expect(&watch);
    assert_eq!(w["store"], "file", "{watch}");
    assert!(
        w["keyring_unavailable"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{watch}"
    );
    // exec: the token in $API_TOKEN, not on the command line.
    let out = env
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "test -n \"$API_TOKEN\" && printf %s \"$API_TOKEN\"",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), token);
    env.assert_cache_safe();
}

fn token_count(client: &str) -> u64 {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            &format!("{}/__authdoctor/token-count?client_id={client}", oidc()),
        ])
        .output()
        .unwrap();
    json(&String::from_utf8_lossy(&out.stdout))["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn two_hundred_concurrent_callers_cause_one_token_request() {
    use authdoctor_tokens::{ClientAuth, TokenConfig, TokenSource};
    let before = token_count("tokens-sf");
    let cfg = TokenConfig {
        profile: "sf".into(),
        issuer: Some(oidc()),
        endpoints: None,
        client_id: "tokens-sf".into(),
        auth: ClientAuth::SecretBasic(authdoctor_core::secret::Secret::new(
            "tokens-sf-secret-8d2a",
        )),
        scopes: vec!["read".into()],
        resource: Some(DEFAULT_AUD.into()),
        audience: None,
        token_env: vec![],
        token_file: None,
        dpop_key: None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let tokens: Vec<String> = rt.block_on(async {
        let src = TokenSource::new(cfg, reqwest::Client::new(), None);
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let s = src.clone();
                tokio::spawn(
                    async move { s.token().await.map(|t| t.access_token.expose().to_string()) },
                )
            })
            .collect();
        let mut v = Vec::new();
        for t in tasks {
            v.push(t.await.unwrap().expect("token"));
        }
        assert_eq!(src.requests(), 1);
        v
    });
    assert_eq!(tokens.len(), 200);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    let after = token_count("tokens-sf");
    eprintln!(
        "single-flight: 200 concurrent callers, {} token request(s) at the provider",
        after - before
    );
    assert_eq!(after - before, 1, "token requests counted at the provider");
}

#[test]
fn soak_through_the_proxy_with_five_second_tokens() {
    let secs: u64 = std::env::var("AUTHDOCTOR_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let rs = resource_server(&oidc());
    let env = Env::new("soak", SECRET);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let child = env
        .cmd(&[
            "proxy",
            "--profile",
            "short",
            "--listen",
            &listen,
            "--upstream",
            &rs,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://{listen}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (ok, failed, statuses) = rt.block_on(async {
        let http = reqwest::Client::new();
        // Wait for the listener.
        for _ in 0..100 {
            if http.get(format!("{base}/v1/read")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let end = Instant::now() + Duration::from_secs(secs);
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let http = http.clone();
                let url = format!("{base}/v1/read");
                tokio::spawn(async move {
                    let (mut ok, mut failed, mut statuses) = (0u64, 0u64, Vec::new());
                    while Instant::now() < end {
                        match http.get(&url).send().await {
                            Ok(r) if r.status() == 200 => ok += 1,
                            Ok(r) => {
                                failed += 1;
                                statuses.push(r.status().as_u16());
                            }
                            Err(_) => {
                                failed += 1;
                                statuses.push(0);
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    (ok, failed, statuses)
                })
            })
            .collect();
        let (mut ok, mut failed, mut statuses) = (0, 0, Vec::new());
        for w in workers {
            let (o, f, s) = w.await.unwrap();
            ok += o;
            failed += f;
            statuses.extend(s);
        }
        (ok, failed, statuses)
    });
    // SIGINT: the proxy prints its counters and exits.
    unsafe_kill(child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("soak: {secs} s, {ok} requests ok, {failed} failed; proxy: {stderr}");
    assert_no_secret(&[&stderr], &[SECRET]);
    assert!(ok > 0);
    assert_eq!(failed, 0, "failed statuses: {statuses:?}");
    env.assert_cache_safe();
}

/// Ctrl-C for the proxy child (by its own PID).
fn unsafe_kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
}
