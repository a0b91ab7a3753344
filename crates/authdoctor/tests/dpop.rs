//! Sender-constrained tokens (DPoP, RFC 9449) against real servers: DPoP-bound JWT access
//! tokens (`token_type: DPoP`, `cnf.jkt`) from oidc-provider with its dPoP feature
//! (`tests/peers/oidc-provider/server-dpop.mjs`, peer `dpop_issuer`), sent to Auth0's
//! express-oauth2-jwt-bearer enforcing DPoP (`tests/peers/stacks-node/dpop_rs.js`, peer
//! `dpop_rs`: `/api/hello` DPoP only, `/mixed/hello` Bearer or DPoP, `/nonce/hello` DPoP with a
//! server nonce; it refuses a replayed proof `jti` and counts every `jti` it receives).
//!
//! Keys, tokens and proofs (valid and deliberately wrong ones) are made independently of
//! authdoctor by `tests/peers/oidc-provider/mint-dpop.mjs` (Node's own crypto). Every failing
//! case must put `dpop-proof` first with evidence naming the field at fault; the RS's answers
//! to proof errors are 400 (`invalid_dpop_proof`), which authdoctor diagnoses like a 401. A
//! user's own `DPoP` header is never sent twice (the RS counts each `jti`), and `--dpop-key`
//! makes authdoctor sign proofs itself (answering one nonce challenge).

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use std::path::PathBuf;
use support::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn issuer() -> String {
    peer("AUTHDOCTOR_DPOP_ISSUER")
}

fn rs() -> String {
    peer("AUTHDOCTOR_DPOP_RS")
}

/// One run of mint-dpop.mjs: a fresh key pair (files in a private temp dir, removed on drop), a
/// DPoP-bound token unless `client` is None, and proofs for each (htm, htu) pair.
struct Minted {
    dir: PathBuf,
    v: Value,
}

impl Minted {
    fn new(client: Option<(&str, &str)>, pairs: &[(&str, &str)]) -> Minted {
        Minted::with_nonce(client, pairs, "")
    }

