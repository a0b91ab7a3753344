//! Sending the user's request hop by hop and recording each hop as an [`Exchange`].
//!
//! reqwest is used with `redirect::Policy::none()` and with its own proxy-from-environment logic
//! switched off: this module follows redirects itself (so every hop is evidence, and credentials
//! are dropped exactly where curl ≥ 7.83 and browsers drop them), and it decides the proxy itself
//! (so the report can say whether a proxy came from `-x` or from `HTTPS_PROXY`).
//!
//! Performance: a reqwest client with its default TLS setup reads the whole system CA store when
//! it is *built* (~5 ms here), even for `http://` URLs. So there are two clients, built lazily:
//! a plain one whose rustls config has no roots at all (it never talks TLS), and the TLS one,
//! built only when a hop is `https://`.
//!
//! Known limits: response headers come back grouped by name (all values of a name together, in
//! order) because that is how the HTTP client stores them; a body is read up to [`BODY_CAP`]
//! only; `--http2` on an `http://` URL still speaks HTTP/1.1 (no h2c upgrade).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use authdoctor_core::input::pins::Route;
use authdoctor_core::model::{
    BODY_CAP, DroppedHeader, Exchange, Header, HttpVersionPref, ProxySetting, ProxySource,
    RequestSpec, TransportOptions,
};
use authdoctor_core::outbound::{Decision, Gate, Origin, Trust};
use authdoctor_core::secret::{is_sensitive_header, redact_url};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Method};
use url::Url;

/// Limits for one `send`. Transport options in the [`RequestSpec`] (curl's `--connect-timeout`,
/// `--max-time`) take precedence over these defaults.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Redirects followed at most (so at most `max_hops + 1` exchanges).
    pub max_hops: usize,
    pub connect_timeout: Duration,
    /// Budget for the whole chain of hops, body reads included.
    pub max_time: Duration,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            max_hops: 10,
            connect_timeout: Duration::from_secs(10),
            max_time: Duration::from_secs(30),
        }
    }
}

/// Why the request could not be exchanged at all. Messages are one line and never contain a
/// header value, token, password or cookie value (URLs are shown through `redact_url`).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot resolve host {host:?}: {reason}")]
    Dns { host: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("TLS with {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("no complete answer from {url} within {after_ms} ms")]
    Timeout { url: String, after_ms: u64 },
    #[error("proxy {proxy}: {reason}")]
    Proxy { proxy: String, reason: String },
    #[error("client certificate (--cert/--key): {reason}")]
    ClientCert { reason: String },
    #[error("CA certificate (--cacert): {reason}")]
    CaCert { reason: String },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("stopped after {hops} redirects: {url} redirects again (a redirect loop?)")]
    TooManyRedirects { url: String, hops: usize },
    #[error("{0}")]
    Other(String),
}

