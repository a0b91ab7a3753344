//! The HTTP probes: the request sent again with one thing changed (no credentials, no proxy,
//! past the cache, the credential where the API's description puts it), each judged against
//! the user's answer; and the API description they read.

use std::time::{Duration, Instant};

use authdoctor_core::model::{Exchange, Header, HeaderList, ProbeKind, ProbeResult, RequestSpec};
use authdoctor_core::secret::{is_sensitive_header, is_sensitive_param, redact_url};
use url::Url;

use super::BUSTER_PARAM;
use crate::send::{self, SendOptions};
use crate::tls;

/// One HTTP probe's raw outcome before it is compared with the user's answer.
pub(super) struct HttpProbe {
    pub(super) result: ProbeResult,
    pub(super) last: Option<Exchange>,
    /// The server certificate's issuer seen without the proxy (direct probe over https).
    pub(super) direct_issuer: Option<String>,
}

/// Response headers a probe keeps: the ones that tell layers apart.
pub(super) const SUMMARY_HEADERS: &[&str] = &[
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

pub(super) async fn api_description(
    spec: &RequestSpec,
    timeout: Duration,
) -> Option<authdoctor_core::api_description::ApiDescription> {
    use authdoctor_core::api_description::{DOCUMENT_PATHS, parse};
    let url = spec.url.clone();
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
pub(super) async fn moved_probe(
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
            ProbeKind::MovedCredential,
            &changed,
            with_buster(&moved, false),
            opts,
            false,
        )
        .await,
    )
}

pub(super) fn judge_moved(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
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

/// The host of a URL, if it parses and has one (the model's one host helper).
pub use authdoctor_core::model::host_of;

pub(super) fn url_has_param(url: &str, name: &str) -> bool {
    Url::parse(url).is_ok_and(|u| u.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case(name)))
}

/// The request with every credential removed; `None` when it carried none.
pub(super) fn strip_credentials(spec: &RequestSpec) -> Option<RequestSpec> {
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
    {
        let u = &mut s.url;
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
    }
    removed.then_some(s)
}

/// Add a unique query parameter (and, for the cache-bust probe, `Cache-Control: no-cache`).
pub(super) fn with_buster(spec: &RequestSpec, no_cache: bool) -> RequestSpec {
    let mut s = spec.clone();
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    s.url
        .query_pairs_mut()
        .append_pair(BUSTER_PARAM, &format!("{nonce:x}"));
    if no_cache {
        s.headers.retain(|h| {
            !h.name.eq_ignore_ascii_case("cache-control") && !h.name.eq_ignore_ascii_case("pragma")
        });
        s.headers.push(Header::new("Cache-Control", "no-cache"));
        s.headers.push(Header::new("Pragma", "no-cache"));
    }
    s
}

pub(super) async fn http_probe(
    name: ProbeKind,
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
    let mut result = ProbeResult::new(name, changed, redact_url(spec.url.as_str()));
    let tls_direct = async {
        let u = Some(spec.url.clone()).filter(|u| u.scheme() == "https")?;
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
pub(super) fn difference(a: &Exchange, b: &Exchange) -> Option<String> {
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

pub(super) fn no_answer(r: &mut ProbeResult) {
    r.verdict = format!(
        "no answer ({}): nothing to compare",
        r.error.clone().unwrap_or_else(|| "error".into())
    );
}

pub(super) fn judge_without(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
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

pub(super) fn judge_direct(
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

pub(super) fn judge_cache(p: HttpProbe, main: Option<&Exchange>) -> ProbeResult {
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
