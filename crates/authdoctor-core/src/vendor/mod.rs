//! Vendor knowledge: how each large provider words its rejections (status, headers, body fields,
//! codes, messages) and what its credentials look like (key prefixes), mapped onto the cause
//! catalogue's ids with the vendor's own fix wording. The knowledge is data, not code paths:
//! `vendors.json` holds every entry and key format, and this module is one generic matcher over
//! it, plus three small extractors for shapes a JSON pointer cannot reach (AADSTS codes, AWS error
//! codes, GitHub's scope hierarchy).

mod github;

use crate::model::{Exchange, Header, HeaderList, RequestSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::OnceLock;

pub use github::{github_missing_scope, github_scope_granted};

/// One knowledge-base entry that matched the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorMatch {
    /// Provider, e.g. `GitHub`.
    pub vendor: String,
    /// Knowledge-base entry id, e.g. `github.bad-credentials`.
    pub entry: String,
    /// The catalogue id this response shape means.
    pub cause: String,
    /// What the vendor's documented answer establishes.
    pub grade: crate::diagnosis::Grade,
    /// What matched, in words ("body message \"Bad credentials\"").
    pub evidence: String,
    pub fix_title: String,
    pub fix_steps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The response signals an authentication failure even when its status does not (Slack's 200).
    pub auth_failure: bool,
}

/// A credential recognised by its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFormat {
    pub vendor: String,
    /// e.g. "personal access token (classic)", "secret key".
    pub kind: String,
    /// `test` / `live` where the format says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// The whole knowledge base as stored in `vendors.json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeBase {
    #[serde(default)]
    pub about: String,
    pub key_formats: Vec<KeyRule>,
    /// AADSTS codes deliberately mapped to no cause, each with the reason.
    pub aadsts_unmapped: Vec<UnmappedCode>,
    /// Vendor responses that look like auth failures and are not (documented, never matched).
    pub not_auth: Vec<NotAuth>,
    pub entries: Vec<Entry>,
}

/// A credential format: a literal prefix, or an Authorization scheme (Okta's `SSWS`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRule {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub scheme: Option<String>,
    pub vendor: String,
    pub kind: String,
    #[serde(default)]
    pub environment: Option<String>,
    /// Short prefixes (`AKIA`, `sk-`) only count on credentials at least this long.
    #[serde(default)]
    pub min_len: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnmappedCode {
    pub code: u64,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotAuth {
    pub vendor: String,
    pub shape: String,
    pub reason: String,
}

/// One response shape and what it means.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub vendor: String,
    pub when: When,
    /// The precise catalogue id (implemented or planned).
    pub cause: String,
    /// An implemented id to report while `cause` is only planned.
    #[serde(default)]
    pub fallback: Option<String>,
    pub grade: crate::diagnosis::Grade,
    pub evidence: String,
    pub fix_title: String,
    pub fix_steps: Vec<String>,
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub auth_failure: bool,
    /// Of several matching entries sharing a group, only the first in the file is kept.
    #[serde(default)]
    pub exclusive_group: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// Match conditions: all present conditions must hold; inside a list, any value may match.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub status: Vec<u16>,
    /// Host suffixes of the request (or final hop) URL.
    #[serde(default)]
    pub host: Vec<String>,
    #[serde(default)]
    pub path_contains: Vec<String>,
    /// Response header conditions.
    #[serde(default)]
    pub headers: Vec<HeaderCond>,
    /// Header or query parameter names the request must NOT carry.
    #[serde(default)]
    pub request_lacks: Vec<String>,
    #[serde(default)]
    pub json: Vec<JsonCond>,
    /// Case-insensitive substrings of the response body.
    #[serde(default)]
    pub body_contains: Vec<String>,
    /// Microsoft Entra `AADSTS` codes (from `error_codes` or the text).
    #[serde(default)]
    pub aadsts: Vec<u64>,
    /// AWS-style error codes: XML `<Code>`, JSON `__type`, `x-amzn-ErrorType`.
    #[serde(default)]
    pub error_code: Vec<String>,
    /// Prefixes of the request's credential.
    #[serde(default)]
    pub key_prefix: Vec<String>,
    /// GitHub: `X-Accepted-OAuth-Scopes` is not covered by `X-OAuth-Scopes` (hierarchy applied).
    #[serde(default)]
    pub github_scope_missing: bool,
}

