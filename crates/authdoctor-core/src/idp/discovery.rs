//! The discovery chain a client walks from a 401 to a token: the resource's RFC 9728 metadata
//! (named by the challenge's `resource_metadata`, else at its well-known URL) names an
//! authorization server, whose RFC 8414 / OpenID Connect metadata must match the issuer it was
//! fetched for and offer what a new client needs (PKCE `S256`, a way to register). MCP clients
//! and more and more OAuth clients start from exactly this chain; a broken link is why "401 and
//! then nothing happens". The network crate fetches; [`judge`] — pure — says which link broke
//! and how, naming the exact field.

use super::{FetchRecord, RawIdp};
use serde::Serialize;

/// The metadata URLs of an authorization server and their inverse: built in `authdoctor-jose`
/// (the guard and the tokens crate use the same function), re-exported here.
pub use crate::jose::discovery::{issuer_for_metadata_url, metadata_urls};

/// Where the resource metadata URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataSource {
    /// The 401's `WWW-Authenticate: Bearer resource_metadata="…"` (RFC 9728 §5.1).
    Challenge,
    /// The well-known URL built from the request URL (RFC 9728 §3.1).
    WellKnown,
}

/// One authorization server's metadata, as fetched: every URL tried, in order, and the
/// document of the first that answered with JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AsMetadataFetch {
    /// The issuer identifier the resource metadata names.
    pub issuer: String,
    pub attempts: Vec<FetchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
}

/// A link of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    ResourceMetadata,
    AuthorizationServerMetadata,
}

/// Whether a link holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    Broken,
}

/// One step as shown (JSON `discovery[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub step: StepKind,
    pub url: String,
    pub status: Option<u16>,
    pub verdict: Verdict,
    pub detail: String,
}

/// How the metadata's `resource` differs from the URL the client called.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "part")]
pub enum Difference {
    TrailingSlash,
    Scheme { named: String, requested: String },
    Host { named: String, requested: String },
    Port { named: String, requested: String },
    Path { named: String, requested: String },
    Unparsable,
}

impl Difference {
    fn describe(&self) -> String {
        match self {
            Difference::TrailingSlash => "only by a trailing slash".into(),
            Difference::Scheme { named, requested } => {
                format!("by scheme ({named} ≠ {requested})")
            }
            Difference::Host { named, requested } => format!("by host ({named} ≠ {requested})"),
            Difference::Port { named, requested } => format!("by port ({named} ≠ {requested})"),
            Difference::Path { named, requested } => format!("by path ({named} ≠ {requested})"),
            Difference::Unparsable => "and is not a URL".into(),
        }
    }
}

/// What is wrong with a link, naming the field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum Problem {
    /// Not fetched: connection, TLS, timeout, refused by policy.
    Unreachable { error: String },
    /// Answered, but not 200.
    Status { status: u16 },
    /// 200, but not a JSON object of the expected shape.
    NotJson { error: String },
    /// RFC 9728 §2: `resource` is required.
    NoResource,
    /// RFC 9728 §3.3 / §7.3: the metadata is for another resource.
    ResourceDiffers {
        named: String,
        requested: String,
        difference: Difference,
    },
    /// No `authorization_servers`: a client cannot learn where to get a token.
    NoAuthorizationServers,
    /// RFC 8414 §3.3: the document's `issuer` is not the issuer it was fetched for.
    IssuerDiffers {
        issuer: Option<String>,
        expected: String,
    },
    /// No `code_challenge_methods_supported` with `S256`: clients that require PKCE stop.
    NoS256 { offered: Vec<String> },
    /// No `registration_endpoint` and no client ID metadata documents: a client without a
    /// `client_id` cannot get one.
    NoRegistration,
}

/// A broken link: which step, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Break {
    pub link: StepKind,
    pub url: String,
    #[serde(flatten)]
    pub problem: Problem,
}

impl Break {
    /// The break in a few words, for a title.
    pub fn short(&self) -> String {
        match &self.problem {
            Problem::Unreachable { .. } => "it could not be fetched".into(),
            Problem::Status { status } => format!("it answered HTTP {status}"),
            Problem::NotJson { .. } => "it is not a JSON metadata document".into(),
            Problem::NoResource => "it names no `resource`".into(),
            Problem::ResourceDiffers { difference, .. } => format!(
                "its `resource` differs from the request URL {}",
                difference.describe()
            ),
            Problem::NoAuthorizationServers => "it lists no `authorization_servers`".into(),
            Problem::IssuerDiffers { issuer, expected } => format!(
                "its `issuer` {} is not {expected}",
                issuer.as_deref().unwrap_or("(none)")
            ),
            Problem::NoS256 { .. } => "it offers no PKCE S256".into(),
            Problem::NoRegistration => "it offers no way to register a client".into(),
        }
    }

