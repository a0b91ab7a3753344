//! AWS Signature Version 4 diagnosed against a real AWS emulator: moto 5.2.5 on 127.0.0.1 with
//! authentication enforced (started and bootstrapped by `scripts/peers start`, which creates the
//! IAM user whose key id and secret it writes to the env file).
//!
//! moto's answers, recorded with curl 7.88 (what each test relies on):
//! - EC2 `DescribeRegions` with a wrong secret or an unknown key: `401 UNAUTHORIZED`,
//!   `<Code>AuthFailure</Code>` — the one genuine 401 moto gives;
//! - IAM/STS with a wrong secret: `403`, `<Code>SignatureDoesNotMatch</Code>`; with an unknown
//!   key: `403`, `<Code>InvalidClientTokenId</Code>`;
//! - moto recomputes signatures over the path without its query string, so a correctly signed
//!   GET with `?Action=…` fails there; EC2 calls are therefore sent as POST forms, as the SDKs
//!   send them;
//! - moto does not check the 15-minute window: a request signed 20 minutes ago gets 200. That
//!   request still gets the `sigv4-request-time-skewed` finding, as a warning on a success
//!   (exit 0): real AWS would refuse it, which is what the user needs to know.
//!
//! Requests are signed either by authdoctor itself (`--aws-sigv4` with `-u KEY:SECRET`, as curl
//! does) or here with the core signer and passed as headers ("signed by another client").
//! Every run is also checked for leaks of the secrets involved.

mod support;

use authdoctor_core::model::Header;
use authdoctor_core::sigv4::Provider;
use authdoctor_core::sigv4::diagnose::wire_request;
use authdoctor_core::sigv4::sign::{SignOptions, Signer, sign_headers};
use support::*;

const EC2_BODY: &str = "Action=DescribeRegions&Version=2016-11-15";
const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const FORM: &str = "application/x-www-form-urlencoded";

struct Moto {
    url: String,
    key: String,
    secret: String,
}

fn moto() -> Moto {
    Moto {
        url: peer("AUTHDOCTOR_MOTO"),
        key: peer_var("AUTHDOCTOR_MOTO_ACCESS_KEY_ID"),
        secret: peer_var("AUTHDOCTOR_MOTO_SECRET_ACCESS_KEY"),
    }
}

impl Moto {
    fn secrets(&self, extra: &[&str]) -> Vec<Secret> {
        let mut v = vec![Secret::new("moto secret access key", &self.secret)];
        v.extend(extra.iter().map(|s| Secret::new("test secret", *s)));
        v
    }
}

/// A secret that is wrong but well-formed (40 characters, like AWS's).
fn wrong_secret() -> String {
    format!("wrong{}", &random_hex(20)[..35])
}

/// Sign a request with the core signer at `time`, as another client would, and return the
/// headers to pass with `-H`.
fn hand_signed(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    service: &str,
    (key, secret): (&str, &str),
    time: i64,
) -> Vec<Header> {
    let hs: Vec<Header> = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
    let wire = wire_request(method, url, &hs).expect("URL");
    let signer = Signer {
        provider: Provider::aws(),
        access_key_id: key.into(),
        secret_access_key: secret.into(),
        session_token: None,
        region: "us-east-1".into(),
        service: service.into(),
        time,
    };
    let signed = sign_headers(
        &wire,
        body.as_bytes(),
        &signer,
        SignOptions::for_service(service),
    )
    .expect("sign");
    let mut out = hs;
    out.extend(signed.add);
    out
}

fn header_args(headers: &[Header]) -> Vec<String> {
    headers
        .iter()
        .flat_map(|h| ["-H".to_string(), format!("{}: {}", h.name, h.value)])
        .collect()
}

/// Runs in JSON (checked) and human form, asserting no secret leaks in either.
fn run(args: &[String], secrets: &[Secret]) -> Run {
    check_human(args).assert_no_secrets(secrets);
    let r = check_json(args);
    r.assert_no_secrets(secrets);
    r
}

#[test]
fn ec2_wrong_secret_is_a_signature_mismatch_when_the_secret_is_known() {
    let m = moto();
    let wrong = wrong_secret();
    let args = vec![
        "--aws-sigv4".into(),
        "aws:amz:us-east-1:ec2".into(),
        "-u".into(),
        format!("{}:{wrong}", m.key),
        "-d".into(),
        EC2_BODY.into(),
        format!("{}/", m.url),
    ];
    let r = run(&args, &m.secrets(&[&wrong]));
    r.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("sigv4-signature-mismatch");
    let ev = r.top_evidence_text();
    assert!(ev.contains("AuthFailure"), "{}", r.describe());
    assert!(
        ev.contains("exactly what your secret gives"),
        "the request is consistent with the secret given\n{}",
        r.describe()
    );
    assert!(r.finding_ids().contains(&"invalid-credentials".to_string()));
}

#[test]
fn ec2_unknown_key_signed_elsewhere_is_invalid_credentials() {
    let m = moto();
    let secret = wrong_secret();
    let url = format!("{}/", m.url);
    let h = hand_signed(
        "POST",
        &url,
        &[("Content-Type", FORM)],
        EC2_BODY,
        "ec2",
        ("AKIAUNKNOWNKEY000000", &secret),
        now(),
    );
    let mut args = header_args(&h);
    args.extend(["-d".to_string(), EC2_BODY.into(), url]);
    let r = run(&args, &m.secrets(&[&secret]));
    r.assert_exit(1)
        .assert_outcome("unauthorized")
        .assert_top("invalid-credentials");
}

