//! Parse a pasted curl command line into [`CurlOptions`], in two stages.
//!
//! First the shell: a line copied from a terminal, a README or a browser's "Copy as cURL" is bash
//! (or, for Chrome's "Copy as cURL (cmd)", Windows `cmd`), not a plain word list. [`shlex`] splits
//! POSIX words, and a small scanner in front of it handles what shlex cannot: `\`-newline
//! continuations (also with CRLF), bash ANSI-C `$'…'` strings, `$(…)` and backticks kept as
//! literal words, `#` comments, and the shell operators. Of several commands (`&&`, `;`, `|`,
//! newlines) the first one that runs `curl` is used and the rest is reported in a note; shell
//! redirections (`< file`, `2>&1`, heredocs) are dropped with a note. `$VAR` is never expanded:
//! an unexpanded placeholder is evidence for the credential-formatting diagnosis.
//!
//! Then curl's own option syntax: long options as `--opt value` or `--opt=value`, unique
//! abbreviations (`--sil`), `--no-` negations, short options with attached or separate values
//! (`-XPOST`, `-H 'A: b'`) and bundles whose last letter may take a value (`-sSL`, `-vX POST`).
//! Harmless output/retry/TLS-tuning flags are accepted and listed in [`CurlOptions::ignored`];
//! options that change the request in ways authdoctor cannot reproduce (`-F`, `-T`, `-K`, …) and
//! unknown options are an [`InputError::UnsupportedCurlOption`]. Of several URLs the first is
//! used and the others are noted, as with `--next`.
//!
//! Error messages name options and never echo option values, which may be credentials.

use super::{AuthMethod, CurlOptions, DataArg, DataKind, InputError};
use crate::model::HttpVersionPref;

/// Parse a whole curl command line (starting with `curl` or `curl.exe`, or just its arguments).
pub fn parse_curl_line(line: &str) -> Result<CurlOptions, InputError> {
    let words = shell_words(line)?;
    let mut opts = parse_curl_args(&words.args)?;
    opts.ignored.extend(words.notes);
    Ok(opts)
}

/// Parse curl's arguments once the shell has split them (no leading `curl`).
pub fn parse_curl_args<S: AsRef<str>>(args: &[S]) -> Result<CurlOptions, InputError> {
    let mut parser = ArgParser::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_ref();
        i += 1;
        if parser.stopped {
            break;
        }
        if parser.end_of_options || arg == "-" || !arg.starts_with('-') {
            parser.positional(arg);
        } else if arg == "--" {
            // Everything after a bare `--` is a URL, as for most getopt-style tools.
            parser.end_of_options = true;
        } else if let Some(long) = arg.strip_prefix("--") {
            let next = args.get(i).map(AsRef::as_ref);
            if parser.long(long, next)? {
                i += 1;
            }
        } else {
            let next = args.get(i).map(AsRef::as_ref);
            if parser.short_bundle(&arg[1..], next)? {
                i += 1;
            }
        }
    }
    Ok(parser.finish())
}

// ---------------------------------------------------------------------------------------------
// curl options
// ---------------------------------------------------------------------------------------------

