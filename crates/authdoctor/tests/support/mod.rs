//! Helpers for integration tests that run the real `authdoctor` binary against real
//! third-party servers ("peers": httpbin, nginx, …) listening on 127.0.0.1.
//!
//! The peers are started by `scripts/peers start` (or by `scripts/test`, which does it for the
//! whole suite). Their base URLs come from the process environment (`AUTHDOCTOR_HTTPBIN`, …) or,
//! failing that, from the env file `$AUTHDOCTOR_PEERS_HOME/run/peers.env` (default
//! `~/.cache/authdoctor-peers/run/peers.env`). A peer that is not configured, or configured but
//! not answering, fails the test with a message saying how to start it: these tests never skip.
//!
//! Tokens minted here are unsigned-but-well-formed JWTs (random signature bytes) and every secret
//! carries a distinctive random marker (`secret-canary-…`) so leak tests can search for it.
#![allow(dead_code)] // each test crate that includes this module uses a different subset

pub mod recorder;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Peers

/// The env file written by `scripts/peers start`.
pub fn peers_env_file() -> PathBuf {
    let home = std::env::var_os("AUTHDOCTOR_PEERS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache").join("authdoctor-peers")
        });
    home.join("run").join("peers.env")
}

/// `KEY=VALUE` lines of the env file (empty when it does not exist).
fn env_file_vars() -> &'static BTreeMap<String, String> {
    static VARS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    VARS.get_or_init(|| {
        let Ok(text) = std::fs::read_to_string(peers_env_file()) else {
            return BTreeMap::new();
        };
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
            .collect()
    })
}

fn not_running(var: &str, why: &str) -> ! {
    panic!(
        "peer {var} not running: run scripts/peers start (or scripts/test)\n  ({why}; env file: {})",
        peers_env_file().display()
    )
}

/// A peer setting (`AUTHDOCTOR_…`) from the process environment, else from the env file.
/// Panics with a clear message when neither has it.
pub fn peer_var(var: &str) -> String {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return v;
    }
    match env_file_vars().get(var) {
        Some(v) if !v.is_empty() => v.clone(),
        _ => not_running(
            var,
            "variable not set in the environment nor in the env file",
        ),
    }
}

/// The base URL of a peer (no trailing slash), checked to accept TCP connections.
pub fn peer(var: &str) -> String {
    let url = peer_var(var).trim_end_matches('/').to_owned();
    let (host, port) = host_port(&url).unwrap_or_else(|| not_running(var, "unparsable URL"));
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .unwrap_or_else(|| not_running(var, &format!("cannot resolve {host}")));
    if let Err(e) = TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
        not_running(var, &format!("{url} refused the connection: {e}"));
    }
    url
}

/// The port of a base URL such as `http://127.0.0.1:14200`.
pub fn port_of(url: &str) -> u16 {
    host_port(url).map(|(_, p)| p).expect("URL with a port")
}

fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.to_owned(), port.parse().ok()?))
}

