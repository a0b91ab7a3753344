//! curl's argument syntax, once the shell has split the words: long options as `--opt value` or
//! `--opt=value`, unique abbreviations (`--sil`), `--no-` negations, short options with attached
//! or separate values (`-XPOST`, `-H 'A: b'`) and bundles whose last letter may take a value
//! (`-sSL`, `-vX POST`). Each option found is handed to [`Applier`].

use super::options::{Applier, find_abbreviation, find_long, find_short, unknown};
use crate::input::{CurlOptions, InputError};

/// Parse curl's arguments once the shell has split them (no leading `curl`).
pub fn parse_curl_args<S: AsRef<str>>(args: &[S]) -> Result<CurlOptions, InputError> {
    let mut applier = Applier::default();
    let mut end_of_options = false;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        i += 1;
        if applier.stopped() {
            break;
        }
        if end_of_options || arg == "-" || !arg.starts_with('-') {
            applier.url(arg);
        } else if arg == "--" {
            // Everything after a bare `--` is a URL, as for most getopt-style tools.
            end_of_options = true;
        } else if let Some(long) = arg.strip_prefix("--") {
            let next = args.get(i).map(AsRef::as_ref);
            if long_option(&mut applier, long, next)? {
                i += 1;
            }
        } else {
            let next = args.get(i).map(AsRef::as_ref);
            if short_bundle(&mut applier, &arg[1..], next)? {
                i += 1;
            }
        }
    }
    Ok(applier.finish())
}

/// Handle `--name`, `--name=value` or `--no-name`; returns whether `next` was consumed.
fn long_option(applier: &mut Applier, body: &str, next: Option<&str>) -> Result<bool, InputError> {
    let (name, inline) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (body, None),
    };
    let mut shown = format!("--{name}");
    let spec = match find_long(name) {
        Some(spec) => spec,
        None => {
            if let Some(base) = name.strip_prefix("no-")
                && let Some(spec) = find_long(base)
                && !spec.takes_value()
            {
                if inline.is_some() {
                    return Err(InputError::CurlSyntax(format!("{shown} takes no value")));
                }
                applier.negate(spec, &shown)?;
                return Ok(false);
            }
            let spec = find_abbreviation(name)?;
            shown = format!("--{}", spec.long);
            spec
        }
    };
    if !spec.takes_value() {
        if inline.is_some() {
            return Err(InputError::CurlSyntax(format!("{shown} takes no value")));
        }
        applier.apply(spec, &shown, None)?;
        return Ok(false);
    }
    match inline {
        Some(v) => {
            applier.apply(spec, &shown, Some(v))?;
            Ok(false)
        }
        None => {
            let v = next.ok_or_else(|| InputError::MissingOptionValue(shown.clone()))?;
            applier.apply(spec, &shown, Some(v))?;
            Ok(true)
        }
    }
}

