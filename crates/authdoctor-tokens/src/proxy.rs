//! The token-injecting reverse proxy behind `authdoctor proxy`: a hyper 1 server (HTTP/1.1 and
//! HTTP/2 cleartext, negotiated per connection) in front of one upstream, reached with
//! hyper-util's pooled client (HTTP/1.1 keep-alive, or HTTP/2 over TLS by ALPN; TLS by rustls
//! with the platform verifier, as everywhere else in authdoctor). Bodies stream both ways;
//! nothing is buffered.
//!
//! Per request:
//! 1. Take a fresh token from the [`TokenSource`] (renewed ahead of expiry, single-flight) and
//!    its `Authorization` value, built once per token (see [`AuthHeader`]).
//! 2. Forward method, path and query to the upstream with the client's headers minus hop-by-hop
//!    ones, `Host` and any `Authorization`, plus `Authorization: Bearer <token>`.
//! 3. On a 401 for a request that may be sent again
//!    ([`authdoctor_core::model::may_send_again`]: a safe method — GET, HEAD, OPTIONS, TRACE —
//!    and no body, since the proxy streams bodies through), renew the token once (shared by all
//!    requests that saw the same 401) and send it again.
//! 4. Stream the upstream's answer back, minus hop-by-hop headers.
//!
//! A token that cannot be obtained answers 502 with the reason (no secrets in it).
//!
//! Browsers are the proxy's threat: any page can send requests to `127.0.0.1`, and a DNS
//! rebinding page can even read the answers, which carry the access the injected token grants.
//! So ([`ProxyPolicy`]) a request is refused with 403 unless its `Host` is loopback (or
//! configured) and it has no `Origin` header other than the proxy's own (or a configured one),
//! and the upstream's `Access-Control-Allow-*` headers are removed from every answer unless the
//! user asked to pass them through.
//!
//! The hot path is kept to what the job needs, since the proxy is measured against nginx
//! (BENCHMARKS.md): no per-request formatting of the token, URL parsing, header-name
//! allocation or boxing of bodies. For a plain-http upstream and an HTTP/1.1 client, each client
//! connection keeps its own upstream HTTP/1.1 connection ([`Affine`]): its requests arrive one
//! after another, so that connection is always free for the next one, with no pool lock and no
//! task spawned per request to return it (which the pooled client needs); when the client
//! leaves, the connection is parked for the next client. HTTP/2 clients (many requests at once
//! on one connection) and https upstreams go through hyper-util's pooled client.

use crate::source::TokenSource;
use crate::token::TokenSet;
use authdoctor_core::model::{BodyHeld, may_send_again};
use bytes::Bytes;
use http::header::{self, HeaderName};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::{Either, Empty, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// What the proxy sends upstream: nothing (a request that may be re-sent) or the client's body,
/// streamed. An enum rather than a boxed body: no allocation per request.
type UpBody = Either<Empty<Bytes>, Incoming>;
/// What the proxy answers: the upstream's body, streamed, or its own error document.
pub type ProxyBody = Either<Incoming, Full<Bytes>>;
type Upstream = Client<HttpsConnector<HttpConnector>, UpBody>;

/// Counters, readable while the proxy runs.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    /// Requests re-sent after a 401 with a renewed token.
    pub retried: AtomicU64,
    /// Answers that were still 401 after everything.
    pub unauthorized: AtomicU64,
    /// Requests that got a 502 from the proxy itself (no token, upstream unreachable).
    pub errors: AtomicU64,
}

/// The `Authorization` value of the token in use, built once per token rather than formatted
/// per request. Keyed by the token set's identity: the source hands out the same `Arc` until it
/// renews, and a renewal is a new `Arc`, so a pointer comparison says when to rebuild. Cloning a
/// `HeaderValue` made from `Bytes` is a reference-count increment.
#[derive(Default)]
struct AuthHeader {
    current: RwLock<Option<(Arc<TokenSet>, HeaderValue)>>,
}

impl AuthHeader {
    fn value(&self, t: &Arc<TokenSet>) -> Result<HeaderValue, String> {
        if let Ok(g) = self.current.read()
            && let Some((held, v)) = g.as_ref()
            && Arc::ptr_eq(held, t)
        {
            return Ok(v.clone());
        }
        let v = HeaderValue::from_maybe_shared(Bytes::from(t.authorization()))
            .map_err(|_| "the token is not a valid header value".to_string())?;
        if let Ok(mut g) = self.current.write() {
            *g = Some((t.clone(), v.clone()));
        }
        Ok(v)
    }
}

