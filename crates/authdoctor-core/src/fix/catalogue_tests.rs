//! The agreement between the catalogue's `automatic` flags and what `--fix` does, cause by
//! cause: every automatic fix has an action, every action sits in an automatic fix, and `plan`
//! over a cause's finding yields exactly the actions it declares.

use super::{Action, plan};
use crate::causes::testkit::*;
use crate::diagnosis::Finding;
use crate::evidence::Evidence;
use crate::model::{CredentialSource, DroppedHeader, ProbeResult, ProxySetting, ProxySource};
use base64::Engine;
use serde_json::json;

fn with_request(ev: Evidence, f: impl FnOnce(&mut crate::model::RequestSpec)) -> Evidence {
    let mut r = ev.request.clone();
    f(&mut r);
    Evidence::new(r, ev.exchanges.clone(), ev.proxy.clone(), None, NOW).with_probes(ev.probes)
}

const REGISTRY: &str = "Bearer realm=\"https://api.example.com/token\",service=\"registry\",scope=\"repository:x:pull\"";

/// One evidence set per automatic cause, and the action its finding must declare.
fn cases() -> Vec<(&'static str, Evidence, Action)> {
    let new_token = Action::NewToken { add_scopes: vec![] };
    let mut out = Vec::new();
    let t = jwt(json!({"exp": NOW - 600, "scope": "read"}));
    out.push((
        "token-expired",
        evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            401,
            &[("WWW-Authenticate", "Bearer error=\"invalid_token\"")],
        ),
        new_token.clone(),
    ));
    let t = jwt(json!({"aud":"spa","azp":"spa","nonce":"n1","at_hash":"x","exp": NOW + 600}));
    out.push((
        "wrong-token-type",
        evidence(&[("Authorization", &format!("Bearer {t}"))], 401, &[]),
        new_token.clone(),
    ));
    let t = jwt(json!({"scope":"orders:read", "exp": NOW + 600}));
    out.push((
        "insufficient-scope",
        evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            403,
            &[(
                "WWW-Authenticate",
                "Bearer error=\"insufficient_scope\", scope=\"orders:write\"",
            )],
        ),
        Action::NewToken {
            add_scopes: vec!["orders:write".into()],
        },
    ));
    out.push((
        "malformed-authorization-header",
        evidence(
            &[("Authorization", "bearer abcdef")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        ),
        Action::NormaliseHeader,
    ));
    out.push((
        "credential-formatting",
        evidence(&[("Authorization", "Bearer abc\u{200B}def")], 401, &[]),
        Action::TrimCredential,
    ));
    out.push((
        "scheme-mismatch",
        evidence(
            &[("Authorization", "Basic YTpi")],
            401,
            &[("WWW-Authenticate", "Bearer realm=\"api\"")],
        ),
        Action::UseScheme {
            scheme: "Bearer".into(),
        },
    ));
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:secret\n");
    out.push((
        "basic-encoding",
        evidence(
            &[("Authorization", &format!("Basic {basic}"))],
            401,
            &[("WWW-Authenticate", "Basic realm=\"x\"")],
        ),
        Action::ReencodeBasic,
    ));
    out.push((
        "cached-401",
        evidence(
            &[("Authorization", "Bearer abcdef")],
            401,
            &[("X-Cache-Status", "HIT"), ("WWW-Authenticate", "Bearer")],
        ),
        Action::BustCache,
    ));
    // A proxy that strips the credential, and the direct probe through.
    let ev = evidence(
        &[("Authorization", "Bearer abcdef")],
        401,
        &[
            ("WWW-Authenticate", "Bearer"),
            ("Via", "1.1 vm (squid/5.7)"),
        ],
    );
    let mut direct = ProbeResult::new(
        crate::model::ProbeKind::Direct,
        "without the proxy",
        ev.request.url.clone(),
    );
    direct.status = Some(200);
    direct.differs = Some(true);
    let proxy = ProxySetting {
        url: "http://127.0.0.1:3128".into(),
        source: ProxySource::Flag,
        env_var: None,
    };
    let ev =
        Evidence::new(ev.request, ev.exchanges, Some(proxy), None, NOW).with_probes(vec![direct]);
    out.push(("proxy-stripped-credentials", ev, Action::BypassProxy));
    // A redirect to another origin that dropped Authorization.
    let r = request(&[("Authorization", "Bearer abcdef")]);
    let mut a = response(307, &[("Location", "http://localhost/x")]);
    a.url = "http://127.0.0.1/x".into();
    let mut b = response(401, &[("WWW-Authenticate", "Bearer")]);
    b.url = "http://localhost/x".into();
    b.dropped_headers = vec![DroppedHeader {
        name: "Authorization".into(),
        reason: "origin changed".into(),
    }];
    out.push((
        "redirect-dropped-credentials",
        Evidence::new(r, vec![a, b], None, None, NOW),
        Action::CallFinalUrl {
            url: url::Url::parse("http://localhost/x").unwrap(),
        },
    ));
    out.push((
        "missing-credentials",
        evidence(&[], 401, &[("WWW-Authenticate", "Bearer realm=\"api\"")]),
        new_token.clone(),
    ));
    // A registry's token service, with -u credentials: its token request.
    let ev = with_request(
        evidence(
            &[("Authorization", "Basic YTpi")],
            401,
            &[("WWW-Authenticate", REGISTRY)],
        ),
        |r| {
            r.credential_source = Some(CredentialSource::UserFlag {
                user: "a".into(),
                password: Some("b".into()),
            })
        },
    );
    let service = crate::http::token_service::TokenService::of(&ev.challenges).unwrap();
    out.push(("scheme-mismatch", ev, Action::TokenService { service }));
    // A DPoP-bound token sent as Bearer, with --dpop-key: authdoctor signs.
    let k = crate::jose::dpop::ProofKey::generate_es256().unwrap();
    let t = jwt(json!({"sub":"svc","cnf":{"jkt":k.thumbprint()},"exp":4_000_000_000_i64}));
    let ev = with_request(
        evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            401,
            &[("WWW-Authenticate", "DPoP algs=\"ES256\"")],
        ),
        |r| r.dpop_key = Some(crate::model::DpopKey::new(k)),
    );
    out.push(("dpop-proof", ev, Action::SignDpop));
    // Only the server's words name the cause (an opaque token): the statement's finding
    // declares what the rule would.
    out.push((
        "token-expired",
        evidence(
            &[("Authorization", "Bearer opaque0123456789abcdef")],
            401,
            &[(
                "WWW-Authenticate",
                "Bearer error=\"invalid_token\", error_description=\"The access token expired\"",
            )],
        ),
        new_token.clone(),
    ));
    out.push((
        "invalid-credentials",
        evidence(
            &[("Authorization", "Bearer abcdef0123456789xyz")],
            401,
            &[("WWW-Authenticate", "Bearer error=\"invalid_token\"")],
        ),
        new_token.clone(),
    ));
    // No credential at all, a registry's token service and -u: its token request.
    let ev = with_request(evidence(&[], 401, &[("WWW-Authenticate", REGISTRY)]), |r| {
        r.credential_source = Some(CredentialSource::UserFlag {
            user: "a".into(),
            password: Some("b".into()),
        })
    });
    let service = crate::http::token_service::TokenService::of(&ev.challenges).unwrap();
    out.push(("missing-credentials", ev, Action::TokenService { service }));
    // The API's description puts the key in X-API-Key; the request sent it as Bearer.
    let mut ev = evidence(&[("Authorization", "Bearer abcdef0123")], 401, &[]);
    let to = crate::api_description::Place::Header {
        name: "X-API-Key".into(),
    };
    ev.api = Some(crate::api_description::ApiDescription {
        url: "https://api.example.com/openapi.json".into(),
        places: vec![to.clone()],
        scopes: vec![],
    });
    out.push((
        "credentials-in-wrong-place",
        ev,
        Action::MoveCredential { to },
    ));
    // Digest: the server answers a still-valid response with stale=true (its nonce expired).
    const CH: &str = "Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"";
    let ch = crate::http::challenge::parse_challenges(&[CH]).remove(0);
    let header = crate::http::digest::authorization(
        &ch,
        "bob",
        "pw",
        "GET",
        "/v1/things",
        b"",
        &crate::http::digest::ClientNonce { cnonce: "c", nc: 1 },
    )
    .unwrap();
    let stale = CH.replace("n1", "n2") + ", stale=true";
    out.push((
        "digest-failure",
        evidence(
            &[("Authorization", &header)],
            401,
            &[("WWW-Authenticate", &stale)],
        ),
        Action::AnswerDigest,
    ));
    out
}

