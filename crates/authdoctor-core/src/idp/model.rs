//! What identity providers and resources publish, as read from the wire: the OpenID / RFC 8414
//! discovery document, RFC 9728 protected-resource metadata and an RFC 7662 introspection
//! response. Every field is optional: a diagnoser must read (and then explain) documents a
//! strict client would refuse.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// OpenID Connect Discovery 1.0 / RFC 8414 authorization-server metadata (the fields used).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Discovery {
    pub issuer: Option<String>,
    pub jwks_uri: Option<String>,
    pub token_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub scopes_supported: Option<Vec<String>>,
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    pub introspection_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// RFC 9728 §2 protected-resource metadata (the fields used).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct ResourceMetadata {
    pub resource: Option<String>,
    pub authorization_servers: Option<Vec<String>>,
    pub scopes_supported: Option<Vec<String>>,
    pub bearer_methods_supported: Option<Vec<String>>,
    pub resource_name: Option<String>,
}

/// RFC 7662 §2.2 introspection response (the fields reported).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Introspection {
    pub active: Option<bool>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub token_type: Option<String>,
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub sub: Option<String>,
    pub aud: Option<Value>,
    pub iss: Option<String>,
}

/// Parse a JSON document into one of the models; a non-object or non-JSON body is an error
/// string that the report shows.
pub fn parse<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("{what} is not JSON: {e}"))?;
    if !v.is_object() {
        return Err(format!("{what} is not a JSON object"));
    }
    serde_json::from_value(v).map_err(|e| format!("{what} has a field of the wrong type: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_documents() {
        let d: Discovery = parse(br#"{"issuer":"https://i/","x":1}"#, "discovery").unwrap();
        assert_eq!(d.issuer.as_deref(), Some("https://i/"));
        assert!(d.jwks_uri.is_none());
        let m: ResourceMetadata = parse(
            br#"{"resource":"http://localhost:4700/mcp","authorization_servers":["http://localhost:4701/"],"scopes_supported":["mcp:tools"]}"#,
            "metadata",
        )
        .unwrap();
        assert_eq!(m.scopes_supported.unwrap(), ["mcp:tools"]);
        assert!(parse::<Introspection>(b"[1]", "introspection").is_err());
        let i: Introspection = parse(br#"{"active":false}"#, "introspection").unwrap();
        assert_eq!(i.active, Some(false));
    }
}
