//! The promises, attacked: each test reproduces an attack against small real servers of our own
//! on 127.0.0.1 (`support::recorder`), which record every byte they receive, and asserts that a
//! credential never reached an origin the user did not address and that no planted secret
//! appears in any output (stdout, stderr, JSON, `--bundle`).

mod support;

use serde_json::Value;
use std::path::PathBuf;
use support::recorder::{Answer, Recorder};
use support::*;

fn bearer_401() -> Answer {
    Answer::new(
        401,
        &[("WWW-Authenticate", "Bearer realm=\"b\"")],
        "{\"error\":\"unauthorized\"}",
    )
}

fn redirect_to(location: String) -> impl Fn(&support::recorder::Seen) -> Answer {
    move |_| Answer::new(302, &[("Location", location.as_str())], "")
}

/// Runs the binary with extra environment variables (and the clean proxy environment).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    authdoctor_env(args, env)
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "adsec-{name}-{}-{}",
        std::process::id(),
        random_hex(4)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ---------------------------------------------------------------------------------------------
// Credentials sent where the user did not send them

#[test]
fn fix_never_calls_a_redirect_target_on_another_origin_with_the_credential() {
    let target = Recorder::start(|_| bearer_401());
    let token = canary("fix-redirect");
    // Another host name for the same address, and the same host on another port: both are
    // other origins, whatever labels or octets they share.
    for location in [
        format!("http://localhost:{}/final", target.port),
        target.url("/final"),
    ] {
        let start = Recorder::start(redirect_to(location.clone()));
        let r = check_json(&[
            "--fix",
            "-H",
            &format!("Authorization: Bearer {token}"),
            &start.url("/start"),
        ]);
        target.assert_never_saw(&token, "the token (via --fix on a redirect)");
        assert_ne!(r.code, Some(0), "{}", r.describe());
        let fix = &r.json()["fix"];
        assert_ne!(fix["verified"], Value::Bool(true), "{}", r.describe());
        let failed = fix["failed"].to_string();
        assert!(
            failed.contains("call-final-url") && failed.contains("origin changed"),
            "the refusal is reported with its reason: {}",
            r.describe()
        );
    }
}

#[test]
fn digest_and_anyauth_never_answer_a_challenge_from_another_origin() {
    let password = canary("digest-pw");
    for (flag, challenge) in [
        ("--anyauth", "Basic realm=\"other\""),
        (
            "--digest",
            "Digest realm=\"other\", nonce=\"n1\", qop=\"auth\", algorithm=MD5",
        ),
        (
            "--anyauth",
            "Digest realm=\"other\", nonce=\"n1\", qop=\"auth\"",
        ),
    ] {
        let other =
            Recorder::start(move |_| Answer::new(401, &[("WWW-Authenticate", challenge)], ""));
        let start = Recorder::start(redirect_to(format!("http://localhost:{}/x", other.port)));
        let r = check_json(&[flag, "-u", &format!("alice:{password}"), &start.url("/")]);
        for s in other.seen() {
            assert!(
                s.header("authorization").is_none(),
                "{flag}: an Authorization answer reached the redirect's host:\n{}\n{}",
                s.text(),
                r.describe()
            );
        }
        start.assert_never_saw(&password, "the password");
        r.assert_no_secrets(&[Secret::new("password", &password)]);
    }
}

#[test]
fn fix_never_sends_a_default_profiles_token_to_a_host_it_does_not_name() {
    let api = Recorder::start(|_| bearer_401());
    let dir = temp_dir("profile");
    std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
    std::fs::write(
        dir.join("config/authdoctor/config.toml"),
        r#"default_profile = "work"
[profiles.work]
issuer = "http://127.0.0.1:9/"
client_id = "c"
client_secret = { env = "ADSEC_SECRET" }
hosts = ["api.example.com"]
"#,
    )
    .unwrap();
    let config = dir.join("config").display().to_string();
    let url = api.url("/v1");
    for extra in [vec![], vec![("AUTHDOCTOR_PROFILE", "work")]] {
        let mut env = vec![
            ("XDG_CONFIG_HOME", config.as_str()),
            ("ADSEC_SECRET", "not-used-secret"),
        ];
        env.extend(extra);
        let r = run_env(&["check", "--format", "json", "--fix", &url], &env);
        for s in api.seen() {
            assert!(
                s.header("authorization").is_none(),
                "a profile's token reached a host the profile does not name:\n{}\n{}",
                s.text(),
                r.describe()
            );
        }
        let failed = r.json()["fix"]["failed"].to_string();
        assert!(failed.contains("does not name"), "{}", r.describe());
    }
}

