//! Differential probes: "change one thing and retry", done safely and at the same
//! time as the user's request.
//!
//! [`send_with_probes`] sends the user's request (with its TLS inspection, as
//! [`crate::tls::send_and_inspect`]) and, concurrently, each probe that applies:
//!
//! - `without-credentials`: the same request with every credential removed (Authorization,
//!   cookies, API-key headers, credential query parameters, URL user info). The same answer
//!   means the credential is not reaching, or not being read by, the origin.
//! - `direct`: the same request to the same origin without the proxy (`-x`, `HTTP(S)_PROXY`).
//!   A different answer proves the proxy is involved; over https the server certificate seen
//!   through the proxy is compared with the one seen directly (TLS interception).
//! - `cache-bust`: the same request with `Cache-Control: no-cache` and a unique query
//!   parameter. A different answer proves a cache served the first one.
//! - `ntp`: SNTP against each `--ntp HOST[:PORT]` (offset and round-trip delay, `rsntp`).
//! - `dns`: what the host resolves to, and which configured profiles share those addresses.
//! - `client-certificate`: the `--cert` file read locally (dates, clientAuth, key match).
//!
//! Safety: probes that send the request again run only for GET/HEAD/OPTIONS/TRACE unless
//! `--allow-replay`; a credential only ever goes to the origin the user addressed (the direct
//! probe goes to the same origin without the proxy; redirects follow [`crate::send`]'s dropping
//! rules); the no-credential and cache-bust probes carry a unique query parameter so that a
//! shared cache never stores an anonymous answer under the user's URL. Every probe has its own
//! timeout and every one that ran is returned, with what it changed and what came back.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use authdoctor_core::model::{
    ClientCertInfo, DnsInfo, DnsProfileMatch, Exchange, Header, HeaderList, NtpSample, ProbeResult,
    RequestSpec,
};
use authdoctor_core::secret::{is_sensitive_header, is_sensitive_param, redact_url};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use url::Url;

use crate::send::{self, NetError, SendOptions};
use crate::tls::{self, TlsInspection};

/// Response headers a probe keeps: the ones that tell layers apart.
const SUMMARY_HEADERS: &[&str] = &[
    "www-authenticate",
    "proxy-authenticate",
    "via",
    "x-cache",
    "x-cache-status",
    "cf-cache-status",
    "age",
    "x-client-verify",
    "location",
];

/// The query parameter that makes a probe's URL unique (cache keys).
pub const BUSTER_PARAM: &str = "authdoctor-probe";

/// What to probe, from the CLI.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Run the HTTP and DNS probes (`--no-probes` turns them off; NTP and the local certificate
    /// check still run when asked for).
    pub enabled: bool,
    /// `--allow-replay`: probe non-idempotent requests too.
    pub allow_replay: bool,
    /// `--ntp HOST[:PORT]`, in order.
    pub ntp_servers: Vec<String>,
    /// Each probe's own budget.
    pub timeout: Duration,
    /// The profiles' hosts, for the DNS comparison.
    pub profiles: Option<ProfileHosts>,
    /// Where the requests still under way are listed, for a progress line.
    pub pending: Option<std::sync::Arc<Pending>>,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            enabled: true,
            allow_replay: false,
            ntp_servers: Vec::new(),
            timeout: Duration::from_secs(10),
            profiles: None,
            pending: None,
        }
    }
}

