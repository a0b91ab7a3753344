//! The API's own published description of where its credentials go: an OpenAPI 3 document's
//! `components.securitySchemes` and the `security` requirements of the operation the request
//! calls (or the document's global ones), or a Swagger 2 document's `securityDefinitions`.
//! Pure: the network crate fetches the document from the addressed origin; this reads it, and
//! moves a credential to the place it names (for the probe that proves it and for `--fix`).

use crate::model::{Header, RequestSpec};
use serde::Serialize;
use serde_json::Value;

/// Where a credential goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "in")]
pub enum Place {
    /// `Authorization: <scheme> <credential>`.
    Authorization { scheme: String },
    /// A named header (`X-API-Key`).
    Header { name: String },
    /// A query parameter.
    Query { name: String },
    /// A cookie.
    Cookie { name: String },
}

impl Place {
    pub fn describe(&self) -> String {
        match self {
            Place::Authorization { scheme } => format!("the Authorization header ({scheme})"),
            Place::Header { name } => format!("the {name} header"),
            Place::Query { name } => format!("the query parameter {name}"),
            Place::Cookie { name } => format!("the cookie {name}"),
        }
    }
}

/// A described API: where it says credentials go for the request's operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiDescription {
    /// Where the document was found (same origin as the request).
    pub url: String,
    /// The alternatives the operation accepts (any one of them), each a credential place.
    pub places: Vec<Place>,
    /// OAuth scopes the operation's requirements name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

