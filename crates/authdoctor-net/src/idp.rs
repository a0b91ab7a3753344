//! Identity-provider fetches for the diagnosis, all concurrent with the main request and each
//! bounded by a timeout: issuer discovery (`/.well-known/openid-configuration`, then RFC 8414's
//! `/.well-known/oauth-authorization-server`), the JWKS (fetched once more when the token's
//! `kid` is not in it: key rotation), other issuers' JWKS (to recognise a token from another
//! issuer or environment), RFC 9728 protected-resource metadata, and RFC 7662 introspection
//! with the profile's credentials.
//!
//! Discovery, JWKS and metadata are cached on disk under `$XDG_CACHE_HOME/authdoctor/idp/`
//! (else `~/.cache/authdoctor/idp/`), honouring `Cache-Control: max-age/no-store/no-cache` and
//! revalidating with `ETag`. Plain-http issuers are fetched only on loopback or with
//! `allow_http` (`--allow-http-issuer`). Nothing here sends the user's credential anywhere but
//! the introspection endpoint of the issuer the profile names.

use authdoctor_core::idp::discovery::{self, AsMetadataFetch, MetadataSource};
use authdoctor_core::idp::{FetchRecord, Introspection, IssuerRaw, RawIdp, model};
use authdoctor_core::jose::Jwks;
use authdoctor_core::secret::Secret;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Introspection request: the token and the resource server's client credentials. They are
/// sent only to the introspection endpoint of `issuer` (the profile's), never to an issuer
/// named by the token itself.
#[derive(Clone)]
pub struct IntrospectRequest {
    /// The issuer whose introspection endpoint may receive the credentials.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub token: Secret,
}

impl std::fmt::Debug for IntrospectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "IntrospectRequest {{ client_id: {:?}, .. }}",
            self.client_id
        )
    }
}

/// What to fetch.
#[derive(Debug, Clone, Default)]
pub struct IdpOptions {
    /// (issuer URL, why it was chosen).
    pub issuer: Option<(String, String)>,
    /// Other issuers to consult for an unknown kid: (URL, why).
    pub others: Vec<(String, String)>,
    /// The token's kid: triggers the JWKS refetch when absent from the first fetch.
    pub kid: Option<String>,
    pub allow_http: bool,
    pub timeout: Option<Duration>,
    /// None: the default XDG cache dir. `Some(None)`-like disabling is `no_cache`.
    pub cache_dir: Option<PathBuf>,
    pub no_cache: bool,
    pub introspect: Option<IntrospectRequest>,
    /// The request's URL: RFC 9728 well-known metadata is looked up on its origin.
    pub request_url: Option<String>,
    /// The request's transport options: its proxy settings apply to these fetches.
    pub transport: authdoctor_core::model::TransportOptions,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest metadata, JWKS or introspection answer read: an issuer URL can come from an
/// unverified token, and its server must not be able to fill our memory.
pub const DOC_CAP: usize = 1024 * 1024;

/// The body, or an error once it passes [`DOC_CAP`].
pub(crate) async fn read_limited(resp: reqwest::Response) -> Result<Vec<u8>, String> {
    use http_body_util::{BodyExt, Limited};
    Limited::new(reqwest::Body::from(resp), DOC_CAP)
        .collect()
        .await
        .map(|c| c.to_bytes().to_vec())
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                format!("answer larger than {} KiB: not read", DOC_CAP / 1024)
            } else {
                e.to_string()
            }
        })
}

/// The user's proxy settings (`-x`, `--noproxy`, the environment) apply to issuer fetches too:
/// where the request goes through a proxy, so do they.
pub(crate) fn client(opts: &IdpOptions) -> Result<reqwest::Client, String> {
    let transport = opts.transport.clone();
    let env = crate::proxy::EnvSnapshot::capture();
    let proxy = reqwest::Proxy::custom(move |u: &url::Url| {
        crate::proxy::resolve_proxy(&transport, u, &env)
            .and_then(|c| url::Url::parse(&c.real_url).ok())
    });
    reqwest::Client::builder()
        .timeout(opts.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("authdoctor/", env!("CARGO_PKG_VERSION")))
        .no_proxy()
        .proxy(proxy)
        .build()
        .map_err(|e| e.to_string())
}

