//! curl's `--resolve HOST:PORT:ADDR[,ADDR…]` and `--connect-to HOST1:PORT1:HOST2:PORT2`: where a
//! host's connections really go. A user who pins a host means the credential for that host to
//! reach the pinned address, not whatever DNS answers, so the sender honours the pins for every
//! request it makes (hops, probes, the TLS inspection) or refuses before sending.
//!
//! Semantics follow curl's man page: `--connect-to` entries are tried first (an empty HOST1 or
//! PORT1 matches any; an empty HOST2 or PORT2 keeps the request's), then `--resolve` entries
//! pin the resulting host and port to addresses (`*` as the host matches any; a leading `+`
//! is accepted and ignored).

use super::InputError;
use serde::Serialize;
use std::net::IpAddr;

/// One `--resolve` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolvePin {
    /// Lowercase host name, or `*`.
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

/// One `--connect-to` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectTo {
    pub from_host: Option<String>,
    pub from_port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

/// Every pin of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Pins {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolve: Vec<ResolvePin>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connect_to: Vec<ConnectTo>,
}

/// Where a connection to `host:port` goes under the pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To these addresses (on the request's port).
    Addrs(Vec<IpAddr>),
    /// To whatever DNS says for this other host name (on the request's port).
    Host(String),
}

impl Pins {
    pub fn is_empty(&self) -> bool {
        self.resolve.is_empty() && self.connect_to.is_empty()
    }

    /// The route for `host:port`; `Ok(None)` when no pin applies; `Err` when a pin applies that
    /// the sender cannot honour (a port change: connections keep the URL's port).
    pub fn route(&self, host: &str, port: u16) -> Result<Option<Route>, String> {
        let host = bare(host);
        let (mut to_host, mut to_port) = (host.clone(), port);
        if let Some(c) = self.connect_to.iter().find(|c| {
            c.from_host.as_deref().is_none_or(|h| bare(h) == host)
                && c.from_port.is_none_or(|p| p == port)
        }) {
            if let Some(h) = &c.to_host {
                to_host = bare(h);
            }
            if let Some(p) = c.to_port {
                to_port = p;
            }
        }
        if to_port != port {
            return Err(format!(
                "--connect-to sends {host}:{port} to port {to_port}, which authdoctor cannot do (connections keep the URL's port); put the port in the URL instead"
            ));
        }
        if let Some(r) = self
            .resolve
            .iter()
            .find(|r| (r.host == "*" || r.host == to_host) && r.port == to_port)
        {
            return Ok(Some(Route::Addrs(r.addrs.clone())));
        }
        if let Ok(ip) = to_host.parse::<IpAddr>() {
            return Ok((to_host != host).then(|| Route::Addrs(vec![ip])));
        }
        Ok((to_host != host).then_some(Route::Host(to_host)))
    }
}

/// Lowercase, without IPv6 brackets or a trailing dot.
fn bare(h: &str) -> String {
    h.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// `host:port` split at the first colon outside brackets; the rest is returned whole.
fn take_field(s: &str) -> (&str, Option<&str>) {
    if s.starts_with('[')
        && let Some(end) = s.find(']')
    {
        let rest = &s[end + 1..];
        return (&s[..=end], rest.strip_prefix(':'));
    }
    match s.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    }
}

fn port(option: &str, s: &str) -> Result<u16, InputError> {
    s.trim()
        .parse()
        .map_err(|_| InputError::Other(format!("{option}: {s:?} is not a port number")))
}

