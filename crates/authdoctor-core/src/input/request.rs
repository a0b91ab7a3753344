//! curl's semantics applied to [`CurlOptions`]: the [`RequestSpec`] curl would actually send.
//!
//! The rules follow curl's documentation and behaviour, because a diagnosis of "your request"
//! is only right if it is the request curl sent: `-X` wins over the method implied by `-I` or
//! `-d`; `-G` moves the data into the query; `-u` becomes `Authorization: Basic` only for Basic
//! auth (Digest, NTLM and Negotiate answer a challenge instead); a header the user gives with
//! `-H` replaces the one curl would generate, and `-H 'Name:'` suppresses it. authdoctor adds
//! no default `User-Agent` or `Accept`: the sender decides those, and a diagnosis must not blame
//! a header the user never wrote.
//!
//! Files named with `@file` are read here (relative to the working directory); cookie files
//! given to `-b` are not, since they only hold cookies curl would match by domain. Messages of
//! [`InputError`] name files, options and URLs without userinfo, never a secret.

use super::{AuthMethod, CurlOptions, DataArg, DataKind, InputError};
use crate::model::{CredentialSource, Header, ProxySetting, ProxySource, RequestSpec};
use base64::Engine;
use std::time::Duration;

impl CurlOptions {
    /// Build the request curl would send: method defaults (GET, POST with data, HEAD with `-I`,
    /// `-G` moves data to the query), `-u` → `Authorization: Basic`, `--oauth2-bearer` →
    /// `Authorization: Bearer`, `-A`/`-e`/`-b` headers, `-d @file` reading, timeouts and TLS
    /// options into [`crate::model::TransportOptions`]. User-given headers win over generated
    /// ones, as in curl.
    pub fn into_request(self) -> Result<RequestSpec, InputError> {
        let mut spec = RequestSpec {
            auth_method: self.auth_method,
            ..RequestSpec::default()
        };
        let mut notes: Vec<String> = Vec::new();

        let raw_url = self
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or(InputError::MissingUrl)?;
        let mut url = parse_url(raw_url)?;
        let url_credentials = take_userinfo(&mut url);
        // curl never sends the fragment.
        url.set_fragment(None);

        let user_headers = self
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        // Names the user set or suppressed: curl then leaves its own header of that name out.
        let user_named = |name: &str| {
            user_headers
                .iter()
                .any(|h| h.name().eq_ignore_ascii_case(name))
        };

        let body = build_body(&self.data)?;
        let has_json = self.data.iter().any(|d| d.kind == DataKind::Json);

        // Method, as curl picks it.
        let explicit_method = self.method.as_deref().filter(|m| !m.is_empty());
        if self.head && body.is_some() && !self.get && explicit_method.is_none() {
            return Err(InputError::CurlSyntax(
                "-I/--head and -d/--data ask for two methods (HEAD and POST); curl refuses this too"
                    .to_string(),
            ));
        }
        spec.method = match explicit_method {
            Some(m) => m.to_string(),
            None if self.head => "HEAD".to_string(),
            None if body.is_some() && !self.get => "POST".to_string(),
            None => "GET".to_string(),
        };

        // -G: the data is the query string, joined to an existing one with `&`.
        let body = match body {
            Some(data) if self.get => {
                let data = String::from_utf8_lossy(&data).into_owned();
                let query = match url.query() {
                    Some(q) if !q.is_empty() => format!("{q}&{data}"),
                    _ => data,
                };
                url.set_query(Some(&query));
                None
            }
            other => other,
        };

        // Generated headers before the user's, in curl's order.
        let mut generated: Vec<Header> = Vec::new();
        if let Some(auth) = self.authorization(url_credentials, &mut spec, &mut notes) {
            generated.push(Header::new("Authorization", auth));
        }
        if let Some(ua) = self.user_agent.as_deref() {
            // `-A ""` makes curl send no User-Agent at all.
            if !ua.is_empty() {
                generated.push(Header::new("User-Agent", ua));
            }
        }
        if let Some(referer) = self.referer.as_deref() {
            // `-e 'url;auto'`: the `;auto` part only concerns redirects.
            let referer = referer.strip_suffix(";auto").unwrap_or(referer);
            if !referer.is_empty() {
                generated.push(Header::new("Referer", referer));
            }
        }
        if self.compressed {
            generated.push(Header::new("Accept-Encoding", "deflate, gzip"));
        }
        if let Some(cookie) = cookie_header(&self.cookies, &mut notes) {
            generated.push(Header::new("Cookie", cookie));
        }
        let mut trailing: Vec<Header> = Vec::new();
        if body.is_some() {
            let content_type = if has_json {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            trailing.push(Header::new("Content-Type", content_type));
        }
        if has_json {
            trailing.push(Header::new("Accept", "application/json"));
        }

        spec.headers = generated
            .into_iter()
            .filter(|h| !user_named(&h.name))
            .collect();
        spec.headers
            .extend(user_headers.iter().filter_map(|h| match h {
                HeaderArg::Send(h) => Some(h.clone()),
                HeaderArg::Suppress(_) => None,
            }));
        spec.headers
            .extend(trailing.into_iter().filter(|h| !user_named(&h.name)));

        spec.url = url;
        spec.body = body;

        // Transport.
        let t = &mut spec.transport;
        t.proxy = proxy_setting(
            self.proxy.as_deref(),
            self.proxy_user.as_deref(),
            &mut notes,
        )?;
        if self.proxy.as_deref() == Some("") {
            // `-x ""` tells curl to use no proxy, whatever the environment says.
            t.no_proxy = Some("*".to_string());
        }
        if let Some(np) = self.noproxy {
            t.no_proxy = Some(np);
        }
        for r in &self.resolve {
            t.pins.resolve.push(super::pins::parse_resolve(r)?);
        }
        for c in &self.connect_to {
            t.pins.connect_to.push(super::pins::parse_connect_to(c)?);
        }
        t.cacert = self.cacert;
        t.cert = self.cert;
        t.key = self.key;
        t.insecure = self.insecure;
        t.connect_timeout = self
            .connect_timeout
            .map(|s| duration("--connect-timeout", s))
            .transpose()?;
        t.max_time = self
            .max_time
            .map(|s| duration("--max-time", s))
            .transpose()?;
        t.http_version = self.http_version;

        spec.follow_redirects = self.location || self.location_trusted;
        spec.location_trusted = self.location_trusted;

        // Signed at the sending edge, with the clock of the moment (see `crate::sigv4`).
        spec.aws_sigv4 = self.aws_sigv4.clone();
        let (flags, other): (Vec<String>, Vec<String>) =
            self.ignored.into_iter().partition(|s| s.starts_with('-'));
        if !flags.is_empty() {
            notes.push(format!(
                "curl options without effect on the diagnosis were ignored: {}",
                flags.join(", ")
            ));
        }
        notes.extend(other);
        spec.notes = notes;
        Ok(spec)
    }

    /// The `Authorization` value curl would send first, recording where the credential came
    /// from. `--oauth2-bearer` wins over `-u`, which wins over credentials in the URL.
    fn authorization(
        &self,
        url_credentials: Option<(String, Option<String>)>,
        spec: &mut RequestSpec,
        notes: &mut Vec<String>,
    ) -> Option<String> {
        if let Some(token) = self.oauth2_bearer.as_deref() {
            spec.credential_source = Some(CredentialSource::OAuth2BearerFlag);
            if self.user.is_some() {
                notes.push(
                    "both -u and --oauth2-bearer were given; the Bearer token is sent".to_string(),
                );
            }
            return Some(format!("Bearer {token}"));
        }
        let (user, password) = match self.user.as_deref() {
            Some(u) => {
                let (user, password) = match u.split_once(':') {
                    Some((user, pass)) => (user.to_string(), Some(pass.to_string())),
                    None => (u.to_string(), None),
                };
                spec.credential_source = Some(CredentialSource::UserFlag {
                    user: user.clone(),
                    password: password.clone(),
                });
                if url_credentials.is_some() {
                    notes.push("-u replaces the credentials written in the URL".to_string());
                }
                (user, password)
            }
            None => {
                let (user, password) = url_credentials?;
                notes.push(
                    "credentials were taken from the URL (user:password@host), as curl does"
                        .to_string(),
                );
                (user, password)
            }
        };
        if password.is_none() {
            notes.push(
                "-u gave no password: curl would prompt for one; an empty password is assumed"
                    .to_string(),
            );
        }
        if self.aws_sigv4.is_some() {
            // With --aws-sigv4, curl reads -u as ACCESS_KEY_ID:SECRET_ACCESS_KEY for signing.
            return None;
        }
        if self.auth_method != AuthMethod::Basic {
            notes.push(format!(
                "curl uses {} authentication: it sends no credentials until the server's challenge",
                auth_name(self.auth_method)
            ));
            return None;
        }
        let pair = format!("{user}:{}", password.unwrap_or_default());
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
    }
}

fn auth_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::Basic => "Basic",
        AuthMethod::Digest => "Digest",
        AuthMethod::Ntlm => "NTLM",
        AuthMethod::Negotiate => "Negotiate (SPNEGO/Kerberos)",
        AuthMethod::Any => "the strongest offered (--anyauth)",
    }
}

