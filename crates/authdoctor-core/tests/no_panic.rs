//! Property tests: the Authorization, Basic, JWT and credential analysers, and the whole
//! evidence → causes → report pipeline, never panic and never print a full secret, whatever
//! the request and response contain.

use authdoctor_core::causes::diagnose;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::http::authorization;
use authdoctor_core::model::{Exchange, Header, RequestSpec};
use authdoctor_core::report::{Report, human, json};
use authdoctor_core::token::{credential, jwt};
use proptest::prelude::*;

/// Header values that look like credentials, with the awkward bytes that real ones carry.
fn credentialish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(Bearer|bearer|Basic|Digest|Token|AWS4-HMAC-SHA256)?[ :=]{0,3}[A-Za-z0-9._~+/=-]{0,80}",
        "eyJ[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_=+/-]{0,60}(\\.[A-Za-z0-9_-]{0,90}){0,3}",
        "[ \t]{0,2}(\\$\\{?[A-Z_]{1,10}\\}?|undefined|null|<token>|YOUR_API_KEY)[ \t\r\n]{0,2}",
    ]
}

fn challengeish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(Bearer|Basic|Digest|Negotiate)( [a-z_]{1,12}=(\"[^\"]{0,20}\"|[A-Za-z0-9]{0,8}),?){0,4}",
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(401u16),
        Just(403),
        Just(407),
        Just(200),
        Just(302),
        Just(500),
        100u16..600
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn analysers_never_panic(v in credentialish(), w in credentialish()) {
        let _ = authorization::analyse(&[v.as_str(), w.as_str()]);
        let _ = authorization::analyse_basic(&v, true);
        let _ = jwt::analyse(&v);
        let _ = credential::format_issues(&v);
        let _ = authdoctor_core::secret::redact(&v);
        let _ = authdoctor_core::secret::redact_authorization(&v);
    }

    #[test]
    fn pipeline_never_panics_nor_leaks(
        auth in credentialish(),
        extra in proptest::option::of(("[A-Za-z-]{1,16}", credentialish())),
        chall in challengeish(),
        date in proptest::option::of(any::<String>()),
        st in status(),
        body in any::<Vec<u8>>(),
        now in any::<i64>(),
    ) {
        let mut headers = vec![Header::new("Authorization", auth.clone())];
        if let Some((n, v)) = &extra {
            headers.push(Header::new(n.clone(), v.clone()));
        }
        let req = RequestSpec { method: "GET".into(), url: "https://api.example.com/x".parse().unwrap(), headers: headers.clone(), ..Default::default() };
        let mut resp = vec![Header::new("WWW-Authenticate", chall)];
        if let Some(d) = date { resp.push(Header::new("Date", d)); }
        let x = Exchange { method: "GET".into(), url: req.url.to_string(), request_headers: headers, status: st,
            http_version: "HTTP/1.1".into(), headers: resp, body, received_at: Some(now), ..Default::default() };
        let ev = Evidence::new(req, vec![x], None, None, now);
        let report = Report::new(&ev, diagnose(&ev));
        let h = human::render(&report, true);
        let j = json::render(&report);
        // A credential long enough to be scrubbed must not appear whole.
        let cred = auth.trim().split_once(' ').map(|(_, c)| c.trim()).unwrap_or(auth.trim());
        let placeholder = credential::placeholder(cred).is_some();
        if cred.chars().count() >= 16 && !placeholder {
            prop_assert!(!h.contains(cred), "human output leaked the credential");
            prop_assert!(!j.contains(cred), "JSON output leaked the credential");
        }
    }
}
