//! Checks and the atomic write behind adding a profile to a config file (`config init`): names
//! that need no quoting, a secret's *reference* rather than the secret, an issuer URL that may
//! be written, and a replace that never leaves a half-written file.

use authdoctor_core::profile::{self, ConfigError, ConfigFile, SecretRef};
use std::path::{Path, PathBuf};
use thiserror::Error;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

/// Why a value is not written to a config file, or the file could not be written.
#[derive(Debug, Error)]
pub enum EditError {
    #[error("{flag} {value}: {reason}")]
    UrlParse {
        flag: String,
        value: String,
        reason: url::ParseError,
    },
    #[error(
        "{flag} {value}: plain http to a host other than loopback (use https, or --allow-http-issuer)"
    )]
    PlainHttp { flag: String, value: String },
    #[error("{flag} {value}: scheme {scheme} is not http(s)")]
    Scheme {
        flag: String,
        value: String,
        scheme: String,
    },
    #[error("{flag}: a URL with credentials in it is not written to a config file")]
    Credentials { flag: String },
    /// The existing file does not parse as a config.
    #[error("{0}")]
    Existing(ConfigError),
    #[error("profile {profile} already exists in {file}: pass --force to replace it")]
    ProfileExists { profile: String, file: String },
    /// The existing file is not TOML `toml_edit` can edit (its first line of explanation).
    #[error("{file}: {reason}")]
    NotToml { file: String, reason: String },
    #[error(
        "{file}: `profiles` is not a table of [profiles.NAME] sections; add the profile by hand"
    )]
    ProfilesNotATable { file: String },
    /// What would be written does not read back as a valid config with the profile: a bug,
    /// so nothing is written.
    #[error("refusing to write an invalid config ({0})")]
    WouldBeInvalid(ConfigError),
    #[error("refusing to write {file}: the profile did not read back")]
    DidNotReadBack { file: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A profile name that needs no quoting surprises on the command line or in TOML.
pub fn valid_profile_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// An environment variable's name (so a secret pasted where its name belongs is refused).
pub fn valid_env_name(n: &str) -> bool {
    let mut b = n.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && n.len() <= 128
}

/// An absolute http(s) URL without credentials; plain http only for loopback unless
/// `allow_http`. `flag` names where it came from in the errors.
pub fn check_url(flag: &str, v: &str, allow_http: bool) -> Result<url::Url, EditError> {
    let u = url::Url::parse(v).map_err(|reason| EditError::UrlParse {
        flag: flag.into(),
        value: v.into(),
        reason,
    })?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if !loopback {
                return Err(EditError::PlainHttp {
                    flag: flag.into(),
                    value: v.into(),
                });
            }
        }
        s => {
            return Err(EditError::Scheme {
                flag: flag.into(),
                value: v.into(),
                scheme: s.into(),
            });
        }
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(EditError::Credentials { flag: flag.into() });
    }
    Ok(u)
}