    /// As [`Minted::new`], every proof carrying `nonce` (none when empty) except `no_nonce`.
    fn with_nonce(client: Option<(&str, &str)>, pairs: &[(&str, &str)], nonce: &str) -> Minted {
        let dir = std::env::temp_dir().join(format!("authdoctor-dpop-{}", random_hex(8)));
        let mut cmd = std::process::Command::new("node");
        cmd.arg(repo().join("tests/peers/oidc-provider/mint-dpop.mjs"))
            .arg("--dir")
            .arg(&dir);
        match client {
            Some((id, secret)) => {
                cmd.args(["--issuer", &issuer(), "--client", &format!("{id}:{secret}")]);
            }
            None => {
                cmd.arg("--no-token");
            }
        }
        if !nonce.is_empty() {
            cmd.args(["--nonce", nonce]);
        }
        for (htm, htu) in pairs {
            cmd.args(["--pair", htm, htu]);
        }
        let out = cmd.output().expect("run node mint-dpop.mjs");
        assert!(
            out.status.success(),
            "mint-dpop.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("mint-dpop.mjs prints JSON");
        Minted { dir, v }
    }

    /// A token of the `dpop-svc` client, and proofs for `pairs`.
    fn svc(pairs: &[(&str, &str)]) -> Minted {
        let id = peer_var("AUTHDOCTOR_DPOP_CLIENT_ID");
        let secret = peer_var("AUTHDOCTOR_DPOP_CLIENT_SECRET");
        Minted::new(Some((&id, &secret)), pairs)
    }

    fn token(&self) -> String {
        let t = self.v["access_token"].as_str().expect("access_token");
        assert_eq!(self.v["token_type"], "DPoP", "the issuer gave {}", self.v);
        t.to_string()
    }

    fn proof(&self, pair: usize, kind: &str) -> String {
        self.v["pairs"][pair]["proofs"][kind]["proof"]
            .as_str()
            .unwrap_or_else(|| panic!("no {kind} proof for pair {pair}"))
            .to_string()
    }

    fn jti(&self, pair: usize, kind: &str) -> String {
        self.v["pairs"][pair]["proofs"][kind]["jti"]
            .as_str()
            .unwrap_or_else(|| panic!("no {kind} jti for pair {pair}"))
            .to_string()
    }

    fn file(&self, which: &str) -> String {
        self.v[which].as_str().expect("key file").to_string()
    }

    /// Secrets no output may contain: the token and the private key's `d`.
    fn secrets(&self) -> Vec<Secret> {
        let mut s = Vec::new();
        if let Some(t) = self.v["access_token"].as_str() {
            s.push(Secret::new("DPoP-bound access token", t));
        }
        let jwk: Value =
            serde_json::from_str(&std::fs::read_to_string(self.file("key_file")).expect("key"))
                .expect("JWK");
        s.push(Secret::new(
            "private key d",
            jwk["d"].as_str().expect("d").to_string(),
        ));
        s
    }
}

impl Drop for Minted {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn dpop_auth(token: &str) -> String {
    format!("Authorization: DPoP {token}")
}

fn proof_header(proof: &str) -> String {
    format!("DPoP: {proof}")
}

/// How many requests reached the RS with a proof whose jti is `jti`.
fn jti_count(jti: &str) -> u64 {
    let base = rs();
    let authority = base.split_once("://").unwrap().1.to_string();
    let mut s = std::net::TcpStream::connect(&authority).expect("connect to dpop_rs");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET /__authdoctor/jti?jti={jti} HTTP/1.0\r\nHost: {authority}\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let v: Value = serde_json::from_str(body.trim()).expect("jti count JSON");
    v["count"].as_u64().expect("count")
}

fn assert_mentions(run: &Run, id: &str, needles: &[&str]) {
    let text = evidence_texts(run, id);
    for n in needles {
        assert!(
            text.to_lowercase().contains(&n.to_lowercase()),
            "the evidence of {id} does not mention {n:?}:\n{text}\n{}",
            run.describe()
        );
    }
}

fn assert_dpop_proof(run: &Run, needles: &[&str]) {
    run.assert_exit(1).assert_top("dpop-proof");
    assert_mentions(run, "dpop-proof", needles);
}

#[test]
fn bound_token_sent_as_bearer_is_dpop_proof() {
    let mixed = format!("{}/mixed/hello", rs());
    let only = format!("{}/api/hello", rs());
    let m = Minted::svc(&[]);
    let t = m.token();
    let bearer = format!("Authorization: Bearer {t}");
    // Bearer or DPoP accepted: 401 invalid_token "DPoP-bound token requires the DPoP
    // authentication scheme, not Bearer."
    // The evidence names the binding (`cnf.jkt`) and the scheme it was sent with.
    let run = check_json(&["-H", &bearer, &mixed]);
    assert_dpop_proof(&run, &["jkt", "Bearer"]);
    run.assert_no_secrets(&m.secrets());
    // DPoP only: 400 with `WWW-Authenticate: DPoP algs="…"` and no error code.
    let run = check_json(&["-H", &bearer, &only]);
    assert_eq!(run.exchanges()[0]["status"], 400, "{}", run.describe());
    assert_dpop_proof(&run, &["jkt", "Bearer"]);
    run.assert_no_secrets(&m.secrets());
}

#[test]
fn dpop_scheme_without_a_proof_is_dpop_proof() {
    let m = Minted::svc(&[]);
    let h = dpop_auth(&m.token());
    for path in ["/api/hello", "/mixed/hello"] {
        let url = format!("{}{path}", rs());
        // 400, `WWW-Authenticate: [Bearer realm="api", ]DPoP algs="…"`.
        let run = check_json(&["-H", &h, &url]);
        assert_dpop_proof(&run, &["proof"]);
        run.assert_no_secrets(&m.secrets());
    }
}

/// A proof of kind `kind` (see mint-dpop.mjs) to the DPoP-only route: `dpop-proof` naming
/// `needle`, and the user's proof reached the RS exactly once (never re-sent by a probe).
fn assert_bad_proof(kind: &str, needles: &[&str]) {
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[("GET", &url)]);
    let t = m.token();
    let run = check_json(&[
        "-H",
        &dpop_auth(&t),
        "-H",
        &proof_header(&m.proof(0, kind)),
        &url,
    ]);
    assert_dpop_proof(&run, needles);
    run.assert_no_secrets(&m.secrets());
    assert_eq!(
        jti_count(&m.jti(0, kind)),
        1,
        "the user's {kind} proof was not sent exactly once\n{}",
        run.describe()
    );
}

#[test]
fn proof_signed_by_another_key_is_dpop_proof_naming_jkt() {
    // 401 invalid_token "JWT Access Token confirmation mismatch".
    assert_bad_proof("other_key", &["jkt"]);
}

#[test]
fn proof_for_another_url_is_dpop_proof_naming_htu() {
    // 400 invalid_dpop_proof "DPoP Proof htu mismatch".
    assert_bad_proof("wrong_htu", &["htu"]);
}

#[test]
fn proof_for_another_method_is_dpop_proof_naming_htm() {
    // 400 invalid_dpop_proof "DPoP Proof htm mismatch".
    assert_bad_proof("wrong_htm", &["htm"]);
}

#[test]
fn proof_made_an_hour_ago_is_dpop_proof_naming_iat() {
    // 400 invalid_dpop_proof "DPoP proof 'iat' is outside the acceptable range".
    assert_bad_proof("old_iat", &["iat"]);
}

#[test]
fn proof_with_another_tokens_hash_is_dpop_proof_naming_ath() {
    // 400 invalid_dpop_proof "DPoP Proof 'ath' mismatch".
    assert_bad_proof("wrong_ath", &["ath"]);
}

#[test]
fn proof_without_ath_is_dpop_proof_naming_ath() {
    // 400 invalid_dpop_proof "Missing 'ath' claim in DPoP proof".
    assert_bad_proof("no_ath", &["ath"]);
}

#[test]
fn malformed_proof_answered_400_is_dpop_proof() {
    // 400 invalid_dpop_proof "Invalid Compact JWS": a 400 diagnosed like a 401.
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[]);
    let run = check_json(&["-H", &dpop_auth(&m.token()), "-H", "DPoP: not-a-jwt", &url]);
    assert_eq!(run.exchanges()[0]["status"], 400, "{}", run.describe());
    assert_dpop_proof(&run, &["proof"]);
    run.assert_no_secrets(&m.secrets());
}

