//! The one outbound gate: which credentials may go to which origin. Every request authdoctor
//! sends — the user's, each redirect hop, the probes, a Digest or Basic answer, a `--fix`
//! re-send, a profile's token — asks [`Gate::decide`] before a credential is attached, and the
//! reason it gives is recorded in the report.
//!
//! The rule, as curl (≥ 7.83), browsers and reqwest apply it to redirects, made the only rule:
//! a credential goes to the origin the user addressed (scheme, host and port), and nowhere else,
//! unless the user said otherwise (`--location-trusted`, or naming a profile whose `hosts` list
//! the target). "Same site" is never enough: `api.corp.co.uk` and `evil.co.uk` share two labels,
//! `x.herokuapp.com` and `y.herokuapp.com` share a registrable suffix, and neither is the host
//! the user addressed. Clear text is never a place for a credential that was addressed to
//! https. Pure, so the property tests can drive it across random origin pairs.

use std::fmt;
use url::Url;

/// `scheme://host:port`, with the default port made explicit and the host as the URL parser
/// normalised it (lowercase, IDNA, IPv6 in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an http(s) URL with a host; `None` otherwise.
    pub fn of(url: &Url) -> Option<Origin> {
        let scheme = url.scheme();
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        Some(Origin {
            scheme: scheme.to_string(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }

    /// Parse a URL text and take its origin.
    pub fn parse(url: &str) -> Option<Origin> {
        Origin::of(&Url::parse(url.trim()).ok()?)
    }

    fn default_port(&self) -> bool {
        matches!(
            (self.scheme.as_str(), self.port),
            ("http", 80) | ("https", 443)
        )
    }

    /// Loopback by name or address: clear text there never leaves the machine.
    pub fn is_loopback(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h == "localhost"
            || h.ends_with(".localhost")
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.default_port() {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// What, beyond the addressed origin, the user has said may receive their credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// curl's `--location-trusted`: any host a redirect reaches (never over clear text).
    pub location_trusted: bool,
    /// Hosts the user named for this credential (a profile's `api_base`/`hosts`), lowercase.
    pub named_hosts: Vec<String>,
}

/// Why a credential was, or was not, attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The origin the user addressed.
    Addressed,
    /// The same host, upgraded from http to https on the default ports: the credential was
    /// going to this host anyway, now encrypted.
    UpgradedToHttps,
    /// Another origin, allowed by `--location-trusted`.
    LocationTrusted,
    /// A host the user named for this credential.
    NamedHost,
    /// Withheld: the origin changed and nothing the user said covers the new one.
    OtherOrigin { from: String, to: String },
    /// Withheld: an https credential would travel in clear text.
    Downgrade { from: String, to: String },
    /// Withheld: the target is not an http(s) URL with a host.
    NotHttp,
}

impl Decision {
    pub fn allows(&self) -> bool {
        matches!(
            self,
            Decision::Addressed
                | Decision::UpgradedToHttps
                | Decision::LocationTrusted
                | Decision::NamedHost
        )
    }

    /// One line, for the report's dropped-header reasons and fix notes.
    pub fn reason(&self) -> String {
        match self {
            Decision::Addressed => "the origin the request addressed".into(),
            Decision::UpgradedToHttps => "the same host, upgraded to https".into(),
            Decision::LocationTrusted => "another origin, allowed by --location-trusted".into(),
            Decision::NamedHost => "a host the profile names".into(),
            Decision::OtherOrigin { from, to } => format!("origin changed from {from} to {to}"),
            Decision::Downgrade { from, to } => format!("https→http downgrade ({from} to {to})"),
            Decision::NotHttp => "not an http(s) URL with a host".into(),
        }
    }
}

/// The gate for one user request: the origin it addressed and what the user trusts besides.
#[derive(Debug, Clone)]
pub struct Gate {
    addressed: Option<Origin>,
    trust: Trust,
}

impl Gate {
    pub fn new(addressed: &Url, trust: Trust) -> Gate {
        Gate {
            addressed: Origin::of(addressed),
            trust,
        }
    }

    /// [`Gate::new`] from URL text (an unparseable URL addresses nothing: every credential is
    /// withheld).
    pub fn for_url(addressed: &str, trust: Trust) -> Gate {
        Gate {
            addressed: Origin::parse(addressed),
            trust,
        }
    }

    pub fn addressed(&self) -> Option<&Origin> {
        self.addressed.as_ref()
    }

    /// May the user's credentials go to `target`? `upgrade` allows the same host over https on
    /// the default ports (used only for a fix that calls a redirect's https target directly).
    pub fn decide(&self, target: &Url, upgrade: bool) -> Decision {
        let (Some(from), Some(to)) = (self.addressed.as_ref(), Origin::of(target)) else {
            return Decision::NotHttp;
        };
        if *from == to {
            return Decision::Addressed;
        }
        // Clear text for a credential meant for https: never, whatever the user trusts.
        if from.scheme == "https" && to.scheme == "http" {
            return Decision::Downgrade {
                from: from.to_string(),
                to: to.to_string(),
            };
        }
        if upgrade
            && from.host == to.host
            && from.scheme == "http"
            && to.scheme == "https"
            && from.default_port()
            && to.default_port()
        {
            return Decision::UpgradedToHttps;
        }
        if self.trust.named_hosts.iter().any(|h| host_eq(h, &to.host))
            && (to.scheme == "https" || to.is_loopback())
        {
            return Decision::NamedHost;
        }
        if self.trust.location_trusted {
            return Decision::LocationTrusted;
        }
        Decision::OtherOrigin {
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    /// [`Gate::decide`] for URL text.
    pub fn decide_str(&self, target: &str, upgrade: bool) -> Decision {
        match Url::parse(target.trim()) {
            Ok(u) => self.decide(&u, upgrade),
            Err(_) => Decision::NotHttp,
        }
    }
}

/// Host names compare case-insensitively and without a trailing dot; a `host:port` entry in a
/// profile's list compares by host.
fn host_eq(listed: &str, host: &str) -> bool {
    let norm = |s: &str| {
        let s = s.trim().trim_end_matches('.').to_ascii_lowercase();
        // `[::1]:8080` / `api.example.com:8443` → host part.
        if let Some(rest) = s.strip_prefix('[') {
            return rest.split(']').next().unwrap_or_default().to_string();
        }
        match s.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => {
                h.to_string()
            }
            _ => s,
        }
    };
    let l = norm(listed);
    !l.is_empty() && l == norm(host)
}

/// Where a profile's token may go: only to the hosts the profile names (`api_base`, `hosts`),
/// or to the addressed host when the user named the profile on the command line (`--profile`).
/// A profile chosen by default (`default_profile`, `AUTHDOCTOR_PROFILE`) covers no other host.
pub fn profile_token_may_go(target: &Url, profile_hosts: &[String], named_by_flag: bool) -> bool {
    let Some(to) = Origin::of(target) else {
        return false;
    };
    if to.scheme != "https" && !to.is_loopback() && !named_by_flag {
        return false;
    }
    named_by_flag || profile_hosts.iter().any(|h| host_eq(h, &to.host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gate(u: &str) -> Gate {
        Gate::for_url(u, Trust::default())
    }

    fn d(g: &Gate, to: &str) -> Decision {
        g.decide_str(to, false)
    }

    #[test]
    fn same_origin_only() {
        let g = gate("https://api.corp.co.uk/v1");
        assert_eq!(d(&g, "https://API.corp.co.uk:443/x"), Decision::Addressed);
        for other in [
            "https://evil.co.uk/",
            "https://x.corp.co.uk/",
            "https://api.corp.co.uk:8443/",
            "https://api.corp.co.uk.evil.com/",
            "ftp://api.corp.co.uk/",
        ] {
            assert!(!d(&g, other).allows(), "{other}");
        }
        let g = gate("https://x.herokuapp.com/");
        assert!(!d(&g, "https://y.herokuapp.com/").allows());
        let g = gate("http://10.1.2.3/");
        assert!(!d(&g, "http://192.168.2.3/").allows());
        assert!(!d(&g, "http://10.1.2.3:81/").allows());
    }

    #[test]
    fn downgrade_never_even_trusted() {
        let g = Gate::for_url(
            "https://api.example.com/",
            Trust {
                location_trusted: true,
                named_hosts: vec!["api.example.com".into()],
            },
        );
        assert!(matches!(
            d(&g, "http://api.example.com/"),
            Decision::Downgrade { .. }
        ));
        assert_eq!(d(&g, "https://other.example/"), Decision::LocationTrusted);
    }

    #[test]
    fn upgrade_only_same_host_default_ports_when_asked() {
        let g = gate("http://api.example.com/a");
        assert!(!d(&g, "https://api.example.com/a").allows());
        assert_eq!(
            g.decide_str("https://api.example.com/a", true),
            Decision::UpgradedToHttps
        );
        assert!(
            !g.decide_str("https://api.example.com:8443/a", true)
                .allows()
        );
        assert!(!g.decide_str("https://www.example.com/a", true).allows());
    }

    #[test]
    fn profile_tokens_go_to_named_hosts() {
        let u = |s: &str| Url::parse(s).unwrap();
        let hosts = vec!["api.example.com".to_string(), "127.0.0.1:8080".to_string()];
        assert!(profile_token_may_go(
            &u("https://api.example.com/x"),
            &hosts,
            false
        ));
        assert!(profile_token_may_go(
            &u("http://127.0.0.1:9/x"),
            &hosts,
            false
        ));
        assert!(!profile_token_may_go(
            &u("https://evil.example/x"),
            &hosts,
            false
        ));
        assert!(!profile_token_may_go(
            &u("http://api.example.com/x"),
            &hosts,
            false
        ));
        assert!(profile_token_may_go(
            &u("https://evil.example/x"),
            &hosts,
            true
        ));
        assert!(!profile_token_may_go(&u("https://anything/x"), &[], false));
    }

    fn host() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("127.0.0.1".to_string()),
            Just("localhost".to_string()),
            Just("api.example.com".to_string()),
            Just("evil.example.com".to_string()),
            Just("api.corp.co.uk".to_string()),
            Just("evil.co.uk".to_string()),
            Just("x.herokuapp.com".to_string()),
            Just("y.herokuapp.com".to_string()),
            Just("10.0.2.3".to_string()),
            Just("10.9.2.3".to_string()),
            Just("[::1]".to_string()),
            "[a-z]{1,4}\\.(example|co)\\.(com|uk)",
        ]
    }

    fn url() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("http"), Just("https")],
            host(),
            prop_oneof![
                Just(None),
                Just(Some(80u16)),
                Just(Some(443)),
                (1u16..).prop_map(Some)
            ],
        )
            .prop_map(|(s, h, p)| match p {
                Some(p) => format!("{s}://{h}:{p}/p"),
                None => format!("{s}://{h}/p"),
            })
    }

    proptest! {
        /// Without trust, a credential reaches exactly the addressed origin.
        #[test]
        fn untrusted_gate_is_origin_equality(a in url(), b in url(), upgrade in any::<bool>()) {
            let g = gate(&a);
            let dec = g.decide_str(&b, upgrade);
            let (oa, ob) = (Origin::parse(&a).unwrap(), Origin::parse(&b).unwrap());
            if dec.allows() {
                prop_assert!(oa == ob || (upgrade && oa.host == ob.host && ob.scheme == "https"),
                    "{a} -> {b}: {dec:?}");
            } else {
                prop_assert_ne!(oa, ob);
            }
        }

        /// Even trusted, https never hands a credential to clear text.
        #[test]
        fn trusted_gate_never_downgrades(a in url(), b in url()) {
            let g = Gate::for_url(&a, Trust { location_trusted: true, named_hosts: vec![] });
            let (oa, ob) = (Origin::parse(&a).unwrap(), Origin::parse(&b).unwrap());
            if g.decide_str(&b, false).allows() && oa != ob {
                prop_assert!(!(oa.scheme == "https" && ob.scheme == "http"));
            }
        }
    }
}
