//! Fuzz harnesses, one function per cargo-fuzz target in `fuzz/fuzz_targets/`.
//!
//! The logic lives here, not in the fuzz crate, so that the nightly fuzzer and the stable replay
//! test (`tests/fuzz_replay.rs`, which feeds every file of `fuzz/corpus/<target>/` through these
//! functions) run exactly the same code. Each function takes arbitrary bytes; it must not panic,
//! and it panics on purpose (an `assert!`) when a property it checks is broken. Nothing here
//! touches the network or the file system: `@file` arguments of a pasted curl line are pointed
//! at a path that does not exist before the request is built.
//!
//! This module is not part of the API (it is `#[doc(hidden)]`) and may change with the targets.

use crate::evidence::Evidence;
use crate::http::{authorization, challenge, digest};
use crate::input::{DataKind, curl, har};
use crate::model::{Header, HeaderList};
use crate::report::{self, Report};
use crate::sigv4::{self, diagnose as sigv4_diagnose, parse as sigv4_parse};
use crate::token::{credential, jwt};
use crate::{causes, jose, secret};

/// The bearer token planted in every request by [`pipeline`]; no output may contain it.
pub const CANARY_BEARER: &str = "secret-canary-7f3a9c0e5b1d2468ace13579";
/// The session cookie value planted in every request by [`pipeline`].
pub const CANARY_COOKIE: &str = "secret-canary-0b1c2d3e4f5a6b7c8d9e0f1a";
/// The clock used when a HAR entry records no `startedDateTime` (2026-01-15T08:00:00Z).
const FIXED_NOW: i64 = 1_768_464_000;
/// At most this many HAR entries are diagnosed per input, to keep one execution short.
const MAX_ENTRIES: usize = 16;
/// The AWS documentation's example secret key, used to recompute SigV4 signatures.
const SIGV4_KEY_ID: &str = "AKIDEXAMPLE";
const SIGV4_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The key [`jwt`] verifies HS* tokens with; no input may verify under it by chance.
const JWT_HMAC_SECRET: &[u8] = b"authdoctor-fuzz-hmac-secret-0123456789";
/// An input path that cannot exist, substituted for every `@file` of a curl line.
const NO_FILE: &str = "/nonexistent/authdoctor-fuzz/input";

/// The target names, in the order of `fuzz/Cargo.toml` (the replay test checks each has a
/// corpus).
pub const TARGETS: &[&str] = &[
    "curl_line",
    "har",
    "challenge",
    "authorization",
    "jwt",
    "digest",
    "sigv4",
    "redact",
    "pipeline",
];

/// Runs the harness of the core target named `name` (for the replay test).
pub fn run(name: &str, data: &[u8]) {
    match name {
        "curl_line" => curl_line(data),
        "har" => har(data),
        "challenge" => challenge(data),
        "authorization" => authorization(data),
        "jwt" => jwt(data),
        "digest" => digest(data),
        "sigv4" => sigv4(data),
        "redact" => redact(data),
        "pipeline" => pipeline(data),
        other => panic!("no fuzz target {other:?} in authdoctor-core"),
    }
}

/// A pasted curl command line (UTF-8 lossy) → `CurlOptions` → the request curl would send.
pub fn curl_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    let Ok(mut opts) = curl::parse_curl_line(&line) else {
        return;
    };
    defuse_files(&mut opts);
    if let Ok(spec) = opts.into_request() {
        // What the CLI does next with a request: collect its secrets for the final scrub.
        let _ = report::scrubber_for_request(&spec);
    }
}

/// Points every `@file` data argument at a path that does not exist, so the harness never
/// reads a real file (`-d @/dev/zero` would never end).
fn defuse_files(opts: &mut crate::input::CurlOptions) {
    for d in &mut opts.data {
        match d.kind {
            DataKind::Ascii | DataKind::Binary | DataKind::Json if d.value.starts_with('@') => {
                d.value = format!("@{NO_FILE}");
            }
            DataKind::UrlEncode => {
                if let Some(i) = d.value.find(['=', '@'])
                    && d.value.as_bytes()[i] == b'@'
                {
                    d.value = format!("{}@{NO_FILE}", &d.value[..i]);
                }
            }
            _ => {}
        }
    }
}

