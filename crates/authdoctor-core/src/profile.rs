//! Profiles: named sets of expectations and credential references, usually one per environment
//! (dev/stage/prod), resolved from several layers — flags, environment variables, a project file
//! (`authdoctor.toml`) and the user file (`$XDG_CONFIG_HOME/authdoctor/config.toml`) — with a
//! record of which layer won each value and which it overrode.
//!
//! This module only parses and merges; reading files, the environment and keyrings happens at
//! the CLI's edge, which hands the texts and variables in. Secrets are never stored in a
//! profile: a profile holds a [`SecretRef`] (env var, file, keyring entry). A literal secret in
//! a project file is accepted but warned about, since project files get committed.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// Where a value came from. Order of precedence: flag > env > project file > user file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    UserFile(String),
    ProjectFile(String),
    Env(String),
    Flag(String),
}

impl Source {
    fn rank(&self) -> u8 {
        match self {
            Source::UserFile(_) => 0,
            Source::ProjectFile(_) => 1,
            Source::Env(_) => 2,
            Source::Flag(_) => 3,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::UserFile(p) => write!(f, "user file {p}"),
            Source::ProjectFile(p) => write!(f, "project file {p}"),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Flag(n) => write!(f, "flag {n}"),
        }
    }
}

/// A reference to a secret, never the secret itself (except `Literal`, which is warned about).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SecretRef {
    /// `{ env = "VAR" }`
    Env { env: String },
    /// `{ file = "~/.config/x/secret" }`
    File { file: String },
    /// `{ keyring = "service", user = "account" }`
    Keyring {
        keyring: String,
        #[serde(default)]
        user: Option<String>,
    },
    /// A plain string: the secret itself. Works, but is warned about in project files.
    Literal(String),
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env { env } => write!(f, "env:{env}"),
            SecretRef::File { file } => write!(f, "file:{file}"),
            SecretRef::Keyring { keyring, user } => {
                write!(
                    f,
                    "keyring:{keyring}{}",
                    user.as_ref().map(|u| format!("/{u}")).unwrap_or_default()
                )
            }
            SecretRef::Literal(s) => write!(f, "literal {}", crate::secret::redact(s)),
        }
    }
}

/// One profile as written in a file (every field optional; layers fill the gaps).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    /// Environment label: dev, stage, prod…
    pub environment: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretRef>,
    /// Expected `aud` of access tokens for this API.
    pub audience: Option<String>,
    /// RFC 8707 resource indicator to request tokens for.
    pub resource: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Base URL of the API; its host also selects the profile.
    pub api_base: Option<String>,
    /// More hosts that select this profile.
    pub hosts: Option<Vec<String>>,
    pub introspection_client_id: Option<String>,
    pub introspection_client_secret: Option<SecretRef>,
    /// Environment variable(s) `authdoctor exec` fills with the access token.
    pub token_env: Option<String>,
    /// A file another program writes and rotates (a Kubernetes projected service-account
    /// token, a Vault agent sink): the token source; no token is ever requested from an issuer.
    pub token_file: Option<String>,
    /// A DPoP private key (JWK or PEM), as a secret reference (`{ file = … }`): tokens are
    /// requested DPoP-bound and every request carries a fresh proof.
    pub dpop_key: Option<SecretRef>,
}

/// A config file: `default_profile`, `[profiles.NAME]` tables and the `[cache]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    /// The token cache shared by many machines (Redis), for every profile.
    #[serde(default)]
    pub cache: Option<CacheTable>,
}

