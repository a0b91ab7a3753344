//! The `Authorization` header the client sent (RFC 9110 §11.6.2): its scheme, its credential,
//! and every way it deviates from `scheme SP credentials` — plus Basic's own encoding
//! (RFC 7617), where a newline or a missing colon is invisible until decoded.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

/// Schemes whose canonical spelling we know, for case checks.
pub const KNOWN_SCHEMES: &[&str] = &[
    "Basic",
    "Bearer",
    "Digest",
    "DPoP",
    "Negotiate",
    "NTLM",
    "HOBA",
    "Mutual",
    "AWS4-HMAC-SHA256",
    "Token",
    "ApiKey",
    "SSWS",
    "GoogleLogin",
];

/// A structural problem of the Authorization header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HeaderIssue {
    /// More than one Authorization header was sent.
    Duplicate { count: usize },
    /// The value has no scheme: a bare token or key.
    NoScheme,
    /// `Bearer: token` or `Bearer=token`.
    SchemePunctuation { sent: String },
    /// `Bearer Bearer token`.
    DoubledScheme { scheme: String },
    /// The scheme's case differs from its usual spelling (`bearer`).
    SchemeCase { sent: String, canonical: String },
    /// Nothing after the scheme.
    EmptyCredentials,
    /// The credential contains spaces (several parts where one token is expected).
    InternalWhitespace,
    /// More than one space between scheme and credential.
    ExtraSeparator,
}

impl HeaderIssue {
    pub fn describe(&self) -> String {
        match self {
            HeaderIssue::Duplicate { count } => {
                format!("{count} Authorization headers were sent; servers use one of them (often not the one you expect) or reject the request")
            }
            HeaderIssue::NoScheme => "the value has no scheme: expected 'Bearer <token>' (or another scheme), got a bare credential".into(),
            HeaderIssue::SchemePunctuation { sent } => {
                format!("scheme written as {sent:?}: the scheme is followed by a single space, not ':' or '='")
            }
            HeaderIssue::DoubledScheme { scheme } => {
                format!("the scheme appears twice ('{scheme} {scheme} …'): the credential already contained it")
            }
            HeaderIssue::SchemeCase { sent, canonical } => format!(
                "scheme sent as '{sent}'; schemes are case-insensitive by RFC 9110 §11.1, but many servers only accept '{canonical}'"
            ),
            HeaderIssue::EmptyCredentials => "the scheme has no credential after it".into(),
            HeaderIssue::InternalWhitespace => "the credential contains spaces: only one token is expected after the scheme".into(),
            HeaderIssue::ExtraSeparator => "more than one space between the scheme and the credential".into(),
        }
    }
}

/// The Authorization header as sent, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    /// Number of Authorization header fields in the request.
    pub count: usize,
    /// The raw value of the first one.
    pub raw: String,
    /// Scheme as sent, if any (without trailing `:`/`=`).
    pub scheme: Option<String>,
    /// The credential part: what follows the scheme, untrimmed except for the separator.
    pub credential: String,
    pub issues: Vec<HeaderIssue>,
}

impl AuthorizationHeader {
    /// The scheme, canonically spelled when known (`bearer` → `Bearer`).
    pub fn canonical_scheme(&self) -> Option<String> {
        let s = self.scheme.as_deref()?;
        Some(
            KNOWN_SCHEMES
                .iter()
                .find(|k| k.eq_ignore_ascii_case(s))
                .map(|k| k.to_string())
                .unwrap_or_else(|| s.to_string()),
        )
    }

