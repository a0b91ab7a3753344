//! How a profile's credentials stand, for a program that reports on them (the CLI's `watch` and
//! `token show` are two): each credential's expiry judged by the right clock (the issuer's for
//! its tokens, this machine's for a secret or certificate), a token file's token, the redacted
//! view of a token set, the shared (Redis) cache's state, and that cache built from a config's
//! `[cache]` table. Rendering is the caller's: everything here is data.

use crate::fleet::{Lookup, RedisCache};
use crate::{FileCache, TokenConfig, TokenError, TokenSet};
use authdoctor_core::profile::{self, CacheTable, Layers};
use authdoctor_core::report::documents::{
    CredentialKind, DOCUMENT_VERSION, SharedCacheHealth, SharedCacheState, WatchDocument,
    WatchItem, WatchProfile, WatchStatus,
};
use authdoctor_core::secret::Secret;
use std::path::Path;

/// Told, with one line, when the shared cache stops being usable.
pub type DegradedHook = Box<dyn Fn(&str) + Send + Sync + 'static>;

/// The shared cache of a `[cache]` table, if it names one; `on_degraded` hears of its outages
/// (once each), for a program that says them itself. Errors name references, never values.
pub fn fleet_from_table(
    table: Option<&CacheTable>,
    on_degraded: Option<DegradedHook>,
) -> Result<Option<RedisCache>, TokenError> {
    let Some(t) = table else { return Ok(None) };
    let Some(mut b) = RedisCache::from_table(t)? else {
        return Ok(None);
    };
    if let Some(f) = on_degraded {
        b = b.on_degraded(f);
    }
    b.build().map(Some)
}

/// The `exp` of a token when it is a signed JWT.
pub fn jwt_exp(token: &str) -> Option<i64> {
    match authdoctor_core::token::jwt::analyse(token)? {
        authdoctor_core::token::jwt::JwtAnalysis::Jws(j) => j.time_claim("exp"),
        _ => None,
    }
}

/// The `notAfter` of a client certificate file (PEM), when it reads as one.
pub fn cert_not_after(path: &str) -> Option<i64> {
    let mut spec = authdoctor_core::model::RequestSpec::default();
    spec.transport.cert = Some(path.to_string());
    authdoctor_net::probes::read_client_cert(&spec)?.not_after
}

/// What to watch: one profile or all, how early to warn, and a client certificate file.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// Only this profile (else every profile in the config files and the cache).
    pub profile: Option<String>,
    /// Seconds before expiry from which a credential is `expiring`.
    pub warn: i64,
    /// A client certificate file to watch for every profile.
    pub client_cert: Option<String>,
}

/// The profiles watched: `only`, else every one named in the config files or cached, sorted,
/// without duplicates or empty names.
pub fn profile_names(layers: &Layers, cache: &FileCache, only: Option<&str>) -> Vec<String> {
    let mut names: Vec<String> = match only {
        Some(p) => vec![p.to_string()],
        None => {
            let mut v: Vec<String> = [layers.user.as_ref(), layers.project.as_ref()]
                .into_iter()
                .flatten()
                .flat_map(|(_, f)| f.profiles.keys().cloned())
                .chain(cache.profiles())
                .collect();
            v.sort();
            v.dedup();
            v
        }
    };
    names.retain(|n| !n.is_empty());
    names
}

/// A token file's token (at `full`, already `~`-expanded): rotated by another program, so only
/// an expired (or missing, or empty) one is a problem.
pub fn token_file_item(full: &Path, now: i64) -> WatchItem {
    let expired = |why: String| {
        WatchItem::without_expiry(CredentialKind::AccessToken, WatchStatus::Expired, Some(why))
    };
    match std::fs::read_to_string(full) {
        Ok(text) if !text.trim().is_empty() => WatchItem::judge(
            CredentialKind::AccessToken,
            jwt_exp(text.trim()),
            now,
            0,
            false,
        ),
        Ok(_) => expired("the token file is empty".into()),
        Err(e) => expired(format!("the token file cannot be read: {}", e.kind())),
    }
}

