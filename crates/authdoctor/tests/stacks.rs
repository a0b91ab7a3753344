//! Diagnosis that generalises, against ten widely used real stacks the rules were not written
//! for (FastAPI, Django REST Framework + simplejwt, Flask-JWT-Extended, express-jwt (and one
//! instance with its clock an hour ahead), @fastify/jwt, passport-http-bearer, Auth0's
//! express-oauth2-jwt-bearer, Azurite, Caddy), each protected by its own middleware and started
//! by `scripts/peers`. Tokens come from each stack's own library (its `/_mint` helper). Each
//! test is one of the shapes that used to go wrong: the right cause must come first, and (as
//! for every scenario, see `support::check_json`) no first finding may have decisive evidence
//! against it.

mod support;

use serde_json::Value;
use std::io::{Read, Write};
use support::*;

/// A token minted by the stack's own library (one redirect followed: Django adds a slash).
fn mint(base: &str, kind: &str) -> String {
    let authority = base.split_once("://").unwrap().1.to_string();
    let mut path = format!("/_mint?kind={kind}");
    for _ in 0..2 {
        let mut s = std::net::TcpStream::connect(&authority).expect("connect to the stack");
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap_or_default();
        if let Some(loc) = head.lines().find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        }) {
            path = loc.trim().to_string();
            continue;
        }
        let v: Value = serde_json::from_str(body.trim()).expect("mint answers JSON");
        return v["token"].as_str().expect("token").to_string();
    }
    panic!("{base}: /_mint keeps redirecting")
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

