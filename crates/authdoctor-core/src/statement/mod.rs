//! The server's statement: what any answer says went wrong, and about what, read from
//! everywhere servers say it — the challenge (`error`, `error_description`, `scope`), an OAuth
//! or problem+json body at any status (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9457), the common
//! framework shapes (`detail`, `message`, `msg`, `error`, `errors[].message`, `code`, nested
//! `messages[]`), XML error documents (`<Code>`, `<Message>`), vendor error headers
//! (`x-ms-error-code`, `x-amzn-ErrorType`, …), an HTML title or heading, a short plain body,
//! and last the status and a bare challenge.
//!
//! Every candidate text is classified by one general lexicon ([`lexicon`]) into a small
//! vocabulary ([`Said`]); the most specific class any explicit text supports wins, and the
//! words that said it are kept. The same reading serves the user's answer, every hop and every
//! probe, so probes compare statements, not bytes. Pure; tested against a corpus of real
//! messages (`tests/fixtures/statements`).

pub mod lexicon;

use crate::model::{Exchange, HeaderList};
use serde::Serialize;
use serde_json::Value;

/// What the server says went wrong: a small vocabulary, a public contract (JSON
/// `statement.said`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Said {
    /// It is not about the credential (CSRF, a missing route, a validation error).
    NotAuth,
    /// A rate limit or quota.
    RateLimit,
    /// A second factor or a fresher login is needed.
    Mfa,
    /// The client's address is not allowed.
    Ip,
    /// The account is disabled, locked, unconfirmed, or its password must change.
    AccountState,
    /// The wrong kind of token (refresh or ID token as an access token).
    TokenType,
    /// The token is for another audience or resource.
    Audience,
    /// The token comes from another issuer.
    Issuer,
    /// The proof of possession that goes with a sender-constrained token (a DPoP proof, a
    /// nonce, the bound certificate) is missing or wrong.
    Proof,
    /// The token is not valid yet (`nbf`, `iat` in the future).
    NotYetValid,
    /// The credential or signature expired.
    Expired,
    /// The signature did not verify.
    Signature,
    /// A scope (or role claim) is missing for the operation.
    Scope,
    /// The credential could not be read (malformed, wrong format).
    Unreadable,
    /// No credential arrived or was found.
    NoCredential,
    /// Authenticated, but not permitted.
    Permission,
    /// A credential was read and refused, no more specific reason given.
    Refused,
}

impl Said {
    /// Most specific first: when several texts of one answer disagree, the earliest wins.
    pub const PRIORITY: [Said; 17] = [
        Said::RateLimit,
        Said::NotAuth,
        Said::Mfa,
        Said::Ip,
        Said::AccountState,
        Said::TokenType,
        Said::Audience,
        Said::Issuer,
        Said::Proof,
        Said::NotYetValid,
        Said::Expired,
        Said::Signature,
        Said::Scope,
        Said::Unreadable,
        Said::NoCredential,
        Said::Permission,
        Said::Refused,
    ];

    fn rank(self) -> usize {
        Self::PRIORITY
            .iter()
            .position(|s| *s == self)
            .unwrap_or(usize::MAX)
    }

    /// The snake_case name (as in JSON and the corpus).
    pub fn name(self) -> &'static str {
        match self {
            Said::NotAuth => "not_auth",
            Said::RateLimit => "rate_limit",
            Said::Mfa => "mfa",
            Said::Ip => "ip",
            Said::AccountState => "account_state",
            Said::TokenType => "token_type",
            Said::Audience => "audience",
            Said::Issuer => "issuer",
            Said::Proof => "proof",
            Said::NotYetValid => "not_yet_valid",
            Said::Expired => "expired",
            Said::Signature => "signature",
            Said::Scope => "scope",
            Said::Unreadable => "unreadable",
            Said::NoCredential => "no_credential",
            Said::Permission => "permission",
            Said::Refused => "refused",
        }
    }

    /// Is this a statement about authentication or authorization at all?
    pub fn is_auth(self) -> bool {
        !matches!(self, Said::NotAuth | Said::RateLimit)
    }

    /// Does it say the credential itself was read and found wanting (not missing, not a
    /// permission or an account matter)?
    pub fn about_the_credential(self) -> bool {
        matches!(
            self,
            Said::Refused
                | Said::Unreadable
                | Said::Expired
                | Said::NotYetValid
                | Said::Audience
                | Said::Issuer
                | Said::Signature
                | Said::TokenType
                | Said::Proof
        )
    }
}

