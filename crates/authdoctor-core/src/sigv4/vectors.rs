//! The AWS SigV4 test suites, run in both directions: signing each `request.txt` must give the
//! suite's canonical request, string to sign and signature (header and presigned-query
//! variants), and reading each signed request back must rebuild the same stages. Fixtures and
//! their origin: `tests/fixtures/sigv4/SOURCE.md`.

use super::Provider;
use super::canonical::{self, CanonicalRequest, PathRules, WireRequest};
use super::parse::{self, Placement};
use super::sign::{self, SignOptions, Signer};
use crate::model::Header;
use std::path::{Path, PathBuf};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/sigv4/");

/// A raw HTTP request from the suites: the request target is kept byte for byte (it may hold
/// spaces or raw UTF-8, which is the point of some cases) and folded header lines are unfolded.
fn parse_http(text: &str) -> (WireRequest, Vec<u8>) {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let method = first.split(' ').next().unwrap_or_default().to_string();
    let target = first
        .strip_prefix(&method)
        .unwrap_or_default()
        .trim_start()
        .trim_end_matches(" HTTP/1.1");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<Header> = Vec::new();
    for l in lines {
        if l.starts_with([' ', '\t']) {
            if let Some(h) = headers.last_mut() {
                h.value.push('\n');
                h.value.push_str(l);
            }
        } else if let Some((n, v)) = l.split_once(':') {
            headers.push(Header::new(n, v));
        }
    }
    (
        WireRequest {
            method,
            path: path.into(),
            query: query.into(),
            headers,
        },
        body.as_bytes().to_vec(),
    )
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(format!("{FIX}{dir}"))
        .unwrap_or_else(|e| panic!("{FIX}{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

struct Context {
    signer: Signer,
    normalize: bool,
    sign_body: bool,
    omit_token: bool,
    expires: u64,
}

fn context(dir: &Path) -> Context {
    let c: serde_json::Value = serde_json::from_str(&read(&dir.join("context.json"))).unwrap();
    let s = |p: &str| c.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
    let time: jiff::Timestamp = s("/timestamp").unwrap().parse().unwrap();
    Context {
        signer: Signer {
            provider: Provider::aws(),
            access_key_id: s("/credentials/access_key_id").unwrap(),
            secret_access_key: s("/credentials/secret_access_key").unwrap(),
            session_token: s("/credentials/token"),
            region: s("/region").unwrap(),
            service: s("/service").unwrap(),
            time: time.as_second(),
        },
        normalize: c["normalize"].as_bool().unwrap_or(true),
        sign_body: c["sign_body"].as_bool().unwrap_or(false),
        omit_token: c["omit_session_token"].as_bool().unwrap_or(false),
        expires: c["expiration_in_seconds"].as_u64().unwrap_or(3600),
    }
}

/// Every v4 case, header variant: sign, and read back.
#[test]
fn aws_c_auth_v4_header_variant() {
    let mut passed = 0;
    for dir in cases("aws-c-auth/v4") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx = context(&dir);
        let rules = PathRules {
            normalize: ctx.normalize,
            double_encode: true,
        };
        let (req, body) = parse_http(&read(&dir.join("request.txt")));
        let mut signer = ctx.signer.clone();
        if ctx.omit_token {
            // The token is added after signing: it is not part of the signature.
            signer.session_token = None;
        }
        let opts = SignOptions {
            content_sha256: ctx.sign_body,
            rules,
            sign_all_headers: true,
        };
        let s = sign::sign_headers(&req, &body, &signer, opts).unwrap();
        let want_creq = read(&dir.join("header-canonical-request.txt"));
        let want_sts = read(&dir.join("header-string-to-sign.txt"));
        let want_sig = read(&dir.join("header-signature.txt"));
        assert_eq!(
            s.stages.canonical_text, want_creq,
            "{name}: canonical request"
        );
        assert_eq!(s.stages.string_to_sign, want_sts, "{name}: string to sign");
        assert_eq!(s.stages.signature, want_sig.trim(), "{name}: signature");

        // Read the suite's signed request back and rebuild every stage from its claims.
        let (signed_req, _) = parse_http(&read(&dir.join("header-signed-request.txt")));
        let claim = parse::signed_request(&signed_req.headers, &signed_req.query)
            .unwrap()
            .unwrap();
        assert_eq!(claim.placement, Placement::Header, "{name}");
        assert_eq!(claim.signature, want_sig.trim(), "{name}: parsed signature");
        let payload = canonical::header_value(&signed_req.headers, "x-amz-content-sha256")
            .unwrap_or_else(|| canonical::sha256_hex(&body));
        let c = CanonicalRequest::build(&signed_req, &claim.signed_headers, &payload, rules, &[]);
        let st = sign::stages(
            c,
            &ctx.signer.secret_access_key,
            &claim.provider,
            &claim.credential.scope,
            claim.amz_date.as_deref().unwrap(),
        );
        assert_eq!(
            st.canonical_text, want_creq,
            "{name}: read-back canonical request"
        );
        assert_eq!(
            st.string_to_sign, want_sts,
            "{name}: read-back string to sign"
        );
        assert_eq!(st.signature, want_sig.trim(), "{name}: read-back signature");
        passed += 1;
    }
    assert_eq!(passed, 38, "every v4 case");
}

/// Every v4 case, presigned-query variant: presign, and read back.
#[test]
fn aws_c_auth_v4_query_variant() {
    let mut passed = 0;
    for dir in cases("aws-c-auth/v4") {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let ctx = context(&dir);
        let rules = PathRules {
            normalize: ctx.normalize,
            double_encode: true,
        };
        let (req, body) = parse_http(&read(&dir.join("request.txt")));
        let mut signer = ctx.signer.clone();
        if ctx.omit_token {
            signer.session_token = None;
        }
        let opts = SignOptions {
            content_sha256: false,
            rules,
            sign_all_headers: true,
        };
        let payload = canonical::sha256_hex(&body);
        let p = sign::presign(&req, &payload, &signer, ctx.expires, opts).unwrap();
        let want_creq = read(&dir.join("query-canonical-request.txt"));
        let want_sts = read(&dir.join("query-string-to-sign.txt"));
        let want_sig = read(&dir.join("query-signature.txt"));
        assert_eq!(
            p.stages.canonical_text, want_creq,
            "{name}: canonical request"
        );
        assert_eq!(p.stages.string_to_sign, want_sts, "{name}: string to sign");
        assert_eq!(p.stages.signature, want_sig.trim(), "{name}: signature");

        let (signed_req, _) = parse_http(&read(&dir.join("query-signed-request.txt")));
        let claim = parse::signed_request(&signed_req.headers, &signed_req.query)
            .unwrap()
            .unwrap();
        assert_eq!(claim.placement, Placement::Query, "{name}");
        assert_eq!(claim.signature, want_sig.trim(), "{name}: parsed signature");
        assert_eq!(claim.expires, Some(ctx.expires), "{name}");
        let mut skip = vec!["X-Amz-Signature"];
        if ctx.omit_token {
            skip.push("X-Amz-Security-Token");
        }
        let c = CanonicalRequest::build(&signed_req, &claim.signed_headers, &payload, rules, &skip);
        let st = sign::stages(
            c,
            &ctx.signer.secret_access_key,
            &claim.provider,
            &claim.credential.scope,
            claim.amz_date.as_deref().unwrap(),
        );
        assert_eq!(
            st.canonical_text, want_creq,
            "{name}: read-back canonical request"
        );
        assert_eq!(st.signature, want_sig.trim(), "{name}: read-back signature");
        passed += 1;
    }
    assert_eq!(passed, 38, "every v4 case");
}

/// The original 2015 suite as a cross-check: `.req` signed must give `.creq`, `.sts`, `.authz`.
#[test]
fn suite_2015_cross_check() {
    let mut dirs = cases("suite-2015");
    for sub in ["normalize-path", "post-sts-token"] {
        dirs.retain(|d| !d.ends_with(sub));
        dirs.extend(cases(&format!("suite-2015/{sub}")));
    }
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let f = |ext: &str| dir.join(format!("{name}.{ext}"));
        if !f("req").exists() {
            continue;
        }
        let (req, body) = parse_http(&read(&f("req")));
        let signer = Signer {
            provider: Provider::aws(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
            service: "service".into(),
            time: 0, // every .req carries its X-Amz-Date, which wins
        };
        let opts = SignOptions {
            content_sha256: false,
            rules: PathRules::STANDARD,
            sign_all_headers: true,
        };
        let mut s = sign::sign_headers(&req, &body, &signer, opts).unwrap();
        if name == "post-x-www-form-urlencoded" {
            // Known flaw: this .creq signs content-length, but the .sts and .authz beside it
            // were computed without it. Check those two against the request without it.
            let mut r = req.clone();
            r.headers
                .retain(|h| !h.name.eq_ignore_ascii_case("content-length"));
            let without = sign::sign_headers(&r, &body, &signer, opts).unwrap();
            assert_eq!(s.stages.canonical_text, read(&f("creq")), "{name}: .creq");
            s = without;
            s.stages.canonical_text = read(&f("creq"));
        }
        let auth = s.add.iter().find(|h| h.name == "Authorization").unwrap();
        let creq = s.stages.canonical_text == read(&f("creq")).replace("\r\n", "\n");
        let sts = s.stages.string_to_sign == read(&f("sts")).replace("\r\n", "\n");
        let authz = auth.value == read(&f("authz")).trim();
        if creq && sts && authz {
            passed.push(name)
        } else {
            failed.push(format!("{name} (creq {creq}, sts {sts}, authz {authz})"))
        }
    }
    // Known flaws of the 2015 files, fixed in the maintained suite above (which passes):
    // get-header-value-multiline joins folded lines with ',' where the maintained suite (and
    // AWS's documentation) join them with a space; post-x-www-form-urlencoded-parameters' .sts
    // is not the hash of its own .creq (which we match).
    let known = [
        "get-header-value-multiline (creq false, sts false, authz false)",
        "post-x-www-form-urlencoded-parameters (creq true, sts false, authz false)",
    ];
    failed.retain(|n| !known.contains(&n.as_str()));
    assert!(
        failed.is_empty(),
        "2015 suite failures: {failed:?} (passed {})",
        passed.len()
    );
    assert!(
        passed.len() >= 27,
        "passed only {}: {passed:?}",
        passed.len()
    );
}
