//! Adding a profile from an issuer's discovery document (the CLI's `config init`), in two
//! steps so nothing is asked of the issuer before the request and the target file are known
//! good: [`prepare`] checks the request (secret *references* only: no field takes a secret),
//! picks the file (the user file, created 0600 in a 0700 directory, or `./authdoctor.toml`) and
//! checks its content; [`finish`] reads the issuer's metadata, which must name the issuer as it
//! will be written, edits the file in place ([`crate::edit`]: comments and layout kept) and
//! replaces it atomically; it says what to run next as data ([`Next`]).

use crate::TokenError;
use crate::config::Endpoints;
use crate::edit::{
    EditError, Edited, NewProfile, add_profile, check_existing, check_url, valid_env_name,
    valid_profile_name, write_atomic,
};
use crate::layers::user_file_path;
use authdoctor_core::profile::{ConfigFile, SecretRef};
use std::path::PathBuf;
use thiserror::Error;

/// What to write. Field names follow `config init`'s flags, which the messages name.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    pub issuer: String,
    pub profile: String,
    pub client_id: Option<String>,
    /// The NAME of the variable that will hold the client secret.
    pub client_secret_env: Option<String>,
    pub client_secret_file: Option<String>,
    pub resource: Option<String>,
    /// Scopes, each entry possibly several separated by spaces.
    pub scope: Vec<String>,
    /// `./authdoctor.toml` rather than the user file.
    pub project: bool,
    /// Replace an existing profile.
    pub force: bool,
    pub allow_http_issuer: bool,
}

/// Why nothing (or not everything) was written.
#[derive(Debug, Error)]
pub enum InitError {
    #[error("--profile {0:?}: use letters, digits, '_', '-' and '.'")]
    ProfileName(String),
    /// Never echoes the value: this is where a pasted secret would land.
    #[error(
        "--client-secret-env takes the NAME of an environment variable (letters, digits, '_'), not the secret itself"
    )]
    SecretEnvName,
    #[error("--client-secret-file: an empty path")]
    EmptySecretFile,
    #[error("--resource {value}: {reason}")]
    Resource {
        value: String,
        reason: url::ParseError,
    },
    #[error("--client-id: an empty client id")]
    EmptyClientId,
    #[error("cannot read the current directory: {0}")]
    CurrentDir(std::io::Error),
    #[error("neither XDG_CONFIG_HOME nor HOME is set: no user file")]
    NoUserFile,
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("cannot create {}: {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
    /// The issuer's metadata could not be read.
    #[error(transparent)]
    Discovery(TokenError),
    #[error(
        "the discovery document of {given} names issuer {named}: tokens will carry that iss; pass --issuer {named}"
    )]
    IssuerMismatch { given: String, named: String },
}

impl InitError {
    /// Whether the issuer answered (with something that is not its metadata): then the URL is
    /// what is wrong, not the network.
    pub fn issuer_answered(&self) -> bool {
        matches!(self, InitError::Discovery(TokenError::Discovery { reason, .. })
            if reason.contains(" answered ") || reason.starts_with("not a metadata document"))
    }
}

/// The command to run after the profile is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The profile has no client_id yet.
    AddClientId,
    /// `token get` as it is (client_credentials with a secret, or nothing better known).
    TokenGet,
    /// A public client whose issuer offers the device grant.
    Device,
    /// A public client whose issuer offers the authorization-code grant.
    AuthCode,
}

/// A checked request and its target file, before the issuer is asked.
#[derive(Debug)]
pub struct Prepared {
    req: InitRequest,
    secret: Option<SecretRef>,
    scopes: Vec<String>,
    path: PathBuf,
    shown: String,
    existing: Option<String>,
    parsed: ConfigFile,
}

/// What was written, for saying so.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    /// "project file" or "user file".
    pub kind: &'static str,
    pub edited: Edited,
    pub secret: Option<SecretRef>,
    /// The issuer takes client_secret_post and not client_secret_basic (with a secret).
    pub suggest_post: bool,
    pub next: Next,
}

