//! What acquisition needs, resolved from a profile: endpoints (from OpenID Connect / RFC 8414
//! discovery, or given), the client and how it authenticates, and what the token is for (scopes,
//! RFC 8707 resource, `audience`). Secrets are resolved here from their references (env var,
//! file) into [`Secret`]s that redact themselves; the keyring only with the `keyring` feature.

use crate::error::TokenError;
use authdoctor_core::profile::{Effective, SecretRef};
use authdoctor_core::secret::Secret;
use serde::Deserialize;
use std::path::PathBuf;

/// How the client proves itself at the token endpoint (OpenID Connect Core §9).
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// HTTP Basic with id and secret form-encoded first (RFC 6749 §2.3.1).
    SecretBasic(Secret),
    /// `client_id` and `client_secret` in the form body.
    SecretPost(Secret),
    /// A signed JWT assertion (RFC 7523): PKCS#8 private key (PEM or DER), RS256 or ES256.
    PrivateKeyJwt {
        key_der: Secret,
        alg: AssertionAlg,
        kid: Option<String>,
    },
    /// A public client (device flow, auth code + PKCE): only `client_id`.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionAlg {
    Rs256,
    Es256,
}

/// Endpoints of the issuer.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Endpoints {
    pub issuer: Option<String>,
    pub token_endpoint: String,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub device_authorization_endpoint: Option<String>,
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Everything needed to obtain tokens for one profile.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// Profile name: names the cache file and appears in messages.
    pub profile: String,
    pub issuer: Option<String>,
    pub endpoints: Option<Endpoints>,
    pub client_id: String,
    pub auth: ClientAuth,
    pub scopes: Vec<String>,
    /// RFC 8707 resource indicator.
    pub resource: Option<String>,
    /// `audience` (Auth0/Okta style) for providers that take it instead of `resource`.
    pub audience: Option<String>,
    /// Environment variable(s) `exec` fills, comma-separated in the profile.
    pub token_env: Vec<String>,
    /// `token_file`: the token is read from this file, which another program writes and
    /// rotates (Kubernetes projected service-account tokens, Vault agent sinks); it is re-read
    /// when it changes, and no token is ever requested from an issuer.
    pub token_file: Option<PathBuf>,
    /// `dpop_key`: tokens are requested DPoP-bound to this key and every request that carries
    /// one gets a fresh proof (RFC 9449).
    pub dpop_key: Option<authdoctor_core::model::DpopKey>,
}