impl NetError {
    /// A stable machine-readable name for the variant (used by the report and `--json`).
    pub fn kind(&self) -> &'static str {
        match self {
            NetError::Dns { .. } => "dns",
            NetError::Connect { .. } => "connect",
            NetError::Tls { .. } => "tls",
            NetError::Timeout { .. } => "timeout",
            NetError::Proxy { .. } => "proxy",
            NetError::ClientCert { .. } => "client_cert",
            NetError::CaCert { .. } => "cacert",
            NetError::InvalidRequest(_) => "invalid_request",
            NetError::TooManyRedirects { .. } => "too_many_redirects",
            NetError::Other(_) => "other",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Proxy selection

/// The environment variables consulted, lowercase first as curl does.
const PROXY_ENV_VARS: &[&str] = &[
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// The proxy the environment selects for `url`, with curl's rules: `https_proxy`/`HTTPS_PROXY`
/// for https, `http_proxy`/`HTTP_PROXY` for http, then `all_proxy`/`ALL_PROXY`; `no_proxy`/
/// `NO_PROXY` exempts hosts. Loopback is *not* exempt unless `NO_PROXY` says so.
pub fn proxy_from_env(url: &Url) -> Option<ProxySetting> {
    proxy_from_env_with(url, |name| std::env::var(name).ok())
}

/// [`proxy_from_env`] over any variable source, so tests need not touch the process environment.
pub fn proxy_from_env_with(
    url: &Url,
    get: impl Fn(&str) -> Option<String>,
) -> Option<ProxySetting> {
    env_proxy_raw(url, &get, None).map(|(setting, _)| setting)
}

/// The proxy that [`send`] uses for the spec's URL (`-x` first, then the environment), with any
/// password in the proxy URL redacted.
pub fn effective_proxy(spec: &RequestSpec) -> Option<ProxySetting> {
    let url = Url::parse(&spec.url).ok()?;
    let env = EnvSnapshot::capture();
    resolve_proxy(&spec.transport, &url, &env).map(|c| c.setting)
}

/// A proxy decision: what the report may show, and the URL actually used.
#[derive(Clone)]
pub(crate) struct ProxyChoice {
    pub(crate) setting: ProxySetting,
    pub(crate) real_url: String,
}

/// The proxy variables, read once per `send` so that every hop sees the same environment.
#[derive(Clone, Default)]
pub(crate) struct EnvSnapshot(HashMap<&'static str, String>);

impl EnvSnapshot {
    pub(crate) fn capture() -> Self {
        let mut map = HashMap::new();
        for name in PROXY_ENV_VARS {
            if let Ok(v) = std::env::var(name) {
                map.insert(*name, v);
            }
        }
        EnvSnapshot(map)
    }

    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

pub(crate) fn resolve_proxy(
    transport: &TransportOptions,
    url: &Url,
    env: &EnvSnapshot,
) -> Option<ProxyChoice> {
    let get = |name: &str| env.get(name);
    match &transport.proxy {
        Some(p) => {
            let no_proxy = transport
                .no_proxy
                .clone()
                .or_else(|| first_set(&get, &["no_proxy", "NO_PROXY"]));
            if no_proxy.is_some_and(|list| no_proxy_matches(&list, url)) {
                return None;
            }
            let real_url = with_default_scheme(&p.url);
            Some(ProxyChoice {
                setting: ProxySetting {
                    url: redact_proxy_password(&real_url),
                    source: p.source,
                    env_var: p.env_var.clone(),
                },
                real_url,
            })
        }
        None => env_proxy_raw(url, &get, transport.no_proxy.as_deref())
            .map(|(setting, real_url)| ProxyChoice { setting, real_url }),
    }
}

/// `(redacted setting, real url)`. `no_proxy_override` is curl's `--noproxy`, which replaces
/// the environment's list.
fn env_proxy_raw(
    url: &Url,
    get: &dyn Fn(&str) -> Option<String>,
    no_proxy_override: Option<&str>,
) -> Option<(ProxySetting, String)> {
    let candidates: &[&str] = match url.scheme() {
        "https" => &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
        "http" => &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
        _ => &["all_proxy", "ALL_PROXY"],
    };
    let (var, value) = candidates.iter().find_map(|name| {
        get(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v))
    })?;
    let no_proxy = match no_proxy_override {
        Some(list) => Some(list.to_string()),
        None => first_set(get, &["no_proxy", "NO_PROXY"]),
    };
    if no_proxy.is_some_and(|list| no_proxy_matches(&list, url)) {
        return None;
    }
    let real_url = with_default_scheme(value.trim());
    Some((
        ProxySetting {
            url: redact_proxy_password(&real_url),
            source: ProxySource::Env,
            env_var: Some(var.to_string()),
        },
        real_url,
    ))
}

fn first_set(get: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| get(n).filter(|v| !v.trim().is_empty()))
}

/// curl treats `proxy:3128` as `http://proxy:3128`.
fn with_default_scheme(raw: &str) -> String {
    if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    }
}

/// The proxy URL as it may be shown: the user name stays (it is evidence), the password not.
fn redact_proxy_password(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            // Cannot fail: a URL with a password has a host.
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        Ok(_) => raw.to_string(),
        // Unparseable: we cannot tell where a password would be, so show nothing after "@".
        Err(_) => match raw.rfind('@') {
            Some(i) => format!("****@{}", &raw[i + 1..]),
            None => raw.to_string(),
        },
    }
}

/// curl's `NO_PROXY` matching: `*` matches everything; entries are comma (or space) separated;
/// a leading dot is ignored and a name matches itself and its subdomains; `host:port` only
/// matches that port; IP addresses and CIDR ranges match IP hosts.
pub(crate) fn no_proxy_matches(list: &str, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    let port = url.port_or_known_default();
    for raw in list.split([',', ' ', '\t']) {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return true;
        }
        let (name, entry_port) = split_entry_port(entry);
        if let Some(p) = entry_port
            && Some(p) != port
        {
            continue;
        }
        let name = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        if let Some(ip) = host_ip {
            if let Some((net, bits)) = name.split_once('/') {
                if let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u8>())
                    && cidr_contains(net, bits, ip)
                {
                    return true;
                }
                continue;
            }
            if name.parse::<IpAddr>().is_ok_and(|n| n == ip) {
                return true;
            }
            continue;
        }
        if host == name || host.ends_with(&format!(".{name}")) {
            return true;
        }
    }
    false
}

/// `host:port` → (`host`, port); bare IPv6 (`::1`) has no port, `[::1]:8080` does.
fn split_entry_port(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((addr, after)) = rest.split_once(']') {
            return (addr, after.strip_prefix(':').and_then(|p| p.parse().ok()));
        }
        return (entry, None);
    }
    if entry.matches(':').count() == 1
        && let Some((h, p)) = entry.rsplit_once(':')
        && let Ok(p) = p.parse()
    {
        return (h, Some(p));
    }
    (entry, None)
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Clients

/// A pinned client's key: https or not, the host, the addresses it is pinned to.
type PinKey = (bool, String, Vec<SocketAddr>);

/// The two lazily built clients of one `send`.
struct Clients {
    transport: TransportOptions,
    /// The user's `Proxy-Authorization`, attached to the proxy itself.
    proxy_auth: Option<HeaderValue>,
    env: EnvSnapshot,
    connect_timeout: Duration,
    plain: Option<Client>,
    tls: Option<Client>,
    /// Clients for pinned hosts, by (https, host, addresses).
    pinned: Vec<(PinKey, Client)>,
}

