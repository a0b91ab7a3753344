//! What `config show` reports of a profile, for any program: each effective value with the layer
//! it came from and what it overrode, and whether each referenced secret is available — said
//! without reading out the secret.

use authdoctor_core::profile::{Effective, Layers, SecretRef};
use std::fmt;

/// Whether a referenced secret can be read, and how; never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// The variable is set (`padded`: with whitespace around the value).
    EnvSet {
        var: String,
        padded: bool,
    },
    EnvEmpty {
        var: String,
    },
    EnvUnset {
        var: String,
    },
    /// The file exists with `mode` (permission bits); `open` when others may read it.
    File {
        mode: u32,
        open: bool,
    },
    FileUnreadable {
        reason: String,
    },
    InKeyring,
    /// The keyring lookup failed (or this build has no keyring), as the resolver says.
    KeyringFailed {
        reason: String,
    },
    Literal,
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Availability::EnvSet { var, padded: true } => {
                write!(f, "{var} is set (with surrounding whitespace!)")
            }
            Availability::EnvSet { var, padded: false } => write!(f, "{var} is set"),
            Availability::EnvEmpty { var } => write!(f, "{var} is set but empty"),
            Availability::EnvUnset { var } => write!(f, "{var} is NOT set"),
            Availability::File { mode, open: true } => {
                write!(
                    f,
                    "file exists, mode {mode:o}: readable by others (chmod 600)"
                )
            }
            Availability::File { mode, open: false } => write!(f, "file exists, mode {mode:o}"),
            Availability::FileUnreadable { reason } => write!(f, "file not readable: {reason}"),
            Availability::InKeyring => f.write_str("found in the keyring"),
            Availability::KeyringFailed { reason } => f.write_str(reason),
            Availability::Literal => f.write_str("literal value (avoid in project files)"),
        }
    }
}

/// Is a referenced secret available? Says how, never what.
pub fn availability(r: &SecretRef) -> Availability {
    match r {
        SecretRef::Env { env } => match std::env::var(env) {
            Ok(v) if v.trim().is_empty() => Availability::EnvEmpty { var: env.clone() },
            Ok(v) => Availability::EnvSet {
                var: env.clone(),
                padded: v != v.trim(),
            },
            Err(_) => Availability::EnvUnset { var: env.clone() },
        },
        SecretRef::File { file } => {
            // The same `~` expansion as the resolver's, so this says what a read would find.
            let path = crate::config::expand_home(file);
            match std::fs::metadata(&path) {
                Ok(m) => {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = m.permissions().mode() & 0o777;
                    Availability::File {
                        mode,
                        open: mode & 0o077 != 0,
                    }
                }
                Err(e) => Availability::FileUnreadable {
                    reason: e.to_string(),
                },
            }
        }
        // What the one resolver would do (it says why when this build cannot read it).
        SecretRef::Keyring { .. } => match crate::config::resolve_secret(r) {
            Ok(_) => Availability::InKeyring,
            Err(e) => Availability::KeyringFailed {
                reason: e.to_string(),
            },
        },
        SecretRef::Literal(_) => Availability::Literal,
    }
}

/// `config show --format json`'s document (version 1): the profile, how it was chosen, the
/// files read, every value with its source, what it overrode and its secret's availability.
pub fn effective_document(layers: &Layers, eff: &Effective) -> serde_json::Value {
    let values: Vec<serde_json::Value> = eff
        .values
        .iter()
        .map(|r| {
            serde_json::json!({
                "field": r.field, "value": r.shown, "source": r.source.to_string(),
                "overridden": r.overridden.iter().map(|(s, v)| serde_json::json!({"source": s.to_string(), "value": v})).collect::<Vec<_>>(),
                "secret_available": r.secret.as_ref().map(|s| availability(s).to_string()),
            })
        })
        .collect();
    serde_json::json!({
        "version": 1,
        "profile": eff.name, "chosen_by": eff.chosen_by,
        "files": {"project": layers.project.as_ref().map(|p| &p.0), "user": layers.user.as_ref().map(|p| &p.0)},
        "values": values, "warnings": eff.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reference_says_its_mode_and_whether_others_may_read_it() {
        use std::os::unix::fs::PermissionsExt;
        let p = std::env::temp_dir().join(format!("authdoctor-inspect-{}", std::process::id()));
        std::fs::write(&p, "s").unwrap();
        let r = SecretRef::File {
            file: p.display().to_string(),
        };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(availability(&r).to_string(), "file exists, mode 600");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            availability(&r).to_string(),
            "file exists, mode 644: readable by others (chmod 600)"
        );
        std::fs::remove_file(&p).unwrap();
        assert!(matches!(
            availability(&r),
            Availability::FileUnreadable { .. }
        ));
    }

    #[test]
    fn env_references_never_show_the_value() {
        let var = "AUTHDOCTOR_INSPECT_TEST_SURELY_UNSET";
        let r = SecretRef::Env { env: var.into() };
        assert_eq!(availability(&r).to_string(), format!("{var} is NOT set"));
        assert_eq!(
            Availability::EnvSet {
                var: "X".into(),
                padded: true
            }
            .to_string(),
            "X is set (with surrounding whitespace!)"
        );
        assert_eq!(
            availability(&SecretRef::Literal("hunter2".into())).to_string(),
            "literal value (avoid in project files)"
        );
    }

    #[test]
    fn the_document_of_nothing_configured() {
        let layers = Layers::default();
        let eff = authdoctor_core::profile::resolve(&layers, None, None).unwrap();
        let v = effective_document(&layers, &eff);
        assert_eq!(v["version"], 1);
        assert_eq!(v["files"]["project"], serde_json::Value::Null);
        assert!(v["values"].is_array());
    }
}