#[test]
fn resource_server_nonce_challenge_is_dpop_proof_naming_nonce() {
    // 401 `DPoP error="use_dpop_nonce"` + `DPoP-Nonce`: the proof is otherwise valid.
    let url = format!("{}/nonce/hello", rs());
    let m = Minted::svc(&[("GET", &url)]);
    let run = check_json(&[
        "-H",
        &dpop_auth(&m.token()),
        "-H",
        &proof_header(&m.proof(0, "valid")),
        &url,
    ]);
    assert_dpop_proof(&run, &["nonce"]);
    run.assert_no_secrets(&m.secrets());
    assert_eq!(jti_count(&m.jti(0, "valid")), 1, "{}", run.describe());
}

#[test]
fn proof_with_the_resource_servers_nonce_succeeds() {
    // The RS's nonce, learnt from its use_dpop_nonce answer to another key's valid proof, then a
    // fresh token and proof carrying it: 200, and the proof reached the RS once.
    let url = format!("{}/nonce/hello", rs());
    let first = Minted::svc(&[("GET", &url)]);
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-D", "-", "-m", "10"])
        .args(["-H", &dpop_auth(&first.token())])
        .args(["-H", &proof_header(&first.proof(0, "valid")), &url])
        .output()
        .expect("curl");
    let head = String::from_utf8_lossy(&out.stdout).to_string();
    let nonce = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("dpop-nonce"))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no DPoP-Nonce from the RS:\n{head}"));
    let id = peer_var("AUTHDOCTOR_DPOP_CLIENT_ID");
    let secret = peer_var("AUTHDOCTOR_DPOP_CLIENT_SECRET");
    let m = Minted::with_nonce(Some((&id, &secret)), &[("GET", &url)], &nonce);
    let run = check_json(&[
        "-H",
        &dpop_auth(&m.token()),
        "-H",
        &proof_header(&m.proof(0, "valid")),
        &url,
    ]);
    run.assert_exit(0);
    run.assert_no_secrets(&m.secrets());
    assert_eq!(jti_count(&m.jti(0, "valid")), 1, "{}", run.describe());
}

