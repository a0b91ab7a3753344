//! Where an authorization server publishes its metadata: the one place these URLs are built,
//! shared by the diagnoser (`authdoctor_core::idp::discovery` re-exports it), the tokens crate
//! and the guard. Pure string and URL work; no I/O.
//!
//! RFC 8414 §3.1 inserts the well-known path between the host and the issuer's path
//! (`https://as.example/.well-known/oauth-authorization-server/tenant`); OpenID Connect
//! Discovery 1.0 §4 appends it (`https://as.example/tenant/.well-known/openid-configuration`).
//! Servers in the wild publish one form or the other, so clients try several, in the order the
//! MCP authorization specification gives.

/// RFC 8414's well-known suffix.
pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery's well-known suffix.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";

/// The metadata URLs of the authorization server `issuer`, in the order clients try them:
/// RFC 8414 §3.1 first (inserted), then OpenID Connect; for an issuer with a path, the inserted
/// OIDC form comes between the RFC 8414 form and the appended OIDC form. Empty when `issuer` is
/// not an http(s) URL (there is nowhere to fetch from).
pub fn metadata_urls(issuer: &str) -> Vec<String> {
    let Ok(u) = url::Url::parse(issuer) else {
        return Vec::new();
    };
    if !matches!(u.scheme(), "http" | "https") {
        return Vec::new();
    }
    let origin = u.origin().ascii_serialization();
    let path = u.path().trim_end_matches('/');
    if path.is_empty() {
        vec![
            format!("{origin}{OAUTH_AUTHORIZATION_SERVER}"),
            format!("{origin}{OPENID_CONFIGURATION}"),
        ]
    } else {
        vec![
            format!("{origin}{OAUTH_AUTHORIZATION_SERVER}{path}"),
            format!("{origin}{OPENID_CONFIGURATION}{path}"),
            format!("{origin}{path}{OPENID_CONFIGURATION}"),
        ]
    }
}

/// The issuer identifier a metadata URL was built for (the inverse of [`metadata_urls`]), to
/// compare with the document's `issuer` (RFC 8414 §3.3). `None` when the URL has neither
/// well-known form.
pub fn issuer_for_metadata_url(metadata_url: &str) -> Option<String> {
    let u = url::Url::parse(metadata_url).ok()?;
    let origin = u.origin().ascii_serialization();
    let path = u.path();
    for wk in [OAUTH_AUTHORIZATION_SERVER, OPENID_CONFIGURATION] {
        if let Some(rest) = path.strip_prefix(wk) {
            return Some(format!("{origin}{rest}"));
        }
        if let Some(before) = path.strip_suffix(wk) {
            return Some(format!("{origin}{before}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8414_inserts_before_the_path() {
        assert_eq!(
            metadata_urls("https://as.example.com"),
            [
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("https://as.example.com/"),
            metadata_urls("https://as.example.com")
        );
        // RFC 8414 §3.1's own example issuer.
        assert_eq!(
            metadata_urls("https://as.example.com/issuer1/"),
            [
                "https://as.example.com/.well-known/oauth-authorization-server/issuer1",
                "https://as.example.com/.well-known/openid-configuration/issuer1",
                "https://as.example.com/issuer1/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("http://127.0.0.1:8080/realms/api")[2],
            "http://127.0.0.1:8080/realms/api/.well-known/openid-configuration"
        );
    }

    #[test]
    fn only_http_issuers_have_metadata_urls() {
        assert!(metadata_urls("accounts.example.com").is_empty());
        assert!(metadata_urls("urn:example:issuer").is_empty());
        assert!(metadata_urls("ftp://as.example.com").is_empty());
    }

    #[test]
    fn the_issuer_comes_back_from_each_form() {
        for issuer in ["https://as.example.com", "https://as.example.com/t/1"] {
            for url in metadata_urls(issuer) {
                assert_eq!(
                    issuer_for_metadata_url(&url).as_deref(),
                    Some(issuer),
                    "{url}"
                );
            }
        }
        assert_eq!(issuer_for_metadata_url("https://as.example.com/jwks"), None);
    }
}
