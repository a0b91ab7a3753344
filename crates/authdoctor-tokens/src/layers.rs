//! The configuration layers a profile is resolved from, read from the machine: the project
//! file (`authdoctor.toml` here or in the nearest parent directory), the user file
//! (`$XDG_CONFIG_HOME/authdoctor/config.toml`, else `~/.config/authdoctor/config.toml`) and the
//! `AUTHDOCTOR_*` environment variables. `authdoctor_core::profile::resolve` merges them; the
//! CLI and programs using this crate read them the same way.

use authdoctor_core::profile::{self, ConfigError, ConfigFile, Layers};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A config file that exists but cannot be used.
#[derive(Debug, Error)]
pub enum LayersError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Parse(#[from] ConfigError),
}

/// The project file: `authdoctor.toml` in `start` or its nearest parent directory.
pub fn find_project_file(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join("authdoctor.toml"))
        .find(|p| p.is_file())
}

/// The user file, when it exists.
pub fn user_file() -> Option<PathBuf> {
    user_file_path().filter(|p| p.is_file())
}

/// Where the user file is (or would be): `$XDG_CONFIG_HOME/authdoctor/config.toml`, else
/// `~/.config/authdoctor/config.toml`.
pub fn user_file_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("authdoctor").join("config.toml"))
}

/// Read and parse one config file, named as it is shown in provenance.
pub fn load_file(path: &Path) -> Result<(String, ConfigFile), LayersError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LayersError::Read {
        path: shown.clone(),
        source,
    })?;
    let parsed = profile::parse(&text, &shown)?;
    Ok((shown, parsed))
}

/// Every layer from the machine: `project` (else the project file found from the current
/// directory), the user file and the `AUTHDOCTOR_*` variables.
pub fn load_layers(project: Option<&Path>) -> Result<Layers, LayersError> {
    let project = match project {
        Some(p) => Some(load_file(p)?),
        None => match std::env::current_dir()
            .ok()
            .and_then(|d| find_project_file(&d))
        {
            Some(p) => Some(load_file(&p)?),
            None => None,
        },
    };
    let user = match user_file() {
        Some(p) => Some(load_file(&p)?),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_file_is_found_in_a_parent() {
        let dir = std::env::temp_dir().join(format!("adt-layers-{}", std::process::id()));
        let deep = dir.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(dir.join("authdoctor.toml"), "[profiles.x]\n").unwrap();
        assert_eq!(find_project_file(&deep), Some(dir.join("authdoctor.toml")));
        let (shown, file) = load_file(&dir.join("authdoctor.toml")).unwrap();
        assert!(shown.ends_with("authdoctor.toml"));
        assert!(file.profiles.contains_key("x"));
        std::fs::write(dir.join("authdoctor.toml"), "[profiles.x\n").unwrap();
        assert!(matches!(
            load_file(&dir.join("authdoctor.toml")),
            Err(LayersError::Parse(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