/// The names of the requests still under way (the request, each probe, the issuer fetches), so
/// a caller can say what it is waiting for.
#[derive(Debug, Default)]
pub struct Pending(std::sync::Mutex<Vec<&'static str>>);

impl Pending {
    fn start(&self, name: &'static str) {
        if let Ok(mut v) = self.0.lock() {
            v.push(name);
        }
    }
    fn finish(&self, name: &'static str) {
        if let Ok(mut v) = self.0.lock()
            && let Some(i) = v.iter().position(|n| *n == name)
        {
            v.remove(i);
        }
    }
    /// What is still under way, in the order it started.
    pub fn list(&self) -> Vec<&'static str> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Run `f`, listed as `name` while it runs.
    pub async fn track<F: std::future::Future>(
        pending: Option<&std::sync::Arc<Pending>>,
        name: &'static str,
        f: F,
    ) -> F::Output {
        if let Some(p) = pending {
            p.start(name);
        }
        let out = f.await;
        if let Some(p) = pending {
            p.finish(name);
        }
        out
    }
}

/// The selected profile and the hosts of every other one.
#[derive(Debug, Clone, Default)]
pub struct ProfileHosts {
    pub selected: Option<String>,
    pub environment: Option<String>,
    pub others: Vec<ProfileHost>,
}

#[derive(Debug, Clone)]
pub struct ProfileHost {
    pub profile: String,
    pub environment: Option<String>,
    pub hosts: Vec<String>,
}

/// The user's request and everything the probes found.
#[derive(Debug)]
pub struct Probed {
    pub sent: Result<Vec<Exchange>, NetError>,
    /// The API's OpenAPI/Swagger description of the operation's credentials, when published.
    pub api: Option<authdoctor_core::api_description::ApiDescription>,
    pub inspection: Option<Result<TlsInspection, NetError>>,
    pub probes: Vec<ProbeResult>,
    pub ntp: Vec<NtpSample>,
    pub dns: Option<DnsInfo>,
    pub client_cert: Option<ClientCertInfo>,
}

/// One HTTP probe's raw outcome before it is compared with the user's answer.
struct HttpProbe {
    result: ProbeResult,
    last: Option<Exchange>,
    /// The server certificate's issuer seen without the proxy (direct probe over https).
    direct_issuer: Option<String>,
}

/// Send the request and run every applicable probe concurrently; see the module docs.
pub async fn send_with_probes(spec: &RequestSpec, opts: &SendOptions, p: &ProbeOptions) -> Probed {
    // A pin that cannot be honoured stops everything before a probe sends anything.
    if let Err(e) = send::check_pins(spec) {
        return Probed {
            sent: Err(e),
            api: None,
            inspection: None,
            probes: Vec::new(),
            ntp: Vec::new(),
            dns: None,
            client_cert: None,
        };
    }
    let may_resend = spec.is_idempotent_safe() || p.allow_replay;
    let http = p.enabled && may_resend;
    let has_credential = strip_credentials(spec).is_some();
    let proxy = send::effective_proxy(spec);
    let sigv4 = spec
        .headers
        .all("authorization")
        .iter()
        .any(|v| v.trim_start().starts_with("AWS4-"))
        || url_has_param(&spec.url, "X-Amz-Signature");
    let probe_opts = SendOptions {
        max_hops: opts.max_hops,
        connect_timeout: opts.connect_timeout.min(p.timeout),
        max_time: p.timeout,
    };

    let main = tls::send_and_inspect(spec, opts);
    let without = async {
        if !(http && has_credential) {
            return None;
        }
        let s = strip_credentials(spec)?;
        let s = with_buster(&s, false);
        Some(
            http_probe(
                "without-credentials",
                "every credential removed (Authorization, cookies, API-key headers and parameters)",
                s,
                &probe_opts,
                false,
            )
            .await,
        )
    };
    let direct = async {
        if !(http && proxy.is_some()) {
            return None;
        }
        let mut s = spec.clone();
        s.transport.proxy = None;
        s.transport.no_proxy = Some("*".into());
        let via = proxy
            .as_ref()
            .map(|p| redact_url(&p.url))
            .unwrap_or_default();
        let changed = format!("sent to the same origin without the proxy {via}");
        Some(http_probe("direct", &changed, s, &probe_opts, true).await)
    };
    let cache = async {
        if !http || sigv4 {
            return None;
        }
        Some(
            http_probe(
                "cache-bust",
                "'Cache-Control: no-cache' and a unique query parameter added",
                with_buster(spec, true),
                &probe_opts,
                false,
            )
            .await,
        )
    };
    let ntp = ntp_all(&p.ntp_servers, p.timeout.min(Duration::from_secs(3)));
    let dns = async {
        if !p.enabled {
            return None;
        }
        Some(
            dns_probe(
                &spec.url,
                p.profiles.as_ref(),
                p.timeout.min(Duration::from_secs(3)),
            )
            .await,
        )
    };
    // The API's own description, from the addressed origin only; then, when it puts the
    // credential somewhere else than the request did, the same request with it moved there.
    let described = async {
        if !p.enabled {
            return (None, None);
        }
        let api = api_description(spec, p.timeout.min(Duration::from_secs(3))).await;
        let moved = match &api {
            Some(a) if http && has_credential => moved_probe(spec, a, &probe_opts).await,
            _ => None,
        };
        (api, moved)
    };
    let started = Instant::now();
    let pend = p.pending.as_ref();
    let ((sent, inspection), without, direct, cache, ntp, dns, (api, moved)) = tokio::join!(
        Pending::track(pend, "the request", main),
        Pending::track(pend, "the without-credentials probe", without),
        Pending::track(pend, "the direct probe", direct),
        Pending::track(pend, "the cache-bust probe", cache),
        Pending::track(pend, "NTP", ntp),
        Pending::track(pend, "DNS", dns),
        Pending::track(pend, "the API's description", described)
    );
    let cert_started = Instant::now();
    let client_cert = read_client_cert(spec);

    let last = sent.as_ref().ok().and_then(|x| x.last().cloned());
    let mut probes = Vec::new();
    if !may_resend && p.enabled {
        let mut r = ProbeResult::new(
            "skipped",
            format!(
                "no request was sent again: {} is not idempotent (add --allow-replay to probe it)",
                spec.method
            ),
            "",
        );
        r.verdict = "only GET, HEAD, OPTIONS and TRACE are probed by default".into();
        probes.push(r);
    }
    if let Some(w) = without {
        probes.push(judge_without(w, last.as_ref()));
    }
    if let Some(d) = direct {
        let via_issuer = inspection
            .as_ref()
            .and_then(|i| i.as_ref().ok())
            .and_then(|i| i.info.peer_chain.first().map(|c| c.issuer.clone()));
        let verify_error = inspection
            .as_ref()
            .and_then(|i| i.as_ref().ok())
            .and_then(|i| i.verify_error.clone());
        probes.push(judge_direct(d, last.as_ref(), via_issuer, verify_error));
    }
    if let Some(c) = cache {
        probes.push(judge_cache(c, last.as_ref()));
    }
    if let Some(m) = moved {
        probes.push(judge_moved(m, last.as_ref()));
    }
    if sigv4 && http {
        let mut r = ProbeResult::new(
            "cache-bust",
            "not run: adding a query parameter would invalidate the AWS signature",
            "",
        );
        r.verdict = "skipped".into();
        probes.push(r);
    }
    for s in &ntp {
        probes.push(ntp_result(s));
    }
    if let Some((d, ms)) = &dns {
        probes.push(dns_result(d, *ms));
    }
    if let Some(c) = &client_cert {
        probes.push(cert_result(c, cert_started.elapsed()));
    }
    let _ = started;
    Probed {
        sent,
        api,
        inspection,
        probes,
        ntp,
        dns: dns.map(|(d, _)| d),
        client_cert,
    }
}

/// The API's OpenAPI/Swagger document, from the addressed origin's common paths (no
/// credential sent; the issuer client's caps, timeout and proxy settings), read for the
/// request's operation.
async fn api_description(
    spec: &RequestSpec,
    timeout: Duration,
) -> Option<authdoctor_core::api_description::ApiDescription> {
    use authdoctor_core::api_description::{DOCUMENT_PATHS, parse};
    let url = Url::parse(&spec.url).ok()?;
    let opts = crate::idp::IdpOptions {
        timeout: Some(timeout),
        transport: spec.transport.clone(),
        ..Default::default()
    };
    let client = crate::idp::client(&opts).ok()?;
    let deadline = Instant::now() + timeout;
    for path in DOCUMENT_PATHS {
        let remaining = deadline.checked_duration_since(Instant::now())?;
        let mut doc_url = url.clone();
        doc_url.set_path(path);
        doc_url.set_query(None);
        let Ok(Ok(resp)) =
            tokio::time::timeout(remaining, client.get(doc_url.clone()).send()).await
        else {
            continue;
        };
        if !resp.status().is_success() {
            continue;
        }
        let Ok(body) = crate::idp::read_limited(resp).await else {
            continue;
        };
        if let Some(d) = parse(&body, doc_url.as_str(), &spec.method, url.path()) {
            return Some(d);
        }
    }
    None
}

/// The request with its credential moved to the first place the description names that it
/// was not sent to (same origin, so the outbound gate lets it go).
async fn moved_probe(
    spec: &RequestSpec,
    api: &authdoctor_core::api_description::ApiDescription,
    opts: &SendOptions,
) -> Option<HttpProbe> {
    use authdoctor_core::api_description::{move_credential, sent_places};
    if api.satisfied_by(spec) {
        return None;
    }
    let sent = sent_places(spec);
    let to = api.places.first()?;
    let moved = move_credential(spec, to)?;
    let changed = format!(
        "the credential moved from {} to {}, where the API's description ({}) puts it",
        sent.first().map(|(p, _)| p.describe()).unwrap_or_default(),
        to.describe(),
        redact_url(&api.url)
    );
    Some(
        http_probe(
            "moved-credential",
            &changed,
            with_buster(&moved, false),
            opts,
            false,
        )
        .await,
    )
}

fn judge_moved(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
    let mut r = p.result;
    match (&p.last, main) {
        (Some(x), Some(m)) => {
            r.differs = Some(x.status != m.status);
            r.verdict = if (200..300).contains(&x.status) {
                format!(
                    "answered {} with the credential where the API's description puts it: that is where the API reads it",
                    x.status
                )
            } else {
                format!(
                    "answered {} with the credential moved too: the place is not the (only) problem",
                    x.status
                )
            };
        }
        (Some(x), None) => r.verdict = format!("answered {}", x.status),
        _ => no_answer(&mut r),
    }
    r
}

// ---------------------------------------------------------------------------------------------
// HTTP probes

/// The host of a URL, if it parses and has one.
pub fn host_of(url: &str) -> Option<String> {
    Url::parse(url).ok()?.host_str().map(str::to_string)
}

fn url_has_param(url: &str, name: &str) -> bool {
    Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case(name)))
}