/// What an option does to [`CurlOptions`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Act {
    Method,
    Header,
    Data(DataKind),
    User,
    Auth(AuthMethod),
    Bearer,
    UserAgent,
    Referer,
    Cookie,
    Proxy,
    /// `--socks5 HOST` and friends: a proxy whose scheme the option names.
    ProxyScheme(&'static str),
    ProxyUser,
    NoProxy,
    /// `--resolve HOST:PORT:ADDR`: honoured by the sender (or refused before sending).
    Resolve,
    /// `--connect-to HOST1:PORT1:HOST2:PORT2`: likewise.
    ConnectTo,
    CaCert,
    Cert,
    Key,
    Insecure,
    ConnectTimeout,
    MaxTime,
    Location,
    LocationTrusted,
    Get,
    Head,
    Url,
    AwsSigv4,
    Http(HttpVersionPref),
    Compressed,
    /// `-r/--range`: becomes a `Range` header, which is what curl sends for HTTP.
    Range,
    /// `-:/--next`: a second request follows; authdoctor diagnoses the first.
    Next,
    /// No effect on the request: recorded by name only (its value could be a secret).
    Ignore,
    /// Changes the request in a way authdoctor cannot reproduce; the text is the hint.
    Unsupported(&'static str),
}

struct OptSpec {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    act: Act,
}

const fn flag(long: &'static str, short: Option<char>, act: Act) -> OptSpec {
    OptSpec {
        long,
        short,
        takes_value: false,
        act,
    }
}

const fn val(long: &'static str, short: Option<char>, act: Act) -> OptSpec {
    OptSpec {
        long,
        short,
        takes_value: true,
        act,
    }
}

const FORM_HINT: &str =
    ": multipart form bodies are not built; send the fields with -d, or diagnose from a HAR";
const UPLOAD_HINT: &str = ": uploads are not supported; use --data-binary @FILE instead";

/// curl's options as far as authdoctor knows them. Anything else is reported as unsupported
/// rather than guessed at, because guessing wrong about whether an option takes a value would
/// silently shift every later argument.
#[rustfmt::skip]
const OPTIONS: &[OptSpec] = &[
    val("request", Some('X'), Act::Method),
    val("header", Some('H'), Act::Header),
    val("data", Some('d'), Act::Data(DataKind::Ascii)),
    val("data-ascii", None, Act::Data(DataKind::Ascii)),
    val("data-raw", None, Act::Data(DataKind::Raw)),
    val("data-binary", None, Act::Data(DataKind::Binary)),
    val("data-urlencode", None, Act::Data(DataKind::UrlEncode)),
    val("json", None, Act::Data(DataKind::Json)),
    val("user", Some('u'), Act::User),
    flag("basic", None, Act::Auth(AuthMethod::Basic)),
    flag("digest", None, Act::Auth(AuthMethod::Digest)),
    flag("ntlm", None, Act::Auth(AuthMethod::Ntlm)),
    flag("ntlm-wb", None, Act::Auth(AuthMethod::Ntlm)),
    flag("negotiate", None, Act::Auth(AuthMethod::Negotiate)),
    flag("anyauth", None, Act::Auth(AuthMethod::Any)),
    val("oauth2-bearer", None, Act::Bearer),
    val("user-agent", Some('A'), Act::UserAgent),
    val("referer", Some('e'), Act::Referer),
    val("cookie", Some('b'), Act::Cookie),
    val("proxy", Some('x'), Act::Proxy),
    val("socks4", None, Act::ProxyScheme("socks4://")),
    val("socks4a", None, Act::ProxyScheme("socks4a://")),
    val("socks5", None, Act::ProxyScheme("socks5://")),
    val("socks5-hostname", None, Act::ProxyScheme("socks5h://")),
    val("proxy1.0", None, Act::ProxyScheme("http://")),
    val("proxy-user", Some('U'), Act::ProxyUser),
    val("noproxy", None, Act::NoProxy),
    val("cacert", None, Act::CaCert),
    val("cert", Some('E'), Act::Cert),
    val("key", None, Act::Key),
    flag("insecure", Some('k'), Act::Insecure),
    val("connect-timeout", None, Act::ConnectTimeout),
    val("max-time", Some('m'), Act::MaxTime),
    flag("location", Some('L'), Act::Location),
    flag("location-trusted", None, Act::LocationTrusted),
    flag("get", Some('G'), Act::Get),
    flag("head", Some('I'), Act::Head),
    val("url", None, Act::Url),
    val("aws-sigv4", None, Act::AwsSigv4),
    flag("http1.0", Some('0'), Act::Http(HttpVersionPref::Http1)),
    flag("http1.1", None, Act::Http(HttpVersionPref::Http1)),
    flag("http2", None, Act::Http(HttpVersionPref::Http2)),
    flag("http2-prior-knowledge", None, Act::Http(HttpVersionPref::Http2),),
    flag("compressed", None, Act::Compressed),
    val("range", Some('r'), Act::Range),
    flag("next", Some(':'), Act::Next),
    // Output, progress, retry and connection tuning: no effect on what the server sees.
    flag("silent", Some('s'), Act::Ignore),
    flag("show-error", Some('S'), Act::Ignore),
    flag("verbose", Some('v'), Act::Ignore),
    flag("include", Some('i'), Act::Ignore),
    flag("remote-name", Some('O'), Act::Ignore),
    flag("remote-name-all", None, Act::Ignore),
    flag("remote-header-name", Some('J'), Act::Ignore),
    flag("remote-time", Some('R'), Act::Ignore),
    flag("fail", Some('f'), Act::Ignore),
    flag("fail-with-body", None, Act::Ignore),
    flag("fail-early", None, Act::Ignore),
    flag("progress-bar", Some('#'), Act::Ignore),
    flag("no-progress-meter", None, Act::Ignore),
    flag("buffer", None, Act::Ignore),
    flag("no-buffer", Some('N'), Act::Ignore),
    flag("raw", None, Act::Ignore),
    flag("tr-encoding", None, Act::Ignore),
    flag("path-as-is", None, Act::Ignore),
    flag("globoff", Some('g'), Act::Ignore),
    flag("ipv4", Some('4'), Act::Ignore),
    flag("ipv6", Some('6'), Act::Ignore),
    flag("tlsv1", Some('1'), Act::Ignore),
    flag("tlsv1.0", None, Act::Ignore),
    flag("tlsv1.1", None, Act::Ignore),
    flag("tlsv1.2", None, Act::Ignore),
    flag("tlsv1.3", None, Act::Ignore),
    flag("sslv2", Some('2'), Act::Ignore),
    flag("sslv3", Some('3'), Act::Ignore),
    flag("http3", None, Act::Ignore),
    flag("http3-only", None, Act::Ignore),
    flag("http0.9", None, Act::Ignore),
    flag("netrc", Some('n'), Act::Ignore),
    flag("netrc-optional", None, Act::Ignore),
    flag("junk-session-cookies", Some('j'), Act::Ignore),
    flag("list-only", Some('l'), Act::Ignore),
    flag("use-ascii", Some('B'), Act::Ignore),
    flag("append", Some('a'), Act::Ignore),
    flag("create-dirs", None, Act::Ignore),
    flag("styled-output", None, Act::Ignore),
    flag("proxytunnel", Some('p'), Act::Ignore),
    flag("proxy-insecure", None, Act::Ignore),
    flag("proxy-basic", None, Act::Ignore),
    flag("proxy-digest", None, Act::Ignore),
    flag("proxy-ntlm", None, Act::Ignore),
    flag("proxy-negotiate", None, Act::Ignore),
    flag("proxy-anyauth", None, Act::Ignore),
    flag("ssl", None, Act::Ignore),
    flag("ssl-reqd", None, Act::Ignore),
    flag("ssl-no-revoke", None, Act::Ignore),
    flag("ssl-revoke-best-effort", None, Act::Ignore),
    flag("ssl-allow-beast", None, Act::Ignore),
    flag("cert-status", None, Act::Ignore),
    flag("false-start", None, Act::Ignore),
    flag("tcp-nodelay", None, Act::Ignore),
    flag("tcp-fastopen", None, Act::Ignore),
    flag("keepalive", None, Act::Ignore),
    flag("sessionid", None, Act::Ignore),
    flag("alpn", None, Act::Ignore),
    flag("npn", None, Act::Ignore),
    flag("post301", None, Act::Ignore),
    flag("post302", None, Act::Ignore),
    flag("post303", None, Act::Ignore),
    flag("disable", Some('q'), Act::Ignore),
    flag("xattr", None, Act::Ignore),
    flag("ignore-content-length", None, Act::Ignore),
    flag("disallow-username-in-url", None, Act::Ignore),
    flag("haproxy-protocol", None, Act::Ignore),
    flag("suppress-connect-headers", None, Act::Ignore),
    flag("parallel", Some('Z'), Act::Ignore),
    flag("parallel-immediate", None, Act::Ignore),
    flag("trace-time", None, Act::Ignore),
    flag("retry-connrefused", None, Act::Ignore),
    flag("retry-all-errors", None, Act::Ignore),
    flag("doh-insecure", None, Act::Ignore),
    flag("sasl-ir", None, Act::Ignore),
    flag("manual", Some('M'), Act::Ignore),
    flag("version", Some('V'), Act::Ignore),
    flag("crlf", None, Act::Ignore),
    val("output", Some('o'), Act::Ignore),
    val("output-dir", None, Act::Ignore),
    val("write-out", Some('w'), Act::Ignore),
    val("retry", None, Act::Ignore),
    val("retry-delay", None, Act::Ignore),
    val("retry-max-time", None, Act::Ignore),
    val("max-redirs", None, Act::Ignore),
    val("cookie-jar", Some('c'), Act::Ignore),
    val("dump-header", Some('D'), Act::Ignore),
    val("trace", None, Act::Ignore),
    val("trace-ascii", None, Act::Ignore),
    val("trace-config", None, Act::Ignore),
    val("stderr", None, Act::Ignore),
    val("limit-rate", None, Act::Ignore),
    val("speed-limit", Some('Y'), Act::Ignore),
    val("speed-time", Some('y'), Act::Ignore),
    val("max-filesize", None, Act::Ignore),
    val("keepalive-time", None, Act::Ignore),
    val("interface", None, Act::Ignore),
    val("local-port", None, Act::Ignore),
    val("dns-servers", None, Act::Ignore),
    val("dns-interface", None, Act::Ignore),
    val("dns-ipv4-addr", None, Act::Ignore),
    val("dns-ipv6-addr", None, Act::Ignore),
    val("doh-url", None, Act::Ignore),
    val("continue-at", Some('C'), Act::Ignore),
    val("time-cond", Some('z'), Act::Ignore),
    val("capath", None, Act::Ignore),
    val("cert-type", None, Act::Ignore),
    val("key-type", None, Act::Ignore),
    val("pass", None, Act::Ignore),
    val("pinnedpubkey", None, Act::Ignore),
    val("crlfile", None, Act::Ignore),
    val("ciphers", None, Act::Ignore),
    val("tls13-ciphers", None, Act::Ignore),
    val("curves", None, Act::Ignore),
    val("tls-max", None, Act::Ignore),
    val("proxy-cacert", None, Act::Ignore),
    val("proxy-capath", None, Act::Ignore),
    val("proxy-cert", None, Act::Ignore),
    val("proxy-cert-type", None, Act::Ignore),
    val("proxy-key", None, Act::Ignore),
    val("proxy-key-type", None, Act::Ignore),
    val("proxy-pass", None, Act::Ignore),
    val("proxy-ciphers", None, Act::Ignore),
    val("proxy-crlfile", None, Act::Ignore),
    val("proxy-header", None, Act::Ignore),
    val("preproxy", None, Act::Ignore),
    val("delegation", None, Act::Ignore),
    val("service-name", None, Act::Ignore),
    val("proxy-service-name", None, Act::Ignore),
    val("sasl-authzid", None, Act::Ignore),
    val("login-options", None, Act::Ignore),
    val("netrc-file", None, Act::Ignore),
    val("engine", None, Act::Ignore),
    val("happy-eyeballs-timeout-ms", None, Act::Ignore),
    val("expect100-timeout", None, Act::Ignore),
    val("parallel-max", None, Act::Ignore),
    val("rate", None, Act::Ignore),
    val("etag-save", None, Act::Ignore),
    val("etag-compare", None, Act::Ignore),
    val("hsts", None, Act::Ignore),
    val("alt-svc", None, Act::Ignore),
    val("proto", None, Act::Ignore),
    val("proto-redir", None, Act::Ignore),
    val("proto-default", None, Act::Ignore),
    val("ftp-port", Some('P'), Act::Ignore),
    val("telnet-option", Some('t'), Act::Ignore),
    val("resolve", None, Act::Resolve),
    val("connect-to", None, Act::ConnectTo),
    // Options whose effect authdoctor cannot reproduce: refuse clearly instead of sending a
    // different request than the user's.
    val("form", Some('F'), Act::Unsupported(FORM_HINT)),
    val("form-string", None, Act::Unsupported(FORM_HINT)),
    val("upload-file", Some('T'), Act::Unsupported(UPLOAD_HINT)),
    val("config", Some('K'), Act::Unsupported(": paste the options from the config file into the command line")),
    val("url-query", None, Act::Unsupported(": append the parameters to the URL instead")),
    val("request-target", None, Act::Unsupported(": put the target path in the URL instead")),
    val("variable", None, Act::Unsupported(": expand the variables before pasting the command")),
    val("unix-socket", None, Act::Unsupported(": authdoctor connects over TCP only")),
    val("abstract-unix-socket", None, Act::Unsupported(": authdoctor connects over TCP only")),
    val("quote", Some('Q'), Act::Unsupported(": FTP commands have no HTTP meaning")),
];

fn find_long(name: &str) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|o| o.long == name)
}

