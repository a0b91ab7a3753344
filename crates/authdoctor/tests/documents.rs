//! The JSON documents other than the report, on the binary's real output: `watch --format json`
//! (token-file profiles and a profile with nothing cached: no network) and `scopes --format
//! json` (the real oidc-provider peer, `AUTHDOCTOR_OIDC`, and an in-test resource server that
//! validates its tokens with authdoctor-guard). Each is compared field by field with the shape
//! the document has always had (`authdoctor_core::report::documents`).

mod support;

use authdoctor_core::report::documents::shape;
use serde_json::{Value, json};
use std::path::PathBuf;
use support::peer;

const SHORT: &str = "https://api.authdoctor.test/short";
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";

struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str, config: &str) -> Sandbox {
        let dir = std::env::temp_dir().join(format!("adt-docs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
        std::fs::write(dir.join("config/authdoctor/config.toml"), config).unwrap();
        Sandbox { dir }
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, Value) {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"))
            .args(args)
            .current_dir(&self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", self.dir.join("cache"))
            .env("ADT_DOCS_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("AUTHDOCTOR_CLIENT_CERT")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .output()
            .expect("run authdoctor");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains(SECRET), "the client secret in output");
        let v = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code(), v)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn watch_json_has_its_documented_shape() {
    let token = support::valid_access_token().token;
    let sb = Sandbox::new(
        "watch",
        r#"[profiles.none]
issuer = "http://127.0.0.1:9"
client_id = "nobody"
[profiles.tf_empty]
token_file = "empty.token"
[profiles.tf_ok]
token_file = "ok.token"
"#,
    );
    std::fs::write(sb.dir.join("ok.token"), format!("{token}\n")).unwrap();
    std::fs::write(sb.dir.join("empty.token"), "").unwrap();
    let (code, v) = sb.run(&["watch", "--format", "json"]);
    // An empty token file counts as expired: exit 1 (exit::Code::AuthFailure).
    assert_eq!(code, Some(1), "{v}");
    let mut top = shape(&v);
    assert!(
        v["keyring_unavailable"].is_string() || v["keyring_unavailable"].is_null(),
        "{v}"
    );
    top["keyring_unavailable"] = "string|null".into();
    top["profiles"] = "checked below".into();
    assert_eq!(
        top,
        json!({"version": "integer", "checked_at": "integer", "store": "string",
               "keyring_unavailable": "string|null", "profiles": "checked below"})
    );
    assert_eq!(v["version"], 1);
    let names: Vec<&str> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["none", "tf_empty", "tf_ok"]);
    let item = json!({"what": "string", "status": "string",
                      "expires_at": "null", "remaining_seconds": "null"});
    assert_eq!(
        shape(&v["profiles"][0]),
        json!({"profile": "string", "server_offset": "null", "items": [item]})
    );
    assert_eq!(v["profiles"][0]["items"][0]["status"], "none cached");
    assert_eq!(v["profiles"][0]["items"][1]["what"], "client_secret");
    assert_eq!(v["profiles"][0]["items"][1]["status"], "unknown");
    let mut expired = item.clone();
    expired["reason"] = "string".into();
    assert_eq!(
        shape(&v["profiles"][1]),
        json!({"profile": "string", "token_file": "string", "server_offset": "null",
               "items": [expired]})
    );
    assert_eq!(v["profiles"][1]["items"][0]["status"], "expired");
    assert_eq!(
        shape(&v["profiles"][2]),
        json!({"profile": "string", "token_file": "string", "server_offset": "null",
               "items": [{"what": "string", "status": "string",
                          "expires_at": "integer", "remaining_seconds": "integer"}]})
    );
    assert_eq!(v["profiles"][2]["items"][0]["what"], "access_token");
    assert_eq!(v["profiles"][2]["items"][0]["status"], "ok");
}

/// The resource server: GET /v1/read needs `read`; aud = SHORT.
fn resource_server(issuer: &str) -> String {
    support::read_write_api(issuer, "documents-test", SHORT)
}

#[test]
fn scopes_json_has_its_documented_shape() {
    let issuer = peer("AUTHDOCTOR_OIDC");
    let rs = resource_server(&issuer);
    let sb = Sandbox::new(
        "scopes",
        &format!(
            r#"[profiles.api]
issuer = "{issuer}"
client_id = "{CLIENT}"
client_secret = {{ env = "ADT_DOCS_SECRET" }}
resource = "{SHORT}"
scopes = ["read", "write"]
"#
        ),
    );
    let url = format!("{rs}/v1/read");
    let (code, v) = sb.run(&["scopes", "--profile", "api", "--format", "json", &url]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        shape(&v),
        json!({"version": "integer", "url": "string", "minimal": ["string"],
               "token_requests": "integer",
               "steps": [{"scopes": ["string"], "status": "integer"}]})
    );
    assert_eq!(v["url"], url.as_str());
    assert_eq!(v["minimal"], json!(["read"]));
    assert_eq!(v["token_requests"], 3);
    let steps: Vec<(Value, u64)> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["scopes"].clone(), s["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(steps[0], (json!(["read", "write"]), 200));
    assert_eq!(steps[1].0, json!(["write"]));
    assert_eq!(steps[1].1 / 100, 4, "without read: refused");
    assert_eq!(steps[2], (json!(["read"]), 200));
}
