//! curl's options: the one table that describes them (names, value, help text, effect) for both
//! front-ends — a pasted curl line and `authdoctor check`'s own flags — and [`Applier`], the
//! one place where an option takes effect on [`CurlOptions`].

use crate::input::{AuthMethod, CurlOptions, DataArg, DataKind, InputError};
use crate::model::HttpVersionPref;

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

/// What an option means to authdoctor, for a front-end that lists or describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// It shapes the request (or how it is sent).
    Request,
    /// Accepted for curl compatibility; it changes nothing the server sees.
    NoEffect,
    /// Refused with a hint: authdoctor cannot send the request it describes.
    Unsupported,
}

/// One curl option.
#[derive(Debug)]
pub struct OptSpec {
    /// The long name, without `--`.
    pub long: &'static str,
    pub short: Option<char>,
    /// Another long name for the same option (`data-ascii` for `data`).
    pub alias: Option<&'static str>,
    /// The placeholder of its value in help (`METHOD`); `None` for a flag.
    pub value_name: Option<&'static str>,
    /// One line for `--help`; `None` keeps the option out of help listings.
    pub help: Option<&'static str>,
    act: Act,
}

impl OptSpec {
    pub fn takes_value(&self) -> bool {
        self.value_name.is_some()
    }

    /// How notes and errors name the option: the short form when there is one (`-X`).
    pub fn name(&self) -> String {
        match self.short {
            Some(c) => format!("-{c}"),
            None => format!("--{}", self.long),
        }
    }

    pub fn kind(&self) -> OptionKind {
        match self.act {
            Act::Ignore => OptionKind::NoEffect,
            Act::Unsupported(_) => OptionKind::Unsupported,
            _ => OptionKind::Request,
        }
    }

    /// A listed option: its value name and help line.
    const fn listed(self, value_name: Option<&'static str>, help: &'static str) -> OptSpec {
        OptSpec {
            value_name,
            help: Some(help),
            ..self
        }
    }

    const fn alias(self, alias: &'static str) -> OptSpec {
        OptSpec {
            alias: Some(alias),
            ..self
        }
    }
}

const fn flag(long: &'static str, short: Option<char>, act: Act) -> OptSpec {
    OptSpec {
        long,
        short,
        alias: None,
        value_name: None,
        help: None,
        act,
    }
}

const fn val(long: &'static str, short: Option<char>, act: Act) -> OptSpec {
    OptSpec {
        value_name: Some("VALUE"),
        ..flag(long, short, act)
    }
}

const FORM_HINT: &str =
    ": multipart form bodies are not built; send the fields with -d, or diagnose from a HAR";
const UPLOAD_HINT: &str = ": uploads are not supported; use --data-binary @FILE instead";