/// A DPoP-bound token of a profile with `dpop_key`: a fresh proof for this upstream request.
fn sign_dpop(
    source: &TokenSource,
    token: &TokenSet,
    method: &http::Method,
    uri: &http::Uri,
    headers: &mut http::HeaderMap,
) -> Result<(), String> {
    let Some(key) = source.dpop_key() else {
        return Ok(());
    };
    if !token.token_type.eq_ignore_ascii_case("dpop") {
        return Ok(());
    }
    let p = crate::dpop::proof(
        key,
        method.as_str(),
        &uri.to_string(),
        Some(token.access_token.expose()),
        None,
    )
    .map_err(|e| e.to_string())?;
    headers.insert(
        "dpop",
        HeaderValue::from_str(&p)
            .map_err(|_| "the DPoP proof is not a header value".to_string())?,
    );
    Ok(())
}

/// An upstream HTTP/1.1 connection of our own (plain http).
type H1 = hyper::client::conn::http1::SendRequest<UpBody>;

/// Parked upstream connections kept at most (more are closed): enough for a burst of clients.
const MAX_PARKED: usize = 64;

struct State {
    scheme: Scheme,
    authority: Authority,
    /// `host:port` to connect to, for our own HTTP/1.1 connections (plain http only).
    addr: String,
    /// Upstream connections of clients that left, taken by the next client (LIFO: the most
    /// recently used is the least likely to have been closed by the upstream).
    parked: std::sync::Mutex<Vec<H1>>,
    /// The upstream URL's path without its trailing '/', prefixed to every request's path;
    /// empty when the upstream is a bare origin (then the client's path is forwarded as is).
    base: String,
    /// For error messages (without userinfo, which `Url` would show).
    upstream: String,
    source: TokenSource,
    auth: AuthHeader,
    http: Upstream,
    stats: Arc<Stats>,
    policy: ProxyPolicy,
}

/// Headers that describe one connection (RFC 9110 §7.6.1), never forwarded.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Remove `Access-Control-Allow-*`: a page must not be allowed to read what the token fetched.
fn strip_cors(h: &mut HeaderMap) {
    // Only when present: the common answer has none, and the hot path stays allocation-free.
    if h.keys()
        .any(|k| k.as_str().starts_with("access-control-allow-"))
    {
        let names: Vec<HeaderName> = h
            .keys()
            .filter(|k| k.as_str().starts_with("access-control-allow-"))
            .cloned()
            .collect();
        for n in names {
            h.remove(n);
        }
    }
}

fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Headers the Connection header names are hop-by-hop too (collected only when there is
    // one: most requests have none, and this runs twice per request).
    if h.contains_key(header::CONNECTION) {
        let named: Vec<HeaderName> = h
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
            .collect();
        for n in named {
            h.remove(n);
        }
    }
    for n in &HOP_BY_HOP {
        h.remove(n);
    }
}

/// The upstream client: a keep-alive pool (idle connections kept 90 s), TCP_NODELAY, no
/// redirects followed (the caller sees them) and no environment proxy (neither is hyper's
/// behaviour to begin with). TLS verifies with the platform's roots; ALPN offers h2 and
/// HTTP/1.1.
fn upstream_client() -> std::io::Result<Upstream> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| std::io::Error::other(format!("certificate verification: {e}")))?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.set_nodelay(true);
    // https:// URIs are handed on to the TLS layer below.
    tcp.enforce_http(false);
    let conn = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .build(conn))
}

/// Who may use the proxy (see the module doc). The default is the safe one: loopback `Host`
/// only, no foreign `Origin`, CORS headers stripped.
#[derive(Debug, Clone, Default)]
pub struct ProxyPolicy {
    /// More `Host` values (host names, without port) the proxy answers to.
    pub allowed_hosts: Vec<String>,
    /// Web origins (`https://app.example`) whose pages may use the proxy.
    pub allowed_origins: Vec<String>,
    /// Pass the upstream's `Access-Control-Allow-*` headers through.
    pub pass_cors: bool,
}