/// The request with every credential removed; `None` when it carried none.
fn strip_credentials(spec: &RequestSpec) -> Option<RequestSpec> {
    let mut s = spec.clone();
    let mut removed = false;
    s.headers.retain(|h| {
        let n = h.name.trim().to_ascii_lowercase();
        // Proxy-Authorization is for the proxy, not the origin: it stays.
        let cred = n != "proxy-authorization"
            && (is_sensitive_header(&n)
                || authdoctor_core::secret::API_KEY_HEADERS.contains(&n.as_str())
                // A SigV4 date without its signature is meaningless: it goes with it.
                || n == "x-amz-date");
        removed |= cred;
        !cred
    });
    if s.credential_source.take().is_some() {
        removed = true;
    }
    s.auth_method = Default::default();
    if s.aws_sigv4.take().is_some() {
        removed = true;
    }
    if let Ok(mut u) = Url::parse(&s.url) {
        if !u.username().is_empty() || u.password().is_some() {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            removed = true;
        }
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.iter().any(|(k, _)| is_sensitive_param(k)) {
            removed = true;
            let kept: Vec<_> = pairs
                .iter()
                .filter(|(k, _)| !is_sensitive_param(k))
                .collect();
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
        s.url = u.to_string();
    }
    removed.then_some(s)
}

/// Add a unique query parameter (and, for the cache-bust probe, `Cache-Control: no-cache`).
fn with_buster(spec: &RequestSpec, no_cache: bool) -> RequestSpec {
    let mut s = spec.clone();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    if let Ok(mut u) = Url::parse(&s.url) {
        u.query_pairs_mut()
            .append_pair(BUSTER_PARAM, &format!("{nonce:x}"));
        s.url = u.to_string();
    }
    if no_cache {
        s.headers.retain(|h| {
            !h.name.eq_ignore_ascii_case("cache-control") && !h.name.eq_ignore_ascii_case("pragma")
        });
        s.headers.push(Header::new("Cache-Control", "no-cache"));
        s.headers.push(Header::new("Pragma", "no-cache"));
    }
    s
}

async fn http_probe(
    name: &str,
    changed: &str,
    spec: RequestSpec,
    opts: &SendOptions,
    inspect_direct: bool,
) -> HttpProbe {
    let started = Instant::now();
    // A user's DPoP proof is one-time (RFC 9449 §11.1): a probe that sent it again would be a
    // replay the server may refuse — and then the user's own request. With `--dpop-key` the
    // sender signs a fresh proof per request; without it, the probe goes without one.
    let mut spec = spec;
    let mut changed = changed.to_string();
    if spec.headers.has("dpop") {
        spec.headers
            .retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
        changed.push_str(if spec.dpop_key.is_some() {
            "; a fresh DPoP proof signed with --dpop-key (a proof is one-time)"
        } else {
            "; the DPoP proof left out (a proof is one-time: never sent twice)"
        });
    }
    let mut result = ProbeResult::new(name, changed, redact_url(&spec.url));
    let tls_direct = async {
        let u = Url::parse(&spec.url)
            .ok()
            .filter(|u| u.scheme() == "https")?;
        if !inspect_direct {
            return None;
        }
        tls::inspect(&u, &spec.transport, opts.max_time).await.ok()
    };
    let (sent, insp) = tokio::join!(send::send(&spec, opts), tls_direct);
    result.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let last = match sent {
        Ok(mut hops) => hops.pop(),
        Err(e) => {
            result.error = Some(e.to_string());
            None
        }
    };
    if let Some(x) = &last {
        result.status = Some(x.status);
        result.statement = authdoctor_core::statement::read(x);
        result.headers = x
            .headers
            .iter()
            .filter(|h| SUMMARY_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()))
            .cloned()
            .collect();
    }
    HttpProbe {
        result,
        last,
        direct_issuer: insp.and_then(|i| i.info.peer_chain.first().map(|c| c.issuer.clone())),
    }
}

