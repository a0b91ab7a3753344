//! The in-process demo: a tiny OAuth issuer and a protected API on 127.0.0.1, so that
//! `authdoctor demo` (and the tests) can show real 401s without any outside service.
//!
//! The issuer publishes OpenID discovery, an (empty) JWKS and a client_credentials token
//! endpoint; the API accepts only `Authorization: Bearer <JWT>` signed HS256 with a key made up
//! for this run, issued by this issuer, for audience `demo-api`, and not expired (no leeway).
//! Every rejection carries the RFC 6750 `WWW-Authenticate` a well-behaved API sends, so the
//! diagnosis has real evidence to read. Both servers stop when the [`Demo`] is dropped.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The demo's confidential client.
pub const CLIENT_ID: &str = "demo-client";
/// The demo client's secret (public knowledge: it is a demo).
pub const CLIENT_SECRET: &str = "demo-secret";
/// The audience the API accepts.
pub const AUDIENCE: &str = "demo-api";
/// Lifetime of issued tokens, seconds.
pub const TOKEN_LIFETIME: i64 = 300;

/// Request bodies are tiny forms; anything larger is refused rather than buffered.
const MAX_REQUEST_BODY: usize = 16 * 1024;

/// The running demo. Dropping it stops both servers.
pub struct Demo {
    /// Base URL of the API, e.g. `http://127.0.0.1:41234`.
    pub api_url: String,
    /// Base URL of the issuer; also the `iss` of its tokens.
    pub issuer_url: String,
    /// `GET` here needs a Bearer token.
    pub orders_url: String,
    /// client_credentials token endpoint.
    pub token_url: String,
    state: Arc<State>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Demo {
    // The signing key is deliberately absent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Demo")
            .field("api_url", &self.api_url)
            .field("issuer_url", &self.issuer_url)
            .finish_non_exhaustive()
    }
}

struct State {
    key: hmac::Key,
    issuer: String,
}

#[derive(Clone, Copy)]
enum Role {
    Issuer,
    Api,
}

/// Start the issuer and the API on two ephemeral loopback ports.
pub async fn start() -> std::io::Result<Demo> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
        .map_err(|_| std::io::Error::other("cannot generate the demo signing key"))?;
    let issuer_listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let api_listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let issuer_url = format!("http://{}", issuer_listener.local_addr()?);
    let api_url = format!("http://{}", api_listener.local_addr()?);
    let state = Arc::new(State {
        key,
        issuer: issuer_url.clone(),
    });
    let (stop, stop_rx) = watch::channel(false);
    let tasks = vec![
        tokio::spawn(serve(
            issuer_listener,
            state.clone(),
            Role::Issuer,
            stop_rx.clone(),
        )),
        tokio::spawn(serve(api_listener, state.clone(), Role::Api, stop_rx)),
    ];
    Ok(Demo {
        orders_url: format!("{api_url}/v1/orders"),
        token_url: format!("{issuer_url}/token"),
        api_url,
        issuer_url,
        state,
        stop,
        tasks,
    })
}

impl Demo {
    /// Sign `claims` as an HS256 access token (`typ: at+jwt`, `kid: demo`) with this run's key.
    /// Any claims are accepted: the point is to mint broken tokens too.
    pub fn mint(&self, claims: Value) -> String {
        sign(&self.state.key, &claims)
    }

    /// A token the API accepts, valid for [`TOKEN_LIFETIME`] seconds from now.
    pub fn valid_token(&self) -> String {
        self.mint(standard_claims(&self.state.issuer, now()))
    }

    /// The demo's three requests, with their titles: a token that expired minutes ago, a
    /// `Bearer:` header, and the same request with a fresh token (which succeeds).
    pub fn scenarios(&self) -> Vec<(&'static str, authdoctor_core::model::RequestSpec)> {
        let now = now();
        let expired = self.mint(serde_json::json!({
            "iss": self.issuer_url, "sub": "demo-user", "aud": "demo-api",
            "scope": "orders:read", "iat": now - 3792, "exp": now - 192,
        }));
        let get = |auth: String| authdoctor_core::model::RequestSpec {
            method: "GET".into(),
            url: url::Url::parse(&self.orders_url).expect("the demo's own URL"),
            headers: vec![authdoctor_core::model::Header::new("Authorization", auth)],
            ..Default::default()
        };
        vec![
            (
                "1. A token that expired a few minutes ago",
                get(format!("Bearer {expired}")),
            ),
            (
                "2. A header written as 'Bearer: <token>'",
                get(format!("Bearer: {}", self.valid_token())),
            ),
            (
                "3. The same request with a fresh token from the issuer",
                get(format!("Bearer {}", self.valid_token())),
            ),
        ]
    }

