//! The curl parser against curlconverter's fixture corpus: real-world command lines paired with
//! the raw HTTP request curl sends for them (`http/*.txt`, checked against real curl upstream).
//!
//! For each command with an expected request, the line is parsed with `parse_curl_line`, built
//! with `CurlOptions::into_request`, and compared on method, request target (path and query),
//! the headers the user caused (curl's own defaults — `Host`, `User-Agent: curl/…`,
//! `Accept: */*`, a computed `Content-Length` — are left out, since authdoctor adds none of them)
//! and body. Header order is not compared: curlconverter's generator orders them differently
//! from curl itself. Commands outside authdoctor's scope are listed in [`EXPECTED_UNSUPPORTED`]
//! with a reason; the test fails if a listed one starts passing, so the list stays honest.
//! See `tests/fixtures/curl/SOURCE.md` for provenance.

use authdoctor_core::input::InputError;
use authdoctor_core::input::curl::parse_curl_line;
use authdoctor_core::model::{HeaderList, RequestSpec};
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/curl/curlconverter")
}

/// Fixtures that do not match, each with why. Every other fixture must match exactly.
const EXPECTED_UNSUPPORTED: &[(&str, &str)] = &[
    (
        "multiple_urls",
        "uses --upload-file (-T), which authdoctor refuses with a hint",
    ),
    (
        "upload_file",
        "uses --upload-file (-T), refused with a hint",
    ),
    ("put_with_T_option", "uses -T, refused with a hint"),
    (
        "url_query",
        "uses --url-query, refused with a hint (append the parameters to the URL)",
    ),
    (
        "url_query_reads_file",
        "uses --url-query, refused with a hint",
    ),
    (
        "redirect_command_url_query",
        "uses --url-query with stdin, refused with a hint",
    ),
    (
        "read_stdin",
        "-d @- reads stdin; refused (curlconverter renders the literal '@-')",
    ),
    (
        "redirect_command_data",
        "-d @- with a shell redirection from stdin; refused",
    ),
    (
        "redirect_variable_data",
        "-d @- with a shell redirection from stdin; refused",
    ),
    (
        "post_binary_file",
        "--data-binary @./sample.sparql: the file is not part of the corpus (curlconverter renders the literal name), so reading it fails with a File error",
    ),
    (
        "put_with_file",
        "--data @new_file: the file is not part of the corpus, reading it fails with a File error",
    ),
];

