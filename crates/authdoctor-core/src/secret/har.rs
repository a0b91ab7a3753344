//! Redacting a HAR recording so it can be shared: every credential is replaced by the report's
//! form (`eyJh…Q5w (sha256:1a2b3c4d)`, short ones `[7 chars] (sha256:…)`), wherever the HAR keeps
//! it — and HAR keeps most things twice:
//!
//! - headers: `Authorization` and `Proxy-Authorization` (the scheme stays), `Cookie` and
//!   `Set-Cookie` values (names and attributes stay; Basic credentials stay Basic — the user name
//!   and the redacted password, base64-encoded again), API-key and other credential headers
//!   ([`is_sensitive_header`]), `Location`;
//! - the `cookies` arrays of requests and responses;
//! - URLs (`request.url`, `redirectURL`, `log.pages[].title`) and the `queryString` array: token
//!   parameters, presigned-URL signatures, userinfo passwords ([`is_sensitive_param`]);
//! - bodies (`postData.text`/`params`, `response.content.text`, base64 ones decoded first):
//!   form fields and JSON fields named like a credential (`password`, `client_secret`,
//!   `code_verifier`, `refresh_token`, a token response's `access_token`/`id_token`, …), values
//!   shaped like a JWT or a vendor key, and in other text what [`redact_text`] finds;
//! - then every string of the document once more: any value removed above that appears
//!   anywhere else (an echo in a body, a `_`-prefixed vendor field) is replaced too.
//!
//! A JWT keeps its header and claims and loses its signature: the signature segment becomes
//! `REDACTED-sha256-<fingerprint of the whole token>` padded with `A` to the original length,
//! so the claims stay decodable and `check --har` on the copy still reads `exp`, `aud`, `iss`,
//! … (and does not call the token truncated). The document's structure is kept; only string
//! values change.

use super::shape::{basic_user_is_secret, is_jwt_shaped, is_secret_name, looks_secret};
use super::{
    Scrubber, fingerprint, is_sensitive_header, is_sensitive_param, redact, redact_header_value,
    redact_shapes, redact_text, redact_url,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Where a removed credential was carried. Declared in the alphabetical order of the labels, so
/// a [`Summary`] lists carriers in the same order as their labels sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Carrier {
    ApiKeyHeader,
    AuthorizationHeader,
    BodyText,
    Cookie,
    FormField,
    JsonField,
    /// Copies of a removed value found elsewhere by the last pass.
    OtherCopies,
    ProxyAuthorizationHeader,
    QueryParameter,
    SetCookie,
    /// `access_token`/`refresh_token`/`id_token` of a response body.
    TokenResponseField,
    UrlUserinfo,
}

impl Carrier {
    pub const ALL: [Carrier; 12] = [
        Carrier::ApiKeyHeader,
        Carrier::AuthorizationHeader,
        Carrier::BodyText,
        Carrier::Cookie,
        Carrier::FormField,
        Carrier::JsonField,
        Carrier::OtherCopies,
        Carrier::ProxyAuthorizationHeader,
        Carrier::QueryParameter,
        Carrier::SetCookie,
        Carrier::TokenResponseField,
        Carrier::UrlUserinfo,
    ];

    /// The name the summary shows.
    pub fn label(self) -> &'static str {
        match self {
            Carrier::ApiKeyHeader => "api-key or credential header",
            Carrier::AuthorizationHeader => "authorization header",
            Carrier::BodyText => "body text",
            Carrier::Cookie => "cookie",
            Carrier::FormField => "form field",
            Carrier::JsonField => "json field",
            Carrier::OtherCopies => "other copies",
            Carrier::ProxyAuthorizationHeader => "proxy-authorization header",
            Carrier::QueryParameter => "query parameter",
            Carrier::SetCookie => "set-cookie",
            Carrier::TokenResponseField => "token response field",
            Carrier::UrlUserinfo => "url userinfo",
        }
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What was removed, counted per carrier.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub counts: BTreeMap<Carrier, usize>,
    /// JWTs that kept header and claims.
    pub jwts: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    fn count(&mut self, carrier: Carrier) {
        *self.counts.entry(carrier).or_default() += 1;
    }
}