fn scheme_place(s: &Value) -> Option<Place> {
    let kind = s.get("type")?.as_str()?.to_ascii_lowercase();
    Some(match kind.as_str() {
        "apikey" => {
            let name = s.get("name")?.as_str()?.to_string();
            match s.get("in")?.as_str()? {
                "header" if name.eq_ignore_ascii_case("authorization") => Place::Authorization {
                    scheme: "ApiKey".into(),
                },
                "header" => Place::Header { name },
                "query" => Place::Query { name },
                "cookie" => Place::Cookie { name },
                _ => return None,
            }
        }
        "http" => Place::Authorization {
            scheme: capitalise(s.get("scheme").and_then(Value::as_str).unwrap_or("bearer")),
        },
        "basic" => Place::Authorization {
            scheme: "Basic".into(),
        },
        "oauth2" | "openidconnect" => Place::Authorization {
            scheme: "Bearer".into(),
        },
        _ => return None,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// Does a path template (`/items/{id}`) match a request path?
fn path_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_end_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

impl ApiDescription {
    /// Does the request already carry its credential in one of the places the operation
    /// accepts?
    pub fn satisfied_by(&self, spec: &RequestSpec) -> bool {
        let sent = sent_places(spec);
        self.places
            .iter()
            .any(|d| sent.iter().any(|(s, _)| same_place(s, d)))
    }
}

/// Read a document for the request `method path`; `None` when it is not an OpenAPI/Swagger
/// document or names no credential place for the operation.
pub fn parse(doc: &[u8], url: &str, method: &str, path: &str) -> Option<ApiDescription> {
    let v: Value = serde_json::from_slice(doc).ok()?;
    let swagger2 = v.get("swagger").is_some();
    if !swagger2 && v.get("openapi").is_none() {
        return None;
    }
    let schemes = if swagger2 {
        v.get("securityDefinitions")
    } else {
        v.pointer("/components/securitySchemes")
    }?
    .as_object()?;
    // The document's base path: Swagger's basePath, or the first server URL's path.
    let base = if swagger2 {
        v.get("basePath")
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        v.pointer("/servers/0/url")
            .and_then(Value::as_str)
            .and_then(|s| {
                url::Url::parse(s)
                    .map(|u| u.path().to_string())
                    .ok()
                    .or_else(|| s.starts_with('/').then(|| s.to_string()))
            })
    }
    .unwrap_or_default();
    let rel = path
        .strip_prefix(base.trim_end_matches('/'))
        .filter(|r| r.starts_with('/'))
        .unwrap_or(path);
    let op = v
        .get("paths")?
        .as_object()?
        .iter()
        .find(|(t, _)| path_matches(t, rel))
        .and_then(|(_, item)| item.get(method.to_ascii_lowercase()));
    let reqs = op
        .and_then(|o| o.get("security"))
        .or_else(|| v.get("security"))?
        .as_array()?;
    let mut places = Vec::new();
    let mut scopes = Vec::new();
    for req in reqs {
        for (name, sc) in req.as_object().into_iter().flatten() {
            if let Some(p) = schemes.get(name).and_then(scheme_place)
                && !places.contains(&p)
            {
                places.push(p);
            }
            for s in sc
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                scopes.push(s.to_string());
            }
        }
    }
    (!places.is_empty()).then(|| ApiDescription {
        url: url.to_string(),
        places,
        scopes,
    })
}

/// The common places APIs publish their description, tried in order.
pub const DOCUMENT_PATHS: &[&str] = &[
    "/openapi.json",
    "/swagger.json",
    "/v3/api-docs",
    "/.well-known/openapi.json",
    "/api-docs",
    "/swagger/v1/swagger.json",
    "/api/openapi.json",
];

/// Where the request carries its credential, and the credential itself.
pub fn sent_places(spec: &RequestSpec) -> Vec<(Place, String)> {
    let mut out = Vec::new();
    for h in &spec.headers {
        let name = h.name.trim();
        if name.eq_ignore_ascii_case("authorization") {
            let v = h.value.trim();
            let (scheme, cred) = v.split_once(' ').unwrap_or(("", v));
            out.push((
                Place::Authorization {
                    scheme: scheme.to_string(),
                },
                cred.trim().to_string(),
            ));
        } else if crate::secret::API_KEY_HEADERS.contains(&name.to_ascii_lowercase().as_str())
            || (crate::secret::is_sensitive_header(name)
                && !name.eq_ignore_ascii_case("cookie")
                && !name.eq_ignore_ascii_case("proxy-authorization"))
        {
            out.push((
                Place::Header {
                    name: name.to_string(),
                },
                h.value.trim().to_string(),
            ));
        }
    }
    {
        let u = &spec.url;
        for (k, v) in u.query_pairs() {
            if crate::secret::is_sensitive_param(&k) {
                out.push((
                    Place::Query {
                        name: k.into_owned(),
                    },
                    v.into_owned(),
                ));
            }
        }
    }
    out
}

/// Is a credential at `sent` where `documented` wants it?
pub fn same_place(sent: &Place, documented: &Place) -> bool {
    match (sent, documented) {
        (Place::Authorization { scheme: a }, Place::Authorization { scheme: b }) => {
            a.eq_ignore_ascii_case(b) || b == "ApiKey"
        }
        (Place::Header { name: a }, Place::Header { name: b })
        | (Place::Cookie { name: a }, Place::Cookie { name: b }) => a.eq_ignore_ascii_case(b),
        (Place::Query { name: a }, Place::Query { name: b }) => a == b,
        _ => false,
    }
}

/// The request with its credential moved from where it was sent to `to`; `None` when it
/// carries no credential to move.
pub fn move_credential(spec: &RequestSpec, to: &Place) -> Option<RequestSpec> {
    let (from, cred) = sent_places(spec).into_iter().next()?;
    let mut s = spec.clone();
    match &from {
        Place::Authorization { .. } => s
            .headers
            .retain(|h| !h.name.trim().eq_ignore_ascii_case("authorization")),
        Place::Header { name } => s
            .headers
            .retain(|h| !h.name.trim().eq_ignore_ascii_case(name)),
        Place::Query { name } => {
            let u = &mut s.url;
            let kept: Vec<(String, String)> = u
                .query_pairs()
                .filter(|(k, _)| k != name)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            if kept.is_empty() {
                u.set_query(None);
            } else {
                u.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
        Place::Cookie { .. } => return None,
    }
    match to {
        Place::Authorization { scheme } => s
            .headers
            .push(Header::new("Authorization", format!("{scheme} {cred}"))),
        Place::Header { name } => s.headers.push(Header::new(name, cred)),
        Place::Query { name } => {
            s.url.query_pairs_mut().append_pair(name, &cred);
        }
        Place::Cookie { name } => s
            .headers
            .push(Header::new("Cookie", format!("{name}={cred}"))),
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"openapi":"3.1.0","paths":{
        "/bearer":{"get":{"security":[{"HTTPBearer":[]}]}},
        "/apikey":{"get":{"security":[{"APIKeyHeader":[]}]}},
        "/items/{id}":{"get":{"security":[{"OAuth2":["items:read"]}]}}},
      "components":{"securitySchemes":{
        "HTTPBearer":{"type":"http","scheme":"bearer"},
        "APIKeyHeader":{"type":"apiKey","in":"header","name":"X-API-Key"},
        "OAuth2":{"type":"oauth2","flows":{}}}}}"#;

    #[test]
    fn reads_the_operations_requirements() {
        let d = parse(DOC.as_bytes(), "http://h/openapi.json", "GET", "/apikey").unwrap();
        assert_eq!(
            d.places,
            vec![Place::Header {
                name: "X-API-Key".into()
            }]
        );
        let d = parse(DOC.as_bytes(), "u", "GET", "/items/42").unwrap();
        assert_eq!(d.scopes, vec!["items:read"]);
        assert_eq!(
            d.places,
            vec![Place::Authorization {
                scheme: "Bearer".into()
            }]
        );
        assert!(parse(b"{}", "u", "GET", "/apikey").is_none());
    }

    #[test]
    fn moves_a_credential() {
        let spec = RequestSpec {
            method: "GET".into(),
            url: "http://h/apikey?x=1".parse().unwrap(),
            headers: vec![Header::new("Authorization", "Bearer k-123")],
            ..Default::default()
        };
        let m = move_credential(
            &spec,
            &Place::Header {
                name: "X-API-Key".into(),
            },
        )
        .unwrap();
        assert!(
            m.headers
                .iter()
                .any(|h| h.name == "X-API-Key" && h.value == "k-123")
        );
        assert!(!m.headers.iter().any(|h| h.name == "Authorization"));
        let q = move_credential(
            &spec,
            &Place::Query {
                name: "api_key".into(),
            },
        )
        .unwrap();
        assert!(q.url.as_str().contains("api_key=k-123") && q.url.as_str().contains("x=1"));
    }
}
