//! Profiles with `token_file` (a token another program writes and rotates: Kubernetes projected
//! service-account tokens, Vault agent sinks): `token get`/`show` read the file, `exec` hands
//! the current file token to the command, `authdoctor proxy` picks up a rotation on the next
//! request (upstream: the httpbin peer's `/headers`, which echoes the Authorization it got),
//! `check` notes a token rotated on disk, and `check --fix` takes the file's token. No issuer is
//! ever contacted: the profile names none.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use support::{peer, valid_access_token};

struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("adt-tf-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
        std::fs::write(
            dir.join("config/authdoctor/config.toml"),
            format!(
                "[profiles.k8s]\ntoken_file = \"{}\"\ntoken_env = \"SA_TOKEN\"\n",
                dir.join("token").display()
            ),
        )
        .unwrap();
        Env { dir }
    }

    fn token_path(&self) -> PathBuf {
        self.dir.join("token")
    }

    /// Rotate as the kubelet does: a new file renamed over the old one.
    fn rotate(&self, token: &str) {
        let tmp = self.dir.join("token.new");
        std::fs::write(&tmp, format!("{token}\n")).unwrap();
        std::fs::rename(&tmp, self.token_path()).unwrap();
    }

    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
        c.args(args)
            .current_dir(&self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", self.dir.join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY");
        c
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.cmd(args).output().expect("run authdoctor");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn no_cache_written(dir: &Path) {
    assert!(
        !dir.join("cache").join("k8s.json").exists(),
        "a token_file profile's token is not cached"
    );
}

#[test]
fn token_get_show_and_exec_read_the_file() {
    let env = Env::new("get");
    let t1 = valid_access_token().token;
    env.rotate(&t1);
    let (code, out, err) = env.run(&["token", "get", "--profile", "k8s"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), t1);

    let (code, out, err) = env.run(&["token", "show", "--profile", "k8s"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("token_file"), "{out}");
    assert!(
        !out.contains(&t1) && !err.contains(&t1),
        "token shown whole:\n{out}"
    );

    // exec: the current file token, in the profile's token_env.
    let t2 = valid_access_token().token;
    env.rotate(&t2);
    let (code, out, err) = env.run(&[
        "exec",
        "--profile",
        "k8s",
        "--",
        "sh",
        "-c",
        "printf %s \"$SA_TOKEN\"",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, t2);

    // No grant applies, and an empty file is one error line.
    let (code, _, err) = env.run(&["token", "get", "--profile", "k8s", "--grant", "device"]);
    assert_eq!(code, Some(2), "{err}");
    std::fs::write(env.token_path(), "\n").unwrap();
    let (code, _, err) = env.run(&["token", "get", "--profile", "k8s"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is empty"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    no_cache_written(&env.dir);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET through curl (independent of the binary under test): the Authorization httpbin saw.
fn authorization_seen(url: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-m", "10", url])
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v["headers"]["Authorization"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn proxy_picks_up_a_rotated_file() {
    let httpbin = peer("AUTHDOCTOR_HTTPBIN");
    let env = Env::new("proxy");
    let t1 = valid_access_token().token;
    env.rotate(&t1);
    let listen = format!("127.0.0.1:{}", free_port());
    let child = env
        .cmd(&[
            "proxy",
            "--profile",
            "k8s",
            "--listen",
            &listen,
            "--upstream",
            &httpbin,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}/headers");
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&listen).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(up, "the proxy did not start");
    assert_eq!(authorization_seen(&url), format!("Bearer {t1}"));
    let t2 = valid_access_token().token;
    env.rotate(&t2);
    assert_eq!(authorization_seen(&url), format!("Bearer {t2}"));
    // Rewritten in place (same inode) too.
    let t3 = valid_access_token().token;
    std::fs::write(env.token_path(), &t3).unwrap();
    assert_eq!(authorization_seen(&url), format!("Bearer {t3}"));

    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for t in [&t1, &t2, &t3] {
        assert!(
            !stderr.contains(t.as_str()),
            "token in proxy output:\n{stderr}"
        );
    }
    no_cache_written(&env.dir);
}

#[test]
fn check_notes_a_rotation_and_fix_takes_the_file_token() {
    let httpbin = peer("AUTHDOCTOR_HTTPBIN");
    let env = Env::new("check");
    let old = valid_access_token().token;
    let new = valid_access_token().token;
    env.rotate(&new);
    let auth = format!("Authorization: Bearer {old}");
    let (code, out, err) = env.run(&[
        "check",
        "--profile",
        "k8s",
        "--no-probes",
        "--no-issuer",
        "--format",
        "json",
        "-H",
        &auth,
        &format!("{httpbin}/bearer"),
    ]);
    assert!(code.is_some(), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let notes = v["request"]["notes"].to_string();
    let path = env.token_path().display().to_string();
    assert!(
        notes.contains(&format!(
            "the token file {path} holds a newer token than the one sent (rotated on disk; the process still holds the old one)"
        )),
        "{notes}"
    );
    for t in [&old, &new] {
        assert!(!out.contains(t.as_str()) && !err.contains(t.as_str()));
    }
    // The same token as the file's: no note.
    let auth = format!("Authorization: Bearer {new}");
    let (_, out, _) = env.run(&[
        "check",
        "--profile",
        "k8s",
        "--no-probes",
        "--no-issuer",
        "--format",
        "json",
        "-H",
        &auth,
        &format!("{httpbin}/bearer"),
    ]);
    assert!(!out.contains("holds a newer token"), "{out}");

    // --fix: a request without a token (httpbin /bearer answers 401) gets the file's token.
    let (code, out, err) = env.run(&[
        "check",
        "--fix",
        "--profile",
        "k8s",
        "--no-probes",
        "--no-issuer",
        "--format",
        "json",
        &format!("{httpbin}/bearer"),
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert_eq!(v["fix"]["status_before"], 401, "{}", v["fix"]);
    assert_eq!(v["fix"]["status_after"], 200, "{}", v["fix"]);
    assert!(
        v["fix"]["applied"][0]["what"]
            .as_str()
            .unwrap_or_default()
            .contains("token_file"),
        "{}",
        v["fix"]
    );
    assert!(!out.contains(new.as_str()) && !err.contains(new.as_str()));
    no_cache_written(&env.dir);
}
