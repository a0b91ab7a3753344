//! The HAR reader against real exports (Chrome, Firefox, Safari, Charles, Insomnia, mitmproxy),
//! synthetic generator output and our converted GitHub recordings, all under
//! `tests/fixtures/har/` (origins and licences in its `SOURCE.md`), plus property tests that no
//! input, however mangled, makes the reader panic.

use std::path::{Path, PathBuf};

use authdoctor_core::input::InputError;
use authdoctor_core::input::har::{Har, parse_har};
use authdoctor_core::model::{HeaderList, InputOrigin};
use proptest::prelude::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/har")
}

fn read(rel: &str) -> Vec<u8> {
    let path = fixtures().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn load(rel: &str) -> Har {
    parse_har(&read(rel), rel).unwrap_or_else(|e| panic!("{rel} should parse: {e}"))
}

/// Every conversion on every entry, to prove none of them panics on real data.
fn exercise(har: &Har) {
    for s in har.summaries() {
        let req = har.request(s.index);
        assert_eq!(
            req.origin,
            InputOrigin::Har {
                file: har.file_name().to_string(),
                entry: s.index
            }
        );
        assert!(req.headers.iter().all(|h| !h.name.starts_with(':')));
        let ex = har.exchanges(s.index);
        let last = ex
            .last()
            .expect("an entry yields at least its own exchange");
        assert_eq!(last.status, s.status);
        let ctx = har.context(s.index);
        assert_eq!(ctx.entry, s.index);
    }
    let _ = har.select(None, None);
}

/// All real exports, with their entry counts (checked against the files with a JSON tool).
const REAL_EXPORTS: &[(&str, usize)] = &[
    ("mitmproxy/charles.har", 1),
    ("mitmproxy/chrome.har", 3),
    ("mitmproxy/firefox.har", 14),
    ("mitmproxy/head-content-length.har", 1),
    ("mitmproxy/insomnia.har", 1),
    ("mitmproxy/postdata.har", 1),
    ("mitmproxy/safari.har", 19),
    ("mitmproxy/with-bom.har", 1),
    ("mitmproxy/corrupted_gzip_body.har", 1),
    ("mitmproxy/diff_data.har", 5),
    ("mitmproxy/error_log.har", 2),
    ("mitmproxy/event_stream.har", 2),
    ("mitmproxy/incomplete_log.har", 4),
    ("mitmproxy/successful_log.har", 2),
    ("mitmproxy/websocket.har", 3),
    ("har-to-openapi/auth-variants.har", 4),
    ("har-to-openapi/full.har", 8),
    ("har-to-openapi/no-success-status.har", 1),
    ("har-to-openapi/security.har", 1),
    (
        "har-to-openapi/request-generator-all-status-and-method.har",
        665,
    ),
    ("pygithub/pygithub_401_403_converted.har", 18),
];

#[test]
fn every_real_export_parses_and_converts() {
    for (rel, entries) in REAL_EXPORTS {
        let har = load(rel);
        assert_eq!(har.len(), *entries, "{rel}");
        exercise(&har);
    }
}

#[test]
fn bom_file_parses() {
    let bytes = read("mitmproxy/with-bom.har");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "fixture must keep its BOM"
    );
    let har = load("mitmproxy/with-bom.har");
    assert_eq!(har.len(), 1);
    // Its request is HTTP/2: the pseudo-headers must be gone from the request.
    let req = har.request(0);
    assert!(!req.url.as_str().is_empty());
    assert!(req.headers.iter().all(|h| !h.name.starts_with(':')));
}

#[test]
fn broken_file_is_one_line_har_error() {
    let err = parse_har(&read("mitmproxy/brokenfile.har"), "brokenfile.har").unwrap_err();
    let InputError::Har(msg) = &err else {
        panic!("expected InputError::Har, got {err:?}");
    };
    assert!(msg.contains("line 5"), "{msg}");
    let shown = err.to_string();
    assert!(!shown.contains('\n'), "{shown}");
    assert!(
        shown.starts_with("HAR file: brokenfile.har: not valid JSON"),
        "{shown}"
    );
}