/// The items of a profile whose tokens are requested and cached: the cached access token
/// (renewed automatically, so never worse than `ok`) and refresh token by the issuer's clock,
/// the client secret (its expiry unknown) and the client certificate by this machine's.
pub fn cached_items(
    t: Option<&TokenSet>,
    now: i64,
    warn: i64,
    client_cert: Option<&str>,
) -> Vec<WatchItem> {
    let mut items = Vec::new();
    match t {
        Some(t) => {
            let server_now = t.server_now(now);
            items.push(WatchItem::judge(
                CredentialKind::AccessToken,
                t.expires_at,
                server_now,
                warn,
                true,
            ));
            if let Some(rt) = &t.refresh_token {
                let exp = t.refresh_expires_at.or_else(|| jwt_exp(rt.expose()));
                items.push(WatchItem::judge(
                    CredentialKind::RefreshToken,
                    exp,
                    server_now,
                    warn,
                    false,
                ));
            }
        }
        None => items.push(WatchItem::without_expiry(
            CredentialKind::AccessToken,
            WatchStatus::NoneCached,
            None,
        )),
    }
    items.push(WatchItem::judge(
        CredentialKind::ClientSecret,
        None,
        now,
        warn,
        false,
    ));
    if let Some(path) = client_cert {
        items.push(WatchItem::judge(
            CredentialKind::ClientCertificate,
            cert_not_after(path),
            now,
            warn,
            false,
        ));
    }
    items
}

/// One profile's entry: its token file's token, or its cached credentials and (with a shared
/// cache) the state of its record there.
pub async fn watch_profile(
    layers: &Layers,
    cache: &FileCache,
    fleet: Option<&RedisCache>,
    name: &str,
    opts: &WatchOptions,
    now: i64,
) -> WatchProfile {
    let eff = profile::resolve(layers, Some(name), None).ok();
    if let Some(path) = eff
        .as_ref()
        .and_then(|e| e.str("token_file").map(str::to_string))
    {
        let full = crate::config::expand_home(&path);
        return WatchProfile {
            items: vec![token_file_item(&full, now)],
            profile: name.to_string(),
            server_offset: None,
            shared_cache: None,
            token_file: Some(path),
        };
    }
    let t: Option<TokenSet> = cache.load(name).ok().flatten();
    let items = cached_items(t.as_ref(), now, opts.warn, opts.client_cert.as_deref());
    // The record's key: from the profile (no secret needed), else the cached set's.
    let shared = match fleet {
        Some(f) => {
            let key = eff
                .as_ref()
                .and_then(|e| TokenConfig::from_profile(e, None, None).ok())
                .map(|c| c.cache_key())
                .or_else(|| t.as_ref().map(|t| t.key.clone()));
            match key {
                Some(k) => Some(f.describe_key(&k).await),
                None => None,
            }
        }
        None => None,
    };
    WatchProfile {
        items,
        profile: name.to_string(),
        server_offset: t.as_ref().and_then(|t| t.server_offset),
        shared_cache: shared,
        token_file: None,
    }
}

/// The shared cache as a whole: where, and whether it is usable.
pub fn shared_cache_state(f: &RedisCache) -> SharedCacheState {
    let reason = f.problem();
    SharedCacheState {
        kind: "redis".into(),
        state: if reason.is_some() {
            SharedCacheHealth::Unreachable
        } else {
            SharedCacheHealth::Ok
        },
        reason,
        url: f.url().to_string(),
    }
}

/// The watch document of the profiles chosen by `opts`, checked at `now`.
pub async fn watch(
    layers: &Layers,
    cache: &FileCache,
    fleet: Option<&RedisCache>,
    opts: &WatchOptions,
    now: i64,
) -> WatchDocument {
    let mut profiles = Vec::new();
    for name in profile_names(layers, cache, opts.profile.as_deref()) {
        profiles.push(watch_profile(layers, cache, fleet, &name, opts, now).await);
    }
    WatchDocument {
        checked_at: now,
        keyring_unavailable: cache.keyring_unavailable().map(str::to_string),
        profiles,
        shared_cache: fleet.map(shared_cache_state),
        store: cache.store_kind().to_string(),
        version: DOCUMENT_VERSION,
    }
}

/// The worst of the watched items, for an exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Fine,
    Expiring,
    Expired,
}

/// [`Verdict`] over every item of `profiles`.
pub fn verdict(profiles: &[WatchProfile]) -> Verdict {
    profiles
        .iter()
        .flat_map(|p| &p.items)
        .map(|i| match i.status {
            WatchStatus::Expired => Verdict::Expired,
            WatchStatus::Expiring => Verdict::Expiring,
            _ => Verdict::Fine,
        })
        .max()
        .unwrap_or(Verdict::Fine)
}