impl TokenConfig {
    /// A stable key of what the token is for: a cached token is only reused for the same key.
    pub fn cache_key(&self) -> String {
        let mut scopes = self.scopes.clone();
        scopes.sort();
        let material = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.issuer.as_deref().unwrap_or(""),
            self.client_id,
            scopes.join(" "),
            self.resource.as_deref().unwrap_or(""),
            self.audience.as_deref().unwrap_or("")
        );
        // A token bound to one DPoP key is useless with another (absent: the key as before).
        let material = match &self.dpop_key {
            Some(k) => format!("{material}\ndpop {}", k.thumbprint()),
            None => material,
        };
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, material.as_bytes());
        d.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The same client, asking for other scopes (scope fixes and bisection).
    pub fn with_scopes(&self, scopes: Vec<String>) -> Self {
        TokenConfig {
            scopes,
            ..self.clone()
        }
    }

    /// Build from an effective profile. `auth_method` picks the client authentication
    /// (`client_secret_basic` when not given and a secret exists, else a public client).
    pub fn from_profile(
        eff: &Effective,
        auth_method: Option<&str>,
        key_file: Option<&str>,
    ) -> Result<Self, TokenError> {
        let profile = eff.name.clone().unwrap_or_else(|| "default".into());
        let cfg_err = |reason: &str| TokenError::Config {
            profile: profile.clone(),
            reason: reason.to_string(),
        };
        let token_env = eff
            .str("token_env")
            .map(|s| {
                s.split([',', ' '])
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_else(|| vec!["ACCESS_TOKEN".to_string()]);
        if let Some(path) = eff.str("token_file").filter(|p| !p.trim().is_empty()) {
            // The file is the source: no client, no grant, no issuer needed (the issuer, when
            // set, still names what `check` expects of the token).
            if matches!(auth_method, Some(m) if m != "none") || key_file.is_some() {
                return Err(cfg_err(&format!(
                    "reads its token from token_file {path}: --auth-method/--key-file do not apply"
                )));
            }
            return Ok(TokenConfig {
                profile,
                issuer: eff
                    .str("issuer")
                    .map(|s| s.trim_end_matches('/').to_string()),
                endpoints: None,
                client_id: eff.str("client_id").unwrap_or_default().to_string(),
                auth: ClientAuth::None,
                scopes: eff
                    .str("scopes")
                    .map(|s| s.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
                resource: eff.str("resource").map(str::to_string),
                audience: eff.str("audience").map(str::to_string),
                token_env,
                token_file: Some(expand_home(path)),
                // The file's token is whatever the writer made it; a key still signs proofs.
                dpop_key: dpop_key(eff)?,
            });
        }
        let client_id = eff
            .str("client_id")
            .ok_or_else(|| cfg_err("no client_id (set it in the profile or AUTHDOCTOR_CLIENT_ID)"))?
            .to_string();
        let issuer = eff
            .str("issuer")
            .map(|s| s.trim_end_matches('/').to_string());
        if issuer.is_none() {
            return Err(cfg_err(
                "no issuer (set it in the profile or AUTHDOCTOR_ISSUER)",
            ));
        }
        let secret = match eff.get("client_secret").and_then(|r| r.secret.clone()) {
            Some(r) => Some(resolve_secret(&r)?),
            None => None,
        };
        let auth = match (auth_method, secret) {
            (Some("private_key_jwt"), _) => {
                let path = key_file.ok_or_else(|| {
                    cfg_err("private_key_jwt needs --key-file PKCS8.pem (RS256 or EC P-256)")
                })?;
                let (der, alg) = read_private_key(path)?;
                ClientAuth::PrivateKeyJwt {
                    key_der: der,
                    alg,
                    kid: None,
                }
            }
            (Some("client_secret_post"), Some(s)) => ClientAuth::SecretPost(s),
            (Some("client_secret_basic") | None, Some(s)) => ClientAuth::SecretBasic(s),
            (Some("none") | None, None) => ClientAuth::None,
            (Some(m), None) if m.starts_with("client_secret") => {
                return Err(cfg_err(&format!("{m} needs client_secret in the profile")));
            }
            (Some(m), _) => return Err(cfg_err(&format!("unknown client authentication {m:?}"))),
        };
        let scopes = eff
            .str("scopes")
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(TokenConfig {
            profile,
            issuer,
            endpoints: None,
            client_id,
            auth,
            scopes,
            resource: eff.str("resource").map(str::to_string),
            audience: eff.str("audience").map(str::to_string),
            token_env,
            token_file: None,
            dpop_key: dpop_key(eff)?,
        })
    }

    /// The endpoints: given, else discovered from the issuer's metadata ([`discover`]: RFC 8414,
    /// then OpenID Connect); no metadata is an error.
    pub async fn endpoints(&mut self, http: &reqwest::Client) -> Result<&Endpoints, TokenError> {
        if self.endpoints.is_none() {
            let issuer = self.issuer.clone().unwrap_or_default();
            self.endpoints = Some(discover(http, &issuer).await?);
        }
        Ok(self.endpoints.as_ref().expect("set above"))
    }
}

/// Fetch the issuer's metadata at the URLs clients try, in their order
/// ([`authdoctor_core::idp::discovery::metadata_urls`]: RFC 8414 §3.1, then OpenID Connect):
/// the first that answers 2xx must be the document; a transport error stops the search.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Endpoints, TokenError> {
    let urls = authdoctor_core::idp::discovery::metadata_urls(issuer);
    let issuer = issuer.trim_end_matches('/');
    if urls.is_empty() {
        return Err(TokenError::Discovery {
            url: issuer.to_string(),
            reason: "the issuer is not an http(s) URL".into(),
        });
    }
    let mut last = String::new();
    for url in urls {
        match http.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let bytes = crate::grant::read_capped(r, crate::grant::ANSWER_CAP)
                    .await
                    .map_err(|reason| TokenError::Discovery {
                        url: url.clone(),
                        reason,
                    })?;
                return serde_json::from_slice::<Endpoints>(&bytes).map_err(|e| {
                    TokenError::Discovery {
                        url,
                        reason: format!("not a metadata document: {e}"),
                    }
                });
            }
            Ok(r) => last = format!("{url} answered {}", r.status()),
            Err(e) => {
                return Err(TokenError::Discovery {
                    url,
                    reason: e.to_string(),
                });
            }
        }
    }
    Err(TokenError::Discovery {
        url: issuer.to_string(),
        reason: last,
    })
}