    /// Stop both servers and wait for them.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn standard_claims(issuer: &str, iat: i64) -> Value {
    json!({
        "iss": issuer,
        "sub": CLIENT_ID,
        "aud": AUDIENCE,
        "client_id": CLIENT_ID,
        "scope": "orders:read",
        "iat": iat,
        "exp": iat + TOKEN_LIFETIME,
    })
}

fn sign(key: &hmac::Key, claims: &Value) -> String {
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "demo"});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let tag = hmac::sign(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    role: Role,
    mut stop: watch::Receiver<bool>,
) {
    // Connections live in this set, so they end when the accept loop does.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // E.g. EMFILE: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let state = state.clone();
                conns.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(req, &state, role).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

type Resp = Response<Full<Bytes>>;

async fn handle(req: Request<Incoming>, state: &State, role: Role) -> Resp {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    match (role, method.as_str(), path.as_str()) {
        (Role::Issuer, "GET", "/.well-known/openid-configuration") => json_response(
            StatusCode::OK,
            &json!({
                "issuer": state.issuer,
                "jwks_uri": format!("{}/jwks", state.issuer),
                "token_endpoint": format!("{}/token", state.issuer),
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "id_token_signing_alg_values_supported": ["HS256"],
            }),
        ),
        // HS256 keys are shared secrets, never published: the set is empty on purpose.
        (Role::Issuer, "GET", "/jwks") => json_response(StatusCode::OK, &json!({"keys": []})),
        (Role::Issuer, "POST", "/token") => token(req, state).await,
        (Role::Api, "GET", "/v1/orders") => orders(&req, state),
        (_, _, "/.well-known/openid-configuration" | "/jwks" | "/token" | "/v1/orders") => {
            json_response(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"error": "method_not_allowed"}),
            )
        }
        _ => json_response(StatusCode::NOT_FOUND, &json!({"error": "not_found"})),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    h.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    let date = jiff::Timestamp::now()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(v) = hyper::header::HeaderValue::from_str(&date) {
        h.insert(hyper::header::DATE, v);
    }
    resp
}

fn with_challenge(mut resp: Resp, challenge: &str) -> Resp {
    if let Ok(v) = hyper::header::HeaderValue::from_str(challenge) {
        resp.headers_mut()
            .insert(hyper::header::WWW_AUTHENTICATE, v);
    }
    resp
}

async fn token(req: Request<Incoming>, state: &State) -> Resp {
    let basic_ok = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .is_some_and(|raw| raw == format!("{CLIENT_ID}:{CLIENT_SECRET}").as_bytes());
    let body = match Limited::new(req.into_body(), MAX_REQUEST_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": "invalid_request", "error_description": "unreadable body"}),
            );
        }
    };
    if !basic_ok {
        return with_challenge(
            json_response(
                StatusCode::UNAUTHORIZED,
                &json!({
                    "error": "invalid_client",
                    "error_description": "client authentication failed (use HTTP Basic)"
                }),
            ),
            "Basic realm=\"demo-issuer\"",
        );
    }
    let grant = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    if grant.as_deref() != Some("client_credentials") {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({
                "error": "unsupported_grant_type",
                "error_description": "only client_credentials is supported"
            }),
        );
    }
    let token = sign(&state.key, &standard_claims(&state.issuer, now()));
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": "orders:read",
        }),
    )
}