/// How two answers differ in what matters — the status, the challenges and what the body says
/// went wrong (not raw bytes, which carry timestamps and ids); `None` when they agree.
fn difference(a: &Exchange, b: &Exchange) -> Option<String> {
    let norm = |x: &Exchange| {
        x.headers
            .all("www-authenticate")
            .iter()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    if a.status != b.status {
        return Some(format!("status {} vs {}", a.status, b.status));
    }
    if norm(a) != norm(b) {
        return Some("the challenge differs".into());
    }
    let (sa, sb) = (
        authdoctor_core::statement::read(a),
        authdoctor_core::statement::read(b),
    );
    match (&sa, &sb) {
        (Some(x), Some(y)) if x.said != y.said => Some(format!(
            "the server says {:?} ({}) here and {:?} ({}) there",
            x.words,
            x.said.name(),
            y.words,
            y.said.name()
        )),
        _ => None,
    }
}

fn no_answer(r: &mut ProbeResult) {
    r.verdict = format!(
        "no answer ({}): nothing to compare",
        r.error.clone().unwrap_or_else(|| "error".into())
    );
}

fn judge_without(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
    let mut r = p.result;
    match (&p.last, main) {
        (Some(x), Some(m)) => {
            let diff = difference(x, m);
            r.differs = Some(diff.is_some());
            r.verdict = match diff {
                None => format!(
                    "the same answer ({}) without the credential: it is not reaching, or not being read by, the origin",
                    x.status
                ),
                Some(d) => format!(
                    "a different answer without the credential ({d}): the origin reads the credential you sent"
                ),
            };
        }
        (Some(x), None) => {
            r.verdict = format!("answered {}; the request itself got no answer", x.status)
        }
        _ => no_answer(&mut r),
    }
    r
}

fn judge_direct(
    p: HttpProbe,
    main: Option<&Exchange>,
    via_issuer: Option<String>,
    verify_error: Option<String>,
) -> ProbeResult {
    let mut r = p.result;
    match (&p.last, main) {
        (Some(x), Some(m)) => {
            let diff = difference(x, m);
            r.differs = Some(diff.is_some());
            r.verdict = match diff {
                None => format!(
                    "the same answer ({}) without the proxy: the proxy is not what changes it",
                    x.status
                ),
                Some(d) => format!(
                    "without the proxy the answer is {}, through it {} ({d}): the proxy changes the answer",
                    x.status, m.status
                ),
            };
        }
        (Some(x), None) => {
            r.differs = Some(true);
            r.verdict = format!(
                "without the proxy the server answers {}; through the proxy the request got no answer",
                x.status
            );
        }
        _ => no_answer(&mut r),
    }
    if let (Some(direct), Some(via)) = (&p.direct_issuer, &via_issuer)
        && direct != via
    {
        r.differs = Some(true);
        r.verdict.push_str(&format!(
            "; TLS interception: through the proxy the server certificate is issued by {via}{}, directly by {direct}",
            verify_error
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ));
    }
    r
}

fn judge_cache(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
    let mut r = p.result;
    match (&p.last, main) {
        (Some(x), Some(m)) => {
            let diff = difference(x, m);
            r.differs = Some(diff.is_some());
            r.verdict = match diff {
                None => format!(
                    "past any cache the origin gives the same answer ({}): not a cache problem",
                    x.status
                ),
                Some(d) => format!(
                    "past the cache the answer is {} (the one you got: {}; {d}): the first answer came from a cache",
                    x.status, m.status
                ),
            };
        }
        (Some(x), None) => r.verdict = format!("answered {}", x.status),
        _ => no_answer(&mut r),
    }
    r
}

// ---------------------------------------------------------------------------------------------
// NTP

/// `host`, `host:port`, `[v6]:port` → host and port (default 123).
fn split_host_port(s: &str) -> (String, u16) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        let port = p.trim_start_matches(':').parse().unwrap_or(123);
        return (h.to_string(), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().unwrap_or(123)),
        _ => (s.to_string(), 123),
    }
}