/// A redacted HAR document, rendered, and what was removed from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactedHar {
    /// Pretty JSON with a trailing newline.
    pub output: String,
    pub summary: Summary,
}

/// Why a document cannot be redacted.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("not valid JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("not a HAR file: no log.entries array")]
    NotHar,
}

/// OAuth parameters that are credentials although their names carry none of the carrier words
/// the core's name rules look for.
const OAUTH_SECRET_FIELDS: &[&str] = &[
    "code_verifier",
    "client_assertion",
    "assertion",
    "device_code",
    "pre-authorized_code",
];

/// A form field, JSON key or query parameter that carries a credential.
fn is_credential_field(name: &str, in_url: bool) -> bool {
    let n = name.trim().to_ascii_lowercase();
    OAUTH_SECRET_FIELDS.contains(&n.as_str())
        || if in_url {
            is_sensitive_param(&n)
        } else {
            is_secret_name(&n) || is_sensitive_param(&n)
        }
}

/// The marker that replaces a JWT's signature.
const SIG_MARKER: &str = "REDACTED-sha256-";

struct Redactor {
    summary: Summary,
    scrubber: Scrubber,
    /// `redact(jwt)` → the JWT without its signature, for every JWT the document holds.
    jwts: Vec<(String, String)>,
}

/// A JWT's header and claims with the signature replaced; `None` when `s` is not a compact JWS
/// (a JWE keeps nothing: its parts are all opaque) or was redacted already.
fn strip_jwt(s: &str) -> Option<String> {
    if !is_jwt_shaped(s) {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 3 || parts[2].starts_with("REDACTED") {
        return None;
    }
    let mut sig = format!("{SIG_MARKER}{}", fingerprint(s));
    while sig.len() < parts[2].len() {
        sig.push('A');
    }
    Some(format!("{}.{}.{sig}", parts[0], parts[1]))
}

/// Already in the redacted form (a second run over a redacted HAR changes nothing).
fn is_redacted(v: &str) -> bool {
    v.contains("(sha256:")
        || v.contains("%28sha256%3A")
        || strip_jwt(v).is_none() && v.contains(".REDACTED-sha256-")
}

/// Every JWT-shaped word of a text.
fn jwt_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|w| w.trim_matches('.'))
        .filter(|w| w.starts_with("eyJ") && is_jwt_shaped(w))
}

impl Redactor {
    fn new() -> Self {
        Redactor {
            summary: Summary::default(),
            scrubber: Scrubber::default(),
            jwts: Vec::new(),
        }
    }

    /// Remember a secret (for the last pass) and count it; returns its redacted form.
    fn take(&mut self, carrier: Carrier, secret: &str) -> String {
        if secret.is_empty() || is_redacted(secret) {
            return secret.to_string();
        }
        self.summary.count(carrier);
        self.remember(secret);
        match strip_jwt(secret.trim()) {
            Some(stripped) => stripped,
            None => redact(secret),
        }
    }

    /// A removed value is also looked for everywhere else in the document — unless it is short or
    /// a plain word (`user=mitmproxy`, `lang=english`): replacing every copy of those would
    /// garble hosts, titles and prose, and they are not secrets worth hunting.
    fn remember(&mut self, secret: &str) {
        let s = secret.trim();
        if s.chars().count() >= 8 && !s.chars().all(char::is_alphabetic) {
            self.scrubber.add(s);
        }
    }