fn top(args: &[String], id: &str) -> Run {
    let r = check_json(args);
    r.assert_exit(1).assert_top(id);
    r
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Shape 1: a 403 without a challenge to a request that carried no credential.
#[test]
fn forbidden_for_a_missing_credential_is_missing_credentials() {
    let fastapi = peer("AUTHDOCTOR_FASTAPI");
    let drf = peer("AUTHDOCTOR_DRF");
    let azurite = peer("AUTHDOCTOR_AZURITE");
    for url in [
        format!("{fastapi}/bearer"),
        format!("{fastapi}/apikey"),
        format!("{drf}/api/default/"),
        format!("{azurite}/private/hello.txt"),
    ] {
        let r = top(&[url], "missing-credentials");
        assert_eq!(r.json()["exchanges"][0]["status"], 403, "{}", r.describe());
        assert!(
            !r.finding_ids()
                .contains(&"forbidden-not-unauthenticated".to_string()),
            "not produced without a credential: {}",
            r.describe()
        );
    }
}

/// Shape 1, the other way: a credential was sent and the server names no problem with it,
/// only a permission: that is forbidden-not-unauthenticated.
#[test]
fn a_permission_refusal_after_a_good_credential_stays_forbidden() {
    let drf = peer("AUTHDOCTOR_DRF");
    let token = peer_var("AUTHDOCTOR_DRF_TOKEN");
    top(
        &[
            "-H".into(),
            format!("Authorization: Token {token}"),
            format!("{drf}/api/admin/"),
        ],
        "forbidden-not-unauthenticated",
    );
}

/// Shape 2: the message names the failing claim.
#[test]
fn a_message_naming_the_claim_picks_the_claims_cause() {
    let express = peer("AUTHDOCTOR_EXPRESS_JWT");
    let fastify = peer("AUTHDOCTOR_FASTIFY_JWT");
    let auth0 = peer("AUTHDOCTOR_AUTH0_BEARER");
    let drf = peer("AUTHDOCTOR_DRF");
    let flask = peer("AUTHDOCTOR_FLASK_JWT");
    for (base, path, kind, id) in [
        (&express, "/api/hello", "wrongaud", "audience-mismatch"),
        (&express, "/api/hello", "wrongiss", "issuer-mismatch"),
        (&express, "/api/hello", "badsig", "signature-invalid"),
        (&express, "/api/hello", "expired", "token-expired"),
        (&fastify, "/api/hello", "wrongaud", "audience-mismatch"),
        (&auth0, "/api/hello", "wrongaud", "audience-mismatch"),
        (&drf, "/api/jwt/", "refresh", "wrong-token-type"),
        (&flask, "/protected", "refresh", "wrong-token-type"),
        (&flask, "/protected", "wrongaud", "audience-mismatch"),
    ] {
        let token = mint(base, kind);
        let r = top(&["-H".into(), bearer(&token), format!("{base}{path}")], id);
        // Never "checks out against every expectation" when the server names a claim.
        if let Some(p) = r.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .position(|f| f["id"] == "server-rejected-valid-credentials")
        {
            assert!(p > 0, "{}", r.describe());
        }
    }
}

/// Shape 3: a bare `Bearer realm=` challenge to a refused token, while the request without the
/// token gets the same status and challenge but says something else: the credential arrives.
#[test]
fn a_bare_challenge_with_a_different_anonymous_body_is_not_a_stripping_proxy() {
    let drf = peer("AUTHDOCTOR_DRF");
    let token = mint(&drf, "badsig");
    let r = check_json(&["-H".into(), bearer(&token), format!("{drf}/api/jwt/")]);
    r.assert_exit(1);
    let first = r.top_finding().unwrap_or_default();
    assert_ne!(first, "proxy-stripped-credentials", "{}", r.describe());
    assert!(
        ["invalid-credentials", "signature-invalid"].contains(&first.as_str()),
        "{}",
        r.describe()
    );
}

/// Shape 4: the OAuth error in the JSON body of a 403 without `WWW-Authenticate`.
#[test]
fn an_oauth_error_in_a_403_body_is_read() {
    let express = peer("AUTHDOCTOR_EXPRESS_JWT");
    let token = mint(&express, "noscope");
    let r = top(
        &["-H".into(), bearer(&token), format!("{express}/api/admin")],
        "insufficient-scope",
    );
    assert_eq!(r.json()["statement"]["said"], "scope", "{}", r.describe());
}

/// Shape 5: a vendor phrase "no token found" while a malformed `Bearer:` header was sent: a
/// cause whose precondition (nothing was sent) is false never wins.
#[test]
fn no_token_found_after_a_malformed_header_is_the_header() {
    let express = peer("AUTHDOCTOR_EXPRESS_JWT");
    let fastify = peer("AUTHDOCTOR_FASTIFY_JWT");
    for base in [&express, &fastify] {
        let token = mint(base, "access");
        let r = top(
            &[
                "-H".into(),
                format!("Authorization: Bearer: {token}"),
                format!("{base}/api/hello"),
            ],
            "malformed-authorization-header",
        );
        assert!(
            !r.finding_ids().contains(&"missing-credentials".to_string()),
            "{}",
            r.describe()
        );
    }
}

/// Shape 6: a token issued seconds ago, valid by the issuer's and the local clock, refused by a
/// server whose clock is an hour ahead: two clocks against one, the clock is the cause, and a
/// new token is not the fix.
#[test]
fn a_fresh_token_refused_by_a_fast_server_clock_is_clock_skew() {
    let express = peer("AUTHDOCTOR_EXPRESS_JWT");
    let fast = peer("AUTHDOCTOR_EXPRESS_JWT_FAST");
    let token = mint(&express, "access");
    let r = top(
        &["-H".into(), bearer(&token), format!("{fast}/api/hello")],
        "clock-skew",
    );
    let findings = r.json()["findings"].as_array().unwrap().clone();
    if let Some(exp) = findings.iter().find(|f| f["id"] == "token-expired") {
        assert!(
            exp["against"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["weight"] == "decisive"),
            "token-expired carries the clocks against it: {}",
            r.describe()
        );
    }
}

/// Any 4xx that says the credential failed is an authentication failure (exit 1), not "no
/// known cause" (exit 4): Flask-JWT-Extended answers 422.
#[test]
fn a_422_about_the_token_is_an_authentication_failure() {
    let flask = peer("AUTHDOCTOR_FLASK_JWT");
    let token = mint(&flask, "badsig");
    let r = check_json(&["-H".into(), bearer(&token), format!("{flask}/protected")]);
    r.assert_exit(1);
    assert_eq!(r.json()["exchanges"][0]["status"], 422, "{}", r.describe());
    assert_eq!(r.json()["outcome"], "unauthorized", "{}", r.describe());
}

#[test]
fn the_statement_is_in_the_json() {
    let fastapi = peer("AUTHDOCTOR_FASTAPI");
    let r = check_json(&s(&[&format!("{fastapi}/bearer")]));
    let st = &r.json()["statement"];
    assert_eq!(st["said"], "no_credential", "{}", r.describe());
    assert_eq!(st["words"], "Not authenticated");
    assert_eq!(st["strength"], "explicit");
}

/// A credential in the query string with its own lifetime: Azurite refuses an expired account
/// SAS with a bare `AuthorizationFailure`; the SAS's own `se` says why, judged by the server's
/// clock, with the parameter named.
#[test]
fn an_expired_sas_is_token_expired_naming_se() {
    let azurite = peer("AUTHDOCTOR_AZURITE");
    let sas = std::fs::read_to_string(peer_var("AUTHDOCTOR_AZURITE_SAS_EXPIRED_FILE"))
        .expect("the expired SAS file");
    let r = top(
        &[format!("{azurite}/private/hello.txt?{}", sas.trim())],
        "token-expired",
    );
    let first = &r.json()["findings"][0];
    assert!(
        first["title"].as_str().unwrap().contains("Azure SAS")
            && first["evidence"].to_string().contains("\"se\""),
        "{}",
        r.describe()
    );
    // The valid SAS succeeds.
    let ok = std::fs::read_to_string(peer_var("AUTHDOCTOR_AZURITE_SAS_FILE")).expect("SAS file");
    check_json(&[format!("{azurite}/private/hello.txt?{}", ok.trim())]).assert_exit(0);
}

/// A read-only SAS used to write: Azurite's `AuthorizationPermissionMismatch`; the SAS's `sp`
/// says what is missing.
#[test]
fn a_write_with_a_read_only_sas_names_the_permission() {
    let azurite = peer("AUTHDOCTOR_AZURITE");
    let sas = std::fs::read_to_string(peer_var("AUTHDOCTOR_AZURITE_SAS_READONLY_FILE"))
        .expect("the read-only SAS file");
    let r = top(
        &[
            "-X".into(),
            "PUT".into(),
            "-H".into(),
            "x-ms-blob-type: BlockBlob".into(),
            "-d".into(),
            "hello".into(),
            format!("{azurite}/private/new.txt?{}", sas.trim()),
        ],
        "insufficient-scope",
    );
    assert!(
        r.json()["findings"][0]["title"]
            .as_str()
            .unwrap()
            .contains("sp=")
    );
}

/// A credential in the wrong place, judged against the API's own OpenAPI document (FastAPI
/// publishes `/openapi.json`): the key sent as a Bearer token where the operation reads
/// `X-API-Key`. The moved-credential probe proves it; `--fix` moves it and verifies.
#[test]
fn a_key_in_the_wrong_place_is_found_from_the_openapi_document_and_fixed() {
    let fastapi = peer("AUTHDOCTOR_FASTAPI");
    let key = peer_var("AUTHDOCTOR_FASTAPI_API_KEY");
    let args = vec![
        "-H".to_string(),
        format!("Authorization: Bearer {key}"),
        format!("{fastapi}/apikey"),
    ];
    let r = top(&args, "credentials-in-wrong-place");
    let probes = r.json()["probes"].to_string();
    assert!(probes.contains("moved-credential"), "{}", r.describe());
    r.assert_no_secrets(&[Secret::new("api key", &key)]);
    let mut fix = vec!["--fix".to_string()];
    fix.extend(args);
    let f = check_json(&fix);
    f.assert_exit(0);
    assert_eq!(f.json()["fix"]["verified"], true, "{}", f.describe());
    assert_eq!(f.json()["fix"]["applied"][0]["id"], "move-credential");
    f.assert_no_secrets(&[Secret::new("api key", &key)]);
}

/// The API's description also names the Authorization scheme: a 403 with no challenge to a
/// `Token …` credential where FastAPI's `/bearer` wants `Bearer` is scheme-mismatch, and `--fix`
/// resends it with the described scheme.
#[test]
fn the_described_scheme_decides_a_challenge_less_403() {
    let fastapi = peer("AUTHDOCTOR_FASTAPI");
    let token = mint(&fastapi, "access");
    let args = vec![
        "-H".to_string(),
        format!("Authorization: Token {token}"),
        format!("{fastapi}/bearer"),
    ];
    top(&args, "scheme-mismatch");
    let mut fix = vec!["--fix".to_string()];
    fix.extend(args);
    let f = check_json(&fix);
    f.assert_exit(0);
    assert_eq!(f.json()["fix"]["verified"], true, "{}", f.describe());
}

/// A token-service challenge (the CNCF distribution registry with token authentication): the
/// challenge names the exact token request, the report gives it as the first fix, and
/// `--fix` with `-u` performs it against the registry's token server, retries with the token
/// and verifies. A wrong password fails at the token service, said so, never printed.
#[test]
fn a_registry_token_service_challenge_is_answered_by_fix() {
    let registry = peer("AUTHDOCTOR_REGISTRY");
    let user = peer_var("AUTHDOCTOR_REGISTRY_USER");
    let password = peer_var("AUTHDOCTOR_REGISTRY_PASSWORD");
    let url = format!("{registry}/v2/");
    let r = check_json(std::slice::from_ref(&url));
    r.assert_exit(1).assert_top("missing-credentials");
    let fixes = r.json()["findings"][0]["fixes"].clone();
    assert_eq!(fixes[0]["id"], "request-service-token", "{}", r.describe());
    assert!(
        fixes[0]["command"]
            .as_str()
            .unwrap()
            .contains("service=authdoctor-registry"),
        "{}",
        r.describe()
    );
    let f = check_json(&[
        "--fix".to_string(),
        "-u".into(),
        format!("{user}:{password}"),
        url.clone(),
    ]);
    f.assert_exit(0);
    assert_eq!(f.json()["fix"]["verified"], true, "{}", f.describe());
    assert_eq!(f.json()["fix"]["applied"][0]["id"], "request-service-token");
    f.assert_no_secrets(&[Secret::new("registry password", &password)]);
    let bad = check_json(&[
        "--fix".to_string(),
        "-u".into(),
        format!("{user}:wrong-{password}"),
        url,
    ]);
    bad.assert_exit(1);
    assert!(
        bad.json()["fix"]["failed"]
            .to_string()
            .contains("answered 401"),
        "{}",
        bad.describe()
    );
    bad.assert_no_secrets(&[Secret::new(
        "registry password",
        format!("wrong-{password}"),
    )]);
}
