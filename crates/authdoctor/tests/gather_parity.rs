//! A Rust program and the command line judge the same request the same way: `AuthClient`'s
//! rejection and `authdoctor check --format json` both go through `authdoctor_net::gather`, so
//! for the same refused request they rank the same causes, in the same order. Checked against
//! the real oidc-provider peer (`AUTHDOCTOR_OIDC`) and an in-test resource server validating its
//! tokens with authdoctor-guard: an expired token, a token for another audience, a token
//! without the scope the route needs — through a safe method (probes run, and `AuthClient`
//! renews once, into a token with the same defect) and a POST (never sent twice, no probes).
//!
//! With a profile: a resource server whose refusals name nothing (no `error_description`, or a
//! bare 403 from the handler's own scope check), and a profile that expects an audience or a
//! scope the token lacks. `AuthClient` judges with its `TokenConfig`'s expectations and
//! `authdoctor check --profile` with the same values from a config file: the same ranked
//! causes, the first citing the profile as the expectation's source.

mod support;

use authdoctor_tokens::client::{AuthClient, AuthClientError};
use authdoctor_tokens::config::{ClientAuth, TokenConfig};
use authdoctor_tokens::source::TokenSource;
use authdoctor_tokens::token::TokenSet;
use serde_json::Value;
use support::peer;

const SHORT: &str = "https://api.authdoctor.test/short";
/// The provider's ES256 resource: tokens live 300 s, long enough for both sides to judge them.
const ES256_AUD: &str = "https://api.authdoctor.test/es256";
const DEFAULT_AUD: &str = "https://api.authdoctor.test/";
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";

fn oidc() -> String {
    peer("AUTHDOCTOR_OIDC")
}

/// `/v1/read` needs `read`, `/v1/write` needs `write`, any method; aud = SHORT, leeway 0.
fn resource_server(issuer: &str) -> String {
    support::read_write_api(issuer, "parity-test", SHORT)
}

/// A client-credentials token from the provider for `scope` and `resource`.
fn provider_token(scope: &str, resource: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-s", "-u", &format!("{CLIENT}:{SECRET}")])
        .args(["-d", "grant_type=client_credentials"])
        .args(["-d", &format!("scope={scope}")])
        .args(["-d", &format!("resource={resource}")])
        .arg(format!("{}/token", oidc()))
        .output()
        .expect("curl");
    let v: Value = serde_json::from_slice(&out.stdout).expect("token response");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// A source that renews from the provider with `scope` and `resource` (so a renewal keeps the
/// defect), holding `token` to start with.
fn source(token: &str, scope: &str, resource: &str) -> TokenSource {
    let cfg = TokenConfig {
        profile: "parity".into(),
        issuer: Some(oidc()),
        endpoints: None,
        client_id: CLIENT.into(),
        auth: ClientAuth::SecretBasic(authdoctor_core::secret::Secret::new(SECRET)),
        scopes: vec![scope.into()],
        resource: Some(resource.into()),
        audience: None,
        token_env: Vec::new(),
        token_file: None,
        dpop_key: None,
    };
    adopted(cfg, token, scope)
}

/// A source for `cfg` holding `token` (granted `scope`), fresh as far as the source knows:
/// only the server can say otherwise.
fn adopted(cfg: TokenConfig, token: &str, scope: &str) -> TokenSource {
    let src = TokenSource::new(cfg.clone(), reqwest::Client::new(), None);
    src.adopt(TokenSet {
        access_token: authdoctor_core::secret::Secret::new(token),
        token_type: "Bearer".into(),
        expires_at: Some(authdoctor_core::time::now_unix() + 3600),
        issued_at: authdoctor_core::time::now_unix(),
        refresh_token: None,
        refresh_expires_at: None,
        scope: Some(scope.into()),
        server_offset: None,
        key: cfg.cache_key(),
    })
    .expect("adopt");
    src
}

/// The ranked finding ids `AuthClient` attaches to its rejection, and the token it last sent.
fn client_ids(src: TokenSource, method: reqwest::Method, url: &str) -> (Vec<String>, String) {
    let (findings, last) = client_findings(src, method, url);
    (findings.iter().map(|f| f.id.to_string()).collect(), last)
}

/// The ranked findings `AuthClient` attaches to its rejection, and the token it last sent.
fn client_findings(
    src: TokenSource,
    method: reqwest::Method,
    url: &str,
) -> (Vec<authdoctor_core::diagnosis::Finding>, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let client = AuthClient::new(http.clone(), src.clone());
        let req = http.request(method, url).build().unwrap();
        match client.execute(req).await {
            Err(AuthClientError::Rejected { findings, .. }) => {
                let last = src
                    .current()
                    .expect("a token was sent")
                    .access_token
                    .expose()
                    .to_string();
                (findings, last)
            }
            Err(e) => panic!("expected a diagnosed rejection from {url}, got: {e}"),
            Ok(r) => panic!("expected a rejection from {url}, got {}", r.status()),
        }
    })
}