    /// The break in words, naming the field and the exact difference.
    pub fn describe(&self) -> String {
        let u = crate::secret::redact_url(&self.url);
        match &self.problem {
            Problem::Unreachable { error } => format!("{u} could not be fetched: {error}"),
            Problem::Status { status } => format!("{u} answered HTTP {status}, not the metadata"),
            Problem::NotJson { error } => format!("{u} is not a metadata document: {error}"),
            Problem::NoResource => {
                format!("the resource metadata at {u} has no `resource` (RFC 9728 §2 requires it)")
            }
            Problem::ResourceDiffers {
                named,
                requested,
                difference,
            } => format!(
                "the resource metadata names resource {named}, but the request went to {requested}: they differ {} — RFC 9728 §3.3 clients must reject metadata for another resource",
                difference.describe()
            ),
            Problem::NoAuthorizationServers => format!(
                "the resource metadata at {u} lists no `authorization_servers`: a client cannot learn where to get a token"
            ),
            Problem::IssuerDiffers { issuer, expected } => format!(
                "the authorization server metadata at {u} says `issuer` {}, but it was fetched for {expected} (RFC 8414 §3.3: they must be identical)",
                issuer.as_deref().unwrap_or("(none)")
            ),
            Problem::NoS256 { offered } => format!(
                "the authorization server metadata at {u} offers no PKCE S256 (`code_challenge_methods_supported`: {})",
                if offered.is_empty() {
                    "absent".to_string()
                } else {
                    offered.join(", ")
                }
            ),
            Problem::NoRegistration => format!(
                "the authorization server metadata at {u} has no `registration_endpoint` and no `client_id_metadata_document_supported`: a client without a client_id cannot register"
            ),
        }
    }
}

/// The chain as judged: the steps shown, and every break.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Chain {
    pub steps: Vec<Step>,
    pub breaks: Vec<Break>,
}

impl Chain {
    /// The first break at this link, if it broke there.
    pub fn broken_at(&self, link: StepKind) -> Option<&Break> {
        self.breaks.iter().find(|b| b.link == link)
    }
}

/// `scheme://host:port/path` of a URL without query and fragment.
fn without_query(u: &str) -> String {
    u.split(['?', '#']).next().unwrap_or("").to_string()
}

