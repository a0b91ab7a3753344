//! The per-profile token cache on disk: one JSON file per profile under
//! `$AUTHDOCTOR_CACHE_DIR`, else `$XDG_CACHE_HOME/authdoctor/tokens`, else
//! `~/.cache/authdoctor/tokens`; directory 0700, files 0600, written atomically (a fresh 0600
//! temp file in the same directory, fsync, rename, fsync of the directory) so a reader never sees
//! half a token and a crash never loses the refresh token. A `flock` on `<profile>.lock` makes
//! acquisition single-flight across processes too.
//!
//! The OS keyring where one is available: built with the cargo feature `keyring`, token sets are
//! kept in the Secret Service (`keyring-core` + the pure-Rust zbus store; service `authdoctor`,
//! user = the profile), with a secret-free `<profile>.keyring` marker beside the lock files so
//! the profiles can be listed. When the store cannot be created (headless Linux: no session
//! bus, no Secret Service) — or the feature is off — the 0600 file is the store, and
//! [`FileCache::store_note`] / [`FileCache::keyring_unavailable`] say so and why (`token show`,
//! `watch`'s JSON). The kernel keyring is not used: it needs a login session and is lost on
//! reboot.

use crate::error::TokenError;
use crate::token::TokenSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Why the file is used when the keyring support is not compiled in.
pub const NOT_BUILT_IN: &str = "the OS keyring support is not built in (cargo feature `keyring`)";

/// The keyring store handed to [`FileCache::open_with`]. Without the `keyring` feature there
/// is none (the type is uninhabited).
#[cfg(feature = "keyring")]
pub type Keyring = std::sync::Arc<keyring_core::CredentialStore>;
#[cfg(not(feature = "keyring"))]
#[derive(Debug, Clone)]
pub enum Keyring {}

const KEYRING_SERVICE: &str = "authdoctor";

/// The per-profile token store: the OS keyring when there is one, else 0600 files in `dir`
/// (the lock files are always in `dir`).
#[derive(Clone)]
pub struct FileCache {
    dir: PathBuf,
    keyring: Option<Keyring>,
    /// Why the keyring is not used, when it is not.
    keyring_unavailable: Option<String>,
}

impl std::fmt::Debug for FileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCache")
            .field("dir", &self.dir)
            .field("store", &self.store_kind())
            .field("keyring_unavailable", &self.keyring_unavailable)
            .finish()
    }
}

/// Try to reach the OS keyring's Secret Service.
#[cfg(feature = "keyring")]
pub fn keyring_store() -> Result<Keyring, String> {
    zbus_secret_service_keyring_store::Store::new()
        .map(|s| s as Keyring)
        .map_err(|e| e.to_string())
}