    pub fn is_scheme(&self, s: &str) -> bool {
        self.scheme
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case(s))
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Take apart the Authorization header values of a request (in order). `None` when absent.
pub fn analyse(values: &[&str]) -> Option<AuthorizationHeader> {
    let raw = (*values.first()?).to_string();
    let mut issues = Vec::new();
    if values.len() > 1 {
        issues.push(HeaderIssue::Duplicate {
            count: values.len(),
        });
    }
    // Field values are trimmed of surrounding whitespace by HTTP parsers (RFC 9110 §5.5).
    let v = raw.trim_matches([' ', '\t']);
    let first_ws = v.find([' ', '\t']);
    let (head, rest) = match first_ws {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mut scheme: Option<String> = None;
    let mut credential = String::new();

    if head.is_empty() {
        issues.push(HeaderIssue::EmptyCredentials);
    } else if let Some(stripped) = head.strip_suffix(':').or_else(|| head.strip_suffix('='))
        && !stripped.is_empty()
        && stripped
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && KNOWN_SCHEMES
            .iter()
            .any(|k| k.eq_ignore_ascii_case(stripped))
    {
        issues.push(HeaderIssue::SchemePunctuation {
            sent: head.to_string(),
        });
        scheme = Some(stripped.to_string());
        credential = rest.trim_start_matches([' ', '\t']).to_string();
    } else if let Some((s, c)) = head
        .split_once(':')
        .filter(|(s, _)| KNOWN_SCHEMES.iter().any(|k| k.eq_ignore_ascii_case(s)))
    {
        // `Bearer:token` with no space at all.
        issues.push(HeaderIssue::SchemePunctuation {
            sent: format!("{s}:"),
        });
        scheme = Some(s.to_string());
        credential = format!("{c}{rest}");
    } else if first_ws.is_none() {
        // One word: either a bare credential or a scheme with nothing after it.
        if KNOWN_SCHEMES.iter().any(|k| k.eq_ignore_ascii_case(head)) {
            scheme = Some(head.to_string());
            issues.push(HeaderIssue::EmptyCredentials);
        } else {
            issues.push(HeaderIssue::NoScheme);
            credential = head.to_string();
        }
    } else if head.chars().all(is_token_char) && !crate::token::jwt::looks_like_jwt(head) {
        scheme = Some(head.to_string());
        let sep_len = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if sep_len > 1 {
            issues.push(HeaderIssue::ExtraSeparator);
        }
        credential = rest.trim_start_matches([' ', '\t']).to_string();
    } else {
        issues.push(HeaderIssue::NoScheme);
        credential = v.to_string();
    }

    if let Some(s) = &scheme {
        if let Some(canon) = KNOWN_SCHEMES.iter().find(|k| k.eq_ignore_ascii_case(s))
            && *canon != s.as_str()
        {
            issues.push(HeaderIssue::SchemeCase {
                sent: s.clone(),
                canonical: canon.to_string(),
            });
        }
        let cred_trim = credential.trim();
        if let Some((w, _)) = cred_trim.split_once([' ', '\t'])
            && w.eq_ignore_ascii_case(s)
        {
            issues.push(HeaderIssue::DoubledScheme { scheme: s.clone() });
        } else if cred_trim.is_empty() && !issues.contains(&HeaderIssue::EmptyCredentials) {
            issues.push(HeaderIssue::EmptyCredentials);
        } else if cred_trim.contains([' ', '\t'])
            && !s.eq_ignore_ascii_case("digest")
            && !s.to_ascii_uppercase().starts_with("AWS4-")
            && !cred_trim.contains('=')
        {
            issues.push(HeaderIssue::InternalWhitespace);
        }
    }
    Some(AuthorizationHeader {
        count: values.len(),
        raw,
        scheme,
        credential,
        issues,
    })
}

/// A problem with the bytes inside a Basic credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BasicIssue {
    /// Not valid (standard, padded) base64.
    InvalidBase64 { detail: String },
    /// Decodes, but has no `:` between user-id and password.
    NoColon,
    /// The decoded pair ends with CR/LF (typically `echo` without `-n` piped into base64).
    TrailingNewline,
    /// Whitespace at the edges of the user-id or password.
    EdgeWhitespace { part: &'static str },
    /// Decodes to bytes that are not UTF-8 (ISO-8859-1 encoded non-ASCII, most often).
    NotUtf8,
    /// Non-ASCII characters: RFC 7617 leaves the charset to the server unless it sends
    /// `charset="UTF-8"`.
    NonAscii { server_says_utf8: bool },
    /// Base64url (`-`/`_`) used instead of base64.
    UrlSafeAlphabet,
}

impl BasicIssue {
    pub fn describe(&self) -> String {
        match self {
            BasicIssue::InvalidBase64 { detail } => format!("the Basic credential is not valid base64: {detail}"),
            BasicIssue::NoColon => "the decoded Basic credential has no ':' separating user and password".into(),
            BasicIssue::TrailingNewline => "the decoded Basic credential ends with a newline, so the password sent includes it (echo without -n piped into base64?)".into(),
            BasicIssue::EdgeWhitespace { part } => format!("the decoded {part} has leading or trailing whitespace"),
            BasicIssue::NotUtf8 => "the decoded Basic credential is not UTF-8 (ISO-8859-1?), the server may decode it differently".into(),
            BasicIssue::NonAscii { server_says_utf8 } => if *server_says_utf8 {
                "the user or password has non-ASCII characters; the server announced charset=UTF-8, so they must be UTF-8 encoded".into()
            } else {
                "the user or password has non-ASCII characters and the server did not announce a charset: it may expect ISO-8859-1 or reject them".into()
            },
            BasicIssue::UrlSafeAlphabet => "the credential uses the base64url alphabet ('-'/'_'); Basic requires standard base64".into(),
        }
    }
}

/// A Basic credential decoded: the user-id is evidence and may be shown; the password never.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredential {
    pub user: Option<String>,
    pub password: Option<String>,
    pub issues: Vec<BasicIssue>,
}

/// Decode and check a Basic credential (the part after `Basic `).
pub fn analyse_basic(credential: &str, server_says_utf8: bool) -> BasicCredential {
    let c = credential.trim();
    let mut issues = Vec::new();
    if c.contains(['-', '_']) {
        issues.push(BasicIssue::UrlSafeAlphabet);
    }
    let bytes = match STANDARD.decode(c) {
        Ok(b) => b,
        Err(e) => {
            // Missing padding is common and most servers tolerate it; decode anyway to look further.
            match base64::engine::general_purpose::STANDARD_NO_PAD.decode(c.trim_end_matches('=')) {
                Ok(b) if !c.contains(['-', '_']) => {
                    issues.push(BasicIssue::InvalidBase64 {
                        detail: "missing '=' padding".into(),
                    });
                    b
                }
                _ => {
                    issues.push(BasicIssue::InvalidBase64 {
                        detail: e.to_string(),
                    });
                    return BasicCredential {
                        user: None,
                        password: None,
                        issues,
                    };
                }
            }
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            issues.push(BasicIssue::NotUtf8);
            e.into_bytes().iter().map(|&b| b as char).collect()
        }
    };
    if text.ends_with('\n') || text.ends_with('\r') {
        issues.push(BasicIssue::TrailingNewline);
    }
    let Some((user, password)) = text.split_once(':') else {
        issues.push(BasicIssue::NoColon);
        return BasicCredential {
            user: Some(text.trim_end().to_string()),
            password: None,
            issues,
        };
    };
    let pw_core = password.trim_end_matches(['\r', '\n']);
    if user != user.trim() {
        issues.push(BasicIssue::EdgeWhitespace { part: "user" });
    }
    if pw_core != pw_core.trim() {
        issues.push(BasicIssue::EdgeWhitespace { part: "password" });
    }
    if !text.is_ascii() && !issues.contains(&BasicIssue::NotUtf8) {
        issues.push(BasicIssue::NonAscii { server_says_utf8 });
    }
    BasicCredential {
        user: Some(user.to_string()),
        password: Some(password.to_string()),
        issues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(v: &str) -> Vec<HeaderIssue> {
        analyse(&[v]).unwrap().issues
    }

    #[test]
    fn well_formed() {
        let a = analyse(&["Bearer abc.def.ghi"]).unwrap();
        assert_eq!(a.scheme.as_deref(), Some("Bearer"));
        assert_eq!(a.credential, "abc.def.ghi");
        assert!(a.issues.is_empty());
    }

    #[test]
    fn malformations() {
        assert_eq!(
            issues("eyJhbGciOiJIUzI1NiJ9.e30.sig"),
            vec![HeaderIssue::NoScheme]
        );
        assert_eq!(
            issues("Bearer: abc"),
            vec![HeaderIssue::SchemePunctuation {
                sent: "Bearer:".into()
            }]
        );
        assert_eq!(
            issues("Bearer:abc"),
            vec![HeaderIssue::SchemePunctuation {
                sent: "Bearer:".into()
            }]
        );
        assert_eq!(
            issues("Bearer Bearer abc"),
            vec![HeaderIssue::DoubledScheme {
                scheme: "Bearer".into()
            }]
        );
        assert_eq!(
            issues("bearer abc"),
            vec![HeaderIssue::SchemeCase {
                sent: "bearer".into(),
                canonical: "Bearer".into()
            }]
        );
        assert_eq!(issues("Bearer"), vec![HeaderIssue::EmptyCredentials]);
        assert_eq!(issues("Bearer  abc"), vec![HeaderIssue::ExtraSeparator]);
        let a = analyse(&["Bearer a", "Bearer b"]).unwrap();
        assert_eq!(a.issues, vec![HeaderIssue::Duplicate { count: 2 }]);
        assert!(issues("Digest username=\"a\", realm=\"b\"").is_empty());
    }

    #[test]
    fn basic_examples() {
        // RFC 7617 §2
        let b = analyse_basic("QWxhZGRpbjpvcGVuIHNlc2FtZQ==", false);
        assert_eq!(b.user.as_deref(), Some("Aladdin"));
        assert!(b.issues.is_empty());
        // alice:pw\n
        let b = analyse_basic(&STANDARD.encode("alice:pw\n"), false);
        assert_eq!(b.issues, vec![BasicIssue::TrailingNewline]);
        let b = analyse_basic(&STANDARD.encode("alicepw"), false);
        assert_eq!(b.issues, vec![BasicIssue::NoColon]);
        let b = analyse_basic("!!!", false);
        assert!(matches!(b.issues[0], BasicIssue::InvalidBase64 { .. }));
        // RFC 7617 §2.1: test/123£ in UTF-8 and in ISO-8859-1.
        let b = analyse_basic("dGVzdDoxMjPCow==", true);
        assert_eq!(
            b.issues,
            vec![BasicIssue::NonAscii {
                server_says_utf8: true
            }]
        );
        let b = analyse_basic("dGVzdDoxMjOj", true);
        assert_eq!(b.issues, vec![BasicIssue::NotUtf8]);
    }
}