fn find_short(c: char) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|o| o.short == Some(c))
}

fn unknown(option: &str) -> InputError {
    InputError::UnsupportedCurlOption {
        option: option.to_string(),
        hint: ": not a curl option authdoctor knows (check the spelling)".to_string(),
    }
}

/// Accumulates [`CurlOptions`] while walking the arguments.
#[derive(Default)]
struct ArgParser {
    opts: CurlOptions,
    /// URLs after the first, counted for the note.
    extra_urls: usize,
    /// After `--next`, later arguments describe another request.
    stopped: bool,
    end_of_options: bool,
}

impl ArgParser {
    fn positional(&mut self, arg: &str) {
        if self.opts.url.is_none() {
            self.opts.url = Some(arg.to_string());
        } else {
            self.extra_urls += 1;
        }
    }

    /// Handle `--name`, `--name=value` or `--no-name`; returns whether `next` was consumed.
    fn long(&mut self, body: &str, next: Option<&str>) -> Result<bool, InputError> {
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
                    && !spec.takes_value
                {
                    if inline.is_some() {
                        return Err(InputError::CurlSyntax(format!("{shown} takes no value")));
                    }
                    self.negate(spec, &shown)?;
                    return Ok(false);
                }
                let spec = self.abbreviation(name)?;
                shown = format!("--{}", spec.long);
                spec
            }
        };
        if spec.takes_value {
            match inline {
                Some(v) => {
                    self.apply(spec, &shown, Some(v))?;
                    Ok(false)
                }
                None => {
                    let v = next.ok_or_else(|| InputError::MissingOptionValue(shown.clone()))?;
                    self.apply(spec, &shown, Some(v))?;
                    Ok(true)
                }
            }
        } else {
            if inline.is_some() {
                return Err(InputError::CurlSyntax(format!("{shown} takes no value")));
            }
            self.apply(spec, &shown, None)?;
            Ok(false)
        }
    }

    /// curl accepts any unambiguous prefix of a long option (`--sil` for `--silent`).
    fn abbreviation(&self, name: &str) -> Result<&'static OptSpec, InputError> {
        let shown = format!("--{name}");
        if name.is_empty() {
            return Err(unknown(&shown));
        }
        let mut matches = OPTIONS.iter().filter(|o| o.long.starts_with(name));
        match (matches.next(), matches.next()) {
            (Some(spec), None) => Ok(spec),
            (Some(_), Some(_)) => Err(InputError::UnsupportedCurlOption {
                option: shown,
                hint: ": ambiguous abbreviation, spell the option out".to_string(),
            }),
            _ => Err(unknown(&shown)),
        }
    }

    /// `-sSL`, `-XPOST`, `-vX POST`: letters are flags until one takes a value, which is the
    /// rest of the word or else the next argument. Returns whether `next` was consumed.
    fn short_bundle(&mut self, letters: &str, next: Option<&str>) -> Result<bool, InputError> {
        for (idx, c) in letters.char_indices() {
            let shown = format!("-{c}");
            let spec = find_short(c).ok_or_else(|| unknown(&shown))?;
            if !spec.takes_value {
                self.apply(spec, &shown, None)?;
                continue;
            }
            let rest = &letters[idx + c.len_utf8()..];
            if !rest.is_empty() {
                self.apply(spec, &shown, Some(rest))?;
                return Ok(false);
            }
            let v = next.ok_or_else(|| InputError::MissingOptionValue(shown.clone()))?;
            self.apply(spec, &shown, Some(v))?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `--no-location`, `--no-basic`, …: undo a boolean option.
    fn negate(&mut self, spec: &OptSpec, shown: &str) -> Result<(), InputError> {
        let o = &mut self.opts;
        match spec.act {
            Act::Insecure => o.insecure = false,
            Act::Location => o.location = false,
            Act::LocationTrusted => o.location_trusted = false,
            Act::Get => o.get = false,
            Act::Head => o.head = false,
            Act::Compressed => o.compressed = false,
            Act::Http(_) => o.http_version = HttpVersionPref::Any,
            // curl keeps a set of allowed methods; with one slot, turning the chosen one off
            // falls back to the default, and turning off an unchosen one changes nothing.
            Act::Auth(m) => {
                if o.auth_method == m {
                    o.auth_method = AuthMethod::Basic;
                }
            }
            Act::Ignore | Act::Next => o.ignored.push(shown.to_string()),
            Act::Unsupported(hint) => {
                return Err(InputError::UnsupportedCurlOption {
                    option: shown.to_string(),
                    hint: hint.to_string(),
                });
            }
            _ => return Err(unknown(shown)),
        }
        Ok(())
    }

    fn apply(
        &mut self,
        spec: &OptSpec,
        shown: &str,
        value: Option<&str>,
    ) -> Result<(), InputError> {
        let o = &mut self.opts;
        let v = value.unwrap_or_default().to_string();
        match spec.act {
            Act::Method => o.method = Some(v),
            Act::Header => o.headers.push(v),
            Act::Data(kind) => o.data.push(DataArg { kind, value: v }),
            Act::User => o.user = Some(v),
            Act::Auth(m) => o.auth_method = m,
            Act::Bearer => o.oauth2_bearer = Some(v),
            Act::UserAgent => o.user_agent = Some(v),
            Act::Referer => o.referer = Some(v),
            Act::Cookie => o.cookies.push(v),
            Act::Proxy => o.proxy = Some(v),
            Act::ProxyScheme(scheme) => {
                o.proxy = Some(if v.contains("://") {
                    v
                } else {
                    format!("{scheme}{v}")
                })
            }
            Act::ProxyUser => o.proxy_user = Some(v),
            Act::NoProxy => o.noproxy = Some(v),
            Act::Resolve => o.resolve.push(v),
            Act::ConnectTo => o.connect_to.push(v),
            Act::CaCert => o.cacert = Some(v),
            Act::Cert => o.cert = Some(v),
            Act::Key => o.key = Some(v),
            Act::Insecure => o.insecure = true,
            Act::ConnectTimeout => o.connect_timeout = Some(seconds(shown, &v)?),
            Act::MaxTime => o.max_time = Some(seconds(shown, &v)?),
            Act::Location => o.location = true,
            Act::LocationTrusted => o.location_trusted = true,
            Act::Get => o.get = true,
            Act::Head => o.head = true,
            Act::Url => {
                // `--url` counts like a positional URL: the first one is the request.
                self.positional(&v);
            }
            Act::AwsSigv4 => o.aws_sigv4 = Some(v),
            Act::Http(pref) => o.http_version = pref,
            Act::Compressed => o.compressed = true,
            Act::Range => o.headers.push(range_header(&v)),
            Act::Next => {
                o.ignored
                    .push("--next: only the first of several requests is diagnosed".to_string());
                self.stopped = true;
            }
            Act::Ignore => o.ignored.push(shown.to_string()),
            Act::Unsupported(hint) => {
                return Err(InputError::UnsupportedCurlOption {
                    option: shown.to_string(),
                    hint: hint.to_string(),
                });
            }
        }
        Ok(())
    }

    fn finish(mut self) -> CurlOptions {
        if self.extra_urls > 0 {
            self.opts.ignored.push(format!(
                "{} more URL(s) after the first were ignored: only the first request is diagnosed",
                self.extra_urls
            ));
        }
        self.opts
    }
}

/// curl's `--max-time 6.72`: seconds, fractions allowed. The value is a number, but the message
/// still leaves it out to keep one rule for every option.
fn seconds(option: &str, value: &str) -> Result<f64, InputError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| {
            InputError::CurlSyntax(format!("{option} expects a non-negative number of seconds"))
        })
}