/// `[cache]`: a Redis the hosts of a fleet share, so one token request serves them all.
/// `redis` and `encryption_key` are required together; the rest tune or authenticate.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheTable {
    /// `redis://[user:password@]host:port/db` or `rediss://…` (TLS); a plain string or a
    /// reference (the URL may carry a password).
    pub redis: Option<SecretRef>,
    /// 32 random bytes, base64 (AES-256-GCM); a reference such as `{ env = "…" }`.
    pub encryption_key: Option<SecretRef>,
    /// Redis ACL user, when not in the URL.
    pub username: Option<String>,
    /// Redis password, when not in the URL.
    pub password: Option<SecretRef>,
    /// Deadline of each Redis operation and of connecting, in milliseconds (default 50).
    pub timeout_ms: Option<u64>,
    /// How long a refresh lease lives if its holder dies, in milliseconds (default 5000).
    pub lease_ms: Option<u64>,
}

impl CacheTable {
    /// `self` over `lower`, field by field.
    fn over(self, lower: CacheTable) -> CacheTable {
        CacheTable {
            redis: self.redis.or(lower.redis),
            encryption_key: self.encryption_key.or(lower.encryption_key),
            username: self.username.or(lower.username),
            password: self.password.or(lower.password),
            timeout_ms: self.timeout_ms.or(lower.timeout_ms),
            lease_ms: self.lease_ms.or(lower.lease_ms),
        }
    }
}

/// The effective `[cache]` table: the project file's fields over the user file's.
pub fn cache_table(layers: &Layers) -> Option<CacheTable> {
    let user = layers.user.as_ref().and_then(|(_, f)| f.cache.clone());
    let project = layers.project.as_ref().and_then(|(_, f)| f.cache.clone());
    match (project, user) {
        (Some(p), Some(u)) => Some(p.over(u)),
        (p, u) => p.or(u),
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{file}: {reason}")]
    Parse { file: String, reason: String },
    #[error("no profile named {name:?} (known: {known})")]
    UnknownProfile { name: String, known: String },
}

/// Parse a config file's text. `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| ConfigError::Parse {
        file: file.to_string(),
        // toml's message spans several lines with a caret diagram; keep the first for one-line errors.
        reason: e
            .to_string()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string(),
    })
}

/// The environment variables that set profile fields directly.
pub const ENV_FIELDS: &[(&str, &str)] = &[
    ("AUTHDOCTOR_ENVIRONMENT", "environment"),
    ("AUTHDOCTOR_ISSUER", "issuer"),
    ("AUTHDOCTOR_CLIENT_ID", "client_id"),
    ("AUTHDOCTOR_CLIENT_SECRET", "client_secret"),
    ("AUTHDOCTOR_AUDIENCE", "audience"),
    ("AUTHDOCTOR_RESOURCE", "resource"),
    ("AUTHDOCTOR_SCOPES", "scopes"),
    ("AUTHDOCTOR_API_BASE", "api_base"),
];

/// Everything the resolver reads, gathered by the caller.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// (path, parsed) of the project file, if found.
    pub project: Option<(String, ConfigFile)>,
    /// (path, parsed) of the user file, if found.
    pub user: Option<(String, ConfigFile)>,
    /// Environment variables (only the `AUTHDOCTOR_*` ones matter).
    pub env: BTreeMap<String, String>,
    /// Values from command-line flags: (field, flag name, value).
    pub flags: Vec<(String, String, String)>,
}

/// One effective value and its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub field: &'static str,
    /// Display form: secrets as references or redacted, never in clear.
    pub shown: String,
    pub source: Source,
    /// Lower layers that also set it, and what they said (display form).
    pub overridden: Vec<(Source, String)>,
    /// Set for secret fields: the reference to resolve.
    pub secret: Option<SecretRef>,
}

/// A profile after merging every layer.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    pub name: Option<String>,
    /// How the profile was chosen.
    pub chosen_by: String,
    pub values: Vec<Resolved>,
    pub warnings: Vec<String>,
}

impl Effective {
    pub fn get(&self, field: &str) -> Option<&Resolved> {
        self.values.iter().find(|r| r.field == field)
    }
    pub fn str(&self, field: &str) -> Option<&str> {
        self.get(field)
            .filter(|r| r.secret.is_none())
            .map(|r| r.shown.as_str())
    }

