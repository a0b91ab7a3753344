//! Differential probes against real servers on 127.0.0.1, started by
//! `scripts/peers start` (or `scripts/test`): squid and tinyproxy stripping Authorization,
//! mitmproxy rewriting its scheme, nginx's proxy_cache serving a stored 401, nginx
//! `ssl_verify_client` with the certificates of `scripts/gen-test-certs` (400 and 401 forms),
//! chrony serving NTP 300 s fast and httpbin 600 s fast (libfaketime), httpbin redirects
//! (127.0.0.1→localhost, https→http through nginx TLS), an nginx IP allowlist, and DNS against
//! a profile file.
//!
//! Each case asserts the right cause id first, the probe that proved it in the evidence, the
//! probe list in the JSON, and that no secret reaches the output. `bench_probes` (ignored;
//! `scripts/bench-probes` runs it) measures the probes' cost behind 200 ms delaying proxies.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

/// Runs `authdoctor check --format json ARGS` with extra environment and working directory.
fn check_env(args: &[String], env: &[(&str, &str)], dir: Option<&Path>) -> Run {
    let mut all = vec!["check".to_owned(), "--format".to_owned(), "json".to_owned()];
    all.extend(args.iter().cloned());
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
    cmd.args(&all)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60));
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "AUTHDOCTOR_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().expect("run authdoctor");
    Run {
        args: all,
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The probe named `name` in the JSON report.
fn probe(run: &Run, name: &str) -> Value {
    run.json()["probes"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == name).cloned())
        .unwrap_or_else(|| panic!("no probe {name:?}\n{}", run.describe()))
}

/// Every HTTP probe went to the origin the user addressed (scheme, host and port).
fn assert_probes_stay_on_origin(run: &Run, url: &str) {
    let origin = |u: &str| {
        let rest = u.split_once("://").unwrap_or(("", u));
        format!(
            "{}://{}",
            rest.0,
            rest.1.split(['/', '?']).next().unwrap_or("")
        )
    };
    for p in run.json()["probes"].as_array().cloned().unwrap_or_default() {
        let u = p["url"].as_str().unwrap_or("");
        if !u.is_empty() {
            assert_eq!(origin(u), origin(url), "probe {p} left the origin");
        }
    }
}

fn bearer_secret(token: &str) -> Vec<Secret> {
    vec![Secret::new("bearer token", token)]
}

/// A token with enough entropy to be a secret, opaque (httpbin /bearer accepts any).
fn token() -> String {
    format!("tok-{}", random_hex(20))
}