/// Without the `keyring` feature: never, and says why.
#[cfg(not(feature = "keyring"))]
pub fn keyring_store() -> Result<Keyring, String> {
    Err(NOT_BUILT_IN.to_string())
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

    /// Open the store: the OS keyring when it can be reached (feature `keyring`), else the 0600
    /// files; see [`Self::open_with`].
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, TokenError> {
        Self::open_with(dir, keyring_store())
    }

    /// Open (creating with 0700) the directory, which always holds the locks; tightens a
    /// directory others can read. `keyring` is the OS keyring store or why there is none; with
    /// none, token sets go to the 0600 files and the reason is kept for
    /// [`Self::keyring_unavailable`].
    pub fn open_with(
        dir: impl Into<PathBuf>,
        keyring: Result<Keyring, String>,
    ) -> Result<Self, TokenError> {
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
        let (keyring, keyring_unavailable) = match keyring {
            Ok(k) => (Some(k), None),
            Err(why) => (None, Some(why)),
        };
        Ok(FileCache {
            dir,
            keyring,
            keyring_unavailable,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `"keyring"` or `"file"`.
    pub fn store_kind(&self) -> &'static str {
        if self.keyring.is_some() {
            "keyring"
        } else {
            "file"
        }
    }

    /// Why the OS keyring is not used (None when it is).
    pub fn keyring_unavailable(&self) -> Option<&str> {
        self.keyring_unavailable.as_deref()
    }

    /// One line for people: which store, and why not the keyring.
    pub fn store_note(&self) -> String {
        match &self.keyring_unavailable {
            None => "OS keyring (Secret Service)".to_string(),
            Some(why) => format!("file cache (mode 0600); keyring unavailable: {why}"),
        }
    }

    /// `{"store":"file","keyring_unavailable":"…"}` or `{"store":"keyring"}`, for JSON output.
    pub fn store_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({ "store": self.store_kind() });
        if let Some(why) = &self.keyring_unavailable {
            v["keyring_unavailable"] = why.clone().into();
        }
        v
    }

    /// Where a profile's set lives, for display: the file, or `keyring:authdoctor/<profile>`.
    pub fn location(&self, profile: &str) -> String {
        if self.keyring.is_some() {
            format!("keyring:{KEYRING_SERVICE}/{profile}")
        } else {
            self.path(profile).display().to_string()
        }
    }

    #[cfg(feature = "keyring")]
    fn marker(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{}.keyring", safe_name(profile)))
    }

    /// `<dir>/<profile>.json`, the name reduced to safe characters.
    pub fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{}.json", safe_name(profile)))
    }

    /// The cached set, if any: from the keyring when it is the store (a set left in a file
    /// from before is still read), else the file.
    pub fn load(&self, profile: &str) -> Result<Option<TokenSet>, TokenError> {
        #[cfg(feature = "keyring")]
        if let Some(k) = &self.keyring
            && let Some(t) = self.keyring_load(k, profile)?
        {
            return Ok(Some(t));
        }
        self.load_file(profile)
    }

    /// A file others could read is tightened first, then read.
    fn load_file(&self, profile: &str) -> Result<Option<TokenSet>, TokenError> {
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

    /// Store the set: in the keyring when it is the store, else the file.
    pub fn store(&self, profile: &str, t: &TokenSet) -> Result<(), TokenError> {
        #[cfg(feature = "keyring")]
        if let Some(k) = &self.keyring {
            return self.keyring_store(k, profile, t);
        }
        self.store_file(profile, t)
    }

    /// Write atomically, mode 0600.
    fn store_file(&self, profile: &str, t: &TokenSet) -> Result<(), TokenError> {
        let path = self.path(profile);
        let body = serde_json::to_vec_pretty(t).map_err(|e| err(&path, e))?;
        // A unique name, not a secret (the file is created with create_new): std's randomly
        // keyed hasher over pid and a counter, not aws-lc's CSPRNG, whose first use costs ~30 ms
        // of CPU (jitter entropy) — the whole price of a token taken from the shared cache.
        let rnd = {
            use std::hash::BuildHasher;
            static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::collections::hash_map::RandomState::new().hash_one((std::process::id(), n))
        };
        let tmp = self
            .dir
            .join(format!(".{}.{rnd:016x}.tmp", safe_name(profile)));
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
        #[cfg(feature = "keyring")]
        let in_keyring = match &self.keyring {
            Some(k) => self.keyring_remove(k, profile)?,
            None => false,
        };
        #[cfg(not(feature = "keyring"))]
        let in_keyring = false;
        let path = self.path(profile);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(in_keyring),
            Err(e) => Err(err(&path, e)),
        }
    }

    #[cfg(feature = "keyring")]
    fn entry(&self, k: &Keyring, profile: &str) -> Result<keyring_core::Entry, TokenError> {
        k.build(KEYRING_SERVICE, profile, None)
            .map_err(|e| err(Path::new(&self.location(profile)), e))
    }

    #[cfg(feature = "keyring")]
    fn keyring_load(&self, k: &Keyring, profile: &str) -> Result<Option<TokenSet>, TokenError> {
        match self.entry(k, profile)?.get_password() {
            // A corrupt entry is treated as absent (it is rewritten on the next store).
            Ok(text) => Ok(serde_json::from_str(&text).ok()),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(err(Path::new(&self.location(profile)), e)),
        }
    }

    #[cfg(feature = "keyring")]
    fn keyring_store(&self, k: &Keyring, profile: &str, t: &TokenSet) -> Result<(), TokenError> {
        let at = self.location(profile);
        let body = serde_json::to_string(t).map_err(|e| err(Path::new(&at), e))?;
        self.entry(k, profile)?
            .set_password(&body)
            .map_err(|e| err(Path::new(&at), e))?;
        // The secret-free marker that lists the profile; an older file copy is dropped.
        let marker = self.marker(profile);
        OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&marker)
            .map_err(|e| err(&marker, e))?;
        let _ = fs::remove_file(self.path(profile));
        Ok(())
    }

    #[cfg(feature = "keyring")]
    fn keyring_remove(&self, k: &Keyring, profile: &str) -> Result<bool, TokenError> {
        let _ = fs::remove_file(self.marker(profile));
        match self.entry(k, profile)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(err(Path::new(&self.location(profile)), e)),
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
            .filter_map(|n| {
                n.strip_suffix(".json")
                    .or_else(|| n.strip_suffix(".keyring"))
                    .map(str::to_string)
            })
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v.dedup();
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
    use authdoctor_core::secret::Secret;

    fn set() -> TokenSet {
        TokenSet {
            access_token: Secret::new("at-secret-123456"),
            token_type: "Bearer".into(),
            expires_at: Some(2000),
            issued_at: 1000,
            refresh_token: Some(Secret::new("rt-secret-abcdef")),
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

    #[test]
    fn no_keyring_store_falls_back_to_the_file_and_says_why() {
        let dir = std::env::temp_dir().join(format!("adt-cache-nokr-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // What Store::new() says on a headless box, injected: no D-Bus needed.
        let why =
            "Failed to connect to address unix:path=/run/user/0/bus: No such file or directory";
        let c = FileCache::open_with(&dir, Err(why.to_string())).unwrap();
        assert_eq!(c.store_kind(), "file");
        assert_eq!(c.keyring_unavailable(), Some(why));
        assert_eq!(
            c.store_json(),
            serde_json::json!({"store": "file", "keyring_unavailable": why})
        );
        assert!(c.store_note().starts_with("file cache (mode 0600)"));
        assert!(c.store_note().contains(why));
        assert_eq!(c.location("p"), c.path("p").display().to_string());
        // And the file store works.
        c.store("p", &set()).unwrap();
        assert_eq!(
            fs::metadata(c.path("p")).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(c.load("p").unwrap().unwrap(), set());
        assert_eq!(c.profiles(), vec!["p".to_string()]);
        assert!(c.remove("p").unwrap());
        assert_eq!(c.load("p").unwrap(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_default_open_reports_its_store() {
        let dir = std::env::temp_dir().join(format!("adt-cache-open-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let c = FileCache::open(&dir).unwrap();
        match c.store_kind() {
            // Without the feature the reason is that it is not built in; with it on a box
            // without a Secret Service, the store's own error.
            "file" => {
                let why = c.keyring_unavailable().unwrap();
                if cfg!(not(feature = "keyring")) {
                    assert_eq!(why, NOT_BUILT_IN);
                }
                assert!(!why.is_empty());
            }
            other => assert_eq!(other, "keyring"),
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
