//! Identity-provider-aware diagnosis against real servers: tokens from a real OpenID provider (panva's oidc-provider, with
//! variants sharing its keys: a wrong issuer and an issuer whose clock is 1 h slow) sent to a
//! real resource server (Apache mod_auth_openidc, JWKS and introspection), each diagnosed with
//! the right cause first. Started by `scripts/peers start` / `scripts/test` (see
//! `tests/peers/oidc-provider/server-idp.mjs` and `tests/peers/apache-oidc/`).
//!
//! Tokens come from the provider's token endpoint (client_credentials), except the ID token
//! (oidc-provider issues ID tokens only through an interactive login) and the token signed by a
//! key nobody publishes: those are minted by `tests/peers/oidc-provider/mint.mjs`, the first
//! with the provider's own private key from the shared keys file.
//!
//! Every run uses a fresh `XDG_CACHE_HOME` (no cached discovery/JWKS between cases) and its own
//! working directory and `XDG_CONFIG_HOME` (profiles come from a project `authdoctor.toml`).

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::*;

const API_AUD: &str = "https://api.example.test/";

fn idp() -> String {
    peer("AUTHDOCTOR_IDP")
}

fn apache() -> String {
    peer("AUTHDOCTOR_APACHE_OIDC_JWT")
}

/// client_credentials at `issuer_base` for `resource` and `scope`.
fn token(issuer_base: &str, scope: &str, resource: &str) -> String {
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-m",
            "10",
            "-u",
            "svc:svc-secret",
            "-d",
            "grant_type=client_credentials",
        ])
        .args([
            "-d",
            &format!("scope={scope}"),
            "-d",
            &format!("resource={resource}"),
        ])
        .arg(format!("{issuer_base}/token"))
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("token endpoint: {}", String::from_utf8_lossy(&out.stdout)));
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token: {v}"))
        .to_string()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A token signed by `mint.mjs` (`key`: "rs256-test" = the provider's key, "fresh" = unknown).
fn mint(key: &str, header: Value, claims: Value) -> String {
    let keys = peer_var("AUTHDOCTOR_IDP_KEYS_FILE");
    let out = std::process::Command::new("node")
        .arg(repo().join("tests/peers/oidc-provider/mint.mjs"))
        .args([keys.as_str(), key, &header.to_string(), &claims.to_string()])
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("authdoctor-idp-{name}-{}", random_hex(6)));
        std::fs::create_dir_all(dir.join("cache")).expect("tmp");
        std::fs::create_dir_all(dir.join("config")).expect("tmp");
        Sandbox { dir }
    }
    fn with_profiles(self, toml: &str) -> Sandbox {
        std::fs::write(self.dir.join("authdoctor.toml"), toml).expect("write");
        self
    }
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all: Vec<String> = ["check", "--format", "json", "--no-probes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        all.extend(args.iter().map(|s| s.to_string()));
        let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
        cmd.args(&all)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.dir.join("cache"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .timeout(Duration::from_secs(60));
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
            "AUTHDOCTOR_PROFILE",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run authdoctor");
        Run {
            args: all,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn bearer(t: &str) -> String {
    format!("Authorization: Bearer {t}")
}

/// The top finding's evidence, all texts joined.
fn evidence_of(run: &Run, id: &str) -> String {
    run.json()["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == id))
        .and_then(|f| f["evidence"].as_array())
        .map(|e| {
            e.iter()
                .filter_map(|x| x["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn assert_no_token(run: &Run, t: &str) {
    assert_no(run, &[Secret::new("token", t)]);
}

fn assert_no(run: &Run, secrets: &[Secret]) {
    run.assert_no_secrets(secrets);
}

fn expect_flags(idp: &str) -> Vec<String> {
    vec![
        "--expect-iss".into(),
        idp.into(),
        "--expect-aud".into(),
        API_AUD.into(),
    ]
}

fn args<'a>(v: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    v.iter()
        .map(String::as_str)
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn expired_by_an_issuer_whose_clock_is_an_hour_slow() {
    // oidc-provider under libfaketime -3600 s, with the real issuer's name and keys: the token
    // is correctly signed and expired 55 min ago; mod_auth_openidc (zero leeway) says 401.
    let t = token(&peer("AUTHDOCTOR_IDP_SLOW"), "read", API_AUD);
    let sb = Sandbox::new("expired");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(1).assert_top("token-expired");
    let j = run.json();
    assert_eq!(
        j["issuer"]["signature"]["verdict"],
        "verified",
        "{}",
        run.describe()
    );
    assert_no_token(&run, &t);
}

#[test]
fn signed_by_a_key_the_issuer_does_not_publish() {
    let now = now();
    let t = mint(
        "fresh",
        serde_json::json!({"kid": "rs256-2025-rotated", "typ": "at+jwt"}),
        serde_json::json!({"iss": idp(), "aud": API_AUD, "sub": "svc", "client_id": "svc",
                           "scope": "read", "iat": now - 30, "exp": now + 300}),
    );
    let sb = Sandbox::new("unknown-key");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(1).assert_top("signature-invalid");
    let j = run.json();
    assert_eq!(
        j["issuer"]["signature"]["verdict"],
        "unknown-kid-not-published",
        "{}",
        run.describe()
    );
    // The JWKS was fetched a second time (key rotation) before concluding.
    let fetches = j["issuer"]["primary"]["fetches"].to_string();
    assert!(fetches.contains("jwks-refetch"), "{}", run.describe());
    assert_no_token(&run, &t);
}

#[test]
fn tampered_token_is_not_confused_with_an_unknown_key() {
    let t = token(&idp(), "read", API_AUD);
    // Change the payload (a different scope) and keep the signature.
    let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
    let claims = String::from_utf8(base64_url_decode(&parts[1])).expect("claims");
    let changed = claims.replace("\"read\"", "\"read write\"");
    parts[1] = base64_url_encode(changed.as_bytes());
    let t2 = parts.join(".");
    let sb = Sandbox::new("tampered");
    let h = bearer(&t2);
    let url = format!("{}/api/", apache());
    let run = sb.run(&["-H", &h, &url], &[]);
    run.assert_exit(1).assert_top("signature-invalid");
    assert_eq!(
        run.json()["issuer"]["signature"]["verdict"],
        "tampered",
        "{}",
        run.describe()
    );
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("b64")
}

fn base64_url_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[test]
fn token_from_the_wrong_issuer() {
    // Same keys, other issuer name: the signature verifies, the iss does not match.
    let wrong = peer("AUTHDOCTOR_IDP_WRONG_ISS");
    let t = token(&wrong, "read", API_AUD);
    let sb = Sandbox::new("wrong-iss");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(1).assert_top("issuer-mismatch");
    let ev = evidence_of(&run, "issuer-mismatch");
    assert!(
        ev.contains(&format!(
            "iss expected {} (from flag --expect-iss), token has {wrong}",
            idp()
        )),
        "{ev}"
    );
    assert!(ev.contains("genuine"), "{ev}");
}

#[test]
fn token_for_another_api() {
    let t = token(&idp(), "read", "https://api.example.test/other");
    let sb = Sandbox::new("wrong-aud");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(1).assert_top("audience-mismatch");
    let ev = evidence_of(&run, "audience-mismatch");
    assert!(
        ev.contains("(from flag --expect-aud), token has https://api.example.test/other"),
        "{ev}"
    );
}

#[test]
fn missing_scope_expected_by_the_profile() {
    let t = token(&idp(), "read", API_AUD);
    let sb = Sandbox::new("scope").with_profiles(&format!(
        "[profiles.prod]\nenvironment = \"prod\"\nissuer = \"{}\"\naudience = \"{API_AUD}\"\nscopes = [\"read\", \"write\"]\napi_base = \"{}\"\n",
        idp(),
        apache()
    ));
    let h = bearer(&t);
    let url = format!("{}/api/write/", apache());
    let run = sb.run(&["--profile", "prod", "-H", &h, &url], &[]);
    run.assert_exit(1).assert_top("insufficient-scope");
    let ev = evidence_of(&run, "insufficient-scope");
    assert!(
        ev.contains("(from profile prod (scopes, project file"),
        "{ev}"
    );
    assert!(
        run.json()["findings"][0]["title"]
            .as_str()
            .unwrap_or("")
            .contains("write"),
        "{}",
        run.describe()
    );
}

#[test]
fn revoked_opaque_token_at_an_introspecting_server() {
    let base = idp();
    let t = token(&base, "read", "https://api.example.test/opaque");
    let url = format!("{}/api/", peer("AUTHDOCTOR_APACHE_OIDC_INTROSPECT"));
    assert_eq!(
        raw_get(&url, &[("Authorization", &format!("Bearer {t}"))]).0,
        200,
        "active before revocation"
    );
    let st = std::process::Command::new("curl")
        .args([
            "-sS",
            "-m",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-u",
            "svc:svc-secret",
            "-d",
        ])
        .arg(format!("token={t}"))
        .arg(format!("{base}/token/revocation"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&st.stdout), "200");
    let sb = Sandbox::new("revoked").with_profiles(&format!(
        "[profiles.prod]\nenvironment = \"prod\"\nissuer = \"{base}\"\nintrospection_client_id = \"rs\"\nintrospection_client_secret = {{ env = \"IDP_RS_SECRET\" }}\n"
    ));
    let h = bearer(&t);
    let run = sb.run(
        &["--profile", "prod", "-H", &h, &url],
        &[("IDP_RS_SECRET", "rs-secret")],
    );
    run.assert_exit(1).assert_top("token-revoked");
    let j = run.json();
    assert_eq!(
        j["issuer"]["introspection"]["active"],
        false,
        "{}",
        run.describe()
    );
    assert_no(
        &run,
        &[
            Secret::new("token", &t),
            Secret::new("rs secret", "rs-secret"),
        ],
    );
}

#[test]
fn id_token_sent_as_access_token() {
    let now = now();
    let t = mint(
        "rs256-test",
        serde_json::json!({"kid": "rs256-test"}),
        serde_json::json!({"iss": idp(), "aud": "svc", "azp": "svc", "sub": "alice",
                           "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
                           "auth_time": now - 60, "iat": now - 30, "exp": now + 300}),
    );
    let sb = Sandbox::new("id-token");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(1).assert_top("wrong-token-type");
    let ev = evidence_of(&run, "wrong-token-type");
    assert!(ev.contains("aud is the client's id"), "{ev}");
    assert_eq!(
        run.json()["issuer"]["signature"]["verdict"],
        "verified",
        "{}",
        run.describe()
    );
}

#[test]
fn token_from_the_dev_environment_sent_to_prod() {
    // Profiles: prod's issuer is the idp, dev's the other issuer (same keys, as a dev tenant
    // cloned from prod would have). A dev token sent to the prod API.
    let dev = peer("AUTHDOCTOR_IDP_WRONG_ISS");
    let t = token(&dev, "read", API_AUD);
    let sb = Sandbox::new("env").with_profiles(&format!(
        "default_profile = \"prod\"\n[profiles.prod]\nenvironment = \"prod\"\nissuer = \"{}\"\naudience = \"{API_AUD}\"\napi_base = \"{}\"\n[profiles.dev]\nenvironment = \"dev\"\nissuer = \"{dev}\"\naudience = \"{API_AUD}\"\n",
        idp(),
        apache()
    ));
    let h = bearer(&t);
    let url = format!("{}/api/", apache());
    let run = sb.run(&["--profile", "prod", "-H", &h, &url], &[]);
    run.assert_exit(1).assert_top("environment-mismatch");
    let ev = evidence_of(&run, "environment-mismatch");
    assert!(ev.contains("profile dev's issuer (dev)"), "{ev}");
}

#[test]
fn valid_token_refused_anyway_writes_a_bundle() {
    let t = token(&idp(), "read write", API_AUD);
    let sb = Sandbox::new("rejected");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/admin/", apache());
    let bundle = sb.path("evidence.json");
    let b = bundle.to_string_lossy().to_string();
    let run = sb.run(
        &args(
            &f,
            &["--expect-scope", "read", "--bundle", &b, "-H", &h, &url],
        ),
        &[],
    );
    run.assert_exit(1)
        .assert_top("server-rejected-valid-credentials");
    let text = std::fs::read_to_string(&bundle).expect("bundle written");
    assert!(!text.contains(&t), "the bundle must not hold the token");
    let v: Value = serde_json::from_str(&text).expect("bundle json");
    assert_eq!(v["kind"], "authdoctor-evidence-bundle");
    assert_eq!(v["verification"]["signature"]["verdict"], "verified");
    assert!(v["clocks"]["server"].is_i64(), "{text}");
    assert_no_token(&run, &t);
    // And the same token where the API accepts it: exit 0.
    let ok = sb.run(&args(&f, &["-H", &h, &format!("{}/api/", apache())]), &[]);
    ok.assert_exit(0);
}

#[test]
fn http_issuer_off_loopback_is_refused_without_the_flag() {
    let t = token(&idp(), "read", API_AUD);
    let sb = Sandbox::new("http-issuer");
    let h = bearer(&t);
    let url = format!("{}/api/admin/", apache());
    let run = sb.run(&["--issuer", "http://issuer.invalid", "-H", &h, &url], &[]);
    let j = run.json();
    let err = j["issuer"]["primary"]["fetches"][0]["error"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(err.contains("--allow-http-issuer"), "{}", run.describe());
}

#[test]
fn discovery_and_jwks_are_cached_on_disk() {
    let t = token(&idp(), "read", API_AUD);
    let sb = Sandbox::new("cache");
    let h = bearer(&t);
    let url = format!("{}/api/admin/", apache());
    let _ = sb.run(&["-H", &h, &url], &[]);
    let cached = std::fs::read_dir(sb.path("cache/authdoctor/idp"))
        .map(|d| d.count())
        .unwrap_or(0);
    // oidc-provider sends no cache headers for discovery (max-age 0): entries are stored for
    // revalidation; a fresh one is served without a request.
    assert!(
        cached >= 1,
        "no cache entries under {}",
        Path::new(&sb.path("cache")).display()
    );
}

#[test]
fn mcp_server_rfc9728_resource_metadata_challenge() {
    // The MCP SDK example server (`--oauth`) answers 401 with `resource_metadata=…`; the report
    // carries the fetched metadata (its authorization server becomes the issuer expectation).
    // The demo answers 500 to any token it cannot introspect, so only credential-less and
    // non-Bearer requests give real 401s.
    let mcp = peer("AUTHDOCTOR_MCP");
    let url = format!("{mcp}/mcp");
    let sb = Sandbox::new("mcp");
    let run = sb.run(
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            "{}",
            &url,
        ],
        &[],
    );
    // The demo's metadata names localhost while the request went to 127.0.0.1: a discovering
    // client stops there (RFC 9728 §3.3), so that link ranks above the missing token.
    run.assert_exit(1).assert_top("resource-metadata-invalid");
    let j = run.json();
    assert!(
        j["findings"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["id"] == "missing-credentials")),
        "{}",
        run.describe()
    );
    let m = &j["issuer"]["metadata"];
    assert_eq!(
        m["authorization_servers"][0],
        format!(
            "http://localhost:{}/",
            port_of(&peer("AUTHDOCTOR_MCP_AUTH"))
        ),
        "{}",
        run.describe()
    );
    assert_eq!(m["scopes_supported"][0], "mcp:tools");
    let fetched = j["issuer"]["metadata_fetch"]["url"].as_str().unwrap_or("");
    assert!(
        fetched.ends_with("/.well-known/oauth-protected-resource/mcp"),
        "{}",
        run.describe()
    );
    // It says localhost, the request went to 127.0.0.1: named (RFC 9728 §3.3).
    assert!(
        j["findings"][0]
            .to_string()
            .contains("by host (localhost ≠ 127.0.0.1)"),
        "{}",
        run.describe()
    );
    assert_eq!(j["discovery"][0]["step"], "resource_metadata");
    assert_eq!(j["discovery"][0]["verdict"], "broken");
    assert_eq!(j["discovery"][1]["step"], "authorization_server_metadata");
    assert_eq!(j["discovery"][1]["verdict"], "ok", "{}", run.describe());

    let basic = format!("Authorization: Basic {}", basic_b64("user:pass"));
    let run = sb.run(&["-X", "POST", "-H", &basic, "-d", "{}", &url], &[]);
    run.assert_exit(1).assert_top("scheme-mismatch");
    assert!(
        run.json()["issuer"]["metadata"].is_object(),
        "{}",
        run.describe()
    );
}

#[test]
fn issuer_clock_an_hour_fast_is_accepted_by_mod_auth_openidc() {
    // The +1 h issuer mints tokens issued "in the future"; mod_auth_openidc does not check
    // iat for access tokens, so the request succeeds — and authdoctor says so (exit 0), with the
    // signature verified against the real issuer's keys.
    let t = token(&peer("AUTHDOCTOR_IDP_FAST"), "read", API_AUD);
    let sb = Sandbox::new("fast");
    let h = bearer(&t);
    let f = expect_flags(&idp());
    let url = format!("{}/api/", apache());
    let run = sb.run(&args(&f, &["-H", &h, &url]), &[]);
    run.assert_exit(0);
    assert_eq!(
        run.json()["issuer"]["signature"]["verdict"],
        "verified",
        "{}",
        run.describe()
    );
}