impl When {
    /// Status and host alone say "this vendor", not "this failure": an entry needs more.
    pub fn is_specific(&self) -> bool {
        !(self.path_contains.is_empty()
            && self.headers.is_empty()
            && self.json.is_empty()
            && self.body_contains.is_empty()
            && self.aadsts.is_empty()
            && self.error_code.is_empty()
            && self.key_prefix.is_empty()
            && !self.github_scope_missing)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderCond {
    pub name: String,
    #[serde(default)]
    pub present: Option<bool>,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub contains: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCond {
    /// RFC 6901 pointer; a `*` segment matches every array element or object member.
    pub pointer: String,
    #[serde(default)]
    pub present: Option<bool>,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub one_of: Vec<Value>,
    #[serde(default)]
    pub contains: Vec<String>,
}

/// The knowledge base, parsed once. A parse failure would be a build-time bug (a unit test parses
/// it), so at run time it degrades to an empty base rather than panicking.
pub fn knowledge_base() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| serde_json::from_str(include_str!("vendors.json")).unwrap_or_default())
}

impl Entry {
    /// The id this entry reports today: its precise cause once implemented, else its fallback.
    pub fn effective_cause(&self) -> &str {
        let implemented = |id: &str| crate::causes::CATALOGUE.iter().any(|c| c.id == id);
        match &self.fallback {
            Some(f) if !implemented(&self.cause) && implemented(f) => f,
            _ => &self.cause,
        }
    }
}

/// Everything the conditions look at, extracted once per response.
struct Ctx<'a> {
    status: u16,
    hosts: Vec<String>,
    paths: Vec<String>,
    headers: &'a [Header],
    request: &'a RequestSpec,
    body: Option<Value>,
    body_lower: String,
    aadsts: Vec<u64>,
    codes: Vec<String>,
    credential: Option<String>,
    github: Option<github::ScopeCheck>,
    secrets: Vec<String>,
}

/// Match the final response (and the request's credential) against the knowledge base.
pub fn analyse(request: &RequestSpec, last: Option<&Exchange>) -> Vec<VendorMatch> {
    let Some(last) = last else {
        return Vec::new();
    };
    let ctx = Ctx::new(request, last);
    let mut groups: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for e in &knowledge_base().entries {
        if !e.when.is_specific() || !ctx.matches(&e.when) {
            continue;
        }
        if let Some(g) = &e.exclusive_group {
            if groups.contains(&g.as_str()) {
                continue;
            }
            groups.push(g);
        }
        let matched_aadsts = ctx
            .aadsts
            .iter()
            .find(|c| e.when.aadsts.contains(c))
            .copied();
        let matched_code = ctx
            .codes
            .iter()
            .find(|c| e.when.error_code.iter().any(|w| w == *c))
            .cloned();
        let r = |t: &str| ctx.render(t, matched_aadsts, matched_code.as_deref(), false);
        // In a command, every value the server supplied is one quoted shell word.
        let rq = |t: &str| ctx.render(t, matched_aadsts, matched_code.as_deref(), true);
        out.push(VendorMatch {
            vendor: e.vendor.clone(),
            entry: e.id.clone(),
            cause: e.effective_cause().to_string(),
            grade: e.grade,
            evidence: r(&e.evidence),
            fix_title: r(&e.fix_title),
            fix_steps: e.fix_steps.iter().map(|s| r(s)).collect(),
            command: e.command.as_deref().map(rq),
            auth_failure: e.auth_failure,
        });
    }
    out
}

