//! Which proxy a request goes through: `-x`/`--noproxy` first, else the environment's
//! `HTTP(S)_PROXY`/`ALL_PROXY`/`NO_PROXY` with curl's rules, with where the choice came from.

use std::collections::HashMap;
use std::net::IpAddr;

use authdoctor_core::model::{ProxySetting, ProxySource, RequestSpec, TransportOptions};
use url::Url;

/// The environment variables consulted, lowercase first as curl does.
pub(crate) const PROXY_ENV_VARS: &[&str] = &[
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
    let env = EnvSnapshot::capture();
    resolve_proxy(&spec.transport, &spec.url, &env).map(|c| c.setting)
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
pub(crate) fn env_proxy_raw(
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

pub(crate) fn first_set(get: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| get(n).filter(|v| !v.trim().is_empty()))
}

/// curl treats `proxy:3128` as `http://proxy:3128`.
pub(crate) fn with_default_scheme(raw: &str) -> String {
    if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    }
}

/// The proxy URL as it may be shown: the user name stays (it is evidence), the password not.
pub(crate) fn redact_proxy_password(raw: &str) -> String {
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
pub(crate) fn split_entry_port(entry: &str) -> (&str, Option<u16>) {
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

pub(crate) fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
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
