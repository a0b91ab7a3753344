//! The fleet cache (Redis) against real components: the oidc-provider peer (`AUTHDOCTOR_OIDC`,
//! 5-second tokens for `https://api.authdoctor.test/short`, token requests counted at the
//! provider), the redis-server peer (`AUTHDOCTOR_REDIS`) and, for the outage test, a private
//! redis-server this test starts, kills and restarts. Hosts are simulated by separate cache
//! directories; processes are the `fleet_caller` example (built with the tests).
//!
//! - a soak: 1,000 callers in 20 processes for ~60 s (`AUTHDOCTOR_FLEET_SOAK_SECS`): token
//!   requests ≈ token lifetimes, no failed call;
//! - Redis killed and restarted mid-run: no failed call, the outage said once per process;
//! - the lease holder SIGKILLed: another instance refreshes once its lease expires;
//! - a tampered, moved, truncated or wrongly typed record: ignored and replaced;
//! - every value in Redis scanned for the issued tokens and the client secret: none.

use authdoctor_tokens::fleet::{EncryptionKey, Lookup, RedisCache};
use authdoctor_tokens::{FileCache, TokenConfig, TokenSource};
use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SHORT: &str = "https://api.authdoctor.test/short";

// ---------------------------------------------------------------------------------------------
// peers

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
    let file = home.join("run/peers.env");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == var)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "peer {var} not running: run scripts/peers start (or scripts/test) ({} has no {var})",
                file.display()
            )
        })
}

fn oidc() -> String {
    peer_var("AUTHDOCTOR_OIDC")
        .trim_end_matches('/')
        .to_string()
}

fn redis_url() -> String {
    peer_var("AUTHDOCTOR_REDIS")
}

