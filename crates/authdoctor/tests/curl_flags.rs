//! `check`'s curl-style flags and a pasted curl line are one language: the same options, the same
//! effect, the same refusals. The flags are generated from core's option table, so `--help`
//! lists exactly its listed rows.

mod support;

use authdoctor_core::input::curl::OPTIONS;
use serde_json::Value;
use support::*;

/// The request part of a JSON report, without how it was given.
fn request_of(run: &Run) -> Value {
    let mut req = run.json()["request"].clone();
    req.as_object_mut()
        .expect("request object")
        .remove("origin");
    req
}

fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

#[test]
fn flags_and_a_pasted_line_send_the_same_request() {
    let url = format!("{}/anything", peer("AUTHDOCTOR_HTTPBIN"));
    let cases: &[&[&str]] = &[
        &[
            "-v",
            "--json",
            "{\"a\":1}",
            "-d",
            "b=2",
            "--data-urlencode",
            "c=d e",
            "-sS",
            "-o",
            "out.json",
            "-r",
            "5",
            "-H",
            "X-Trace: 1",
        ],
        &[
            "-X",
            "PUT",
            "-X",
            "PATCH",
            "--digest",
            "--basic",
            "-u",
            "alice:pw",
            "--http2",
            "--http1.1",
            "--data-raw",
            "@not-a-file",
            "--data-ascii",
            "x=1",
        ],
        &[
            "-G",
            "-d",
            "q=1",
            "-A",
            "ua/1",
            "-e",
            "http://ref.example/",
            "-b",
            "k=v",
            "--compressed",
            "-w",
            "%{http_code}",
            "--retry",
            "2",
        ],
    ];
    for args in cases {
        let common = ["--no-probes", "--no-issuer"];
        let mut flags: Vec<String> = common.iter().map(|s| s.to_string()).collect();
        flags.extend(args.iter().map(|s| s.to_string()));
        flags.push(url.clone());
        let by_flags = check_json(&flags);

        let line = std::iter::once("curl".to_string())
            .chain(args.iter().map(|a| shell_quote(a)))
            .chain([shell_quote(&url)])
            .collect::<Vec<_>>()
            .join(" ");
        let mut pasted: Vec<String> = common.iter().map(|s| s.to_string()).collect();
        pasted.extend(["--curl".to_string(), line]);
        let by_line = check_json(&pasted);

        assert_eq!(
            by_flags.code,
            by_line.code,
            "{args:?}\n{}",
            by_flags.describe()
        );
        assert_eq!(request_of(&by_flags), request_of(&by_line), "{args:?}");
        assert_eq!(by_flags.json()["request"]["origin"]["kind"], "flags");
    }
}

/// A pasted line is the whole request: a curl flag beside it would be silently ignored, so it
/// is refused, naming every flag given (once each).
#[test]
fn flags_beside_a_pasted_line_are_refused_by_name() {
    let run = authdoctor([
        "check",
        "--curl",
        "curl http://127.0.0.1:9/x",
        "-k",
        "-H",
        "A: b",
        "-H",
        "C: d",
        "--compressed",
    ]);
    run.assert_exit(2);
    assert!(
        run.stderr
            .contains("not both (also given: -k -H --compressed)"),
        "{}",
        run.describe()
    );
}

#[test]
fn refused_options_fail_the_same_way_as_flags_and_in_a_line() {
    for (flags, option) in [
        (&["-F", "a=b"][..], "-F"),
        // A flag is named by its short form however it was spelled.
        (&["--upload-file", "f"][..], "-T"),
        (&["-K", "cfg"][..], "-K"),
    ] {
        let mut args = vec!["check"];
        args.extend(flags);
        args.push("http://127.0.0.1:9/");
        let run = authdoctor(&args);
        run.assert_exit(2);
        assert!(
            run.stderr.contains(&format!(
                "curl option {option} is not supported by authdoctor"
            )),
            "{}",
            run.describe()
        );
        let line = format!("curl {} http://127.0.0.1:9/", flags.join(" "));
        let run = authdoctor(["check", "--curl", &line]);
        run.assert_exit(2);
        assert!(
            run.stderr.contains("is not supported by authdoctor"),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn help_lists_the_listed_options_and_hides_the_rest() {
    let run = authdoctor(["check", "--help"]);
    run.assert_exit(0);
    let help = &run.stdout;
    let section = help
        .split_once("curl options:")
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no curl options heading:\n{help}"));
    for o in OPTIONS {
        let long = format!("--{} ", o.long);
        let shown = section.contains(&long) || section.contains(&format!("--{}\n", o.long));
        if o.long == "url" {
            continue; // `check --url` is its own HAR filter, listed under Input.
        }
        assert_eq!(shown, o.help.is_some(), "--{}", o.long);
        if let (Some(help_line), Some(value)) = (o.help, o.value_name) {
            assert!(
                section.contains(&format!("--{} <{value}>", o.long)),
                "--{}",
                o.long
            );
            let first_words: String = help_line.split(' ').take(3).collect::<Vec<_>>().join(" ");
            assert!(section.contains(&first_words), "--{}: {help_line}", o.long);
        }
    }
    assert!(section.contains("-d, --data <DATA>") && section.contains("--data-ascii"));
}