fn finding<'a>(ev: &Evidence, findings: &'a [Finding], id: &str) -> &'a Finding {
    findings.iter().find(|f| f.id == id).unwrap_or_else(|| {
        panic!(
            "{id} not diagnosed: {:?}",
            crate::causes::diagnose(ev)
                .iter()
                .map(|f| f.id)
                .collect::<Vec<_>>()
        )
    })
}

#[test]
fn each_automatic_cause_declares_its_action_and_plan_takes_exactly_it() {
    for (id, ev, want) in cases() {
        let findings = crate::causes::diagnose(&ev);
        let f = finding(&ev, &findings, id);
        let declared: Vec<&Action> = f
            .fixes
            .iter()
            .filter_map(|x| x.automatic_action())
            .collect();
        assert_eq!(declared, vec![&want], "{id}: declared actions");
        let planned: Vec<Action> = plan(&ev, std::slice::from_ref(f))
            .into_iter()
            .map(|p| {
                assert_eq!(p.cause, id);
                p.action
            })
            .collect();
        assert_eq!(planned, vec![want], "{id}: plan over its finding");
    }
}

#[test]
fn automatic_flag_and_action_agree_across_the_catalogue() {
    // Every finding any case produces, from every cause that fires on it.
    let mut seen = std::collections::BTreeSet::new();
    for (_, ev, _) in cases() {
        for f in crate::causes::diagnose(&ev) {
            for x in &f.fixes {
                let v = serde_json::to_value(x).unwrap();
                assert_eq!(
                    v["automatic"].as_bool(),
                    Some(x.automatic_action().is_some()),
                    "{}: fix {} says automatic={} with action {:?}",
                    f.id,
                    x.id,
                    v["automatic"],
                    x.automatic_action()
                );
                if let Some(a) = x.automatic_action() {
                    seen.insert(a.id());
                }
            }
        }
    }
    // Every kind of action is declared by some cause (none is dead code in `--fix`).
    let every = [
        "obtain-new-token",
        "request-scope",
        "fix-authorization-header",
        "clean-credential",
        "use-challenged-scheme",
        "call-final-url",
        "bypass-cache",
        "request-service-token",
        "sign-dpop-proof",
        "bypass-proxy",
        "reencode-basic",
        "move-credential",
        "digest-retry-new-nonce",
    ];
    for a in every {
        assert!(seen.contains(a), "no cause declared {a}: {seen:?}");
    }
}