async fn ntp_one(server: String, timeout: Duration) -> NtpSample {
    let mut sample = NtpSample {
        server: server.clone(),
        offset_seconds: None,
        delay_ms: None,
        stratum: None,
        error: None,
    };
    let (host, port) = split_host_port(&server);
    let addr =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(mut a)) => a.next(),
            Ok(Err(e)) => {
                sample.error = Some(format!("cannot resolve {host}: {e}"));
                return sample;
            }
            Err(_) => {
                sample.error = Some(format!("cannot resolve {host}: timed out"));
                return sample;
            }
        };
    let Some(addr) = addr else {
        sample.error = Some(format!("{host} has no address"));
        return sample;
    };
    let bind: SocketAddr = match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => SocketAddr::from(([127, 0, 0, 1], 0)),
        IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        IpAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)),
    };
    let config = rsntp::Config::default().bind_address(bind).timeout(timeout);
    let client = rsntp::AsyncSntpClient::with_config(config);
    match client.synchronize(addr).await {
        Ok(r) => {
            sample.offset_seconds = Some(r.clock_offset().as_secs_f64());
            sample.delay_ms = Some(r.round_trip_delay().as_secs_f64() * 1000.0);
            sample.stratum = Some(r.stratum());
        }
        Err(e) => sample.error = Some(e.to_string()),
    }
    sample
}