impl ProxyPolicy {
    /// `Err(reason)` when the request must be refused. `host` is the `Host` header (HTTP/1.1)
    /// or the URI's authority (HTTP/2).
    pub fn admit(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), String> {
        let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
            return Err("a request without Host is not accepted".into());
        };
        let name = host_name(host);
        let loopback = name == "localhost"
            || name.ends_with(".localhost")
            || name
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback && !self.allowed_hosts.iter().any(|h| host_name(h) == name) {
            return Err(format!(
                "Host {name:?} is not a loopback name: refused so that a web page (DNS rebinding) cannot use the injected token; allow it with --allow-host"
            ));
        }
        if let Some(o) = origin.map(str::trim) {
            let own = ["http://", "https://"]
                .iter()
                .any(|s| o.eq_ignore_ascii_case(&format!("{s}{host}")));
            let allowed = self
                .allowed_origins
                .iter()
                .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(o));
            if !own && !allowed {
                return Err(format!(
                    "requests from the web origin {o:?} are refused: a page there could use the injected token; allow it with --allow-origin"
                ));
            }
        }
        Ok(())
    }
}

/// The host part of a `Host` value, lowercase (`[::1]:8787` → `::1`, `a:80` → `a`).
fn host_name(h: &str) -> String {
    let h = h.trim().to_ascii_lowercase();
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    match h.rsplit_once(':') {
        Some((n, p)) if !n.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => n.to_string(),
        _ => h.trim_end_matches('.').to_string(),
    }
}

/// Serve on `listener` until `shutdown` resolves, with the default [`ProxyPolicy`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    upstream: url::Url,
    source: TokenSource,
    stats: Arc<Stats>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(
        listener,
        upstream,
        source,
        stats,
        ProxyPolicy::default(),
        shutdown,
    )
    .await
}

/// [`serve`] with an explicit [`ProxyPolicy`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    upstream: url::Url,
    source: TokenSource,
    stats: Arc<Stats>,
    policy: ProxyPolicy,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let bad = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("upstream {upstream}: {why}"),
        )
    };
    let scheme = match upstream.scheme() {
        "http" => Scheme::HTTP,
        "https" => Scheme::HTTPS,
        _ => return Err(bad("only http:// and https:// upstreams are supported")),
    };
    let host = upstream.host_str().ok_or_else(|| bad("no host"))?;
    let authority: Authority = match upstream.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
    .parse()
    .map_err(|_| bad("not a valid authority"))?;
    let addr = format!("{host}:{}", upstream.port_or_known_default().unwrap_or(80));
    let mut shown = upstream.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let state = Arc::new(State {
        scheme,
        authority,
        addr,
        parked: std::sync::Mutex::default(),
        base: upstream.path().trim_end_matches('/').to_string(),
        upstream: shown.to_string(),
        source,
        auth: AuthHeader::default(),
        http: upstream_client()?,
        stats,
        policy,
    });
    tokio::pin!(shutdown);
    loop {
        let (sock, _) = tokio::select! {
            r = listener.accept() => r?,
            _ = &mut shutdown => return Ok(()),
        };
        let _ = sock.set_nodelay(true);
        let own = Arc::new(Affine {
            state: state.clone(),
            conn: std::sync::Mutex::new(None),
        });
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let own = own.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&own, req).await) }
            });
            // auto: HTTP/1.1, or HTTP/2 when the client opens with the h2 preface.
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(sock), svc)
                .await;
        });
    }
}

fn error_response(status: StatusCode, msg: String) -> Response<ProxyBody> {
    let body = serde_json::json!({"error": "authdoctor_proxy", "message": msg}).to_string();
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Either::Right(Full::new(Bytes::from(body))))
        .expect("static response")
}

/// One client connection's upstream HTTP/1.1 connection (see the module doc); parked for the
/// next client when this one leaves.
struct Affine {
    state: Arc<State>,
    conn: std::sync::Mutex<Option<H1>>,
}

impl Drop for Affine {
    fn drop(&mut self) {
        if let Some(c) = self.conn.get_mut().ok().and_then(Option::take)
            && !c.is_closed()
            && let Ok(mut p) = self.state.parked.lock()
            && p.len() < MAX_PARKED
        {
            p.push(c);
        }
    }
}