/// curl sends `-r 600` as `Range: bytes=600-`: a range without a dash is an offset.
fn range_header(value: &str) -> String {
    if value.chars().all(|c| c.is_ascii_digit()) && !value.is_empty() {
        format!("Range: bytes={value}-")
    } else {
        format!("Range: bytes={value}")
    }
}

// ---------------------------------------------------------------------------------------------
// The shell
// ---------------------------------------------------------------------------------------------

/// curl's arguments as the shell would hand them over, plus what the shell stage dropped.
#[derive(Debug, Default, PartialEq)]
struct Words {
    args: Vec<String>,
    notes: Vec<String>,
}

fn shell_words(line: &str) -> Result<Words, InputError> {
    // A paste from Windows carries CRLF; treating it as LF makes `\`+CRLF a continuation too.
    let text = line.replace("\r\n", "\n");
    if looks_like_cmd(&text) {
        return cmd_words(&text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let mut fallback: Option<Vec<String>> = None;
    let mut notes = Vec::new();
    while pos < chars.len() {
        let scanned = match scan_command(&chars, pos) {
            Ok(s) => s,
            // A broken later command does not matter once a first one exists.
            Err(_) if fallback.is_some() => break,
            Err(e) => return Err(e),
        };
        pos = scanned.end;
        let words = shlex::split(&scanned.text).ok_or_else(|| {
            InputError::CurlSyntax("unbalanced quotes or a trailing backslash".to_string())
        })?;
        if words.is_empty() {
            continue;
        }
        if let Some(args) = after_curl(&words) {
            notes.extend(scanned.notes);
            let rest: String = chars[pos..].iter().collect();
            if rest_has_command(&rest) {
                let sep = scanned.separator.unwrap_or("a newline");
                notes.push(format!(
                    "only the first curl command was used; what followed {sep} was ignored"
                ));
            }
            return Ok(Words {
                args: args.to_vec(),
                notes,
            });
        }
        if fallback.is_none() {
            fallback = Some(words);
            notes = scanned.notes;
        }
    }
    // No `curl` anywhere: the input is curl's arguments alone.
    match fallback {
        Some(args) => Ok(Words { args, notes }),
        None => Err(InputError::MissingUrl),
    }
}

/// Does anything but blanks and comments follow?
fn rest_has_command(rest: &str) -> bool {
    rest.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// The arguments after `curl`, skipping what commonly precedes it on a line: environment
/// assignments (`TOKEN=x curl …`) and wrappers (`sudo`, `time`, …).
fn after_curl(words: &[String]) -> Option<&[String]> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if is_curl_program(w) {
            return Some(&words[i + 1..]);
        }
        let is_assignment = w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        });
        let is_wrapper = matches!(w, "sudo" | "time" | "command" | "exec" | "nohup" | "env");
        if !(is_assignment || is_wrapper) {
            return None;
        }
        i += 1;
    }
    None
}

