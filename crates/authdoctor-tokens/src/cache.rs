//! The per-profile token cache on disk: one JSON file per profile under
//! `$AUTHDOCTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/authdoctor/tokens`, else
//! `~/.cache/authdoctor/tokens`; directory 0700, files 0600, written atomically (a fresh 0600
//! temp file in the same directory, fsync, rename, fsync of the directory) so a reader never sees
//! half a token and a crash never loses the refresh token. A `flock` on `<profile>.lock` makes
//! acquisition single-flight across processes too.
//!
//! This build has no OS keyring store: headless Linux has no Secret Service and the kernel
//! keyring is not usable without a login session (see `STORE_NOTE`), so the 0600 file is the
//! store, and commands say so.

use crate::error::TokenError;
use crate::token::TokenSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Said wherever the store is shown: why the file is used.
pub const STORE_NOTE: &str = "file cache (mode 0600): this build has no OS keyring support";

/// The cache directory.
#[derive(Debug, Clone)]
pub struct FileCache {
    dir: PathBuf,
}

/// An exclusive lock on one profile's lock file; released on drop (the fd closes).
#[derive(Debug)]
pub struct ProfileLock {
    _file: File,
}

fn err(path: &Path, e: impl std::fmt::Display) -> TokenError {
    TokenError::Cache {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

impl FileCache {
    /// The default directory (see the module doc).
    pub fn default_dir() -> PathBuf {
        if let Some(d) = std::env::var_os("AUTHDOCTOR_CACHE_DIR").filter(|v| !v.is_empty()) {
            return PathBuf::from(d);
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"));
        base.join("authdoctor").join("tokens")
    }

    /// Open (creating with 0700) the directory; tightens a directory others can read.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, TokenError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
        let mode = fs::metadata(&dir)
            .map_err(|e| err(&dir, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                .map_err(|e| err(&dir, e))?;
        }
        Ok(FileCache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/<profile>.json`, the name reduced to safe characters.
    pub fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{}.json", safe_name(profile)))
    }

    /// The cached set, if any. A file others could read is tightened first, then read.
    pub fn load(&self, profile: &str) -> Result<Option<TokenSet>, TokenError> {
        let path = self.path(profile);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(err(&path, e)),
        };
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .map_err(|e| err(&path, e))?;
        }
        let text = fs::read(&path).map_err(|e| err(&path, e))?;
        // A corrupt file is treated as absent (it is rewritten on the next store).
        Ok(serde_json::from_slice(&text).ok())
    }

    /// Write atomically, mode 0600.
    pub fn store(&self, profile: &str, t: &TokenSet) -> Result<(), TokenError> {
        let path = self.path(profile);
        let body = serde_json::to_vec_pretty(t).map_err(|e| err(&path, e))?;
        let mut rnd = [0u8; 8];
        aws_lc_rs::rand::fill(&mut rnd).map_err(|_| err(&path, "no randomness"))?;
        let tmp = self.dir.join(format!(
            ".{}.{}.tmp",
            safe_name(profile),
            rnd.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // The rename itself must survive a crash: sync the directory entry.
            File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            err(&path, e)
        })
    }

    pub fn remove(&self, profile: &str) -> Result<bool, TokenError> {
        let path = self.path(profile);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(err(&path, e)),
        }
    }

    /// Take the profile's exclusive lock (blocking in a worker thread, not the runtime).
    pub async fn lock(&self, profile: &str) -> Result<ProfileLock, TokenError> {
        let path = self.dir.join(format!("{}.lock", safe_name(profile)));
        let p2 = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<ProfileLock> {
            let f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(&p2)?;
            // SAFETY: flock on a valid, owned fd; no memory is shared.
            let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(ProfileLock { _file: f })
        })
        .await
        .map_err(|e| err(&path, e))?
        .map_err(|e| err(&path, e))
    }

    /// Profiles with a cache file.
    pub fn profiles(&self) -> Vec<String> {
        let Ok(rd) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut v: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v
    }
}

fn safe_name(profile: &str) -> String {
    profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> TokenSet {
        TokenSet {
            access_token: "at-secret-123456".into(),
            token_type: "Bearer".into(),
            expires_at: Some(2000),
            issued_at: 1000,
            refresh_token: Some("rt-secret-abcdef".into()),
            refresh_expires_at: None,
            scope: None,
            server_offset: None,
            key: "k".into(),
        }
    }

    #[test]
    fn store_is_0600_atomic_and_round_trips() {
        let dir = std::env::temp_dir().join(format!("adt-cache-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let c = FileCache::open(&dir).unwrap();
        c.store("p/../x", &set()).unwrap();
        let path = c.path("p/../x");
        assert!(path.starts_with(&dir));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(c.load("p/../x").unwrap().unwrap(), set());
        // No temp files left behind.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