/// A minimal HTTP/1.0 GET, independent of the binary under test (used to prime caches and to
/// check what a peer really answers). Returns the status code and the raw response head.
pub fn raw_get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let (host, port) = host_port(url).expect("URL with host:port");
    let path_start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let path = url[path_start..]
        .find('/')
        .map(|i| &url[path_start + i..])
        .unwrap_or("/");
    let mut stream = TcpStream::connect((host.as_str(), port)).expect("connect to peer");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send request");
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).expect("read response");
    let resp = String::from_utf8_lossy(&resp).into_owned();
    let head = resp.split("\r\n\r\n").next().unwrap_or_default().to_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// One run of `authdoctor`: exit code and captured output.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// A description for assertion messages (args are shown as given; secrets in them are
    /// test data, and the point of the message is to reproduce the run).
    pub fn describe(&self) -> String {
        format!(
            "authdoctor {:?}\nexit: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// stdout parsed as the one JSON object of `--format json`.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e})\n{}", self.describe()))
    }

    /// `findings[0].id` of the JSON report.
    pub fn top_finding(&self) -> Option<String> {
        self.json()["findings"][0]["id"].as_str().map(str::to_owned)
    }

    /// Every finding id, most likely first.
    pub fn finding_ids(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn assert_exit(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n{}",
            self.describe()
        );
        self
    }

    pub fn assert_outcome(&self, outcome: &str) -> &Self {
        let json = self.json();
        assert_eq!(
            json["outcome"].as_str(),
            Some(outcome),
            "expected outcome {outcome:?}\n{}",
            self.describe()
        );
        assert_eq!(
            json["version"],
            json!(1),
            "report version\n{}",
            self.describe()
        );
        self
    }

    pub fn assert_top(&self, id: &str) -> &Self {
        assert_eq!(
            self.top_finding().as_deref(),
            Some(id),
            "expected findings[0].id == {id:?} (all: {:?})\n{}",
            self.finding_ids(),
            self.describe()
        );
        self
    }

    /// The top finding's evidence, serialised, for "mentions X" assertions that do not depend
    /// on the exact shape of evidence items.
    pub fn top_evidence_text(&self) -> String {
        self.json()["findings"][0]["evidence"].to_string()
    }

    /// `exchanges` of the JSON report.
    pub fn exchanges(&self) -> Vec<Value> {
        self.json()["exchanges"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The first secret found in stdout or stderr, as `(label, stream, context)` where the
    /// context shows the surroundings with the secret itself replaced by `<SECRET>`.
    pub fn find_secret(&self, secrets: &[Secret]) -> Option<(String, &'static str, String)> {
        for s in secrets {
            for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                if let Some(at) = text.find(&s.value) {
                    let start = text[..at]
                        .char_indices()
                        .rev()
                        .nth(60)
                        .map_or(0, |(i, _)| i);
                    let end = (at + s.value.len() + 60).min(text.len());
                    let end = (end..=text.len())
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(text.len());
                    let context = text[start..end].replace(&s.value, "<SECRET>");
                    return Some((s.label.clone(), stream, context));
                }
            }
        }
        None
    }

    /// Panics if any of `secrets` occurs in stdout or stderr.
    pub fn assert_no_secrets(&self, secrets: &[Secret]) -> &Self {
        if let Some((label, stream, context)) = self.find_secret(secrets) {
            panic!("secret {label:?} leaked on {stream}: …{context}…");
        }
        self
    }
}

/// The header value of the last exchange, case-insensitively, if any.
pub fn last_header(run: &Run, name: &str) -> Option<String> {
    let ex = run.exchanges();
    let last = ex.last()?;
    last["headers"].as_array()?.iter().find_map(|h| {
        let n = h["name"].as_str()?;
        n.eq_ignore_ascii_case(name)
            .then(|| h["value"].as_str().unwrap_or_default().to_owned())
    })
}

/// Runs the built `authdoctor` with `args`, a clean proxy environment and a time limit.
pub fn authdoctor<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    authdoctor_env(args, &[])
}