/// Check the request and read the target file (no network).
pub fn prepare(req: InitRequest) -> Result<Prepared, InitError> {
    if !valid_profile_name(&req.profile) {
        return Err(InitError::ProfileName(req.profile));
    }
    let secret = match (&req.client_secret_env, &req.client_secret_file) {
        (Some(var), _) if !valid_env_name(var) => return Err(InitError::SecretEnvName),
        (Some(var), _) => Some(SecretRef::Env { env: var.clone() }),
        (None, Some(file)) if file.trim().is_empty() => return Err(InitError::EmptySecretFile),
        (None, Some(file)) => Some(SecretRef::File { file: file.clone() }),
        (None, None) => None,
    };
    check_url("--issuer", &req.issuer, req.allow_http_issuer)?;
    if let Some(r) = &req.resource {
        url::Url::parse(r).map_err(|reason| InitError::Resource {
            value: r.clone(),
            reason,
        })?;
    }
    if req
        .client_id
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        return Err(InitError::EmptyClientId);
    }
    let scopes = req
        .scope
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();
    let path = if req.project {
        std::env::current_dir()
            .map_err(InitError::CurrentDir)?
            .join("authdoctor.toml")
    } else {
        user_file_path().ok_or(InitError::NoUserFile)?
    };
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(InitError::Read {
                file: shown,
                source,
            });
        }
    };
    let parsed = check_existing(existing.as_deref(), &shown, &req.profile, req.force)?;
    Ok(Prepared {
        req,
        secret,
        scopes,
        path,
        shown,
        existing,
        parsed,
    })
}

/// Read the issuer's metadata, then write the profile.
pub async fn finish(p: Prepared, http: &reqwest::Client) -> Result<Written, InitError> {
    let ep = crate::config::discover(http, &p.req.issuer)
        .await
        .map_err(InitError::Discovery)?;
    let given = p.req.issuer.trim_end_matches('/');
    let issuer = match ep.issuer.as_deref() {
        Some(i) if i.trim_end_matches('/') == given => i.to_string(),
        Some(i) => {
            return Err(InitError::IssuerMismatch {
                given: p.req.issuer.clone(),
                named: i.to_string(),
            });
        }
        None => p.req.issuer.clone(),
    };
    let new = NewProfile {
        issuer,
        client_id: p.req.client_id.clone(),
        client_secret: p.secret.clone(),
        resource: p.req.resource.clone(),
        scopes: p.scopes.clone(),
    };
    let edited = add_profile(
        p.existing.as_deref(),
        &p.parsed,
        &p.shown,
        &p.req.profile,
        &new,
    )?;
    if let Some(dir) = p.path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| InitError::CreateDir {
                dir: dir.to_path_buf(),
                source,
            })?;
    }
    let mode = if p.req.project {
        // A project file is committed: keep the mode it has, else an ordinary 0644.
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&p.path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644)
    } else {
        0o600
    };
    write_atomic(&p.path, &edited.text, mode)?;
    Ok(Written {
        suggest_post: p.secret.is_some() && prefers_post(&ep),
        next: next(p.req.client_id.is_some(), p.secret.is_some(), &ep),
        kind: if p.req.project {
            "project file"
        } else {
            "user file"
        },
        path: p.path,
        edited,
        secret: p.secret,
    })
}

/// The issuer lists its client authentication methods, client_secret_post among them and
/// client_secret_basic (the default) not.
fn prefers_post(ep: &Endpoints) -> bool {
    let methods = ep.token_endpoint_auth_methods_supported.as_deref();
    let methods = methods.unwrap_or_default();
    !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post")
}

fn next(client_id: bool, secret: bool, ep: &Endpoints) -> Next {
    match (client_id, secret) {
        (false, _) => Next::AddClientId,
        (true, true) => Next::TokenGet,
        (true, false) if ep.device_authorization_endpoint.is_some() => Next::Device,
        (true, false) if ep.authorization_endpoint.is_some() => Next::AuthCode,
        (true, false) => Next::TokenGet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_client_is_pointed_at_the_interactive_grant_its_issuer_offers() {
        let mut ep = Endpoints::default();
        assert_eq!(next(false, true, &ep), Next::AddClientId);
        assert_eq!(next(true, false, &ep), Next::TokenGet);
        ep.authorization_endpoint = Some("https://idp.example/auth".into());
        assert_eq!(next(true, false, &ep), Next::AuthCode);
        ep.device_authorization_endpoint = Some("https://idp.example/device".into());
        assert_eq!(next(true, false, &ep), Next::Device);
        assert_eq!(next(true, true, &ep), Next::TokenGet);
    }

    #[test]
    fn client_secret_post_is_suggested_only_when_basic_is_not_offered() {
        let with = |m: &[&str]| Endpoints {
            token_endpoint_auth_methods_supported: Some(m.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        assert!(prefers_post(&with(&["client_secret_post"])));
        assert!(!prefers_post(&with(&[
            "client_secret_basic",
            "client_secret_post"
        ])));
        assert!(!prefers_post(&with(&[])));
        assert!(!prefers_post(&Endpoints::default()));
    }

    #[test]
    fn a_pasted_secret_is_never_echoed() {
        let req = InitRequest {
            issuer: "https://idp.example".into(),
            profile: "p".into(),
            client_secret_env: Some("s3cr3t-value!".into()),
            ..Default::default()
        };
        let e = prepare(req).unwrap_err();
        assert!(matches!(e, InitError::SecretEnvName));
        assert!(!e.to_string().contains("s3cr3t"));
    }
}
