//! Everyday use: shell completions loaded by real shells, the man page rendered by `man`,
//! `redact` over every HAR fixture (no secret survives, the diagnosis does), and
//! `watch --format prometheus` checked by `promtool` against a token from the real
//! oidc-provider peer (`AUTHDOCTOR_OIDC`).

mod support;

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{authdoctor, peer};

fn bin() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("authdoctor"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("adt-everyday-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn sh(program: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(program);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/install-peers installs it): {e}"))
}

// ---------------------------------------------------------------------------------------------
// Completions and the man page

#[test]
fn bash_loads_the_completion() {
    let script = format!(
        "source <('{}' completions bash) && complete -p authdoctor",
        bin().display()
    );
    let out = sh("bash", &["--norc", "--noprofile", "-c", &script], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("authdoctor"),
        "bash: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn zsh_loads_the_completion() {
    let home = tmpdir("zsh");
    let script = format!(
        "autoload -U compinit && compinit -u -D && source <('{}' completions zsh) && \
         print -r -- ${{_comps[authdoctor]}}",
        bin().display()
    );
    let out = sh(
        "zsh",
        &["-f", "-c", &script],
        &[
            ("HOME", home.to_str().unwrap()),
            ("ZDOTDIR", home.to_str().unwrap()),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim() == "_authdoctor",
        "zsh: {stdout:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn every_shell_gets_a_script_and_a_bad_shell_is_exit_2() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = authdoctor(["completions", shell]);
        r.assert_exit(0);
        assert!(r.stdout.contains("authdoctor"), "{}", r.describe());
        assert!(r.stdout.contains("token"), "{shell}: subcommands missing");
    }
    let r = authdoctor(["completions", "tcsh"]);
    r.assert_exit(2);
    assert_eq!(
        r.stderr
            .lines()
            .next()
            .map(|l| l.starts_with("authdoctor: error:")),
        Some(true)
    );
}

#[test]
fn man_renders_the_page_without_warnings() {
    let page = authdoctor(["manpage"]);
    page.assert_exit(0);
    assert!(
        page.stdout.contains("\n.TH AUTHDOCTOR 1"),
        "roff expected:\n{}",
        page.describe()
    );
    let mut man = Command::new("man")
        .args(["--warnings", "-l", "-"])
        .env("MANWIDTH", "80")
        .env_remove("MAN_KEEP_FORMATTING")
        .env_remove("MANPAGER")
        .env("PAGER", "cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("man (scripts/install-peers installs man-db)");
    man.stdin
        .take()
        .unwrap()
        .write_all(page.stdout.as_bytes())
        .unwrap();
    let out = man.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man failed: {err}");
    assert!(err.trim().is_empty(), "man/groff warnings:\n{err}");
    // One page, every subcommand in it (nested ones too).
    for want in [
        "AUTHDOCTOR CHECK",
        "AUTHDOCTOR TOKEN GET",
        "AUTHDOCTOR CONFIG SHOW",
        "AUTHDOCTOR WATCH",
        "AUTHDOCTOR REDACT",
        "--oauth2-bearer",
    ] {
        assert!(
            text.contains(want),
            "{want:?} missing from the rendered page"
        );
    }
    assert!(text.contains("check") && text.contains("token"));
    assert!(
        text.lines().all(|l| l.chars().count() <= 80),
        "a line wider than MANWIDTH"
    );
}

// ---------------------------------------------------------------------------------------------
// redact

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/har");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "har") {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 20, "HAR fixtures not found");
    out
}

/// Names whose values are credentials, decided here independently of the redactor's rules.
fn secret_header(n: &str) -> bool {
    let n = n.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization"
            | "proxy-authorization"
            | "cookie"
            | "set-cookie"
            | "x-api-key"
            | "x-goog-api-key"
            | "x-auth-token"
            | "api-key"
            | "apikey"
            | "private-token"
            | "x-csrf-token"
    )
}

fn secret_field(n: &str) -> bool {
    let n = n.to_ascii_lowercase();
    let parts: Vec<&str> = n.split(['-', '_', '.']).collect();
    parts.iter().any(|p| {
        [
            "token",
            "secret",
            "password",
            "passwd",
            "apikey",
            "session",
            "signature",
        ]
        .iter()
        .any(|w| p.contains(w))
            || *p == "sig"
    }) && !parts.iter().any(|p| matches!(*p, "type" | "expires"))
        || matches!(
            n.as_str(),
            "api_key" | "api-key" | "code_verifier" | "client_assertion"
        )
}

/// Every credential value (≥ 8 characters) of a HAR: headers, cookies, query and form
/// parameters, JSON body fields; an `Authorization` value without its scheme, and a Basic
/// credential's password.
fn collect_secrets(har: &Value) -> Vec<String> {
    use base64::Engine as _;
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        let s = s.trim();
        if s.chars().count() >= 8 && !out.iter().any(|x| x == s) {
            out.push(s.to_string());
        }
    };
    fn json_fields(v: &Value, add: &mut dyn FnMut(&str)) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    match x {
                        Value::String(s) if secret_field(k) => add(s),
                        _ => json_fields(x, add),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| json_fields(x, add)),
            _ => {}
        }
    }
    let pairs = |m: &Value, key: &str| -> Vec<(String, String)> {
        m[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_string(),
                    p["value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    for e in har["log"]["entries"].as_array().into_iter().flatten() {
        for m in [&e["request"], &e["response"]] {
            for (n, v) in pairs(m, "headers") {
                if !secret_header(&n) {
                    continue;
                }
                match n.to_ascii_lowercase().as_str() {
                    "authorization" | "proxy-authorization" => {
                        let cred = v.split_once(' ').map_or(v.as_str(), |(_, c)| c).trim();
                        add(cred);
                        if let Some(text) = base64::engine::general_purpose::STANDARD
                            .decode(cred)
                            .ok()
                            .and_then(|b| String::from_utf8(b).ok())
                            && let Some((_, pass)) = text.split_once(':')
                        {
                            add(pass);
                        }
                    }
                    "cookie" => v
                        .split(';')
                        .filter_map(|p| p.split_once('='))
                        .for_each(|(_, v)| add(v)),
                    "set-cookie" => {
                        if let Some((_, v)) = v.split(';').next().and_then(|p| p.split_once('=')) {
                            add(v)
                        }
                    }
                    _ => add(&v),
                }
            }
            for (_, v) in pairs(m, "cookies") {
                add(&v);
            }
            for (n, v) in pairs(m, "queryString") {
                if secret_field(&n) {
                    add(&v);
                }
            }
            for (n, v) in pairs(&m["postData"], "params") {
                if secret_field(&n) {
                    add(&v);
                }
            }
            for text in [&m["postData"]["text"], &m["content"]["text"]] {
                if let Some(v) = text
                    .as_str()
                    .and_then(|t| serde_json::from_str::<Value>(t).ok())
                {
                    json_fields(&v, &mut add);
                }
            }
        }
    }
    out
}

/// `findings[0].id` of every report `check --har` prints (JSON Lines), or the exit code when
/// it printed none (a HAR without 401/403 entries is exit 2).
fn tops(har: &Path) -> (Option<i32>, Vec<Option<String>>) {
    let r = authdoctor([
        "check",
        "--har",
        har.to_str().unwrap(),
        "--format",
        "json",
        "--no-issuer",
    ]);
    let ids = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["findings"][0]["id"].as_str().map(str::to_owned))
        .collect::<Vec<_>>();
    let ids = if ids.is_empty() && r.stdout.trim_start().starts_with('{') {
        vec![r.json()["findings"][0]["id"].as_str().map(str::to_owned)]
    } else {
        ids
    };
    (r.code, ids)
}