impl Clients {
    async fn for_url(&mut self, url: &Url) -> Result<Client, NetError> {
        let https = url.scheme() == "https";
        let host = url.host_str().unwrap_or_default();
        // A pinned host gets a client of its own that connects where the pin says; the others
        // share one client per scheme.
        let pin = pinned_addrs(&self.transport, url).await?;
        if pin.is_some() && resolve_proxy(&self.transport, url, &self.env).is_some() {
            return Err(NetError::InvalidRequest(format!(
                "--resolve/--connect-to pin {host}, but the request goes through a proxy, which resolves the host itself: refused rather than send the credential elsewhere (add --noproxy {host})"
            )));
        }
        let cached = match &pin {
            Some(addrs) => self
                .pinned
                .iter()
                .find(|((h, n, a), _)| *h == https && n == host && a == addrs)
                .map(|(_, c)| c.clone()),
            None if https => self.tls.clone(),
            None => self.plain.clone(),
        };
        if let Some(c) = cached {
            return Ok(c);
        }
        let client = build_client(
            &self.transport,
            &self.env,
            self.connect_timeout,
            https,
            host,
            self.proxy_auth.clone(),
            pin.as_deref(),
        )?;
        match pin {
            Some(addrs) => self
                .pinned
                .push(((https, host.to_string(), addrs), client.clone())),
            None if https => self.tls = Some(client.clone()),
            None => self.plain = Some(client.clone()),
        }
        Ok(client)
    }
}

/// Refuse, before anything is sent, pins that cannot be honoured for the request's URL: a port
/// change, or a pinned host the request would reach through a proxy (which resolves it itself).
pub fn check_pins(spec: &RequestSpec) -> Result<(), NetError> {
    if spec.transport.pins.is_empty() {
        return Ok(());
    }
    let url = parse_http_url(&spec.url)?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(0);
    let route = spec
        .transport
        .pins
        .route(host, port)
        .map_err(NetError::InvalidRequest)?;
    if route.is_some() && resolve_proxy(&spec.transport, &url, &EnvSnapshot::capture()).is_some() {
        return Err(NetError::InvalidRequest(format!(
            "--resolve/--connect-to pin {host}, but the request goes through a proxy, which resolves the host itself: refused rather than send the credential elsewhere (add --noproxy {host})"
        )));
    }
    Ok(())
}

/// The addresses `--resolve`/`--connect-to` pin `url`'s host and port to (`None`: no pin);
/// an error for a pin that cannot be honoured or a pinned name that does not resolve.
pub(crate) async fn pinned_addrs(
    transport: &TransportOptions,
    url: &Url,
) -> Result<Option<Vec<SocketAddr>>, NetError> {
    if transport.pins.is_empty() {
        return Ok(None);
    }
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(0);
    let route = transport
        .pins
        .route(host, port)
        .map_err(NetError::InvalidRequest)?;
    Ok(match route {
        None => None,
        Some(Route::Addrs(ips)) => Some(
            ips.into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        ),
        Some(Route::Host(other)) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((other.as_str(), port))
                .await
                .map_err(|e| NetError::Dns {
                    host: other.clone(),
                    reason: e.to_string(),
                })?
                .collect();
            Some(addrs)
        }
    })
}