/// GET over plain HTTP/1.0 (the provider's counter), the body.
fn http_get(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
        u.host_str().unwrap()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// Token requests the provider granted to `client` so far.
fn token_count(client: &str) -> u64 {
    let body = http_get(&format!(
        "{}/__authdoctor/token-count?client_id={client}",
        oidc()
    ));
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["count"]
        .as_u64()
        .unwrap()
}

fn random_key_b64() -> String {
    use base64::Engine;
    let mut k = [0u8; 32];
    aws_lc_rs::rand::fill(&mut k).unwrap();
    base64::engine::general_purpose::STANDARD.encode(k)
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("adt-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A token config through the profile parser (as the CLI builds it).
fn config(issuer: &str, client: &str, secret: &str, resource: &str, scopes: &str) -> TokenConfig {
    let scopes: Vec<String> = scopes
        .split_whitespace()
        .map(|s| format!("{s:?}"))
        .collect();
    let text = format!(
        "[profiles.fleet]\nissuer = {issuer:?}\nclient_id = {client:?}\nclient_secret = {secret:?}\nresource = {resource:?}\nscopes = [{}]\n",
        scopes.join(", ")
    );
    let file = authdoctor_core::profile::parse(&text, "test").unwrap();
    let layers = authdoctor_core::profile::Layers {
        user: Some(("test".into(), file)),
        ..Default::default()
    };
    let eff = authdoctor_core::profile::resolve(&layers, Some("fleet"), None).unwrap();
    TokenConfig::from_profile(&eff, None, None).unwrap()
}

fn oidc_config(client: &str, scopes: &str) -> TokenConfig {
    config(
        &oidc(),
        client,
        &format!("{client}-secret-8d2a"),
        SHORT,
        scopes,
    )
}

fn fleet(url: &str, key: &str, lease: Duration) -> RedisCache {
    RedisCache::builder(
        url::Url::parse(url).unwrap(),
        EncryptionKey::from_base64(key).unwrap(),
    )
    .lease(lease)
    .build()
    .unwrap()
}

/// A source as one host has it: its own file cache, the shared Redis.
fn host_source(cfg: TokenConfig, dir: PathBuf, f: RedisCache) -> TokenSource {
    let cache = FileCache::open_with(dir, Err("not used in tests".into())).unwrap();
    TokenSource::new(cfg, reqwest::Client::new(), Some(cache))
        .with_redis_cache(f)
        .unwrap()
}

async fn redis_conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn cmd(c: &mut redis::aio::MultiplexedConnection, args: &[&[u8]]) -> redis::Value {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).unwrap());
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(c).await.unwrap()
}

fn bytes(v: redis::Value) -> Vec<u8> {
    match v {
        redis::Value::BulkString(b) => b,
        other => panic!("not a string: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// the API the fleet calls: a resource server that accepts only unexpired tokens for SHORT

struct Api {
    url: String,
    refused: Arc<Mutex<u64>>,
}

fn api() -> Api {
    use http_body_util::Full;
    let refused = Arc::new(Mutex::new(0u64));
    let r2 = refused.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            loop {
                let (sock, _) = l.accept().await.unwrap();
                let refused = r2.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let refused = refused.clone();
                            async move {
                                let ok = req
                                    .headers()
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .and_then(|v| v.strip_prefix("Bearer "))
                                    .and_then(authdoctor_core::token::jwt::analyse)
                                    .is_some_and(|a| match a {
                                        authdoctor_core::token::jwt::JwtAnalysis::Jws(j) => {
                                            j.time_claim("exp").is_some_and(|e| {
                                                e > authdoctor_core::time::now_unix()
                                            }) && j.claims.get("aud").and_then(|a| a.as_str())
                                                == Some(SHORT)
                                        }
                                        _ => false,
                                    });
                                if !ok {
                                    *refused.lock().unwrap() += 1;
                                }
                                Ok::<_, std::convert::Infallible>(
                                    hyper::Response::builder()
                                        .status(if ok { 200 } else { 401 })
                                        .body(Full::new(bytes::Bytes::from_static(b"ok\n")))
                                        .unwrap(),
                                )
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
    });
    Api {
        url: format!("http://{}/v1/read", rx.recv().unwrap()),
        refused,
    }
}

// ---------------------------------------------------------------------------------------------
// fleet_caller processes

fn caller_bin() -> PathBuf {
    // target/<profile>/deps/fleet-… → target/<profile>/examples/fleet_caller
    let exe = std::env::current_exe().unwrap();
    let p = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples/fleet_caller");
    assert!(
        p.exists(),
        "{} is missing: the tests need the example (cargo test/nextest build it; else `cargo build -p authdoctor-tokens --examples`)",
        p.display()
    );
    p
}

struct Caller {
    child: Child,
}

#[allow(clippy::too_many_arguments)]
fn spawn_caller(
    mode: &str,
    client: &str,
    redis: &str,
    key: &str,
    cache_dir: Option<&PathBuf>,
    api: &str,
    callers: usize,
    secs: u64,
    extra: &[(&str, &str)],
) -> Caller {
    let mut c = Command::new(caller_bin());
    c.arg(mode)
        .env("FLEET_ISSUER", oidc())
        .env("FLEET_CLIENT_ID", client)
        .env("FLEET_CLIENT_SECRET", format!("{client}-secret-8d2a"))
        .env("FLEET_RESOURCE", SHORT)
        .env("FLEET_REDIS", redis)
        .env("FLEET_KEY", key)
        .env("FLEET_API", api)
        .env("FLEET_CALLERS", callers.to_string())
        .env("FLEET_SECS", secs.to_string())
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = cache_dir {
        c.env("FLEET_CACHE_DIR", d);
    }
    for (k, v) in extra {
        c.env(k, v);
    }
    Caller {
        child: c.spawn().expect("fleet_caller"),
    }
}

/// Wait for a `run` caller: its JSON summary and its stderr.
fn finish(c: Caller) -> (serde_json::Value, String) {
    let out = c.child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "fleet_caller failed: {stderr}");
    let v = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"));
    (v, stderr)
}

// ---------------------------------------------------------------------------------------------
// tests

/// 1,000 callers in 20 processes (5 hosts × 4) for ~60 s with 5-second tokens: the provider
/// sees about one token request per token lifetime, and no call fails.
#[test]
fn a_thousand_callers_in_twenty_processes_make_one_request_per_lifetime() {
    let secs: u64 = std::env::var("AUTHDOCTOR_FLEET_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let api = api();
    let key = random_key_b64();
    let redis = redis_url();
    let dir = scratch("soak");
    let before = token_count("fleet-soak");
    let start = Instant::now();
    let callers: Vec<Caller> = (0..20)
        .map(|i| {
            let host = dir.join(format!("host{}", i % 5));
            // On a busy 2-core CI box 50 ms is tight for 20 processes starting at once.
            spawn_caller(
                "run",
                "fleet-soak",
                &redis,
                &key,
                Some(&host),
                &api.url,
                50,
                secs,
                &[("FLEET_TIMEOUT_MS", "200"), ("FLEET_INTERVAL_MS", "1000")],
            )
        })
        .collect();
    let mut ok = 0;
    let mut failed = 0;
    let mut local = 0;
    for c in callers {
        let (v, stderr) = finish(c);
        ok += v["ok"].as_u64().unwrap();
        failed += v["failed"].as_u64().unwrap();
        local += v["local_requests"].as_u64().unwrap();
        assert!(
            !stderr.contains("not usable"),
            "Redis was not usable: {stderr}"
        );
    }
    let elapsed = start.elapsed().as_secs_f64();
    let requests = token_count("fleet-soak") - before;
    let lifetimes = (elapsed / 5.0).ceil() as u64;
    eprintln!(
        "fleet soak: 1000 callers in 20 processes (5 hosts) for {elapsed:.1} s: {ok} calls ok, {failed} failed, \
         {requests} token requests at the provider ({local} counted by the processes) for {lifetimes} token lifetimes \
         of 5 s (renewed 1 s ahead); API refusals seen (retried): {}",
        api.refused.lock().unwrap()
    );
    assert_eq!(failed, 0, "failed calls");
    assert!(ok > 500 * secs, "too few calls: {ok}");
    // (More at the provider only if something else used this test's client meanwhile, such as
    // a second run of this suite on the same peers.)
    assert!(
        requests >= local,
        "the provider saw fewer requests than were sent"
    );
    // One request per lifetime, ± 1 per lifetime (renewal comes ahead of expiry, so a little
    // more than one per 5 s).
    assert!(
        requests <= 2 * lifetimes && requests + 1 >= lifetimes,
        "{requests} token requests for {lifetimes} lifetimes"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A private redis-server on a free port (killed on drop).
struct PrivateRedis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl PrivateRedis {
    fn start(dir: PathBuf, port: u16) -> Self {
        Self::start_with(dir, port, &[])
    }

    fn start_with(dir: PathBuf, port: u16, extra: &[&str]) -> Self {
        let bin = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("redis-server is not installed: run scripts/install-peers redis");
        let child = Command::new(bin)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        PrivateRedis {
            child: Some(child),
            port,
            dir,
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    fn restart(&mut self) {
        self.kill();
        let (dir, port) = (self.dir.clone(), self.port);
        *self = PrivateRedis::start(dir, port);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Redis is killed (SIGKILL) and restarted while 4 processes × 25 callers run: no call fails,
/// each process says once that Redis is not usable, and Redis is used again afterwards.
#[test]
fn redis_killed_and_restarted_mid_run_fails_no_call() {
    let api = api();
    let key = random_key_b64();
    let dir = scratch("restart");
    let mut redis = PrivateRedis::start(dir.clone(), free_port());
    let url = format!("redis://127.0.0.1:{}/0", redis.port);
    let before = token_count("fleet-restart");
    let callers: Vec<Caller> = (0..4)
        .map(|i| {
            let host = dir.join(format!("host{i}"));
            spawn_caller(
                "run",
                "fleet-restart",
                &url,
                &key,
                Some(&host),
                &api.url,
                25,
                24,
                &[("FLEET_TIMEOUT_MS", "100"), ("FLEET_INTERVAL_MS", "300")],
            )
        })
        .collect();
    std::thread::sleep(Duration::from_secs(7));
    redis.kill();
    std::thread::sleep(Duration::from_secs(6));
    redis.restart();
    let mut failed = 0;
    let mut ok = 0;
    for c in callers {
        let (v, stderr) = finish(c);
        failed += v["failed"].as_u64().unwrap();
        ok += v["ok"].as_u64().unwrap();
        let said = stderr.matches("is not usable").count();
        assert!(
            (1..=2).contains(&said),
            "the outage should be said once (at most once more if it flapped): {stderr}"
        );
        assert!(!stderr.contains(&key));
    }
    let requests = token_count("fleet-restart") - before;
    eprintln!(
        "redis restart: {ok} calls ok, {failed} failed; {requests} token requests in 24 s (4 hosts on their own for ~6 s)"
    );
    assert_eq!(failed, 0);
    // Used again after the restart: the record is back.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let name = RedisCache::key_name(&oidc_config("fleet-restart", "read").cache_key());
    rt.block_on(async {
        let mut c = redis_conn(&url).await;
        let v = cmd(&mut c, &[b"EXISTS", name.as_bytes()]).await;
        assert_eq!(
            v,
            redis::Value::Int(1),
            "no record written after the restart"
        );
    });
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A process takes the refresh lease and is SIGKILLed before refreshing: the next instance
/// waits for the lease to expire, then refreshes — once, for two waiting hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holder_killed_mid_refresh_is_taken_over_after_its_lease_expires() {
    let key = random_key_b64();
    let url = redis_url();
    let dir = scratch("lease");
    let cfg = oidc_config("fleet-lease", "read");
    let lease_name = RedisCache::lease_name(&cfg.cache_key());
    let mut c = redis_conn(&url).await;
    cmd(
        &mut c,
        &[b"DEL", RedisCache::key_name(&cfg.cache_key()).as_bytes()],
    )
    .await;
    let mut holder = spawn_caller(
        "hold-lease",
        "fleet-lease",
        &url,
        &key,
        None,
        "http://127.0.0.1:9/",
        0,
        0,
        &[("FLEET_LEASE_MS", "3000")],
    );
    let mut line = String::new();
    std::io::BufReader::new(holder.child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), format!("held {lease_name}"));
    holder.child.kill().unwrap(); // SIGKILL: it never releases
    holder.child.wait().unwrap();
    let before = token_count("fleet-lease");
    let ttl = cmd(&mut c, &[b"PTTL", lease_name.as_bytes()]).await;
    assert!(
        matches!(ttl, redis::Value::Int(ms) if ms > 1000),
        "lease: {ttl:?}"
    );
    let started = Instant::now();
    let a = host_source(
        cfg.clone(),
        dir.join("a"),
        fleet(&url, &key, Duration::from_millis(3000)),
    );
    let b = host_source(
        cfg.clone(),
        dir.join("b"),
        fleet(&url, &key, Duration::from_millis(3000)),
    );
    let (ta, tb) = tokio::join!(a.token(), b.token());
    let (ta, tb) = (ta.unwrap(), tb.unwrap());
    let waited = started.elapsed();
    assert_eq!(ta.access_token, tb.access_token);
    assert_eq!(
        token_count("fleet-lease") - before,
        1,
        "one refresh after the lease expired"
    );
    assert_eq!(a.requests() + b.requests(), 1);
    // It was the expired lease they waited for, not a local fallback.
    assert!(
        waited >= Duration::from_millis(1000),
        "waited only {waited:?}"
    );
    assert!(a.redis_cache().unwrap().problem().is_none());
    eprintln!(
        "lease takeover: waited {waited:?} for the dead holder's lease, then 1 token request"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records altered in Redis, moved from another key, truncated or of another type are never
/// returned: they are ignored, a token is requested, and the record is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_records_are_ignored_and_replaced() {
    let key = random_key_b64();
    let url = redis_url();
    let dir = scratch("tamper");
    let cfg = oidc_config("fleet-tamper", "read");
    let other = oidc_config("fleet-tamper", "read write");
    let name = RedisCache::key_name(&cfg.cache_key());
    let mut c = redis_conn(&url).await;
    cmd(&mut c, &[b"DEL", name.as_bytes()]).await;
    let f = || fleet(&url, &key, Duration::from_secs(5));
    let before = token_count("fleet-tamper");
    let first = host_source(cfg.clone(), dir.join("h0"), f())
        .token()
        .await
        .unwrap();

    // The record's holder: what the shared cache now says for cfg.
    let check = |t: &authdoctor_tokens::TokenSet| {
        let f = f();
        let want = t.access_token.clone();
        let key = cfg.cache_key();
        async move {
            match f.load(&key).await {
                Lookup::Found(r) => assert_eq!(r.access_token, want, "record not replaced"),
                other => panic!("record not replaced: {other:?}"),
            }
        }
    };

    // 1. One bit flipped.
    let mut rec = bytes(cmd(&mut c, &[b"GET", name.as_bytes()]).await);
    let last = rec.len() - 1;
    rec[last] ^= 1;
    cmd(&mut c, &[b"SET", name.as_bytes(), &rec, b"KEEPTTL"]).await;
    let t1 = host_source(cfg.clone(), dir.join("h1"), f())
        .token()
        .await
        .unwrap();
    assert_ne!(
        t1.access_token, first.access_token,
        "the altered record was used"
    );
    check(&t1).await;

    // 2. Another token's record (other scopes) copied under this key name.
    let t_other = host_source(other.clone(), dir.join("h2o"), f())
        .token()
        .await
        .unwrap();
    let moved = bytes(
        cmd(
            &mut c,
            &[b"GET", RedisCache::key_name(&other.cache_key()).as_bytes()],
        )
        .await,
    );
    cmd(&mut c, &[b"SET", name.as_bytes(), &moved, b"PX", b"20000"]).await;
    let t2 = host_source(cfg.clone(), dir.join("h2"), f())
        .token()
        .await
        .unwrap();
    assert_ne!(
        t2.access_token, t_other.access_token,
        "a record moved from another key was used"
    );
    assert_eq!(t2.key, cfg.cache_key());
    check(&t2).await;

    // 3. Truncated, and an unknown version.
    cmd(
        &mut c,
        &[b"SET", name.as_bytes(), b"\x01short", b"PX", b"20000"],
    )
    .await;
    let t3 = host_source(cfg.clone(), dir.join("h3"), f())
        .token()
        .await
        .unwrap();
    check(&t3).await;
    let mut v9 = bytes(cmd(&mut c, &[b"GET", name.as_bytes()]).await);
    v9[0] = 9;
    cmd(&mut c, &[b"SET", name.as_bytes(), &v9, b"PX", b"20000"]).await;
    let t4 = host_source(cfg.clone(), dir.join("h4"), f())
        .token()
        .await
        .unwrap();
    assert_ne!(t4.access_token, t3.access_token);
    check(&t4).await;

    // 4. Not a string at all.
    cmd(&mut c, &[b"DEL", name.as_bytes()]).await;
    cmd(&mut c, &[b"HSET", name.as_bytes(), b"f", b"v"]).await;
    let t5 = host_source(cfg.clone(), dir.join("h5"), f())
        .token()
        .await
        .unwrap();
    check(&t5).await;
    assert_eq!(
        cmd(&mut c, &[b"TYPE", name.as_bytes()]).await,
        redis::Value::SimpleString("string".into())
    );

    // first + 1 per tampering + the other scopes' token.
    assert_eq!(token_count("fleet-tamper") - before, 7);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fake issuer handing out access and refresh tokens that live 3 s (so refresh grants happen),
/// recording every token it issued.
fn fake_issuer() -> (String, Arc<Mutex<Vec<String>>>) {
    let issued = Arc::new(Mutex::new(Vec::new()));
    let i2 = issued.clone();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let b2 = base.clone();
    std::thread::spawn(move || {
        let mut n = 0u64;
        let mut salt = [0u8; 6];
        aws_lc_rs::rand::fill(&mut salt).unwrap();
        let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        for s in l.incoming() {
            let mut s = s.unwrap();
            let mut buf = Vec::new();
            let mut tmp = [0u8; 4096];
            loop {
                let r = s.read(&mut tmp).unwrap();
                buf.extend_from_slice(&tmp[..r]);
                let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                if let Some(i) = text.find("\r\n\r\n") {
                    let len: usize = text[..i]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap())
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len || r == 0 {
                        break;
                    }
                }
                if r == 0 {
                    break;
                }
            }
            let head = String::from_utf8_lossy(&buf);
            let body = if head.starts_with("GET /.well-known/") {
                format!(r#"{{"issuer":"{b2}","token_endpoint":"{b2}/token"}}"#)
            } else {
                n += 1;
                let at = format!("scan-at-{salt}-{n}-Zq");
                let rt = format!("scan-rt-{salt}-{n}-Zq");
                i2.lock().unwrap().extend([at.clone(), rt.clone()]);
                format!(
                    r#"{{"access_token":"{at}","refresh_token":"{rt}","token_type":"Bearer","expires_in":3}}"#
                )
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, issued)
}

/// Every value in Redis (SCAN, then GET or DUMP): none holds an issued access or refresh
/// token or the client secret, and key names do not name the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_value_in_redis_reveals_a_token_or_secret() {
    let key = random_key_b64();
    let url = redis_url();
    let dir = scratch("scan");
    let (issuer, issued) = fake_issuer();
    const SECRET: &str = "scan-client-secret-Hq7";
    let cfg = config(&issuer, "scan-client-id-Xy", SECRET, SHORT, "read");
    let f = || fleet(&url, &key, Duration::from_secs(5));
    let (a, b) = (
        host_source(cfg.clone(), dir.join("a"), f()),
        host_source(cfg.clone(), dir.join("b"), f()),
    );
    // ~7 s of 3-second tokens: client_credentials once, then refresh grants.
    let end = Instant::now() + Duration::from_secs(7);
    while Instant::now() < end {
        a.token().await.unwrap();
        b.token().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And a real provider's token.
    let real = host_source(oidc_config("fleet-scan", "read"), dir.join("c"), f())
        .token()
        .await
        .unwrap();
    let mut needles: Vec<String> = issued.lock().unwrap().clone();
    assert!(needles.len() >= 6, "too few tokens issued: {needles:?}");
    assert!(
        a.requests() + b.requests() < needles.len() as u64,
        "no sharing?"
    );
    needles.push(real.access_token.expose().to_string());
    needles.push(SECRET.into());
    needles.push("fleet-scan-secret-8d2a".into());
    let mut c = redis_conn(&url).await;
    let mut cursor = b"0".to_vec();
    let mut values: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    loop {
        let v = cmd(&mut c, &[b"SCAN", &cursor, b"COUNT", b"1000"]).await;
        let redis::Value::Array(parts) = v else {
            panic!("{v:?}")
        };
        let next = bytes(parts[0].clone());
        let redis::Value::Array(keys) = parts[1].clone() else {
            panic!()
        };
        for k in keys {
            let k = bytes(k);
            let ty = cmd(&mut c, &[b"TYPE", &k]).await;
            let val = if ty == redis::Value::SimpleString("string".into()) {
                cmd(&mut c, &[b"GET", &k]).await
            } else {
                cmd(&mut c, &[b"DUMP", &k]).await
            };
            if let redis::Value::BulkString(b) = val {
                values.insert(k, b);
            }
        }
        if next == b"0" {
            break;
        }
        cursor = next;
    }
    let ours = RedisCache::key_name(&cfg.cache_key());
    assert!(
        values.contains_key(ours.as_bytes()),
        "our record is not in Redis"
    );
    let mut found = Vec::new();
    for (k, v) in &values {
        for n in &needles {
            let n = n.as_bytes();
            if v.windows(n.len()).any(|w| w == n) || k.windows(n.len()).any(|w| w == n) {
                found.push(String::from_utf8_lossy(k).into_owned());
            }
        }
        assert!(!String::from_utf8_lossy(k).contains("scan-client-id-Xy"));
        assert!(!String::from_utf8_lossy(k).contains("fleet-scan"));
    }
    eprintln!(
        "scan: {} keys, {} tokens and secrets looked for, {} found",
        values.len(),
        needles.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "tokens or secrets readable in Redis under {found:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rediss://`: a private redis-server with TLS (a throwaway CA made with openssl, trusted
/// through SSL_CERT_FILE): tokens are shared over it like over plain TCP.
#[test]
fn rediss_shares_tokens_over_tls() {
    let dir = scratch("tls");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("openssl is not installed: run scripts/install-peers tools");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "1",
                "-subj",
                "/CN=authdoctor fleet test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "srv.key",
                "-out",
                "srv.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "1",
        "-extfile",
        "ext",
    ]);
    let (plain, tls) = (free_port(), free_port());
    let tls_s = tls.to_string();
    let d = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let _redis = PrivateRedis::start_with(
        dir.clone(),
        plain,
        &[
            "--tls-port",
            &tls_s,
            "--tls-cert-file",
            &d("srv.pem"),
            "--tls-key-file",
            &d("srv.key"),
            "--tls-ca-cert-file",
            &d("ca.pem"),
            "--tls-auth-clients",
            "no",
        ],
    );
    let api = api();
    let key = random_key_b64();
    let ca = d("ca.pem");
    let caller = spawn_caller(
        "run",
        "fleet-scan",
        &format!("rediss://localhost:{tls}/0"),
        &key,
        Some(&dir.join("host")),
        &api.url,
        3,
        1,
        &[("SSL_CERT_FILE", ca.as_str()), ("FLEET_TIMEOUT_MS", "500")],
    );
    let (v, stderr) = finish(caller);
    assert_eq!(v["failed"], 0, "{stderr}");
    assert!(!stderr.contains("not usable"), "{stderr}");
    let name = RedisCache::key_name(&oidc_config("fleet-scan", "read").cache_key());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut c = redis_conn(&format!("redis://127.0.0.1:{plain}/0")).await;
        assert_eq!(
            cmd(&mut c, &[b"EXISTS", name.as_bytes()]).await,
            redis::Value::Int(1)
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