impl<'a> Ctx<'a> {
    fn new(request: &'a RequestSpec, last: &'a Exchange) -> Self {
        let mut hosts = Vec::new();
        let mut paths = Vec::new();
        for u in [request.url.as_str(), last.url.as_str()] {
            if let Ok(u) = url::Url::parse(u) {
                if let Some(h) = u.host_str() {
                    hosts.push(h.trim_end_matches('.').to_ascii_lowercase());
                }
                paths.push(u.path().to_string());
            }
        }
        let text = last.body_text();
        let body = serde_json::from_str::<Value>(text.trim()).ok();
        let mut aadsts = aadsts_codes(&text);
        for v in last.headers.all("www-authenticate") {
            aadsts.extend(aadsts_codes(v));
        }
        if let Some(Value::Array(a)) = body.as_ref().and_then(|b| b.get("error_codes")) {
            aadsts.extend(a.iter().filter_map(Value::as_u64));
        }
        aadsts.dedup();
        let codes = error_codes(&text, body.as_ref(), &last.headers);
        let github = github::ScopeCheck::from_headers(&last.headers);
        Ctx {
            status: last.status,
            hosts,
            paths,
            headers: &last.headers,
            request,
            body_lower: text.to_lowercase(),
            body,
            aadsts,
            codes,
            credential: request_credential(request),
            github,
            secrets: request_secrets(request),
        }
    }

    fn matches(&self, w: &When) -> bool {
        (w.status.is_empty() || w.status.contains(&self.status))
            && (w.host.is_empty() || w.host.iter().any(|s| self.host_is(s)))
            && (w.path_contains.is_empty()
                || w.path_contains
                    .iter()
                    .any(|p| self.paths.iter().any(|x| x.contains(p.as_str()))))
            && w.headers.iter().all(|c| header_cond(self.headers, c))
            && w.request_lacks.iter().all(|n| !self.request_has(n))
            && w.json
                .iter()
                .all(|c| self.body.as_ref().is_some_and(|b| json_cond(b, c)))
            && (w.body_contains.is_empty()
                || w.body_contains
                    .iter()
                    .any(|n| self.body_lower.contains(&n.to_lowercase())))
            && (w.aadsts.is_empty() || self.aadsts.iter().any(|c| w.aadsts.contains(c)))
            && (w.error_code.is_empty() || self.codes.iter().any(|c| w.error_code.contains(c)))
            && (w.key_prefix.is_empty()
                || self
                    .credential
                    .as_deref()
                    .is_some_and(|k| w.key_prefix.iter().any(|p| k.starts_with(p.as_str()))))
            && (!w.github_scope_missing
                || self.github.as_ref().is_some_and(|g| g.missing.is_some()))
    }

    fn host_is(&self, suffix: &str) -> bool {
        let s = suffix.to_ascii_lowercase();
        self.hosts
            .iter()
            .any(|h| *h == s || h.ends_with(&format!(".{s}")))
    }

    /// A header or a query parameter of this name (AWS accepts both for the session token).
    fn request_has(&self, name: &str) -> bool {
        self.request.headers.has(name)
            || self
                .request
                .url
                .query_pairs()
                .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// Fill `{…}` placeholders. Values are cut to one line of bounded length, and any secret of
    /// the request that a server echoed back is shown redacted.
    fn render(
        &self,
        template: &str,
        aadsts: Option<u64>,
        code: Option<&str>,
        quote: bool,
    ) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                rest = "";
                break;
            };
            let key = &after[..end];
            let value = self.placeholder(key, aadsts, code);
            let value = self.clean(&value.unwrap_or_else(|| "?".to_string()));
            if quote {
                out.push_str(&crate::shell::quote(&value));
            } else {
                out.push_str(&value);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn placeholder(&self, key: &str, aadsts: Option<u64>, code: Option<&str>) -> Option<String> {
        if let Some(ptr) = key.strip_prefix("body.") {
            let b = self.body.as_ref()?;
            return pointer_all(b, ptr).into_iter().find_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            });
        }
        if let Some(h) = key.strip_prefix("header.") {
            let (name, param) = match h.split_once('#') {
                Some((n, p)) => (n, Some(p)),
                None => (h, None),
            };
            let v = HeaderList::first(self.headers, name)?;
            return match param {
                None => Some(v.to_string()),
                Some(p) => v.split(';').find_map(|item| {
                    let (k, val) = item.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case(p)
                        .then(|| val.trim().trim_matches('"').to_string())
                }),
            };
        }
        let g = self.github.as_ref();
        let key_format = self.credential.as_deref().and_then(key_format);
        match key {
            "status" => Some(self.status.to_string()),
            "host" => self.hosts.first().cloned(),
            "aadsts" => aadsts.map(|c| c.to_string()),
            "code" => code.map(str::to_string),
            "github.accepted" => g.map(|g| g.accepted.join(", ")),
            "github.granted" => g.map(|g| g.granted.join(", ")),
            "github.missing" => g.and_then(|g| g.missing.clone()),
            "key.vendor" => key_format.map(|k| k.vendor),
            "key.kind" => key_format.map(|k| k.kind),
            "key.prefix" => self.credential.as_deref().and_then(|c| {
                knowledge_base()
                    .key_formats
                    .iter()
                    .filter_map(|r| r.prefix.as_deref())
                    .filter(|p| c.starts_with(p))
                    .max_by_key(|p| p.len())
                    .map(str::to_string)
            }),
            _ => None,
        }
    }

    fn clean(&self, value: &str) -> String {
        let line = value.lines().next().unwrap_or("").trim();
        let mut s: String = line.chars().filter(|c| !c.is_control()).take(160).collect();
        if line.chars().count() > 160 {
            s.push('…');
        }
        for secret in &self.secrets {
            if s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), &crate::secret::redact(secret));
            }
        }
        s
    }
}