/// How `named` (the metadata's `resource`) relates to `requested` (the URL the client called):
/// `None` when a client accepts it — identical, or (as the MCP SDK and RFC 9728's own examples
/// allow) a path prefix of the request on the same origin.
pub fn resource_difference(named: &str, requested: &str) -> Option<Difference> {
    let requested = without_query(requested);
    if named == requested {
        return None;
    }
    let (Ok(n), Ok(r)) = (url::Url::parse(named), url::Url::parse(&requested)) else {
        return Some(Difference::Unparsable);
    };
    if n.scheme() != r.scheme() {
        return Some(Difference::Scheme {
            named: n.scheme().into(),
            requested: r.scheme().into(),
        });
    }
    if n.host_str() != r.host_str() {
        return Some(Difference::Host {
            named: n.host_str().unwrap_or("").into(),
            requested: r.host_str().unwrap_or("").into(),
        });
    }
    if n.port_or_known_default() != r.port_or_known_default() {
        let p = |u: &url::Url| {
            u.port_or_known_default()
                .map_or_else(String::new, |p| p.to_string())
        };
        return Some(Difference::Port {
            named: p(&n),
            requested: p(&r),
        });
    }
    let (np, rp) = (n.path(), r.path());
    if np == rp {
        return None;
    }
    if np.trim_end_matches('/') == rp.trim_end_matches('/') {
        return Some(Difference::TrailingSlash);
    }
    // A resource that covers the request's path (`/api` for `/api/orders`).
    let prefix = format!("{}/", np.trim_end_matches('/'));
    if rp.starts_with(&prefix) {
        return None;
    }
    Some(Difference::Path {
        named: np.into(),
        requested: rp.into(),
    })
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The problem of a fetch that did not give a document.
fn fetch_problem(rec: &FetchRecord, parse_error: Option<&str>) -> Problem {
    match rec.status {
        Some(s) if !(200..300).contains(&s) => Problem::Status { status: s },
        Some(_) => Problem::NotJson {
            error: parse_error
                .or(rec.error.as_deref())
                .unwrap_or("unreadable")
                .to_string(),
        },
        None => Problem::Unreachable {
            error: rec.error.clone().unwrap_or_else(|| "no answer".into()),
        },
    }
}

/// Judge the chain from what was fetched. `None` when there is no chain to walk: the
/// challenge named no metadata and none is published at the well-known URL.
pub fn judge(raw: &RawIdp, request_url: &str) -> Option<Chain> {
    let rec = raw.metadata_fetch.as_ref()?;
    let named_by_challenge = raw.metadata_source == Some(MetadataSource::Challenge);
    if raw.metadata.is_none() && !named_by_challenge {
        return None;
    }
    let mut chain = Chain::default();
    let step = |chain: &mut Chain, kind, url: &str, status, problems: Vec<Problem>, ok: String| {
        let breaks: Vec<Break> = problems
            .into_iter()
            .map(|p| Break {
                link: kind,
                url: url.to_string(),
                problem: p,
            })
            .collect();
        let detail = if breaks.is_empty() {
            ok
        } else {
            breaks
                .iter()
                .map(Break::describe)
                .collect::<Vec<_>>()
                .join("; ")
        };
        chain.steps.push(Step {
            step: kind,
            url: crate::secret::redact_url(url),
            status,
            verdict: if breaks.is_empty() {
                Verdict::Ok
            } else {
                Verdict::Broken
            },
            detail,
        });
        chain.breaks.extend(breaks);
    };

    let Some(m) = &raw.metadata else {
        let p = fetch_problem(rec, raw.metadata_error.as_deref());
        step(
            &mut chain,
            StepKind::ResourceMetadata,
            &rec.url,
            rec.status,
            vec![p],
            String::new(),
        );
        return Some(chain);
    };
    let mut problems = Vec::new();
    match &m.resource {
        None => problems.push(Problem::NoResource),
        Some(r) => {
            if let Some(d) = resource_difference(r, request_url) {
                problems.push(Problem::ResourceDiffers {
                    named: r.clone(),
                    requested: without_query(request_url),
                    difference: d,
                });
            }
        }
    }
    let servers: Vec<String> = m.authorization_servers.clone().unwrap_or_default();
    if servers.is_empty() {
        problems.push(Problem::NoAuthorizationServers);
    }
    let ok = format!(
        "resource {} → authorization server {}",
        m.resource.as_deref().unwrap_or("?"),
        servers.first().map_or("?", String::as_str)
    );
    step(
        &mut chain,
        StepKind::ResourceMetadata,
        &rec.url,
        rec.status,
        problems,
        ok,
    );

    // The first authorization server is the one clients use.
    let Some(first) = servers.first() else {
        return Some(chain);
    };
    let Some(asf) = raw
        .authorization_server_metadata
        .iter()
        .find(|a| &a.issuer == first)
    else {
        return Some(chain);
    };
    let Some(doc) = &asf.document else {
        // Every URL failed: the last one is the one to show; all statuses in the detail.
        let Some(last) = asf.attempts.last() else {
            return Some(chain);
        };
        let p = if asf.attempts.iter().all(|a| a.status.is_some()) && asf.attempts.len() > 1 {
            let tried: Vec<String> = asf
                .attempts
                .iter()
                .map(|a| format!("{} → {}", a.url, a.status.unwrap_or(0)))
                .collect();
            Problem::NotJson {
                error: format!("no metadata at any well-known URL ({})", tried.join(", ")),
            }
        } else {
            fetch_problem(last, None)
        };
        step(
            &mut chain,
            StepKind::AuthorizationServerMetadata,
            &last.url,
            last.status,
            vec![p],
            String::new(),
        );
        return Some(chain);
    };
    let Some(got) = asf.attempts.iter().rev().find(|a| a.error.is_none()) else {
        return Some(chain);
    };
    let mut problems = Vec::new();
    let expected = issuer_for_metadata_url(&got.url).unwrap_or_else(|| first.clone());
    let issuer = doc["issuer"].as_str().map(str::to_string);
    // RFC 8414 §3.3 compares the identifier used to build the URL; that identifier is the
    // resource metadata's entry (a trailing slash there is part of it).
    let same = |i: &str| i == first || i == expected;
    if !issuer.as_deref().is_some_and(same) {
        problems.push(Problem::IssuerDiffers {
            issuer,
            expected: first.clone(),
        });
    }
    let methods = strings(&doc["code_challenge_methods_supported"]);
    if !methods.iter().any(|m| m == "S256") {
        problems.push(Problem::NoS256 { offered: methods });
    }
    let registers = doc["registration_endpoint"]
        .as_str()
        .is_some_and(|s| !s.is_empty())
        || doc["client_id_metadata_document_supported"].as_bool() == Some(true);
    if !registers {
        problems.push(Problem::NoRegistration);
    }
    let ok = format!(
        "issuer {} · PKCE S256 · {}",
        doc["issuer"].as_str().unwrap_or("?"),
        if doc["registration_endpoint"].is_string() {
            "dynamic registration"
        } else {
            "client ID metadata documents"
        }
    );
    step(
        &mut chain,
        StepKind::AuthorizationServerMetadata,
        &got.url,
        got.status,
        problems,
        ok,
    );
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::ResourceMetadata;

    #[test]
    fn resource_differences_are_named() {
        let r = "http://127.0.0.1:8080/mcp";
        assert_eq!(resource_difference("http://127.0.0.1:8080/mcp", r), None);
        assert_eq!(resource_difference("http://127.0.0.1:8080/", r), None);
        assert_eq!(
            resource_difference("http://127.0.0.1:8080/mcp/", r),
            Some(Difference::TrailingSlash)
        );
        assert!(matches!(
            resource_difference("http://localhost:8080/mcp", r),
            Some(Difference::Host { .. })
        ));
        assert!(matches!(
            resource_difference("https://127.0.0.1:8080/mcp", r),
            Some(Difference::Scheme { .. })
        ));
        assert!(matches!(
            resource_difference("http://127.0.0.1:9090/mcp", r),
            Some(Difference::Port { .. })
        ));
        assert!(matches!(
            resource_difference("http://127.0.0.1:8080/other", r),
            Some(Difference::Path { .. })
        ));
        assert_eq!(
            resource_difference("http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/mcp?x=1"),
            None
        );
    }

    fn rec(url: &str, status: Option<u16>, error: Option<&str>) -> FetchRecord {
        FetchRecord {
            what: "x".into(),
            url: url.into(),
            status,
            from_cache: false,
            elapsed_ms: 0.0,
            error: error.map(str::to_string),
        }
    }

    fn raw_with(resource: &str, as_doc: serde_json::Value) -> RawIdp {
        RawIdp {
            metadata_fetch: Some(rec(
                "http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp",
                Some(200),
                None,
            )),
            metadata_source: Some(MetadataSource::Challenge),
            metadata: Some(ResourceMetadata {
                resource: Some(resource.into()),
                authorization_servers: Some(vec!["http://127.0.0.1:2/".into()]),
                ..Default::default()
            }),
            authorization_server_metadata: vec![AsMetadataFetch {
                issuer: "http://127.0.0.1:2/".into(),
                attempts: vec![rec(
                    "http://127.0.0.1:2/.well-known/oauth-authorization-server",
                    Some(200),
                    None,
                )],
                document: Some(as_doc),
            }],
            ..Default::default()
        }
    }

    fn good_as() -> serde_json::Value {
        serde_json::json!({
            "issuer": "http://127.0.0.1:2/",
            "code_challenge_methods_supported": ["S256"],
            "registration_endpoint": "http://127.0.0.1:2/register"
        })
    }

    #[test]
    fn a_sound_chain_has_no_break() {
        let c = judge(
            &raw_with("http://127.0.0.1:1/mcp", good_as()),
            "http://127.0.0.1:1/mcp",
        )
        .unwrap();
        assert!(c.breaks.is_empty(), "{c:?}");
        assert_eq!(c.steps.len(), 2);
        assert!(c.steps.iter().all(|s| s.verdict == Verdict::Ok));
    }

    #[test]
    fn each_break_is_found() {
        let c = judge(
            &raw_with("http://127.0.0.1:1/mcp/", good_as()),
            "http://127.0.0.1:1/mcp",
        )
        .unwrap();
        assert!(
            c.broken_at(StepKind::ResourceMetadata)
                .unwrap()
                .describe()
                .contains("trailing slash")
        );
        let mut d = good_as();
        d["issuer"] = "http://127.0.0.1:3/".into();
        let c = judge(
            &raw_with("http://127.0.0.1:1/mcp", d),
            "http://127.0.0.1:1/mcp",
        )
        .unwrap();
        assert!(matches!(
            c.broken_at(StepKind::AuthorizationServerMetadata)
                .unwrap()
                .problem,
            Problem::IssuerDiffers { .. }
        ));
        let mut d = good_as();
        d["code_challenge_methods_supported"] = serde_json::json!(["plain"]);
        d.as_object_mut().unwrap().remove("registration_endpoint");
        let c = judge(
            &raw_with("http://127.0.0.1:1/mcp", d),
            "http://127.0.0.1:1/mcp",
        )
        .unwrap();
        let text: Vec<String> = c.breaks.iter().map(Break::describe).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("S256") && t.contains("plain")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("registration_endpoint")),
            "{text:?}"
        );
    }

    #[test]
    fn a_named_metadata_url_that_404s_is_a_break_a_missing_well_known_is_not() {
        let mut raw = RawIdp {
            metadata_fetch: Some(rec("http://127.0.0.1:1/prm", Some(404), Some("HTTP 404"))),
            metadata_source: Some(MetadataSource::Challenge),
            ..Default::default()
        };
        let c = judge(&raw, "http://127.0.0.1:1/mcp").unwrap();
        assert_eq!(
            c.broken_at(StepKind::ResourceMetadata).unwrap().problem,
            Problem::Status { status: 404 }
        );
        raw.metadata_source = Some(MetadataSource::WellKnown);
        assert!(judge(&raw, "http://127.0.0.1:1/mcp").is_none());
    }
}