/// A HAR file: parse, list, select (every way), and build each entry's request, recorded
/// exchanges and context.
pub fn har(data: &[u8]) {
    let Ok(h) = har::parse_har(data, "fuzz.har") else {
        return;
    };
    assert!(!h.is_empty(), "parse_har accepted a HAR without entries");
    let n = h.len();
    let summaries = h.summaries();
    assert_eq!(summaries.len(), n);
    if let Ok(picked) = h.select(None, None) {
        assert!(
            picked.iter().all(|&i| i < n),
            "select returned an index out of range"
        );
    }
    let _ = h.select(None, Some("/"));
    let _ = h.select(Some(n - 1), Some("http"));
    let _ = h.select(Some(n), None);
    for i in 0..n.min(MAX_ENTRIES) {
        let spec = h.request(i);
        let xs = h.exchanges(i);
        assert!(!xs.is_empty(), "entry {i} has no exchange");
        let _ = h.context(i);
        let _ = report::scrubber_for_request(&spec);
    }
    // Out of range: documented as an empty answer, not a panic.
    let _ = h.request(n);
    assert!(h.exchanges(n).is_empty());
    let _ = h.context(n);
}

/// `WWW-Authenticate` values, one per line: the lenient, strict and error-reporting parses
/// agree, error positions point into the input, and what the strict parser accepts renders back
/// to a value that parses to the same challenges.
pub fn challenge(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let (lenient, errors) = challenge::parse_challenges_with_errors(&values);
    assert_eq!(lenient, challenge::parse_challenges(&values));
    for e in &errors {
        let at = e.position();
        assert!(at.value < values.len(), "{e}: no such field value");
        assert!(
            at.offset <= values[at.value].len(),
            "{e}: offset past the end"
        );
        let _ = (e.code(), e.to_string());
    }
    match challenge::parse_challenges_strict(&values) {
        Ok(strict) => {
            assert!(errors.is_empty(), "strict accepted what has errors");
            assert_eq!(strict, lenient, "strict and lenient disagree");
            let rendered = challenge::render_challenges(&strict);
            let again = challenge::parse_challenges(&[rendered.as_str()]);
            assert_eq!(
                again, strict,
                "render/parse round trip changed {rendered:?}"
            );
        }
        Err(_) => assert!(!errors.is_empty(), "strict refused what has no errors"),
    }
    for c in &lenient {
        let _ = (c.realm(), c.error(), c.error_description(), c.error_uri());
        let _ = (c.scope(), c.resource_metadata(), c.stale(), c.to_string());
    }
    let _ = digest::choose_challenge(&lenient);
}

/// `Authorization` values, one per line: the header analysis, the credential checks that
/// follow it, and the redaction of each value (a bearer credential of 16+ characters never
/// shows whole).
pub fn authorization(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let Some(a) = authorization::analyse(&values) else {
        return;
    };
    for i in &a.issues {
        let _ = i.describe();
    }
    let _ = (a.canonical_scheme(), a.is_scheme("bearer"));
    let cred = a.credential.as_str();
    if a.is_scheme("basic") {
        for utf8 in [false, true] {
            for i in &authorization::analyse_basic(cred, utf8).issues {
                let _ = i.describe();
            }
        }
    }
    for i in credential::format_issues(cred) {
        let _ = i.describe();
    }
    if let Some(p) = credential::placeholder(cred) {
        let _ = credential::showable_placeholder(&p);
    }
    let _ = jwt::analyse(cred);
    for v in &values {
        let shown = secret::redact_authorization(v);
        let _ = secret::redact_header_value("Authorization", v);
        let _ = secret::redact_header_value("Cookie", v);
        if let Some((scheme, c)) = v.trim_start().split_once([' ', '\t'])
            && scheme.eq_ignore_ascii_case("bearer")
        {
            let c = c.trim_start();
            if c.chars().count() >= 16 && !c.contains(char::is_whitespace) {
                assert!(
                    !shown.contains(c),
                    "bearer credential shown whole: {shown:?}"
                );
            }
        }
    }
}