/// How the API turned a request down.
enum Reject {
    Missing,
    Malformed,
    InvalidToken(&'static str),
}

fn orders(req: &Request<Incoming>, state: &State) -> Resp {
    let header = req.headers().get(hyper::header::AUTHORIZATION);
    match check_bearer(header.map(|v| v.as_bytes()), state, now()) {
        Ok(claims) => json_response(
            StatusCode::OK,
            &json!({
                "client": claims.get("sub").cloned().unwrap_or(Value::Null),
                "orders": [
                    {"id": "ord_1001", "item": "stethoscope", "qty": 1},
                    {"id": "ord_1002", "item": "otoscope", "qty": 2},
                ],
            }),
        ),
        Err(Reject::Missing) => with_challenge(
            json_response(StatusCode::UNAUTHORIZED, &json!({"error": "unauthorized"})),
            "Bearer realm=\"demo-api\"",
        ),
        Err(Reject::Malformed) => {
            let desc = "Authorization header must be 'Bearer <token>'";
            with_challenge(
                json_response(
                    StatusCode::UNAUTHORIZED,
                    &json!({"error": "invalid_request", "error_description": desc}),
                ),
                &format!(
                    "Bearer realm=\"demo-api\", error=\"invalid_request\", error_description=\"{desc}\""
                ),
            )
        }
        Err(Reject::InvalidToken(desc)) => with_challenge(
            json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"error": "invalid_token", "error_description": desc}),
            ),
            &format!(
                "Bearer realm=\"demo-api\", error=\"invalid_token\", error_description=\"{desc}\""
            ),
        ),
    }
}

/// Strict on purpose: exactly `Bearer <token>` (case-sensitive scheme, one space), because the
/// demo exists to show how such mistakes look from the outside.
fn check_bearer(header: Option<&[u8]>, state: &State, now: i64) -> Result<Value, Reject> {
    let raw = header.ok_or(Reject::Missing)?;
    let text = std::str::from_utf8(raw).map_err(|_| Reject::Malformed)?;
    let token = text.strip_prefix("Bearer ").ok_or(Reject::Malformed)?;
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(Reject::Malformed);
    }
    const BAD_SIG: Reject = Reject::InvalidToken("signature invalid");
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(BAD_SIG);
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(BAD_SIG)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(BAD_SIG);
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| BAD_SIG)?;
    let signing_input_len = h.len() + 1 + p.len();
    hmac::verify(&state.key, &token.as_bytes()[..signing_input_len], &sig).map_err(|_| BAD_SIG)?;
    let claims: Value = URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or(Reject::InvalidToken("claims are not a JSON object"))?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(Reject::InvalidToken("the access token has no exp claim"))?;
    if now >= exp {
        return Err(Reject::InvalidToken("The access token expired"));
    }
    if claims.get("iss").and_then(Value::as_str) != Some(state.issuer.as_str()) {
        return Err(Reject::InvalidToken("issuer not accepted"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == AUDIENCE,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    };
    if !aud_ok {
        return Err(Reject::InvalidToken("audience not accepted"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        State {
            key: hmac::Key::generate(hmac::HMAC_SHA256, &rng).expect("key"),
            issuer: "http://127.0.0.1:1".into(),
        }
    }

    fn desc(r: Result<Value, Reject>) -> &'static str {
        match r {
            Ok(_) => "ok",
            Err(Reject::Missing) => "missing",
            Err(Reject::Malformed) => "malformed",
            Err(Reject::InvalidToken(d)) => d,
        }
    }

    #[test]
    fn bearer_rules() {
        let st = state();
        let t = sign(&st.key, &standard_claims(&st.issuer, 1000));
        let check = |h: &str| desc(check_bearer(Some(h.as_bytes()), &st, 1000));
        assert_eq!(check(&format!("Bearer {t}")), "ok");
        assert_eq!(desc(check_bearer(None, &st, 1000)), "missing");
        for bad in [
            format!("bearer {t}"),
            format!("Bearer: {t}"),
            format!("Bearer{t}"),
            format!("Token {t}"),
            "Bearer ".to_string(),
        ] {
            assert_eq!(check(&bad), "malformed", "{bad}");
        }
        assert_eq!(check("Bearer garbage"), "signature invalid");
        assert_eq!(check(&format!("Bearer {t}x")), "signature invalid");
        // Zero leeway: at exp the token is already expired.
        let exp = desc(check_bearer(
            Some(format!("Bearer {t}").as_bytes()),
            &st,
            1300,
        ));
        assert_eq!(exp, "The access token expired");
        let mut c = standard_claims(&st.issuer, 1000);
        c["aud"] = json!("other");
        let t2 = sign(&st.key, &c);
        assert_eq!(check(&format!("Bearer {t2}")), "audience not accepted");
        c["aud"] = json!(["x", AUDIENCE]);
        let t3 = sign(&st.key, &c);
        assert_eq!(check(&format!("Bearer {t3}")), "ok");
    }
}