fn is_curl_program(word: &str) -> bool {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base == "curl" || base.eq_ignore_ascii_case("curl.exe")
}

/// One command of the input, rewritten into text that [`shlex::split`] reads correctly.
struct Scanned {
    text: String,
    /// Index just after the command's separator.
    end: usize,
    /// The operator that ended the command, for the note.
    separator: Option<&'static str>,
    notes: Vec<String>,
}

fn unterminated(what: &str) -> InputError {
    InputError::CurlSyntax(format!("unterminated {what}"))
}

/// Scan one command starting at `start`: copy it for shlex, converting `$'…'` and protecting
/// `$(…)`/backticks, and stop at the first unquoted command separator.
fn scan_command(chars: &[char], start: usize) -> Result<Scanned, InputError> {
    let mut out = String::new();
    let mut notes: Vec<String> = Vec::new();
    let mut i = start;
    // Byte offset in `out` where the current word began, or None between words.
    let mut word_start: Option<usize> = None;
    let begin_word = |out: &String, ws: &mut Option<usize>| {
        if ws.is_none() {
            *ws = Some(out.len());
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => match next {
                Some('\n') => i += 2,
                Some(n) => {
                    begin_word(&out, &mut word_start);
                    out.push('\\');
                    out.push(n);
                    i += 2;
                }
                // A dangling backslash at the very end is a copy-paste leftover.
                None => i += 1,
            },
            '\'' => {
                begin_word(&out, &mut word_start);
                let close =
                    find_from(chars, i + 1, '\'').ok_or_else(|| unterminated("'…' quote"))?;
                out.extend(&chars[i..=close]);
                i = close + 1;
            }
            '"' => {
                begin_word(&out, &mut word_start);
                let close = double_quote_end(chars, i + 1)?;
                out.extend(&chars[i..=close]);
                i = close + 1;
            }
            '$' if next == Some('\'') => {
                begin_word(&out, &mut word_start);
                let (decoded, after) = ansi_c_string(chars, i + 2)?;
                out.push_str(&single_quoted(&decoded));
                i = after;
            }
            // `$"…"` is a locale-translated string: without a translation, plain double quotes.
            '$' if next == Some('"') => i += 1,
            '$' if next == Some('(') || next == Some('{') => {
                begin_word(&out, &mut word_start);
                let (open, close_ch) = if next == Some('(') {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                let end = matching_close(chars, i + 1, open, close_ch)
                    .ok_or_else(|| unterminated("$( or ${"))?;
                let literal: String = chars[i..=end].iter().collect();
                out.push_str(&single_quoted(&literal));
                i = end + 1;
            }
            '`' => {
                begin_word(&out, &mut word_start);
                let close = find_from(chars, i + 1, '`').ok_or_else(|| unterminated("`…`"))?;
                let literal: String = chars[i..=close].iter().collect();
                out.push_str(&single_quoted(&literal));
                i = close + 1;
            }
            '#' if word_start.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\n' => {
                return Ok(Scanned {
                    text: out,
                    end: i + 1,
                    separator: Some("a newline"),
                    notes,
                });
            }
            ';' | '&' | '|' if !(c == '&' && next == Some('>')) => {
                let (sep, len): (&'static str, usize) = match (c, next) {
                    ('&', Some('&')) => ("`&&`", 2),
                    ('|', Some('|')) => ("`||`", 2),
                    ('|', Some('&')) => ("`|&`", 2),
                    (';', _) => ("`;`", 1),
                    ('&', _) => ("`&`", 1),
                    _ => ("`|`", 1),
                };
                return Ok(Scanned {
                    text: out,
                    end: i + len,
                    separator: Some(sep),
                    notes,
                });
            }
            '<' | '>' | '&' => {
                // `2>&1`: a word of digits right before the operator is its file descriptor.
                if let Some(ws) = word_start
                    && out[ws..].chars().all(|d| d.is_ascii_digit())
                {
                    out.truncate(ws);
                }
                word_start = None;
                out.push(' ');
                i = skip_redirection(chars, i)?;
                let note = "shell redirections (<, >, heredocs) were ignored".to_string();
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            ' ' | '\t' | '\r' => {
                out.push(' ');
                word_start = None;
                i += 1;
            }
            _ => {
                begin_word(&out, &mut word_start);
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Scanned {
        text: out,
        end: chars.len(),
        separator: None,
        notes,
    })
}

fn find_from(chars: &[char], from: usize, target: char) -> Option<usize> {
    chars
        .get(from..)?
        .iter()
        .position(|&c| c == target)
        .map(|p| p + from)
}

/// Index of the `"` closing a double-quoted string whose content starts at `from`; inside,
/// a backslash escapes the next character.
fn double_quote_end(chars: &[char], from: usize) -> Result<usize, InputError> {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Ok(i),
            _ => i += 1,
        }
    }
    Err(unterminated("\"…\" quote"))
}

/// Index of the bracket closing the one at `open_at`, counting nesting and skipping quotes.
fn matching_close(chars: &[char], open_at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open_at;
    while i < chars.len() {
        let c = chars[i];
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        } else if c == '\'' {
            i = find_from(chars, i + 1, '\'')?;
        } else if c == '"' {
            i = double_quote_end(chars, i + 1).ok()?;
        } else if c == '\\' {
            i += 1;
        }
        i += 1;
    }
    None
}

