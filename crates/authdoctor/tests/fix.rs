//! `check --fix` against real peers on 127.0.0.1, for the fixes that need no profile: a
//! forward proxy that strips the credential (squid, tinyproxy, mitmproxy) bypassed by the
//! route the `direct` probe proved, nginx's proxy_cache serving a stored 401 bypassed as the
//! `cache-bust` probe did, a Basic credential encoded with a trailing newline or edge
//! whitespace re-encoded, a malformed Authorization header rewritten, and an Apache Digest
//! stale nonce answered again with `-u`.
//!
//! `fixable_requests_end_verified` runs every one of them and counts the verified ones: the
//! repair rate of `--fix` on the project's own peers (printed, and at least 9 in 10).

mod support;

use support::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn token() -> String {
    format!("tok-{}", random_hex(20))
}

/// One failing request `--fix` should repair: its arguments, the secrets it carries and the
/// action that must have been applied.
struct Case {
    name: String,
    args: Vec<String>,
    secrets: Vec<Secret>,
    action: &'static str,
}

impl Case {
    fn run(&self) -> Run {
        let mut args = s(&["--fix"]);
        args.extend(self.args.iter().cloned());
        let run = check_json(&args);
        run.assert_no_secrets(&self.secrets);
        run
    }

    /// Verified with a 2xx after, by the expected action.
    fn verified(run: &Run, action: &str) -> bool {
        let fix = &run.json()["fix"];
        fix["verified"] == true
            && fix["status_after"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
            && fix["applied"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["id"] == action))
            && run.code == Some(0)
    }

    fn assert_verified(&self) -> Run {
        let run = self.run();
        assert!(
            Self::verified(&run, self.action),
            "{}: not verified by {}\n{}",
            self.name,
            self.action,
            run.describe()
        );
        run
    }
}

fn proxy_case(var: &str) -> Case {
    let t = token();
    Case {
        name: var.to_string(),
        args: s(&[
            "-x",
            &peer(var),
            "-H",
            &format!("Authorization: Bearer {t}"),
            &format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN")),
        ]),
        secrets: vec![Secret::new("bearer token", &t)],
        action: "bypass-proxy",
    }
}

/// mitmproxy intercepting https (its own CA, hence -k) and rewriting the scheme.
fn tls_interception_case() -> Case {
    let t = token();
    Case {
        name: "mitmproxy TLS interception".into(),
        args: s(&[
            "-k",
            "-x",
            &peer("AUTHDOCTOR_MITMPROXY"),
            "-H",
            &format!("Authorization: Bearer {t}"),
            &format!("{}/bearer", peer("AUTHDOCTOR_NGINX_TLS")),
        ]),
        secrets: vec![Secret::new("bearer token", &t)],
        action: "bypass-proxy",
    }
}

fn cache_case() -> Case {
    let url = format!(
        "{}/bearer?fix-case={}",
        peer("AUTHDOCTOR_NGINX_CACHE"),
        random_hex(6)
    );
    let (status, head) = raw_get(&url, &[]);
    assert_eq!(status, 401, "priming the cache: {head}");
    let t = token();
    Case {
        name: "nginx proxy_cache stored 401".into(),
        args: s(&["-H", &format!("Authorization: Bearer {t}"), &url]),
        secrets: vec![Secret::new("bearer token", &t)],
        action: "bypass-cache",
    }
}

/// httpbin's `/basic-auth/USER/PASSWORD` with the pair encoded as `encoded` says.
fn basic_case(name: &'static str, encoded: impl Fn(&str, &str) -> String) -> Case {
    let (user, password) = ("alice", format!("pw-{}", random_hex(12)));
    let url = format!(
        "{}/basic-auth/{user}/{password}",
        peer("AUTHDOCTOR_HTTPBIN")
    );
    let header = format!(
        "Authorization: Basic {}",
        basic_b64(&encoded(user, &password))
    );
    Case {
        name: name.into(),
        args: s(&["-H", &header, &url]),
        secrets: vec![Secret::new("basic password", &password)],
        action: "reencode-basic",
    }
}

fn malformed_case() -> Case {
    let t = token();
    Case {
        name: "Authorization: Bearer: TOKEN".into(),
        args: s(&[
            "-H",
            &format!("Authorization: Bearer: {t}"),
            &format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN")),
        ]),
        secrets: vec![Secret::new("bearer token", &t)],
        action: "fix-authorization-header",
    }
}

