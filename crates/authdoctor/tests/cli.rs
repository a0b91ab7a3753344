//! CLI behaviour that needs no third-party server: the demo, `explain`, `config show`, and
//! bad input of every kind ending in one line and a documented exit code.

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
    c.env_remove("NO_COLOR").env("HOME", std::env::temp_dir());
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn demo_diagnoses_expired_then_malformed_then_succeeds() {
    let out = bin().args(["demo", "--format", "json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let reports: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0]["findings"][0]["id"], "token-expired");
    assert_eq!(
        reports[1]["findings"][0]["id"],
        "malformed-authorization-header"
    );
    assert_eq!(reports[2]["outcome"], "ok");
}

#[test]
fn demo_human_output_has_summary_claims_and_timeline() {
    let out = bin().arg("demo").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("most likely token-expired (high)"), "{text}");
    assert!(
        text.contains("timeline:") && text.contains("expired 3m12s ago by the server's clock"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour when piped");
}

#[test]
fn explain_prints_the_cause_doc_and_lists_all() {
    let out = bin().args(["explain", "token-expired"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for s in [
        "# token-expired",
        "## What it detects",
        "## Fix",
        "## References",
    ] {
        assert!(text.contains(s), "{s}");
    }
    let list =
        String::from_utf8(bin().args(["explain", "--list"]).output().unwrap().stdout).unwrap();
    assert!(list.contains("cached-401") && list.contains("server-rejected-valid-credentials"));
    let out = bin().args(["explain", "expired"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean"));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["check", "--curl", "curl -H"],
        &["check", "--curl", "curl --frobnicate http://x/"],
        &["check", "--curl", "curl 'unterminated"],
        &["check", "ht!tp://x"],
        &["check", "--har", "/nonexistent/file.har"],
        &["check", "--bogus"],
        &["check"],
        &["explain", "no-such-cause"],
    ];
    for args in cases {
        let out = bin().args(*args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("hint:")).collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: expected one error line, got {err:?}"
        );
        assert!(
            lines[0].starts_with("authdoctor: error: "),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("backtrace"),
            "{args:?}"
        );
    }
}

#[test]
fn broken_har_and_garbage_files_exit_2() {
    let dir = tempdir();
    let f = dir.join("broken.har");
    std::fs::write(&f, b"{\"log\": {\"entries\": [").unwrap();
    let out = bin()
        .args(["check", "--har", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(&f, [0xff, 0xfe, 0x00, 0x13]).unwrap();
    let out = bin()
        .args(["check", "--har", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unreachable_exits_3() {
    let out = bin()
        .args(["check", "http://127.0.0.1:1/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn closed_stdout_is_not_a_panic() {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"))
        .args(["explain", "--list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "authdoctor-cli-test-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn config_show_names_the_winning_source() {
    let dir = tempdir();
    std::fs::write(
        dir.join("authdoctor.toml"),
        "default_profile = \"dev\"\n[profiles.dev]\nissuer = \"https://id.dev.example.com\"\nclient_secret = { env = \"DEV_SECRET_X\" }\n[profiles.prod]\nclient_secret = \"literal-prod-secret-4242\"\nhosts = [\"api.example.com\"]\n",
    )
    .unwrap();
    let out = bin()
        .current_dir(&dir)
        .env("AUTHDOCTOR_ISSUER", "https://stale.example.com")
        .args(["config", "show", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["profile"], "dev");
    let iss = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["field"] == "issuer")
        .unwrap();
    assert_eq!(iss["source"], "env AUTHDOCTOR_ISSUER");
    assert_eq!(iss["overridden"][0]["value"], "https://id.dev.example.com");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("AUTHDOCTOR_ISSUER overrides issuer")
    );

    let out = bin()
        .current_dir(&dir)
        .args(["config", "show", "--host", "api.example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("profile: prod"), "{text}");
    assert!(
        !text.contains("literal-prod-secret-4242"),
        "a literal secret must never be printed"
    );
    assert!(text.contains("warning:") && text.contains("literal client_secret"));

    let out = bin()
        .current_dir(&dir)
        .args(["config", "show", "--profile", "qa"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