/// Build the reqwest client. `with_tls = false` gives a client whose rustls config trusts
/// nothing (no CA store read): it is only ever used for `http://` hops.
pub(crate) fn build_client(
    transport: &TransportOptions,
    env: &EnvSnapshot,
    connect_timeout: Duration,
    with_tls: bool,
    host: &str,
    proxy_auth: Option<HeaderValue>,
    pin: Option<&[SocketAddr]>,
) -> Result<Client, NetError> {
    let tls_config = if with_tls {
        crate::tls::client_config(transport, host)?
    } else {
        crate::tls::empty_client_config()
    };
    let transport_for_proxy = transport.clone();
    let env_for_proxy = env.clone();
    let mut proxy = reqwest::Proxy::custom(move |u: &Url| {
        resolve_proxy(&transport_for_proxy, u, &env_for_proxy)
            .and_then(|c| Url::parse(&c.real_url).ok())
    });
    if let Some(v) = proxy_auth {
        proxy = proxy.custom_http_auth(v);
    }
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .proxy(proxy)
        .connect_timeout(connect_timeout)
        // One send is a handful of hops: do not keep idle connections around afterwards.
        .pool_max_idle_per_host(1)
        .tls_backend_preconfigured(tls_config);
    if transport.http_version == HttpVersionPref::Http1 {
        builder = builder.http1_only();
    }
    if let Some(addrs) = pin {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder
        .build()
        .map_err(|e| NetError::Other(format!("cannot build the HTTP client: {}", chain_text(&e))))
}

/// Build only the client (for measuring the cost of the CA store); not used by `send`.
#[doc(hidden)]
pub fn build_client_for_bench(with_tls: bool) -> Result<Client, NetError> {
    build_client(
        &TransportOptions::default(),
        &EnvSnapshot::default(),
        Duration::from_secs(10),
        with_tls,
        "localhost",
        None,
        None,
    )
}

// ---------------------------------------------------------------------------------------------
// Hops

/// Send `spec`, following redirects up to `opts.max_hops`, and return one [`Exchange`] per hop.
/// An error means not even the first hop got an answer, or a later hop failed outright; in the
/// latter case the hops so far are lost, so callers wanting them should use a smaller budget.
/// With `--digest`/`--anyauth` (`spec.auth_method`) a 401 challenge is answered on a further
/// hop to the same URL, as curl does (see `crate::digest` for the bounds).
pub async fn send(spec: &RequestSpec, opts: &SendOptions) -> Result<Vec<Exchange>, NetError> {
    let started = Instant::now();
    let max_time = spec.transport.max_time.unwrap_or(opts.max_time);
    let connect_timeout = spec
        .transport
        .connect_timeout
        .unwrap_or(opts.connect_timeout);
    let mut original = parse_http_url(&spec.url)?;
    // reqwest would silently turn URL userinfo into a Basic header that the record would not
    // show; make it an explicit header instead (curl treats it like `-u`), subject to the same
    // dropping rules, and send the URL without it.
    let with_url_credentials;
    let spec = match url_credentials(&mut original) {
        Some(basic)
            if !spec
                .headers
                .iter()
                .any(|h| h.name.trim().eq_ignore_ascii_case("authorization")) =>
        {
            let mut s = spec.clone();
            s.headers.push(Header::new("Authorization", basic));
            with_url_credentials = s;
            &with_url_credentials
        }
        _ => spec,
    };
    let mut method = Method::from_bytes(spec.method.trim().as_bytes()).map_err(|_| {
        NetError::InvalidRequest(format!("{:?} is not an HTTP method", spec.method))
    })?;
    let env = EnvSnapshot::capture();
    let proxy_auth = spec
        .headers
        .iter()
        .rfind(|h| h.name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .and_then(|h| HeaderValue::from_str(h.value.trim()).ok());
    let mut clients = Clients {
        transport: spec.transport.clone(),
        proxy_auth,
        env: env.clone(),
        connect_timeout,
        plain: None,
        tls: None,
        pinned: Vec::new(),
    };

    let mut url = original.clone();
    let mut body = spec.body.clone();
    // Set once a redirect turned the request into a body-less GET.
    let mut body_dropped: Option<String> = None;
    let mut downgraded = false;
    let mut hops: Vec<Exchange> = Vec::new();
    // `--digest`/`--anyauth`: the answer to the server's challenge, sent on the next hop.
    let mut challenge = crate::digest::ChallengeState::default();
    let mut answer: Option<String> = None;
    // `--dpop-key`: the server's nonce, and whether its one `use_dpop_nonce` retry was spent.
    let mut dpop_nonce: Option<String> = None;
    let mut nonce_retried = false;

    loop {
        let proxy = resolve_proxy(&spec.transport, &url, &env);
        let (mut sent, dropped) = hop_headers(
            spec,
            &original,
            &url,
            downgraded,
            body_dropped.as_deref(),
            proxy.is_some(),
        );
        if let Some(a) = &answer {
            sent.push(Header::new("Authorization", a.clone()));
        }
        let signed = sign_dpop(spec, &mut sent, &method, &url, dpop_nonce.as_deref())?;
        let header_map = to_header_map(&sent)?;
        let client = clients.for_url(&url).await?;
        let remaining = max_time.checked_sub(started.elapsed()).unwrap_or_default();
        if remaining.is_zero() {
            return Err(timeout_error(&url, started));
        }
        let mut req = client
            .request(method.clone(), url.clone())
            .headers(header_map)
            .timeout(remaining);
        if let Some(b) = &body {
            req = req.body(b.clone());
        }
        let hop_start = Instant::now();
        let mut resp = req
            .send()
            .await
            .map_err(|e| map_reqwest_error(&e, &url, proxy.as_ref(), started))?;
        let received_at = jiff::Timestamp::now().as_second();
        let status = resp.status();
        let reason = resp
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .and_then(|r| std::str::from_utf8(r.as_bytes()).ok().map(str::to_string))
            .or_else(|| status.canonical_reason().map(str::to_string));
        let http_version = version_text(resp.version());
        let headers: Vec<Header> = resp
            .headers()
            .iter()
            .map(|(n, v)| Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes())))
            .collect();
        let remote_addr = resp.remote_addr().map(|a| a.to_string());
        let (resp_body, body_truncated) = read_capped(&mut resp)
            .await
            .map_err(|e| map_reqwest_error(&e, &url, proxy.as_ref(), started))?;
        let elapsed_ms = hop_start.elapsed().as_secs_f64() * 1000.0;

        let location = headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("location"))
            .map(|h| h.value.clone());
        hops.push(Exchange {
            method: method.as_str().to_string(),
            url: url.to_string(),
            request_headers: sent,
            dropped_headers: dropped,
            status: status.as_u16(),
            reason,
            http_version,
            headers,
            body: resp_body,
            body_truncated,
            elapsed_ms: Some(elapsed_ms),
            remote_addr,
            tls: None,
            received_at: Some(received_at),
        });

        // RFC 9449 §8/§9: a server that wants a nonce refuses the request unprocessed and
        // names the nonce; a client answers once with a fresh proof carrying it.
        if signed
            && !nonce_retried
            && let Some(last) = hops.last()
            && let Some(n) = wants_dpop_nonce(last)
        {
            dpop_nonce = Some(n);
            nonce_retried = true;
            continue;
        }
        if hops.len() > opts.max_hops {
            // Still redirecting at the limit: a loop (or a chain too long to follow) is a
            // failure to report, never "the request succeeded" with a 3xx.
            if next_hop(
                status.as_u16(),
                &method,
                location.as_deref(),
                &url,
                spec.follow_redirects,
            )
            .is_some()
            {
                return Err(NetError::TooManyRedirects {
                    url: redact_url(url.as_str()),
                    hops: hops.len() - 1,
                });
            }
            break;
        }
        if let Some(last) = hops.last()
            && let Some(a) = challenge.answer(spec, last, &url, body.as_deref().unwrap_or(b""))
        {
            answer = Some(a);
            continue;
        }
        let Some(next) = next_hop(
            status.as_u16(),
            &method,
            location.as_deref(),
            &url,
            spec.follow_redirects,
        ) else {
            break;
        };
        if url.scheme() == "https" && next.url.scheme() == "http" {
            downgraded = true;
        }
        if !next.keep_body {
            if body.is_some() || body_dropped.is_none() {
                body_dropped = Some(format!(
                    "{} {} → {}: the request body is not resent",
                    status.as_u16(),
                    method,
                    next.method
                ));
            }
            body = None;
        }
        method = next.method;
        url = next.url;
        challenge.reset();
        answer = None;
        // Credentials in a Location header are not used (they would bypass the dropping rules).
        let _ = url_credentials(&mut url);
    }
    Ok(hops)
}