#[test]
fn chrome_export_details() {
    let har = load("mitmproxy/chrome.har");
    let s = har.summaries();
    assert_eq!(
        s.iter().map(|e| e.status).collect::<Vec<_>>(),
        [304, 0, 200]
    );
    // HTTP/2 entry: pseudo-headers dropped, version normalised, base64 body decoded.
    let ex = &har.exchanges(0)[0];
    assert_eq!(ex.http_version, "HTTP/2.0");
    assert!(ex.request_headers.has("accept"));
    assert!(!ex.request_headers.has(":authority"));
    let ex = &har.exchanges(2)[0];
    assert_eq!(ex.http_version, "HTTP/3.0");
    assert!(!ex.body.is_empty());
    // Its third entry sends cookies with recorded expiry dates.
    let ctx = har.context(2);
    assert!(!ctx.request_cookies.is_empty());
    assert!(ctx.request_cookies.iter().all(|c| c.expires.is_some()));
    assert!(ctx.started_at.is_some());
    // No 401/403 here: the default selection explains itself on one line.
    let msg = har.select(None, None).unwrap_err().to_string();
    assert_eq!(
        msg,
        "HAR file: mitmproxy/chrome.har: no 401/403 entries among 3 (0×1, 200×1, 304×1); \
         pick one with --entry N"
    );
}

#[test]
fn request_generator_selects_13_401s_and_11_403s() {
    let har = load("har-to-openapi/request-generator-all-status-and-method.har");
    assert_eq!(har.len(), 665);
    let selected = har.select(None, None).unwrap();
    let statuses: Vec<u16> = har.summaries().iter().map(|s| s.status).collect();
    let count = |code| selected.iter().filter(|&&i| statuses[i] == code).count();
    assert_eq!(count(401), 13);
    assert_eq!(count(403), 11);
    assert_eq!(count(407), 0);
    assert_eq!(selected.len(), 24);
    assert!(selected.windows(2).all(|w| w[0] < w[1]));
    let err = har.select(Some(665), None).unwrap_err().to_string();
    assert!(err.contains("665 entries (0 to 664)"), "{err}");
}

#[test]
fn pygithub_entries_convert_with_recorded_status_and_headers() {
    let har = load("pygithub/pygithub_401_403_converted.har");
    let selected = har.select(None, None).unwrap();
    assert_eq!(selected, (0..18).collect::<Vec<_>>());
    let mut by_status = [0usize; 2];
    for &i in &selected {
        let req = har.request(i);
        assert!(
            req.url.as_str().starts_with("https://api.github.com/"),
            "{}",
            req.url
        );
        let ex = har.exchanges(i);
        assert_eq!(ex.len(), 1);
        let ex = &ex[0];
        match ex.status {
            401 => by_status[0] += 1,
            403 => by_status[1] += 1,
            other => panic!("entry {i}: unexpected status {other}"),
        }
        assert_eq!(ex.method, req.method);
        assert_eq!(ex.url, req.url.as_str());
        assert_eq!(ex.request_headers, req.headers);
        assert!(!ex.headers.is_empty(), "entry {i} has response headers");
        // What SOURCES.md says about these recordings: no 401 carries WWW-Authenticate.
        if ex.status == 401 {
            assert!(!ex.headers.has("www-authenticate"));
        }
    }
    assert_eq!(by_status, [6, 12]);
    // The 2FA case signals with x-github-otp.
    let otp = selected
        .iter()
        .filter(|&&i| har.exchanges(i)[0].headers.has("x-github-otp"))
        .count();
    assert!(otp >= 1);
    // Bad-credentials bodies are readable JSON text.
    assert!(
        selected
            .iter()
            .any(|&i| har.exchanges(i)[0].body_text().contains("Bad credentials"))
    );
}

#[test]
fn auth_variants_carry_their_credentials() {
    let har = load("har-to-openapi/auth-variants.har");
    let all: Vec<String> = (0..har.len())
        .flat_map(|i| har.request(i).headers)
        .map(|h| h.name.to_ascii_lowercase())
        .collect();
    assert!(all.iter().any(|n| n == "authorization"));
    assert!(all.iter().any(|n| n == "x-api-key"));
    assert!(all.iter().any(|n| n == "cookie"));
}

