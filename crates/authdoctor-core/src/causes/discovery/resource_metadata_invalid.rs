//! # resource-metadata-invalid
//!
//! ## What it detects
//! The resource's OAuth 2.0 Protected Resource Metadata (RFC 9728) — named by the 401's
//! `resource_metadata` challenge parameter, else at its well-known URL — is missing,
//! unreachable, not JSON, lists no `authorization_servers`, or names a `resource` that is not
//! the URL the client called (a trailing slash, another host, scheme, port or path, named
//! exactly).
//!
//! ## Why it gives 401
//! Clients that discover how to authenticate (every MCP client, and more and more OAuth
//! clients) start without a token, read the 401's `resource_metadata`, and follow it to the
//! authorization server. RFC 9728 §3.3 requires them to reject metadata whose `resource` is
//! not the resource they asked for, so a resource configured as `http://localhost:8080/mcp`
//! behind `https://api.example.com/mcp`, or with a trailing slash, stops every client at the
//! first step: the user sees "401, and then nothing happens".
//!
//! ## Evidence used
//! - the final 401's `WWW-Authenticate: Bearer resource_metadata="…"`;
//! - the fetch of that URL (or of `/.well-known/oauth-protected-resource{path}`): status, body;
//! - the document's `resource` against the request URL, and its `authorization_servers`.
//!
//! ## Fix
//! Serve the metadata at the URL the challenge names, as JSON, with `resource` set to exactly
//! the URL clients call (the public one, behind any proxy) and `authorization_servers` naming
//! the issuer. In the MCP TypeScript SDK that is the `resourceServerUrl` given to
//! `mcpAuthMetadataRouter` / `getOAuthProtectedResourceMetadataUrl`.
//!
//! ## Example
//! ```text
//! GET /mcp → 401 WWW-Authenticate: Bearer resource_metadata="http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
//! { "resource": "http://localhost:8080/mcp", … }   ← the request went to 127.0.0.1
//! ```
//!
//! ## References
//! RFC 9728 §2, §3.1, §3.3, §5.1; MCP Authorization specification (2025-06-18), "Authorization
//! Server Discovery".

use crate::causes::consistency::Profile;
use crate::diagnosis::{Effort, Finding, Fix};
use crate::evidence::Evidence;
use crate::idp::discovery::StepKind;

/// Above `missing-credentials` when no credential was sent; below the credential's own
/// problem when one was.
pub const PROFILE: Profile = super::CHAIN_PROFILE;

pub const ID: &str = "resource-metadata-invalid";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let f = super::finding(ev, ID, StepKind::ResourceMetadata, "resource metadata")?;
    Some(
        f.fix(
            Fix::new(
                "fix-resource-metadata",
                "Publish RFC 9728 metadata for exactly the URL clients call",
                Effort::Medium,
            )
            .step("Serve the metadata as JSON at the URL the 401's resource_metadata names.")
            .step(format!(
                "Set `resource` to exactly {} (the public URL, no added trailing slash).",
                crate::secret::redact_url(&{
                    let mut u = ev.request.url.clone();
                    u.set_query(None);
                    u.to_string()
                })
            ))
            .step("List the issuer under `authorization_servers`."),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::idp::discovery::{AsMetadataFetch, MetadataSource};
    use crate::idp::{FetchRecord, IdpEvidence, RawIdp, ResourceMetadata};

    fn rec(url: &str, status: u16) -> FetchRecord {
        FetchRecord {
            what: "resource-metadata".into(),
            url: url.into(),
            status: Some(status),
            from_cache: false,
            elapsed_ms: 1.0,
            error: (status != 200).then(|| format!("HTTP {status}")),
        }
    }

    #[test]
    fn other_host_outranks_missing_credentials() {
        let ev = evidence(
            &[],
            401,
            &[(
                "WWW-Authenticate",
                r#"Bearer resource_metadata="http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp""#,
            )],
        );
        let raw = RawIdp {
            metadata_fetch: Some(rec(
                "http://127.0.0.1:1/.well-known/oauth-protected-resource/mcp",
                200,
            )),
            metadata_source: Some(MetadataSource::Challenge),
            metadata: Some(ResourceMetadata {
                resource: Some("http://localhost:1/mcp".into()),
                authorization_servers: Some(vec!["http://127.0.0.1:2".into()]),
                ..Default::default()
            }),
            authorization_server_metadata: vec![AsMetadataFetch::default()],
            ..Default::default()
        };
        let mut ev = ev;
        ev.request.url = "http://127.0.0.1:1/mcp".parse().unwrap();
        let ev = ev.with_idp(Some(IdpEvidence {
            raw,
            ..Default::default()
        }));
        let fs = crate::causes::diagnose(&ev);
        assert_eq!(fs[0].id, super::ID, "{fs:#?}");
        assert!(fs[0].title.contains("localhost"), "{}", fs[0].title);
        assert!(fs.iter().any(|f| f.id == "missing-credentials"));
    }
}
