//! Secrets are the users' crown jewels: this module is the one place that decides how a token,
//! password, API key, cookie or client secret is shown — a short prefix/suffix and a fingerprint,
//! never the whole value.
//!
//! Two layers: [`redact`] and friends shape what the report prints on purpose, and [`Scrubber`]
//! is the safety net that removes any known secret from finished output text before it leaves
//! the process.

pub mod har;
pub mod shape;
pub mod text;

pub use text::{redact_shapes, redact_text};

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
    // A DPoP proof: one-time, but it carries the token's hash and is replayable within its window.
    "dpop",
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

/// Is this header's value (wholly or partly) a secret? The listed carriers, and any name made
/// of a carrier's words ([`shape::is_secret_name`]: `X-Authorization`, `Authentication`,
/// `X-Auth-Key`, `Ocp-Apim-Subscription-Key`, `X-Access-Key`, …).
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    CREDENTIAL_HEADERS.contains(&n.as_str())
        || n == "set-cookie"
        || n.ends_with("-key")
        || shape::is_secret_name(&n)
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
    // A redirect's target can carry a presigned signature, a session or an OAuth code.
    if n == "location" || n == "content-location" {
        return redact_url(value);
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

/// Query parameter names that carry credentials ([`shape::is_secret_param_name`]).
pub fn is_sensitive_param(name: &str) -> bool {
    shape::is_secret_param_name(name)
}

/// One `k=v` pair of a query or fragment as it may be shown: a carrier's value, or a value
/// shaped like a credential, redacted; a value that holds a URL or pairs of its own (a token
/// nested in `redirect_uri` or `state`) redacted inside.
fn redact_pair(k: &str, v: &str) -> String {
    if v.contains("(sha256:") {
        // Already redacted (text passes through here more than once).
        return v.to_string();
    }
    if is_sensitive_param(k) || shape::looks_secret(v) {
        if v.is_empty() {
            return String::new();
        }
        return redact(v);
    }
    if v.contains("://") || v.contains('=') {
        return text::redact_text(v);
    }
    v.to_string()
}

/// `a=1&b=2` with each pair through [`redact_pair`]; `None` when nothing changed.
fn redact_pairs(s: &str) -> Option<String> {
    let mut changed = false;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| {
            let shown = redact_pair(&k, &v);
            changed |= shown != v;
            (k.into_owned(), shown)
        })
        .collect();
    changed.then(|| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    })
}

/// A URL safe to print: userinfo password, credential-bearing query values (by name or by
/// shape, nested ones too) and fragment credentials (`#access_token=…`, an OAuth `code`)
/// redacted. Text that does not parse as a URL is shown through [`redact_text`]'s pair rules.
pub fn redact_url(raw: &str) -> String {
    redact_url_inner(raw, true)
}

/// [`redact_url`] for a URL found in text: the text is returned as it was when nothing in it
/// is secret (no normalisation), so a second pass over output changes nothing.
pub fn redact_url_in_text(raw: &str) -> String {
    redact_url_inner(raw, false)
}

fn redact_url_inner(raw: &str, normalise: bool) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return redact_unparsed_url(raw);
    };
    let mut changed = false;
    if let Some(pw) = url.password().map(str::to_owned)
        && !pw.contains("%28sha256%3A")
        && !pw.contains("(sha256:")
    {
        let _ = url.set_password(Some(&redact(&pw)));
        changed = true;
    }
    if let Some(q) = url.query().map(str::to_owned)
        && let Some(shown) = redact_pairs(&q)
    {
        url.set_query(Some(&shown));
        changed = true;
    }
    if let Some(f) = url.fragment().map(str::to_owned)
        && f.contains('=')
        && let Some(shown) = redact_pairs(&f)
    {
        url.set_fragment(Some(&shown));
        changed = true;
    }
    if changed || normalise {
        url.to_string()
    } else {
        raw.to_string()
    }
}

/// An unparseable URL (a malformed IPv6 host, an empty host): no structure to rely on, so mask
/// any userinfo and redact what follows the first `?` or `#` by its pairs.
fn redact_unparsed_url(raw: &str) -> String {
    let (head, tail) = match raw.find(['?', '#']) {
        Some(i) => raw.split_at(i),
        None => (raw, ""),
    };
    let head = match (head.find("://"), head.rfind('@')) {
        (Some(s), Some(a)) if a > s + 3 => format!("{}****{}", &head[..s + 3], &head[a..]),
        _ => head.to_string(),
    };
    if tail.is_empty() {
        return head;
    }
    let sep = &tail[..1];
    format!(
        "{head}{sep}{}",
        redact_pairs(&tail[1..]).unwrap_or_else(|| tail[1..].to_string())
    )
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

/// Serde for [`Secret`] fields that are stored **by design** — a token cache file, an encrypted
/// shared record — and nowhere else: the value is written whole, as a plain JSON string (the
/// same form a `String` field had, so existing stores still load).
///
/// [`Secret`] deliberately has no `Serialize` of its own, so a secret cannot slip into a report
/// or any other JSON by deriving; use this only as `#[serde(with = "secret::persist")]` (or
/// `persist::option` for `Option<Secret>`) on a field whose whole point is to be persisted.
pub mod persist {
    use super::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(secret.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }

    /// The same for `Option<Secret>`: `null` (or, with `#[serde(default)]`, absence) is `None`.
    pub mod option {
        use super::Secret;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(secret: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
            match secret {
                Some(v) => s.serialize_some(v.expose()),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
            Option::<String>::deserialize(d).map(|o| o.map(Secret))
        }
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
        if s.chars().count() < Self::MIN_LEN {
            return;
        }
        // The value as output may spell it: raw, JSON-escaped (a `"` or `\` in a password),
        // percent-encoded (in a URL), and untrimmed (a trailing newline).
        let json = serde_json::to_string(s).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        let pct: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        for form in [s.to_string(), json, pct, secret.to_string()] {
            if form.chars().count() >= Self::MIN_LEN && !self.secrets.contains(&form) {
                self.secrets.push(form);
            }
        }
    }

    /// Every secret this scrubber knows (for another scrubber).
    pub fn extend(&mut self, other: &Scrubber) {
        for s in &other.secrets {
            if !self.secrets.iter().any(|x| x == s) {
                self.secrets.push(s.clone());
            }
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
    fn persist_round_trips_as_plain_strings() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Stored {
            #[serde(with = "persist")]
            a: Secret,
            #[serde(with = "persist::option", default)]
            b: Option<Secret>,
            #[serde(with = "persist::option", default)]
            c: Option<Secret>,
        }
        let s = Stored {
            a: Secret::new("tok\"en-1"),
            b: Some(Secret::new("refresh-2")),
            c: None,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"a":"tok\"en-1","b":"refresh-2","c":null}"#);
        let back: Stored = serde_json::from_str(&json).unwrap();
        assert_eq!(back.a.expose(), "tok\"en-1");
        assert_eq!(back.b.as_ref().map(Secret::expose), Some("refresh-2"));
        assert!(back.c.is_none());
        // An absent optional field (an older store) is None.
        let old: Stored = serde_json::from_str(r#"{"a":"x"}"#).unwrap();
        assert!(old.b.is_none() && old.c.is_none());
        assert!(serde_json::from_str::<Stored>(r#"{"a":1}"#).is_err());
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