/// curl's options as far as authdoctor knows them. Anything else is reported as unsupported
/// rather than guessed at, because guessing wrong about whether an option takes a value would
/// silently shift every later argument. Listed options come first, in the order help shows them.
#[rustfmt::skip]
pub const OPTIONS: &[OptSpec] = &[
    val("request", Some('X'), Act::Method).listed(Some("METHOD"), "Request method"),
    val("header", Some('H'), Act::Header).listed(Some("HEADER"), "Extra header, 'Name: value' (repeatable)"),
    val("data", Some('d'), Act::Data(DataKind::Ascii)).alias("data-ascii").listed(Some("DATA"), "POST data (@file reads a file)"),
    val("data-raw", None, Act::Data(DataKind::Raw)).listed(Some("DATA"), "POST data, no @file processing"),
    val("data-binary", None, Act::Data(DataKind::Binary)).listed(Some("DATA"), "POST data, @file read verbatim"),
    val("data-urlencode", None, Act::Data(DataKind::UrlEncode)).listed(Some("DATA"), "POST data, URL-encoded"),
    val("json", None, Act::Data(DataKind::Json)).listed(Some("DATA"), "JSON body (sets Content-Type and Accept)"),
    flag("get", Some('G'), Act::Get).listed(None, "Send data as a GET query string"),
    flag("head", Some('I'), Act::Head).listed(None, "HEAD request"),
    val("user", Some('u'), Act::User).listed(Some("USER:PASSWORD"), "Server user and password (Basic unless --digest)"),
    flag("basic", None, Act::Auth(AuthMethod::Basic)).listed(None, "Use HTTP Basic (the default with -u)"),
    flag("digest", None, Act::Auth(AuthMethod::Digest)).listed(None, "Use HTTP Digest with -u"),
    flag("anyauth", None, Act::Auth(AuthMethod::Any)).listed(None, "Let the server's challenge pick the method"),
    val("oauth2-bearer", None, Act::Bearer).listed(Some("TOKEN"), "Bearer token for the Authorization header"),
    val("user-agent", Some('A'), Act::UserAgent).listed(Some("NAME"), "User-Agent header"),
    val("referer", Some('e'), Act::Referer).listed(Some("URL"), "Referer header"),
    val("cookie", Some('b'), Act::Cookie).listed(Some("DATA"), "Cookies, 'name=value; name2=value2' (repeatable)"),
    val("proxy", Some('x'), Act::Proxy).listed(Some("URL"), "Proxy URL"),
    val("socks5", None, Act::ProxyScheme("socks5://")).listed(Some("HOST[:PORT]"), "SOCKS5 proxy (like -x socks5://HOST[:PORT])"),
    val("socks5-hostname", None, Act::ProxyScheme("socks5h://")).listed(Some("HOST[:PORT]"), "SOCKS5 proxy that resolves the host name (like -x socks5h://HOST[:PORT])"),
    val("proxy-user", Some('U'), Act::ProxyUser).listed(Some("USER:PASSWORD"), "Proxy user and password"),
    val("noproxy", None, Act::NoProxy).listed(Some("LIST"), "Hosts that bypass the proxy"),
    val("resolve", None, Act::Resolve).listed(Some("HOST:PORT:ADDR"), "Connect to ADDR for HOST:PORT instead of asking DNS (curl's --resolve). Repeatable"),
    val("connect-to", None, Act::ConnectTo).listed(Some("HOST1:PORT1:HOST2:PORT2"), "Connect to HOST2:PORT2 for requests to HOST1:PORT1 (curl's --connect-to; the port cannot change). Repeatable"),
    val("cacert", None, Act::CaCert).listed(Some("FILE"), "CA certificate bundle (PEM) to verify the server"),
    val("cert", Some('E'), Act::Cert).listed(Some("FILE"), "Client certificate (PEM)"),
    val("key", None, Act::Key).listed(Some("FILE"), "Client private key (PEM)"),
    flag("insecure", Some('k'), Act::Insecure).listed(None, "Accept an untrusted server certificate"),
    val("connect-timeout", None, Act::ConnectTimeout).listed(Some("SECONDS"), "Seconds allowed for connecting"),
    val("max-time", Some('m'), Act::MaxTime).listed(Some("SECONDS"), "Seconds allowed for the whole exchange"),
    flag("location", Some('L'), Act::Location).listed(None, "Follow redirects that re-send a method other than GET, HEAD, OPTIONS, TRACE (307/308); authdoctor follows and records the others either way"),
    flag("location-trusted", None, Act::LocationTrusted).listed(None, "Send credentials to redirect targets on other hosts too"),
    val("aws-sigv4", None, Act::AwsSigv4).listed(Some("PROVIDER"), "Sign the request with AWS SigV4 (`aws:amz[:REGION[:SERVICE]]`, keys from -u or AWS_* variables)"),
    flag("http1.1", None, Act::Http(HttpVersionPref::Http1)).listed(None, "Use HTTP/1.1"),
    flag("http2", None, Act::Http(HttpVersionPref::Http2)).listed(None, "Use HTTP/2"),
    flag("compressed", None, Act::Compressed).listed(None, "Ask for a compressed response"),
    val("range", Some('r'), Act::Range).listed(Some("RANGE"), "Ask for part of the body (sends a Range header)"),
    // Not listed: rarer spellings of what is listed above, methods authdoctor recognises but
    // does not answer itself, and what only a pasted line can mean (several URLs or requests).
    flag("ntlm", None, Act::Auth(AuthMethod::Ntlm)),
    flag("ntlm-wb", None, Act::Auth(AuthMethod::Ntlm)),
    flag("negotiate", None, Act::Auth(AuthMethod::Negotiate)),
    flag("http1.0", Some('0'), Act::Http(HttpVersionPref::Http1)),
    flag("http2-prior-knowledge", None, Act::Http(HttpVersionPref::Http2)),
    val("socks4", None, Act::ProxyScheme("socks4://")),
    val("socks4a", None, Act::ProxyScheme("socks4a://")),
    val("proxy1.0", None, Act::ProxyScheme("http://")),
    val("url", None, Act::Url),
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

/// The option spelled `--name` exactly (its long name or its alias).
pub(super) fn find_long(name: &str) -> Option<&'static OptSpec> {
    OPTIONS
        .iter()
        .find(|o| o.long == name || o.alias == Some(name))
}

pub(super) fn find_short(c: char) -> Option<&'static OptSpec> {
    OPTIONS.iter().find(|o| o.short == Some(c))
}

/// The one option whose long name or alias starts with `prefix`: curl accepts any unambiguous
/// abbreviation (`--sil` for `--silent`).
pub(super) fn find_abbreviation(prefix: &str) -> Result<&'static OptSpec, InputError> {
    let shown = format!("--{prefix}");
    if prefix.is_empty() {
        return Err(unknown(&shown));
    }
    let mut matches = OPTIONS
        .iter()
        .filter(|o| o.long.starts_with(prefix) || o.alias.is_some_and(|a| a.starts_with(prefix)));
    match (matches.next(), matches.next()) {
        (Some(spec), None) => Ok(spec),
        (Some(_), Some(_)) => Err(InputError::UnsupportedCurlOption {
            option: shown,
            hint: ": ambiguous abbreviation, spell the option out".to_string(),
        }),
        _ => Err(unknown(&shown)),
    }
}

