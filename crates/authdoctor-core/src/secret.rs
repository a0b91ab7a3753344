//! Secrets are the users' crown jewels: this module is the one place that decides how a token,
//! password, API key, cookie or client secret is shown — a short prefix/suffix and a fingerprint,
//! never the whole value.
//!
//! Two layers: [`redact`] and friends shape what the report prints on purpose, and [`Scrubber`]
//! is the safety net that removes any known secret from finished output text before it leaves
//! the process.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt;

/// First 8 hex digits of SHA-256: enough to tell two tokens apart, useless to rebuild one.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(8);
    for b in &digest[..4] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Fingerprints memoised for one report: the same token is shown in the request, in each hop's
/// request headers and in the token section, and hashing it once is enough.
#[derive(Debug, Default)]
pub struct Fingerprints(RefCell<Vec<(String, String)>>);

impl Fingerprints {
    /// [`fingerprint`], computed once per distinct value.
    pub fn fingerprint(&self, secret: &str) -> String {
        if let Some((_, fp)) = self.0.borrow().iter().find(|(s, _)| s == secret) {
            return fp.clone();
        }
        let fp = fingerprint(secret);
        self.0.borrow_mut().push((secret.to_string(), fp.clone()));
        fp
    }

    /// [`redact`] with memoised fingerprints.
    pub fn redact(&self, secret: &str) -> String {
        redact_with(secret, &|s| self.fingerprint(s))
    }

    /// [`redact_header_value`] with memoised fingerprints.
    pub fn redact_header_value(&self, name: &str, value: &str) -> String {
        redact_header_value_with(name, value, &|s| self.fingerprint(s))
    }
}

/// How a redaction gets a value's fingerprint: [`fingerprint`], or a [`Fingerprints`] memo.
type Fp<'a> = &'a dyn Fn(&str) -> String;

/// `eyJh…Q5w (sha256:1a2b3c4d)`. Short secrets show no characters at all, only their length:
/// a 4+3 window on an 8-character password would give most of it away.
pub fn redact(secret: &str) -> String {
    redact_with(secret, &fingerprint)
}

fn redact_with(secret: &str, fp: Fp) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let fp = fp(secret);
    if chars.len() >= 16 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("{}…{} (sha256:{fp})", printable(&head), printable(&tail))
    } else {
        format!("[{} chars] (sha256:{fp})", chars.len())
    }
}

/// Control characters in a prefix/suffix would corrupt the terminal; show them escaped.
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).collect()
}

/// Headers other than Authorization that carry API keys and tokens. Evidence reads the
/// credential from them; the without-credentials probe removes them.
pub const API_KEY_HEADERS: &[&str] = &[
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "private-token",
    "x-goog-api-key",
    "x-vault-token",
    "x-amz-security-token",
];

/// Header names whose whole value is a credential (scheme aside).
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "x-amz-security-token",
    "x-goog-api-key",
    "x-vault-token",
    "private-token",
    "x-csrf-token",
    "x-xsrf-token",
];

/// Is this header's value (wholly or partly) a secret?
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&n.as_str())
        || n == "cookie"
        || n == "set-cookie"
        || n.contains("token")
        || n.contains("secret")
        || n.contains("api-key")
        || n.contains("apikey")
        || n.contains("password")
}

/// A header value as it may be shown: schemes, cookie names and challenge text stay readable,
/// credentials become [`redact`]ed.
pub fn redact_header_value(name: &str, value: &str) -> String {
    redact_header_value_with(name, value, &fingerprint)
}