#[test]
fn issuer_nonce_challenge_answered_400_is_dpop_proof_naming_nonce() {
    // oidc-provider's token endpoint for a client that must use nonces: 400
    // {"error":"use_dpop_nonce"} + `DPoP-Nonce`, no WWW-Authenticate.
    let token_url = format!("{}/token", issuer());
    let m = Minted::new(None, &[("POST", &token_url)]);
    let id = peer_var("AUTHDOCTOR_DPOP_NONCE_CLIENT_ID");
    let secret = peer_var("AUTHDOCTOR_DPOP_NONCE_CLIENT_SECRET");
    let user = format!("{id}:{secret}");
    let run = check_json(&[
        "-u",
        &user,
        "-d",
        "grant_type=client_credentials",
        "-H",
        &proof_header(&m.proof(0, "valid")),
        &token_url,
    ]);
    assert_eq!(run.exchanges()[0]["status"], 400, "{}", run.describe());
    assert_dpop_proof(&run, &["nonce"]);
    run.assert_no_secrets(&[Secret::new("client secret", secret)]);
}

#[test]
fn issuer_rejecting_a_proof_for_another_url_400_is_dpop_proof_naming_htu() {
    // oidc-provider's token endpoint: 400 {"error":"invalid_dpop_proof","error_description":
    // "DPoP proof htu mismatch"}, an OAuth error body without any challenge.
    let token_url = format!("{}/token", issuer());
    let m = Minted::new(None, &[("POST", &token_url)]);
    let id = peer_var("AUTHDOCTOR_DPOP_CLIENT_ID");
    let secret = peer_var("AUTHDOCTOR_DPOP_CLIENT_SECRET");
    let user = format!("{id}:{secret}");
    let run = check_json(&[
        "-u",
        &user,
        "-d",
        "grant_type=client_credentials",
        "-H",
        &proof_header(&m.proof(0, "wrong_htu")),
        &token_url,
    ]);
    assert_eq!(run.exchanges()[0]["status"], 400, "{}", run.describe());
    assert_dpop_proof(&run, &["htu"]);
    run.assert_no_secrets(&[Secret::new("client secret", secret)]);
}

#[test]
fn correct_proof_succeeds_and_is_sent_once() {
    // The RS refuses a replayed jti: a probe re-sending the user's proof would be seen here.
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[("GET", &url)]);
    let run = check_json(&[
        "-H",
        &dpop_auth(&m.token()),
        "-H",
        &proof_header(&m.proof(0, "valid")),
        &url,
    ]);
    run.assert_exit(0);
    run.assert_no_secrets(&m.secrets());
    assert_eq!(jti_count(&m.jti(0, "valid")), 1, "{}", run.describe());
}

#[test]
fn replayed_proof_is_dpop_proof_naming_jti() {
    // The proof was already used once (by curl, here): the RS refuses its jti again, 401
    // `DPoP error="invalid_dpop_proof", error_description="DPoP proof replayed (jti seen before)"`.
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[("GET", &url)]);
    let auth = dpop_auth(&m.token());
    let proof = proof_header(&m.proof(0, "valid"));
    let first = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10"])
        .args(["-H", &auth, "-H", &proof, &url])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&first.stdout), "200", "first use");
    let run = check_json(&["-H", &auth, "-H", &proof, &url]);
    assert_dpop_proof(&run, &["jti"]);
    run.assert_no_secrets(&m.secrets());
    assert_eq!(jti_count(&m.jti(0, "valid")), 2, "{}", run.describe());
}

#[test]
fn dpop_key_flag_signs_the_proof() {
    // No DPoP header: authdoctor makes the proof with the key (private JWK, then PKCS#8 PEM).
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[]);
    let h = dpop_auth(&m.token());
    for key in [m.file("key_file"), m.file("pem_file")] {
        let run = check_json(&["--dpop-key", &key, "-H", &h, &url]);
        run.assert_exit(0);
        run.assert_no_secrets(&m.secrets());
    }
}

#[test]
fn dpop_key_flag_answers_a_nonce_challenge() {
    // The RS asks for its nonce (401 use_dpop_nonce + DPoP-Nonce); authdoctor signs again with it.
    let url = format!("{}/nonce/hello", rs());
    let m = Minted::svc(&[]);
    let run = check_json(&[
        "--dpop-key",
        &m.file("key_file"),
        "-H",
        &dpop_auth(&m.token()),
        &url,
    ]);
    run.assert_exit(0);
    run.assert_no_secrets(&m.secrets());
}

