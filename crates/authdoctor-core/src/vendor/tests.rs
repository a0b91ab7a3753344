//! Unit tests of the matcher and the data's integrity; per-vendor response shapes are tested in
//! `tests/vendor_fixtures.rs`.

use super::*;
use crate::model::Header;

fn kb() -> KnowledgeBase {
    serde_json::from_str(include_str!("vendors.json")).expect("vendors.json parses")
}

fn exchange(status: u16, url: &str, headers: &[(&str, &str)], body: &str) -> Exchange {
    Exchange {
        method: "GET".into(),
        url: url.into(),
        status,
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        body: body.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn request(url: &str, headers: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: url.parse().unwrap(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        ..Default::default()
    }
}

#[test]
fn data_is_coherent() {
    let kb = kb();
    assert!(kb.entries.len() > 100);
    let mut ids: Vec<&str> = kb.entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), kb.entries.len(), "duplicate entry id");
    for e in &kb.entries {
        assert!(e.when.is_specific(), "{}: needs a specific condition", e.id);
        assert!(crate::causes::is_known(&e.cause), "{}: {}", e.id, e.cause);
        if let Some(f) = &e.fallback {
            assert!(
                crate::causes::CATALOGUE.iter().any(|c| c.id == f),
                "{}: fallback {f} must be implemented",
                e.id
            );
        }
        assert!(e.grade >= crate::diagnosis::Grade::Possible, "{}", e.id);
        assert!(!e.fix_steps.is_empty(), "{}", e.id);
        assert!(
            e.id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c)),
            "{}",
            e.id
        );
    }
    // The runtime loader sees the same data.
    assert_eq!(knowledge_base().entries.len(), kb.entries.len());
}

#[test]
fn key_formats() {
    let k = |s: &str| key_format(s).map(|f| (f.vendor, f.kind, f.environment));
    assert_eq!(
        k("ghp_0123456789abcdefghijABCDEFGHIJ012345").unwrap().1,
        "personal access token (classic)"
    );
    assert_eq!(
        k("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz")
            .unwrap()
            .1,
        "fine-grained personal access token"
    );
    let s = k("sk_test_51Hxxxxxxxxxxxxxxxxxxxxxx").unwrap();
    assert_eq!((s.0.as_str(), s.2.as_deref()), ("Stripe", Some("test")));
    assert!(
        k("pk_live_abcdefghijkl")
            .unwrap()
            .1
            .starts_with("publishable")
    );
    assert_eq!(k("AKIAIOSFODNN7EXAMPLE").unwrap().0, "AWS");
    assert!(
        k("ASIAIOSFODNN7EXAMPLE")
            .unwrap()
            .1
            .starts_with("temporary")
    );
    assert_eq!(
        k("Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc")
            .unwrap()
            .0,
        "AWS"
    );
    assert_eq!(k("xoxb-1234-5678-abcdef").unwrap().1, "bot token");
    assert_eq!(
        k("AIzaSyA-EXAMPLE-0123456789abcdefghijklm").unwrap().0,
        "Google"
    );
    assert_eq!(
        k("sk-proj-abcdefghijklmnopqrstuvwxyz").unwrap().1,
        "project API key"
    );
    assert_eq!(
        k("sk-abcdefghijklmnopqrstuvwxyz012345").unwrap().0,
        "OpenAI"
    );
    assert_eq!(k("sk-ant-api03-abcdefghijklmnop").unwrap().0, "Anthropic");
    assert_eq!(k("glpat-abcdefghijklmnopqrst").unwrap().0, "GitLab");
    assert_eq!(k("SSWS 00abcdefghijklmnopqrstuvwxyz").unwrap().0, "Okta");
    assert_eq!(k("Bearer ghp_0123456789abcdef").unwrap().0, "GitHub");
    // Prefixes alone, or too short to be the real thing, are not recognised.
    assert_eq!(k("ghp_"), None);
    assert_eq!(k("AKIA"), None);
    assert_eq!(k("sk-1"), None);
    assert_eq!(k("eyJhbGciOiJIUzI1NiJ9.e30.sig"), None);
    assert_eq!(k(""), None);
}

#[test]
fn aadsts_extraction() {
    assert_eq!(
        aadsts_codes("AADSTS7000215: Invalid client secret. AADSTS50126 x AADSTS"),
        vec![7000215, 50126]
    );
    assert!(aadsts_codes("no codes").is_empty());
}

#[test]
fn aws_codes() {
    let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code></Error></ErrorResponse>";
    assert_eq!(error_codes(xml, None, &[]), vec!["InvalidClientTokenId"]);
    let j: Value = serde_json::json!({"__type": "com.amazonaws.dynamodb.v20120810#UnrecognizedClientException"});
    assert_eq!(
        error_codes(
            "",
            Some(&j),
            &[Header::new(
                "x-amzn-ErrorType",
                "ExpiredTokenException:http://internal"
            )]
        ),
        vec!["UnrecognizedClientException", "ExpiredTokenException"]
    );
    assert!(error_codes("<Code>unterminated", None, &[]).is_empty());
}