/// A `-H` argument: a header to send, or `Name:` which only suppresses curl's own header.
enum HeaderArg {
    Send(Header),
    Suppress(String),
}

impl HeaderArg {
    fn name(&self) -> &str {
        match self {
            HeaderArg::Send(h) => &h.name,
            HeaderArg::Suppress(n) => n,
        }
    }
}

/// curl's reading of `-H`: `Name: value` sends, `Name:` (nothing after the colon) removes curl's
/// own header, `Name;` sends an empty header. Whitespace after the colon is dropped; anything
/// else in the value is kept verbatim, since a stray newline or quote is what a diagnosis needs.
fn parse_header(raw: &str) -> Result<HeaderArg, InputError> {
    let blank = |s: &str| s.chars().all(|c| c == ' ' || c == '\t');
    let (name, arg) = if let Some((name, value)) = raw.split_once(':') {
        let value = value.trim_start_matches([' ', '\t']);
        let name = name.trim();
        if value.is_empty() {
            (name, HeaderArg::Suppress(name.to_string()))
        } else {
            (name, HeaderArg::Send(Header::new(name, value)))
        }
    } else if let Some((name, rest)) = raw.split_once(';')
        && blank(rest)
    {
        let name = name.trim();
        (name, HeaderArg::Send(Header::new(name, "")))
    } else {
        return Err(InputError::InvalidHeader(shown_name(raw)));
    };
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InputError::InvalidHeader(shown_name(name)));
    }
    Ok(arg)
}