#[test]
fn proxy_authorization_goes_to_the_proxy_only() {
    let origin = Recorder::start(|_| bearer_401());
    let proxy = Recorder::start(|_| bearer_401());
    let pa = canary("proxy-auth");
    // Without a proxy it goes nowhere; with one, only to the proxy (the direct probe, which
    // bypasses the proxy, must not carry it to the origin).
    let r = check_json(&[
        "-H",
        &format!("Proxy-Authorization: Basic {pa}"),
        &origin.url("/a"),
    ]);
    origin.assert_never_saw(&pa, "Proxy-Authorization (no proxy)");
    r.assert_no_secrets(&[Secret::new("proxy-authorization", &pa)]);
    let r = check_json(&[
        "-x",
        &proxy.url(""),
        "-H",
        &format!("Proxy-Authorization: Basic {pa}"),
        "-H",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
        &origin.url("/b"),
    ]);
    origin.assert_never_saw(&pa, "Proxy-Authorization (direct probe)");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.header("proxy-authorization") == Some(&format!("Basic {pa}"))),
        "the proxy gets it: {}",
        r.describe()
    );
    r.assert_no_secrets(&[Secret::new("proxy-authorization", &pa)]);
}

#[test]
fn resolve_and_connect_to_pin_where_the_credential_goes() {
    let pinned = Recorder::start(|_| Answer::new(200, &[], "ok"));
    let p = pinned.port;
    let token = canary("pinned");
    let url = format!("http://pinned.authdoctor.invalid:{p}/x");
    let auth = format!("Authorization: Bearer {token}");
    for args in [
        vec![
            "--resolve".to_string(),
            format!("pinned.authdoctor.invalid:{p}:127.0.0.1"),
            "-H".into(),
            auth.clone(),
            url.clone(),
        ],
        vec![
            "--connect-to".to_string(),
            format!("pinned.authdoctor.invalid:{p}:127.0.0.1:{p}"),
            "-H".into(),
            auth.clone(),
            url.clone(),
        ],
        vec![
            "--curl".to_string(),
            format!("curl --resolve pinned.authdoctor.invalid:{p}:127.0.0.1 -H '{auth}' {url}"),
        ],
    ] {
        let before = pinned.seen().len();
        let r = check_json(&args);
        r.assert_exit(0);
        let seen = pinned.seen();
        assert!(seen.len() > before, "{}", r.describe());
        assert_eq!(
            seen.last().unwrap().header("host"),
            Some(format!("pinned.authdoctor.invalid:{p}").as_str())
        );
    }
    // A pin that cannot be honoured is refused before anything is sent.
    let before = pinned.seen().len();
    for args in [
        vec![
            "--connect-to".to_string(),
            format!("pinned.authdoctor.invalid:80:127.0.0.1:{p}"),
            "-H".into(),
            auth.clone(),
            "http://pinned.authdoctor.invalid/x".into(),
        ],
        vec![
            "--resolve".to_string(),
            format!("pinned.authdoctor.invalid:{p}:127.0.0.1"),
            "-x".into(),
            "http://127.0.0.1:9".into(),
            "-H".into(),
            auth.clone(),
            url.clone(),
        ],
        vec!["--resolve".to_string(), "no-port-here".into(), url.clone()],
    ] {
        let r = check_json(&args);
        r.assert_exit(2);
        assert_eq!(
            r.stderr.lines().filter(|l| l.contains("error")).count(),
            1,
            "{}",
            r.describe()
        );
    }
    assert_eq!(
        pinned.seen().len(),
        before,
        "nothing sent for a refused pin"
    );
}

#[test]
fn issuer_fetches_use_the_proxy_and_read_a_bounded_body() {
    // The "proxy" answers the API with a 401 and every metadata request with 3 MiB of JSON.
    let proxy = Recorder::start(|s| {
        if s.target.contains("/.well-known/") {
            let mut big = b"{\"issuer\":\"".to_vec();
            big.extend(std::iter::repeat_n(b'a', 3 << 20));
            big.extend(b"\"}");
            Answer::new(200, &[("Content-Type", "application/json")], big)
        } else {
            bearer_401()
        }
    });
    let iss = "http://issuer.authdoctor.invalid:9";
    let jwt = mint_jwt(
        serde_json::json!({"alg": "RS256", "typ": "at+jwt", "kid": "k1"}),
        serde_json::json!({"iss": iss, "sub": "s", "aud": "a", "exp": now() + 600, "iat": now()}),
    );
    let r = check_json(&[
        "-x",
        &proxy.url(""),
        "--allow-http-issuer",
        "-H",
        &format!("Authorization: Bearer {}", jwt.token),
        "http://api.authdoctor.invalid:9/v1",
    ]);
    r.assert_exit(1);
    let fetched: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.target.contains("/.well-known/"))
        .collect();
    assert!(
        !fetched.is_empty(),
        "issuer discovery went through -x: {}",
        r.describe()
    );
    for f in &fetched {
        assert!(
            f.header("authorization").is_none(),
            "no credential to the issuer"
        );
    }
    assert!(
        r.stdout.contains("larger than 1024 KiB"),
        "{}",
        r.describe()
    );
}

