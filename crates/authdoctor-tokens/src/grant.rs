//! The OAuth 2 grants, through the `oauth2` crate's typed flows with a closure over our reqwest
//! 0.13 client as its HTTP transport. The closure records every exchange (secrets are scrubbed by
//! the report later), so a refusal becomes [`TokenError::Endpoint`] with evidence the diagnosis
//! can rank exactly like a 401 from an API.
//!
//! Grants: client_credentials, refresh_token, device authorization (RFC 8628), authorization
//! code + PKCE (RFC 7636) with a loopback redirect (RFC 8252 §7.3); every request carries the
//! profile's RFC 8707 `resource` and `audience`. Client authentication: client_secret_basic
//! (oauth2 form-encodes id and secret before Base64, RFC 6749 §2.3.1), client_secret_post,
//! private_key_jwt (RFC 7523 assertion signed here with aws-lc-rs), or none (public client).

use crate::config::{AssertionAlg, ClientAuth, Endpoints, TokenConfig};
use crate::error::{EndpointErrorKind, Recorded, TokenError};
use crate::token::TokenSet;
use authdoctor_core::model::{Exchange, Header, RequestSpec};
use authdoctor_core::secret::Secret;
use authdoctor_core::time::{now_unix, parse_http_date};
use base64::Engine;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    DeviceAuthorizationUrl, EndpointNotSet, EndpointSet, PkceCodeChallenge, RedirectUrl,
    RefreshToken, RevocationUrl, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The transport error the oauth2 crate sees (its message is ours; no secrets in it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

type TransportFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<http::Response<Vec<u8>>, HttpError>> + Send>,
>;

/// Builds the HTTP client on first use (see [`Recorder::lazy`]).
type MakeClient = dyn Fn() -> Result<reqwest::Client, String> + Send + Sync;

/// A reqwest client that records each token-endpoint exchange.
#[derive(Clone)]
pub struct Recorder {
    http: Arc<LazyClient>,
    log: Arc<Mutex<Vec<Recorded>>>,
    /// `dpop_key`: every token-endpoint request carries a fresh proof (RFC 9449 §5).
    dpop: Option<authdoctor_core::model::DpopKey>,
}

/// The client, built at most once, and only when a request is actually sent: building a reqwest
/// client loads and parses the system's root certificates (~20 ms), which a cached `token get`
/// must not pay.
struct LazyClient {
    cell: OnceLock<Result<reqwest::Client, String>>,
    make: Option<Box<MakeClient>>,
}

/// Form fields whose values are secrets: kept by name (the diagnosis reads how the client
/// authenticated) with the value replaced.
const SECRET_FORM_FIELDS: &[&str] = &[
    "client_secret",
    "client_assertion",
    "refresh_token",
    "code",
    "code_verifier",
    "device_code",
    "token",
    "password",
];

fn redact_form(body: &[u8]) -> Vec<u8> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| {
            let v = if SECRET_FORM_FIELDS.contains(&k.as_ref()) {
                "[redacted]".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

impl Recorder {
    pub fn new(http: reqwest::Client) -> Self {
        Recorder {
            http: Arc::new(LazyClient {
                cell: OnceLock::from(Ok(http)),
                make: None,
            }),
            log: Arc::default(),
            dpop: None,
        }
    }

    /// Token requests carry DPoP proofs of this key, so the tokens come bound to it.
    pub fn with_dpop(mut self, key: Option<authdoctor_core::model::DpopKey>) -> Self {
        self.dpop = key;
        self
    }

    /// A recorder whose client `make` builds on the first request; `make`'s error (a reason
    /// such as "cannot build the HTTP client: …") is kept and returned by every request, as
    /// building again would fail the same way.
    pub fn lazy(
        make: impl Fn() -> Result<reqwest::Client, String> + Send + Sync + 'static,
    ) -> Self {
        Recorder {
            http: Arc::new(LazyClient {
                cell: OnceLock::new(),
                make: Some(Box::new(make)),
            }),
            log: Arc::default(),
            dpop: None,
        }
    }

    /// The client, built now if it was not yet (the error is `make`'s reason).
    pub fn http(&self) -> Result<&reqwest::Client, String> {
        let lazy = &*self.http;
        lazy.cell
            .get_or_init(|| match &lazy.make {
                Some(make) => make(),
                None => Err("no HTTP client".into()),
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn last(&self) -> Option<Recorded> {
        self.log.lock().ok()?.last().cloned()
    }

    fn clear(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }

    /// The transport handed to oauth2: an owned closure returning boxed `Send` futures (so the
    /// grant futures stay `Send` for any caller, e.g. a hyper service).
    pub fn transport(
        &self,
    ) -> impl Fn(http::Request<Vec<u8>>) -> TransportFuture + Send + Sync + 'static {
        let me = self.clone();
        move |req| {
            let me = me.clone();
            Box::pin(async move { me.send(req).await })
        }
    }

    /// Sends with reqwest, records, returns the raw answer. With a DPoP key, the request
    /// carries a fresh proof, and a `use_dpop_nonce` answer is answered once with the nonce
    /// (RFC 9449 §8: the server refused it unprocessed).
    pub async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, HttpError> {
        let Some(key) = self.dpop.clone() else {
            return self.send_once(req).await;
        };
        let (parts, body) = req.into_parts();
        let url = parts.uri.to_string();
        let with_proof = |nonce: Option<&str>| -> Result<http::Request<Vec<u8>>, HttpError> {
            let p = crate::dpop::proof(&key, parts.method.as_str(), &url, None, nonce)
                .map_err(|e| HttpError(format!("{url}: {e}")))?;
            let mut b = http::Request::builder()
                .method(parts.method.clone())
                .uri(parts.uri.clone())
                .version(parts.version);
            for (n, v) in &parts.headers {
                if n.as_str() != "dpop" {
                    b = b.header(n, v);
                }
            }
            b.header("dpop", p)
                .body(body.clone())
                .map_err(|e| HttpError(format!("{url}: {e}")))
        };
        let first = self.send_once(with_proof(None)?).await?;
        match crate::dpop::wanted_nonce(first.status().as_u16(), first.headers(), first.body()) {
            Some(n) => self.send_once(with_proof(Some(&n))?).await,
            None => Ok(first),
        }
    }

    async fn send_once(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, HttpError> {
        let (parts, body) = req.into_parts();
        let url = parts.uri.to_string();
        let mut spec = RequestSpec {
            method: parts.method.to_string(),
            url: url::Url::parse(&url).map_err(|e| HttpError(format!("{url}: {e}")))?,
            body: Some(redact_form(&body)),
            ..Default::default()
        };
        for (n, v) in &parts.headers {
            spec.headers.push(Header::new(
                n.as_str(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ));
        }
        let started = std::time::Instant::now();
        let http = self.http().map_err(|e| HttpError(format!("{url}: {e}")))?;
        let resp = http
            .request(parts.method.clone(), &url)
            .headers(parts.headers.clone())
            .body(body)
            .send()
            .await
            .map_err(|e| HttpError(format!("{url}: {}", error_chain(&e))))?;
        let status = resp.status();
        let version = format!("{:?}", resp.version());
        let headers = resp.headers().clone();
        let remote = resp.remote_addr().map(|a| a.to_string());
        let bytes = read_capped(resp, ANSWER_CAP)
            .await
            .map_err(|e| HttpError(format!("{url}: {e}")))?;
        let exchange = Exchange {
            method: spec.method.clone(),
            url: url.clone(),
            request_headers: spec.headers.clone(),
            dropped_headers: Vec::new(),
            status: status.as_u16(),
            reason: status.canonical_reason().map(str::to_string),
            http_version: version,
            headers: headers
                .iter()
                .map(|(n, v)| {
                    Header::new(
                        n.as_str(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: bytes.clone(),
            body_truncated: false,
            elapsed_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
            remote_addr: remote,
            tls: None,
            received_at: Some(now_unix()),
        };
        if let Ok(mut l) = self.log.lock() {
            l.push(Recorded {
                request: spec,
                exchange,
            });
        }
        let mut out = http::Response::builder().status(status);
        for (n, v) in &headers {
            out = out.header(n, v);
        }
        out.body(bytes)
            .map_err(|e| HttpError(format!("{url}: {e}")))
    }
}

/// reqwest's error with its sources ("error sending request: … connection refused").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Add scopes and extra form fields to an oauth2 request builder: each grant's builder is its
/// own type, with the same `add_scope` / `add_extra_param` methods.
macro_rules! with_params {
    ($req:expr, scopes: $scopes:expr, extra: $extra:expr) => {{
        let mut req = $req;
        for s in $scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        with_params!(req, extra: $extra)
    }};
    ($req:expr, extra: $extra:expr) => {{
        let mut req = $req;
        for (k, v) in $extra {
            req = req.add_extra_param(k, v);
        }
        req
    }};
}

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The oauth2 client for `cfg` and the extra form fields every token request carries.
fn client(
    cfg: &TokenConfig,
    ep: &Endpoints,
) -> Result<(TokenClient, Vec<(String, String)>), TokenError> {
    let token_url = TokenUrl::new(ep.token_endpoint.clone()).map_err(|e| TokenError::Config {
        profile: cfg.profile.clone(),
        reason: format!("token endpoint {:?}: {e}", ep.token_endpoint),
    })?;
    let mut c = BasicClient::new(ClientId::new(cfg.client_id.clone())).set_token_uri(token_url);
    let mut extra = Vec::new();
    match &cfg.auth {
        ClientAuth::SecretBasic(s) => {
            c = c
                .set_client_secret(ClientSecret::new(s.expose().to_string()))
                .set_auth_type(AuthType::BasicAuth);
        }
        ClientAuth::SecretPost(s) => {
            c = c
                .set_client_secret(ClientSecret::new(s.expose().to_string()))
                .set_auth_type(AuthType::RequestBody);
        }
        ClientAuth::PrivateKeyJwt { key_der, alg, kid } => {
            c = c.set_auth_type(AuthType::RequestBody);
            extra.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            extra.push((
                "client_assertion".into(),
                client_assertion(
                    &cfg.client_id,
                    &ep.token_endpoint,
                    key_der.expose(),
                    *alg,
                    kid.as_deref(),
                )?,
            ));
        }
        ClientAuth::None => c = c.set_auth_type(AuthType::RequestBody),
    }
    if let Some(r) = &cfg.resource {
        extra.push(("resource".into(), r.clone()));
    }
    if let Some(a) = &cfg.audience {
        extra.push(("audience".into(), a.clone()));
    }
    Ok((c, extra))
}

/// An RFC 7523 client assertion: iss = sub = client_id, aud = the token endpoint, 60 s life.
fn client_assertion(
    client_id: &str,
    aud: &str,
    key_b64: &str,
    alg: AssertionAlg,
    kid: Option<&str>,
) -> Result<String, TokenError> {
    use aws_lc_rs::rand::SecureRandom;
    use aws_lc_rs::signature::{self, KeyPair as _};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let der = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .map_err(|_| TokenError::Secret("private key encoding".into()))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut jti = [0u8; 16];
    rng.fill(&mut jti)
        .map_err(|_| TokenError::Secret("no randomness".into()))?;
    let now = now_unix();
    let mut header = serde_json::json!({"alg": match alg { AssertionAlg::Rs256 => "RS256", AssertionAlg::Es256 => "ES256" }, "typ": "JWT"});
    if let Some(k) = kid {
        header["kid"] = k.into();
    }
    let claims = serde_json::json!({
        "iss": client_id, "sub": client_id, "aud": aud,
        "jti": b64.encode(jti), "iat": now, "exp": now + 60,
    });
    let input = format!(
        "{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string())
    );
    let sig = match alg {
        AssertionAlg::Rs256 => {
            let kp = signature::RsaKeyPair::from_pkcs8(&der)
                .map_err(|_| TokenError::Secret("RSA private key rejected".into()))?;
            let mut sig = vec![0; kp.public_modulus_len()];
            kp.sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| TokenError::Secret("RS256 signing failed".into()))?;
            sig
        }
        AssertionAlg::Es256 => {
            let kp = signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &der,
            )
            .map_err(|_| TokenError::Secret("EC private key rejected".into()))?;
            let _ = kp.public_key();
            kp.sign(&rng, input.as_bytes())
                .map_err(|_| TokenError::Secret("ES256 signing failed".into()))?
                .as_ref()
                .to_vec()
        }
    };
    Ok(format!("{input}.{}", b64.encode(sig)))
}

/// Turn a failed oauth2 request into our error, with the recorded exchange.
fn failure<E: std::error::Error + 'static, T: oauth2::ErrorResponse + 'static>(
    grant: &'static str,
    rec: &Recorder,
    url: &str,
    e: oauth2::RequestTokenError<E, T>,
) -> TokenError {
    let last = rec.last();
    match e {
        oauth2::RequestTokenError::Request(e) => TokenError::Transport {
            url: url.to_string(),
            reason: error_chain(&e),
        },
        other => match last {
            Some(r) => {
                let body: serde_json::Value =
                    serde_json::from_slice(&r.exchange.body).unwrap_or_default();
                let code = body
                    .get("error")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("http_{}", r.exchange.status));
                let description = body
                    .get("error_description")
                    .and_then(|v| v.as_str())
                    .map(str::to_string);
                if r.exchange.status < 400 && body.get("error").is_none() {
                    return TokenError::Protocol(format!("{other}"));
                }
                TokenError::Endpoint {
                    grant,
                    kind: EndpointErrorKind::from_code(&code),
                    status: r.exchange.status,
                    description,
                    recorded: Box::new(Some(r)),
                }
            }
            None => TokenError::Protocol(other.to_string()),
        },
    }
}

/// Build the token set from a successful response and the recorded exchange's `Date`.
fn token_set<TR: TokenResponse>(cfg: &TokenConfig, rec: &Recorder, resp: &TR) -> TokenSet {
    let local = now_unix();
    let last = rec.last();
    let server_offset = last.as_ref().and_then(|r| {
        let date = r
            .exchange
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("date"))?;
        let server = parse_http_date(&date.value)?;
        Some(server - r.exchange.received_at.unwrap_or(local))
    });
    let server_now = local + server_offset.unwrap_or(0);
    let access = resp.access_token().secret().to_string();
    let jwt = match authdoctor_core::token::jwt::analyse(&access) {
        Some(authdoctor_core::token::jwt::JwtAnalysis::Jws(j)) => Some(j),
        _ => None,
    };
    let exp_claim = jwt.as_ref().and_then(|j| j.time_claim("exp"));
    let iat_claim = jwt.as_ref().and_then(|j| j.time_claim("iat"));
    let expires_at =
        exp_claim.or_else(|| resp.expires_in().map(|d| server_now + d.as_secs() as i64));
    // The raw body may say how long the refresh token lives (not in the standard fields).
    let refresh_expires_at = last.as_ref().and_then(|r| {
        let v: serde_json::Value = serde_json::from_slice(&r.exchange.body).ok()?;
        Some(server_now + v.get("refresh_expires_in")?.as_i64()?)
    });
    TokenSet {
        access_token: Secret::new(access),
        token_type: serde_json::to_value(resp.token_type())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "Bearer".into()),
        expires_at,
        issued_at: iat_claim.unwrap_or(server_now),
        refresh_token: resp
            .refresh_token()
            .map(|r| Secret::new(r.secret().as_str())),
        refresh_expires_at: refresh_expires_at.filter(|t| *t > server_now),
        scope: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        server_offset,
        key: cfg.cache_key(),
    }
}

/// The largest token-endpoint or discovery answer read (a token response is a few KiB).
pub const ANSWER_CAP: usize = 1024 * 1024;

/// Read at most `cap` bytes of `resp`: an error past it, never unbounded memory.
pub async fn read_capped(resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    use http_body_util::{BodyExt, Limited};
    Limited::new(reqwest::Body::from(resp), cap)
        .collect()
        .await
        .map(|c| c.to_bytes().to_vec())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                format!("answer larger than {} KiB: not read", cap / 1024)
            } else {
                e.to_string()
            }
        })
}

/// client_credentials.
pub async fn client_credentials(
    rec: &Recorder,
    cfg: &TokenConfig,
    ep: &Endpoints,
) -> Result<TokenSet, TokenError> {
    rec.clear();
    let (c, extra) = client(cfg, ep)?;
    let req = with_params!(c.exchange_client_credentials(), scopes: &cfg.scopes, extra: extra);
    let send = rec.transport();
    let resp = req
        .request_async(&send)
        .await
        .map_err(|e| failure("client_credentials", rec, &ep.token_endpoint, e))?;
    Ok(token_set(cfg, rec, &resp))
}

/// refresh_token. The answer may carry a rotated refresh token; without one the old one is kept
/// (RFC 6749 §6: the server MAY issue a new one).
pub async fn refresh(
    rec: &Recorder,
    cfg: &TokenConfig,
    ep: &Endpoints,
    refresh_token: &Secret,
) -> Result<TokenSet, TokenError> {
    rec.clear();
    let (c, extra) = client(cfg, ep)?;
    let rt = RefreshToken::new(refresh_token.expose().to_string());
    let req = with_params!(c.exchange_refresh_token(&rt), scopes: &cfg.scopes, extra: extra);
    let send = rec.transport();
    let resp = req
        .request_async(&send)
        .await
        .map_err(|e| failure("refresh_token", rec, &ep.token_endpoint, e))?;
    let mut t = token_set(cfg, rec, &resp);
    if t.refresh_token.is_none() {
        t.refresh_token = Some(refresh_token.clone());
    }
    Ok(t)
}

/// What the user must do for the device flow.
#[derive(Debug, Clone)]
pub struct DevicePrompt {
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub user_code: String,
    pub expires_in: Duration,
}

/// Device authorization grant (RFC 8628): ask for a user code, show it, poll (oauth2 honours
/// `authorization_pending` and `slow_down`).
pub async fn device(
    rec: &Recorder,
    cfg: &TokenConfig,
    ep: &Endpoints,
    prompt: impl Fn(&DevicePrompt),
) -> Result<TokenSet, TokenError> {
    rec.clear();
    let dev_url = ep
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| TokenError::Config {
            profile: cfg.profile.clone(),
            reason: "the issuer has no device_authorization_endpoint".into(),
        })?;
    let (c, extra) = client(cfg, ep)?;
    let c = c.set_device_authorization_url(DeviceAuthorizationUrl::new(dev_url.clone()).map_err(
        |e| TokenError::Config {
            profile: cfg.profile.clone(),
            reason: format!("device endpoint: {e}"),
        },
    )?);
    let req = with_params!(c.exchange_device_code(), scopes: &cfg.scopes, extra: extra.clone());
    let send = rec.transport();
    let details: oauth2::StandardDeviceAuthorizationResponse = req
        .request_async(&send)
        .await
        .map_err(|e| failure("device_authorization", rec, &dev_url, e))?;
    prompt(&DevicePrompt {
        verification_uri: details.verification_uri().to_string(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().to_string()),
        user_code: details.user_code().secret().to_string(),
        expires_in: details.expires_in(),
    });
    let poll = with_params!(c.exchange_device_access_token(&details), extra: extra);
    let resp = poll
        .request_async(&send, tokio::time::sleep, None)
        .await
        .map_err(|e| failure("device_code", rec, &ep.token_endpoint, e))?;
    Ok(token_set(cfg, rec, &resp))
}

/// How long one connection to the loopback callback may stay silent.
const CALLBACK_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// What one request to the loopback redirect URI means.
#[derive(Debug, PartialEq)]
enum Callback {
    /// Not the callback path (a favicon, a probe): 404, keep waiting.
    NotOurs,
    /// The callback, but not for the login we started: ignored, keep waiting.
    WrongState,
    /// The authorization server refused (or sent no code): the flow ends with this reason.
    Refused(String),
    Code(String),
}

/// Judge a callback's request target against the `state` we sent (RFC 6749 §10.12).
fn judge_callback(target: &str, state: &str) -> Callback {
    let Ok(u) = url::Url::parse(&format!("http://localhost{target}")) else {
        return Callback::NotOurs;
    };
    if u.path() != "/callback" {
        return Callback::NotOurs;
    }
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    if q.get("state").map(String::as_str) != Some(state) {
        return Callback::WrongState;
    }
    if let Some(err) = q.get("error") {
        return Callback::Refused(format!(
            "the authorization server answered {err}{}",
            q.get("error_description")
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ));
    }
    match q.get("code") {
        Some(c) => Callback::Code(c.clone()),
        None => Callback::Refused("the redirect carried no code".into()),
    }
}

/// Authorization code + PKCE (S256) with a loopback redirect on 127.0.0.1 (RFC 8252 §7.3).
///
/// 1. Listen on 127.0.0.1 (`port` 0 = any free port); the redirect URI names it.
/// 2. Hand the authorization URL (state + S256 challenge + resource) to `open`.
/// 3. Accept one redirect, check `state`, answer the browser, take `code` (or the `error`).
/// 4. Exchange the code with the PKCE verifier.
pub async fn auth_code_pkce(
    rec: &Recorder,
    cfg: &TokenConfig,
    ep: &Endpoints,
    port: u16,
    timeout: Duration,
    open: impl Fn(&str),
) -> Result<TokenSet, TokenError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    rec.clear();
    let auth_url = ep
        .authorization_endpoint
        .clone()
        .ok_or_else(|| TokenError::Config {
            profile: cfg.profile.clone(),
            reason: "the issuer has no authorization_endpoint".into(),
        })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| TokenError::Interactive(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| TokenError::Interactive(e.to_string()))?;
    let redirect = format!("http://{local}/callback");
    let cfg_err = |e: String| TokenError::Config {
        profile: cfg.profile.clone(),
        reason: e,
    };
    let (c, extra) = client(cfg, ep)?;
    let c = c
        .set_auth_uri(AuthUrl::new(auth_url).map_err(|e| cfg_err(e.to_string()))?)
        .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| cfg_err(e.to_string()))?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let a = with_params!(
        c.authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge),
        scopes: &cfg.scopes,
        extra: extra.iter().filter(|(k, _)| k == "resource" || k == "audience").cloned()
    );
    let (url, state) = a.url();
    open(url.as_str());
    let wait = async {
        loop {
            let (mut sock, _) = listener
                .accept()
                .await
                .map_err(|e| TokenError::Interactive(e.to_string()))?;
            // A client that connects and says nothing must not hold up the real redirect.
            let mut buf = vec![0u8; 8192];
            let n = match tokio::time::timeout(CALLBACK_READ_TIMEOUT, sock.read(&mut buf)).await {
                Ok(Ok(n)) => n,
                _ => continue,
            };
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let verdict = judge_callback(&target, state.secret());
            let (status, page) = match &verdict {
                Callback::NotOurs => ("404 Not Found", ""),
                Callback::WrongState => (
                    "400 Bad Request",
                    "authdoctor: this redirect's state does not match the login authdoctor started; ignored.\n",
                ),
                _ => ("200 OK", "authdoctor: you can close this window.\n"),
            };
            let _ = tokio::time::timeout(
                CALLBACK_READ_TIMEOUT,
                sock.write_all(format!("HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}", page.len()).as_bytes()),
            )
            .await;
            match verdict {
                // A stale tab or a forged redirect: keep waiting for the real one.
                Callback::NotOurs | Callback::WrongState => continue,
                Callback::Refused(why) => return Err(TokenError::Interactive(why)),
                Callback::Code(code) => return Ok(code),
            }
        }
    };
    let code = tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| TokenError::Interactive("no redirect arrived in time".into()))??;
    let req = with_params!(
        c.exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier),
        extra: extra
    );
    let send = rec.transport();
    let resp = req
        .request_async(&send)
        .await
        .map_err(|e| failure("authorization_code", rec, &ep.token_endpoint, e))?;
    Ok(token_set(cfg, rec, &resp))
}

