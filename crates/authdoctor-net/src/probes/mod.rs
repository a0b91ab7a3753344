//! Differential probes: "change one thing and retry", done safely and at the same
//! time as the user's request.
//!
//! [`send_with_probes`] sends the user's request (with its TLS inspection, as
//! [`crate::send::send_and_inspect`]) and, concurrently, each probe that applies:
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

use std::time::{Duration, Instant};

use authdoctor_core::model::{
    ClientCertInfo, DnsInfo, Exchange, HeaderList, NtpSample, ProbeKind, ProbeResult, RequestSpec,
};
use authdoctor_core::secret::redact_url;
use url::Url;

use crate::send::{self, NetError, SendOptions};
use crate::tls::{self, TlsInspection};

mod cert;
mod dns;
mod http;
mod ntp;

use cert::cert_result;
pub use cert::read_client_cert;
use dns::{dns_probe, dns_result};
pub use http::host_of;
use http::{
    api_description, http_probe, judge_cache, judge_direct, judge_moved, judge_without,
    moved_probe, strip_credentials, url_has_param, with_buster,
};
use ntp::{ntp_all, ntp_result};

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

/// Send the request and run every applicable probe concurrently; see the module docs.
pub async fn send_with_probes(spec: &RequestSpec, opts: &SendOptions, p: &ProbeOptions) -> Probed {
    probe(spec, opts, p, None).await
}

/// [`send_with_probes`], or, when `observed` holds the answer the caller already received, the
/// probes (and the TLS inspection) around that answer without sending the request again.
pub async fn probe(
    spec: &RequestSpec,
    opts: &SendOptions,
    p: &ProbeOptions,
    observed: Option<Vec<Exchange>>,
) -> Probed {
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
        || url_has_param(spec.url.as_str(), "X-Amz-Signature");
    let probe_opts = SendOptions {
        max_hops: opts.max_hops,
        connect_timeout: opts.connect_timeout.min(p.timeout),
        max_time: p.timeout,
    };

    let main = async {
        match observed {
            Some(mut x) => {
                let inspection = observed_inspection(spec, opts).await;
                if let Some(Ok(i)) = &inspection {
                    send::attach_tls(&mut x, spec.url.as_str(), &i.info);
                }
                (Ok(x), inspection)
            }
            None => send::send_and_inspect(spec, opts).await,
        }
    };
    let without = async {
        if !(http && has_credential) {
            return None;
        }
        let s = strip_credentials(spec)?;
        let s = with_buster(&s, false);
        Some(
            http_probe(
                ProbeKind::WithoutCredentials,
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
        Some(http_probe(ProbeKind::Direct, &changed, s, &probe_opts, true).await)
    };
    let cache = async {
        if !http || sigv4 {
            return None;
        }
        Some(
            http_probe(
                ProbeKind::CacheBust,
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
                spec.url.as_str(),
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
            ProbeKind::Skipped,
            format!(
                "no request was sent again: {} is not a safe method (add --allow-replay to probe it)",
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
            ProbeKind::CacheBust,
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

/// The TLS inspection of an `https://` request whose answer was observed, not sent here.
async fn observed_inspection(
    spec: &RequestSpec,
    opts: &SendOptions,
) -> Option<Result<TlsInspection, NetError>> {
    let url = Url::parse(spec.url.as_str().trim())
        .ok()
        .filter(|u| u.scheme() == "https")?;
    let budget = spec.transport.max_time.unwrap_or(opts.max_time);
    Some(tls::inspect(&url, &spec.transport, budget).await)
}

/// The API's OpenAPI/Swagger document, from the addressed origin's common paths (no
/// credential sent; the issuer client's caps, timeout and proxy settings), read for the
/// request's operation.
#[cfg(test)]
mod tests {
    use super::http::{strip_credentials, with_buster};
    use super::ntp::split_host_port;
    use super::*;
    use authdoctor_core::model::Header;

    fn spec(url: &str, headers: &[(&str, &str)]) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.parse().unwrap(),
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
        assert_eq!(out.url.as_str(), "https://api.example.com/x?page=2");
        assert!(strip_credentials(&spec("https://a/", &[("Accept", "x")])).is_none());
    }

    #[test]
    fn buster_is_unique_and_no_cache() {
        let s = with_buster(&spec("http://a/x?q=1", &[]), true);
        assert!(
            s.url.as_str().contains("q=1&authdoctor-probe="),
            "{}",
            s.url
        );
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