#[test]
fn plan_skips_contradicted_and_later_low_findings_and_merges_tokens() {
    let mk = |id: &'static str, grade: crate::diagnosis::Grade, a: Action| {
        Finding::new(id, "", grade)
            .fix(crate::diagnosis::Fix::new(id, "", crate::diagnosis::Effort::Easy).action(a))
    };
    let ev = evidence(&[], 401, &[]);
    let fs = vec![
        mk(
            "token-expired",
            crate::diagnosis::Grade::Faint,
            Action::NewToken { add_scopes: vec![] },
        ),
        mk(
            "insufficient-scope",
            crate::diagnosis::Grade::Plausible,
            Action::NewToken {
                add_scopes: vec!["w".into()],
            },
        ),
        mk(
            "cached-401",
            crate::diagnosis::Grade::Faint,
            Action::BustCache,
        ),
    ];
    let p = plan(&ev, &fs);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(
        p[0].action,
        Action::NewToken {
            add_scopes: vec!["w".into()]
        }
    );
    // Nothing to plan for a request that succeeded.
    assert!(plan(&evidence(&[], 200, &[]), &fs).is_empty());
}

#[test]
fn a_password_is_not_replaced_by_a_token() {
    // A rejected Basic password: no new token can cure it, so the fix is not automatic.
    let ev = evidence(
        &[("Authorization", "Basic YWxpY2U6c2VjcmV0")],
        401,
        &[("WWW-Authenticate", "Basic realm=\"x\"")],
    );
    let findings = crate::causes::diagnose(&ev);
    let f = finding(&ev, &findings, "invalid-credentials");
    assert!(f.fixes.iter().all(|x| !x.is_automatic()), "{:?}", f.fixes);
    assert!(plan(&ev, &findings).is_empty());
}