#[test]
fn sts_wrong_secret_is_signature_does_not_match() {
    let m = moto();
    let wrong = wrong_secret();
    let args = vec![
        "--aws-sigv4".into(),
        "aws:amz:us-east-1:sts".into(),
        "-u".into(),
        format!("{}:{wrong}", m.key),
        "-d".into(),
        STS_BODY.into(),
        format!("{}/", m.url),
    ];
    let r = run(&args, &m.secrets(&[&wrong]));
    r.assert_exit(1)
        .assert_outcome("forbidden")
        .assert_top("sigv4-signature-mismatch");
    assert!(
        r.top_evidence_text().contains("SignatureDoesNotMatch"),
        "{}",
        r.describe()
    );
    assert!(
        !r.finding_ids()
            .contains(&"forbidden-not-unauthenticated".to_string()),
        "a failed signature is not a permission problem\n{}",
        r.describe()
    );
}

#[test]
fn sts_unknown_key_is_invalid_credentials() {
    let m = moto();
    let secret = wrong_secret();
    let args = vec![
        "--aws-sigv4".into(),
        "aws:amz:us-east-1:sts".into(),
        "-u".into(),
        format!("AKIAUNKNOWNKEY000000:{secret}"),
        "-d".into(),
        STS_BODY.into(),
        format!("{}/", m.url),
    ];
    let r = run(&args, &m.secrets(&[&secret]));
    r.assert_exit(1).assert_top("invalid-credentials");
    assert!(
        r.top_evidence_text().contains("InvalidClientTokenId"),
        "{}",
        r.describe()
    );
}

#[test]
fn right_credentials_succeed() {
    let m = moto();
    for (service, body) in [("ec2", EC2_BODY), ("sts", STS_BODY)] {
        let mut args = vec![
            "--aws-sigv4".to_string(),
            format!("aws:amz:us-east-1:{service}"),
            "-u".into(),
            format!("{}:{}", m.key, m.secret),
        ];
        args.extend(["-d".to_string(), body.into(), format!("{}/", m.url)]);
        let r = run(&args, &m.secrets(&[]));
        r.assert_exit(0).assert_outcome("ok");
        assert!(r.finding_ids().is_empty(), "{}", r.describe());
    }
}

#[test]
fn credentials_from_the_environment_sign_too() {
    let m = moto();
    let r = {
        let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"));
        cmd.args([
            "check",
            "--format",
            "json",
            "--aws-sigv4",
            "aws:amz:us-east-1:sts",
            "-d",
            STS_BODY,
            &format!("{}/", m.url),
        ])
        .env("AWS_ACCESS_KEY_ID", &m.key)
        .env("AWS_SECRET_ACCESS_KEY", &m.secret)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("run authdoctor")
    };
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains(&m.secret));
}

#[test]
fn signed_twenty_minutes_ago_is_reported_although_moto_accepts_it() {
    let m = moto();
    let url = format!("{}/", m.url);
    let h = hand_signed(
        "POST",
        &url,
        &[("Content-Type", FORM)],
        STS_BODY,
        "sts",
        (&m.key, &m.secret),
        now() - 20 * 60,
    );
    let mut args = header_args(&h);
    args.extend(["-d".to_string(), STS_BODY.into(), url]);
    let r = run(&args, &m.secrets(&[]));
    // moto does not check the window, so the request succeeds: exit 0, with the warning.
    r.assert_exit(0)
        .assert_outcome("ok")
        .assert_top("sigv4-request-time-skewed");
    let f = &r.json()["findings"][0];
    assert!(
        f["title"]
            .as_str()
            .unwrap_or_default()
            .contains("AWS would refuse it"),
        "{}",
        r.describe()
    );
    assert!(
        f["likelihood"] != "high",
        "a warning on success\n{}",
        r.describe()
    );
}

#[test]
fn header_altered_after_signing_is_named() {
    let m = moto();
    let url = format!("{}/", m.url);
    let h = hand_signed(
        "POST",
        &url,
        &[("Content-Type", FORM)],
        STS_BODY,
        "sts",
        (&m.key, &m.secret),
        now(),
    );
    // What a proxy or a framework commonly does after signing: add a charset.
    let altered: Vec<Header> = h
        .into_iter()
        .map(|mut x| {
            if x.name.eq_ignore_ascii_case("content-type") {
                x.value = format!("{FORM}; charset=utf-8");
            }
            x
        })
        .collect();
    let mut args = header_args(&altered);
    // -u gives authdoctor the secret so it can recompute; the request keeps its own signature.
    args.extend([
        "-u".to_string(),
        format!("{}:{}", m.key, m.secret),
        "-d".into(),
        STS_BODY.into(),
        url,
    ]);
    let r = run(&args, &m.secrets(&[]));
    r.assert_exit(1).assert_top("sigv4-signature-mismatch");
    let f = &r.json()["findings"][0];
    let title = f["title"].as_str().unwrap_or_default();
    assert!(
        title.contains("\"content-type\" was altered after signing"),
        "{}",
        r.describe()
    );
    assert!(
        r.top_evidence_text().contains("charset=utf-8"),
        "{}",
        r.describe()
    );
}
