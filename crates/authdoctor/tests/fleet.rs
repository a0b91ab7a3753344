//! `[cache] redis` through the CLI, against the real oidc-provider peer (5-second tokens for
//! `https://api.authdoctor.test/short`, token requests counted at the provider) and the
//! redis-server peer (`AUTHDOCTOR_REDIS`): two simulated hosts (separate cache directories)
//! with 20 concurrent `authdoctor token get` each make one token request between them; `token
//! show` and `watch` report the shared store without its password; an unreachable Redis costs
//! one stderr line and nothing else; a malformed `[cache]` is a usage error that shows no key.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use support::{peer, peer_var};

const SHORT: &str = "https://api.authdoctor.test/short";
const REDIS_PASSWORD: &str = "Fleet-Redis-pw-77";

fn oidc() -> String {
    peer("AUTHDOCTOR_OIDC")
}

fn random_key() -> String {
    use base64::Engine;
    let hex = support::random_hex(32);
    let bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn token_count(client: &str) -> u64 {
    let out = Command::new("curl")
        .args([
            "-s",
            &format!("{}/__authdoctor/token-count?client_id={client}", oidc()),
        ])
        .output()
        .expect("curl");
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["count"]
        .as_u64()
        .unwrap()
}

/// A config dir whose user file has `[cache]` (Redis `redis_url`, key from $ADT_FLEET_KEY)
/// and a profile for `client`.
struct Fleet {
    dir: PathBuf,
    key: String,
    client: String,
}

impl Fleet {
    fn new(name: &str, client: &str, redis_url: &str) -> Fleet {
        let dir = std::env::temp_dir().join(format!("adt-fleet-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
        std::fs::write(
            dir.join("config/authdoctor/config.toml"),
            format!(
                r#"default_profile = "api"

[cache]
redis = "{redis_url}"
encryption_key = {{ env = "ADT_FLEET_KEY" }}

[profiles.api]
issuer = "{}"
client_id = "{client}"
client_secret = {{ env = "ADT_FLEET_SECRET" }}
resource = "{SHORT}"
scopes = ["read"]
"#,
                oidc()
            ),
        )
        .unwrap();
        Fleet {
            dir,
            key: random_key(),
            client: client.into(),
        }
    }

    /// `authdoctor ARGS` as run on `host` (its own cache directory).
    fn cmd(&self, host: &str, args: &[&str]) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
        c.args(args)
            .current_dir(&self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", self.dir.join(host))
            .env("ADT_FLEET_KEY", &self.key)
            .env("ADT_FLEET_SECRET", format!("{}-secret-8d2a", self.client))
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY");
        c
    }

    fn run(&self, host: &str, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(host, args).output().unwrap();
        let r = (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        for text in [&r.1, &r.2] {
            assert!(
                !text.contains(REDIS_PASSWORD),
                "Redis password leaked:\n{text}"
            );
            assert!(!text.contains(&self.key), "encryption key leaked:\n{text}");
        }
        r
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The redis peer's URL with a user and password in it (the peer's default user has no
/// password, so any is accepted): what must never be shown.
fn redis_with_password() -> String {
    // `peer` checks that it accepts connections.
    let plain = peer("AUTHDOCTOR_REDIS");
    plain.replace("redis://", &format!("redis://default:{REDIS_PASSWORD}@"))
}

#[test]
fn two_hosts_of_twenty_concurrent_token_gets_make_one_token_request() {
    let f = Fleet::new("two-hosts", "fleet-cli", &redis_with_password());
    let before = token_count("fleet-cli");
    let children: Vec<_> = (0..40)
        .map(|i| {
            let host = if i % 2 == 0 { "host-a" } else { "host-b" };
            f.cmd(host, &["token", "get"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut tokens = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "token get failed: {stderr}");
        assert!(!stderr.contains("not usable"), "{stderr}");
        tokens.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let requests = token_count("fleet-cli") - before;
    eprintln!("fleet CLI: 2 hosts × 20 concurrent `token get`: {requests} token request(s)");
    assert_eq!(requests, 1, "token requests counted at the provider");
    assert!(
        tokens
            .iter()
            .all(|t| *t == tokens[0] && t.starts_with("eyJ"))
    );

    // A third host that never asked: `token show` finds it in Redis and says where.
    let (code, out, _) = f.run("host-c", &["token", "show"]);
    assert_eq!(code, 0, "{out}");
    let store = out.lines().find(|l| l.starts_with("store:")).expect(&out);
    let shown = peer_var("AUTHDOCTOR_REDIS");
    assert!(
        store.contains(&format!("{shown} key authdoctor:v1:token:")),
        "{store}"
    );
    assert!(store.contains("TTL"), "{store}");
    assert!(out.lines().any(|l| l.starts_with("local:")), "{out}");
    let (code, out, _) = f.run("host-a", &["token", "show", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let shared = &v["shared_cache"];
    assert_eq!(shared["url"], shown.as_str());
    assert_eq!(shared["state"], "ok");
    assert!(
        shared["key"]
            .as_str()
            .unwrap()
            .starts_with("authdoctor:v1:token:")
    );
    assert!(!shared["key"].as_str().unwrap().contains("fleet-cli"));
    assert!(shared["ttl_seconds"].as_u64().is_some(), "{shared}");
    let (code, out, _) = f.run("host-a", &["watch", "--format", "json", "--warn", "1"]);
    assert!(code == 0 || code == 5, "{out}");
    let w: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(w["shared_cache"]["url"], shown.as_str());
    assert_eq!(w["profiles"][0]["shared_cache"]["key"], shared["key"]);
    let (_, out, _) = f.run("host-a", &["watch"]);
    assert!(out.starts_with(&format!("store: {shown}")), "{out}");
}

#[test]
fn an_unreachable_redis_costs_one_line_and_the_token_still_comes() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://default:{REDIS_PASSWORD}@127.0.0.1:{port}/0");
    let f = Fleet::new("down", "fleet-scan", &url);
    let (code, out, err) = f.run("host-a", &["token", "get"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("eyJ"));
    assert_eq!(err.matches("is not usable").count(), 1, "said once:\n{err}");
    assert!(
        err.contains(&format!("redis://127.0.0.1:{port}/0")),
        "{err}"
    );
    // Then a cache hit: Redis is not even asked.
    let (code, _, err) = f.run("host-a", &["token", "get"]);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "{err}");
    let (code, out, _) = f.run("host-a", &["token", "show"]);
    assert_eq!(code, 0);
    let store = out.lines().find(|l| l.starts_with("store:")).expect(&out);
    assert!(
        store.contains("unreachable") && store.contains("using the local cache"),
        "{store}"
    );
}

#[test]
fn a_malformed_cache_table_is_a_usage_error_that_shows_no_key() {
    let f = Fleet::new("bad-key", "fleet-cli", &peer_var("AUTHDOCTOR_REDIS"));
    let short = "c2hvcnQta2V5LW9mLTE2Yg==";
    let out = f
        .cmd("host-a", &["token", "get"])
        .env("ADT_FLEET_KEY", short)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("encryption_key") && err.contains("32 random bytes"),
        "{err}"
    );
    assert!(!err.contains(short));
    let out = f
        .cmd("host-a", &["token", "get"])
        .env_remove("ADT_FLEET_KEY")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("ADT_FLEET_KEY is not set"), "{err}");
}