/// With `--dpop-key` and a `DPoP` Authorization on this hop: drop any proof the request
/// carried and sign a fresh one for exactly this hop (method, URL, the token's hash, the
/// server's nonce). Returns whether it signed.
fn sign_dpop(
    spec: &RequestSpec,
    sent: &mut Vec<Header>,
    method: &Method,
    url: &Url,
    nonce: Option<&str>,
) -> Result<bool, NetError> {
    let Some(key) = &spec.dpop_key else {
        return Ok(false);
    };
    let Some(token) = sent.iter().find_map(|h| {
        if !h.name.trim().eq_ignore_ascii_case("authorization") {
            return None;
        }
        let (scheme, cred) = h.value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("dpop")
            .then(|| cred.trim().to_string())
    }) else {
        return Ok(false);
    };
    sent.retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
    let mut htu = url.clone();
    htu.set_query(None);
    htu.set_fragment(None);
    let mut jti = [0u8; 16];
    aws_lc_rs::rand::fill(&mut jti)
        .map_err(|_| NetError::InvalidRequest("no randomness for a DPoP proof jti".into()))?;
    use base64::Engine;
    let jti = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti);
    let proof = key
        .0
        .proof(&authdoctor_core::jose::dpop::ProofClaims {
            htm: method.as_str(),
            htu: htu.as_str(),
            iat: jiff::Timestamp::now().as_second(),
            jti: &jti,
            access_token: Some(&token),
            nonce,
        })
        .map_err(|e| {
            NetError::InvalidRequest(format!("the DPoP proof could not be signed: {e}"))
        })?;
    sent.push(Header::new("DPoP", proof));
    Ok(true)
}

/// The nonce a 400/401 asks for (`use_dpop_nonce` in the challenge or body, `DPoP-Nonce`).
fn wants_dpop_nonce(x: &Exchange) -> Option<String> {
    if !matches!(x.status, 400 | 401) {
        return None;
    }
    let asks = x
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("www-authenticate"))
        .any(|h| h.value.contains("use_dpop_nonce"))
        || String::from_utf8_lossy(&x.body).contains("use_dpop_nonce");
    let n = x
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("dpop-nonce"))?
        .value
        .trim()
        .to_string();
    (asks && !n.is_empty()).then_some(n)
}

/// Remove `user:password@` from `url`; return it as a Basic credential (percent-decoded).
fn url_credentials(url: &mut Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    use base64::Engine;
    let pair = format!(
        "{}:{}",
        decode(url.username()),
        decode(url.password().unwrap_or_default())
    );
    // Cannot fail for http(s) URLs with a host, which is all that reaches here.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

fn parse_http_url(raw: &str) -> Result<Url, NetError> {
    // The text is not echoed: an unparseable URL may still hold a password.
    let url = Url::parse(raw.trim())
        .map_err(|e| NetError::InvalidRequest(format!("the URL is not valid: {e}")))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err(NetError::InvalidRequest("URL has no host".into())),
        other => Err(NetError::InvalidRequest(format!(
            "unsupported URL scheme {other:?} (only http and https)"
        ))),
    }
}

fn version_text(v: reqwest::Version) -> String {
    match v {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_11 => "HTTP/1.1",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
    .to_string()
}

/// Read at most [`BODY_CAP`] bytes; the rest is left unread (the connection is then dropped).
async fn read_capped(resp: &mut reqwest::Response) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = BODY_CAP - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&chunk);
        if buf.len() == BODY_CAP {
            // Exactly at the cap: truncated only if anything follows.
            let more = resp.chunk().await?.is_some_and(|c| !c.is_empty());
            return Ok((buf, more));
        }
    }
    Ok((buf, false))
}