/// RFC 7009 revocation of the refresh token (if any) and the access token.
pub async fn revoke(
    rec: &Recorder,
    cfg: &TokenConfig,
    ep: &Endpoints,
    token: &TokenSet,
) -> Result<Vec<&'static str>, TokenError> {
    let url = ep
        .revocation_endpoint
        .clone()
        .ok_or_else(|| TokenError::Config {
            profile: cfg.profile.clone(),
            reason: "the issuer has no revocation_endpoint".into(),
        })?;
    let (c, extra) = client(cfg, ep)?;
    let c =
        c.set_revocation_url(
            RevocationUrl::new(url.clone()).map_err(|e| TokenError::Config {
                profile: cfg.profile.clone(),
                reason: e.to_string(),
            })?,
        );
    let mut done = Vec::new();
    let mut list = Vec::new();
    if let Some(r) = &token.refresh_token {
        list.push((
            "refresh_token",
            StandardRevocableToken::RefreshToken(RefreshToken::new(r.expose().to_string())),
        ));
    }
    list.push((
        "access_token",
        StandardRevocableToken::AccessToken(oauth2::AccessToken::new(
            token.access_token.expose().to_string(),
        )),
    ));
    let send = rec.transport();
    for (what, t) in list {
        rec.clear();
        let req = c
            .revoke_token(t)
            .map_err(|e| TokenError::Protocol(e.to_string()))?;
        let assertion = extra
            .iter()
            .filter(|(k, _)| k.starts_with("client_assertion"));
        with_params!(req, extra: assertion.cloned())
            .request_async(&send)
            .await
            .map_err(|e| failure("revocation", rec, &url, e))?;
        done.push(what);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_ignores_foreign_state_and_other_paths() {
        assert_eq!(judge_callback("/favicon.ico", "s1"), Callback::NotOurs);
        assert_eq!(
            judge_callback("/callback?code=c&state=evil", "s1"),
            Callback::WrongState
        );
        assert_eq!(
            judge_callback("/callback?code=c", "s1"),
            Callback::WrongState
        );
        assert_eq!(
            judge_callback("/callback?code=c&state=s1", "s1"),
            Callback::Code("c".into())
        );
        assert!(matches!(
            judge_callback("/callback?error=access_denied&state=s1", "s1"),
            Callback::Refused(_)
        ));
    }
}