    /// The hosts this profile names for its credentials: `api_base`'s host and `hosts`.
    pub fn token_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = self.str("api_base").and_then(host_of).into_iter().collect();
        out.extend(
            self.str("hosts")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_ascii_lowercase),
        );
        out
    }

    /// The user named this profile on the command line (`--profile`), not a default or an
    /// environment variable.
    pub fn named_by_flag(&self) -> bool {
        self.chosen_by == "--profile"
    }
}

const FIELDS: &[&str] = &[
    "environment",
    "issuer",
    "client_id",
    "client_secret",
    "audience",
    "resource",
    "scopes",
    "api_base",
    "hosts",
    "introspection_client_id",
    "introspection_client_secret",
    "token_env",
    "token_file",
    "dpop_key",
];

fn is_secret_field(f: &str) -> bool {
    f.ends_with("secret") || f == "dpop_key"
}

/// (display, secret ref) of a field of a file profile.
fn field_of(p: &RawProfile, f: &str) -> Option<(String, Option<SecretRef>)> {
    let s = |v: &Option<String>| v.clone().map(|x| (x, None));
    let sec = |v: &Option<SecretRef>| v.clone().map(|r| (r.to_string(), Some(r)));
    let list = |v: &Option<Vec<String>>| v.clone().map(|x| (x.join(" "), None));
    match f {
        "environment" => s(&p.environment),
        "issuer" => s(&p.issuer),
        "client_id" => s(&p.client_id),
        "client_secret" => sec(&p.client_secret),
        "audience" => s(&p.audience),
        "resource" => s(&p.resource),
        "scopes" => list(&p.scopes),
        "api_base" => s(&p.api_base),
        "hosts" => list(&p.hosts),
        "introspection_client_id" => s(&p.introspection_client_id),
        "introspection_client_secret" => sec(&p.introspection_client_secret),
        "token_env" => s(&p.token_env),
        "token_file" => s(&p.token_file),
        "dpop_key" => sec(&p.dpop_key),
        _ => None,
    }
}

use crate::model::host_of;