    /// Learn every JWT of the document first, so whichever rule redacts one (a header, a JSON
    /// field, the text scan, the last pass) it can be given back its header and claims.
    fn learn_jwts(&mut self, v: &Value) {
        match v {
            Value::String(s) => {
                for w in jwt_words(s) {
                    if let Some(stripped) = strip_jwt(w) {
                        let shown = redact(w);
                        if !self.jwts.iter().any(|(r, _)| *r == shown) {
                            self.jwts.push((shown, stripped));
                        }
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| self.learn_jwts(x)),
            Value::Object(o) => o.values().for_each(|x| self.learn_jwts(x)),
            _ => {}
        }
    }

    fn header(&mut self, name: &str, value: &str) -> String {
        let n = name.trim().to_ascii_lowercase();
        match n.as_str() {
            "authorization" | "proxy-authorization" => {
                let carrier = if n == "authorization" {
                    Carrier::AuthorizationHeader
                } else {
                    Carrier::ProxyAuthorizationHeader
                };
                let t = value.trim_start();
                match t.find([' ', '\t']) {
                    Some(i) => {
                        let (scheme, rest) = t.split_at(i);
                        if scheme.starts_with("AWS4-") || scheme.eq_ignore_ascii_case("digest") {
                            // One-time signatures; the key id and username stay as evidence.
                            self.summary.count(carrier);
                            return redact_header_value(name, value);
                        }
                        if scheme.eq_ignore_ascii_case("basic")
                            && let Some(shown) = self.basic(carrier, rest.trim())
                        {
                            return format!("{scheme} {shown}");
                        }
                        format!("{scheme} {}", self.take(carrier, rest.trim_start()))
                    }
                    None => self.take(carrier, t),
                }
            }
            "cookie" => value
                .split(';')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => {
                        format!("{}={}", k.trim(), self.take(Carrier::Cookie, v.trim()))
                    }
                    None => pair.trim().to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            "set-cookie" => {
                let (first, rest) = match value.split_once(';') {
                    Some((f, r)) => (f, Some(r)),
                    None => (value, None),
                };
                let shown = match first.split_once('=') {
                    Some((k, v)) => {
                        format!("{}={}", k.trim(), self.take(Carrier::SetCookie, v.trim()))
                    }
                    None => first.to_string(),
                };
                match rest {
                    Some(r) => format!("{shown};{r}"),
                    None => shown,
                }
            }
            "location" | "content-location" | "referer" | "origin" => self.url(value),
            _ if is_sensitive_header(&n) => self.take(Carrier::ApiKeyHeader, value),
            _ if looks_secret(value) => self.take(Carrier::ApiKeyHeader, value),
            _ => value.to_string(),
        }
    }

    /// Basic credentials stay Basic: `user:password` with the password (and a user name that is
    /// really a key) redacted, encoded again, so the copy still says whether the original was
    /// well-formed base64 with a colon. `None` when it was not (it is then redacted whole).
    fn basic(&mut self, carrier: Carrier, blob: &str) -> Option<String> {
        let decoded = STANDARD.decode(blob).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, pass) = text.split_once(':')?;
        if is_redacted(pass) {
            return Some(blob.to_string());
        }
        self.summary.count(carrier);
        self.remember(blob);
        let user = if basic_user_is_secret(user, Some(pass)) {
            self.remember(user);
            redact(user)
        } else {
            user.to_string()
        };
        let pass = if pass.is_empty() {
            String::new()
        } else {
            self.remember(pass);
            redact(pass)
        };
        Some(STANDARD.encode(format!("{user}:{pass}")))
    }

    /// A URL: the core's rules ([`redact_url`]); the secrets it removed are learnt from the
    /// query so the last pass finds their other copies.
    fn url(&mut self, raw: &str) -> String {
        if let Ok(u) = url::Url::parse(raw) {
            if let Some(pw) = u.password()
                && !is_redacted(pw)
            {
                self.summary.count(Carrier::UrlUserinfo);
                self.remember(pw);
            }
            for part in [u.query(), u.fragment()].into_iter().flatten() {
                for (k, v) in url::form_urlencoded::parse(part.as_bytes()) {
                    if !v.is_empty()
                        && (is_sensitive_param(&k) || looks_secret(&v))
                        && !is_redacted(&v)
                    {
                        self.remember(&v);
                    }
                }
            }
        }
        let shown = redact_url(raw);
        if shown == raw { raw.to_string() } else { shown }
    }

    /// `[{name, value}]` arrays: query parameters, form params, cookies.
    fn pairs(&mut self, list: &mut Value, carrier: Carrier, all: bool) {
        for item in list.as_array_mut().into_iter().flatten() {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(Value::String(v)) = item.get_mut("value") else {
                continue;
            };
            if all || is_credential_field(&name, true) || looks_secret(v) {
                *v = self.take(carrier, v);
            }
        }
    }

    /// A form-encoded body: sensitive pairs redacted, others kept as written.
    fn form(&mut self, text: &str) -> String {
        text.split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let key = url::form_urlencoded::parse(k.as_bytes())
                    .next()
                    .map(|(k, _)| k.into_owned())
                    .unwrap_or_default();
                let value: String = url::form_urlencoded::parse(format!("x={v}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                if !value.is_empty() && (is_credential_field(&key, true) || looks_secret(&value)) {
                    let shown = self.take(Carrier::FormField, &value);
                    let enc: String =
                        url::form_urlencoded::byte_serialize(shown.as_bytes()).collect();
                    format!("{k}={enc}")
                } else {
                    pair.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// A JSON document: fields named like a credential, and credential-shaped values.
    fn json(&mut self, v: &mut Value, response: bool) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    match x {
                        Value::String(s) if !s.is_empty() && is_credential_field(k, false) => {
                            let carrier = if response
                                && matches!(
                                    k.as_str(),
                                    "access_token" | "refresh_token" | "id_token"
                                ) {
                                Carrier::TokenResponseField
                            } else {
                                Carrier::JsonField
                            };
                            *s = self.take(carrier, s);
                        }
                        _ => self.json(x, response),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.json(x, response)),
            Value::String(s) if looks_secret(s) => *s = self.take(Carrier::JsonField, s),
            _ => {}
        }
    }

    /// A body in any format: JSON, form, or text.
    fn body(&mut self, text: &str, mime: &str, response: bool) -> String {
        let trimmed = text.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && let Ok(mut v) = serde_json::from_str::<Value>(text)
        {
            let before = v.clone();
            self.json(&mut v, response);
            if v == before {
                return text.to_string();
            }
            return serde_json::to_string(&v).unwrap_or_else(|_| text.to_string());
        }
        if mime.to_ascii_lowercase().contains("x-www-form-urlencoded")
            || (!text.contains(char::is_whitespace) && text.contains('=') && !text.contains('<'))
        {
            return self.form(text);
        }
        // Style sheets and scripts: only what is shaped like a credential (URLs, JWTs, vendor
        // keys); their `cookie:`/`token:` words are code, not name/value pairs.
        let m = mime.to_ascii_lowercase();
        let shown = if ["css", "javascript", "ecmascript", "font", "image/", "wasm"]
            .iter()
            .any(|t| m.contains(t))
        {
            redact_shapes(text)
        } else {
            redact_text(text)
        };
        if shown != text {
            self.summary.count(Carrier::BodyText);
        }
        shown
    }

    /// A request or response object of an entry.
    fn message(&mut self, m: &mut Value, response: bool) {
        let Some(o) = m.as_object_mut() else { return };
        if let Some(Value::String(u)) = o.get_mut("url") {
            *u = self.url(u);
        }
        if let Some(Value::String(u)) = o.get_mut("redirectURL") {
            *u = self.url(u);
        }
        if let Some(headers) = o.get_mut("headers").and_then(Value::as_array_mut) {
            for h in headers {
                let name = h
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Some(Value::String(v)) = h.get_mut("value") {
                    *v = self.header(&name, v);
                }
            }
        }
        if let Some(c) = o.get_mut("cookies") {
            self.pairs(
                c,
                if response {
                    Carrier::SetCookie
                } else {
                    Carrier::Cookie
                },
                true,
            );
        }
        if let Some(q) = o.get_mut("queryString") {
            self.pairs(q, Carrier::QueryParameter, false);
        }
        if let Some(pd) = o.get_mut("postData").and_then(Value::as_object_mut) {
            let mime = pd
                .get("mimeType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(p) = pd.get_mut("params") {
                self.pairs(p, Carrier::FormField, false);
            }
            if let Some(Value::String(t)) = pd.get_mut("text") {
                *t = self.body(t, &mime, false);
            }
        }
        if let Some(c) = o.get_mut("content").and_then(Value::as_object_mut) {
            let mime = c
                .get("mimeType")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let base64 = c.get("encoding").and_then(Value::as_str) == Some("base64");
            if let Some(Value::String(t)) = c.get_mut("text") {
                if base64 {
                    let decoded = STANDARD
                        .decode(t.trim())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok());
                    if let Some(plain) = decoded {
                        let shown = self.body(&plain, &mime, response);
                        if shown != plain {
                            *t = STANDARD.encode(shown.as_bytes());
                        }
                    }
                } else {
                    *t = self.body(t, &mime, response);
                }
            }
        }
    }

    /// The last pass over one string: secrets seen anywhere, then JWTs given back their claims.
    fn finish(&self, s: &str) -> String {
        let mut out = self.scrubber.scrub(s);
        for (shown, stripped) in &self.jwts {
            if out.contains(shown.as_str()) {
                out = out.replace(shown.as_str(), stripped);
            }
            let enc: String = url::form_urlencoded::byte_serialize(shown.as_bytes()).collect();
            if out.contains(enc.as_str()) {
                out = out.replace(enc.as_str(), stripped);
            }
        }
        out
    }

    fn finish_all(&mut self, v: &mut Value) {
        match v {
            Value::String(s) => {
                let shown = self.finish(s);
                if shown != *s {
                    if shown.contains("(sha256:") && !s.contains("(sha256:") {
                        self.summary.count(Carrier::OtherCopies);
                    }
                    *s = shown;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.finish_all(x)),
            Value::Object(o) => {
                let base64 = o.get("encoding").and_then(Value::as_str) == Some("base64");
                for (k, x) in o.iter_mut() {
                    match x {
                        Value::String(t) if base64 && k == "text" => {
                            let plain = STANDARD
                                .decode(t.trim())
                                .ok()
                                .and_then(|b| String::from_utf8(b).ok());
                            if let Some(plain) = plain {
                                let shown = self.finish(&plain);
                                if shown != plain {
                                    *t = STANDARD.encode(shown.as_bytes());
                                }
                            }
                        }
                        _ => self.finish_all(x),
                    }
                }
            }
            _ => {}
        }
    }
}

/// Redact a parsed HAR in place.
pub fn redact_har(har: &mut Value) -> Result<Summary, RedactError> {
    if !har.pointer("/log/entries").is_some_and(Value::is_array) {
        return Err(RedactError::NotHar);
    }
    let mut r = Redactor::new();
    r.learn_jwts(har);
    if let Some(pages) = har.pointer_mut("/log/pages").and_then(Value::as_array_mut) {
        for p in pages {
            if let Some(Value::String(t)) = p.get_mut("title") {
                *t = r.url(t);
            }
        }
    }
    if let Some(entries) = har
        .pointer_mut("/log/entries")
        .and_then(Value::as_array_mut)
    {
        for e in entries {
            if let Some(req) = e.get_mut("request") {
                r.message(req, false);
            }
            if let Some(resp) = e.get_mut("response") {
                r.message(resp, true);
            }
        }
    }
    r.finish_all(har);
    r.summary.jwts = r.jwts.len();
    Ok(r.summary)
}

/// Parse, redact and render (pretty JSON) a HAR document.
pub fn redact_har_text(text: &str) -> Result<RedactedHar, RedactError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut v: Value = serde_json::from_str(text).map_err(RedactError::NotJson)?;
    let summary = redact_har(&mut v)?;
    let mut out = serde_json::to_string_pretty(&v).map_err(RedactError::NotJson)?;
    out.push('\n');
    Ok(RedactedHar {
        output: out,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MX0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmUtMTIzNDU2";

    fn har(entry: Value) -> Value {
        serde_json::json!({"log": {"version": "1.2", "entries": [entry]}})
    }

    #[test]
    fn jwt_keeps_claims_and_loses_signature() {
        let mut h = har(serde_json::json!({
            "request": {"method": "GET", "url": format!("https://x.test/a?access_token={JWT}"),
                        "headers": [{"name": "Authorization", "value": format!("Bearer {JWT}")}]},
            "response": {"status": 401, "headers": [], "content": {"text": format!("{{\"echo\":\"{JWT}\"}}")}}
        }));
        let s = redact_har(&mut h).unwrap();
        let text = h.to_string();
        assert!(!text.contains("c2lnbmF0dXJl"), "{text}");
        let auth = h
            .pointer("/log/entries/0/request/headers/0/value")
            .unwrap()
            .as_str()
            .unwrap();
        let parts: Vec<&str> = auth.trim_start_matches("Bearer ").split('.').collect();
        assert_eq!(
            parts[..2],
            ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJhbGljZSIsImV4cCI6MX0"]
        );
        assert!(parts[2].starts_with(SIG_MARKER));
        assert_eq!(parts[2].len(), JWT.split('.').nth(2).unwrap().len());
        assert_eq!(s.counts.get(&Carrier::AuthorizationHeader), Some(&1));
        assert_eq!(s.jwts, 1);
    }

    #[test]
    fn carriers() {
        let mut h = har(serde_json::json!({
            "request": {"method": "POST", "url": "https://x.test/token?sig=abcdefghijklmnop&page=2",
                "headers": [{"name": "Cookie", "value": "sid=cookie-value-1234; lang=en"},
                            {"name": "X-Api-Key", "value": "key-value-98765"}],
                "queryString": [{"name": "sig", "value": "abcdefghijklmnop"}, {"name": "page", "value": "2"}],
                "postData": {"mimeType": "application/x-www-form-urlencoded",
                             "text": "grant_type=authorization_code&code_verifier=verifier-xyz-123&client_secret=cs-4567890",
                             "params": [{"name": "client_secret", "value": "cs-4567890"}]}},
            "response": {"status": 200, "headers": [{"name": "Set-Cookie", "value": "sid=new-cookie-9999; Path=/; HttpOnly"}],
                "cookies": [{"name": "sid", "value": "new-cookie-9999"}],
                "content": {"mimeType": "application/json", "text": "{\"access_token\":\"opaque-access-1234\",\"token_type\":\"Bearer\",\"refresh_token\":\"rt-abcdef-123\"}"}}
        }));
        let s = redact_har(&mut h).unwrap();
        let text = h.to_string();
        for secret in [
            "cookie-value-1234",
            "key-value-98765",
            "abcdefghijklmnop",
            "verifier-xyz-123",
            "cs-4567890",
            "new-cookie-9999",
            "opaque-access-1234",
            "rt-abcdef-123",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        for kept in [
            "page=2",
            "lang=",
            "Path=/; HttpOnly",
            "grant_type=authorization_code",
            "token_type",
        ] {
            assert!(text.contains(kept), "{kept} lost: {text}");
        }
        assert_eq!(s.counts.get(&Carrier::TokenResponseField), Some(&2));
        // Idempotent.
        let once = h.clone();
        let again = redact_har(&mut h).unwrap();
        assert_eq!(h, once);
        assert_eq!(again.total(), 0);
    }

    #[test]
    fn bad_input() {
        assert!(matches!(redact_har_text("{"), Err(RedactError::NotJson(_))));
        assert!(matches!(redact_har_text("{}"), Err(RedactError::NotHar)));
        assert_eq!(
            redact_har_text("{").unwrap_err().to_string(),
            "not valid JSON: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn carriers_sort_like_their_labels() {
        let mut labels: Vec<&str> = Carrier::ALL.iter().map(|c| c.label()).collect();
        labels.sort_unstable();
        let in_order: Vec<&str> = Carrier::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(labels, in_order);
        let mut sorted = Carrier::ALL;
        sorted.sort_unstable();
        assert_eq!(sorted, Carrier::ALL);
    }

    #[test]
    fn rendered_output_is_pretty_json_with_newline() {
        let r = redact_har_text("\u{feff}{\"log\":{\"entries\":[]}}").unwrap();
        assert_eq!(r.output, "{\n  \"log\": {\n    \"entries\": []\n  }\n}\n");
        assert_eq!(r.summary, Summary::default());
    }
}