/// A compact JWT (whitespace-trimmed): the diagnostic decoder and its accessors, the strict
/// JOSE split, and verification under a fixed HMAC key, which no input may pass. Input that
/// looks like JSON is also read as a JWKS.
pub fn jwt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let s = text.trim();
    if let Some(a) = jwt::analyse(s) {
        match a {
            jwt::JwtAnalysis::Jws(t) => {
                let _ = (t.alg(), t.typ(), t.kid(), t.audiences(), t.scopes());
                for c in ["exp", "nbf", "iat"] {
                    let _ = (t.time_claim(c), t.malformed_time_claim(c));
                }
                let _ = (t.str_claim("iss"), t.str_claim("sub"));
                for d in &t.defects {
                    let _ = d.describe();
                }
            }
            jwt::JwtAnalysis::Jwe { .. } => {}
            jwt::JwtAnalysis::Broken(d) => {
                let _ = d.describe();
            }
        }
    }
    if let Ok(parts) = jose::split_compact(s) {
        let _ = (parts.alg_name(), parts.kid());
        if let Ok(alg) = jose::verify::header_alg(&parts.header) {
            let _ = alg.name();
        }
    }
    let verified = jose::verify_hmac(s, JWT_HMAC_SECRET);
    assert!(
        verified.is_err(),
        "a token verified under the fuzzer's secret key"
    );
    if s.starts_with('{')
        && let Ok(set) = jose::Jwks::parse(s.as_bytes())
    {
        let _ = set.kids();
        for k in set.kids() {
            for key in set.by_kid(&k) {
                let m = &key.material;
                let _ = (m.kty(), m.crv(), m.rsa_bits(), key.kid_or_none());
                if let Ok(alg) =
                    jose::split_compact(s).and_then(|p| jose::verify::header_alg(&p.header))
                {
                    let _ = key.check_usable_for(alg);
                }
            }
        }
    }
}

/// A Digest exchange, one item per line: the challenge(s) (`WWW-Authenticate`), the client's
/// `Authorization`, the method and the request URL or target. Judges the exchange with and
/// without a password, and checks that the header the client would compute for each challenge
/// reads back and is judged as matching its own password.
pub fn digest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let chal = lines.next().unwrap_or("");
    let auth = lines.next().unwrap_or("");
    let method = lines
        .next()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .unwrap_or("GET");
    let target_line = lines.next().unwrap_or("/").trim();
    let target = digest::request_target(target_line).unwrap_or_else(|| target_line.to_string());
    let body = lines.next().unwrap_or("").as_bytes();
    let challenges = challenge::parse_challenges(&[chal]);
    let _ = digest::choose_challenge(&challenges);
    if let Some(sent) = digest::parse_authorization(auth) {
        for (user, password) in [(None, None), (Some("Mufasa"), Some("Circle of Life"))] {
            let v = digest::diagnose(&digest::DigestCase {
                challenges: &challenges,
                answered: challenges.first(),
                sent: &sent,
                user,
                password,
                method,
                request_target: &target,
                body,
            });
            for p in &v.problems {
                let _ = (p.reason(), p.describe());
            }
            let _ = v.primary();
        }
        if let Some(c) = challenges.first() {
            let _ = digest::diagnose_digest(c, &sent, Some("pw"), method, &target);
        }
    }
    for c in challenges.iter().filter(|c| c.is_scheme("digest")) {
        let _ = digest::choose_qop(c);
        let _ = digest::Algorithm::of(c.param("algorithm")).map(|a| (a.name(), a.strength()));
        let client = digest::ClientNonce {
            cnonce: "0a4f113b",
            nc: 1,
        };
        let (user, password) = ("Mufasa", "Circle of Life");
        let Ok(header) = digest::authorization(c, user, password, method, &target, body, &client)
        else {
            continue;
        };
        let sent = digest::parse_authorization(&header)
            .unwrap_or_else(|| panic!("our own Digest header does not parse: {header:?}"));
        let v = digest::diagnose(&digest::DigestCase {
            challenges: std::slice::from_ref(c),
            answered: Some(c),
            sent: &sent,
            user: Some(user),
            password: Some(password),
            method,
            request_target: &target,
            body,
        });
        assert_eq!(
            v.password,
            digest::PasswordCheck::Matches,
            "our own Digest header {header:?} is judged {v:?}"
        );
    }
}