/// The same request through `authdoctor check --format json` (no profile, fresh caches).
fn cli_ids(method: &str, url: &str, token: &str) -> Vec<String> {
    let auth = format!("Authorization: Bearer {token}");
    let run = support::check_json_fresh(&["-X", method, "-H", auth.as_str(), url]);
    let ids = run.finding_ids();
    assert!(!ids.is_empty(), "the CLI found nothing:\n{}", run.stdout);
    ids
}

fn assert_same(case: &str, first: &str, method: reqwest::Method, url: &str, src: TokenSource) {
    let (client, sent) = client_ids(src, method.clone(), url);
    let cli = cli_ids(method.as_str(), url, &sent);
    eprintln!("{case}: {cli:?}");
    assert_eq!(
        cli.first().map(String::as_str),
        Some(first),
        "{case}: {cli:?}"
    );
    assert_eq!(
        client, cli,
        "{case}: AuthClient and the CLI rank different causes for {method} {url}"
    );
}

#[test]
fn wrong_audience_same_findings() {
    let api = resource_server(&oidc());
    let token = provider_token("read", DEFAULT_AUD);
    let url = format!("{api}/v1/read");
    assert_same(
        "wrong audience, GET",
        "audience-mismatch",
        reqwest::Method::GET,
        &url,
        source(&token, "read", DEFAULT_AUD),
    );
    assert_same(
        "wrong audience, POST",
        "audience-mismatch",
        reqwest::Method::POST,
        &url,
        source(&token, "read", DEFAULT_AUD),
    );
}

#[test]
fn missing_scope_same_findings() {
    let api = resource_server(&oidc());
    let token = provider_token("read", SHORT);
    let url = format!("{api}/v1/write");
    assert_same(
        "missing scope, GET",
        "insufficient-scope",
        reqwest::Method::GET,
        &url,
        source(&token, "read", SHORT),
    );
    assert_same(
        "missing scope, POST",
        "insufficient-scope",
        reqwest::Method::POST,
        &url,
        source(&token, "read", SHORT),
    );
}

#[test]
fn expired_token_same_findings() {
    let api = resource_server(&oidc());
    // The provider's tokens for SHORT live 5 seconds.
    let token = provider_token("read", SHORT);
    std::thread::sleep(std::time::Duration::from_secs(7));
    let url = format!("{api}/v1/read");
    // A POST is never sent twice: the expired token is the one judged, by both.
    assert_same(
        "expired, POST",
        "token-expired",
        reqwest::Method::POST,
        &url,
        source(&token, "read", SHORT),
    );
}

/// A resource server whose refusals say nothing specific, for tokens of `ES256_AUD` from
/// `issuer`: no `error_description` in its challenges, so `/v1/read` (needs `read`) answers an
/// audience mismatch with a bare `error="invalid_token"`; `/v1/admin` checks for `write` in its
/// handler and answers a plain 403 without a challenge.
fn terse_resource_server(issuer: &str) -> String {
    use authdoctor_guard::{GuardLayer, Validated, Validator};
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::any;
    let issuer = issuer.to_string();
    support::serve_in_thread(move || async move {
        let v = Validator::builder()
            .realm("parity-test")
            .discover(issuer)
            .audience(ES256_AUD)
            .error_descriptions(false)
            .build()
            .unwrap();
        let admin = |t: Validated| async move {
            if t.claims.has_scope("write") {
                (StatusCode::OK, "admin ok\n")
            } else {
                (StatusCode::FORBIDDEN, "forbidden\n")
            }
        };
        Router::new()
            .route(
                "/v1/read",
                any(|| async { "read ok\n" })
                    .layer(GuardLayer::new(v.clone()).require_scopes(["read"])),
            )
            .route("/v1/admin", any(admin).layer(GuardLayer::new(v)))
    })
}

/// A profile's values, given to `AuthClient` as its `TokenConfig` and to the CLI in a config
/// file.
struct Profile {
    name: &'static str,
    audience: Option<&'static str>,
    resource: &'static str,
    scopes: &'static [&'static str],
}

impl Profile {
    /// A source for this profile holding `token` (granted `granted`) to start with.
    fn source(&self, token: &str, granted: &str) -> TokenSource {
        let cfg = TokenConfig {
            profile: self.name.into(),
            issuer: Some(oidc()),
            endpoints: None,
            client_id: CLIENT.into(),
            auth: ClientAuth::SecretBasic(authdoctor_core::secret::Secret::new(SECRET)),
            scopes: self.scopes.iter().map(|s| s.to_string()).collect(),
            resource: Some(self.resource.into()),
            audience: self.audience.map(str::to_string),
            token_env: Vec::new(),
            token_file: None,
            dpop_key: None,
        };
        adopted(cfg, token, granted)
    }