impl Affine {
    /// This client's connection, else a parked one that is still open.
    fn checkout(&self) -> Option<H1> {
        if let Some(c) = self.conn.lock().ok()?.take().filter(|c| !c.is_closed()) {
            return Some(c);
        }
        let mut p = self.state.parked.lock().ok()?;
        while let Some(c) = p.pop() {
            if !c.is_closed() {
                return Some(c);
            }
        }
        None
    }

    async fn connect(&self) -> Result<H1, String> {
        let st = &self.state;
        let fail = |e: &dyn std::error::Error| {
            format!("upstream {}: {}", st.upstream, crate::grant::error_chain(e))
        };
        let tcp = tokio::net::TcpStream::connect(&st.addr)
            .await
            .map_err(|e| fail(&e))?;
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| fail(&e))?;
        // Drives the connection until both sides drop it.
        tokio::spawn(conn);
        Ok(sender)
    }

    /// Send on this client's connection (origin-form target, `Host` set as a client would).
    /// A request the connection did not take (the upstream closed it while idle) is sent again
    /// on another; one it took is never re-sent here.
    async fn send(&self, mut req: Request<UpBody>) -> Result<Response<Incoming>, String> {
        let st = &self.state;
        let pq = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *req.uri_mut() = Uri::from(pq);
        let host = HeaderValue::from_str(st.authority.as_str())
            .map_err(|_| format!("upstream {}: not a valid Host", st.upstream))?;
        req.headers_mut().insert(header::HOST, host);
        let mut last = String::new();
        for _ in 0..3 {
            let mut c = match self.checkout() {
                Some(c) => c,
                None => self.connect().await?,
            };
            if c.ready().await.is_err() {
                continue;
            }
            match c.try_send_request(req).await {
                Ok(resp) => {
                    // Free again for this client's next request (HTTP/1.1 clients send one at
                    // a time: it comes once this answer has been streamed).
                    if let Ok(mut g) = self.conn.lock() {
                        *g = Some(c);
                    }
                    return Ok(resp);
                }
                Err(mut e) => {
                    let again = e.take_message();
                    last = crate::grant::error_chain(&e.into_error());
                    match again {
                        Some(r) => req = r,
                        None => return Err(format!("upstream {}: {last}", st.upstream)),
                    }
                }
            }
        }
        Err(format!("upstream {}: {last}", st.upstream))
    }
}

async fn handle(own: &Affine, req: Request<Incoming>) -> Response<ProxyBody> {
    let state = &*own.state;
    state.stats.requests.fetch_add(1, Ordering::Relaxed);
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(Authority::as_str));
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("(not text)"));
    if let Err(why) = state.policy.admit(host, origin) {
        state.stats.errors.fetch_add(1, Ordering::Relaxed);
        return error_response(StatusCode::FORBIDDEN, why);
    }
    match forward(own, req).await {
        Ok(r) => r,
        Err(msg) => {
            state.stats.errors.fetch_add(1, Ordering::Relaxed);
            error_response(StatusCode::BAD_GATEWAY, msg)
        }
    }
}

impl State {
    /// The upstream URI for the client's path and query.
    fn uri(&self, client: &Uri) -> Result<Uri, String> {
        let pq = if self.base.is_empty() {
            // Shares the client's bytes: no copy.
            client
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/"))
        } else {
            let q = client.query().map(|q| format!("?{q}")).unwrap_or_default();
            PathAndQuery::try_from(format!("{}{}{q}", self.base, client.path()))
                .map_err(|e| format!("cannot build the upstream path: {e}"))?
        };
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| format!("cannot build the upstream URI: {e}"))
    }

    /// Send upstream: on the client connection's own HTTP/1.1 connection when `own` is given
    /// (plain http, HTTP/1.1 client), else through the pool.
    async fn send(
        &self,
        own: Option<&Affine>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: UpBody,
    ) -> Result<Response<Incoming>, String> {
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        // The upstream connection's own version (HTTP/1.1, or h2 by ALPN) decides; an h2c
        // client's request must not ask the HTTP/1.1 pool for HTTP/2.
        *req.version_mut() = Version::HTTP_11;
        *req.headers_mut() = headers;
        if let Some(own) = own {
            return own.send(req).await;
        }
        self.http.request(req).await.map_err(|e| {
            format!(
                "upstream {}: {}",
                self.upstream,
                crate::grant::error_chain(&e)
            )
        })
    }
}