/// A SigV4-signed request in the AWS test-suite's `.sreq` layout: `METHOD TARGET HTTP/1.1`,
/// header lines (`Name:value`; a line without a colon continues the previous value), a blank
/// line, then the body. Parses the `Authorization` value, the presigned query and the whole
/// analysis with and without the secret; nothing shown may contain the secret unless the input
/// itself does.
pub fn sigv4(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b.as_bytes()),
        None => (text.as_ref(), &b""[..]),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or("GET");
    let target = parts.next().unwrap_or("/");
    let mut headers: Vec<Header> = Vec::new();
    for l in lines {
        match (l.split_once(':'), headers.last_mut()) {
            (Some((n, v)), _) if !n.is_empty() && !n.contains([' ', '\t']) => {
                headers.push(Header::new(n, v));
            }
            (_, Some(last)) => {
                last.value.push(',');
                last.value.push_str(l);
            }
            (_, None) => {}
        }
    }
    let host = headers
        .first("host")
        .unwrap_or("example.amazonaws.com")
        .trim()
        .to_string();
    let url = format!("https://{host}{target}");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");

    for a in headers.all("authorization") {
        if sigv4_parse::is_sigv4_authorization(a)
            && let Ok((_, cred, _, _)) = sigv4_parse::parse_authorization(a)
        {
            let _ = cred.is_temporary();
        }
        let _ = secret::redact_authorization(a);
    }
    if let Some(d) = headers.first("x-amz-date") {
        let _ = sigv4::sign::parse_amz_date(d);
    }
    let _ = sigv4::infer_scope(&host);
    let _ = sigv4::parse_curl_provider(method);
    let _ = sigv4_parse::signed_request(&headers, query);
    let _ = sigv4_parse::aws_error(&headers, body);
    let input_has_secret = text.contains(SIGV4_SECRET);
    for secret in [None, Some((SIGV4_KEY_ID, SIGV4_SECRET))] {
        let Some(Ok(a)) = sigv4_diagnose::analyse(&sigv4_diagnose::Input {
            method,
            url: &url,
            headers: &headers,
            body,
            secret,
            response: Some((&headers, body)),
            server_date: Some(FIXED_NOW),
        }) else {
            continue;
        };
        let mut shown = vec![a.canonical_shown(), a.string_to_sign.clone()];
        shown.extend(a.differences.iter().map(|d| {
            let _ = (d.stage(), d.is_certain());
            d.describe()
        }));
        if !input_has_secret {
            for s in &shown {
                assert!(
                    !s.contains(SIGV4_SECRET),
                    "the SigV4 secret is shown: {s:?}"
                );
            }
        }
    }
}

/// Free text through the redactors: `redact_text`, `redact_shapes`, `redact_url` and
/// `redact_url_in_text` never panic, also when run again over their own output. Idempotence
/// is not asserted: it does not hold on the seed corpus (a second pass re-redacts the visible
/// `ghp_…789` window or a redacted URL password); see FUZZING.md.
pub fn redact(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let once = secret::redact_text(&text);
    let _ = secret::redact_text(&once);
    let shapes = secret::redact_shapes(&text);
    let _ = secret::redact_shapes(&shapes);
    let _ = secret::redact_url(&text);
    let in_text = secret::redact_url_in_text(&text);
    let _ = secret::redact_url_in_text(&in_text);
    let _ = secret::redact_header_value("Set-Cookie", &text);
    let _ = secret::shape::looks_secret(&text);
}

/// The whole offline pipeline over a HAR, as `authdoctor check --har` runs it: for each entry
/// (at most [`MAX_ENTRIES`]) plant [`CANARY_BEARER`] as `Authorization: Bearer …` and
/// [`CANARY_COOKIE`] as `Cookie: sid=…` in the request and in every recorded hop, build the
/// evidence from the recorded exchanges, diagnose, and render human and JSON reports: neither
/// may contain a canary.
pub fn pipeline(data: &[u8]) {
    let Ok(h) = har::parse_har(data, "fuzz.har") else {
        return;
    };
    for i in 0..h.len().min(MAX_ENTRIES) {
        let mut spec = h.request(i);
        plant_canaries(&mut spec.headers);
        let mut exchanges = h.exchanges(i);
        for x in &mut exchanges {
            plant_canaries(&mut x.request_headers);
        }
        let ctx = h.context(i);
        let now = ctx.started_at.unwrap_or(FIXED_NOW);
        let ev = Evidence::new(spec, exchanges, None, Some(ctx), now);
        let findings = causes::diagnose(&ev);
        let r = Report::new(&ev, findings);
        let human = report::human::render(&r, false);
        let json = report::json::render(&r);
        for canary in [CANARY_BEARER, CANARY_COOKIE] {
            assert!(
                !human.contains(canary),
                "entry {i}: human report leaks {canary}"
            );
            assert!(
                !json.contains(canary),
                "entry {i}: JSON report leaks {canary}"
            );
        }
    }
}

/// Replaces any `Authorization` and `Cookie` headers with the canaries.
fn plant_canaries(headers: &mut Vec<Header>) {
    headers.retain(|h| {
        !h.name.eq_ignore_ascii_case("authorization") && !h.name.eq_ignore_ascii_case("cookie")
    });
    headers.push(Header::new(
        "Authorization",
        format!("Bearer {CANARY_BEARER}"),
    ));
    headers.push(Header::new("Cookie", format!("sid={CANARY_COOKIE}")));
}