/// Merge the layers into the effective profile.
///
/// 1. The profile name: `--profile`, else `AUTHDOCTOR_PROFILE`, else the profile whose
///    `api_base`/`hosts` match the request's host, else `default_profile` (project, then user).
/// 2. Each field: the highest layer that sets it wins; lower ones are kept as `overridden`.
/// 3. Warnings: literal secrets in a project file, env vars overriding a file's value.
pub fn resolve(
    layers: &Layers,
    profile: Option<&str>,
    request_host: Option<&str>,
) -> Result<Effective, ConfigError> {
    let files: Vec<(Source, &ConfigFile)> = [
        layers
            .user
            .as_ref()
            .map(|(p, c)| (Source::UserFile(p.clone()), c)),
        layers
            .project
            .as_ref()
            .map(|(p, c)| (Source::ProjectFile(p.clone()), c)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let known: Vec<&String> = files.iter().flat_map(|(_, c)| c.profiles.keys()).collect();

    let env_profile = layers.env.get("AUTHDOCTOR_PROFILE").cloned();
    let (name, chosen_by) = if let Some(p) = profile {
        (Some(p.to_string()), "--profile".to_string())
    } else if let Some(p) = env_profile {
        (Some(p), "AUTHDOCTOR_PROFILE".to_string())
    } else if let Some((n, why)) = request_host.and_then(|h| {
        let h = h.to_ascii_lowercase();
        files.iter().rev().find_map(|(_, c)| {
            c.profiles.iter().find_map(|(n, p)| {
                let by_base = p
                    .api_base
                    .as_deref()
                    .and_then(host_of)
                    .is_some_and(|b| b == h);
                let by_hosts = p
                    .hosts
                    .as_ref()
                    .is_some_and(|hs| hs.iter().any(|x| x.eq_ignore_ascii_case(&h)));
                (by_base || by_hosts).then(|| (n.clone(), format!("the request's host {h}")))
            })
        })
    }) {
        (Some(n), why)
    } else if let Some(d) = files
        .iter()
        .rev()
        .find_map(|(_, c)| c.default_profile.clone())
    {
        (Some(d), "default_profile".to_string())
    } else {
        (None, "no profile selected".to_string())
    };
    if let Some(n) = &name
        && !files.is_empty()
        && !known.contains(&n)
    {
        let mut k: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        k.sort();
        k.dedup();
        return Err(ConfigError::UnknownProfile {
            name: n.clone(),
            known: if k.is_empty() {
                "none".into()
            } else {
                k.join(", ")
            },
        });
    }

    let mut eff = Effective {
        name: name.clone(),
        chosen_by,
        ..Default::default()
    };
    for &field in FIELDS {
        // Candidates from lowest to highest precedence.
        let mut cands: Vec<(Source, String, Option<SecretRef>)> = Vec::new();
        if let Some(n) = &name {
            for (src, c) in &files {
                if let Some((shown, sec)) = c.profiles.get(n).and_then(|p| field_of(p, field)) {
                    if let (Source::ProjectFile(path), Some(SecretRef::Literal(_))) = (src, &sec) {
                        eff.warnings.push(format!(
                            "{path}: profile {n} has a literal {field}; project files get committed — use {{ env = \"VAR\" }}, {{ file = \"…\" }} or {{ keyring = \"…\" }}"
                        ));
                    }
                    cands.push((src.clone(), shown, sec));
                }
            }
        }
        if let Some((var, _)) = ENV_FIELDS.iter().find(|(_, f)| *f == field)
            && let Some(v) = layers.env.get(*var)
        {
            let (shown, sec) = if is_secret_field(field) {
                (
                    format!("env:{var}"),
                    Some(SecretRef::Env {
                        env: var.to_string(),
                    }),
                )
            } else {
                (v.clone(), None)
            };
            cands.push((Source::Env(var.to_string()), shown, sec));
        }
        for (f, flag, v) in &layers.flags {
            if f == field {
                let (shown, sec) = if is_secret_field(field) {
                    (
                        crate::secret::redact(v),
                        Some(SecretRef::Literal(v.clone())),
                    )
                } else {
                    (v.clone(), None)
                };
                cands.push((Source::Flag(flag.clone()), shown, sec));
            }
        }
        cands.sort_by_key(|(s, _, _)| s.rank());
        if let Some((source, shown, secret)) = cands.pop() {
            let overridden: Vec<(Source, String)> =
                cands.into_iter().rev().map(|(s, v, _)| (s, v)).collect();
            if let Source::Env(var) = &source
                && let Some((lower, _)) = overridden.first()
                && matches!(lower, Source::ProjectFile(_) | Source::UserFile(_))
            {
                eff.warnings.push(format!(
                    "{var} overrides {field} from the {lower}: a stale variable left in the shell is a common cause of 401s"
                ));
            }
            eff.values.push(Resolved {
                field,
                shown,
                source,
                overridden,
                secret,
            });
        }
    }
    Ok(eff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = r#"
default_profile = "dev"
[profiles.dev]
environment = "dev"
issuer = "https://id.dev.example.com"
client_id = "svc"
client_secret = { env = "DEV_SECRET" }
api_base = "https://api.dev.example.com"
scopes = ["read", "write"]

[profiles.prod]
environment = "prod"
issuer = "https://id.example.com"
client_secret = "literal-secret-value-123"
hosts = ["api.example.com"]
"#;

    fn layers() -> Layers {
        Layers {
            project: Some((
                "./authdoctor.toml".into(),
                parse(PROJECT, "authdoctor.toml").unwrap(),
            )),
            ..Default::default()
        }
    }

    #[test]
    fn default_and_host_selection() {
        let e = resolve(&layers(), None, None).unwrap();
        assert_eq!(e.name.as_deref(), Some("dev"));
        assert_eq!(e.chosen_by, "default_profile");
        let e = resolve(&layers(), None, Some("api.example.com")).unwrap();
        assert_eq!(e.name.as_deref(), Some("prod"));
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("literal client_secret"))
        );
        // The literal secret is shown redacted only.
        assert!(
            !e.get("client_secret")
                .unwrap()
                .shown
                .contains("literal-secret-value-123")
        );
    }

    #[test]
    fn env_overrides_file_and_says_so() {
        let mut l = layers();
        l.env.insert(
            "AUTHDOCTOR_ISSUER".into(),
            "https://stale.example.com".into(),
        );
        let e = resolve(&l, Some("dev"), None).unwrap();
        let iss = e.get("issuer").unwrap();
        assert_eq!(iss.shown, "https://stale.example.com");
        assert_eq!(iss.source, Source::Env("AUTHDOCTOR_ISSUER".into()));
        assert_eq!(iss.overridden[0].1, "https://id.dev.example.com");
        assert!(
            e.warnings
                .iter()
                .any(|w| w.contains("AUTHDOCTOR_ISSUER overrides issuer"))
        );
    }

    #[test]
    fn flags_win() {
        let mut l = layers();
        l.flags.push((
            "audience".into(),
            "--expect-aud".into(),
            "https://api.dev.example.com/".into(),
        ));
        let e = resolve(&l, Some("dev"), None).unwrap();
        assert_eq!(
            e.get("audience").unwrap().source,
            Source::Flag("--expect-aud".into())
        );
    }

    #[test]
    fn token_file_is_a_profile_key() {
        let f = parse(
            "[profiles.k8s]\ntoken_file = \"/var/run/secrets/tokens/api\"\n",
            "f.toml",
        )
        .unwrap();
        let l = Layers {
            user: Some(("config.toml".into(), f)),
            ..Default::default()
        };
        let e = resolve(&l, Some("k8s"), None).unwrap();
        assert_eq!(e.str("token_file"), Some("/var/run/secrets/tokens/api"));
    }

    #[test]
    fn unknown_profile_and_bad_toml() {
        assert!(matches!(
            resolve(&layers(), Some("qa"), None),
            Err(ConfigError::UnknownProfile { .. })
        ));
        let e = parse("[profiles.x]\nissuer = 3\n", "f.toml").unwrap_err();
        assert!(e.to_string().starts_with("f.toml: "), "{e}");
        assert!(!e.to_string().contains('\n'));
        assert!(
            parse("[profiles.x]\nisuer = \"typo\"\n", "f.toml").is_err(),
            "unknown keys are errors"
        );
    }

    #[test]
    fn the_cache_table_parses_and_the_project_file_wins_field_by_field() {
        let user = parse(
            "[cache]\nredis = \"redis://u.example:6379/0\"\nencryption_key = { env = \"K\" }\ntimeout_ms = 80\n",
            "u.toml",
        )
        .unwrap();
        let project = parse(
            "[cache]\nredis = { env = \"REDIS_URL\" }\npassword = { file = \"~/.redis-pw\" }\n",
            "p.toml",
        )
        .unwrap();
        let layers = Layers {
            user: Some(("u.toml".into(), user)),
            project: Some(("p.toml".into(), project)),
            ..Default::default()
        };
        let c = cache_table(&layers).unwrap();
        assert_eq!(
            c.redis,
            Some(SecretRef::Env {
                env: "REDIS_URL".into()
            })
        );
        assert_eq!(c.encryption_key, Some(SecretRef::Env { env: "K".into() }));
        assert_eq!(c.timeout_ms, Some(80));
        assert!(c.password.is_some());
        assert!(cache_table(&Layers::default()).is_none());
        assert!(parse("[cache]\nredis_url = \"x\"\n", "f.toml").is_err());
    }
}