fn is_loopback(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// May this URL be fetched? https always; http only on loopback or when allowed.
pub fn allowed(url: &str, allow_http: bool) -> Result<url::Url, String> {
    let u = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    match u.scheme() {
        "https" => Ok(u),
        "http" if allow_http || is_loopback(&u) => Ok(u),
        "http" => Err(format!(
            "{url} is plain http and not on loopback: not fetched (add --allow-http-issuer to allow it)"
        )),
        s => Err(format!("{url}: scheme {s} is not fetched")),
    }
}

fn cache_dir(opts: &IdpOptions) -> Option<PathBuf> {
    if opts.no_cache {
        return None;
    }
    if let Some(d) = &opts.cache_dir {
        return Some(d.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("authdoctor").join("idp"))
}

fn now() -> i64 {
    authdoctor_core::time::now_unix()
}

fn cache_path(dir: &std::path::Path, url: &str) -> PathBuf {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
    let hex: String = d.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    dir.join(format!("{hex}.json"))
}

/// `Cache-Control` → seconds it may be reused without asking (0: revalidate; None: no-store).
fn max_age(h: &reqwest::header::HeaderMap) -> Option<i64> {
    let cc = h
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if cc.contains("no-store") {
        return None;
    }
    if cc.contains("no-cache") {
        return Some(0);
    }
    Some(
        cc.split(',')
            .filter_map(|d| d.trim().strip_prefix("max-age="))
            .find_map(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0),
    )
}

/// GET a JSON document, through the disk cache unless `fresh` (a forced refetch).
async fn get(
    c: &reqwest::Client,
    opts: &IdpOptions,
    what: &str,
    url: &str,
    fresh: bool,
) -> (FetchRecord, Result<Vec<u8>, String>) {
    let t0 = Instant::now();
    let mut rec = FetchRecord {
        what: what.into(),
        url: url.into(),
        status: None,
        from_cache: false,
        elapsed_ms: 0.0,
        error: None,
    };
    let done = |mut rec: FetchRecord, r: Result<Vec<u8>, String>| {
        rec.elapsed_ms = t0.elapsed().as_secs_f64() * 1000.0;
        if let Err(e) = &r {
            rec.error = Some(e.clone());
        }
        (rec, r)
    };
    let u = match allowed(url, opts.allow_http) {
        Ok(u) => u,
        Err(e) => return done(rec, Err(e)),
    };
    let dir = cache_dir(opts);
    let cached: Option<serde_json::Value> = dir
        .as_ref()
        .and_then(|d| std::fs::read(cache_path(d, url)).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    let body_of = |v: &serde_json::Value| v["body"].as_str().map(|s| s.as_bytes().to_vec());
    if !fresh
        && let Some(v) = &cached
        && v["url"] == url
        && v["expires"].as_i64().is_some_and(|e| e > now())
        && let Some(b) = body_of(v)
    {
        rec.from_cache = true;
        rec.status = Some(200);
        return done(rec, Ok(b));
    }
    let mut req = c.get(u).header("accept", "application/json");
    if !fresh && let Some(etag) = cached.as_ref().and_then(|v| v["etag"].as_str()) {
        req = req.header("if-none-match", etag);
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else {
                e.to_string()
            };
            return done(rec, Err(format!("GET {url}: {why}")));
        }
    };
    let status = resp.status().as_u16();
    rec.status = Some(status);
    let headers = resp.headers().clone();
    if status == 304
        && let Some(b) = cached.as_ref().and_then(body_of)
    {
        rec.from_cache = true;
        return done(rec, Ok(b));
    }
    if !(200..300).contains(&status) {
        return done(rec, Err(format!("GET {url}: HTTP {status}")));
    }
    let body = match read_limited(resp).await {
        Ok(b) => b,
        Err(e) => return done(rec, Err(format!("GET {url}: {e}"))),
    };
    if let (Some(d), Some(age), Ok(text)) = (dir, max_age(&headers), std::str::from_utf8(&body)) {
        let entry = serde_json::json!({
            "url": url,
            "stored": now(),
            "expires": now() + age,
            "etag": headers.get("etag").and_then(|v| v.to_str().ok()),
            "body": text,
        });
        // Best effort: a cache that cannot be written only costs a fetch next time.
        if std::fs::create_dir_all(&d).is_ok() {
            let p = cache_path(&d, url);
            let tmp = p.with_extension("tmp");
            if std::fs::write(&tmp, entry.to_string()).is_ok() {
                let _ = std::fs::rename(&tmp, &p);
            }
        }
    }
    done(rec, Ok(body))
}

fn join(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Discovery then JWKS (then the JWKS again if `kid` is missing) for one issuer.
async fn issuer_chain(
    c: &reqwest::Client,
    opts: &IdpOptions,
    issuer: &str,
    source: &str,
    kid: Option<&str>,
    refetch: bool,
) -> IssuerRaw {
    let mut out = IssuerRaw {
        issuer: issuer.into(),
        source: source.into(),
        ..Default::default()
    };
    let mut disc = None;
    // RFC 8414 §3.1 order, OIDC forms included; an issuer that is not a URL still gets one
    // (failing) fetch, so the report says why there is no discovery document.
    let urls = discovery::metadata_urls(issuer);
    let urls = if urls.is_empty() {
        vec![join(issuer, "/.well-known/openid-configuration")]
    } else {
        urls
    };
    for url in urls {
        let (rec, r) = get(c, opts, "discovery", &url, false).await;
        out.fetches.push(rec);
        match r.and_then(|b| model::parse::<model::Discovery>(&b, "the discovery document")) {
            Ok(d) => {
                disc = Some(d);
                break;
            }
            Err(e) => out.discovery_error = Some(e),
        }
    }
    let Some(d) = disc else { return out };
    out.discovery_error = None;
    let Some(jwks_uri) = d.jwks_uri.clone() else {
        out.jwks_error = Some("the discovery document has no jwks_uri".into());
        out.discovery = Some(d);
        return out;
    };
    out.discovery = Some(d);
    out.jwks_uri = Some(jwks_uri.clone());
    let parse =
        |r: Result<Vec<u8>, String>| r.and_then(|b| Jwks::parse(&b).map_err(|e| e.to_string()));
    let (rec, r) = get(c, opts, "jwks", &jwks_uri, false).await;
    out.fetches.push(rec);
    let mut jwks = parse(r);
    if refetch
        && let (Ok(j), Some(k)) = (&jwks, kid)
        && !j.has_kid(k)
    {
        // Unknown kid: the issuer may have rotated keys since the copy we have.
        let (rec, r) = get(c, opts, "jwks-refetch", &jwks_uri, true).await;
        out.fetches.push(rec);
        out.refetched = true;
        if let Ok(j2) = parse(r) {
            jwks = Ok(j2);
        }
    }
    match jwks {
        Ok(j) => {
            out.kids = j.kids();
            out.jwks = Some(j);
        }
        Err(e) => out.jwks_error = Some(e),
    }
    out
}

async fn introspect(
    c: &reqwest::Client,
    opts: &IdpOptions,
    endpoint: &str,
    r: &IntrospectRequest,
) -> (FetchRecord, Result<Introspection, String>) {
    let t0 = Instant::now();
    let mut rec = FetchRecord {
        what: "introspection".into(),
        url: endpoint.into(),
        status: None,
        from_cache: false,
        elapsed_ms: 0.0,
        error: None,
    };
    let res = async {
        let u = allowed(endpoint, opts.allow_http)?;
        // The one place the token and client secret leave their type: the request to the
        // profile issuer's introspection endpoint. Built before the await: the serializer is
        // not Send, and programs gather on any thread.
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", r.token.expose())
            .finish();
        let resp = c
            .post(u)
            .basic_auth(&r.client_id, Some(r.client_secret.expose()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| format!("POST {endpoint}: {e}"))?;
        let status = resp.status().as_u16();
        let body = read_limited(resp)
            .await
            .map_err(|e| format!("POST {endpoint}: {e}"))?;
        Ok::<_, String>((status, body))
    }
    .await;
    rec.elapsed_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let out = match res {
        Ok((status, body)) => {
            rec.status = Some(status);
            if (200..300).contains(&status) {
                model::parse::<Introspection>(&body, "the introspection response")
            } else {
                let detail = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or_default();
                Err(format!("introspection answered HTTP {status} {detail}")
                    .trim()
                    .to_string())
            }
        }
        Err(e) => Err(e),
    };
    if let Err(e) = &out {
        rec.error = Some(e.clone());
    }
    (rec, out)
}

/// The RFC 9728 well-known URL for a resource URL: `/.well-known/oauth-protected-resource`
/// followed by the resource's path (when it has one).
pub fn well_known_metadata_url(request_url: &str) -> Option<String> {
    let u = url::Url::parse(request_url).ok()?;
    let origin = u.origin().ascii_serialization();
    let path = u.path().trim_end_matches('/');
    Some(format!(
        "{origin}/.well-known/oauth-protected-resource{path}"
    ))
}

/// Fetch RFC 9728 metadata from `url` into `raw`.
pub async fn fetch_metadata(raw: &mut RawIdp, opts: &IdpOptions, url: &str) {
    let c = match client(opts) {
        Ok(c) => c,
        Err(e) => {
            raw.notes.push(e);
            return;
        }
    };
    let (rec, r) = get(&c, opts, "resource-metadata", url, false).await;
    raw.metadata_fetch = Some(rec);
    raw.metadata_source = Some(MetadataSource::Challenge);
    match r.and_then(|b| model::parse::<model::ResourceMetadata>(&b, "the resource metadata")) {
        Ok(m) => {
            raw.metadata = Some(m);
            raw.metadata_error = None;
        }
        Err(e) => {
            raw.metadata = None;
            raw.metadata_error = Some(e);
        }
    }
}

/// Fetch the metadata of the first authorization server the resource metadata names, at the
/// URLs clients try, in their order ([`discovery::metadata_urls`]), stopping at the first JSON
/// object. The next link of the discovery chain.
pub async fn fetch_authorization_server(raw: &mut RawIdp, opts: &IdpOptions) {
    let Some(issuer) = raw
        .metadata
        .as_ref()
        .and_then(|m| m.authorization_servers.as_ref())
        .and_then(|a| a.first())
        .cloned()
    else {
        return;
    };
    if raw
        .authorization_server_metadata
        .iter()
        .any(|a| a.issuer == issuer)
    {
        return;
    }
    let c = match client(opts) {
        Ok(c) => c,
        Err(e) => {
            raw.notes.push(e);
            return;
        }
    };
    let mut fetch = AsMetadataFetch {
        issuer: issuer.clone(),
        ..Default::default()
    };
    for url in discovery::metadata_urls(&issuer) {
        let (mut rec, r) = get(&c, opts, "authorization-server-metadata", &url, false).await;
        let doc = r.and_then(|b| {
            serde_json::from_slice::<serde_json::Value>(&b)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|v| {
                    if v.is_object() {
                        Ok(v)
                    } else {
                        Err("not a JSON object".to_string())
                    }
                })
        });
        match doc {
            Ok(v) => {
                fetch.attempts.push(rec);
                fetch.document = Some(v);
                break;
            }
            Err(e) => {
                rec.error.get_or_insert(e);
                let unreachable = rec.status.is_none();
                fetch.attempts.push(rec);
                // A dead host answers no better at the next well-known path.
                if unreachable {
                    break;
                }
            }
        }
    }
    raw.authorization_server_metadata.push(fetch);
}

/// Everything that does not need the main response: the issuer chain (with introspection),
/// other issuers, and the resource's well-known metadata — all at once.
pub async fn gather(opts: &IdpOptions) -> RawIdp {
    // One deadline over the whole chain (discovery → JWKS → refetch, other issuers, metadata,
    // introspection): twice one fetch's timeout, so a dead issuer costs seconds, not minutes.
    let overall = opts.timeout.unwrap_or(DEFAULT_TIMEOUT) * 2;
    match tokio::time::timeout(overall, gather_inner(opts)).await {
        Ok(raw) => raw,
        Err(_) => {
            let mut raw = RawIdp::default();
            raw.notes.push(format!(
                "the issuer and metadata fetches did not finish within {} s: left out",
                overall.as_secs()
            ));
            raw
        }
    }
}

async fn gather_inner(opts: &IdpOptions) -> RawIdp {
    let mut raw = RawIdp::default();
    let c = match client(opts) {
        Ok(c) => c,
        Err(e) => {
            raw.notes
                .push(format!("no HTTP client for issuer fetches: {e}"));
            return raw;
        }
    };
    let primary = async {
        let (iss, why) = opts.issuer.as_ref()?;
        let p = issuer_chain(&c, opts, iss, why, opts.kid.as_deref(), true).await;
        let mut intro = None;
        if let Some(r) = &opts.introspect
            && r.issuer.trim_end_matches('/') == p.issuer.trim_end_matches('/')
            && let Some(ep) = p
                .discovery
                .as_ref()
                .and_then(|d| d.introspection_endpoint.clone())
        {
            intro = Some(introspect(&c, opts, &ep, r).await);
        }
        Some((p, intro))
    };
    let others = futures_join_all(
        opts.others
            .iter()
            .map(|(u, why)| issuer_chain(&c, opts, u, why, None, false)),
    );
    let meta_url = opts
        .request_url
        .as_deref()
        .and_then(well_known_metadata_url);
    let metadata = async {
        match &meta_url {
            Some(u) => Some(get(&c, opts, "resource-metadata", u, false).await),
            None => None,
        }
    };
    let (p, others, meta) = tokio::join!(primary, others, metadata);
    if let Some((p, intro)) = p {
        if let Some(r) = &opts.introspect
            && intro.is_none()
        {
            raw.notes.push(
                if r.issuer.trim_end_matches('/') != p.issuer.trim_end_matches('/') {
                    format!(
                        "introspection skipped: the token's issuer {} is not the profile's {} (its credentials go to the profile's issuer only)",
                        p.issuer, r.issuer
                    )
                } else {
                    format!(
                        "{} publishes no introspection_endpoint: revocation not checked",
                        p.issuer
                    )
                },
            );
        }
        if let Some((rec, r)) = intro {
            raw.introspection_fetch = Some(rec);
            match r {
                Ok(i) => raw.introspection = Some(i),
                Err(e) => raw.introspection_error = Some(e),
            }
        }
        raw.primary = Some(p);
    }
    raw.others = others;
    if let Some((rec, r)) = meta {
        // A 404 here only means the resource publishes no metadata: not an error to report.
        let ok =
            r.and_then(|b| model::parse::<model::ResourceMetadata>(&b, "the resource metadata"));
        if let Ok(m) = ok {
            raw.metadata = Some(m);
            raw.metadata_fetch = Some(rec);
            raw.metadata_source = Some(MetadataSource::WellKnown);
        } else {
            raw.notes.push(format!(
                "no RFC 9728 metadata at {} ({})",
                rec.url,
                rec.error.clone().unwrap_or_else(|| "unreadable".into())
            ));
        }
    }
    raw
}

/// Run futures concurrently and collect their outputs in order (no extra crate needed).
async fn futures_join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futs {
        set.push(Box::pin(f));
    }
    // Poll every future on each wake-up, so they all make progress at once.
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    let mut done: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        done[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_on_loopback() {
        assert!(allowed("http://127.0.0.1:1/x", false).is_ok());
        assert!(allowed("http://localhost:1/x", false).is_ok());
        assert!(allowed("http://id.example.com/", false).is_err());
        assert!(allowed("http://id.example.com/", true).is_ok());
        assert!(allowed("https://id.example.com/", false).is_ok());
    }

    #[test]
    fn well_known_url() {
        assert_eq!(
            well_known_metadata_url("http://localhost:4700/mcp").as_deref(),
            Some("http://localhost:4700/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(
            well_known_metadata_url("https://a.example/").as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource")
        );
    }
}