/// Headers that the client computes from the body it actually sends.
fn is_body_framing(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// The headers to send on a hop to `url`, and those of the spec that are withheld, with why.
fn hop_headers(
    spec: &RequestSpec,
    original: &Url,
    url: &Url,
    downgraded: bool,
    body_dropped: Option<&str>,
    proxied: bool,
) -> (Vec<Header>, Vec<DroppedHeader>) {
    // The one outbound gate decides; a chain that went through clear text once stays withheld.
    let gate = Gate::new(
        original,
        Trust {
            location_trusted: spec.location_trusted,
            named_hosts: Vec::new(),
        },
    );
    let decision = match (Origin::of(original), Origin::of(url)) {
        (Some(from), Some(to)) if downgraded && url.scheme() == "http" => Decision::Downgrade {
            from: from.to_string(),
            to: to.to_string(),
        },
        _ => gate.decide(url, false),
    };
    let credential_reason = (!decision.allows()).then(|| decision.reason());
    let mut sent = Vec::new();
    let mut dropped = Vec::new();
    for h in &spec.headers {
        let name = h.name.trim();
        if is_body_framing(name) {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: "set by the HTTP client from the body actually sent".into(),
            });
            continue;
        }
        if let Some(reason) = body_dropped
            && (name.eq_ignore_ascii_case("content-type")
                || name.eq_ignore_ascii_case("content-encoding"))
        {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: reason.to_string(),
            });
            continue;
        }
        // Proxy-Authorization is for the proxy only: the client attaches it to the proxy
        // (the CONNECT request, or a plain-http request line through the proxy), never to a
        // request an origin could read.
        if name.eq_ignore_ascii_case("proxy-authorization") {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: if proxied {
                    "sent to the proxy only, never to the origin".into()
                } else {
                    "no proxy on this hop: never sent to the origin".into()
                },
            });
            continue;
        }
        let credential = is_sensitive_header(name);
        if credential && let Some(reason) = &credential_reason {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: reason.clone(),
            });
            continue;
        }
        sent.push(Header::new(name, h.value.clone()));
    }
    // What curl sends when the user did not: recorded because it is on the wire.
    if !sent.iter().any(|h| h.name.eq_ignore_ascii_case("accept")) {
        sent.push(Header::new("accept", "*/*"));
    }
    if !sent
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("user-agent"))
    {
        sent.push(Header::new(
            "user-agent",
            concat!("authdoctor/", env!("CARGO_PKG_VERSION")),
        ));
    }
    (sent, dropped)
}

fn to_header_map(headers: &[Header]) -> Result<HeaderMap, NetError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for h in headers {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
            NetError::InvalidRequest(format!("{:?} is not a valid header name", h.name))
        })?;
        // Never echo the value: it may be the credential.
        let value = HeaderValue::from_bytes(h.value.trim().as_bytes()).map_err(|_| {
            NetError::InvalidRequest(format!(
                "the value of header {:?} contains characters not allowed in HTTP (e.g. a newline)",
                h.name
            ))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// Where a redirect leads.
#[derive(Debug, PartialEq)]
pub(crate) struct NextHop {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) keep_body: bool,
}

/// curl -L semantics: 303 → GET (HEAD stays HEAD), 301/302 turn POST into GET, 307/308 keep the
/// method and body. Resending a non-idempotent method needs the user's `-L`.
pub(crate) fn next_hop(
    status: u16,
    method: &Method,
    location: Option<&str>,
    current: &Url,
    follow_redirects: bool,
) -> Option<NextHop> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let next = current.join(location?.trim()).ok()?;
    if !matches!(next.scheme(), "http" | "https") || next.host_str().is_none() {
        return None;
    }
    let (next_method, keep_body) = match status {
        303 if *method != Method::HEAD => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        _ => (method.clone(), true),
    };
    let safe = matches!(
        next_method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !safe && !follow_redirects {
        return None;
    }
    Some(NextHop {
        method: next_method,
        url: next,
        keep_body,
    })
}

// ---------------------------------------------------------------------------------------------
// Error mapping

fn timeout_error(url: &Url, started: Instant) -> NetError {
    NetError::Timeout {
        url: redact_url(url.as_str()),
        after_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// The source chain below reqwest's own message (which would repeat the URL), joined.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// Every error in the chain, including those wrapped inside `io::Error` (whose `source()` skips
/// the wrapped error itself).
fn chain_errors<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        out.push(e);
        let wrapped: Option<&(dyn std::error::Error + 'static)> = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        cur = wrapped.or_else(|| e.source());
    }
    out
}

pub(crate) fn find_rustls_error(err: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    chain_errors(err)
        .into_iter()
        .find_map(|e| e.downcast_ref::<rustls::Error>().cloned())
}

/// The most specific I/O error kind in the chain (outer layers often re-wrap as `Other`).
fn find_io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let kinds: Vec<std::io::ErrorKind> = chain_errors(err)
        .into_iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .collect();
    kinds
        .iter()
        .copied()
        .find(|k| *k == std::io::ErrorKind::TimedOut || io_kind_text(*k).is_some())
        .or_else(|| kinds.first().copied())
}

pub(crate) fn io_kind_text(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset by peer",
        K::ConnectionAborted => "connection aborted",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::AddrNotAvailable => "address not available",
        K::PermissionDenied => "permission denied (firewall or sandbox?)",
        K::UnexpectedEof => "connection closed by the server",
        _ => return None,
    })
}

fn map_reqwest_error(
    err: &reqwest::Error,
    url: &Url,
    proxy: Option<&ProxyChoice>,
    started: Instant,
) -> NetError {
    let host = url.host_str().unwrap_or_default().to_string();
    let addr = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
    if err.is_timeout() || find_io_kind(err) == Some(std::io::ErrorKind::TimedOut) {
        return timeout_error(url, started);
    }
    if let Some(tls) = find_rustls_error(err) {
        return NetError::Tls {
            host,
            reason: crate::tls::describe_rustls_error(&tls),
        };
    }
    let detail = chain_text(err);
    let lower = detail.to_ascii_lowercase();
    let is_dns = lower.contains("dns error") || lower.contains("failed to lookup address");
    if let Some(p) = proxy
        && err.is_connect()
    {
        let reason = match find_io_kind(err).and_then(io_kind_text) {
            Some(t) => t.to_string(),
            None if is_dns => format!("cannot resolve the proxy host: {}", innermost(&detail)),
            None => detail.clone(),
        };
        return NetError::Proxy {
            proxy: p.setting.url.clone(),
            reason,
        };
    }
    if is_dns {
        return NetError::Dns {
            host,
            reason: innermost(&detail),
        };
    }
    if let Some(kind_text) = find_io_kind(err).and_then(io_kind_text)
        && (err.is_connect() || kind_text != "connection closed by the server")
    {
        return NetError::Connect {
            addr,
            reason: kind_text.to_string(),
        };
    }
    if err.is_connect() {
        return NetError::Connect {
            addr,
            reason: innermost(&detail),
        };
    }
    if err.is_builder() {
        return NetError::InvalidRequest(detail);
    }
    NetError::Other(detail)
}