/// `[+]HOST:PORT:ADDR[,ADDR]…`
pub fn parse_resolve(v: &str) -> Result<ResolvePin, InputError> {
    let bad = |why: &str| InputError::Other(format!("--resolve {v:?}: {why} (HOST:PORT:ADDR)"));
    let v2 = v.trim().trim_start_matches('+');
    let (host, rest) = take_field(v2);
    let rest = rest.ok_or_else(|| bad("missing the port"))?;
    let (p, addrs) = take_field(rest);
    let addrs = addrs.ok_or_else(|| bad("missing the address"))?;
    let addrs: Vec<IpAddr> = addrs
        .split(',')
        .map(|a| {
            bare(a)
                .parse::<IpAddr>()
                .map_err(|_| bad(&format!("{a:?} is not an IP address")))
        })
        .collect::<Result<_, _>>()?;
    if host.trim().is_empty() {
        return Err(bad("empty host"));
    }
    Ok(ResolvePin {
        host: bare(host),
        port: port("--resolve", p)?,
        addrs,
    })
}

/// `HOST1:PORT1:HOST2:PORT2`, each part possibly empty.
pub fn parse_connect_to(v: &str) -> Result<ConnectTo, InputError> {
    let bad = || {
        InputError::Other(format!(
            "--connect-to {v:?}: expected HOST1:PORT1:HOST2:PORT2 (parts may be empty)"
        ))
    };
    let (h1, rest) = take_field(v.trim());
    let (p1, rest) = take_field(rest.ok_or_else(bad)?);
    let (h2, rest) = take_field(rest.ok_or_else(bad)?);
    let p2 = rest.ok_or_else(bad)?;
    let opt_host = |h: &str| (!h.trim().is_empty()).then(|| bare(h));
    let opt_port = |p: &str| {
        if p.trim().is_empty() {
            Ok(None)
        } else {
            port("--connect-to", p).map(Some)
        }
    };
    Ok(ConnectTo {
        from_host: opt_host(h1),
        from_port: opt_port(p1)?,
        to_host: opt_host(h2),
        to_port: opt_port(p2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_curl_forms() {
        let r = parse_resolve("api.example.com:443:127.0.0.1").unwrap();
        assert_eq!((r.host.as_str(), r.port), ("api.example.com", 443));
        let r = parse_resolve("+h:80:[::1],127.0.0.2").unwrap();
        assert_eq!(r.addrs.len(), 2);
        assert!(parse_resolve("h:80").is_err());
        assert!(parse_resolve("h:x:1.2.3.4").is_err());
        assert!(parse_resolve("h:80:not-an-ip").is_err());
        let c = parse_connect_to("example.com:443:127.0.0.1:443").unwrap();
        assert_eq!(c.to_host.as_deref(), Some("127.0.0.1"));
        let c = parse_connect_to("::backend:").unwrap();
        assert_eq!(
            (c.from_host, c.from_port, c.to_host.as_deref(), c.to_port),
            (None, None, Some("backend"), None)
        );
        assert!(parse_connect_to("a:1:b").is_err());
        let c = parse_connect_to("[::1]:80:[::2]:80").unwrap();
        assert_eq!(c.to_host.as_deref(), Some("::2"));
    }

    #[test]
    fn routes() {
        let pins = Pins {
            resolve: vec![parse_resolve("api.example.com:443:127.0.0.1").unwrap()],
            connect_to: vec![
                parse_connect_to("alias.example.com::api.example.com:").unwrap(),
                parse_connect_to("moved.example.com:443::8443").unwrap(),
            ],
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            pins.route("API.example.com", 443).unwrap(),
            Some(Route::Addrs(vec![ip("127.0.0.1")]))
        );
        assert_eq!(pins.route("api.example.com", 80).unwrap(), None);
        assert_eq!(
            pins.route("alias.example.com", 443).unwrap(),
            Some(Route::Addrs(vec![ip("127.0.0.1")]))
        );
        assert!(pins.route("moved.example.com", 443).is_err());
        assert_eq!(pins.route("other", 443).unwrap(), None);
        let c = Pins {
            connect_to: vec![parse_connect_to("a:80:b:80").unwrap()],
            ..Default::default()
        };
        assert_eq!(c.route("a", 80).unwrap(), Some(Route::Host("b".into())));
    }
}