#[test]
fn dpop_key_of_another_key_is_dpop_proof_naming_jkt() {
    // authdoctor signs with a key the token is not bound to: the RS says confirmation mismatch.
    let url = format!("{}/api/hello", rs());
    let m = Minted::svc(&[]);
    let run = check_json(&[
        "--dpop-key",
        &m.file("other_key_file"),
        "-H",
        &dpop_auth(&m.token()),
        &url,
    ]);
    assert_dpop_proof(&run, &["jkt"]);
    run.assert_no_secrets(&m.secrets());
}

/// A profile with `dpop_key = { file = … }`: its tokens are requested DPoP-bound (a proof on the
/// token request, `cnf.jkt` = the key's thumbprint), `check --fix` turns a bound token sent as
/// Bearer into a verified success with a fresh proof, and `proxy` signs a proof per request.
#[test]
fn profile_with_dpop_key_binds_tokens_fixes_and_proxies() {
    let keys = Minted::new(None, &[]);
    let key_file = keys.file("key_file");
    let dir = std::env::temp_dir().join(format!("authdoctor-dpop-profile-{}", random_hex(6)));
    std::fs::create_dir_all(dir.join("config/authdoctor")).unwrap();
    let secret = peer_var("AUTHDOCTOR_DPOP_CLIENT_SECRET");
    std::fs::write(
        dir.join("config/authdoctor/config.toml"),
        format!(
            "[profiles.dp]\nissuer = {:?}\nclient_id = {:?}\nclient_secret = {{ env = \"DP_SECRET\" }}\nresource = {:?}\nscopes = [\"read\"]\nhosts = [\"127.0.0.1\"]\ndpop_key = {{ file = {:?} }}\n",
            issuer(),
            peer_var("AUTHDOCTOR_DPOP_CLIENT_ID"),
            peer_var("AUTHDOCTOR_DPOP_AUDIENCE"),
            key_file,
        ),
    )
    .unwrap();
    let config = dir.join("config").display().to_string();
    let cache = dir.join("cache").display().to_string();
    let env = [
        ("XDG_CONFIG_HOME", config.as_str()),
        ("AUTHDOCTOR_CACHE_DIR", cache.as_str()),
        ("DP_SECRET", secret.as_str()),
    ];
    let no_leak = |run: &Run, token: &str| {
        let d = serde_json::from_str::<Value>(&std::fs::read_to_string(&key_file).unwrap())
            .unwrap()["d"]
            .as_str()
            .unwrap()
            .to_string();
        for s in [token, d.as_str(), secret.as_str()] {
            assert!(
                !run.stdout.contains(s) && !run.stderr.contains(s),
                "a secret leaked: {}",
                run.describe()
            );
        }
    };

    // The token comes bound to the profile's key.
    let got = authdoctor_env(["token", "get", "--profile", "dp"], &env);
    got.assert_exit(0);
    let token = got.stdout.trim().to_string();
    let claims: Value = {
        use base64::Engine;
        let mid = token.split('.').nth(1).expect("a JWT");
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(mid)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        claims["cnf"]["jkt"], keys.v["jkt"],
        "bound to the profile's key: {claims}"
    );

    // Sent as Bearer: dpop-proof; with --fix and the key: sent under DPoP with a fresh proof,
    // verified by a 2xx.
    let url = format!("{}/mixed/hello", rs());
    let bearer = format!("Authorization: Bearer {token}");
    let run = authdoctor_env(
        [
            "check",
            "--format",
            "json",
            "--fix",
            "--profile",
            "dp",
            "--dpop-key",
            &key_file,
            "-H",
            &bearer,
            &url,
        ],
        &env,
    );
    no_leak(&run, &token);
    run.assert_exit(0);
    let j: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(j["fix"]["verified"], true, "{}", run.describe());
    assert!(
        j["fix"]["applied"].to_string().contains("sign-dpop-proof"),
        "{}",
        run.describe()
    );

    // The proxy injects the token and signs a proof for every request: two requests, two 200s.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
    cmd.args([
        "proxy",
        "--profile",
        "dp",
        "--listen",
        &listen,
        "--upstream",
        &rs(),
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start the proxy");
    let mut statuses = Vec::new();
    for _ in 0..100 {
        if std::net::TcpStream::connect(&listen).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for _ in 0..2 {
        statuses.push(raw_get(&format!("http://{listen}/api/hello"), &[]).0);
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(statuses, [200, 200], "DPoP-only route through the proxy");
}