    /// The same values as a user config file (`[profiles.NAME]`).
    fn toml(&self) -> String {
        let q = |v: &str| serde_json::to_string(v).unwrap();
        let mut t = format!(
            "[profiles.{}]\nissuer = {}\nclient_id = {}\nresource = {}\nscopes = [{}]\n",
            self.name,
            q(&oidc()),
            q(CLIENT),
            q(self.resource),
            self.scopes
                .iter()
                .map(|s| q(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(a) = self.audience {
            t.push_str(&format!("audience = {}\n", q(a)));
        }
        t
    }

    /// `authdoctor check --format json --profile NAME` with this profile in a fresh user
    /// config file (and a fresh cache), removed afterwards.
    fn check(&self, method: &str, url: &str, token: &str) -> support::Run {
        let dir =
            std::env::temp_dir().join(format!("authdoctor-parity-{}", support::random_hex(8)));
        std::fs::create_dir_all(dir.join("config/authdoctor")).expect("temp dir");
        std::fs::create_dir_all(dir.join("cache")).expect("temp dir");
        std::fs::write(dir.join("config/authdoctor/config.toml"), self.toml()).expect("config");
        let auth = format!("Authorization: Bearer {token}");
        let (config, cache) = (dir.join("config"), dir.join("cache"));
        let run = support::authdoctor_env(
            [
                "check",
                "--format",
                "json",
                "--profile",
                self.name,
                "-X",
                method,
                "-H",
                &auth,
                url,
            ],
            &[
                ("XDG_CONFIG_HOME", &config.display().to_string()),
                ("XDG_CACHE_HOME", &cache.display().to_string()),
            ],
        );
        let _ = std::fs::remove_dir_all(&dir);
        support::assert_first_not_contradicted(&run);
        run
    }
}

/// `AuthClient` with `profile`'s `TokenConfig` and `authdoctor check --profile` with the same
/// values rank the same causes, `first` first, and both cite the profile's `field` as the
/// source of the expectation the token fails.
fn assert_same_with_profile(
    case: &str,
    first: &str,
    field: &str,
    method: reqwest::Method,
    url: &str,
    profile: &Profile,
    src: TokenSource,
) {
    let (findings, sent) = client_findings(src, method.clone(), url);
    let client: Vec<String> = findings.iter().map(|f| f.id.to_string()).collect();
    let run = profile.check(method.as_str(), url, &sent);
    let cli = run.finding_ids();
    eprintln!("{case}: {cli:?}");
    assert_eq!(
        cli.first().map(String::as_str),
        Some(first),
        "{case}: {cli:?}\n{}",
        run.describe()
    );
    assert_eq!(
        client, cli,
        "{case}: AuthClient and the CLI rank different causes for {method} {url}"
    );
    // Both name the profile as where the expectation came from: the program's TokenConfig,
    // and the CLI's config file.
    let cites = |sources: Vec<String>, origin: &str| {
        let want = format!("profile {} ({field}, {origin}", profile.name);
        assert!(
            sources.iter().any(|s| s.starts_with(&want)),
            "{case}: the first finding does not cite {want:?}: {sources:?}"
        );
    };
    let source_of = |e: &serde_json::Map<String, Value>| {
        e.get("expectation_source")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    cites(
        findings[0]
            .evidence
            .iter()
            .filter_map(|e| source_of(&e.fields))
            .collect(),
        authdoctor_tokens::client::PROGRAM_ORIGIN,
    );
    cites(
        run.json()["findings"][0]["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["fields"].as_object().and_then(source_of))
            .collect(),
        "user file ",
    );
}

#[test]
fn profile_audience_the_server_does_not_name() {
    let api = terse_resource_server(&oidc());
    let url = format!("{api}/v1/read");
    // The profile expects the API's audience but asks the issuer for another resource: every
    // token it gets, renewed or not, is for the wrong API, and the server only says
    // `invalid_token`.
    let profile = Profile {
        name: "parity-aud",
        audience: Some(ES256_AUD),
        resource: DEFAULT_AUD,
        scopes: &["read"],
    };
    let token = provider_token("read", DEFAULT_AUD);
    // Without the profile nothing says which audience the API wanted.
    let bare = cli_ids("GET", &url, &token);
    assert_ne!(
        bare.first().map(String::as_str),
        Some("audience-mismatch"),
        "the server's answer alone names the audience: this case tests nothing"
    );
    assert_same_with_profile(
        "profile audience, GET",
        "audience-mismatch",
        "audience",
        reqwest::Method::GET,
        &url,
        &profile,
        profile.source(&token, "read"),
    );
    assert_same_with_profile(
        "profile audience, POST",
        "audience-mismatch",
        "audience",
        reqwest::Method::POST,
        &url,
        &profile,
        profile.source(&token, "read"),
    );
}

#[test]
fn profile_scope_the_server_does_not_name() {
    let api = terse_resource_server(&oidc());
    let url = format!("{api}/v1/admin");
    // A token cached before the profile's scopes grew: a POST is never sent twice, so that
    // token is the one judged, and the server only says 403.
    let profile = Profile {
        name: "parity-scope",
        audience: None,
        resource: ES256_AUD,
        scopes: &["read", "write"],
    };
    let token = provider_token("read", ES256_AUD);
    assert_same_with_profile(
        "profile scope, POST",
        "insufficient-scope",
        "scopes",
        reqwest::Method::POST,
        &url,
        &profile,
        profile.source(&token, "read"),
    );
}
