//! One "host" of a fleet sharing tokens through Redis, for tests/fleet.rs and the benchmarks:
//! many concurrent callers of one API through an [`AuthClient`] whose source has a file cache
//! and a [`RedisCache`].
//!
//! ```text
//! fleet_caller run         # FLEET_CALLERS tasks call FLEET_API for FLEET_SECS; prints JSON
//!                          # {"ok":…,"failed":…,"local_requests":…}
//! fleet_caller hold-lease  # takes the refresh lease, prints "held <name>", then sleeps (a
//!                          # holder to SIGKILL)
//! ```
//!
//! Configuration in the environment: FLEET_ISSUER, FLEET_CLIENT_ID, FLEET_CLIENT_SECRET,
//! FLEET_RESOURCE, FLEET_SCOPES (space-separated), FLEET_REDIS (URL), FLEET_KEY (base64),
//! FLEET_CACHE_DIR (optional), FLEET_TIMEOUT_MS, FLEET_LEASE_MS, FLEET_INTERVAL_MS (per caller,
//! ±50 %).

use authdoctor_tokens::fleet::{EncryptionKey, RedisCache};
use authdoctor_tokens::{AuthClient, FileCache, TokenConfig, TokenSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

/// The token config through the profile parser, as the CLI builds it.
fn config() -> TokenConfig {
    let scopes: Vec<String> = std::env::var("FLEET_SCOPES")
        .unwrap_or_else(|_| "read".into())
        .split_whitespace()
        .map(|s| format!("{s:?}"))
        .collect();
    let text = format!(
        "[profiles.fleet]\nissuer = {:?}\nclient_id = {:?}\nclient_secret = {{ env = \"FLEET_CLIENT_SECRET\" }}\nresource = {:?}\nscopes = [{}]\n",
        var("FLEET_ISSUER"),
        var("FLEET_CLIENT_ID"),
        var("FLEET_RESOURCE"),
        scopes.join(", ")
    );
    let file = authdoctor_core::profile::parse(&text, "fleet").expect("profile");
    let layers = authdoctor_core::profile::Layers {
        user: Some(("fleet".into(), file)),
        ..Default::default()
    };
    let eff = authdoctor_core::profile::resolve(&layers, Some("fleet"), None).expect("profile");
    TokenConfig::from_profile(&eff, None, None).expect("token config")
}

fn redis() -> RedisCache {
    let url = url::Url::parse(&var("FLEET_REDIS")).expect("FLEET_REDIS");
    let key = EncryptionKey::from_base64(&var("FLEET_KEY")).expect("FLEET_KEY");
    RedisCache::builder(url, key)
        .timeout(ms("FLEET_TIMEOUT_MS", 50))
        .lease(ms("FLEET_LEASE_MS", 5000))
        .on_degraded(|line| eprintln!("fleet_caller: {line}"))
        .build()
        .expect("redis cache")
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    match mode.as_str() {
        "run" => rt.block_on(run()),
        "hold-lease" => rt.block_on(async {
            let cfg = config();
            let lease = redis()
                .try_lease(&cfg.cache_key())
                .await
                .expect("redis")
                .expect("the lease is free");
            println!("held {}", lease.name());
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }),
        _ => {
            eprintln!("usage: fleet_caller run|hold-lease (configuration in FLEET_* variables)");
            std::process::exit(2);
        }
    }
}

async fn run() {
    let cfg = config();
    let cache = std::env::var_os("FLEET_CACHE_DIR")
        .map(|d| FileCache::open_with(d, Err("not used".into())).expect("cache dir"));
    let http = reqwest::Client::new();
    let source = TokenSource::new(cfg, http.clone(), cache)
        .with_redis_cache(redis())
        .expect("fleet");
    let client = AuthClient::new(http, source);
    let api = var("FLEET_API");
    let callers: usize = var("FLEET_CALLERS").parse().unwrap();
    let secs: u64 = var("FLEET_SECS").parse().unwrap();
    let interval = ms("FLEET_INTERVAL_MS", 1000);
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..callers)
        .map(|i| {
            let (client, api, ok, failed) =
                (client.clone(), api.clone(), ok.clone(), failed.clone());
            tokio::spawn(async move {
                // Spread the callers' phases over one interval.
                let phase = interval.mul_f64((i as f64 + 0.5) / callers as f64);
                tokio::time::sleep(phase).await;
                let mut n = i as u64;
                while Instant::now() < end {
                    match client.get(&api).await {
                        Ok(r) if r.status().is_success() => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        other => {
                            let f = failed.fetch_add(1, Ordering::Relaxed);
                            if f < 5 {
                                let what = match other {
                                    Ok(r) => format!("HTTP {}", r.status()),
                                    Err(e) => e.to_string(),
                                };
                                eprintln!("fleet_caller: call failed: {what}");
                            }
                        }
                    }
                    // ±50 % around the interval, from a cheap per-task sequence.
                    n = n
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let f = 0.5 + (n >> 11) as f64 / (1u64 << 53) as f64;
                    tokio::time::sleep(interval.mul_f64(f)).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "{}",
        serde_json::json!({
            "ok": ok.load(Ordering::Relaxed),
            "failed": failed.load(Ordering::Relaxed),
            "local_requests": client.source().requests(),
        })
    );
}
