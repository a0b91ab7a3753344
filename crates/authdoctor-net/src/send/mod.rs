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

use std::time::{Duration, Instant};

use authdoctor_core::model::{Exchange, Header, RequestSpec};
use authdoctor_core::secret::redact_url;
use reqwest::Method;
use reqwest::header::HeaderValue;
use url::Url;

use crate::errors::{map_reqwest_error, parse_http_url};
use crate::proxy::{EnvSnapshot, resolve_proxy};
use crate::tls::TlsInspection;
use authdoctor_core::model::TlsInfo;
use client::Clients;
use hops::{hop_headers, next_hop, sign_dpop, to_header_map, url_credentials, wants_dpop_nonce};

mod client;
mod hops;

pub use crate::errors::NetError;
pub(crate) use crate::errors::timeout_error;
pub use crate::pins::check_pins;
pub use crate::proxy::{effective_proxy, proxy_from_env, proxy_from_env_with};
pub use client::build_client_for_bench;
pub(crate) use hops::{read_capped, version_text};

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
    let mut original = parse_http_url(spec.url.as_str())?;
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
    let mut clients = Clients::new(
        spec.transport.clone(),
        proxy_auth,
        env.clone(),
        connect_timeout,
    );

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

/// [`send`] and, for an `https://` URL, [`inspect`](crate::tls::inspect) at the same time; the TLS details are
/// attached to every hop with the first hop's origin.
pub async fn send_with_tls(
    spec: &RequestSpec,
    opts: &SendOptions,
) -> Result<Vec<Exchange>, NetError> {
    send_and_inspect(spec, opts).await.0
}

/// Like [`send_with_tls`], also returning the inspection itself (with the verification and
/// handshake errors), which explains a TLS failure of the request.
pub async fn send_and_inspect(
    spec: &RequestSpec,
    opts: &SendOptions,
) -> (
    Result<Vec<Exchange>, NetError>,
    Option<Result<TlsInspection, NetError>>,
) {
    let first = match Url::parse(spec.url.as_str().trim()) {
        Ok(u) if u.scheme() == "https" => u,
        _ => return (send(spec, opts).await, None),
    };
    let budget = spec.transport.max_time.unwrap_or(opts.max_time);
    let (mut sent, inspection) = tokio::join!(
        send(spec, opts),
        crate::tls::inspect(&first, &spec.transport, budget)
    );
    if let (Ok(hops), Ok(insp)) = (&mut sent, &inspection) {
        attach_tls(hops, first.as_str(), &insp.info);
    }
    (sent, Some(inspection))
}

/// Attach the inspection of `first`'s origin to every hop with that origin.
pub(crate) fn attach_tls(hops: &mut [Exchange], first: &str, info: &TlsInfo) {
    let Ok(first) = Url::parse(first.trim()) else {
        return;
    };
    for hop in hops.iter_mut() {
        let same_origin = Url::parse(&hop.url).is_ok_and(|u| {
            u.scheme() == first.scheme()
                && u.host_str() == first.host_str()
                && u.port_or_known_default() == first.port_or_known_default()
        });
        if same_origin {
            hop.tls = Some(info.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::no_proxy_matches;
    use authdoctor_core::model::{ProxySetting, ProxySource};
    use authdoctor_core::outbound::Origin;
    use std::collections::HashMap;

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
            url: "http://internal.corp/x".parse().unwrap(),
            ..Default::default()
        };
        spec.transport.proxy = Some(ProxySetting {
            url: "http://u:pw@flagproxy:8080".into(),
            source: ProxySource::Flag,
            env_var: None,
        });
        let env = EnvSnapshot::default();
        let c = resolve_proxy(&spec.transport, &u(spec.url.as_str()), &env).expect("proxy");
        assert_eq!(c.setting.source, ProxySource::Flag);
        assert!(!c.setting.url.contains(":pw@"));
        assert!(c.real_url.contains(":pw@"));
        spec.transport.no_proxy = Some(".corp".into());
        assert!(resolve_proxy(&spec.transport, &u(spec.url.as_str()), &env).is_none());
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
            url: url.parse().unwrap(),
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
        let orig = u(spec.url.as_str());
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
        let orig = u(trusted.url.as_str());
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