/// What an error may show of a malformed header: its first word, if that looks like a header
/// name. Without a colon the text could be the credential itself (`-H "$TOKEN"`), so a word
/// that looks like a token (long, many digits, odd characters) is replaced by its length.
fn shown_name(raw: &str) -> String {
    let word = raw
        .split([':', ';', ' ', '\t', '\r', '\n'])
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let digits = word.chars().filter(char::is_ascii_digit).count();
    let name_like = word.len() <= 40
        && digits <= 3
        && (word.contains('-') || word.len() <= 20)
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if name_like {
        word.to_string()
    } else {
        format!("<hidden: {} characters>", word.chars().count())
    }
}

/// curl's default scheme is http, and it detects a scheme only as `letters://`
/// (`localhost:8080` is a host and port, not a scheme).
fn parse_url(raw: &str) -> Result<url::Url, InputError> {
    let has_scheme = raw.split_once("://").is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let full = if has_scheme {
        raw.to_string()
    } else if let Some((scheme, _)) = raw.split_once("://")
        && !scheme.contains(['/', '?', '#', '@'])
    {
        // Something was meant as a scheme but is not one (`ht!tp://`, `://host`).
        return Err(InputError::InvalidUrl {
            url: redact_userinfo(raw),
            reason: format!("{scheme:?} is not a URL scheme"),
        });
    } else {
        format!("http://{raw}")
    };
    let invalid = |reason: String| InputError::InvalidUrl {
        url: redact_userinfo(raw),
        reason,
    };
    let url = url::Url::parse(&full).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme {} is not HTTP; authdoctor diagnoses http and https only",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host".to_string()));
    }
    Ok(url)
}

/// Replace `user:password@` in a URL string with `***@`, for messages.
fn redact_userinfo(raw: &str) -> String {
    let (prefix, rest) = match raw.find("://") {
        Some(i) => raw.split_at(i + 3),
        None => ("", raw),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{prefix}***{}", &rest[at..]),
        None => raw.to_string(),
    }
}

/// Remove `user:password@` from the URL and return it percent-decoded, as curl uses it.
fn take_userinfo(url: &mut url::Url) -> Option<(String, Option<String>)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let user = percent_decode(url.username());
    let password = url.password().map(percent_decode);
    // Both setters only fail for URLs that cannot have credentials, which http(s) URLs can.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some((user, password))
}