#[test]
fn an_endless_redirect_loop_is_a_failure_not_a_success() {
    let lp = Recorder::start(|s| Answer::new(302, &[("Location", s.target.as_str())], ""));
    let r = check_json(&[lp.url("/loop")]);
    r.assert_exit(4);
    assert!(r.stderr.contains("redirect loop"), "{}", r.describe());
}

// ---------------------------------------------------------------------------------------------
// Secrets printed

/// Secrets planted in every carrier the issue names, through every output.
#[test]
fn planted_secrets_never_reach_any_output() {
    let c = |l: &str| Secret::new(l, canary(l));
    let loc_sig = c("location-sig");
    let loc_frag = c("location-fragment");
    let form_token = c("form-body-token");
    let csrf = c("html-csrf");
    let server = {
        let (a, b, f, h) = (
            loc_sig.value.clone(),
            loc_frag.value.clone(),
            form_token.value.clone(),
            csrf.value.clone(),
        );
        Recorder::start(move |s| {
            if s.target.starts_with("/start") {
                Answer::new(
                    302,
                    &[(
                        "Location",
                        &format!("/next?X-Amz-Signature={a}&page=2#access_token={b}&state=x"),
                    )],
                    "",
                )
            } else if s.target.starts_with("/next") {
                Answer::new(
                    401,
                    &[
                        ("WWW-Authenticate", "Bearer realm=\"api\""),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ],
                    format!("access_token={f}&token_type=bearer"),
                )
            } else {
                Answer::new(
                    403,
                    &[("Content-Type", "text/html")],
                    format!(
                        "<form><input type=\"hidden\" name=\"csrf_token\" value=\"{h}\"></form>"
                    ),
                )
            }
        })
    };
    let key_user = Secret::new("api-key-as-user", format!("sk_live_{}", random_hex(16)));
    let q: Vec<Secret> = [
        "api-key",
        "subscription-key",
        "X-Goog-Signature",
        "jwt",
        "pwd",
        "p",
    ]
    .iter()
    .map(|n| c(&format!("query-{n}")))
    .collect();
    let nested = c("nested");
    let hdr: Vec<(&str, Secret)> = [
        "Ocp-Apim-Subscription-Key",
        "X-Auth-Key",
        "Authentication",
        "X-Authorization",
        "X-Access-Key",
    ]
    .iter()
    .map(|n| (*n, c(&format!("header-{n}"))))
    .collect();
    let names = [
        "api-key",
        "subscription-key",
        "X-Goog-Signature",
        "jwt",
        "pwd",
        "p",
    ];
    let mut query: Vec<String> = names
        .iter()
        .zip(&q)
        .map(|(n, s)| format!("{n}={}", s.value))
        .collect();
    query.push("u=admin".into());
    query.push(format!(
        "redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Faccess_token%3D{}",
        nested.value
    ));
    let mut secrets: Vec<Secret> = vec![
        loc_sig.clone(),
        loc_frag.clone(),
        form_token.clone(),
        csrf.clone(),
        key_user.clone(),
        nested.clone(),
    ];
    secrets.extend(q.iter().cloned());
    secrets.extend(hdr.iter().map(|(_, s)| s.clone()));
    let dir = temp_dir("leak");
    for (path, format, fix) in [
        ("/start", "json", false),
        ("/start", "human", false),
        ("/start", "json", true),
        ("/html", "human", false),
        ("/html", "json", false),
    ] {
        let bundle = dir.join(format!("bundle-{format}-{fix}.json"));
        let mut args: Vec<String> = vec![
            "check".into(),
            "--format".into(),
            format.into(),
            "-u".into(),
            format!("{}:", key_user.value),
            "--bundle".into(),
            bundle.display().to_string(),
        ];
        if fix {
            args.push("--fix".into());
        }
        for (n, s) in &hdr {
            args.push("-H".into());
            args.push(format!("{n}: {}", s.value));
        }
        args.push(format!("{}?{}", server.url(path), query.join("&")));
        let r = run_env(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
        assert!(matches!(r.code, Some(1)), "{}", r.describe());
        r.assert_no_secrets(&secrets);
        if let Ok(text) = std::fs::read_to_string(&bundle) {
            for s in &secrets {
                assert!(!text.contains(&s.value), "{} leaked into --bundle", s.label);
            }
        }
    }
}

#[test]
fn error_messages_never_echo_a_query_token() {
    let t = canary("error-url");
    for url in [
        format!("ftp://files.example/x?access_token={t}"),
        format!("http://[::1/x?access_token={t}"),
        format!("http://user:{t}@/x"),
    ] {
        let r = check_json(&[url.as_str()]);
        r.assert_exit(2);
        r.assert_no_secrets(&[Secret::new("query token", &t)]);
    }
}