/// How directly the server said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// In words or an error code.
    Explicit,
    /// Only implied by the status or a bare challenge.
    Implied,
}

/// What one answer says went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub said: Said,
    pub strength: Strength,
    /// The words that said it (at most 200 characters, as the server wrote them).
    pub words: String,
    /// Where: `challenge.error`, `body.message`, `header.x-ms-error-code`, `status`, …
    pub source: Source,
    /// The scope the server names, when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Where in an answer a statement was read. Serialised (and shown) as a dotted path:
/// `challenge.error`, `header.x-ms-error-code`, `body.error.message`, `body.<h1>`, `body`,
/// `challenge` (a bare challenge), `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A parameter of the challenge: `error` or `error_description`.
    ChallengeParam(&'static str),
    /// The challenge itself, without an error code (RFC 6750 §3.1).
    Challenge,
    /// A vendor error or message header, by its (lowercase) name.
    Header(&'static str),
    /// A field of a JSON or form body, by its path from the body (`error.message`).
    BodyField(String),
    /// An element of an XML or HTML body, by its tag.
    BodyElement(&'static str),
    /// The whole body, as text.
    Body,
    /// The status code alone.
    Status,
}

impl Source {
    /// Read from the server's own words or codes in the answer (not implied by the status or
    /// the bare challenge), other than its challenge's and its vendor headers' codes.
    pub fn is_body(&self) -> bool {
        matches!(
            self,
            Source::BodyField(_) | Source::BodyElement(_) | Source::Body
        )
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::ChallengeParam(p) => write!(f, "challenge.{p}"),
            Source::Challenge => f.write_str("challenge"),
            Source::Header(h) => write!(f, "header.{h}"),
            Source::BodyField(path) => write!(f, "body.{path}"),
            Source::BodyElement(tag) => write!(f, "body.<{tag}>"),
            Source::Body => f.write_str("body"),
            Source::Status => f.write_str("status"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One candidate text and where it came from.
struct Candidate {
    text: String,
    source: Source,
    /// An error code (`invalid_token`, `AuthenticationFailed`) rather than words: consulted
    /// only when no words of the answer say anything.
    code: bool,
}

/// JSON keys that never carry the statement (ids, times, links, paths).
const SKIP_KEYS: &[&str] = &[
    "request_id",
    "requestid",
    "id",
    "timestamp",
    "time",
    "date",
    "path",
    "instance",
    "documentation_url",
    "url",
    "uri",
    "href",
    "link",
    "links",
    "trace_id",
    "traceid",
    "correlation_id",
    "hostid",
    "host_id",
    "kind",
    "apiversion",
    "metadata",
    "name",
    "domain",
    "location",
    "locationtype",
    "extendedhelp",
    "help",
    "type", // an error category (`invalid_request_error`), not what went wrong
    "token_class",
    "token_type",
    "ok",
];

/// Keys whose values are codes even when they read like words (`"status": "UNAUTHENTICATED"`).
const CODE_KEYS: &[&str] = &[
    "code",
    "error_code",
    "errorcode",
    "status",
    "__type",
    "reason_code",
];

/// A code, by its shape: one token, no spaces (`invalid_token`, `USER_DISABLED`, `authError`).
fn looks_like_code(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && !t.contains(char::is_whitespace)
}

fn json_candidates(v: &Value, path: &str, key: &str, depth: usize, out: &mut Vec<Candidate>) {
    if depth > 5 || out.len() > 32 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let k = k.to_ascii_lowercase();
                if SKIP_KEYS.contains(&k.as_str()) {
                    continue;
                }
                json_candidates(val, &format!("{path}.{k}"), &k, depth + 1, out);
            }
        }
        Value::Array(a) => {
            for x in a.iter().take(6) {
                json_candidates(x, path, key, depth + 1, out);
            }
        }
        // A bare link is not a statement (a link inside a sentence does not spoil the sentence).
        Value::String(s)
            if !s.trim().is_empty()
                && s.len() <= 1000
                && !s.trim_start().starts_with("http://")
                && !s.trim_start().starts_with("https://") =>
        {
            out.push(Candidate {
                text: s.chars().take(400).collect(),
                source: match path.strip_prefix("body.") {
                    Some(field) => Source::BodyField(field.to_string()),
                    None => Source::Body,
                },
                code: CODE_KEYS.contains(&key) || looks_like_code(s),
            })
        }
        _ => {}
    }
}

/// The text of every `<tag>…</tag>` (case-insensitive tag), tags inside stripped. `lower` is
/// `body` in lowercase (computed once for every tag).
fn tag_texts(body: &str, lower: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}"));
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open).map(|i| i + from) {
        // `<p>` must not match `<pre>`.
        let next = lower.as_bytes().get(i + open.len()).copied();
        if !matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'/')) {
            from = i + open.len();
            continue;
        }
        let Some(gt) = lower[i..].find('>') else {
            break;
        };
        let after = i + gt + 1;
        let Some(end) = lower[after..].find(&close).map(|e| e + after) else {
            break;
        };
        // A container (`<Error><Code>…</Code><Message>…</Message></Error>`) is read through
        // its children, not as one run-on text.
        let inner = &lower[after..end];
        let container = inner.contains("</");
        let t = strip_tags(&body[after..end]);
        if !container && !t.trim().is_empty() {
            out.push(t.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        from = end;
        if out.len() > 8 {
            break;
        }
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Error-carrying headers of vendors and gateways (values are codes).
const ERROR_HEADERS: &[&str] = &[
    "x-ms-error-code",
    "x-amzn-errortype",
    "x-amz-error-code",
    "x-error-code",
    "x-sb-error-code",
];

/// Headers whose values are words.
const MESSAGE_HEADERS: &[&str] = &["x-error", "x-error-message", "grpc-message"];

/// `a=1&b=2`: pairs and no spaces.
fn is_form(t: &str) -> bool {
    t.contains('=') && !t.contains(char::is_whitespace) && !t.starts_with(['{', '[', '<'])
}

/// Every text in the answer that may say what went wrong.
fn candidates(x: &Exchange) -> Vec<Candidate> {
    let mut out = Vec::new();
    let challenge_name = if x.status == 407 {
        "proxy-authenticate"
    } else {
        "www-authenticate"
    };
    for c in crate::http::challenge::parse_challenges(&x.headers.all(challenge_name)) {
        for (p, code) in [("error", true), ("error_description", false)] {
            if let Some(v) = c.param(p) {
                out.push(Candidate {
                    text: v.to_string(),
                    source: Source::ChallengeParam(p),
                    code,
                });
            }
        }
    }
    for (list, code) in [(ERROR_HEADERS, true), (MESSAGE_HEADERS, false)] {
        for h in list {
            if let Some(v) = x.headers.first(h) {
                out.push(Candidate {
                    text: v.to_string(),
                    source: Source::Header(h),
                    code,
                });
            }
        }
    }
    let text = x.body_text();
    let trimmed = text.trim();
    // `)]}'` and similar anti-JSON-hijacking prefixes.
    let json_start = trimmed.find(['{', '[']).filter(|i| *i <= 6).unwrap_or(0);
    if let Ok(v) = serde_json::from_str::<Value>(&trimmed[json_start..]) {
        json_candidates(&v, "body", "", 0, &mut out);
    } else if trimmed.starts_with('<') {
        let lower = trimmed.to_ascii_lowercase();
        for tag in [
            "authenticationerrordetail",
            "message",
            "detail",
            "reason",
            "error",
            "code",
            "title",
            "h1",
            "h2",
            "pre",
            "p",
            "center",
        ] {
            for t in tag_texts(trimmed, &lower, tag) {
                out.push(Candidate {
                    code: tag == "code" || looks_like_code(&t),
                    text: t.chars().take(400).collect(),
                    source: Source::BodyElement(tag),
                });
            }
        }
    } else if is_form(trimmed) {
        // A form-encoded answer (an OAuth token endpoint's older form): its pairs, not its text.
        for (k, v) in url::form_urlencoded::parse(trimmed.as_bytes()) {
            let k = k.to_ascii_lowercase();
            if matches!(k.as_str(), "error" | "error_description" | "message") {
                out.push(Candidate {
                    code: k == "error",
                    text: v.chars().take(400).collect(),
                    source: Source::BodyField(k),
                });
            }
        }
    } else if !trimmed.is_empty() {
        out.push(Candidate {
            text: trimmed.chars().take(400).collect(),
            source: Source::Body,
            code: looks_like_code(trimmed),
        });
    }
    out
}

/// The scope a challenge or body names (`scope="…"`, `"scope": "…"`).
fn named_scope(x: &Exchange) -> Option<String> {
    let challenges = crate::http::challenge::parse_challenges(&x.headers.all("www-authenticate"));
    if let Some(s) = challenges.iter().find_map(|c| c.param("scope")) {
        return Some(s.to_string());
    }
    let v: Value = serde_json::from_slice(&x.body).ok()?;
    ["/scope", "/required_scope", "/error/scope"]
        .iter()
        .find_map(|p| v.pointer(p)?.as_str().map(str::to_string))
}

/// Read one answer into a statement; `None` for a success with nothing to say.
///
/// Words win over codes: the most specific class any of the answer's words support; codes
/// (`invalid_token`, `AuthenticationFailed`) only when no words say anything; the status and a
/// bare challenge only when nothing at all does. Boilerplate (a status's own words, a server's
/// stock 401 page) says nothing.
pub fn read(x: &Exchange) -> Option<Statement> {
    let scope = named_scope(x);
    let mut words: Option<(Said, Candidate)> = None;
    let mut codes: Option<(Said, Candidate)> = None;
    let mut unclassified_words = false;
    for c in candidates(x) {
        let slot = if c.code { &mut codes } else { &mut words };
        match lexicon::read_text(&c.text) {
            lexicon::Reading::Said(said)
                if slot.as_ref().is_none_or(|(b, _)| said.rank() < b.rank()) =>
            {
                *slot = Some((said, c));
            }
            lexicon::Reading::Unknown if !c.code => unclassified_words = true,
            _ => {}
        }
    }
    // RFC 6750 §3.1: a challenge with an error code answers a request that carried a token
    // (`invalid_token`), or names the scope it lacked (`insufficient_scope`); either outweighs
    // generic words such as "authentication required".
    let challenge_code = codes
        .as_ref()
        .filter(|(_, c)| c.source == Source::ChallengeParam("error"))
        .map(|(s, _)| *s);
    if let (Some(code), Some((w, _))) = (challenge_code, &words)
        && (*w == Said::NoCredential
            || (code == Said::Scope && matches!(w, Said::Refused | Said::Permission)))
    {
        words = None;
    }
    let explicit = words.or(codes).map(|(said, c)| Statement {
        said,
        strength: Strength::Explicit,
        words: c.text.chars().take(200).collect(),
        source: c.source,
        scope: None,
    });
    explicit
        .or_else(|| implied(x, unclassified_words))
        .map(|mut b| {
            if b.said == Said::Scope || (scope.is_some() && b.said == Said::Permission) {
                b.scope = scope;
            }
            b
        })
}

/// What the status and the challenge alone imply. `said_something`: the answer has words the
/// lexicon does not know, so a bare challenge is not taken to mean "nothing arrived".
fn implied(x: &Exchange, said_something: bool) -> Option<Statement> {
    let challenges = crate::http::challenge::parse_challenges(&x.headers.all(if x.status == 407 {
        "proxy-authenticate"
    } else {
        "www-authenticate"
    }));
    let mk = |said, words: &str, source: Source| {
        Some(Statement {
            said,
            strength: Strength::Implied,
            words: words.to_string(),
            source,
            scope: None,
        })
    };
    // RFC 6750 §3.1: a Bearer challenge without an error code answers a request that "lacks
    // any authentication information".
    if let Some(c) = challenges.iter().find(|c| c.is_scheme("bearer"))
        && c.param("error").is_none()
        && !said_something
        && matches!(x.status, 401 | 400 | 403)
    {
        return mk(
            Said::NoCredential,
            "Bearer challenge without an error code",
            Source::Challenge,
        );
    }
    match x.status {
        401 => mk(Said::Refused, "401 Unauthorized", Source::Status),
        // A bare 400 under an authentication scheme: the request could not be read.
        400 if !challenges.is_empty() || !said_something => {
            mk(Said::Unreadable, "400 Bad Request", Source::Status)
        }
        407 => mk(
            Said::NoCredential,
            "407 Proxy Authentication Required",
            Source::Status,
        ),
        403 => mk(Said::Permission, "403 Forbidden", Source::Status),
        429 => mk(Said::RateLimit, "429 Too Many Requests", Source::Status),
        419 => mk(
            Said::NotAuth,
            "419 (session or CSRF token expired)",
            Source::Status,
        ),
        404 | 405 | 409 | 410 | 413 | 415 | 422 => mk(
            Said::NotAuth,
            "not an authentication status",
            Source::Status,
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