#[derive(Debug)]
struct Expected {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Read a raw HTTP/1.1 request as the corpus writes it: request line, headers, blank line, body
/// followed by one newline (the body length comes from `Content-Length` when present).
fn parse_http(text: &str) -> Expected {
    let (head, rest) = text.split_once("\n\n").expect("blank line after headers");
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let mut parts = request_line.splitn(3, ' ');
    let method = parts.next().expect("method").to_string();
    let mut target = parts.next().expect("target").to_string();
    if !target.starts_with('/') {
        // The generator writes `GET ?a=b` for an empty path; curl sends `/?a=b`.
        target.insert(0, '/');
    }
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header colon");
            (n.to_string(), v.trim_start().to_string())
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let body = match length {
        Some(n) if n <= rest.len() => rest.as_bytes()[..n].to_vec(),
        _ => rest.strip_suffix('\n').unwrap_or(rest).as_bytes().to_vec(),
    };
    Expected {
        method,
        target,
        headers,
        body,
    }
}

enum Outcome {
    Pass,
    Mismatch(String),
    Error(InputError),
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    for (n, _) in &mut v {
        *n = n.to_ascii_lowercase();
    }
    v.sort();
    v
}

fn compare(spec: &RequestSpec, want: &Expected) -> Result<(), String> {
    if spec.method != want.method {
        return Err(format!("method {} != {}", spec.method, want.method));
    }
    let url =
        url::Url::parse(spec.url.as_str()).map_err(|e| format!("our URL does not parse: {e}"))?;
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    if target != want.target {
        return Err(format!("target {target} != {}", want.target));
    }
    let body = spec.body.clone().unwrap_or_default();
    if body != want.body {
        return Err(format!(
            "body {:?} != {:?}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(&want.body)
        ));
    }
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    // curl's defaults that authdoctor deliberately leaves to the sender.
    let expected: Vec<(String, String)> = want
        .headers
        .iter()
        .filter(|(n, v)| {
            let ours = spec.headers.has(n);
            let n = n.to_ascii_lowercase();
            let default = match n.as_str() {
                "host" => *v == host,
                "user-agent" => v.starts_with("curl/"),
                "accept" => v == "*/*",
                "content-length" => *v == body.len().to_string(),
                _ => false,
            };
            !default || ours
        })
        .cloned()
        .collect();
    let ours: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    let (ours, expected) = (sorted(ours), sorted(expected));
    if ours != expected {
        return Err(format!(
            "headers\n  ours:     {ours:?}\n  expected: {expected:?}"
        ));
    }
    Ok(())
}

fn run(name: &str) -> Outcome {
    let dir = fixture_dir();
    let line = std::fs::read_to_string(dir.join("curl_commands").join(format!("{name}.sh")))
        .expect("command file");
    let http =
        std::fs::read_to_string(dir.join("http").join(format!("{name}.txt"))).expect("http file");
    let want = parse_http(&http.replace("\r\n", "\n"));
    match parse_curl_line(&line).and_then(|o| o.into_request()) {
        Err(e) => Outcome::Error(e),
        Ok(spec) => match compare(&spec, &want) {
            Ok(()) => Outcome::Pass,
            Err(why) => Outcome::Mismatch(why),
        },
    }
}

fn names(sub: &str, ext: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir().join(sub))
        .expect("fixture dir")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(ext).map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn curlconverter_http_fixtures() {
    let all = names("http", ".txt");
    assert_eq!(all.len(), 64, "the corpus has 64 expected requests");
    let mut failures = Vec::new();
    let (mut passed, mut unsupported) = (0, 0);
    for name in &all {
        let listed = EXPECTED_UNSUPPORTED.iter().find(|(n, _)| n == name);
        match (run(name), listed) {
            (Outcome::Pass, None) => passed += 1,
            (Outcome::Pass, Some(_)) => failures.push(format!(
                "{name}: listed in EXPECTED_UNSUPPORTED but passes now; remove it"
            )),
            (Outcome::Error(e), Some(_)) => {
                unsupported += 1;
                println!("unsupported {name}: {e}");
            }
            (Outcome::Mismatch(why), Some(_)) => {
                unsupported += 1;
                println!("unsupported {name}: mismatch: {why}");
            }
            (Outcome::Error(e), None) => failures.push(format!("{name}: error: {e}")),
            (Outcome::Mismatch(why), None) => failures.push(format!("{name}: {why}")),
        }
    }
    for (n, _) in EXPECTED_UNSUPPORTED {
        assert!(all.contains(&n.to_string()), "{n} is not a fixture");
    }
    println!("curlconverter fixtures: {passed} pass exactly, {unsupported} listed unsupported");
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
    assert_eq!(passed + unsupported, all.len());
}

/// Every command of the corpus, with or without an expected request, gives a request or one
/// clear line of error — never a panic.
#[test]
fn every_curlconverter_command_parses_or_errors_cleanly() {
    for name in names("curl_commands", ".sh") {
        let path = fixture_dir()
            .join("curl_commands")
            .join(format!("{name}.sh"));
        let line = std::fs::read_to_string(path).expect("command file");
        match parse_curl_line(&line).and_then(|o| o.into_request()) {
            Ok(spec) => assert!(!spec.url.as_str().is_empty(), "{name}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(!msg.contains('\n'), "{name}: multi-line error {msg:?}");
                println!("{name}: {msg}");
            }
        }
    }
}

/// The corpus's auth-related commands carry credentials; no error may repeat them.
#[test]
fn errors_do_not_echo_credentials() {
    let secrets = [
        "some_password",
        "ACCESS_TOKEN",
        "000000000000000-0000",
        "USER:PASS",
        "anonymous:anonymous",
    ];
    for name in names("curl_commands", ".sh") {
        let path = fixture_dir()
            .join("curl_commands")
            .join(format!("{name}.sh"));
        let line = std::fs::read_to_string(path).expect("command file");
        if let Err(e) = parse_curl_line(&line).and_then(|o| o.into_request()) {
            let msg = e.to_string();
            for s in secrets {
                assert!(!msg.contains(s), "{name}: error shows a credential: {msg}");
            }
        }
    }
}

mod never_panics {
    //! Whatever is pasted, parsing and building end in a request or an error, never a panic.

    use authdoctor_core::input::curl::parse_curl_line;
    use proptest::prelude::*;

    fn build(line: &str) {
        if let Ok(opts) = parse_curl_line(line) {
            let _ = opts.into_request();
        }
    }

    /// Pieces a curl line is made of, including the awkward ones.
    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("curl".to_string()),
            Just("-H".to_string()),
            Just("-d".to_string()),
            Just("-u".to_string()),
            Just("-X".to_string()),
            Just("-G".to_string()),
            Just("-I".to_string()),
            Just("-sSLk".to_string()),
            Just("-vX".to_string()),
            Just("--json".to_string()),
            Just("--data-urlencode".to_string()),
            Just("--oauth2-bearer".to_string()),
            Just("-b".to_string()),
            Just("-x".to_string()),
            Just("-U".to_string()),
            Just("-m".to_string()),
            Just("--digest".to_string()),
            Just("--no-basic".to_string()),
            Just("--header=".to_string()),
            Just("--next".to_string()),
            Just("http://u:p@h/".to_string()),
            Just("example.com".to_string()),
            Just("'Authorization: Bearer $T'".to_string()),
            Just("$'a\\nb\\x41\\u00e9\\101\\'".to_string()),
            Just("\"a\\\"b\"".to_string()),
            Just("\\\n".to_string()),
            Just("\\\r\n".to_string()),
            Just("^\n".to_string()),
            Just("^\"".to_string()),
            Just("&&".to_string()),
            Just("|".to_string()),
            Just(";".to_string()),
            Just("2>&1".to_string()),
            Just("<<EOF".to_string()),
            Just("$(x".to_string()),
            Just("`".to_string()),
            Just("#".to_string()),
            Just("@-".to_string()),
            Just("@/nonexistent".to_string()),
            "[ -~]{0,12}",
            "\\PC{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            // Integration tests have no lib.rs beside them to persist failures next to.
            failure_persistence: None,
            ..ProptestConfig::with_cases(512)
        })]

        #[test]
        fn arbitrary_strings(line in "\\PC{0,80}") {
            build(&line);
        }

        #[test]
        fn arbitrary_bytes_as_text(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            build(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn curlish_token_sequences(tokens in proptest::collection::vec(token(), 0..14)) {
            build(&tokens.join(" "));
            build(&tokens.concat());
        }
    }
}