/// Skip a redirection operator at `i` (`<`, `>>`, `2>&1`, `<<EOF`, `<<<`, `&>` …) and its
/// target word; returns the index after it. Heredoc bodies sit on the following lines, which
/// belong to no command authdoctor uses.
fn skip_redirection(chars: &[char], mut i: usize) -> Result<usize, InputError> {
    let mut dup = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '<' | '>' | '|' | '-' => i += 1,
            '&' => {
                dup = true;
                i += 1;
            }
            _ => break,
        }
    }
    // `>&2`, `<&-`: the target is a descriptor already consumed with the operator or a digit.
    if dup {
        while chars
            .get(i)
            .is_some_and(|c| c.is_ascii_digit() || *c == '-')
        {
            i += 1;
        }
        if chars.get(i).is_none_or(|c| c.is_whitespace()) {
            return Ok(i);
        }
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    // The target word: quote-aware, ending at a blank or an operator.
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' => break,
            '\'' => i = find_from(chars, i + 1, '\'').ok_or_else(|| unterminated("'…' quote"))? + 1,
            '"' => i = double_quote_end(chars, i + 1)? + 1,
            '`' => i = find_from(chars, i + 1, '`').ok_or_else(|| unterminated("`…`"))? + 1,
            '$' if chars.get(i + 1) == Some(&'\'') => i = ansi_c_string(chars, i + 2)?.1,
            '\\' => i += 2,
            _ => i += 1,
        }
    }
    Ok(i.min(chars.len()))
}