async fn forward(own: &Affine, req: Request<Incoming>) -> Result<Response<ProxyBody>, String> {
    let state = &*own.state;
    let token = state.source.token().await.map_err(|e| e.to_string())?;
    let auth = state.auth.value(&token)?;
    let (parts, body) = req.into_parts();
    let uri = state.uri(&parts.uri)?;
    let own = (state.scheme == Scheme::HTTP && parts.version != Version::HTTP_2).then_some(own);
    let chunked = {
        use hyper::body::Body;
        !body.is_end_stream() && body.size_hint().exact() != Some(0)
    };
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    // hyper's client sets Host from the URI.
    headers.remove(header::HOST);
    // A body announced by length, or one hyper says is still to come (chunked, h2 DATA).
    let has_body = chunked
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    // The body is streamed through, never buffered: once sent, there is nothing to send again.
    let body_held = if has_body {
        BodyHeld::Streamed
    } else {
        BodyHeld::None
    };
    let retry = may_send_again(parts.method.as_str(), body_held);
    // `insert` replaces any Authorization the client sent; a client's DPoP proof was for its
    // own token, never ours.
    headers.insert(header::AUTHORIZATION, auth);
    headers.remove("dpop");
    sign_dpop(&state.source, &token, &parts.method, &uri, &mut headers)?;
    let mut resp = if retry {
        // Kept for a possible second send: only for requests that can be retried, and only
        // the headers (a few entries after stripping).
        let again = (parts.method.clone(), uri.clone(), headers.clone());
        let resp = state
            .send(own, parts.method, uri, headers, Either::Left(Empty::new()))
            .await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            match state.source.renew_after_rejection(&token).await {
                Ok(renewed) => {
                    let (method, uri, mut headers) = again;
                    headers.insert(header::AUTHORIZATION, state.auth.value(&renewed)?);
                    sign_dpop(&state.source, &renewed, &method, &uri, &mut headers)?;
                    state.stats.retried.fetch_add(1, Ordering::Relaxed);
                    state
                        .send(own, method, uri, headers, Either::Left(Empty::new()))
                        .await?
                }
                // A token file not rotated yet: the upstream's own 401 goes back to the client
                // (there is nothing else to try, and no issuer to blame).
                Err(_) if state.source.token_file().is_some() => resp,
                Err(e) => return Err(e.to_string()),
            }
        } else {
            resp
        }
    } else {
        state
            .send(own, parts.method, uri, headers, Either::Right(body))
            .await?
    };
    if resp.status() == StatusCode::UNAUTHORIZED {
        state.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
    }
    strip_hop_by_hop(resp.headers_mut());
    if !state.policy.pass_cors {
        strip_cors(resp.headers_mut());
    }
    Ok(resp.map(Either::Left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_loopback_hosts_and_own_origin_only() {
        let p = ProxyPolicy::default();
        for h in [
            "127.0.0.1:8787",
            "localhost:8787",
            "[::1]:8787",
            "127.0.0.2",
            "a.localhost",
        ] {
            assert!(p.admit(Some(h), None).is_ok(), "{h}");
        }
        for h in [
            "evil.example:8787",
            "attacker.test",
            "10.0.0.1:8787",
            "0.0.0.0:8787",
        ] {
            assert!(p.admit(Some(h), None).is_err(), "{h}");
        }
        assert!(p.admit(None, None).is_err());
        assert!(
            p.admit(Some("127.0.0.1:8787"), Some("http://127.0.0.1:8787"))
                .is_ok()
        );
        assert!(
            p.admit(Some("127.0.0.1:8787"), Some("https://evil.example"))
                .is_err()
        );
        assert!(p.admit(Some("127.0.0.1:8787"), Some("null")).is_err());
        let p = ProxyPolicy {
            allowed_hosts: vec!["dev.internal".into()],
            allowed_origins: vec!["https://app.example/".into()],
            pass_cors: false,
        };
        assert!(
            p.admit(Some("dev.internal:8787"), Some("https://app.example"))
                .is_ok()
        );
    }

    #[test]
    fn cors_headers_are_stripped() {
        let mut h = HeaderMap::new();
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        h.insert(
            "access-control-allow-credentials",
            HeaderValue::from_static("true"),
        );
        h.insert("content-type", HeaderValue::from_static("text/plain"));
        strip_cors(&mut h);
        assert_eq!(h.len(), 1);
    }
}