/// `%XX` to bytes, then UTF-8 (lossily); a `%` not followed by two hex digits stays as it is.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2)))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Join the `-d`-family arguments as curl does: `&` between them, except that `--json` pieces
/// are concatenated. `None` when there is no data at all (an empty `-d ''` is a body).
fn build_body(data: &[DataArg]) -> Result<Option<Vec<u8>>, InputError> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut body = Vec::new();
    for (i, arg) in data.iter().enumerate() {
        if i > 0 && arg.kind != DataKind::Json {
            body.push(b'&');
        }
        body.extend(data_bytes(arg)?);
    }
    Ok(Some(body))
}

fn data_bytes(arg: &DataArg) -> Result<Vec<u8>, InputError> {
    let v = arg.value.as_str();
    match arg.kind {
        DataKind::Raw => Ok(v.as_bytes().to_vec()),
        DataKind::Ascii => match v.strip_prefix('@') {
            // `-d @file` drops carriage returns and newlines, per curl's manual.
            Some(path) => Ok(read_data_file(path, "-d")?
                .into_iter()
                .filter(|b| *b != b'\r' && *b != b'\n')
                .collect()),
            None => Ok(v.as_bytes().to_vec()),
        },
        DataKind::Binary | DataKind::Json => match v.strip_prefix('@') {
            Some(path) => read_data_file(path, option_name(arg.kind)),
            None => Ok(v.as_bytes().to_vec()),
        },
        DataKind::UrlEncode => url_encoded(v),
    }
}

fn option_name(kind: DataKind) -> &'static str {
    match kind {
        DataKind::Ascii => "-d",
        DataKind::Raw => "--data-raw",
        DataKind::Binary => "--data-binary",
        DataKind::UrlEncode => "--data-urlencode",
        DataKind::Json => "--json",
    }
}

/// `--data-urlencode`: `content` and `=content` encode the content; `name=content` keeps the
/// name and encodes the content; `@file` and `name@file` encode a file's content. Whichever of
/// `=` and `@` comes first decides, as in curl.
fn url_encoded(v: &str) -> Result<Vec<u8>, InputError> {
    let (name, content) = match v.find(['=', '@']) {
        Some(i) if v.as_bytes()[i] == b'@' => {
            (&v[..i], read_data_file(&v[i + 1..], "--data-urlencode")?)
        }
        Some(i) => (&v[..i], v.as_bytes()[i + 1..].to_vec()),
        None => ("", v.as_bytes().to_vec()),
    };
    let mut out = Vec::new();
    if !name.is_empty() {
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
    }
    out.extend(percent_encode(&content).into_bytes());
    Ok(out)
}

/// curl's escaping (`curl_easy_escape`): everything but RFC 3986 unreserved characters.
fn percent_encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

fn read_data_file(path: &str, option: &str) -> Result<Vec<u8>, InputError> {
    if path == "-" {
        return Err(InputError::UnsupportedCurlOption {
            option: format!("{option} @-"),
            hint: ": reading the body from standard input is not supported; save it to a file \
                   and use @FILE"
                .to_string(),
        });
    }
    std::fs::read(path).map_err(|e| InputError::File {
        path: path.to_string(),
        reason: e.kind().to_string(),
    })
}