fn header_cond(headers: &[Header], c: &HeaderCond) -> bool {
    let values = headers.all(&c.name);
    if let Some(p) = c.present
        && p == values.is_empty()
    {
        return false;
    }
    if let Some(e) = &c.equals
        && !values.iter().any(|v| v.trim().eq_ignore_ascii_case(e))
    {
        return false;
    }
    if !c.contains.is_empty() {
        let hit = values.iter().any(|v| {
            let v = v.to_lowercase();
            c.contains.iter().any(|n| v.contains(&n.to_lowercase()))
        });
        if !hit {
            return false;
        }
    }
    !values.is_empty() || c.present == Some(false)
}

fn json_cond(body: &Value, c: &JsonCond) -> bool {
    let values = pointer_all(body, &c.pointer);
    if let Some(p) = c.present {
        return p != values.is_empty();
    }
    if let Some(e) = &c.equals {
        return values.contains(&e);
    }
    if !c.one_of.is_empty() {
        return values.iter().any(|v| c.one_of.contains(v));
    }
    if !c.contains.is_empty() {
        return values.iter().filter_map(|v| v.as_str()).any(|s| {
            let s = s.to_lowercase();
            c.contains.iter().any(|n| s.contains(&n.to_lowercase()))
        });
    }
    !values.is_empty()
}