pub(super) fn unknown(option: &str) -> InputError {
    InputError::UnsupportedCurlOption {
        option: option.to_string(),
        hint: ": not a curl option authdoctor knows (check the spelling)".to_string(),
    }
}

/// Apply options given in command-line order, each with its value (`None` for a flag), and name
/// each by [`OptSpec::name`]. This is how `check`'s flags take effect; a pasted line goes
/// through the same [`Applier::apply`].
pub fn apply_options<'a>(
    given: impl IntoIterator<Item = (&'a OptSpec, Option<&'a str>)>,
) -> Result<CurlOptions, InputError> {
    let mut applier = Applier::default();
    for (spec, value) in given {
        if applier.stopped() {
            break;
        }
        let shown = spec.name();
        if spec.takes_value() && value.is_none() {
            return Err(InputError::MissingOptionValue(shown));
        }
        applier.apply(spec, &shown, value)?;
    }
    Ok(applier.finish())
}

/// Accumulates [`CurlOptions`] one option at a time, in command-line order, so later options
/// override earlier ones and data flags keep their order, as in curl.
#[derive(Debug, Default)]
pub struct Applier {
    opts: CurlOptions,
    /// URLs after the first, counted for the note.
    extra_urls: usize,
    /// After `--next`, later arguments describe another request.
    stopped: bool,
}

impl Applier {
    /// Whether `--next` ended the first request: what follows is not applied.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// A URL: the first one is the request, the others are counted for a note.
    pub fn url(&mut self, arg: &str) {
        if self.opts.url.is_none() {
            self.opts.url = Some(arg.to_string());
        } else {
            self.extra_urls += 1;
        }
    }

    /// Apply one option; `shown` is how the user spelled it, for notes and errors (never the
    /// value, which may be a credential).
    pub fn apply(
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
            // `--url` counts like a positional URL: the first one is the request.
            Act::Url => self.url(&v),
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
            Act::Unsupported(hint) => return Err(unsupported(shown, hint)),
        }
        Ok(())
    }

    /// `--no-location`, `--no-basic`, …: undo a boolean option.
    pub fn negate(&mut self, spec: &OptSpec, shown: &str) -> Result<(), InputError> {
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
            Act::Unsupported(hint) => return Err(unsupported(shown, hint)),
            _ => return Err(unknown(shown)),
        }
        Ok(())
    }

    pub fn finish(mut self) -> CurlOptions {
        if self.extra_urls > 0 {
            self.opts.ignored.push(format!(
                "{} more URL(s) after the first were ignored: only the first request is diagnosed",
                self.extra_urls
            ));
        }
        self.opts
    }
}

fn unsupported(shown: &str, hint: &str) -> InputError {
    InputError::UnsupportedCurlOption {
        option: shown.to_string(),
        hint: hint.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_listed_options_say_what_they_take() {
        let mut longs = HashSet::new();
        let mut shorts = HashSet::new();
        for o in OPTIONS {
            assert!(longs.insert(o.long), "--{} twice", o.long);
            if let Some(a) = o.alias {
                assert!(longs.insert(a), "--{a} twice");
            }
            if let Some(c) = o.short {
                assert!(shorts.insert(c), "-{c} twice");
            }
            if let Some(help) = o.help {
                assert!(!help.ends_with('.'), "--{}: help is one line", o.long);
                assert_eq!(o.kind(), OptionKind::Request, "--{}", o.long);
            }
        }
    }

    #[test]
    fn applies_in_order_and_names_by_the_short_form() {
        let get = |name| find_long(name).expect("known");
        let o = apply_options([
            (get("silent"), None),
            (get("json"), Some("{}")),
            (get("data"), Some("a=1")),
            (get("digest"), None),
            (get("basic"), None),
            (get("http2"), None),
            (get("http1.1"), None),
        ])
        .expect("applies");
        let kinds: Vec<DataKind> = o.data.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DataKind::Json, DataKind::Ascii]);
        assert_eq!(o.auth_method, AuthMethod::Basic);
        assert_eq!(o.http_version, HttpVersionPref::Http1);
        assert_eq!(o.ignored, ["-s"]);

        let o = apply_options([(get("next"), None), (get("insecure"), None)]).expect("applies");
        assert!(!o.insecure, "nothing after --next applies");

        assert_eq!(
            apply_options([(get("header"), None)]),
            Err(InputError::MissingOptionValue("-H".into()))
        );
        assert!(matches!(
            apply_options([(get("form"), Some("a=b"))]),
            Err(InputError::UnsupportedCurlOption { option, .. }) if option == "-F"
        ));
    }
}