/// The most specific message of a `a: b: c` chain.
fn innermost(detail: &str) -> String {
    detail.rsplit(": ").next().unwrap_or(detail).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| map.get(name).cloned()
    }

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    #[test]
    fn env_proxy_by_scheme() {
        let e = env(&[("HTTPS_PROXY", "http://p:3128"), ("http_proxy", "q:8080")]);
        let p = proxy_from_env_with(&u("https://api.example.com/x"), &e).expect("proxy");
        assert_eq!(p.url, "http://p:3128");
        assert_eq!(p.env_var.as_deref(), Some("HTTPS_PROXY"));
        assert_eq!(p.source, ProxySource::Env);
        let p = proxy_from_env_with(&u("http://api.example.com/x"), &e).expect("proxy");
        assert_eq!(p.url, "http://q:8080");
        assert_eq!(p.env_var.as_deref(), Some("http_proxy"));
    }

    #[test]
    fn lowercase_wins_and_all_proxy_falls_back() {
        let e = env(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
        ]);
        assert_eq!(
            proxy_from_env_with(&u("https://h/"), &e).map(|p| p.url),
            Some("http://lower:1".into())
        );
        let e = env(&[("ALL_PROXY", "socks5h://s:1080")]);
        let p = proxy_from_env_with(&u("http://h/"), &e).expect("proxy");
        assert_eq!(p.env_var.as_deref(), Some("ALL_PROXY"));
        assert_eq!(p.url, "socks5h://s:1080");
        let e = env(&[("HTTPS_PROXY", "  ")]);
        assert_eq!(proxy_from_env_with(&u("https://h/"), &e), None);
    }

    #[test]
    fn password_is_redacted() {
        let e = env(&[("HTTPS_PROXY", "http://bob:hunter2@p:3128")]);
        let p = proxy_from_env_with(&u("https://h/"), &e).expect("proxy");
        assert!(!p.url.contains("hunter2"), "{}", p.url);
        assert!(p.url.contains("bob"));
    }

    #[test]
    fn no_proxy_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "http://anything/", true),
            ("example.com", "http://example.com/", true),
            ("example.com", "http://api.example.com/", true),
            (".example.com", "http://api.example.com/", true),
            (".example.com", "http://example.com/", true),
            ("example.com", "http://notexample.com/", false),
            ("localhost", "http://127.0.0.1/", false),
            ("", "http://127.0.0.1/", false),
            ("127.0.0.1", "http://127.0.0.1:8080/", true),
            ("10.0.0.0/8", "http://10.1.2.3/", true),
            ("10.0.0.0/8", "http://11.1.2.3/", false),
            ("::1", "http://[::1]:80/", true),
            ("[::1]:80", "http://[::1]/", true),
            ("example.com:8443", "https://example.com:8443/", true),
            ("example.com:8443", "https://example.com/", false),
            ("a.com, b.com", "http://b.com/", true),
            ("EXAMPLE.COM", "http://Example.com./", true),
        ];
        for (list, url, want) in cases {
            assert_eq!(
                no_proxy_matches(list, &u(url)),
                *want,
                "NO_PROXY={list:?} url={url}"
            );
        }
    }

    #[test]
    fn loopback_is_proxied_unless_exempt() {
        let e = env(&[("http_proxy", "http://p:1")]);
        assert!(proxy_from_env_with(&u("http://127.0.0.1:4200/"), &e).is_some());
        let e = env(&[
            ("http_proxy", "http://p:1"),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ]);
        assert!(proxy_from_env_with(&u("http://127.0.0.1:4200/"), &e).is_none());
        let e = env(&[("http_proxy", "http://p:1"), ("no_proxy", "localhost")]);
        assert!(proxy_from_env_with(&u("http://localhost:4200/"), &e).is_none());
    }

    #[test]
    fn flag_proxy_and_noproxy_flag() {
        let mut spec = RequestSpec {
            method: "GET".into(),
            url: "http://internal.corp/x".into(),
            ..Default::default()
        };
        spec.transport.proxy = Some(ProxySetting {
            url: "http://u:pw@flagproxy:8080".into(),
            source: ProxySource::Flag,
            env_var: None,
        });
        let env = EnvSnapshot::default();
        let c = resolve_proxy(&spec.transport, &u(&spec.url), &env).expect("proxy");
        assert_eq!(c.setting.source, ProxySource::Flag);
        assert!(!c.setting.url.contains(":pw@"));
        assert!(c.real_url.contains(":pw@"));
        spec.transport.no_proxy = Some(".corp".into());
        assert!(resolve_proxy(&spec.transport, &u(&spec.url), &env).is_none());
    }

    #[test]
    fn redirect_rules() {
        let cur = u("http://a/x");
        let get = Method::GET;
        let post = Method::POST;
        let n = next_hop(303, &post, Some("/y"), &cur, false).expect("303");
        assert_eq!(
            (n.method, n.keep_body, n.url.as_str()),
            (Method::GET, false, "http://a/y")
        );
        let n = next_hop(302, &post, Some("/y"), &cur, false).expect("302");
        assert_eq!(n.method, Method::GET);
        assert!(next_hop(307, &post, Some("/y"), &cur, false).is_none());
        let n = next_hop(307, &post, Some("/y"), &cur, true).expect("307 with -L");
        assert_eq!((n.method, n.keep_body), (Method::POST, true));
        assert!(next_hop(308, &get, Some("/y"), &cur, false).is_some());
        assert!(next_hop(301, &Method::PUT, Some("/y"), &cur, false).is_none());
        assert_eq!(
            next_hop(303, &Method::HEAD, Some("/y"), &cur, false).map(|n| n.method),
            Some(Method::HEAD)
        );
        assert!(next_hop(200, &get, Some("/y"), &cur, false).is_none());
        assert!(next_hop(302, &get, None, &cur, false).is_none());
        assert!(next_hop(302, &get, Some("ftp://x/"), &cur, false).is_none());
    }

    fn spec_with_auth(url: &str) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.into(),
            headers: vec![
                Header::new("Authorization", "Bearer abc"),
                Header::new("Cookie", "sid=1"),
                Header::new("Proxy-Authorization", "Basic x"),
                Header::new("X-Trace", "1"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn credentials_follow_origin_rules() {
        let spec = spec_with_auth("http://127.0.0.1:4200/a");
        let orig = u(&spec.url);
        let (sent, dropped) = hop_headers(
            &spec,
            &orig,
            &u("http://127.0.0.1:4200/b"),
            false,
            None,
            false,
        );
        assert!(sent.iter().any(|h| h.name == "Authorization"));
        // Proxy-Authorization never travels as a request header: the proxy gets it itself.
        assert!(!sent.iter().any(|h| h.name == "Proxy-Authorization"));
        assert_eq!(dropped.len(), 1);
        assert_eq!(
            dropped[0].reason,
            "no proxy on this hop: never sent to the origin"
        );
        let (sent, dropped) = hop_headers(
            &spec,
            &orig,
            &u("http://localhost:4200/b"),
            false,
            None,
            true,
        );
        assert!(
            !sent
                .iter()
                .any(|h| h.name == "Authorization" || h.name == "Cookie")
        );
        assert!(!sent.iter().any(|h| h.name == "Proxy-Authorization"));
        assert!(sent.iter().any(|h| h.name == "X-Trace"));
        assert_eq!(dropped.len(), 3);
        assert_eq!(
            dropped[0].reason,
            "origin changed from http://127.0.0.1:4200 to http://localhost:4200"
        );
        assert_eq!(
            dropped[2].reason,
            "sent to the proxy only, never to the origin"
        );

        let mut trusted = spec_with_auth("https://a.example/x");
        trusted.location_trusted = true;
        let orig = u(&trusted.url);
        let (sent, _) = hop_headers(
            &trusted,
            &orig,
            &u("https://b.example/"),
            false,
            None,
            false,
        );
        assert!(sent.iter().any(|h| h.name == "Authorization"));
        let (sent, dropped) =
            hop_headers(&trusted, &orig, &u("http://b.example/"), true, None, false);
        assert!(!sent.iter().any(|h| h.name == "Authorization"));
        assert!(dropped[0].reason.starts_with("https→http downgrade"));
    }

    mod gate_properties {
        use super::*;
        use proptest::prelude::*;

        fn url() -> impl Strategy<Value = String> {
            (
                prop_oneof![Just("http"), Just("https")],
                prop_oneof![
                    Just("127.0.0.1"),
                    Just("localhost"),
                    Just("api.corp.co.uk"),
                    Just("evil.co.uk"),
                    Just("x.herokuapp.com"),
                    Just("y.herokuapp.com"),
                    Just("10.1.2.3"),
                    Just("10.9.2.3"),
                ],
                prop_oneof![
                    Just(None),
                    Just(Some(8080u16)),
                    Just(Some(443)),
                    Just(Some(80))
                ],
            )
                .prop_map(|(s, h, p)| match p {
                    Some(p) => format!("{s}://{h}:{p}/p"),
                    None => format!("{s}://{h}/p"),
                })
        }

        proptest! {
            /// A redirect hop to any origin carries the user's credentials only where the
            /// gate allows: the addressed origin, or any origin with --location-trusted but
            /// never from https to http. Proxy-Authorization never reaches an origin.
            #[test]
            fn hops_carry_credentials_only_where_the_gate_allows(
                from in url(), to in url(), trusted in any::<bool>(), proxied in any::<bool>()
            ) {
                let mut spec = spec_with_auth(&from);
                spec.headers.push(Header::new("X-Api-Key", "k-123456"));
                spec.location_trusted = trusted;
                let (a, b) = (u(&from), u(&to));
                let (sent, _) = hop_headers(&spec, &a, &b, false, None, proxied);
                let leaked = sent.iter().any(|h| {
                    ["authorization", "cookie", "x-api-key"].contains(&h.name.to_ascii_lowercase().as_str())
                });
                let same = Origin::of(&a) == Origin::of(&b);
                let allowed = same || (trusted && !(a.scheme() == "https" && b.scheme() == "http"));
                prop_assert_eq!(leaked, allowed, "{} -> {} trusted={}", from, to, trusted);
                prop_assert!(!sent.iter().any(|h| h.name.eq_ignore_ascii_case("proxy-authorization")));
            }
        }
    }
}