/// Write `text` to `path` atomically (a sibling temporary file, then rename) with `mode`.
pub fn write_atomic(path: &Path, text: &str, mode: u32) -> Result<(), EditError> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have cleared bits the existing file had; set exactly `mode`.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    res.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        EditError::Write {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// The existing config file's content (`None`: no file yet) checked before anything is asked
/// of the issuer: it must parse, and `name` may only be replaced with `force`. `file` names it
/// in errors.
pub fn check_existing(
    existing: Option<&str>,
    file: &str,
    name: &str,
    force: bool,
) -> Result<ConfigFile, EditError> {
    let parsed = match existing {
        Some(t) => profile::parse(t, file).map_err(EditError::Existing)?,
        None => ConfigFile::default(),
    };
    if parsed.profiles.contains_key(name) && !force {
        return Err(EditError::ProfileExists {
            profile: name.into(),
            file: file.into(),
        });
    }
    Ok(parsed)
}

/// A profile to write: only references to secrets, never a secret.
#[derive(Debug, Clone, Default)]
pub struct NewProfile {
    pub issuer: String,
    pub client_id: Option<String>,
    /// An `env` or `file` reference (others are not written).
    pub client_secret: Option<SecretRef>,
    pub resource: Option<String>,
    pub scopes: Vec<String>,
}

impl NewProfile {
    /// The `[profiles.NAME]` table.
    fn table(&self) -> Table {
        let mut t = Table::new();
        t["issuer"] = value(self.issuer.as_str());
        if let Some(id) = &self.client_id {
            t["client_id"] = value(id.as_str());
        }
        let mut it = InlineTable::new();
        match &self.client_secret {
            Some(SecretRef::Env { env }) => {
                it.insert("env", env.as_str().into());
            }
            Some(SecretRef::File { file }) => {
                it.insert("file", file.as_str().into());
            }
            _ => {}
        }
        if !it.is_empty() {
            t["client_secret"] = value(it);
        }
        if let Some(r) = &self.resource {
            t["resource"] = value(r.as_str());
        }
        if !self.scopes.is_empty() {
            t["scopes"] = value(Array::from_iter(self.scopes.iter().map(String::as_str)));
        }
        t
    }
}

/// A config file with a profile added or replaced.
#[derive(Debug, Clone)]
pub struct Edited {
    /// The whole file, comments and layout of the rest kept.
    pub text: String,
    /// The profile was there before (and replaced).
    pub replaced: bool,
    /// `default_profile` was unset and now names the profile.
    pub set_default: bool,
    /// The profile alone, as TOML (`[profiles.NAME]` …), to show what was written.
    pub profile_toml: String,
}

/// `existing` (as [`check_existing`] accepted it, `parsed`) with profile `name` set to `p`, and
/// `default_profile` to it when there was none; the result is read back before it is returned.
pub fn add_profile(
    existing: Option<&str>,
    parsed: &ConfigFile,
    file: &str,
    name: &str,
    p: &NewProfile,
) -> Result<Edited, EditError> {
    let t = p.table();
    let mut doc: DocumentMut = match existing {
        Some(text) => text
            .parse()
            .map_err(|e: toml_edit::TomlError| EditError::NotToml {
                file: file.into(),
                reason: e
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("invalid TOML")
                    .to_string(),
            })?,
        None => DocumentMut::new(),
    };
    let set_default = parsed.default_profile.is_none();
    if set_default {
        doc["default_profile"] = value(name);
    }
    if doc.get("profiles").is_none() {
        let mut p = Table::new();
        p.set_implicit(true);
        doc["profiles"] = Item::Table(p);
    }
    let Some(profiles) = doc["profiles"].as_table_mut() else {
        return Err(EditError::ProfilesNotATable { file: file.into() });
    };
    let replaced = profiles.contains_key(name);
    profiles.insert(name, Item::Table(t.clone()));
    let text = doc.to_string();
    // What is written must read back as a valid config, with the profile as built.
    let check = profile::parse(&text, file).map_err(EditError::WouldBeInvalid)?;
    if !check.profiles.contains_key(name) {
        return Err(EditError::DidNotReadBack { file: file.into() });
    }
    let mut shown = DocumentMut::new();
    let mut ps = Table::new();
    ps.set_implicit(true);
    ps.insert(name, Item::Table(t));
    shown["profiles"] = Item::Table(ps);
    Ok(Edited {
        text,
        replaced,
        set_default,
        profile_toml: shown.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_profile() -> NewProfile {
        NewProfile {
            issuer: "https://idp.example".into(),
            client_id: Some("cli".into()),
            client_secret: Some(SecretRef::Env {
                env: "SECRET".into(),
            }),
            resource: None,
            scopes: vec!["read".into(), "write".into()],
        }
    }

    #[test]
    fn a_profile_is_added_keeping_comments_and_replaced_only_with_force() {
        let existing =
            "# mine\ndefault_profile = \"a\"\n\n[profiles.a]\nissuer = \"https://a\" # kept\n";
        let parsed = check_existing(Some(existing), "f.toml", "b", false).unwrap();
        let e = add_profile(Some(existing), &parsed, "f.toml", "b", &new_profile()).unwrap();
        assert!(!e.replaced && !e.set_default);
        assert!(e.text.starts_with("# mine\n"));
        assert!(e.text.contains("# kept"));
        assert!(e.text.contains("client_secret = { env = \"SECRET\" }"));
        assert!(e.profile_toml.starts_with("[profiles.b]\n"));
        let again = check_existing(Some(&e.text), "f.toml", "b", false).unwrap_err();
        assert_eq!(
            again.to_string(),
            "profile b already exists in f.toml: pass --force to replace it"
        );
        let parsed = check_existing(Some(&e.text), "f.toml", "b", true).unwrap();
        let r = add_profile(Some(&e.text), &parsed, "f.toml", "b", &new_profile()).unwrap();
        assert!(r.replaced);
    }

    #[test]
    fn a_new_file_gets_the_default_profile() {
        let parsed = check_existing(None, "f.toml", "p", false).unwrap();
        let e = add_profile(None, &parsed, "f.toml", "p", &new_profile()).unwrap();
        assert!(e.set_default);
        let back = profile::parse(&e.text, "f.toml").unwrap();
        assert_eq!(back.default_profile.as_deref(), Some("p"));
        assert!(back.profiles.contains_key("p"));
    }

    #[test]
    fn profiles_that_is_not_a_table_is_refused() {
        let existing = "profiles = 3\n";
        let err = add_profile(
            Some(existing),
            &ConfigFile::default(),
            "f.toml",
            "p",
            &new_profile(),
        )
        .unwrap_err();
        assert!(matches!(err, EditError::ProfilesNotATable { .. }), "{err}");
    }

    #[test]
    fn names() {
        assert!(valid_profile_name("prod-eu.1_a"));
        assert!(!valid_profile_name(""));
        assert!(!valid_profile_name("a b"));
        assert!(!valid_profile_name(&"a".repeat(65)));
        assert!(valid_env_name("_CLIENT_SECRET2"));
        assert!(!valid_env_name("2X"));
        assert!(!valid_env_name("s3cr3t-value/with+chars"));
    }

    #[test]
    fn issuer_urls() {
        assert!(check_url("--issuer", "https://idp.example", false).is_ok());
        assert!(check_url("--issuer", "http://127.0.0.1:8080", false).is_ok());
        assert!(check_url("--issuer", "http://[::1]/", false).is_ok());
        assert!(check_url("--issuer", "http://localhost/", false).is_ok());
        assert!(check_url("--issuer", "http://idp.example", true).is_ok());
        assert_eq!(
            check_url("--issuer", "http://idp.example", false)
                .unwrap_err()
                .to_string(),
            "--issuer http://idp.example: plain http to a host other than loopback (use https, or --allow-http-issuer)"
        );
        assert_eq!(
            check_url("--issuer", "ftp://idp.example", false)
                .unwrap_err()
                .to_string(),
            "--issuer ftp://idp.example: scheme ftp is not http(s)"
        );
        assert_eq!(
            check_url("--issuer", "https://u:p@idp.example", false)
                .unwrap_err()
                .to_string(),
            "--issuer: a URL with credentials in it is not written to a config file"
        );
        assert!(matches!(
            check_url("--issuer", "idp.example", false),
            Err(EditError::UrlParse { .. })
        ));
    }

    #[test]
    fn write_atomic_sets_the_mode_and_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("authdoctor-edit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.toml");
        write_atomic(&p, "a = 1\n", 0o600).unwrap();
        write_atomic(&p, "a = 2\n", 0o640).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a = 2\n");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary left"
        );
        let err = write_atomic(&dir.join("missing/x.toml"), "", 0o600).unwrap_err();
        assert!(err.to_string().starts_with("cannot write "));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