/// Quote `s` so shlex yields it back verbatim as (part of) one word.
fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Decode a bash `$'…'` string whose content starts at `from`; returns the text and the index
/// after the closing quote. `\xHH` and octal escapes give bytes, so the text is assembled as
/// bytes and read as UTF-8 (lossily) at the end; a NUL ends the string, as in bash.
fn ansi_c_string(chars: &[char], from: usize) -> Result<(String, usize), InputError> {
    let mut bytes: Vec<u8> = Vec::new();
    let mut i = from;
    let push_char = |bytes: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(unterminated("$'…' quote"));
        };
        i += 1;
        if c == '\'' {
            break;
        }
        if c != '\\' {
            push_char(&mut bytes, c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            return Err(unterminated("$'…' quote"));
        };
        i += 1;
        match e {
            'n' => bytes.push(b'\n'),
            't' => bytes.push(b'\t'),
            'r' => bytes.push(b'\r'),
            'a' => bytes.push(0x07),
            'b' => bytes.push(0x08),
            'e' | 'E' => bytes.push(0x1b),
            'f' => bytes.push(0x0c),
            'v' => bytes.push(0x0b),
            '\\' | '\'' | '"' | '?' => push_char(&mut bytes, e),
            '0'..='7' => {
                let (v, used) = digits_value(chars, i - 1, 8, 3);
                i += used - 1;
                bytes.push((v & 0xff) as u8);
            }
            'x' => {
                let (v, used) = digits_value(chars, i, 16, 2);
                if used == 0 {
                    bytes.extend_from_slice(b"\\x");
                } else {
                    bytes.push(v as u8);
                    i += used;
                }
            }
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                let (v, used) = digits_value(chars, i, 16, max);
                if used == 0 {
                    push_char(&mut bytes, '\\');
                    push_char(&mut bytes, e);
                } else {
                    push_char(&mut bytes, char::from_u32(v).unwrap_or('\u{fffd}'));
                    i += used;
                }
            }
            'c' => {
                // `\cX` is control-X.
                match chars.get(i) {
                    Some(&x) if x.is_ascii() => {
                        bytes.push((x as u8) & 0x1f);
                        i += 1;
                    }
                    _ => bytes.extend_from_slice(b"\\c"),
                }
            }
            other => {
                push_char(&mut bytes, '\\');
                push_char(&mut bytes, other);
            }
        }
    }
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), i))
}

/// Read up to `max` digits in `radix` starting at `from`: (value, digits used).
fn digits_value(chars: &[char], from: usize, radix: u32, max: usize) -> (u32, usize) {
    let mut value: u32 = 0;
    let mut used = 0;
    while used < max {
        match chars.get(from + used).and_then(|c| c.to_digit(radix)) {
            Some(d) => {
                value = value.saturating_mul(radix).saturating_add(d);
                used += 1;
            }
            None => break,
        }
    }
    (value, used)
}

// ---------------------------------------------------------------------------------------------
// Windows cmd (Chrome's "Copy as cURL (cmd)")
// ---------------------------------------------------------------------------------------------

/// cmd pastes end lines with ` ^` and escape quotes as `^"`; a bash line rarely does either
/// outside quotes, and checking only line ends and the first argument keeps false hits rare.
fn looks_like_cmd(text: &str) -> bool {
    let trimmed = text.trim_start();
    let caret_line = text.lines().any(|l| {
        let l = l.trim_end();
        l.ends_with(" ^") || l == "^"
    });
    caret_line || trimmed.starts_with("curl ^\"") || trimmed.starts_with("curl.exe ^\"")
}

/// Split a cmd line: cmd itself removes `^` escapes and `^`-newline continuations (but not
/// inside its own quotes), then curl.exe splits its command line by the C runtime's rules.
fn cmd_words(text: &str) -> Result<Words, InputError> {
    let mut line = String::new();
    let mut notes = Vec::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' if !in_quotes => match chars.next() {
                Some('\n') | None => {}
                Some(e) => line.push(e),
            },
            '"' => {
                in_quotes = !in_quotes;
                line.push('"');
            }
            '\n' | '&' | '|' if !in_quotes => {
                if !line.trim().is_empty() {
                    let rest: String = chars.collect();
                    if rest_has_command(&rest) {
                        notes.push(
                            "only the first curl command was used; the rest was ignored"
                                .to_string(),
                        );
                    }
                    break;
                }
                line.clear();
            }
            _ => line.push(c),
        }
    }
    let words = msvcrt_split(&line);
    let args = match words.first() {
        Some(w) if is_curl_program(w) => words[1..].to_vec(),
        _ => words,
    };
    Ok(Words { args, notes })
}