/// Where the diagnosis of the redacted copy may differ, and why: (file, entry in the
/// report's order, reason).
const EXCEPTIONS: &[(&str, usize, &str)] = &[
    (
        "pygithub_401_403_converted.har",
        2,
        "`Basic login_and_password_removed` is not base64: basic-encoding reads the value itself",
    ),
    (
        "pygithub_401_403_converted.har",
        10,
        "`Basic login_and_password_removed` is not base64: basic-encoding reads the value itself",
    ),
];

#[test]
fn redact_removes_every_secret_and_keeps_the_diagnosis() {
    let dir = tmpdir("redact");
    let mut compared = 0;
    for f in fixtures() {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let out = dir.join(&name);
        let r = authdoctor(["redact", f.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        if name == "brokenfile.har" {
            // Not JSON: a one-line input error, nothing written.
            r.assert_exit(2);
            assert_eq!(r.stderr.lines().count(), 1, "{}", r.describe());
            assert!(!out.exists());
            continue;
        }
        r.assert_exit(0);
        assert!(r.stderr.contains("redact:"), "no summary: {}", r.describe());
        let raw = std::fs::read_to_string(&f).unwrap();
        let input: Value = serde_json::from_str(raw.trim_start_matches('\u{feff}')).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let output: Value = serde_json::from_str(&text).expect("the copy is JSON");
        // Structure intact: same entries, same keys.
        assert_eq!(
            input["log"]["entries"].as_array().map(Vec::len),
            output["log"]["entries"].as_array().map(Vec::len),
            "{name}"
        );
        for secret in collect_secrets(&input) {
            assert!(
                !text.contains(&secret),
                "{name}: a secret survived ({} chars, starts {:?})",
                secret.len(),
                secret.chars().take(3).collect::<String>()
            );
            assert!(
                !r.stderr.contains(&secret) && !r.stdout.contains(&secret),
                "{name}: secret in output"
            );
        }
        // The diagnosis of the copy.
        let (code_in, ids_in) = tops(&f);
        let (code_out, ids_out) = tops(&out);
        assert_eq!(code_in, code_out, "{name}: exit code of check changed");
        assert_eq!(ids_in.len(), ids_out.len(), "{name}: number of reports");
        for (i, (a, b)) in ids_in.iter().zip(&ids_out).enumerate() {
            compared += 1;
            if EXCEPTIONS.iter().any(|(n, e, _)| *n == name && *e == i) {
                continue;
            }
            assert_eq!(
                a, b,
                "{name} report {i}: findings[0].id changed by redaction"
            );
        }
    }
    assert!(compared > 40, "too few reports compared ({compared})");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn redact_keeps_jwt_claims_and_writes_stdout() {
    use base64::Engine as _;
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let jwt = format!(
        "{}.{}.{}",
        b64(&serde_json::json!({"alg": "RS256", "kid": "k1", "typ": "at+jwt"})),
        b64(
            &serde_json::json!({"iss": "https://idp.test", "aud": "api", "exp": 1_700_000_000, "sub": "alice"})
        ),
        "Zm9vYmFyYmF6cXV4LXNpZ25hdHVyZS1ieXRlcy0wMTIzNDU2Nzg5YWJjZGVm"
    );
    let har = serde_json::json!({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [{
        "startedDateTime": "2024-01-01T00:00:00Z", "time": 12.345678901234567,
        "request": {"method": "POST", "url": "https://idp.test/token?client_secret=cs-9f8e7d6c5b", "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Authorization", "value": format!("Bearer {jwt}")},
                        {"name": "Proxy-Authorization", "value": "Basic YWxpY2U6cHJveHktcGFzcy0xMjM0"}],
            "queryString": [{"name": "client_secret", "value": "cs-9f8e7d6c5b"}],
            "cookies": [], "headersSize": -1, "bodySize": 10,
            "postData": {"mimeType": "application/x-www-form-urlencoded",
                         "text": "grant_type=refresh_token&refresh_token=rt-0a1b2c3d4e5f&code_verifier=cv-abcdefghijklmnop"}},
        "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
            "content": {"size": 10, "mimeType": "application/json",
                        "text": format!("{{\"access_token\":\"{jwt}\",\"refresh_token\":\"rt-new-99887766\",\"id_token\":\"idt-opaque-5544332211\",\"token_type\":\"Bearer\"}}")},
            "redirectURL": "", "headersSize": -1, "bodySize": 10},
        "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 0}}]}});
    let dir = tmpdir("jwt");
    let f = dir.join("in.har");
    std::fs::write(&f, har.to_string()).unwrap();
    let r = authdoctor(["redact", f.to_str().unwrap()]);
    r.assert_exit(0);
    let out: Value = serde_json::from_str(&r.stdout).expect("pretty JSON on stdout");
    for secret in [
        "Zm9vYmFyYmF6cXV4LXNpZ25hdHVyZS1ieXRlcy0wMTIzNDU2Nzg5YWJjZGVm",
        "cs-9f8e7d6c5b",
        "rt-0a1b2c3d4e5f",
        "cv-abcdefghijklmnop",
        "rt-new-99887766",
        "idt-opaque-5544332211",
        "YWxpY2U6cHJveHktcGFzcy0xMjM0",
        "proxy-pass-1234",
    ] {
        assert!(
            !r.stdout.contains(secret),
            "{secret} survived:\n{}",
            r.stdout
        );
        assert!(!r.stderr.contains(secret));
    }
    // The JWT keeps header and claims, in the header and in the token response.
    let auth = out["log"]["entries"][0]["request"]["headers"][0]["value"]
        .as_str()
        .unwrap();
    let (head, claims) = {
        let mut p = jwt.split('.');
        (p.next().unwrap(), p.next().unwrap())
    };
    assert!(
        auth.starts_with(&format!("Bearer {head}.{claims}.REDACTED-sha256-")),
        "{auth}"
    );
    let body = out["log"]["entries"][0]["response"]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(
        body.contains(&format!("{head}.{claims}.REDACTED")),
        "{body}"
    );
    // Numbers and the rest of the structure unchanged.
    assert_eq!(
        out["log"]["entries"][0]["time"],
        har["log"]["entries"][0]["time"]
    );
    assert_eq!(
        out["log"]["entries"][0]["timings"],
        har["log"]["entries"][0]["timings"]
    );
    assert!(r.stderr.contains("token response field ×3"), "{}", r.stderr);
    assert!(r.stderr.contains("JWT"), "{}", r.stderr);
    // Bad input: one line, exit 2.
    let r = authdoctor(["redact", dir.join("missing.har").to_str().unwrap()]);
    r.assert_exit(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.describe());
    std::fs::write(dir.join("nothar.json"), "{\"a\": 1}").unwrap();
    let r = authdoctor(["redact", dir.join("nothar.json").to_str().unwrap()]);
    r.assert_exit(2);
    assert!(r.stderr.contains("log.entries"), "{}", r.describe());
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------------------------
// watch --format prometheus

const SHORT: &str = "https://api.authdoctor.test/short";
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";

/// The exposition format, checked line by line: HELP/TYPE before samples of their family,
/// `name{labels} value`, and `# EOF` last.
fn assert_openmetrics(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "no final # EOF:\n{text}");
    assert!(text.ends_with("# EOF\n"));
    let mut typed: Vec<String> = Vec::new();
    for l in &lines[..lines.len() - 1] {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(matches!(kind, "gauge" | "counter"), "{l}");
            typed.push(name.to_string());
        } else if l.starts_with("# HELP ") || l.starts_with("# UNIT ") {
        } else {
            let (series, value) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("bad line {l:?}"));
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("bad value in {l:?}"));
            let name = series.split('{').next().unwrap();
            assert!(
                typed
                    .iter()
                    .any(|t| name == t || name.strip_suffix("_total") == Some(t)),
                "sample before its TYPE: {l}"
            );
            let labels = series[name.len()..]
                .trim_start_matches('{')
                .trim_end_matches('}');
            for pair in labels.split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once("=\"")
                    .unwrap_or_else(|| panic!("bad label {pair:?}"));
                assert!(
                    k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{k}"
                );
                assert!(!v.trim_end_matches('"').contains('\n'));
            }
        }
    }
}

