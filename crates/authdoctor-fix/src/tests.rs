//! The loop with a host that records what it is asked to send and answers with a status.

use super::*;
use authdoctor_core::model::{Exchange, Header};
use std::cell::RefCell;

const NOW: i64 = 1_790_000_000;

struct Fake {
    status: u16,
    sent: RefCell<Vec<RequestSpec>>,
}

fn evidence(spec: RequestSpec, status: u16, headers: &[(&str, &str)]) -> Evidence {
    let x = Exchange {
        method: spec.method.clone(),
        url: spec.url.to_string(),
        status,
        http_version: "HTTP/1.1".into(),
        request_headers: spec.headers.clone(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        received_at: Some(NOW),
        ..Default::default()
    };
    Evidence::new(spec, vec![x], None, None, NOW)
}

impl Host for Fake {
    type Error = ();
    async fn send(&self, spec: RequestSpec) -> Result<Evidence, ()> {
        self.sent.borrow_mut().push(spec.clone());
        Ok(evidence(spec, self.status, &[]))
    }
    async fn new_token(
        &self,
        _: &RequestSpec,
        _: Option<&str>,
        _: &[String],
    ) -> Result<NewToken, Refused> {
        Err(Refused::new("no profile"))
    }
    fn secret(&self, _: &Secret) {}
}

fn request(method: &str, headers: &[(&str, &str)]) -> RequestSpec {
    RequestSpec {
        method: method.into(),
        url: "https://api.example.com/v1/things".parse().unwrap(),
        headers: headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        ..Default::default()
    }
}

fn block<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

/// A cached 401 (`X-Cache-Status: HIT`), fixed by the host answering `status`.
fn cached(method: &str, status: u16) -> (FixOutcome, Vec<RequestSpec>) {
    let spec = request(
        method,
        &[("Authorization", "Bearer abcdef"), ("DPoP", "old-proof")],
    );
    let before = evidence(
        spec.clone(),
        401,
        &[("X-Cache-Status", "HIT"), ("WWW-Authenticate", "Bearer")],
    );
    let findings = authdoctor_core::causes::diagnose(&before);
    let host = Fake {
        status,
        sent: RefCell::new(Vec::new()),
    };
    let out = block(run(&spec, &before, &findings, false, &host)).unwrap();
    (out, host.sent.into_inner())
}

#[test]
fn verified_only_with_a_2xx_after() {
    let (out, sent) = cached("GET", 200);
    assert!(out.verified);
    assert_eq!(out.applied[0].id, "bypass-cache");
    assert!(
        sent[0].url.as_str().contains("authdoctor-probe="),
        "{}",
        sent[0].url
    );
    let (out, _) = cached("GET", 401);
    assert!(!out.verified);
    assert!(out.applied.is_empty());
    assert_eq!(out.tried.as_ref().unwrap()[0].id, "bypass-cache");
    assert!(out.after.is_some());
}

#[test]
fn a_used_dpop_proof_is_never_sent_twice() {
    let (_, sent) = cached("GET", 200);
    assert!(!sent[0].headers.iter().any(|h| h.name == "DPoP"));
}

#[test]
fn a_non_idempotent_request_is_not_sent_again() {
    let (out, sent) = cached("POST", 200);
    assert!(sent.is_empty());
    assert!(!out.verified);
    assert!(out.note.unwrap().contains("--allow-replay"));
}

#[test]
fn the_json_keeps_the_fix_contract() {
    let (out, _) = cached("GET", 200);
    let v = serde_json::to_value(&out).unwrap();
    for k in [
        "applied",
        "verified",
        "status_before",
        "status_after",
        "challenge_before",
        "challenge_after",
        "claims_changed",
    ] {
        assert!(v.get(k).is_some(), "{k} missing: {v}");
    }
    for k in ["id", "cause", "what"] {
        assert!(v["applied"][0].get(k).is_some(), "{v}");
    }
}

#[test]
fn a_redirect_target_on_another_origin_is_refused_by_the_gate() {
    let mut spec = request("GET", &[("Authorization", "Bearer abcdef")]);
    let before = evidence(spec.clone(), 401, &[]);
    let url = url::Url::parse("https://elsewhere.example.net/x").unwrap();
    let host = Fake {
        status: 200,
        sent: RefCell::new(Vec::new()),
    };
    let r = block(apply(
        &mut spec,
        &before,
        &Action::CallFinalUrl { url },
        &host,
    ));
    assert!(r.is_err());
    assert_eq!(spec.url.as_str(), "https://api.example.com/v1/things");
}

#[test]
fn digest_needs_the_password() {
    let mut spec = request("GET", &[("Authorization", "Digest username=\"bob\"")]);
    let before = evidence(spec.clone(), 401, &[]);
    let host = Fake {
        status: 200,
        sent: RefCell::new(Vec::new()),
    };
    assert!(block(apply(&mut spec, &before, &Action::AnswerDigest, &host)).is_err());
    spec.credential_source = Some(authdoctor_core::model::CredentialSource::UserFlag {
        user: "bob".into(),
        password: Some("pw".into()),
    });
    assert!(block(apply(&mut spec, &before, &Action::AnswerDigest, &host)).is_ok());
    assert!(spec.headers.is_empty());
    assert_eq!(spec.auth_method, authdoctor_core::input::AuthMethod::Digest);
}