/// The redacted view of a token set (`token show`'s document): its JWT header and claims
/// (never the signature), lifetime by the issuer's clock, and the refresh token redacted.
pub fn describe(t: &TokenSet, now: i64) -> serde_json::Value {
    let claims = match authdoctor_core::token::jwt::analyse(t.access_token.expose()) {
        Some(authdoctor_core::token::jwt::JwtAnalysis::Jws(j)) => {
            serde_json::json!({"header": j.header, "claims": j.claims})
        }
        _ => serde_json::Value::Null,
    };
    serde_json::json!({
        "access_token": t.access_token.to_string(),
        "token_type": t.token_type,
        "jwt": claims,
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
        "lifetime_seconds": t.lifetime(),
        "remaining_seconds": t.remaining(now),
        "server_offset_seconds": t.server_offset,
        "refresh_token": t.refresh_token.as_ref().map(Secret::to_string),
        "refresh_expires_at": t.refresh_expires_at,
        "scope": t.scope,
    })
}

/// `token show`'s document for a cached token set: [`describe`] with the profile, where it is
/// stored (and why not in the keyring), the shared cache's record (`shared`, from
/// [`shared_record`]) and whether it was obtained for what the profile now asks
/// (`matches_profile`).
pub fn cached_view(
    t: &TokenSet,
    cfg: &TokenConfig,
    cache: &FileCache,
    shared: Option<&serde_json::Value>,
    now: i64,
) -> serde_json::Value {
    let mut v = describe(t, now);
    if let Some(d) = shared {
        v["shared_cache"] = d.clone();
    }
    v["profile"] = cfg.profile.clone().into();
    // "store":"file"|"keyring", and why not the keyring when it is not used.
    if let serde_json::Value::Object(store) = cache.store_json() {
        for (k, val) in store {
            v[k] = val;
        }
    }
    v["store_location"] = cache.location(&cfg.profile).into();
    v["matches_profile"] = (t.key == cfg.cache_key()).into();
    v
}

/// `token show`'s document for a `token_file` profile's token: [`describe`] with the profile,
/// the file and when it was last written.
pub fn file_view(t: &TokenSet, profile: &str, path: &Path, now: i64) -> serde_json::Value {
    let mut v = describe(t, now);
    v["profile"] = profile.into();
    v["store"] = "token_file".into();
    v["store_location"] = path.display().to_string().into();
    v["file_modified_at"] = file_modified_at(path).into();
    v
}

/// The shared cache's record under `key` ([`RedisCache::describe_key`]) and, when `want_token`
/// and the record is good, the token set in it.
pub async fn shared_record(
    f: &RedisCache,
    key: &str,
    want_token: bool,
) -> (serde_json::Value, Option<TokenSet>) {
    let d = f.describe_key(key).await;
    let t = match (want_token, d["state"].as_str()) {
        (true, Some("ok")) => match f.load(key).await {
            Lookup::Found(t) => Some(t),
            _ => None,
        },
        _ => None,
    };
    (d, t)
}