/// `-b name=value` arguments form the `Cookie` header; an argument without `=` names a cookie
/// file, which curl would filter by domain and expiry — not read here, only noted.
fn cookie_header(cookies: &[String], notes: &mut Vec<String>) -> Option<String> {
    let mut parts = Vec::new();
    for c in cookies {
        if c.contains('=') {
            parts.push(c.trim().trim_end_matches(';').to_string());
        } else if !c.is_empty() {
            // Not echoed: a bare value here is as likely a mistyped cookie value as a file name.
            notes.push(
                "a -b argument without '=' names a cookie file in curl; authdoctor does not read \
                 it, so its cookies are not sent"
                    .to_string(),
            );
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// `-x` with `-U` folded in as the proxy URL's userinfo, which is how proxy clients take it.
fn proxy_setting(
    proxy: Option<&str>,
    proxy_user: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Option<ProxySetting>, InputError> {
    let Some(proxy) = proxy.map(str::trim).filter(|p| !p.is_empty()) else {
        if proxy_user.is_some() {
            notes
                .push("-U/--proxy-user was given without -x/--proxy and has no effect here".into());
        }
        return Ok(None);
    };
    let mut url = proxy.to_string();
    if let Some(creds) = proxy_user {
        let full = if proxy.contains("://") {
            proxy.to_string()
        } else {
            format!("http://{proxy}")
        };
        let mut parsed = url::Url::parse(&full).map_err(|e| InputError::InvalidUrl {
            url: redact_userinfo(proxy),
            reason: format!("proxy: {e}"),
        })?;
        if parsed.username().is_empty() {
            let (user, pass) = match creds.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (creds, None),
            };
            // Only fails for URLs that cannot carry credentials; then keep the proxy as given.
            if parsed.set_username(user).is_ok() && parsed.set_password(pass).is_ok() {
                url = parsed.to_string();
            }
        }
    }
    Ok(Some(ProxySetting {
        url,
        source: ProxySource::Flag,
        env_var: None,
    }))
}

fn duration(option: &str, seconds: f64) -> Result<Duration, InputError> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        InputError::Other(format!("{option} must be a non-negative number of seconds"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::curl::parse_curl_line;
    use crate::model::{HeaderList, HttpVersionPref};

    fn req(line: &str) -> RequestSpec {
        parse_curl_line(line)
            .and_then(CurlOptions::into_request)
            .unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn headers(spec: &RequestSpec) -> Vec<(String, String)> {
        spec.headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect()
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn methods() {
        let cases: &[(&str, &str)] = &[
            ("curl u", "GET"),
            ("curl -d a u", "POST"),
            ("curl -d a -G u", "GET"),
            ("curl -I u", "HEAD"),
            ("curl -I -G -d a u", "HEAD"),
            ("curl -X PUT -d a u", "PUT"),
            ("curl -X DELETE u", "DELETE"),
            ("curl -X wHat u", "wHat"),
            ("curl --json {} u", "POST"),
            ("curl -X '' -d a u", "POST"),
        ];
        for (line, want) in cases {
            assert_eq!(req(line).method, *want, "{line}");
        }
        assert!(matches!(
            parse_curl_line("curl -I -d a u").and_then(CurlOptions::into_request),
            Err(InputError::CurlSyntax(_))
        ));
    }

    #[test]
    fn urls() {
        let cases: &[(&str, &str)] = &[
            ("curl example.com", "http://example.com/"),
            ("curl localhost:8080/x?a=1", "http://localhost:8080/x?a=1"),
            ("curl https://h/p#frag", "https://h/p"),
            (
                "curl 'https://h/p?a=1' -G -d b=2 -d c=3",
                "https://h/p?a=1&b=2&c=3",
            ),
            (
                "curl 'https://h/p' -G --data-urlencode 'q=a b'",
                "https://h/p?q=a%20b",
            ),
            ("curl 'https://h/?x=1&' -G -d y", "https://h/?x=1&&y"),
        ];
        for (line, want) in cases {
            assert_eq!(req(line).url.as_str(), *want, "{line}");
        }
    }

    #[test]
    fn url_errors_hide_userinfo() {
        for line in [
            "curl 'http://user:s3cr3t@exa mple.com/'",
            "curl 'http://user:s3cr3t@[bad/'",
        ] {
            let err = parse_curl_line(line)
                .and_then(CurlOptions::into_request)
                .expect_err("invalid");
            assert!(matches!(err, InputError::InvalidUrl { .. }), "{err:?}");
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
        assert!(matches!(
            parse_curl_line("curl ftp://h/f").and_then(CurlOptions::into_request),
            Err(InputError::InvalidUrl { .. })
        ));
        assert_eq!(
            parse_curl_line("curl -s").and_then(CurlOptions::into_request),
            Err(InputError::MissingUrl)
        );
    }

    #[test]
    fn basic_auth_from_user_flag() {
        let r = req("curl -u alice:pa:ss https://h/");
        assert_eq!(
            r.headers.first("authorization"),
            Some("Basic YWxpY2U6cGE6c3M=")
        );
        assert_eq!(
            r.credential_source,
            Some(CredentialSource::UserFlag {
                user: "alice".into(),
                password: Some("pa:ss".into())
            })
        );

        let r = req("curl -u alice https://h/");
        assert_eq!(r.headers.first("authorization"), Some("Basic YWxpY2U6"));
        assert!(r.notes.iter().any(|n| n.contains("prompt")));

        // The user's own Authorization header wins over -u.
        let r = req("curl -u a:b -H 'Authorization: Bearer t' https://h/");
        assert_eq!(r.headers.all("authorization"), vec!["Bearer t"]);
        assert!(r.credential_source.is_some());

        // Digest: no header on the first request, credentials kept.
        let r = req("curl -u a:b --digest https://h/");
        assert!(!r.headers.has("authorization"));
        assert!(matches!(
            r.credential_source,
            Some(CredentialSource::UserFlag { .. })
        ));
        assert!(r.notes.iter().any(|n| n.contains("Digest")));
    }

    #[test]
    fn url_userinfo() {
        let r = req("curl https://us%40er:p%3Ass@h/x");
        assert_eq!(r.url.as_str(), "https://h/x");
        // "us@er:p:ss"
        assert_eq!(
            r.headers.first("authorization"),
            Some("Basic dXNAZXI6cDpzcw==")
        );
        let r = req("curl -u a:b https://x:y@h/");
        assert_eq!(r.headers.first("authorization"), Some("Basic YTpi"));
        assert_eq!(r.url.as_str(), "https://h/");
    }

    #[test]
    fn bearer() {
        let r = req("curl --oauth2-bearer tok -u a:b https://h/");
        assert_eq!(r.headers.all("authorization"), vec!["Bearer tok"]);
        assert_eq!(
            r.credential_source,
            Some(CredentialSource::OAuth2BearerFlag)
        );
    }

    #[test]
    fn generated_headers_and_order() {
        let r = req(
            "curl -A ua -e ref --compressed -b a=1 -b 'b=2;' -H 'X-One: 1' -d x -H 'X-Two: 2' https://h/",
        );
        assert_eq!(
            headers(&r),
            h(&[
                ("User-Agent", "ua"),
                ("Referer", "ref"),
                ("Accept-Encoding", "deflate, gzip"),
                ("Cookie", "a=1; b=2"),
                ("X-One", "1"),
                ("X-Two", "2"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ])
        );
        // User headers replace generated ones; `Name:` removes them; `Name;` is empty.
        let r = req(
            "curl -A ua -H 'user-agent: mine' -H 'Content-Type:' -H 'X-Empty;' -d x https://h/",
        );
        assert_eq!(headers(&r), h(&[("user-agent", "mine"), ("X-Empty", "")]));
        // No default User-Agent or Accept.
        assert!(req("curl https://h/").headers.is_empty());
        // Values are kept verbatim after the colon's whitespace.
        let r = req("curl -H $'Authorization:  Bearer t\\n' https://h/");
        assert_eq!(r.headers.first("authorization"), Some("Bearer t\n"));
    }

    #[test]
    fn cookie_file_is_noted_not_read() {
        let r = req("curl -b cookies.txt https://h/");
        assert!(!r.headers.has("cookie"));
        assert!(r.notes.iter().any(|n| n.contains("cookie file")));
    }

    #[test]
    fn invalid_headers_show_only_the_name() {
        for (line, shown) in [
            ("curl -H 'Bearer s3cr3tvalue' u", "Bearer"),
            ("curl -H 'X-Key; s3cr3tvalue' u", "X-Key"),
            ("curl -H ': s3cr3tvalue' u", ""),
            (
                "curl -H ghp_16C7e42F292c6912E7710c838347Ae178B4a u",
                "<hidden: 40 characters>",
            ),
            ("curl -H X-Debug u", "X-Debug"),
        ] {
            let err = parse_curl_line(line)
                .and_then(CurlOptions::into_request)
                .expect_err("invalid");
            match &err {
                InputError::InvalidHeader(name) => assert_eq!(name, shown, "{line}"),
                other => panic!("{line}: {other:?}"),
            }
            assert!(!err.to_string().contains("s3cr3t"), "{err}");
        }
    }

    #[test]
    fn bodies() {
        let cases: &[(&str, &str)] = &[
            ("curl -d a=1 -d b=2 u", "a=1&b=2"),
            ("curl --data-raw @x u", "@x"),
            ("curl --json '{\"a\":' --json '1}' u", "{\"a\":1}"),
            ("curl --data-urlencode 'a b' u", "a%20b"),
            ("curl --data-urlencode '=a&b' u", "a%26b"),
            ("curl --data-urlencode 'n=a=b c' u", "n=a%3Db%20c"),
            ("curl --data-binary '' u", ""),
        ];
        for (line, want) in cases {
            let r = req(line);
            assert_eq!(r.body.as_deref(), Some(want.as_bytes()), "{line}");
        }
        let r = req("curl --json '{}' u");
        assert_eq!(
            headers(&r),
            h(&[
                ("Content-Type", "application/json"),
                ("Accept", "application/json")
            ])
        );
        let r = req("curl --json '{}' -H 'Accept: text/plain' u");
        assert_eq!(r.headers.all("accept"), vec!["text/plain"]);
    }

    #[test]
    fn data_files() {
        let dir = std::env::temp_dir().join(format!("authdoctor-curl-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("body.txt");
        std::fs::write(&file, b"a=1\r\nb=2\n").expect("write");
        let f = file.display();
        let r = req(&format!("curl -d @{f} u"));
        assert_eq!(r.body.as_deref(), Some(&b"a=1b=2"[..]));
        let r = req(&format!("curl --data-binary @{f} u"));
        assert_eq!(r.body.as_deref(), Some(&b"a=1\r\nb=2\n"[..]));
        let r = req(&format!("curl --data-urlencode n@{f} u"));
        assert_eq!(r.body.as_deref(), Some(&b"n=a%3D1%0D%0Ab%3D2%0A"[..]));
        let _ = std::fs::remove_dir_all(&dir);

        let err = parse_curl_line("curl -d @/nonexistent/authdoctor u")
            .and_then(CurlOptions::into_request)
            .expect_err("missing file");
        assert!(matches!(err, InputError::File { .. }), "{err:?}");
        let err = parse_curl_line("curl -d @- u")
            .and_then(CurlOptions::into_request)
            .expect_err("stdin");
        assert!(
            matches!(err, InputError::UnsupportedCurlOption { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn transport() {
        let r = req(
            "curl -x proxy:3128 -U pu:pp --noproxy localhost --cacert ca.pem -E c.pem --key k.pem \
             -k --connect-timeout 1.5 -m 10 --http1.1 -L https://h/",
        );
        let t = &r.transport;
        let proxy = t.proxy.as_ref().expect("proxy");
        assert_eq!(proxy.url, "http://pu:pp@proxy:3128/");
        assert_eq!(proxy.source, ProxySource::Flag);
        assert_eq!(t.no_proxy.as_deref(), Some("localhost"));
        assert_eq!(
            (t.cacert.as_deref(), t.cert.as_deref(), t.key.as_deref()),
            (Some("ca.pem"), Some("c.pem"), Some("k.pem"))
        );
        assert!(t.insecure);
        assert_eq!(t.connect_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(t.max_time, Some(Duration::from_secs(10)));
        assert_eq!(t.http_version, HttpVersionPref::Http1);
        assert!(r.follow_redirects && !r.location_trusted);

        let r = req("curl -x socks5://1.1.1.1:8888 --location-trusted https://h/");
        assert_eq!(
            r.transport.proxy.map(|p| p.url).as_deref(),
            Some("socks5://1.1.1.1:8888")
        );
        assert!(r.follow_redirects && r.location_trusted);
        let r = req("curl -x '' https://h/");
        assert_eq!(
            (r.transport.proxy, r.transport.no_proxy.as_deref()),
            (None, Some("*"))
        );
    }

    #[test]
    fn chrome_copy_as_curl_bash() {
        let line = "curl 'https://api.example.com/v1/items?x=1' \\\n  -H 'accept: application/json' \\\n  -H 'authorization: Bearer $API_TOKEN' \\\n  -H 'content-type: application/json' \\\n  --data-raw $'{\"name\":\"it\\'s\\u00e9\"}' \\\n  --compressed";
        let r = req(line);
        assert_eq!(r.method, "POST");
        assert_eq!(r.url.as_str(), "https://api.example.com/v1/items?x=1");
        assert_eq!(
            headers(&r),
            h(&[
                ("Accept-Encoding", "deflate, gzip"),
                ("accept", "application/json"),
                ("authorization", "Bearer $API_TOKEN"),
                ("content-type", "application/json"),
            ])
        );
        assert_eq!(
            r.body.as_deref(),
            Some("{\"name\":\"it's\u{e9}\"}".as_bytes())
        );
    }

    #[test]
    fn notes_for_ignored_flags() {
        let r = req("curl -sS -o /dev/null u && curl v");
        assert!(
            r.notes.iter().any(|n| n.ends_with("ignored: -s, -S, -o")),
            "{:?}",
            r.notes
        );
        assert!(r.notes.iter().any(|n| n.contains("first curl command")));
    }
}
