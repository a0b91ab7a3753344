//! The shared (Redis) token cache, against baselines in the same run:
//!
//! - `fleet/read`: a cached token read through [`RedisCache::load`] (GET, AES-256-GCM open, JSON
//!   parse, key check) against a raw `GET` of the same record over the same kind of connection
//!   (the floor: one round trip), and the decryption alone.
//! - before criterion starts, token requests per token lifetime for 1, 10, 100 and 1,000
//!   callers spread over 10 simulated hosts (each its own file cache, one Redis), counted at the
//!   oidc-provider peer (5-second tokens): it should stay at about 1 whatever the callers.
//!   Skipped with `FLEET_BENCH_LIFETIMES=0`.
//!
//! Needs the peers `AUTHDOCTOR_REDIS` and `AUTHDOCTOR_OIDC` (scripts/peers).

use authdoctor_core::secret::Secret;
use authdoctor_tokens::fleet::{EncryptionKey, Lookup, RedisCache};
use authdoctor_tokens::{FileCache, TokenConfig, TokenSet, TokenSource};
use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn peer_var(var: &str) -> String {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return v;
    }
    let home = std::env::var_os("AUTHDOCTOR_PEERS_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/authdoctor-peers")
        });
    std::fs::read_to_string(home.join("run/peers.env"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == var)
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| panic!("peer {var} not running: run scripts/peers start"))
}

fn token_count(oidc: &str, client: &str) -> u64 {
    let u = url::Url::parse(oidc).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    write!(
        s,
        "GET /__authdoctor/token-count?client_id={client} HTTP/1.0\r\nHost: x\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str::<serde_json::Value>(body).unwrap()["count"]
        .as_u64()
        .unwrap()
}

fn config(oidc: &str) -> TokenConfig {
    let text = format!(
        "[profiles.b]\nissuer = {oidc:?}\nclient_id = \"fleet-bench\"\nclient_secret = \"fleet-bench-secret-8d2a\"\nresource = \"https://api.authdoctor.test/short\"\nscopes = [\"read\"]\n"
    );
    let layers = authdoctor_core::profile::Layers {
        user: Some((
            "bench".into(),
            authdoctor_core::profile::parse(&text, "bench").unwrap(),
        )),
        ..Default::default()
    };
    let eff = authdoctor_core::profile::resolve(&layers, Some("b"), None).unwrap();
    TokenConfig::from_profile(&eff, None, None).unwrap()
}

/// N callers on 10 hosts, each calling `token()` every ~20 ms for `secs`: token requests per
/// 5-second lifetime, at the provider.
fn requests_per_lifetime() {
    let secs: u64 = std::env::var("FLEET_BENCH_LIFETIMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        * 5;
    if secs == 0 {
        return;
    }
    let oidc = peer_var("AUTHDOCTOR_OIDC");
    let redis = url::Url::parse(&peer_var("AUTHDOCTOR_REDIS")).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    eprintln!("fleet: token requests per 5-second token lifetime (10 hosts, {secs} s each)");
    for callers in [1usize, 10, 100, 1000] {
        let cfg = config(&oidc);
        // One key shared by the hosts of this round.
        let mut kb = [0u8; 32];
        aws_lc_rs::rand::fill(&mut kb).unwrap();
        let dir =
            std::env::temp_dir().join(format!("adt-fleet-bench-{}-{callers}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let hosts: Vec<TokenSource> = (0..10.min(callers))
            .map(|h| {
                let cache =
                    FileCache::open_with(dir.join(format!("h{h}")), Err("bench".into())).unwrap();
                TokenSource::new(cfg.clone(), reqwest::Client::new(), Some(cache))
                    .with_redis_cache(
                        RedisCache::builder(redis.clone(), EncryptionKey::from_bytes(&kb).unwrap())
                            .timeout(Duration::from_millis(200))
                            .build()
                            .unwrap(),
                    )
                    .unwrap()
            })
            .collect();
        let before = token_count(&oidc, "fleet-bench");
        let start = Instant::now();
        let end = start + Duration::from_secs(secs);
        let failed = rt.block_on(async {
            let tasks: Vec<_> = (0..callers)
                .map(|i| {
                    let s = hosts[i % hosts.len()].clone();
                    tokio::spawn(async move {
                        let mut failed = 0u64;
                        while Instant::now() < end {
                            if s.token().await.is_err() {
                                failed += 1;
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        failed
                    })
                })
                .collect();
            let mut f = 0;
            for t in tasks {
                f += t.await.unwrap();
            }
            f
        });
        let elapsed = start.elapsed().as_secs_f64();
        let requests = token_count(&oidc, "fleet-bench") - before;
        eprintln!(
            "fleet: {callers:>5} callers: {requests} token requests in {elapsed:.1} s = {:.2} per 5-s lifetime ({failed} failed)",
            requests as f64 / (elapsed / 5.0)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn benches(c: &mut Criterion) {
    let redis = url::Url::parse(&peer_var("AUTHDOCTOR_REDIS")).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).unwrap();
    let fleet = RedisCache::builder(redis.clone(), EncryptionKey::from_bytes(&raw).unwrap())
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let cache_key = "bench-0123456789abcdef01234567".to_string();
    // A realistic set: a ~700-byte JWT access token and a refresh token.
    let t = TokenSet {
        access_token: Secret::new(format!("eyJhbGciOiJFUzI1NiJ9.{}.sig", "x".repeat(700))),
        token_type: "Bearer".into(),
        expires_at: Some(authdoctor_core::time::now_unix() + 3600),
        issued_at: authdoctor_core::time::now_unix(),
        refresh_token: Some(Secret::new("rt-".to_string() + &"y".repeat(60))),
        refresh_expires_at: None,
        scope: Some("read write".into()),
        server_offset: Some(0),
        key: cache_key.clone(),
    };
    rt.block_on(fleet.store(&cache_key, &t)).unwrap();
    let name = RedisCache::key_name(&cache_key);
    let mut conn = rt.block_on(async {
        redis::Client::open(redis.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    });
    let sealed: Vec<u8> = rt.block_on(async {
        redis::cmd("GET")
            .arg(&name)
            .query_async(&mut conn)
            .await
            .unwrap()
    });
    let opener = EncryptionKey::from_bytes(&raw).unwrap();
    // Warm the cache's own connection.
    assert!(matches!(
        rt.block_on(fleet.load(&cache_key)),
        Lookup::Found(_)
    ));

    let mut g = c.benchmark_group("fleet/read");
    g.bench_function("raw GET (floor)", |b| {
        b.iter(|| {
            let v: Vec<u8> = rt.block_on(async {
                redis::cmd("GET")
                    .arg(&name)
                    .query_async(&mut conn)
                    .await
                    .unwrap()
            });
            black_box(v)
        })
    });
    g.bench_function("RedisCache::load (GET + decrypt + parse)", |b| {
        b.iter(|| match rt.block_on(fleet.load(black_box(&cache_key))) {
            Lookup::Found(t) => black_box(t),
            other => panic!("{other:?}"),
        })
    });
    g.bench_function("decrypt + parse only", |b| {
        b.iter(|| {
            let plain = opener.open(&name, black_box(&sealed)).unwrap();
            black_box(serde_json::from_slice::<TokenSet>(&plain).unwrap())
        })
    });
    g.finish();
}

criterion_group!(group, benches);

fn main() {
    requests_per_lifetime();
    group();
    Criterion::default().configure_from_args().final_summary();
}