/// When the file at `path` was last modified (Unix seconds).
pub fn file_modified_at(path: &Path) -> Option<i64> {
    std::fs::metadata(path)
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(expires_at: Option<i64>, refresh: Option<&str>, offset: Option<i64>) -> TokenSet {
        TokenSet {
            access_token: Secret::new("opaque-access-token-value"),
            token_type: "Bearer".into(),
            expires_at,
            issued_at: 1_000,
            refresh_token: refresh.map(Secret::new),
            refresh_expires_at: refresh.map(|_| 5_000),
            scope: Some("read".into()),
            server_offset: offset,
            key: "k".into(),
        }
    }

    /// A path in a directory of its own, removed when the guard is dropped.
    struct Tmp(std::path::PathBuf);

    impl Drop for Tmp {
        fn drop(&mut self) {
            if let Some(d) = self.0.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }

    impl std::ops::Deref for Tmp {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    fn tmp(name: &str) -> Tmp {
        let d =
            std::env::temp_dir().join(format!("authdoctor-status-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Tmp(d.join(name))
    }

    #[test]
    fn nothing_cached_is_none_cached_and_the_secret_unknown() {
        let items = cached_items(None, 100, 10, None);
        let got: Vec<_> = items.iter().map(|i| (i.what, i.status)).collect();
        assert_eq!(
            got,
            vec![
                (CredentialKind::AccessToken, WatchStatus::NoneCached),
                (CredentialKind::ClientSecret, WatchStatus::Unknown),
            ]
        );
        assert_eq!(verdict(&[profile(items)]), Verdict::Fine);
    }

    fn profile(items: Vec<WatchItem>) -> WatchProfile {
        WatchProfile {
            items,
            profile: "p".into(),
            server_offset: None,
            shared_cache: None,
            token_file: None,
        }
    }

    #[test]
    fn the_refresh_token_is_judged_by_the_issuers_clock() {
        // Locally 4_900; the issuer is 50 s ahead: 50 s left of the refresh token, within warn.
        let t = set(Some(900), Some("opaque-refresh"), Some(50));
        let items = cached_items(Some(&t), 4_900, 60, None);
        assert_eq!(
            items[0].status,
            WatchStatus::Ok,
            "access tokens are renewed"
        );
        assert_eq!(items[0].remaining_seconds, Some(900 - 4_950));
        assert_eq!(items[1].what, CredentialKind::RefreshToken);
        assert_eq!(items[1].status, WatchStatus::Expiring);
        assert_eq!(items[1].remaining_seconds, Some(50));
        assert_eq!(verdict(&[profile(items)]), Verdict::Expiring);
        let late = cached_items(Some(&t), 5_000, 60, None);
        assert_eq!(late[1].status, WatchStatus::Expired);
        assert_eq!(verdict(&[profile(late)]), Verdict::Expired);
    }

    #[test]
    fn a_token_file_is_expired_only_when_missing_empty_or_past_exp() {
        let missing = token_file_item(&tmp("absent"), 0);
        assert_eq!(missing.status, WatchStatus::Expired);
        assert_eq!(
            missing.reason.as_deref(),
            Some("the token file cannot be read: entity not found")
        );
        let empty = tmp("empty");
        std::fs::write(&*empty, " \n").unwrap();
        assert_eq!(
            token_file_item(&empty, 0).reason.as_deref(),
            Some("the token file is empty")
        );
        let opaque = tmp("opaque");
        std::fs::write(&*opaque, "not-a-jwt\n").unwrap();
        assert_eq!(token_file_item(&opaque, 0).status, WatchStatus::Unknown);
    }

    #[test]
    fn profile_names_are_the_one_asked_for() {
        let dir = tmp("cache");
        let cache = FileCache::open(&*dir).unwrap();
        let layers = Layers::default();
        assert_eq!(profile_names(&layers, &cache, Some("a")), vec!["a"]);
        assert!(profile_names(&layers, &cache, Some("")).is_empty());
        assert!(profile_names(&layers, &cache, None).is_empty());
    }

    #[test]
    fn describe_redacts_both_tokens() {
        let t = set(Some(1_600), Some("opaque-refresh-token-value"), Some(3));
        let v = describe(&t, 1_100);
        let text = v.to_string();
        assert!(!text.contains("opaque-access-token-value"));
        assert!(!text.contains("opaque-refresh-token-value"));
        assert_eq!(v["lifetime_seconds"], 600);
        assert_eq!(v["remaining_seconds"], t.remaining(1_100).unwrap());
        assert_eq!(v["jwt"], serde_json::Value::Null);
        assert_eq!(v["server_offset_seconds"], 3);
    }

    #[test]
    fn a_file_view_says_where_and_when() {
        let p = tmp("token");
        std::fs::write(&*p, "opaque-file-token\n").unwrap();
        let t = set(None, None, None);
        let v = file_view(&t, "p", &p, 0);
        assert_eq!(v["store"], "token_file");
        assert_eq!(v["store_location"], p.display().to_string());
        assert!(v["file_modified_at"].as_i64().unwrap() > 0);
        assert_eq!(v["profile"], "p");
    }

    #[test]
    fn no_cache_table_no_fleet() {
        assert!(fleet_from_table(None, None).unwrap().is_none());
        assert!(
            fleet_from_table(Some(&CacheTable::default()), None)
                .unwrap()
                .is_none()
        );
    }
}