/// Apache's `/digest-stale/` (AuthDigestNonceLifetime 2): a Digest header computed for a nonce
/// that has since gone stale, sent with `-u --digest`.
fn digest_stale_case() -> Case {
    use authdoctor_core::http::challenge::parse_challenges;
    use authdoctor_core::http::digest::{self, ClientNonce};
    let base = peer("AUTHDOCTOR_APACHE_DIGEST");
    let user = peer_var("AUTHDOCTOR_APACHE_DIGEST_USER");
    let password = peer_var("AUTHDOCTOR_APACHE_DIGEST_PASSWORD");
    let url = format!("{base}/digest-stale/");
    let (status, head) = raw_get(&url, &[]);
    assert_eq!(status, 401, "{head}");
    let value = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("www-authenticate").then(|| v.trim())
        })
        .expect("a WWW-Authenticate header");
    let challenge = parse_challenges(&[value]).remove(0);
    // Older than the nonce's 2-second lifetime: Apache answers stale=true.
    std::thread::sleep(std::time::Duration::from_secs(3));
    let header = digest::authorization(
        &challenge,
        &user,
        &password,
        "GET",
        "/digest-stale/",
        b"",
        &ClientNonce {
            cnonce: "authdoctor-fix-test",
            nc: 1,
        },
    )
    .expect("a Digest answer");
    Case {
        name: "digest stale nonce".into(),
        args: vec![
            "--digest".into(),
            "-u".into(),
            format!("{user}:{password}"),
            "-H".into(),
            format!("Authorization: {header}"),
            url,
        ],
        secrets: vec![Secret::new("digest password", &password)],
        action: "digest-retry-new-nonce",
    }
}

#[test]
fn a_stale_digest_nonce_is_answered_again() {
    let run = digest_stale_case().assert_verified();
    assert_eq!(run.json()["findings"][0]["id"], "digest-failure");
}

#[test]
fn squid_stripping_authorization_is_bypassed() {
    let run = proxy_case("AUTHDOCTOR_SQUID").assert_verified();
    assert_eq!(run.json()["fix"]["status_before"], 401);
    assert_eq!(
        run.json()["findings"][0]["id"],
        "proxy-stripped-credentials"
    );
}

#[test]
fn tinyproxy_stripping_authorization_is_bypassed() {
    proxy_case("AUTHDOCTOR_TINYPROXY").assert_verified();
}

#[test]
fn a_stored_401_in_nginx_cache_is_bypassed_as_the_probe_did() {
    let run = cache_case().assert_verified();
    assert_eq!(run.json()["findings"][0]["id"], "cached-401");
    // Cache-Control: no-cache alone is what the cache ignores: the unique parameter is there.
    let sent = run.json()["fix"]["applied"][0]["what"].to_string();
    assert!(sent.contains("authdoctor-probe"), "{}", run.describe());
}

#[test]
fn a_basic_credential_with_a_trailing_newline_is_reencoded() {
    let run =
        basic_case("basic with trailing newline", |u, p| format!("{u}:{p}\n")).assert_verified();
    assert_eq!(run.json()["findings"][0]["id"], "basic-encoding");
    assert_eq!(run.json()["fix"]["status_before"], 401);
}

#[test]
fn a_basic_credential_with_edge_whitespace_is_reencoded() {
    basic_case("basic with edge whitespace", |u, p| format!("{u}:{p} ")).assert_verified();
}

#[test]
fn a_proxy_that_does_not_strip_is_not_bypassed() {
    // Without a proven direct route the fix is not automatic: nothing is planned for it.
    let t = token();
    let run = check_json(&s(&[
        "--fix",
        "--no-probes",
        "-x",
        &peer("AUTHDOCTOR_SQUID"),
        "-H",
        &format!("Authorization: Bearer {t}"),
        &format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN")),
    ]));
    run.assert_no_secrets(&[Secret::new("bearer token", &t)]);
    let fix = &run.json()["fix"];
    assert_ne!(fix["verified"], true, "{}", run.describe());
    assert!(
        !fix.to_string().contains("bypass-proxy"),
        "{}",
        run.describe()
    );
}

/// The repair rate of `--fix` over the failing requests it can repair on the project's peers.
#[test]
fn fixable_requests_end_verified() {
    let cases = vec![
        proxy_case("AUTHDOCTOR_SQUID"),
        proxy_case("AUTHDOCTOR_TINYPROXY"),
        proxy_case("AUTHDOCTOR_MITMPROXY"),
        tls_interception_case(),
        cache_case(),
        cache_case(),
        basic_case("basic with trailing newline", |u, p| format!("{u}:{p}\n")),
        basic_case("basic with CRLF", |u, p| format!("{u}:{p}\r\n")),
        basic_case("basic with edge whitespace", |u, p| format!(" {u}:{p} ")),
        malformed_case(),
        digest_stale_case(),
    ];
    let mut verified = 0;
    let mut failed = Vec::new();
    for c in &cases {
        let run = c.run();
        if Case::verified(&run, c.action) {
            verified += 1;
        } else {
            failed.push(format!("{}: {}", c.name, run.json()["fix"]));
        }
    }
    println!("--fix repair rate: {verified} of {} verified", cases.len());
    assert!(
        verified * 10 >= cases.len() * 9,
        "{verified} of {} verified; not verified:\n{}",
        cases.len(),
        failed.join("\n")
    );
}