/// The Microsoft C runtime's argv rules: blanks split outside quotes; `2n` backslashes before a
/// quote are `n` backslashes and the quote toggles quoting, `2n+1` give a literal quote; `""`
/// inside quotes is a literal quote.
fn msvcrt_split(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let run = chars[i..].iter().take_while(|&&b| b == '\\').count();
                in_word = true;
                if chars.get(i + run) == Some(&'"') {
                    cur.extend(std::iter::repeat_n('\\', run / 2));
                    if run % 2 == 1 {
                        cur.push('"');
                        i += run + 1;
                    } else {
                        i += run;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', run));
                    i += run;
                }
                continue;
            }
            '"' => {
                in_word = true;
                if quoted && chars.get(i + 1) == Some(&'"') {
                    cur.push('"');
                    i += 1;
                } else {
                    quoted = !quoted;
                }
            }
            ' ' | '\t' | '\r' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
        i += 1;
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        shell_words(line).expect("splits").args
    }

    #[test]
    fn shell_splitting() {
        let cases: &[(&str, &[&str])] = &[
            ("curl http://x", &["http://x"]),
            ("curl.exe http://x", &["http://x"]),
            ("/usr/bin/curl http://x", &["http://x"]),
            ("-H 'A: b' http://x", &["-H", "A: b", "http://x"]),
            (r#"curl -d "foo=\"bar\"" x"#, &["-d", r#"foo="bar""#, "x"]),
            (r#"curl -d "foo=\'bar\'" x"#, &["-d", r"foo=\'bar\'", "x"]),
            ("curl 'a'\"b\"c", &["abc"]),
            ("curl x \\\n  -H 'A: b'", &["x", "-H", "A: b"]),
            ("curl x \\\r\n  -H 'A: b'", &["x", "-H", "A: b"]),
            ("curl -d \"a\\\nb\" x", &["-d", "ab", "x"]),
            ("curl -d 'a\\\nb' x", &["-d", "a\\\nb", "x"]),
            (
                "curl -H \"Authorization: Bearer $TOKEN\" x",
                &["-H", "Authorization: Bearer $TOKEN", "x"],
            ),
            (
                "curl -H Authorization:\\ Bearer\\ ${TOKEN} x",
                &["-H", "Authorization: Bearer ${TOKEN}", "x"],
            ),
            (
                "curl -u $(cat creds.txt) x",
                &["-u", "$(cat creds.txt)", "x"],
            ),
            ("curl -d `echo a b` x", &["-d", "`echo a b`", "x"]),
            ("# comment\ncurl x # trailing", &["x"]),
            ("curl 'a#b' x#y", &["a#b", "x#y"]),
            ("TOKEN=abc sudo curl x", &["x"]),
            ("echo foo | curl x", &["x"]),
            ("curl x && curl y", &["x"]),
            ("curl x; curl y", &["x"]),
            ("curl x | jq .", &["x"]),
            ("curl x > out.json 2>&1", &["x"]),
            ("curl x 2> err.txt -s", &["x", "-s"]),
            (
                "curl --data-binary @- x < 'my file.xml'",
                &["--data-binary", "@-", "x"],
            ),
            ("curl -d @- x <<EOF\nhello 'world\nEOF", &["-d", "@-", "x"]),
            ("curl -d $\"a b\" x", &["-d", "a b", "x"]),
            ("curl -d 'a;b&&c|d' x", &["-d", "a;b&&c|d", "x"]),
        ];
        for (line, want) in cases {
            assert_eq!(args(line), *want, "line: {line:?}");
        }
    }

    #[test]
    fn ansi_c_quoting() {
        let cases: &[(&str, &str)] = &[
            (r"$'a\nb'", "a\nb"),
            (r"$'\t\r\\'", "\t\r\\"),
            (r"$'it\'s'", "it's"),
            (r#"$'say \"hi\"'"#, "say \"hi\""),
            (r"$'\x41\x4a'", "AJ"),
            (r"$'\xc3\xa9'", "é"),
            (r"$'\u00e9\U0001F600'", "é😀"),
            (r"$'\101\060'", "A0"),
            (r"$'a\0b'", "a"),
            (r"$'\q'", "\\q"),
            (r"$'\cA'", "\u{1}"),
            (r"x$'y'z", "xyz"),
            (r"$'a b'", "a b"),
        ];
        for (word, want) in cases {
            let line = format!("curl -d {word} http://x");
            assert_eq!(args(&line), vec!["-d", want, "http://x"], "word: {word}");
        }
    }

    #[test]
    fn windows_cmd_lines() {
        let line = "curl ^\"https://example.com/api?a=1^&b=2^\" ^\r\n  -H ^\"accept: */*^\" ^\r\n  -H ^\"x-json: {\\^\"k\\^\":1}^\" ^\r\n  --compressed";
        assert_eq!(
            args(line),
            vec![
                "https://example.com/api?a=1&b=2",
                "-H",
                "accept: */*",
                "-H",
                "x-json: {\"k\":1}",
                "--compressed"
            ]
        );
        assert_eq!(
            msvcrt_split(r#"a "b c" d\\"e f" g"#),
            vec!["a", "b c", "d\\e f", "g"]
        );
    }

    #[test]
    fn shell_notes() {
        let w = shell_words("curl x && curl y").expect("splits");
        assert!(w.notes.iter().any(|n| n.contains("&&")), "{:?}", w.notes);
        let w = shell_words("curl x < in.txt").expect("splits");
        assert!(
            w.notes.iter().any(|n| n.contains("redirection")),
            "{:?}",
            w.notes
        );
        let w = shell_words("curl x\n\n# only a comment\n").expect("splits");
        assert!(w.notes.is_empty(), "{:?}", w.notes);
    }

    #[test]
    fn shell_errors() {
        for line in [
            "curl 'x",
            "curl \"x",
            "curl $'x",
            "curl -u $(cat x",
            "",
            "   \n# c\n",
        ] {
            assert!(shell_words(line).is_err(), "line: {line:?}");
        }
    }

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