#[test]
fn watch_prometheus_passes_promtool() {
    let issuer = peer("AUTHDOCTOR_OIDC");
    let dir = tmpdir("watch");
    std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
    std::fs::write(
        dir.join("config/authdoctor/config.toml"),
        format!(
            "[profiles.metrics]\nissuer = \"{issuer}\"\nclient_id = \"{CLIENT}\"\n\
             client_secret = {{ env = \"ADT_EVERYDAY_SECRET\" }}\nresource = \"{SHORT}\"\nscopes = [\"read\"]\n"
        ),
    )
    .unwrap();
    let certs = support::peer_var("AUTHDOCTOR_CERTS");
    let run = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .current_dir(&dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", dir.join("cache"))
            .env("ADT_EVERYDAY_SECRET", SECRET)
            .env("AUTHDOCTOR_CLIENT_CERT", format!("{certs}/client.crt"))
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .output()
            .unwrap()
    };
    let got = run(&["token", "get", "--profile", "metrics"]);
    assert!(
        got.status.success(),
        "token get: {}",
        String::from_utf8_lossy(&got.stderr)
    );
    let out = run(&["watch", "--profile", "metrics", "--format", "prometheus"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains(SECRET));
    assert_openmetrics(&text);
    let token_line = text
        .lines()
        .find(|l| l.starts_with("authdoctor_token_expiry_timestamp_seconds{profile=\"metrics\"} "))
        .unwrap_or_else(|| panic!("no token expiry sample:\n{text}"));
    let exp: f64 = token_line.rsplit(' ').next().unwrap().parse().unwrap();
    let now = support::now() as f64;
    assert!(
        exp > now - 60.0 && exp < now + 3600.0,
        "expiry {exp} vs now {now}"
    );
    assert!(
        text.contains(
            "authdoctor_credential_expiry_timestamp_seconds{profile=\"metrics\",kind=\"client_certificate\"} "
        ),
        "{text}"
    );
    // promtool reads the exposition from stdin; any lint problem fails the check.
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (scripts/install-peers installs the prometheus package)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let p = promtool.wait_with_output().unwrap();
    assert!(
        p.status.success() && p.stdout.is_empty() && p.stderr.is_empty(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&p.stdout),
        String::from_utf8_lossy(&p.stderr)
    );
    // JSON and human output still work with the new --format.
    let json = run(&["watch", "--profile", "metrics", "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("watch json");
    assert_eq!(v["profiles"][0]["profile"], "metrics");
    let _ = std::fs::remove_dir_all(dir);
}

/// Progress on long work: on a terminal, after ~300 ms, `check` says which requests it is still
/// waiting for (stderr); piped, it says nothing. The terminal is a real pty from `script(1)`.
#[test]
fn check_says_what_it_waits_for_on_a_terminal_only() {
    let httpbin = support::peer("AUTHDOCTOR_HTTPBIN");
    let bin = assert_cmd::cargo::cargo_bin!("authdoctor");
    let cmd = format!("{} check {httpbin}/delay/1 > /dev/null", bin.display());
    let out = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .output()
        .expect("script(1) runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        screen.contains("waiting for the request"),
        "no progress line on the terminal: {screen:?}"
    );
    let piped = std::process::Command::new(bin)
        .args(["check", &format!("{httpbin}/delay/1")])
        .output()
        .expect("run");
    assert!(
        piped.stderr.is_empty(),
        "progress must not reach a pipe: {:?}",
        String::from_utf8_lossy(&piped.stderr)
    );
}