/// RFC 6901 pointer lookup where a `*` segment fans out over arrays and objects.
pub fn pointer_all<'v>(v: &'v Value, pointer: &str) -> Vec<&'v Value> {
    let mut cur = vec![v];
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for c in cur {
            match (c, seg.as_str()) {
                (Value::Array(a), "*") => next.extend(a.iter()),
                (Value::Object(o), "*") => next.extend(o.values()),
                (Value::Array(a), i) => next.extend(i.parse::<usize>().ok().and_then(|i| a.get(i))),
                (Value::Object(o), k) => next.extend(o.get(k)),
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

/// Every `AADSTS<digits>` code in a text, in order.
pub fn aadsts_codes(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("AADSTS") {
        rest = &rest[i + 6..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u64>()
            && !out.contains(&n)
        {
            out.push(n);
        }
    }
    out
}

/// AWS-style error codes: XML `<Code>`, JSON `__type` (after `#`), `Error.Code`, and the
/// `x-amzn-ErrorType` header (before `:`). Azure Storage uses the same XML `<Code>`.
pub fn error_codes(text: &str, body: Option<&Value>, headers: &[Header]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim();
        if !s.is_empty() && s.len() <= 100 && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    let mut rest = text;
    while let Some(i) = rest.find("<Code>") {
        rest = &rest[i + 6..];
        match rest.find("</Code>") {
            Some(end) => push(&rest[..end]),
            None => break,
        }
    }
    if let Some(b) = body {
        if let Some(t) = b.get("__type").and_then(Value::as_str) {
            let t = t.rsplit('#').next().unwrap_or(t);
            push(t.split(':').next().unwrap_or(t));
        }
        if let Some(c) = b.pointer("/Error/Code").and_then(Value::as_str) {
            push(c);
        }
    }
    for v in headers.all("x-amzn-errortype") {
        push(v.split(':').next().unwrap_or(v));
    }
    out
}

/// The request's credential as its provider formats it: the Authorization credential (with the
/// scheme for `SSWS`, and the access key id out of a SigV4 `Credential=`), else an API-key
/// header, else a credential query parameter.
fn request_credential(request: &RequestSpec) -> Option<String> {
    if let Some(a) = request.headers.first("authorization") {
        let a = a.trim();
        let (scheme, cred) = a.split_once(' ').unwrap_or(("", a));
        if scheme.eq_ignore_ascii_case("ssws") {
            return Some(format!("SSWS {}", cred.trim()));
        }
        return Some(aws_key_id(cred).unwrap_or(cred.trim()).to_string());
    }
    const HEADERS: &[&str] = &[
        "x-api-key",
        "api-key",
        "apikey",
        "x-goog-api-key",
        "private-token",
        "x-auth-token",
    ];
    if let Some(v) = HEADERS.iter().find_map(|h| request.headers.first(h)) {
        return Some(v.trim().to_string());
    }
    request.url.query_pairs().find_map(|(k, v)| {
        let k = k.to_ascii_lowercase();
        match k.as_str() {
            "x-amz-credential" => Some(v.split('/').next().unwrap_or("").to_string()),
            "key" | "api_key" | "apikey" | "access_token" | "token" => Some(v.into_owned()),
            _ => None,
        }
    })
}

/// `Credential=AKIA…/20240101/us-east-1/s3/aws4_request, …` → `AKIA…`.
fn aws_key_id(credential: &str) -> Option<&str> {
    let i = credential.find("Credential=")?;
    let rest = &credential[i + "Credential=".len()..];
    rest.split(['/', ',', ' ']).next()
}

/// Values a server might echo back that must never be printed: the whole Authorization value,
/// its credential part, API-key header values and credential query values.
fn request_secrets(request: &RequestSpec) -> Vec<String> {
    let mut out = Vec::new();
    for h in &request.headers {
        if crate::secret::is_sensitive_header(&h.name) || h.name.eq_ignore_ascii_case("cookie") {
            let v = h.value.trim();
            out.push(v.to_string());
            if let Some((_, c)) = v.split_once(' ') {
                out.push(c.trim().to_string());
            }
        }
    }
    {
        for (k, v) in request.url.query_pairs() {
            let k = k.to_ascii_lowercase();
            if matches!(
                k.as_str(),
                "key" | "api_key" | "apikey" | "access_token" | "token" | "x-amz-signature" | "sig"
            ) {
                out.push(v.into_owned());
            }
        }
    }
    out.retain(|s| s.len() >= 6);
    // Longest first, so a whole header value is replaced before its credential part.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// Recognise a credential's provider and kind from its format. Accepts the credential alone
/// (`ghp_…`), a SigV4 credential (`Credential=AKIA…/…`), or a scheme and credential when the
/// scheme is the signal (`SSWS 00ab…`).
pub fn key_format(credential: &str) -> Option<KeyFormat> {
    let c = credential.trim().trim_matches('"').trim();
    let (scheme, rest) = match c.split_once(' ') {
        Some((s, r)) if !s.contains('=') => (Some(s), r.trim()),
        _ => (None, c),
    };
    let kb = knowledge_base();
    if let Some(s) = scheme
        && let Some(r) = kb.key_formats.iter().find(|r| {
            r.scheme
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(s))
        })
        && !rest.is_empty()
    {
        return Some(r.to_format());
    }
    let key = aws_key_id(c).unwrap_or(if scheme.is_some() { rest } else { c });
    kb.key_formats
        .iter()
        .filter(|r| {
            r.prefix.as_deref().is_some_and(|p| {
                key.starts_with(p) && key.len() > p.len() && key.len() >= r.min_len.unwrap_or(0)
            })
        })
        .max_by_key(|r| r.prefix.as_deref().map_or(0, str::len))
        .map(KeyRule::to_format)
}

impl KeyRule {
    fn to_format(&self) -> KeyFormat {
        KeyFormat {
            vendor: self.vendor.clone(),
            kind: self.kind.clone(),
            environment: self.environment.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