/// `~/…` against `$HOME`; anything else as given.
pub fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join(rest))
            .unwrap_or_else(|| PathBuf::from(p)),
        None => PathBuf::from(p),
    }
}

/// Read a secret reference. The error names the reference, never a value.
pub fn resolve_secret(r: &SecretRef) -> Result<Secret, TokenError> {
    match r {
        SecretRef::Env { env } => match std::env::var(env) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim().to_string())),
            Ok(_) => Err(TokenError::Secret(format!("{env} is set but empty"))),
            Err(_) => Err(TokenError::Secret(format!("{env} is not set"))),
        },
        SecretRef::File { file } => std::fs::read_to_string(expand_home(file))
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|e| TokenError::Secret(format!("cannot read {file}: {e}"))),
        SecretRef::Keyring { keyring, .. } => Err(TokenError::Secret(format!(
            "keyring:{keyring}: this build has no keyring support (the `keyring` cargo feature is off); use env or file"
        ))),
        SecretRef::Literal(s) => Ok(Secret::new(s.clone())),
    }
}

/// The profile's `dpop_key` (a secret reference to a private JWK or PEM), loaded.
fn dpop_key(eff: &Effective) -> Result<Option<authdoctor_core::model::DpopKey>, TokenError> {
    match eff.get("dpop_key").and_then(|r| r.secret.clone()) {
        Some(r) => crate::dpop::load_key(resolve_secret(&r)?.expose().as_bytes()).map(Some),
        None => Ok(None),
    }
}

/// A PKCS#8 private key from PEM or DER, and which assertion algorithm it signs with.
fn read_private_key(path: &str) -> Result<(Secret, AssertionAlg), TokenError> {
    use base64::Engine;
    let bytes = std::fs::read(expand_home(path))
        .map_err(|e| TokenError::Secret(format!("cannot read {path}: {e}")))?;
    let der = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => {
            let b64: String = text
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>();
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| TokenError::Secret(format!("{path}: PEM body is not base64")))?
        }
        _ => bytes,
    };
    let alg = if aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).is_ok() {
        AssertionAlg::Rs256
    } else if aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &der,
    )
    .is_ok()
    {
        AssertionAlg::Es256
    } else {
        return Err(TokenError::Secret(format!(
            "{path}: not a PKCS#8 RSA or EC P-256 private key"
        )));
    };
    // The DER travels as base64 inside a Secret so it redacts itself.
    Ok((
        Secret::new(base64::engine::general_purpose::STANDARD.encode(der)),
        alg,
    ))
}

#[cfg(test)]
mod discover_tests {
    use super::*;

    #[tokio::test]
    async fn an_issuer_that_is_not_a_url_is_a_discovery_error_without_a_request() {
        for issuer in ["", "accounts.example.com", "ftp://as.example"] {
            match discover(&reqwest::Client::new(), issuer).await {
                Err(TokenError::Discovery { reason, .. }) => {
                    assert!(reason.contains("not an http(s) URL"), "{issuer}: {reason}")
                }
                other => panic!("{issuer}: {other:?}"),
            }
        }
    }
}