#[test]
fn request_only_entries_have_status_zero_and_a_body() {
    let har = load("har-to-openapi/security.har");
    assert_eq!(har.summaries()[0].status, 0);
    let req = har.request(0);
    assert_eq!(req.method, "POST");
    assert!(req.body.is_some());
    assert!(har.exchanges(0)[0].headers.is_empty());
}

/// A small valid HAR to mutate: two hops, cookies, base64, pseudo-headers.
const SEED: &str = r#"{"log":{"version":"1.2","entries":[
{"startedDateTime":"2024-05-01T10:00:00Z","time":5,"request":{"method":"GET","url":"https://a.example/s",
"headers":[{"name":":authority","value":"a.example"}],"cookies":[{"name":"a","value":"1","expires":"2025-01-01T00:00:00Z"}]},
"response":{"status":302,"redirectURL":"/api","headers":[{"name":"Set-Cookie","value":"sid=1; Max-Age=0"}],"cookies":[],
"content":{"text":"aGk=","encoding":"base64"}}},
{"startedDateTime":"2024-05-01T10:00:01Z","request":{"method":"POST","url":"https://a.example/api",
"postData":{"params":[{"name":"x","value":"y"}]}},"response":{"status":401,"statusText":"Unauthorized",
"headers":[{"name":"WWW-Authenticate","value":"Bearer"}],"content":{"text":"no"}}}]}}"#;

fn check_no_panic(bytes: &[u8]) {
    match parse_har(bytes, "p.har") {
        Ok(har) => {
            exercise(&har);
            let _ = har.select(Some(0), Some("a"));
            let _ = har.select(None, Some("api"));
        }
        Err(e) => {
            assert!(matches!(e, InputError::Har(_)));
            assert!(!e.to_string().contains('\n'));
        }
    }
}

/// Arbitrary JSON values, to splice into the seed where real fields live.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-zA-Z:_]{0,10}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check_no_panic(&bytes);
    }

    /// Byte-level damage to a valid HAR: cut, insert JSON punctuation, overwrite.
    #[test]
    fn never_panics_on_mutated_json(
        edits in prop::collection::vec(
            (0usize..2000, 0usize..8, prop::sample::select(vec![
                "", "{", "}", "[", "]", ",", ":", "\"", "null", "-1", "0", "1e999", "\"\\u0000\"",
                "\u{feff}", "\"401\"", "true", "[]", "{}",
            ])),
            1..6,
        )
    ) {
        let mut text = SEED.to_string();
        for (pos, cut, insert) in edits {
            let mut at = pos % (text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end.max(at), insert);
        }
        check_no_panic(text.as_bytes());
    }

    /// Structurally valid JSON with any value in any field the reader looks at.
    #[test]
    fn never_panics_on_any_field_value(
        path in prop::sample::select(vec![
            "/log/entries/0", "/log/entries/0/request", "/log/entries/0/request/url",
            "/log/entries/0/request/method", "/log/entries/0/request/headers",
            "/log/entries/0/request/headers/0", "/log/entries/0/request/headers/0/value",
            "/log/entries/0/request/cookies/0/expires", "/log/entries/0/request/postData",
            "/log/entries/1/request/postData/params", "/log/entries/0/response",
            "/log/entries/0/response/status", "/log/entries/0/response/redirectURL",
            "/log/entries/0/response/headers/0/value", "/log/entries/0/response/content",
            "/log/entries/0/response/content/text", "/log/entries/0/startedDateTime",
            "/log/entries/0/time", "/log/entries/1/response/status", "/log/entries",
            "/log",
        ]),
        value in json_value(),
    ) {
        let mut root: serde_json::Value = serde_json::from_str(SEED).unwrap();
        if let Some(slot) = root.pointer_mut(path) {
            *slot = value;
        }
        check_no_panic(&serde_json::to_vec(&root).unwrap());
    }
}

