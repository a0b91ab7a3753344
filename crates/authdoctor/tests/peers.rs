//! Diagnoses of real 401s from real third-party servers on 127.0.0.1 (httpbin under gunicorn,
//! Debian's nginx), started by `scripts/peers start` or `scripts/test`.
//!
//! Each scenario is one way a real server says 401; the test runs `authdoctor check` against
//! it and asserts the exit code and the most likely finding. The same scenario list feeds the
//! leak test, which runs every scenario in the human and the JSON format and fails if any full
//! secret (token, password, Basic credential) appears in stdout or stderr.
//!
//! The responses quoted in comments were recorded with curl 7.88 against httpbin 0.10.4 /
//! gunicorn 27.0.1 and nginx 1.22.1 as configured by `tests/peers/` (dates trimmed).
//! A missing peer fails with "peer X not running: run scripts/peers start (or scripts/test)":
//! these tests never skip.

mod support;

use support::*;

/// One real-server scenario: what to run, and which secrets it carries.
struct Scenario {
    name: &'static str,
    /// Arguments after `check [--format json]`.
    args: Vec<String>,
    secrets: Vec<Secret>,
    /// A URL fetched without credentials before each run (primes nginx's cache).
    prime: Option<String>,
}

impl Scenario {
    fn new(name: &'static str, args: Vec<String>, secrets: Vec<Secret>) -> Self {
        Scenario {
            name,
            args,
            secrets,
            prime: None,
        }
    }

    fn prime(&self) {
        if let Some(url) = &self.prime {
            let (status, head) = raw_get(url, &[]);
            assert_eq!(status, 401, "priming {url} should give 401:\n{head}");
        }
    }

    /// Runs with `--format json` and fails if a secret of the scenario shows up.
    fn run_json(&self) -> Run {
        let run = self.run_json_unchecked();
        run.assert_no_secrets(&self.secrets);
        run
    }

    fn run_json_unchecked(&self) -> Run {
        self.prime();
        check_json(&self.args)
    }