fn proxy_case(proxy_var: &str) -> Run {
    let proxy = peer(proxy_var);
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    let t = token();
    let run = check_json(&s(&[
        "-x",
        &proxy,
        "-H",
        &format!("Authorization: Bearer {t}"),
        &url,
    ]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_exit(1)
        .assert_top("proxy-stripped-credentials");
    assert!(
        run.top_evidence_text().contains("probe.direct"),
        "the direct probe must be in the evidence\n{}",
        run.describe()
    );
    let d = probe(&run, "direct");
    assert_eq!(d["status"], 200, "{}", run.describe());
    assert_eq!(d["differs"], true);
    assert_eq!(probe(&run, "without-credentials")["differs"], false);
    assert_probes_stay_on_origin(&run, &url);
    run
}

#[test]
fn squid_stripping_authorization() {
    let run = proxy_case("AUTHDOCTOR_SQUID");
    assert!(
        run.top_evidence_text().contains("squid"),
        "Via names squid\n{}",
        run.describe()
    );
}

#[test]
fn tinyproxy_stripping_authorization() {
    let run = proxy_case("AUTHDOCTOR_TINYPROXY");
    assert!(run.top_evidence_text().contains("tinyproxy"));
}

#[test]
fn mitmproxy_rewriting_the_scheme() {
    proxy_case("AUTHDOCTOR_MITMPROXY");
}

#[test]
fn tls_interception_by_mitmproxy_is_named() {
    // mitmproxy intercepts https (its own CA, hence -k) and rewrites the scheme; the direct
    // probe sees nginx's real certificate.
    let proxy = peer("AUTHDOCTOR_MITMPROXY");
    let url = format!("{}/bearer", peer("AUTHDOCTOR_NGINX_TLS"));
    let t = token();
    let run = check_json(&s(&[
        "-k",
        "-x",
        &proxy,
        "-H",
        &format!("Authorization: Bearer {t}"),
        &url,
    ]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_top("proxy-stripped-credentials");
    let d = probe(&run, "direct");
    let verdict = d["verdict"].as_str().unwrap_or("");
    assert!(
        verdict.contains("TLS interception") && verdict.contains("mitmproxy"),
        "{}",
        run.describe()
    );
}

#[test]
fn proxy_from_the_environment_is_bypassed_by_the_direct_probe() {
    let proxy = peer("AUTHDOCTOR_SQUID");
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    let t = token();
    let run = check_env(
        &s(&["-H", &format!("Authorization: Bearer {t}"), &url]),
        &[("http_proxy", &proxy)],
        None,
    );
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_top("proxy-stripped-credentials");
    assert_eq!(run.json()["request"]["proxy"]["env_var"], "http_proxy");
    assert_eq!(probe(&run, "direct")["status"], 200);
    assert!(run.top_evidence_text().contains("http_proxy"));
}

#[test]
fn nginx_cache_serving_a_stored_401() {
    let url = format!(
        "{}/bearer?probe-case={}",
        peer("AUTHDOCTOR_NGINX_CACHE"),
        random_hex(6)
    );
    let (status, head) = raw_get(&url, &[]);
    assert_eq!(status, 401, "priming: {head}");
    let t = token();
    let run = check_json(&s(&["-H", &format!("Authorization: Bearer {t}"), &url]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_exit(1)
        .assert_top("cached-401");
    assert!(run.top_evidence_text().contains("probe.cache-bust"));
    let c = probe(&run, "cache-bust");
    assert_eq!(c["status"], 200, "{}", run.describe());
    assert_eq!(c["differs"], true);
    assert_probes_stay_on_origin(&run, &url);
}

#[test]
fn nginx_stripping_proxy_without_a_configured_proxy() {
    let url = format!("{}/bearer", peer("AUTHDOCTOR_NGINX_STRIP"));
    let t = token();
    let run = check_json(&s(&["-H", &format!("Authorization: Bearer {t}"), &url]));
    run.assert_top("proxy-stripped-credentials");
    assert!(
        run.top_evidence_text()
            .contains("probe.without-credentials")
    );
}

fn certs() -> String {
    peer_var("AUTHDOCTOR_CERTS")
}

fn mtls(base_var: &str, cert: Option<&str>) -> Run {
    let base = peer(base_var);
    let c = certs();
    let mut args = s(&["--cacert", &format!("{c}/ca.crt")]);
    if let Some(name) = cert {
        args.extend(s(&[
            "--cert",
            &format!("{c}/{name}.crt"),
            "--key",
            &format!("{c}/client.key"),
        ]));
    }
    args.push(format!("{base}/get"));
    check_json(&args)
}

fn mtls_cases(base_var: &str, status: u64) {
    let ok = mtls(base_var, Some("client"));
    ok.assert_exit(0).assert_outcome("ok");
    for (cert, words) in [
        (None, "none was sent"),
        (Some("client-expired"), "expired"),
        (Some("client-future"), "not valid for another"),
        (Some("client-rogue"), "rogue CA"),
        (Some("client-serveronly"), "clientAuth"),
    ] {
        let run = mtls(base_var, cert);
        run.assert_exit(1)
            .assert_outcome("unauthorized")
            .assert_top("client-certificate");
        let f = &run.json()["findings"][0];
        assert!(
            f["title"].as_str().unwrap_or("").contains(words),
            "{cert:?}: title should say {words:?}\n{}",
            run.describe()
        );
        assert_eq!(run.exchanges().last().unwrap()["status"], status);
        if cert.is_some() {
            assert!(
                run.top_evidence_text().contains("probe.client-certificate"),
                "{}",
                run.describe()
            );
            assert_eq!(
                probe(&run, "client-certificate")["differs"],
                cert != Some("client-rogue")
            );
        } else {
            assert!(run.top_evidence_text().contains("acceptable_cas"));
        }
    }
}

#[test]
fn nginx_ssl_verify_client_400_form() {
    mtls_cases("AUTHDOCTOR_NGINX_MTLS_400", 400);
}

#[test]
fn nginx_ssl_verify_client_401_form() {
    mtls_cases("AUTHDOCTOR_NGINX_MTLS_401", 401);
    let run = mtls("AUTHDOCTOR_NGINX_MTLS_401", Some("client-expired"));
    assert!(
        run.top_evidence_text()
            .contains("X-Client-Verify: FAILED:certificate has expired")
    );
}

fn jwt_expiring_in(secs: i64) -> TestJwt {
    let t = now();
    mint_jwt(
        serde_json::json!({"alg": "RS256", "typ": "at+jwt"}),
        serde_json::json!({"sub": "svc", "iat": t - 60, "exp": t + secs}),
    )
}

#[test]
fn skewed_httpbin_judged_with_ntp_from_chrony() {
    let chrony = peer_var("AUTHDOCTOR_CHRONY");
    let url = format!("{}/status/401", peer("AUTHDOCTOR_HTTPBIN_SKEWED"));
    // Valid for 400 s by the local clock, 100 s by chrony's (+300), expired by httpbin's (+600).
    let jwt = jwt_expiring_in(400);
    let run = check_json(&s(&[
        "--ntp",
        &chrony,
        "-H",
        &format!("Authorization: Bearer {}", jwt.token),
        &url,
    ]));
    run.assert_no_secrets(&jwt.secrets("skew"))
        .assert_exit(1)
        .assert_top("clock-skew");
    let j = run.json();
    let title = j["findings"][0]["title"].as_str().unwrap_or("");
    assert!(title.contains("server's is 5m ahead"), "{title}");
    let off = j["ntp"][0]["offset_seconds"].as_f64().unwrap();
    assert!((off - 300.0).abs() < 5.0, "chrony is 300 s fast: {off}");
    assert!(j["ntp"][0]["delay_ms"].as_f64().is_some());
    assert!(run.top_evidence_text().contains("\"ntp\""));
    let skew = j["clock"]["offset_seconds"].as_i64().unwrap();
    assert!((skew - 600).abs() <= 3, "httpbin is 600 s fast: {skew}");
    let ids = run.finding_ids();
    assert!(ids.contains(&"token-expired".to_string()));
}

#[test]
fn chrony_alone_is_named_as_the_clock_that_is_off() {
    let chrony = peer_var("AUTHDOCTOR_CHRONY");
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    let run = check_json(&s(&["--ntp", &chrony, "--ntp", "127.0.0.1:9", &url]));
    run.assert_exit(1).assert_top("missing-credentials");
    let j = run.json();
    let skew = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "clock-skew")
        .cloned()
        .unwrap_or_else(|| panic!("clock-skew expected\n{}", run.describe()));
    assert!(
        skew["title"]
            .as_str()
            .unwrap()
            .contains("NTP server is off")
    );
    assert!(
        j["ntp"][1]["error"].is_string(),
        "an unanswered NTP server is listed"
    );
}

#[test]
fn redirect_from_127_to_localhost() {
    let hb = peer("AUTHDOCTOR_HTTPBIN");
    let port = port_of(&hb);
    let url =
        format!("{hb}/redirect-to?url=http%3A%2F%2Flocalhost%3A{port}%2Fbearer&status_code=307");
    let t = token();
    let run = check_json(&s(&["-H", &format!("Authorization: Bearer {t}"), &url]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_top("redirect-dropped-credentials");
    let ev = run.top_evidence_text();
    assert!(ev.contains("localhost") && ev.contains("reqwest"), "{ev}");
    assert_probes_stay_on_origin(&run, &url);
}

#[test]
fn redirect_from_https_to_http_through_nginx_tls() {
    let tls = peer("AUTHDOCTOR_NGINX_TLS");
    let hb = peer("AUTHDOCTOR_HTTPBIN");
    let target = format!("{hb}/bearer")
        .replace(':', "%3A")
        .replace('/', "%2F");
    let url = format!("{tls}/redirect-to?url={target}&status_code=307");
    let t = token();
    let run = check_json(&s(&[
        "--cacert",
        &format!("{}/ca.crt", certs()),
        "-H",
        &format!("Authorization: Bearer {t}"),
        &url,
    ]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_top("redirect-dropped-credentials");
    assert!(run.top_evidence_text().contains("https→http"));
}

#[test]
fn nginx_ip_allowlist() {
    let url = format!("{}/get", peer("AUTHDOCTOR_NGINX_IP_DENY"));
    let t = token();
    let run = check_json(&s(&["-H", &format!("Authorization: Bearer {t}"), &url]));
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_exit(1)
        .assert_top("ip-not-allowed");
    assert!(
        run.json()["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1")
    );
}

#[test]
fn dns_against_the_profiles_environment() {
    let api = peer("AUTHDOCTOR_NGINX_JWT_API");
    let port = port_of(&api);
    let dir = std::env::temp_dir().join(format!("authdoctor-dns-{}", random_hex(6)));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("authdoctor.toml"),
        format!(
            "default_profile = \"prod\"\n[profiles.prod]\nenvironment = \"prod\"\nhosts = [\"localhost\"]\n\n[profiles.staging]\nenvironment = \"staging\"\napi_base = \"http://127.0.0.1:{port}\"\n"
        ),
    )
    .unwrap();
    let t = token();
    let run = check_env(
        &s(&[
            "-H",
            &format!("Authorization: Bearer {t}"),
            &format!("http://localhost:{port}/v1"),
        ]),
        &[("XDG_CONFIG_HOME", dir.join("none").to_str().unwrap())],
        Some(&dir),
    );
    let _ = std::fs::remove_dir_all(&dir);
    run.assert_no_secrets(&bearer_secret(&t))
        .assert_top("environment-mismatch");
    assert!(run.top_evidence_text().contains("probe.dns"));
    let d = &run.json()["dns"];
    assert_eq!(d["environment"], "prod");
    assert_eq!(d["matches"][0]["environment"], "staging");
}

#[test]
fn non_idempotent_requests_are_not_probed() {
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    let run = check_json(&s(&[
        "-X",
        "POST",
        "-H",
        "Authorization: Bearer abcdefgh",
        &url,
    ]));
    let names: Vec<String> = run.json()["probes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"skipped".to_string()), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n == "without-credentials" || n == "cache-bust")
    );
    let run = check_json(&s(&[
        "--allow-replay",
        "-X",
        "POST",
        "-H",
        "Authorization: Bearer abcdefgh",
        &url,
    ]));
    probe(&run, "without-credentials");
}

#[test]
fn no_probes_and_the_human_section() {
    let url = format!("{}/bearer", peer("AUTHDOCTOR_HTTPBIN"));
    let run = check_json(&s(&["--no-probes", &url]));
    assert!(run.json().get("probes").is_none(), "{}", run.describe());
    let human = check_human(&s(&["-H", "Authorization: Bearer abcdefgh", &url]));
    assert!(human.stdout.contains("\nProbes\n"), "{}", human.describe());
    assert!(human.stdout.contains("without-credentials"));
}

// ---------------------------------------------------------------------------------------------
// Bench: 200 ms injected on every server; `scripts/bench-probes` runs it.

/// A TCP forwarder that waits `delay` before connecting each accepted client to `upstream`:
/// every new connection (so every request of every probe) pays the delay once.
fn delaying_proxy(upstream: String, delay: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                let Ok(server) = TcpStream::connect(&upstream) else {
                    return;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let t = std::thread::spawn(move || pump(&mut c2, &mut s2));
                let (mut c, mut s) = (client, server);
                pump(&mut s, &mut c);
                let _ = t.join();
            });
        }
    });
    addr
}

fn pump(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[test]
#[ignore = "benchmark: scripts/bench-probes"]
fn bench_probes() {
    let delay = Duration::from_millis(200);
    let hb = peer("AUTHDOCTOR_HTTPBIN");
    let squid = peer("AUTHDOCTOR_SQUID");
    let origin = delaying_proxy(hb.trim_start_matches("http://").to_string(), delay);
    let proxy = delaying_proxy(squid.trim_start_matches("http://").to_string(), delay);
    let url = format!("http://{origin}/bearer");
    let args = s(&[
        "-x",
        &format!("http://{proxy}"),
        "-H",
        "Authorization: Bearer bench-token-123456",
        &url,
    ]);
    let runs = 5;
    let (mut wall, mut slowest, mut sum, mut baseline) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let started = Instant::now();
        let run = check_json(&args);
        wall.push(started.elapsed().as_secs_f64() * 1000.0);
        run.assert_top("proxy-stripped-credentials");
        let j = run.json();
        let main: f64 = j["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|x| x["elapsed_ms"].as_f64())
            .sum();
        let probes: Vec<f64> = j["probes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| !p["url"].as_str().unwrap_or("").is_empty())
            .filter_map(|p| p["elapsed_ms"].as_f64())
            .collect();
        slowest.push(probes.iter().copied().fold(main, f64::max));
        sum.push(main + probes.iter().sum::<f64>());
        let mut no = args.clone();
        no.insert(0, "--no-probes".into());
        let started = Instant::now();
        check_json(&no);
        baseline.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (w, sl, su, b) = (median(wall), median(slowest), median(sum), median(baseline));
    println!("probes bench: 200 ms injected on httpbin and on squid; median of {runs} runs");
    println!("| measure | ms |");
    println!("|---|---|");
    println!("| `check` wall time, all probes | {w:.0} |");
    println!("| slowest single request (main or one probe) | {sl:.0} |");
    println!("| sequential sum of the main request and the probes | {su:.0} |");
    println!("| `check --no-probes` wall time | {b:.0} |");
    println!("| wall / slowest | {:.2} |", w / sl);
    // A measurement, not an assertion: the goal (wall ≤ 1.2 × slowest) is judged in BENCHMARKS.md.
}