/// [`authdoctor`] with extra environment variables (set after the proxy variables are cleared,
/// and with `AUTHDOCTOR_PROFILE` cleared unless given).
pub fn authdoctor_env<I, S>(args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let args: Vec<String> = args.into_iter().map(|s| s.as_ref().to_owned()).collect();
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
    cmd.args(&args)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .timeout(Duration::from_secs(60));
    // Loopback peers are reached directly; a proxy from the developer's shell would change
    // what the tests observe.
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env_remove("AUTHDOCTOR_PROFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run authdoctor");
    Run {
        args,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `authdoctor check --format json ARGS…`. Every scenario of the suite goes through here, so
/// here is where the ranking's promise is checked: no first finding has decisive evidence
/// against it.
pub fn check_json<S: AsRef<str>>(args: &[S]) -> Run {
    let mut all = vec!["check".to_owned(), "--format".to_owned(), "json".to_owned()];
    all.extend(args.iter().map(|s| s.as_ref().to_owned()));
    let run = authdoctor(all);
    assert_first_not_contradicted(&run);
    run
}

/// For each JSON report in stdout (one object, or JSON Lines): the first finding has no
/// decisive evidence against it.
pub fn assert_first_not_contradicted(run: &Run) {
    let docs: Vec<Value> = match serde_json::from_str::<Value>(run.stdout.trim()) {
        Ok(v) => vec![v],
        Err(_) => run
            .stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    };
    for d in docs {
        if let Some(first) = d["findings"].get(0) {
            let decisive = first["against"]
                .as_array()
                .is_some_and(|a| a.iter().any(|e| e["weight"] == "decisive"));
            assert!(
                !decisive,
                "the first finding {} has decisive evidence against it\n{}",
                first["id"],
                run.describe()
            );
        }
    }
}

/// `authdoctor check ARGS…` in the default (human) format.
pub fn check_human<S: AsRef<str>>(args: &[S]) -> Run {
    let mut all = vec!["check".to_owned()];
    all.extend(args.iter().map(|s| s.as_ref().to_owned()));
    authdoctor(all)
}

// ---------------------------------------------------------------------------------------------
// Secrets and test tokens

/// A secret string that must never appear in the tool's output, with a label for messages.
#[derive(Debug, Clone)]
pub struct Secret {
    pub label: String,
    pub value: String,
}

impl Secret {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Self {
        Secret {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// Random hex (no `rand` dependency: std's randomly keyed hasher, the clock and a counter).
pub fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::with_capacity(bytes * 2);
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos(),
        );
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u32(std::process::id());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

fn random_bytes(n: usize) -> Vec<u8> {
    let hex = random_hex(n);
    (0..n)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// A distinctive secret value: `secret-canary-<label>-<random>`.
pub fn canary(label: &str) -> String {
    format!("secret-canary-{label}-{}", random_hex(12))
}

/// Seconds since the Unix epoch, by this machine's clock.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `base64(user:password)`, as in a Basic credential.
pub fn basic_b64(user_pass: &str) -> String {
    STANDARD.encode(user_pass)
}

pub const ISSUER: &str = "https://issuer.example.test/";
pub const API_AUDIENCE: &str = "https://api.example.test/";
pub const CLIENT_ID: &str = "authdoctor-test-client";

/// A minted JWT and the pieces tests assert on.
#[derive(Debug, Clone)]
pub struct TestJwt {
    pub token: String,
    pub header: Value,
    pub claims: Value,
    /// The signature segment (base64url); must never be shown.
    pub signature: String,
}

impl TestJwt {
    /// Secrets a leak test must not find: the whole token and its signature segment.
    pub fn secrets(&self, label: &str) -> Vec<Secret> {
        let mut s = vec![Secret::new(format!("{label} token"), self.token.clone())];
        if self.signature.len() >= 16 {
            s.push(Secret::new(
                format!("{label} signature"),
                self.signature.clone(),
            ));
        }
        s
    }
}

/// `b64url(header).b64url(claims).b64url(random 256 bytes)`: shaped like an RS256 JWT,
/// but not signed by anyone.
pub fn mint_jwt(header: Value, claims: Value) -> TestJwt {
    let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    let signature = URL_SAFE_NO_PAD.encode(random_bytes(256));
    TestJwt {
        token: format!("{h}.{c}.{signature}"),
        header,
        claims,
        signature,
    }
}

fn at_header() -> Value {
    json!({"alg": "RS256", "typ": "at+jwt", "kid": "authdoctor-test-rs256"})
}

fn access_claims(iat: i64, exp: i64) -> Value {
    json!({
        "iss": ISSUER,
        "sub": "svc",
        "aud": API_AUDIENCE,
        "client_id": CLIENT_ID,
        "scope": "read write",
        "iat": iat,
        "exp": exp,
        "jti": canary("jti"),
    })
}

/// An access token valid for the next hour.
pub fn valid_access_token() -> TestJwt {
    let t = now();
    mint_jwt(at_header(), access_claims(t - 60, t + 3600))
}

/// An access token that expired an hour ago (issued two hours ago).
pub fn expired_access_token() -> TestJwt {
    let t = now();
    mint_jwt(at_header(), access_claims(t - 7200, t - 3600))
}

/// An access token whose `nbf` is an hour in the future.
pub fn not_yet_valid_access_token() -> TestJwt {
    let t = now();
    let mut claims = access_claims(t, t + 7200);
    claims["nbf"] = json!(t + 3600);
    mint_jwt(at_header(), claims)
}

/// Ways a token gets cut when copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// Three segments, but the last 42 characters of the signature are gone: 300 characters
    /// (225 bytes) remain of 342 (256 bytes), a length no RSA key produces. The cut is fixed,
    /// not random: cutting to exactly half (128 bytes) would look like a 1024-bit RSA key, and a
    /// cut to a length of 4n+2 or 4n+3 characters may or may not decode depending on the random
    /// bits of the last character, which made the diagnosis flaky.
    CutSignature,
    /// The signature segment is gone: `header.payload`.
    TwoSegments,
}

/// A valid access token truncated as described. `signature` holds the full, original signature
/// segment (a leak test may still look for it).
pub fn truncated_access_token(how: Truncation) -> TestJwt {
    let full = valid_access_token();
    let (hp, sig) = full.token.rsplit_once('.').unwrap();
    let token = match how {
        Truncation::CutSignature => format!("{hp}.{}", &sig[..sig.len() - 42]),
        Truncation::TwoSegments => hp.to_owned(),
    };
    TestJwt { token, ..full }
}

/// An OpenID Connect ID token (sent where an access token belongs): `typ: JWT`, `aud` is the
/// client id, and it carries `nonce`, `at_hash` and `auth_time`.
pub fn id_token() -> TestJwt {
    let t = now();
    mint_jwt(
        json!({"alg": "RS256", "typ": "JWT", "kid": "authdoctor-test-rs256"}),
        json!({
            "iss": ISSUER,
            "sub": "alice",
            "aud": CLIENT_ID,
            "azp": CLIENT_ID,
            "iat": t - 60,
            "exp": t + 3600,
            "auth_time": t - 120,
            "nonce": format!("n-{}", random_hex(8)),
            "at_hash": URL_SAFE_NO_PAD.encode(random_bytes(16)),
            "email": "alice@example.test",
            "jti": canary("idjti"),
        }),
    )
}

/// An opaque bearer token (not a JWT).
pub fn opaque_token() -> String {
    canary("opaque")
}

/// Every evidence text of the finding `id` (empty when there is no such finding), one per line.
pub fn evidence_texts(run: &Run, id: &str) -> String {
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

/// [`check_json`] with a private, empty `XDG_CACHE_HOME` and `XDG_CONFIG_HOME` (no discovery
/// document or JWKS cached by an earlier run), removed afterwards.
pub fn check_json_fresh<S: AsRef<str>>(args: &[S]) -> Run {
    let dir = std::env::temp_dir().join(format!("authdoctor-fresh-{}", random_hex(8)));
    std::fs::create_dir_all(dir.join("cache")).expect("temp dir");
    std::fs::create_dir_all(dir.join("config")).expect("temp dir");
    let mut all = vec!["check".to_owned(), "--format".to_owned(), "json".to_owned()];
    all.extend(args.iter().map(|s| s.as_ref().to_owned()));
    let cache = dir.join("cache").display().to_string();
    let config = dir.join("config").display().to_string();
    let run = authdoctor_env(
        all,
        &[
            ("XDG_CACHE_HOME", cache.as_str()),
            ("XDG_CONFIG_HOME", config.as_str()),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_first_not_contradicted(&run);
    run
}

/// Serve the router `make` builds (it may await, e.g. a guard's discovery) on 127.0.0.1 in a
/// thread of its own, for the rest of the test process; its base URL, `http://127.0.0.1:PORT`.
pub fn serve_in_thread<F, Fut>(make: F) -> String
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = axum::Router>,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the test server");
        rt.block_on(async move {
            let app = make().await;
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            tx.send(l.local_addr().expect("its address"))
                .expect("the test waits");
            axum::serve(l, app).await.expect("the test server runs");
        });
    });
    format!("http://{}", rx.recv().expect("the server started"))
}

/// A resource server guarded by authdoctor-guard for tokens of `issuer` with `audience`
/// (leeway 0): `/v1/read` needs scope `read`, `/v1/write` needs `write`, any method.
pub fn read_write_api(issuer: &str, realm: &'static str, audience: &'static str) -> String {
    use authdoctor_guard::{GuardLayer, Validator};
    use axum::routing::any;
    let issuer = issuer.to_string();
    serve_in_thread(move || async move {
        let v = Validator::builder()
            .realm(realm)
            .discover(issuer)
            .audience(audience)
            .leeway(0)
            .build()
            .expect("the guard discovers the issuer");
        axum::Router::new()
            .route(
                "/v1/read",
                any(|| async { "read ok\n" })
                    .layer(GuardLayer::new(v.clone()).require_scopes(["read"])),
            )
            .route(
                "/v1/write",
                any(|| async { "write ok\n" })
                    .layer(GuardLayer::new(v.clone()).require_scopes(["write"])),
            )
    })
}
