//! `authdoctor config show`: reads the config layers (project file, user file, `AUTHDOCTOR_*`
//! variables) and prints every effective value of the selected profile with the source that
//! won and what it overrode. Secrets are shown as references (`env:VAR`) or redacted; whether a
//! referenced secret is actually available is checked without printing it.

use crate::cli::{ConfigShowArgs, Format};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::profile::{self, ConfigFile, Layers, SecretRef};
use std::path::{Path, PathBuf};

/// The project file: `authdoctor.toml` here or in the nearest parent directory.
pub fn find_project_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("authdoctor.toml"))
        .find(|p| p.is_file())
}

/// `$XDG_CONFIG_HOME/authdoctor/config.toml`, else `~/.config/authdoctor/config.toml`.
pub fn user_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("authdoctor").join("config.toml")).filter(|p| p.is_file())
}

fn load(path: &Path) -> Result<(String, ConfigFile), CliError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Io(format!("cannot read {shown}: {e}")))?;
    let parsed = profile::parse(&text, &shown).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok((shown, parsed))
}

/// Gather every layer from the machine.
pub fn layers(project: Option<&str>) -> Result<Layers, CliError> {
    let project = match project {
        Some(p) => Some(load(Path::new(p))?),
        None => match std::env::current_dir()
            .ok()
            .and_then(|d| find_project_file(&d))
        {
            Some(p) => Some(load(&p)?),
            None => None,
        },
    };
    let user = match user_file() {
        Some(p) => Some(load(&p)?),
        None => None,
    };
    let env = std::env::vars()
        .filter(|(k, _)| k.starts_with("AUTHDOCTOR_"))
        .collect();
    Ok(Layers {
        project,
        user,
        env,
        flags: Vec::new(),
    })
}

/// Is a referenced secret available? Says how, never what.
fn availability(r: &SecretRef) -> String {
    match r {
        SecretRef::Env { env } => match std::env::var(env) {
            Ok(v) if v.trim().is_empty() => format!("{env} is set but empty"),
            Ok(v) if v != v.trim() => format!("{env} is set (with surrounding whitespace!)"),
            Ok(_) => format!("{env} is set"),
            Err(_) => format!("{env} is NOT set"),
        },
        SecretRef::File { file } => {
            let path = match file.strip_prefix("~/") {
                Some(rest) => std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(rest))
                    .unwrap_or_else(|| PathBuf::from(file)),
                None => PathBuf::from(file),
            };
            match std::fs::metadata(&path) {
                Ok(m) => {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = m.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        format!("file exists, mode {mode:o}: readable by others (chmod 600)")
                    } else {
                        format!("file exists, mode {mode:o}")
                    }
                }
                Err(e) => format!("file not readable: {e}"),
            }
        }
        SecretRef::Keyring { .. } => "keyring lookups are not built in yet; use env or file".into(),
        SecretRef::Literal(_) => "literal value (avoid in project files)".into(),
    }
}

pub fn show(args: ConfigShowArgs) -> Result<i32, CliError> {
    let layers = layers(args.config.as_deref())?;
    let eff = profile::resolve(&layers, args.profile.as_deref(), args.host.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.output.format == Format::Json {
        let values: Vec<serde_json::Value> = eff
            .values
            .iter()
            .map(|r| {
                serde_json::json!({
                    "field": r.field, "value": r.shown, "source": r.source.to_string(),
                    "overridden": r.overridden.iter().map(|(s, v)| serde_json::json!({"source": s.to_string(), "value": v})).collect::<Vec<_>>(),
                    "secret_available": r.secret.as_ref().map(availability),
                })
            })
            .collect();
        let v = serde_json::json!({
            "version": 1,
            "profile": eff.name, "chosen_by": eff.chosen_by,
            "files": {"project": layers.project.as_ref().map(|p| &p.0), "user": layers.user.as_ref().map(|p| &p.0)},
            "values": values, "warnings": eff.warnings,
        });
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(exit::OK);
    }
    outln!(
        "profile: {} (chosen by {})",
        eff.name.as_deref().unwrap_or("(none)"),
        eff.chosen_by
    );
    outln!(
        "project file: {}",
        layers
            .project
            .as_ref()
            .map(|p| p.0.as_str())
            .unwrap_or("(none: authdoctor.toml not found)")
    );
    outln!(
        "user file:    {}",
        layers
            .user
            .as_ref()
            .map(|p| p.0.as_str())
            .unwrap_or("(none)")
    );
    if eff.values.is_empty() {
        outln!("\nno values set");
    } else {
        outln!();
        let width = eff.values.iter().map(|r| r.field.len()).max().unwrap_or(0);
        for r in &eff.values {
            outln!("  {:<width$}  {}   ← {}", r.field, r.shown, r.source);
            if let Some(s) = &r.secret {
                outln!("  {:<width$}    {}", "", availability(s));
            }
            for (src, v) in &r.overridden {
                outln!("  {:<width$}    overrides {v} from {src}", "");
            }
        }
    }
    for w in &eff.warnings {
        outln!("\nwarning: {w}");
    }
    Ok(exit::OK)
}
