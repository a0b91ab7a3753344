//! HTTP Digest (RFC 7616) against real servers: Debian's Apache with mod_auth_digest (MD5,
//! `tests/peers/apache/`) and httpbin's `/digest-auth/auth/u/p/{MD5,SHA-256,SHA-512}`, both
//! started by `scripts/peers start` (or `scripts/test`).
//!
//! `--digest -u user:pass` makes authdoctor do what curl does: send without credentials, read
//! the 401's challenge, answer it on a second hop. A right password must end in exit 0 on every
//! algorithm; a wrong one must be named "wrong password" (the response is verified against the
//! password given, so the diagnosis knows the protocol was followed); a replayed nonce older
//! than Apache's `AuthDigestNonceLifetime 2` must be named a stale nonce; Basic sent to the
//! Digest realm is a scheme mismatch. Every run is checked for the password in its output.
//!
//! Apache 2.4.67's challenge, as seen: `WWW-Authenticate: Digest realm="digest-realm",
//! nonce="MV5JFdxgBgA=eaa6…9910", algorithm=MD5, domain="/digest/", qop="auth"`.

mod support;

use authdoctor_core::http::challenge::parse_challenges;
use authdoctor_core::http::digest::{self, ClientNonce};
use support::*;

struct Apache {
    base: String,
    user: String,
    password: String,
}

fn apache() -> Apache {
    Apache {
        base: peer("AUTHDOCTOR_APACHE_DIGEST"),
        user: peer_var("AUTHDOCTOR_APACHE_DIGEST_USER"),
        password: peer_var("AUTHDOCTOR_APACHE_DIGEST_PASSWORD"),
    }
}

fn secrets(password: &str) -> Vec<Secret> {
    vec![Secret::new("digest password", password)]
}

/// Runs in both formats (the JSON one returned) and fails if the password shows up.
fn check_both(args: &[String], password: &str) -> Run {
    check_human(args).assert_no_secrets(&secrets(password));
    let run = check_json(args);
    run.assert_no_secrets(&secrets(password));
    run
}

#[test]
fn apache_right_password_succeeds_in_two_hops() {
    let a = apache();
    let run = check_both(
        &[
            "--digest".into(),
            "-u".into(),
            format!("{}:{}", a.user, a.password),
            format!("{}/digest/", a.base),
        ],
        &a.password,
    );
    run.assert_exit(0).assert_outcome("ok");
    let ex = run.exchanges();
    assert_eq!(ex.len(), 2, "{}", run.describe());
    assert_eq!(ex[0]["status"], 401);
    assert_eq!(ex[1]["status"], 200);
    let sent = ex[1]["request_headers"].to_string();
    assert!(sent.contains("Digest username=\\\"bob\\\""), "{sent}");
}

#[test]
fn anyauth_picks_digest_on_apache() {
    let a = apache();
    check_both(
        &[
            "--anyauth".into(),
            "-u".into(),
            format!("{}:{}", a.user, a.password),
            format!("{}/digest/", a.base),
        ],
        &a.password,
    )
    .assert_exit(0);
}

#[test]
fn apache_wrong_password_is_named() {
    let a = apache();
    let wrong = format!("{}-wrong", a.password);
    let run = check_both(
        &[
            "--digest".into(),
            "-u".into(),
            format!("{}:{wrong}", a.user),
            format!("{}/digest/", a.base),
        ],
        &wrong,
    );
    run.assert_exit(1).assert_top("digest-failure");
    let title = run.json()["findings"][0]["title"].to_string();
    assert!(title.contains("wrong password"), "{}", run.describe());
    assert!(
        !run.finding_ids()
            .contains(&"invalid-credentials".to_string()),
        "{}",
        run.describe()
    );
    run.assert_no_secrets(&secrets(&a.password));
}

#[test]
fn apache_stale_nonce_is_named() {
    let a = apache();
    let url = format!("{}/digest-stale/", a.base);
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
    // Older than AuthDigestNonceLifetime 2: Apache answers stale=true (AH01778).
    std::thread::sleep(std::time::Duration::from_secs(3));
    let header = digest::authorization(
        &challenge,
        &a.user,
        &a.password,
        "GET",
        "/digest-stale/",
        b"",
        &ClientNonce {
            cnonce: "authdoctor-test",
            nc: 1,
        },
    )
    .expect("a Digest answer");
    let run = check_both(
        &["-H".into(), format!("Authorization: {header}"), url],
        &a.password,
    );
    run.assert_exit(1).assert_top("digest-failure");
    let f = &run.json()["findings"][0];
    assert!(
        f["title"].to_string().contains("stale nonce"),
        "{}",
        run.describe()
    );
    assert_eq!(f["fixes"][0]["automatic"], true, "{}", run.describe());
    assert!(
        last_header(&run, "www-authenticate").is_some_and(|v| v.contains("stale=true")),
        "{}",
        run.describe()
    );
}

#[test]
fn basic_sent_to_the_digest_realm_is_a_scheme_mismatch() {
    let a = apache();
    check_both(
        &[
            "-u".into(),
            format!("{}:{}", a.user, a.password),
            format!("{}/digest/", a.base),
        ],
        &a.password,
    )
    .assert_exit(1)
    .assert_top("scheme-mismatch");
}

#[test]
fn httpbin_every_algorithm() {
    let base = peer("AUTHDOCTOR_HTTPBIN");
    for alg in ["MD5", "SHA-256", "SHA-512"] {
        let url = format!("{base}/digest-auth/auth/u/p/{alg}");
        // httpbin's password is fixed by the URL ("p"): too short to search the output for.
        let run = check_json(&["--digest", "-u", "u:p", &url]);
        run.assert_exit(0);
        let sent = run.exchanges()[1]["request_headers"].to_string();
        assert!(sent.contains(&format!("algorithm={alg}")), "{alg}: {sent}");
        let run = check_json(&["--digest", "-u", "u:wrong-pass-3e1", &url]);
        run.assert_no_secrets(&secrets("wrong-pass-3e1"));
        run.assert_exit(1).assert_top("digest-failure");
        assert!(
            run.json()["findings"][0]["title"]
                .to_string()
                .contains("wrong password"),
            "{alg}: {}",
            run.describe()
        );
    }
}