fn redact_header_value_with(name: &str, value: &str, fp: Fp) -> String {
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "proxy-authorization" {
        return redact_authorization_with(value, fp);
    }
    if n == "cookie" {
        return value
            .split(';')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => format!("{}={}", k.trim(), redact_with(v.trim(), fp)),
                None => pair.trim().to_string(),
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    if n == "set-cookie" {
        // Keep attributes (Expires, Path, …): they are evidence for session problems.
        let mut parts = value.splitn(2, ';');
        let first = parts.next().unwrap_or_default();
        let rest = parts.next();
        let shown = match first.split_once('=') {
            Some((k, v)) => format!("{}={}", k.trim(), redact_with(v.trim(), fp)),
            None => first.to_string(),
        };
        return match rest {
            Some(r) => format!("{shown};{r}"),
            None => shown,
        };
    }
    if is_sensitive_header(&n) {
        return redact_with(value, fp);
    }
    value.to_string()
}

/// `Bearer eyJh…Q5w (sha256:…)`: the scheme is evidence, the credential is not shown.
pub fn redact_authorization(value: &str) -> String {
    redact_authorization_with(value, &fingerprint)
}

fn redact_authorization_with(value: &str, fp: Fp) -> String {
    let trimmed = value.trim_start();
    match trimmed.find([' ', '\t']) {
        Some(i) => {
            let (scheme, rest) = trimmed.split_at(i);
            let cred = rest.trim_start();
            if scheme.starts_with("AWS4-") || scheme.eq_ignore_ascii_case("digest") {
                // Parameterised schemes: Signature/response are one-time values and the
                // Credential/username parts are useful evidence; redact only the signatures.
                return format!("{scheme} {}", redact_params(cred, fp));
            }
            format!("{scheme} {}", redact_with(cred, fp))
        }
        None => redact_with(trimmed, fp),
    }
}

fn redact_params(params: &str, fp: Fp) -> String {
    params
        .split(',')
        .map(|p| {
            let p = p.trim();
            match p.split_once('=') {
                Some((k, v))
                    if matches!(
                        k.trim().to_ascii_lowercase().as_str(),
                        "signature" | "response" | "cnonce"
                    ) =>
                {
                    format!("{}={}", k.trim(), redact_with(v.trim_matches('"'), fp))
                }
                _ => p.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Query parameter names that carry credentials.
pub fn is_sensitive_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "access_token"
            | "id_token"
            | "refresh_token"
            | "token"
            | "api_key"
            | "apikey"
            | "key"
            | "client_secret"
            | "password"
            | "sig"
            | "signature"
            | "x-amz-signature"
            | "x-amz-security-token"
            | "x-amz-credential"
            | "code"
            | "auth"
    ) || n.contains("secret")
        || n.contains("token")
        || n.contains("password")
}

/// A URL safe to print: userinfo password and credential-bearing query values redacted.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return raw.to_string();
    };
    if let Some(pw) = url.password().map(str::to_owned) {
        let _ = url.set_password(Some(&redact(&pw)));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_param(&k) {
                    redact(&v)
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// A string that must never be shown whole. Debug and Display redact.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The real value, for sending. Call sites of this are where secrets leave the type.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", redact(&self.0))
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// The last line of defence: knows every secret of a request and removes each from any text.
///
/// Secrets shorter than [`Scrubber::MIN_LEN`] are not scrubbed textually (replacing a one-letter
/// password everywhere would garble the report); they are only ever shown through [`redact`].
#[derive(Debug, Default, Clone)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    pub const MIN_LEN: usize = 6;

    pub fn add(&mut self, secret: &str) {
        let s = secret.trim();
        if s.chars().count() >= Self::MIN_LEN && !self.secrets.iter().any(|x| x == s) {
            self.secrets.push(s.to_string());
        }
        // The raw value too, when it differs only by whitespace (a trailing newline, say).
        if secret != s && secret.chars().count() >= Self::MIN_LEN {
            self.secrets.push(secret.to_string());
        }
    }

    /// Longest first, so a token is replaced whole before any secret it contains.
    pub fn scrub(&self, text: &str) -> String {
        let mut secrets: Vec<&String> = self.secrets.iter().collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut out = text.to_string();
        for s in secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), &redact(s));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_long_and_short() {
        let tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijQ5w";
        let r = redact(tok);
        assert!(r.starts_with("eyJh…Q5w (sha256:"), "{r}");
        assert!(!r.contains("hbGci"));
        let r = redact("hunter2");
        assert!(r.starts_with("[7 chars] (sha256:"), "{r}");
        assert!(!r.contains("hunter2"));
    }

    #[test]
    fn authorization_keeps_scheme() {
        let r = redact_authorization("Bearer abcdefghijklmnopqrstuvwxyz");
        assert!(r.starts_with("Bearer abcd…xyz"), "{r}");
        let r = redact_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        );
        assert!(r.contains("Credential=AKIDEXAMPLE/20150830"), "{r}");
        assert!(!r.contains("5da7c1a2acd57cee"), "{r}");
    }

    #[test]
    fn cookies_keep_names() {
        let r = redact_header_value("Cookie", "session=abcdefghijklmnopqrstu; theme=dark");
        assert!(r.starts_with("session=abcd…stu"), "{r}");
        assert!(r.contains("theme=[4 chars]"), "{r}");
    }

    #[test]
    fn url_query_redacted() {
        let r =
            redact_url("https://api.example.com/x?access_token=abcdefghijklmnopqrstuvwxyz&page=2");
        assert!(!r.contains("efghijklmnop"), "{r}");
        assert!(r.contains("page=2"));
        let r = redact_url("https://user:supersecretpassword@example.com/");
        assert!(!r.contains("supersecretpassword"), "{r}");
    }

    #[test]
    fn secret_debug_redacts() {
        let s = Secret::new("supersecretvalue12345");
        assert!(!format!("{s:?}").contains("secretvalue"));
        assert!(!format!("{s}").contains("secretvalue"));
        assert_eq!(s.expose(), "supersecretvalue12345");
    }

    #[test]
    fn scrubber_removes_known_secrets() {
        let mut sc = Scrubber::default();
        sc.add("my-very-secret-token\n");
        sc.add("p");
        let out = sc.scrub("sent my-very-secret-token to p");
        assert!(!out.contains("my-very-secret-token"));
        assert!(out.ends_with("to p"));
    }

    #[test]
    fn memoised_fingerprints_redact_the_same() {
        let fps = Fingerprints::default();
        let tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijQ5w";
        let headers = [
            ("Authorization", format!("Bearer {tok}")),
            ("authorization", format!("Bearer {tok}")),
            ("Proxy-Authorization", "Basic dXNlcjpwYXNz".to_string()),
            ("Authorization", r#"Digest username="u", response="6629fae49393a05397450978507c4ef1", cnonce="0a4f113b""#.to_string()),
            ("Cookie", "sid=abcdefghijklmnopqrstuvwxyz; theme=dark".to_string()),
            ("Set-Cookie", "sid=abcdefghijklmnopqrstuvwxyz; Path=/; HttpOnly".to_string()),
            ("X-Api-Key", "k-123".to_string()),
            ("Accept", "*/*".to_string()),
        ];
        for (name, value) in &headers {
            assert_eq!(
                fps.redact_header_value(name, value),
                redact_header_value(name, value)
            );
        }
        assert_eq!(fps.redact(tok), redact(tok));
        assert_eq!(fps.fingerprint(tok), fingerprint(tok));
    }
}
