//! # authorization-server-metadata-invalid
//!
//! ## What it detects
//! The authorization server named by the resource's metadata publishes no usable metadata
//! (RFC 8414 and OpenID Connect discovery, at the URLs in the order clients try them), or its
//! metadata's `issuer` differs from the issuer it was fetched for, or it offers no PKCE `S256`,
//! or no way for a client without a `client_id` to register (no `registration_endpoint`, no
//! client ID metadata document support).
//!
//! ## Why it gives 401
//! A client that discovers its authorization server refuses metadata whose `issuer` is not the
//! one it asked about (RFC 8414 §3.3: a mix-up attack defence), must use PKCE with `S256`, and
//! without a registered `client_id` must register first. Any of these missing stops the client
//! before it can ask for a token, so every request stays a credential-less 401.
//!
//! ## Evidence used
//! - the resource metadata's `authorization_servers`;
//! - the fetches of `/.well-known/oauth-authorization-server{path}`,
//!   `/.well-known/openid-configuration{path}` and `{path}/.well-known/openid-configuration`;
//! - the document's `issuer`, `code_challenge_methods_supported`, `registration_endpoint`,
//!   `client_id_metadata_document_supported`.
//!
//! ## Fix
//! Publish the metadata at the RFC 8414 well-known URL, with `issuer` exactly the identifier
//! the resource metadata lists (scheme, host, port, path, trailing slash), `S256` in
//! `code_challenge_methods_supported`, and a `registration_endpoint` (or client ID metadata
//! document support) for clients that come without a `client_id`.
//!
//! ## Example
//! ```text
//! authorization_servers: ["http://127.0.0.1:9000/"]
//! GET http://127.0.0.1:9000/.well-known/oauth-authorization-server → { "issuer": "http://localhost:9000/", … }
//! ```
//!
//! ## References
//! RFC 8414 §2, §3.1, §3.3; RFC 7636 §4.2 (S256); RFC 7591 (dynamic registration); MCP
//! Authorization specification (2025-06-18), "Authorization Server Metadata Discovery".

use crate::causes::consistency::Profile;
use crate::diagnosis::{Effort, Finding, Fix};
use crate::evidence::Evidence;
use crate::idp::discovery::StepKind;

/// Above `missing-credentials` when no credential was sent; below the credential's own
/// problem when one was.
pub const PROFILE: Profile = super::CHAIN_PROFILE;

pub const ID: &str = "authorization-server-metadata-invalid";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let f = super::finding(
        ev,
        ID,
        StepKind::AuthorizationServerMetadata,
        "authorization server metadata",
    )?;
    Some(
        f.fix(
            Fix::new(
                "fix-authorization-server-metadata",
                "Publish RFC 8414 metadata a discovering client accepts",
                Effort::Medium,
            )
            .step("Serve it at /.well-known/oauth-authorization-server (inserted before the issuer's path).")
            .step("Set `issuer` to exactly the identifier the resource metadata lists.")
            .step("Offer S256 in `code_challenge_methods_supported`.")
            .step("Offer a `registration_endpoint` (or client ID metadata documents) for clients without a client_id."),
        ),
    )
}