/// `-sSL`, `-XPOST`, `-vX POST`: letters are flags until one takes a value, which is the rest of
/// the word or else the next argument. Returns whether `next` was consumed.
fn short_bundle(
    applier: &mut Applier,
    letters: &str,
    next: Option<&str>,
) -> Result<bool, InputError> {
    for (idx, c) in letters.char_indices() {
        let shown = format!("-{c}");
        let spec = find_short(c).ok_or_else(|| unknown(&shown))?;
        if !spec.takes_value() {
            applier.apply(spec, &shown, None)?;
            continue;
        }
        let rest = &letters[idx + c.len_utf8()..];
        if !rest.is_empty() {
            applier.apply(spec, &shown, Some(rest))?;
            return Ok(false);
        }
        let v = next.ok_or_else(|| InputError::MissingOptionValue(shown.clone()))?;
        applier.apply(spec, &shown, Some(v))?;
        return Ok(true);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use crate::input::curl::parse_curl_line;
    use crate::input::{AuthMethod, CurlOptions, DataArg, DataKind, InputError};
    use crate::model::HttpVersionPref;

    fn parse(line: &str) -> CurlOptions {
        parse_curl_line(line).expect("parses")
    }

    #[test]
    fn option_forms() {
        let o = parse("curl -XPOST -HX-A:\\ 1 --header=X-B:2 --header 'X-C: 3' -H'X-D: 4' u");
        assert_eq!(o.method.as_deref(), Some("POST"));
        assert_eq!(o.headers, vec!["X-A: 1", "X-B:2", "X-C: 3", "X-D: 4"]);
        assert_eq!(o.url.as_deref(), Some("u"));

        let o = parse("curl -sSLk u");
        assert!(o.location && o.insecure);
        assert_eq!(o.ignored, vec!["-s", "-S"]);

        let o = parse("curl -vX PUT u");
        assert_eq!(o.method.as_deref(), Some("PUT"));

        let o = parse("curl -sd a=1 u");
        assert_eq!(
            o.data,
            vec![DataArg {
                kind: DataKind::Ascii,
                value: "a=1".into()
            }]
        );

        let o = parse("curl --sil --max-time=2.5 --connect-timeout 3 u");
        assert_eq!(o.ignored, vec!["--silent"]);
        assert_eq!((o.max_time, o.connect_timeout), (Some(2.5), Some(3.0)));

        let o = parse("curl -L --no-location --location-trusted --no-location-trusted u");
        assert!(!o.location && !o.location_trusted);

        let o = parse("curl -u a:b --no-basic --digest --no-digest u");
        assert_eq!(o.auth_method, AuthMethod::Basic);
        let o = parse("curl -u a:b --ntlm u");
        assert_eq!(o.auth_method, AuthMethod::Ntlm);

        let o = parse("curl --url http://a http://b http://c");
        assert_eq!(o.url.as_deref(), Some("http://a"));
        assert!(o.ignored.iter().any(|n| n.starts_with("2 more URL")));

        let o = parse("curl http://a --next -d x http://b");
        assert_eq!(o.url.as_deref(), Some("http://a"));
        assert!(o.data.is_empty());

        let o =
            parse("curl -o out.json -w '%{http_code}' --retry 3 -c jar --resolve h:443:1.2.3.4 u");
        assert_eq!(o.ignored, vec!["-o", "-w", "--retry", "-c"]);
        // --resolve is honoured now, not ignored.
        assert_eq!(o.resolve, vec!["h:443:1.2.3.4"]);

        let o = parse("curl --socks5 proxy:1080 -r 600 u");
        assert_eq!(o.proxy.as_deref(), Some("socks5://proxy:1080"));
        assert_eq!(o.headers, vec!["Range: bytes=600-"]);

        let o = parse("curl --http2 -I --compressed -G u -- -notaflag");
        assert!(o.head && o.compressed && o.get);
        assert_eq!(o.http_version, HttpVersionPref::Http2);
        assert!(o.ignored.iter().any(|n| n.starts_with("1 more URL")));
    }

    #[test]
    fn data_kinds() {
        let o = parse(
            "curl -d a --data-ascii b --data-raw @c --data-binary d --data-urlencode e --json f u",
        );
        let kinds: Vec<DataKind> = o.data.iter().map(|d| d.kind).collect();
        assert_eq!(
            kinds,
            vec![
                DataKind::Ascii,
                DataKind::Ascii,
                DataKind::Raw,
                DataKind::Binary,
                DataKind::UrlEncode,
                DataKind::Json
            ]
        );
    }

    #[test]
    fn option_errors() {
        let cases: &[(&str, &str)] = &[
            ("curl -F a=b u", "-F"),
            ("curl --form a=b u", "--form"),
            ("curl -T f u", "-T"),
            ("curl --frobnicate u", "--frobnicate"),
            ("curl -Z9 u", "-9"),
            ("curl --proxy-c x u", "--proxy-c"),
            ("curl --url-query a=b u", "--url-query"),
        ];
        for (line, opt) in cases {
            match parse_curl_line(line) {
                Err(InputError::UnsupportedCurlOption { option, .. }) => {
                    assert_eq!(option, *opt, "line: {line}")
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        assert_eq!(
            parse_curl_line("curl u -H"),
            Err(InputError::MissingOptionValue("-H".into()))
        );
        assert_eq!(
            parse_curl_line("curl u --user"),
            Err(InputError::MissingOptionValue("--user".into()))
        );
        assert!(matches!(
            parse_curl_line("curl u --silent=yes"),
            Err(InputError::CurlSyntax(_))
        ));
        // The timeout message names the option, not the value.
        let err = parse_curl_line("curl u -m s3cr3t").expect_err("bad number");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }

    #[test]
    fn secret_values_not_in_ignored() {
        let o = parse("curl --pass hunter2 --proxy-header 'Proxy-Authorization: Basic eA==' u");
        assert_eq!(o.ignored, vec!["--pass", "--proxy-header"]);
    }
}