#[test]
fn seed_is_a_working_har() {
    let har = parse_har(SEED.as_bytes(), "seed.har").unwrap();
    assert_eq!(har.select(None, None).unwrap(), [1]);
    let ex = har.exchanges(1);
    assert_eq!(ex.len(), 2, "the 302 hop is included");
    assert_eq!(ex[0].body, b"hi");
    assert_eq!(har.request(1).body.as_deref(), Some(&b"x=y"[..]));
    let ctx = har.context(1);
    assert_eq!(ctx.earlier_cookie_names, ["sid"]);
}

/// A real recording whose tool removed the secrets (PyGithub's replay data: `token
/// private_token_removed`, `Bearer jwt_removed`, `Basic login_and_password_removed`): the
/// recorder's redaction is reported, never blamed on the user, and the server's answer still
/// drives the diagnosis.
#[test]
fn secrets_removed_by_the_recorder_are_not_blamed_on_the_user() {
    use authdoctor_core::evidence::Evidence;
    let har = load("pygithub/pygithub_401_403_converted.har");
    let mut seen = 0;
    for i in 0..10 {
        let spec = har.request(i);
        let masked = spec
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("authorization") && h.value.contains("_removed"));
        let ctx = har.context(i);
        let now = ctx.started_at.unwrap_or(0);
        let ev = Evidence::new(spec, har.exchanges(i), None, Some(ctx), now);
        if !masked {
            assert!(ev.redacted_by_recorder.is_empty(), "entry {i}");
            continue;
        }
        seen += 1;
        assert_eq!(
            ev.redacted_by_recorder[0].carrier, "header:Authorization",
            "entry {i}"
        );
        let findings = authdoctor_core::causes::diagnose(&ev);
        for f in &findings {
            assert!(
                ![
                    "credential-formatting",
                    "token-truncated",
                    "basic-encoding",
                    "malformed-authorization-header",
                    "missing-credentials"
                ]
                .contains(&f.id),
                "entry {i}: {} blamed on the user for the recorder's redaction",
                f.id
            );
        }
        assert!(
            !findings.is_empty(),
            "entry {i}: the server's answer still speaks"
        );
        let report = authdoctor_core::report::Report::new(&ev, findings);
        let json = authdoctor_core::report::json::render(&report);
        assert!(json.contains("redacted_by_recorder"), "entry {i}");
        assert!(
            json.contains("removed or masked by the recorder"),
            "entry {i}"
        );
    }
    assert!(seen >= 5, "the fixture has masked entries ({seen})");
}

/// A browser's HAR export leaves `Authorization` and cookies out by default: a refused request
/// recorded without either is reported as possibly the recorder's doing, and
/// `missing-credentials` carries that against it.
#[test]
fn a_browser_export_without_credentials_is_not_proof_of_none() {
    use authdoctor_core::evidence::Evidence;
    let har = br#"{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},
      "entries":[{"startedDateTime":"2026-01-01T00:00:00.000Z","time":5,
        "request":{"method":"GET","url":"https://api.example.com/v1/me","httpVersion":"h2",
          "headers":[{"name":"accept","value":"application/json"}],"queryString":[],"cookies":[],
          "headersSize":-1,"bodySize":0},
        "response":{"status":401,"statusText":"","httpVersion":"h2",
          "headers":[{"name":"www-authenticate","value":"Bearer realm=\"api\""}],"cookies":[],
          "content":{"size":0,"mimeType":"application/json"},"redirectURL":"","headersSize":-1,"bodySize":0},
        "cache":{},"timings":{"send":0,"wait":5,"receive":0}}]}}"#;
    let har = parse_har(har, "chrome-export.har").expect("parses");
    let ctx = har.context(0);
    assert_eq!(ctx.creator.as_deref(), Some("WebInspector"));
    let ev = Evidence::new(
        har.request(0),
        har.exchanges(0),
        None,
        Some(ctx),
        1_767_225_600,
    );
    assert_eq!(ev.redacted_by_recorder.len(), 1);
    let findings = authdoctor_core::causes::diagnose(&ev);
    let mc = findings
        .iter()
        .find(|f| f.id == "missing-credentials")
        .expect("still a candidate");
    assert!(!mc.against.is_empty(), "{:?}", mc.against);
    let json =
        authdoctor_core::report::json::render(&authdoctor_core::report::Report::new(&ev, findings));
    assert!(json.contains("leaves them out by default"), "{json}");
}