    fn run_human(&self) -> Run {
        self.prime();
        check_human(&self.args)
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn bearer_header(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/// httpbin `/bearer`, no credentials. Seen:
/// `HTTP/1.1 401 UNAUTHORIZED`, `Server: gunicorn`, `Content-Length: 0`, `WWW-Authenticate: Bearer`.
fn missing_credentials() -> Scenario {
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    Scenario::new("missing-credentials (httpbin /bearer)", vec![url], vec![])
}

/// httpbin `/bearer` matches the scheme case-sensitively: `bearer x` gets the same
/// `401 UNAUTHORIZED` + `WWW-Authenticate: Bearer` as no header at all.
fn lowercase_bearer() -> Scenario {
    let token = opaque_token();
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    Scenario::new(
        "lowercase bearer scheme (httpbin /bearer)",
        vec![s("-H"), format!("Authorization: bearer {token}"), url],
        vec![Secret::new("opaque token", token)],
    )
}

fn basic_secrets(user_pass: &str, password: &str) -> Vec<Secret> {
    vec![
        Secret::new("password", password),
        Secret::new("basic credential (base64)", basic_b64(user_pass)),
    ]
}

/// nginx auth_basic, wrong password. Seen: `HTTP/1.1 401 Unauthorized`, `Server: nginx/1.22.1`,
/// `WWW-Authenticate: Basic realm="nginx-basic"`, HTML `<title>401 Authorization Required</title>`;
/// nginx's error log says `user "alice": password mismatch`.
fn basic_wrong_password() -> Scenario {
    let user = peer_var("AUTHDOCTOR_NGINX_BASIC_USER");
    let wrong = format!("Wrong-{}", canary("pw"));
    let url = format!("{}/protected", peer("AUTHDOCTOR_NGINX_BASIC"));
    let user_pass = format!("{user}:{wrong}");
    Scenario::new(
        "basic wrong password (nginx auth_basic)",
        vec![s("-u"), user_pass.clone(), url],
        basic_secrets(&user_pass, &wrong),
    )
}

/// nginx auth_basic, the right password with a newline encoded into the credential
/// (`printf 'alice:…\n' | base64`): the same 401 as a wrong password ("password mismatch").
fn basic_trailing_newline() -> Scenario {
    let user = peer_var("AUTHDOCTOR_NGINX_BASIC_USER");
    let password = peer_var("AUTHDOCTOR_NGINX_BASIC_PASSWORD");
    let url = format!("{}/protected", peer("AUTHDOCTOR_NGINX_BASIC"));
    let with_newline = basic_b64(&format!("{user}:{password}\n"));
    let mut secrets = basic_secrets(&format!("{user}:{password}"), &password);
    secrets.push(Secret::new(
        "basic credential with newline",
        with_newline.clone(),
    ));
    Scenario::new(
        "basic with encoded newline (nginx auth_basic)",
        vec![s("-H"), format!("Authorization: Basic {with_newline}"), url],
        secrets,
    )
}

/// nginx auth_basic, right credentials: 200 from httpbin `/anything/protected`.
fn basic_success() -> Scenario {
    let user = peer_var("AUTHDOCTOR_NGINX_BASIC_USER");
    let password = peer_var("AUTHDOCTOR_NGINX_BASIC_PASSWORD");
    let url = format!("{}/protected", peer("AUTHDOCTOR_NGINX_BASIC"));
    let user_pass = format!("{user}:{password}");
    Scenario::new(
        "basic success (nginx auth_basic)",
        vec![s("-u"), user_pass.clone(), url],
        basic_secrets(&user_pass, &password),
    )
}

/// httpbin `/redirect-to` sends a 307 from 127.0.0.1 to `localhost`; a curl-like client drops
/// Authorization on the host change. Seen with `curl -L -H 'Authorization: Bearer …'`:
/// `HTTP/1.1 307 TEMPORARY REDIRECT`, `Location: http://localhost:14200/bearer`, then
/// `HTTP/1.1 401 UNAUTHORIZED`, `WWW-Authenticate: Bearer` (200 with `--location-trusted`).
fn redirect_drops_credentials() -> Scenario {
    let base = peer("AUTHDOCTOR_HTTPBIN");
    let port = port_of(&base);
    let token = opaque_token();
    let url =
        format!("{base}/redirect-to?url=http%3A%2F%2Flocalhost%3A{port}%2Fbearer&status_code=307");
    Scenario::new(
        "redirect to another host (httpbin /redirect-to)",
        vec![s("-L"), s("-H"), bearer_header(&token), url],
        vec![Secret::new("opaque token", token)],
    )
}

/// nginx proxy_cache keyed without Authorization, caching 401s. Seen: the unauthenticated
/// request gets `401 UNAUTHORIZED`, `WWW-Authenticate: Bearer`, `X-Cache-Status: MISS`; the same
/// URL with `Authorization: Bearer <valid>` then gets the cached 401 with `X-Cache-Status: HIT`
/// (httpbin itself answers 200 for it). A fresh query string per scenario keeps runs apart.
fn cached_401() -> Scenario {
    let url = format!(
        "{}/bearer?authdoctor-run={}",
        peer("AUTHDOCTOR_NGINX_CACHE"),
        random_hex(8)
    );
    let token = opaque_token();
    let mut sc = Scenario::new(
        "cached 401 (nginx proxy_cache)",
        vec![s("-H"), bearer_header(&token), url.clone()],
        vec![Secret::new("opaque token", token)],
    );
    sc.prime = Some(url);
    sc
}

/// nginx auth_request → httpbin `/bearer`, no token. Seen: `HTTP/1.1 401 Unauthorized`,
/// `Server: nginx/1.22.1`, `WWW-Authenticate: Bearer` (copied from the subrequest by nginx),
/// HTML `<title>401 Authorization Required</title>`.
fn auth_request_missing() -> Scenario {
    let url = format!("{}/orders", peer("AUTHDOCTOR_NGINX_AUTH_REQUEST"));
    Scenario::new("auth_request without token (nginx)", vec![url], vec![])
}

/// nginx auth_request with a token: 200 from httpbin `/anything/orders`.
fn auth_request_success() -> Scenario {
    let token = opaque_token();
    let url = format!("{}/orders", peer("AUTHDOCTOR_NGINX_AUTH_REQUEST"));
    Scenario::new(
        "auth_request with token (nginx)",
        vec![s("-H"), bearer_header(&token), url],
        vec![Secret::new("opaque token", token)],
    )
}

/// The always-401 "JWT API" stand-in. Seen for any request: `HTTP/1.1 401 Unauthorized`,
/// `Server: nginx/1.22.1`, `Content-Type: application/json`,
/// `WWW-Authenticate: Bearer realm="api", error="invalid_token"`, body `{"error":"invalid_token"}`.
fn jwt_api(name: &'static str, jwt: &TestJwt, flag: &str) -> Scenario {
    let url = format!("{}/v1/resource", peer("AUTHDOCTOR_NGINX_JWT_API"));
    let args = match flag {
        "--oauth2-bearer" => vec![s("--oauth2-bearer"), jwt.token.clone(), url],
        _ => vec![s("-H"), bearer_header(&jwt.token), url],
    };
    Scenario::new(name, args, jwt.secrets("jwt"))
}

fn token_expired() -> Scenario {
    jwt_api("expired token (JWT API)", &expired_access_token(), "-H")
}

fn token_not_yet_valid() -> Scenario {
    jwt_api(
        "nbf in the future (JWT API)",
        &not_yet_valid_access_token(),
        "--oauth2-bearer",
    )
}

fn token_cut_signature() -> Scenario {
    jwt_api(
        "truncated token, cut signature (JWT API)",
        &truncated_access_token(Truncation::CutSignature),
        "-H",
    )
}

fn token_two_segments() -> Scenario {
    jwt_api(
        "truncated token, two segments (JWT API)",
        &truncated_access_token(Truncation::TwoSegments),
        "-H",
    )
}

fn token_is_id_token() -> Scenario {
    jwt_api("ID token as access token (JWT API)", &id_token(), "-H")
}

/// nginx `proxy_set_header Authorization ""` in front of httpbin. Seen with a token:
/// `HTTP/1.1 401 UNAUTHORIZED`, `Server: nginx/1.22.1`, `WWW-Authenticate: Bearer` — nothing
/// says a proxy was involved (no `Via`); `/headers` through it shows no Authorization arrived.
fn proxy_strips() -> Scenario {
    let token = valid_access_token();
    let url = format!("{}/bearer", peer("AUTHDOCTOR_NGINX_STRIP"));
    Scenario::new(
        "proxy strips Authorization (nginx)",
        vec![s("-H"), bearer_header(&token.token), url],
        token.secrets("access"),
    )
}

/// httpbin `/bearer` with a token. Seen: `HTTP/1.1 200 OK`,
/// `{"authenticated": true, "token": "…"}` (httpbin echoes the token; the tool must not).
fn bearer_success() -> Scenario {
    let token = opaque_token();
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    Scenario::new(
        "bearer success (httpbin /bearer)",
        vec![s("--oauth2-bearer"), token.clone(), url],
        vec![Secret::new("opaque token", token)],
    )
}

/// Nothing listens on 127.0.0.1:1 (connection refused).
fn unreachable() -> Scenario {
    let token = opaque_token();
    Scenario::new(
        "unreachable (127.0.0.1:1)",
        vec![s("-H"), bearer_header(&token), s("http://127.0.0.1:1/")],
        vec![Secret::new("opaque token", token)],
    )
}

/// A curl line whose last `-H` has no value; the error message must not echo the token.
fn malformed_curl_with_token() -> Scenario {
    let token = opaque_token();
    Scenario::new(
        "malformed --curl line carrying a token",
        vec![
            s("--curl"),
            format!("curl -H 'Authorization: Bearer {token}' http://127.0.0.1:1/ -H"),
        ],
        vec![Secret::new("opaque token", token)],
    )
}

/// Every scenario, for the leak test.
fn all_scenarios() -> Vec<Scenario> {
    vec![
        missing_credentials(),
        lowercase_bearer(),
        basic_wrong_password(),
        basic_trailing_newline(),
        basic_success(),
        redirect_drops_credentials(),
        cached_401(),
        auth_request_missing(),
        auth_request_success(),
        token_expired(),
        token_not_yet_valid(),
        token_cut_signature(),
        token_two_segments(),
        token_is_id_token(),
        proxy_strips(),
        bearer_success(),
        unreachable(),
        malformed_curl_with_token(),
    ]
}

// ---------------------------------------------------------------------------------------------
// The peers themselves (independent of the binary): guards against a broken test setup.

#[test]
fn peers_answer_as_recorded() {
    let httpbin = peer("AUTHDOCTOR_HTTPBIN");
    let (st, head) = raw_get(&format!("{httpbin}/bearer"), &[]);
    assert_eq!(st, 401, "{head}");
    assert!(head.contains("WWW-Authenticate: Bearer"), "{head}");
    let (st, head) = raw_get(
        &format!("{httpbin}/bearer"),
        &[("Authorization", "Bearer peer-check")],
    );
    assert_eq!(st, 200, "{head}");

    let basic = peer("AUTHDOCTOR_NGINX_BASIC");
    let user = peer_var("AUTHDOCTOR_NGINX_BASIC_USER");
    let password = peer_var("AUTHDOCTOR_NGINX_BASIC_PASSWORD");
    let (st, head) = raw_get(&format!("{basic}/x"), &[]);
    assert_eq!(st, 401, "{head}");
    assert!(
        head.contains("WWW-Authenticate: Basic realm=\"nginx-basic\""),
        "{head}"
    );
    let good = format!("Basic {}", basic_b64(&format!("{user}:{password}")));
    let (st, head) = raw_get(&format!("{basic}/x"), &[("Authorization", &good)]);
    assert_eq!(
        st, 200,
        "auth_basic must accept the right password:\n{head}"
    );
    let newline = format!("Basic {}", basic_b64(&format!("{user}:{password}\n")));
    let (st, head) = raw_get(&format!("{basic}/x"), &[("Authorization", &newline)]);
    assert_eq!(st, 401, "{head}");

    let auth_req = peer("AUTHDOCTOR_NGINX_AUTH_REQUEST");
    let (st, head) = raw_get(&format!("{auth_req}/x"), &[]);
    assert_eq!(st, 401, "{head}");
    assert!(head.contains("WWW-Authenticate: Bearer"), "{head}");
    let (st, head) = raw_get(
        &format!("{auth_req}/x"),
        &[("Authorization", "Bearer peer-check")],
    );
    assert_eq!(st, 200, "{head}");

    let strip = peer("AUTHDOCTOR_NGINX_STRIP");
    let (st, head) = raw_get(
        &format!("{strip}/bearer"),
        &[("Authorization", "Bearer peer-check")],
    );
    assert_eq!(
        st, 401,
        "the strip proxy must remove Authorization:\n{head}"
    );

    let cache = peer("AUTHDOCTOR_NGINX_CACHE");
    let url = format!("{cache}/bearer?peer-check={}", random_hex(8));
    let (st, head) = raw_get(&url, &[]);
    assert_eq!(st, 401, "{head}");
    assert!(head.contains("X-Cache-Status: MISS"), "{head}");
    let (st, head) = raw_get(&url, &[("Authorization", "Bearer peer-check")]);
    assert_eq!(st, 401, "a valid token must get the cached 401:\n{head}");
    assert!(head.contains("X-Cache-Status: HIT"), "{head}");

    let jwt_api = peer("AUTHDOCTOR_NGINX_JWT_API");
    let (st, head) = raw_get(
        &format!("{jwt_api}/v1/resource"),
        &[("Authorization", "Bearer peer-check")],
    );
    assert_eq!(st, 401, "{head}");
    assert!(
        head.contains(r#"WWW-Authenticate: Bearer realm="api", error="invalid_token""#),
        "{head}"
    );
}

// ---------------------------------------------------------------------------------------------
// Diagnoses

#[test]
fn no_credentials_is_missing_credentials() {
    let run = missing_credentials().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("missing-credentials");
}

#[test]
fn lowercase_bearer_scheme_is_malformed_header() {
    let run = lowercase_bearer().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("malformed-authorization-header");
}

#[test]
fn basic_wrong_password_is_invalid_credentials() {
    let run = basic_wrong_password().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("invalid-credentials");
    let challenge = last_header(&run, "www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Basic"),
        "the 401's Basic challenge should be in the exchange\n{}",
        run.describe()
    );
}

#[test]
fn basic_with_encoded_trailing_newline_is_basic_encoding() {
    let run = basic_trailing_newline().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("basic-encoding");
}

#[test]
fn basic_right_password_succeeds() {
    let run = basic_success().run_json();
    run.assert_exit(0).assert_outcome("ok");
}

#[test]
fn cross_host_redirect_drops_credentials() {
    let run = redirect_drops_credentials().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("redirect-dropped-credentials");
    let ex = run.exchanges();
    assert_eq!(ex.len(), 2, "expected 2 hops\n{}", run.describe());
    assert_eq!(ex[0]["status"], 307, "{}", run.describe());
    assert_eq!(ex[1]["status"], 401, "{}", run.describe());
    assert!(
        ex[1]["url"]
            .as_str()
            .unwrap_or_default()
            .contains("localhost"),
        "second hop goes to localhost\n{}",
        run.describe()
    );
}

#[test]
fn cached_401_served_to_a_valid_token() {
    let run = cached_401().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("cached-401");
    let evidence = run.top_evidence_text().to_ascii_lowercase();
    assert!(
        evidence.contains("x-cache-status") && evidence.contains("hit"),
        "evidence should cite X-Cache-Status: HIT\n{}",
        run.describe()
    );
}

#[test]
fn auth_request_without_token_is_missing_credentials() {
    let run = auth_request_missing().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("missing-credentials");
    let challenge = last_header(&run, "www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "nginx passes the subrequest's Bearer challenge through\n{}",
        run.describe()
    );
}

#[test]
fn auth_request_with_token_succeeds() {
    let run = auth_request_success().run_json();
    run.assert_exit(0).assert_outcome("ok");
}

#[test]
fn expired_jwt_is_token_expired() {
    let run = token_expired().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("token-expired");
}

#[test]
fn future_nbf_is_token_not_yet_valid() {
    let run = token_not_yet_valid().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("token-not-yet-valid");
}

#[test]
fn jwt_with_cut_signature_is_token_truncated() {
    let run = token_cut_signature().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("token-truncated");
}

#[test]
fn jwt_with_two_segments_is_token_truncated() {
    let run = token_two_segments().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("token-truncated");
}

#[test]
fn id_token_sent_as_access_token_is_wrong_token_type() {
    let run = token_is_id_token().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("wrong-token-type");
}

#[test]
fn proxy_that_strips_authorization_is_diagnosed() {
    // The 401 carries no sign of the proxy (nginx adds no `Via`), but its bare `Bearer`
    // challenge says, by RFC 6750 §3.1, that no token arrived although one was sent: the
    // stripping cause ranks first, with medium likelihood until a differential probe confirms.
    let run = proxy_strips().run_json();
    run.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("proxy-stripped-credentials");
}

#[test]
fn bearer_token_accepted_is_ok() {
    let run = bearer_success().run_json();
    run.assert_exit(0).assert_outcome("ok");
}

#[test]
fn unreachable_host_exits_3() {
    let run = check_json(&["http://127.0.0.1:1/"]);
    run.assert_exit(3);
    unreachable().run_json().assert_exit(3);
}

#[test]
fn malformed_curl_line_exits_2() {
    let run = check_json(&["--curl", "curl -H"]);
    run.assert_exit(2);
    malformed_curl_with_token().run_json().assert_exit(2);
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// Runs every scenario in both formats; no full secret may appear on stdout or stderr. The
/// exit code must not depend on the format, and each format must print something.
#[test]
fn no_secret_appears_in_any_output() {
    let mut problems = Vec::new();
    for sc in all_scenarios() {
        let json = sc.run_json_unchecked();
        let human = sc.run_human();
        for (format, run) in [("json", &json), ("human", &human)] {
            if let Some((label, stream, context)) = run.find_secret(&sc.secrets) {
                problems.push(format!(
                    "[{}] {format}: secret {label:?} leaked on {stream}: …{context}…",
                    sc.name
                ));
            }
            if run.stdout.trim().is_empty() && run.stderr.trim().is_empty() {
                problems.push(format!("[{}] {format}: printed nothing", sc.name));
            }
        }
        if json.code != human.code {
            problems.push(format!(
                "[{}] exit code differs by format: json {:?}, human {:?}",
                sc.name, json.code, human.code
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