/// Query every server concurrently.
async fn ntp_all(servers: &[String], timeout: Duration) -> Vec<NtpSample> {
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in servers.iter().enumerate() {
        let s = s.clone();
        set.spawn(async move { (i, ntp_one(s, timeout).await) });
    }
    let mut out: Vec<(usize, NtpSample)> = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(x) = r {
            out.push(x);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

fn ntp_result(s: &NtpSample) -> ProbeResult {
    let mut r = ProbeResult::new("ntp", format!("SNTP query to {}", s.server), "");
    r.elapsed_ms = s.delay_ms.unwrap_or(0.0);
    match s.offset_seconds {
        Some(o) => {
            r.verdict = format!(
                "NTP time minus local time {o:+.3} s (the local clock is {}), round trip {:.1} ms, stratum {}",
                if o.abs() < 1.0 {
                    "in step".to_string()
                } else if o > 0.0 {
                    format!("{o:.0} s behind")
                } else {
                    format!("{:.0} s ahead", -o)
                },
                s.delay_ms.unwrap_or(0.0),
                s.stratum.unwrap_or(0)
            );
        }
        None => {
            r.error = s.error.clone();
            r.verdict = "no answer".into();
        }
    }
    r
}

// ---------------------------------------------------------------------------------------------
// DNS

fn in_hosts_file(host: &str) -> bool {
    std::fs::read_to_string("/etc/hosts").is_ok_and(|t| {
        t.lines().any(|l| {
            let l = l.split('#').next().unwrap_or("");
            l.split_whitespace()
                .skip(1)
                .any(|n| n.eq_ignore_ascii_case(host))
        })
    })
}

async fn resolve(host: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(timeout, tokio::net::lookup_host((h, 0))).await {
        Ok(Ok(addrs)) => {
            let set: BTreeSet<String> = addrs.map(|a| a.ip().to_string()).collect();
            Ok(set.into_iter().collect())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Resolve the request's host and the other profiles' hosts, all at once.
async fn dns_probe(
    url: &str,
    profiles: Option<&ProfileHosts>,
    timeout: Duration,
) -> (DnsInfo, f64) {
    let started = Instant::now();
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let mut info = DnsInfo {
        host: host.clone(),
        hosts_file: in_hosts_file(&host),
        profile: profiles.and_then(|p| p.selected.clone()),
        environment: profiles.and_then(|p| p.environment.clone()),
        ..Default::default()
    };
    let mut set = tokio::task::JoinSet::new();
    let mut others: Vec<(String, Option<String>, String)> = Vec::new();
    if let Some(p) = profiles {
        for o in &p.others {
            for h in &o.hosts {
                if !h.eq_ignore_ascii_case(&host) && others.len() < 16 {
                    others.push((o.profile.clone(), o.environment.clone(), h.clone()));
                }
            }
        }
    }
    {
        let h = host.clone();
        set.spawn(async move { (usize::MAX, resolve(&h, timeout).await) });
    }
    for (i, (_, _, h)) in others.iter().enumerate() {
        let h = h.clone();
        set.spawn(async move { (i, resolve(&h, timeout).await) });
    }
    let mut resolved: Vec<Option<Vec<String>>> = vec![None; others.len()];
    while let Some(r) = set.join_next().await {
        let Ok((i, res)) = r else { continue };
        if i == usize::MAX {
            match res {
                Ok(a) => info.addresses = a,
                Err(e) => info.error = Some(e),
            }
        } else if let (Some(slot), Ok(a)) = (resolved.get_mut(i), res) {
            *slot = Some(a);
        }
    }
    for ((profile, environment, h), addrs) in others.into_iter().zip(resolved) {
        let Some(addrs) = addrs else { continue };
        let shared: Vec<String> = addrs
            .into_iter()
            .filter(|a| info.addresses.contains(a))
            .collect();
        if !shared.is_empty() {
            info.matches.push(DnsProfileMatch {
                profile,
                environment,
                host: h,
                shared,
            });
        }
    }
    (info, started.elapsed().as_secs_f64() * 1000.0)
}

fn dns_result(d: &DnsInfo, ms: f64) -> ProbeResult {
    let mut r = ProbeResult::new("dns", format!("resolved {}", d.host), "");
    r.elapsed_ms = ms;
    r.error = d.error.clone();
    let mut v = if d.addresses.is_empty() {
        "no addresses".to_string()
    } else {
        format!(
            "{} → {}{}",
            d.host,
            d.addresses.join(", "),
            if d.hosts_file {
                " (pinned in /etc/hosts)"
            } else {
                ""
            }
        )
    };
    if let Some(p) = &d.profile {
        v.push_str(&format!(
            "; profile {p} ({})",
            d.environment.as_deref().unwrap_or("no environment label")
        ));
    }
    for m in &d.matches {
        v.push_str(&format!(
            "; shares {} with profile {} ({}) host {}",
            m.shared.join(", "),
            m.profile,
            m.environment.as_deref().unwrap_or("no environment label"),
            m.host
        ));
    }
    r.differs = Some(
        d.matches
            .iter()
            .any(|m| m.environment.is_some() && m.environment != d.environment),
    );
    r.verdict = v;
    r
}

// ---------------------------------------------------------------------------------------------
// Client certificate (local)

/// The EKU purposes of a certificate, by name.
fn purposes(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut v = Vec::new();
    if eku.any {
        v.push("any".to_string());
    }
    if eku.server_auth {
        v.push("serverAuth".to_string());
    }
    if eku.client_auth {
        v.push("clientAuth".to_string());
    }
    if eku.code_signing {
        v.push("codeSigning".to_string());
    }
    if eku.email_protection {
        v.push("emailProtection".to_string());
    }
    for o in &eku.other {
        v.push(o.to_id_string());
    }
    v
}

/// Read `--cert` (and `--key`): dates, issuer, clientAuth, whether the key belongs to it.
pub fn read_client_cert(spec: &RequestSpec) -> Option<ClientCertInfo> {
    let path = spec.transport.cert.as_ref()?;
    let mut info = ClientCertInfo {
        file: path.clone(),
        ..Default::default()
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            info.error = Some(format!("cannot read {path}: {e}"));
            return Some(info);
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    let Some(leaf) = certs.first() else {
        info.error = Some(format!("{path}: no PEM certificate found"));
        return Some(info);
    };
    match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, c)) => {
            info.subject = Some(c.subject().to_string());
            info.issuer = Some(c.issuer().to_string());
            info.not_before = Some(c.validity().not_before.timestamp());
            info.not_after = Some(c.validity().not_after.timestamp());
            if let Ok(Some(eku)) = c.extended_key_usage() {
                info.purposes = purposes(eku.value);
                info.client_auth = Some(eku.value.client_auth || eku.value.any);
            }
        }
        Err(e) => {
            info.error = Some(format!("{path}: not an X.509 certificate ({e})"));
            return Some(info);
        }
    }
    let key_bytes = match &spec.transport.key {
        Some(k) => std::fs::read(k).ok(),
        None => Some(bytes.clone()),
    };
    if let Some(kb) = key_bytes
        && let Ok(key) = PrivateKeyDer::from_pem_slice(&kb)
    {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        if let Ok(signing) = provider.key_provider.load_private_key(key) {
            let ck = rustls::sign::CertifiedKey::new(certs.clone(), signing);
            info.key_matches = match ck.keys_match() {
                Ok(()) => Some(true),
                Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                    Some(false)
                }
                Err(_) => None,
            };
        }
    }
    Some(info)
}

fn cert_result(c: &ClientCertInfo, took: Duration) -> ProbeResult {
    let mut r = ProbeResult::new("client-certificate", format!("read --cert {}", c.file), "");
    r.elapsed_ms = took.as_secs_f64() * 1000.0;
    r.error = c.error.clone();
    let now = authdoctor_core::time::now_unix();
    let mut problems = Vec::new();
    if c.not_after.is_some_and(|t| t <= now) {
        problems.push("expired");
    }
    if c.not_before.is_some_and(|t| t > now) {
        problems.push("not yet valid");
    }
    if c.client_auth == Some(false) {
        problems.push("no clientAuth purpose");
    }
    if c.key_matches == Some(false) {
        problems.push("--key does not match");
    }
    r.differs = Some(!problems.is_empty());
    r.verdict = format!(
        "{} issued by {}, valid {} to {}{}{}",
        c.subject.as_deref().unwrap_or("?"),
        c.issuer.as_deref().unwrap_or("?"),
        c.not_before
            .map(authdoctor_core::time::format_unix)
            .unwrap_or_default(),
        c.not_after
            .map(authdoctor_core::time::format_unix)
            .unwrap_or_default(),
        if c.purposes.is_empty() {
            String::new()
        } else {
            format!(", EKU {}", c.purposes.join(","))
        },
        if problems.is_empty() {
            String::new()
        } else {
            format!(" — {}", problems.join(", "))
        }
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, headers: &[(&str, &str)]) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.into(),
            headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn strips_every_credential() {
        let s = spec(
            "https://u:p@api.example.com/x?access_token=abc&page=2",
            &[
                ("Authorization", "Bearer abc"),
                ("X-Api-Key", "k"),
                ("Cookie", "sid=1"),
                ("Accept", "*/*"),
            ],
        );
        let out = strip_credentials(&s).unwrap();
        assert_eq!(out.headers.len(), 1);
        assert_eq!(out.url, "https://api.example.com/x?page=2");
        assert!(strip_credentials(&spec("https://a/", &[("Accept", "x")])).is_none());
    }

    #[test]
    fn buster_is_unique_and_no_cache() {
        let s = with_buster(&spec("http://a/x?q=1", &[]), true);
        assert!(s.url.contains("q=1&authdoctor-probe="), "{}", s.url);
        assert_eq!(s.headers.first("cache-control"), Some("no-cache"));
    }

    #[test]
    fn host_port_forms() {
        assert_eq!(
            split_host_port("pool.ntp.org"),
            ("pool.ntp.org".into(), 123)
        );
        assert_eq!(
            split_host_port("127.0.0.1:14123"),
            ("127.0.0.1".into(), 14123)
        );
        assert_eq!(split_host_port("[::1]:5"), ("::1".into(), 5));
        assert_eq!(split_host_port("::1"), ("::1".into(), 123));
    }
}