#[test]
fn wildcard_pointer() {
    let v = serde_json::json!({"error": {"details": [{"a": 1}, {"reason": "X"}]}});
    assert_eq!(
        pointer_all(&v, "/error/details/*/reason"),
        vec![&Value::from("X")]
    );
    assert_eq!(
        pointer_all(&v, "/error/details/1/reason"),
        vec![&Value::from("X")]
    );
    assert!(pointer_all(&v, "/nope/*").is_empty());
}

#[test]
fn github_bad_credentials_matches() {
    let r = request(
        "https://api.github.com/user",
        &[("Authorization", "token ghp_0123456789abcdefghij")],
    );
    let x = exchange(
        401,
        "https://api.github.com/user",
        &[],
        r#"{"message":"Bad credentials"}"#,
    );
    let m = analyse(&r, Some(&x));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].entry, "github.bad-credentials");
    assert_eq!(m[0].cause, "invalid-credentials");
    // Same body from another host is not GitHub's.
    let x = exchange(
        401,
        "https://api.example.com/",
        &[],
        r#"{"message":"Bad credentials"}"#,
    );
    let r2 = request("https://api.example.com/", &[]);
    assert!(analyse(&r2, Some(&x)).is_empty());
}

#[test]
fn templates_render_and_scope_command() {
    let r = request(
        "https://api.github.com/orgs/x/teams",
        &[("Authorization", "token gho_abcdefghijklmnop")],
    );
    let x = exchange(
        403,
        "https://api.github.com/orgs/x/teams",
        &[
            (
                "X-Accepted-OAuth-Scopes",
                "admin:org, read:org, repo, user, write:org",
            ),
            ("X-OAuth-Scopes", "gist, public_repo"),
        ],
        r#"{"message":"Must have admin rights"}"#,
    );
    let m = analyse(&r, Some(&x));
    let s = m
        .iter()
        .find(|m| m.entry == "github.scope-missing")
        .unwrap();
    assert_eq!(
        s.command.as_deref(),
        Some("gh auth refresh -h github.com -s read:org")
    );
    assert_eq!(s.fix_title, "Add the scope read:org to the token");
    // `repo` covers `public_repo`: no finding when the token has the parent.
    let x = exchange(
        403,
        "https://api.github.com/repos/o/r/statuses/sha",
        &[
            ("X-Accepted-OAuth-Scopes", "repo:status"),
            ("X-OAuth-Scopes", "repo"),
        ],
        r#"{"message":"Not Found"}"#,
    );
    assert!(
        analyse(&r, Some(&x))
            .iter()
            .all(|m| m.entry != "github.scope-missing")
    );
}

#[test]
fn echoed_secrets_are_redacted() {
    let key = "sk_test_THISISASECRETVALUE0123456789";
    let r = request(
        "https://api.stripe.com/v1/charges",
        &[("Authorization", &format!("Bearer {key}"))],
    );
    let body = format!(
        r#"{{"error":{{"message":"Invalid API Key provided: {key}","type":"invalid_request_error"}}}}"#
    );
    let x = exchange(401, "https://api.stripe.com/v1/charges", &[], &body);
    let m = analyse(&r, Some(&x));
    assert_eq!(m[0].entry, "stripe.invalid-api-key");
    let all = format!("{:?}", m);
    assert!(!all.contains(key), "{all}");
}

#[test]
fn exclusive_group_keeps_the_first() {
    let r = request(
        "https://storage.googleapis.com/b",
        &[("Authorization", "Bearer ya29.abcdefghijkl")],
    );
    let body = r#"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_EXPIRED"}]}}"#;
    let x = exchange(401, "https://storage.googleapis.com/b", &[], body);
    let m = analyse(&r, Some(&x));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].entry, "google.access-token-expired");
}

#[test]
fn fallback_while_cause_is_planned() {
    let e = kb()
        .entries
        .into_iter()
        .find(|e| e.id == "slack.token-revoked")
        .unwrap();
    let implemented = crate::causes::CATALOGUE.iter().any(|c| c.id == e.cause);
    let want = if implemented {
        "token-revoked"
    } else {
        "invalid-credentials"
    };
    assert_eq!(e.effective_cause(), want);
}

#[test]
fn garbage_never_panics() {
    // A URL without a host (the model holds only URLs that parse).
    let r = request(
        "data:,not-an-http-url",
        &[("Authorization", "SSWS"), ("x-api-key", "é")],
    );
    for body in [
        "",
        "{",
        "AADSTS",
        "<Code>",
        "{\"error\":{\"details\":5}}",
        "\u{0}\u{ffff}",
    ] {
        let x = exchange(
            401,
            "::",
            &[
                ("x-github-sso", "required; url"),
                ("www-authenticate", "AADSTS99999999999999999999999"),
            ],
            body,
        );
        let _ = analyse(&r, Some(&x));
    }
    assert!(analyse(&r, None).is_empty());
    for s in [
        "SSWS",
        "SSWS ",
        "Credential=",
        "Credential=/",
        " ",
        "\"",
        "a b c",
    ] {
        let _ = key_format(s);
    }
}
