//! Read browser HAR files leniently and turn an entry into a request plus its recorded exchange.
//!
//! Real HAR exports are messier than the HAR 1.2 specification: browsers write HTTP/2
//! pseudo-headers as headers, add `_`-prefixed vendor fields, write `-1` for unknown sizes and
//! status `0` for blocked requests, and "sanitised" exports drop whole objects. A strict reader
//! would reject exactly the files users paste, so every field here is optional and a field of
//! the wrong type reads as absent. Only three things are fatal: bytes that are not JSON, JSON
//! that has no `log.entries` array, and an empty recording. [`parse_har`] returns a [`Har`];
//! [`Har::select`] picks the failing entries, and [`Har::request`], [`Har::exchanges`] and
//! [`Har::context`] turn one entry into the crate's model types. Header and cookie values are
//! secrets: no error message or note produced here ever contains one.

use std::collections::{BTreeMap, HashSet};

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::InputError;
use crate::model::{
    BODY_CAP, Exchange, HarContext, Header, HeaderList, InputOrigin, RecordedCookie, RequestSpec,
};
use crate::secret::redact_url;
use crate::time::parse_http_date;

// ---------------------------------------------------------------------------------------------
// Lenient raw structures. Every field has a default, and the `lenient*` helpers turn a value of
// the wrong type (null, a number where a string belongs, …) into that default instead of an
// error, so one odd field never costs the user the whole file.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawEntry {
    #[serde(rename = "startedDateTime", deserialize_with = "lenient_string")]
    started_date_time: String,
    #[serde(deserialize_with = "lenient_f64")]
    time: Option<f64>,
    #[serde(deserialize_with = "lenient")]
    request: RawRequest,
    /// `None` when the entry has no response at all (request-only HARs exist).
    #[serde(deserialize_with = "lenient")]
    response: Option<RawResponse>,
    #[serde(rename = "serverIPAddress", deserialize_with = "lenient_string")]
    server_ip_address: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawRequest {
    #[serde(deserialize_with = "lenient_string")]
    method: String,
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    #[serde(rename = "httpVersion", deserialize_with = "lenient_string")]
    http_version: String,
    #[serde(deserialize_with = "lenient_vec")]
    headers: Vec<RawPair>,
    #[serde(deserialize_with = "lenient_vec")]
    cookies: Vec<RawCookie>,
    #[serde(rename = "postData", deserialize_with = "lenient")]
    post_data: Option<RawPostData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawResponse {
    #[serde(deserialize_with = "lenient_i64")]
    status: i64,
    #[serde(rename = "statusText", deserialize_with = "lenient_string")]
    status_text: String,
    #[serde(rename = "httpVersion", deserialize_with = "lenient_string")]
    http_version: String,
    #[serde(deserialize_with = "lenient_vec")]
    headers: Vec<RawPair>,
    #[serde(deserialize_with = "lenient_vec")]
    cookies: Vec<RawCookie>,
    #[serde(deserialize_with = "lenient")]
    content: RawContent,
    #[serde(rename = "redirectURL", deserialize_with = "lenient_string")]
    redirect_url: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawContent {
    #[serde(deserialize_with = "lenient_string")]
    text: String,
    #[serde(deserialize_with = "lenient_string")]
    encoding: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawPostData {
    #[serde(deserialize_with = "lenient_string")]
    text: String,
    #[serde(deserialize_with = "lenient_vec")]
    params: Vec<RawPair>,
}

/// A header, or a `postData.params` item: both are name/value pairs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawPair {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_string")]
    value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RawCookie {
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_string")]
    value: String,
    /// Kept raw: exporters write RFC 3339, HTTP dates, unix numbers or null.
    expires: Value,
    #[serde(rename = "httpOnly", deserialize_with = "lenient")]
    http_only: Option<bool>,
    #[serde(deserialize_with = "lenient")]
    secure: Option<bool>,
}

/// Any type, with a mistyped value read as the default.
fn lenient<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let v = Value::deserialize(d)?;
    Ok(T::deserialize(v).unwrap_or_default())
}

/// A list where an unreadable item is skipped rather than failing the whole list.
fn lenient_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| T::deserialize(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// Strings, with numbers and booleans taken as their text (some tools write header values as
/// numbers) and anything else as empty.
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(value_as_f64(&Value::deserialize(d)?)
        .filter(|f| f.is_finite() && f.abs() < 1e15)
        .map_or(0, |f| f as i64))
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(value_as_f64(&Value::deserialize(d)?).filter(|f| f.is_finite()))
}

/// A number, or a string holding one (`"status": "401"` occurs in hand-written HARs).
fn value_as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// One line per entry, for listing a HAR to the user. The URL is already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrySummary {
    /// 0-based index into `log.entries`, as `--entry` takes it.
    pub index: usize,
    pub method: String,
    /// Redacted with [`crate::secret::redact_url`].
    pub url: String,
    /// `0` when the browser recorded no response (blocked or failed request).
    pub status: u16,
}

/// A parsed HAR log: its entries, read leniently, plus what every lookup needs.
#[derive(Debug, Clone)]
pub struct Har {
    file: String,
    entries: Vec<RawEntry>,
    meta: Vec<EntryMeta>,
    /// `log.creator.name`: the tool that recorded it (its export rules decide what is missing).
    creator: Option<String>,
}

/// Per-entry facts computed once, so selection and redirect-chain walks stay linear in practice.
/// Headers that describe one connection, not the request: a replay lets the client set them.
const CONNECTION_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
    "te",
];

/// Where an entry whose recorded URL does not parse is said to go (RFC 2606: never resolves).
pub const UNPARSEABLE_URL: &str = "http://unparseable-url.invalid/";

#[derive(Debug, Clone)]
struct EntryMeta {
    method: String,
    url: String,
    /// The URL without fragment, re-serialised, for comparisons.
    norm_url: String,
    host: Option<String>,
    status: u16,
    /// Where a 3xx entry points to, resolved and normalised like `norm_url`.
    redirect_to: Option<String>,
    started_at: Option<i64>,
    url_from_pseudo: bool,
}

/// Parse a HAR file's bytes. `file_name` is only used in messages and in
/// [`InputOrigin::Har`]; it is never opened.
pub fn parse_har(bytes: &[u8], file_name: &str) -> Result<Har, InputError> {
    // Windows tools (and mitmproxy's own test data) write a UTF-8 BOM, which JSON forbids.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(har_error(file_name, "the file is empty"));
    }
    let mut root: Value = serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's syntax messages name the problem and position, never the input text.
        har_error(file_name, &format!("not valid JSON: {e}"))
    })?;
    let Some(log) = root.get_mut("log") else {
        let what = match &root {
            Value::Object(_) => "the JSON has no \"log\" object",
            Value::Array(_) => "the JSON is an array, not an object with \"log\"",
            _ => "the JSON is not an object with \"log\"",
        };
        return Err(har_error(
            file_name,
            &format!("not a HAR file: {what} (expected log.entries)"),
        ));
    };
    let creator = log
        .pointer("/creator/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(Value::Array(raw_entries)) = log.get_mut("entries").map(Value::take) else {
        return Err(har_error(
            file_name,
            "not a HAR file: \"log\" has no \"entries\" array",
        ));
    };
    if raw_entries.is_empty() {
        return Err(har_error(
            file_name,
            "the HAR has no entries (log.entries is empty); record again with the failing request in view",
        ));
    }
    let entries: Vec<RawEntry> = raw_entries
        .into_iter()
        // An entry that is not even an object still occupies its index, so `--entry N` keeps
        // meaning the same thing as in the browser's list.
        .map(|v| RawEntry::deserialize(v).unwrap_or_default())
        .collect();
    let meta = entries.iter().map(entry_meta).collect();
    Ok(Har {
        file: file_name.to_string(),
        entries,
        meta,
        creator,
    })
}

impl Har {
    /// The file name given to [`parse_har`].
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// Number of entries in `log.entries` (never 0 for a parsed HAR).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry as index, method, redacted URL and status.
    pub fn summaries(&self) -> Vec<EntrySummary> {
        self.meta
            .iter()
            .enumerate()
            .map(|(index, m)| EntrySummary {
                index,
                method: m.method.clone(),
                url: redact_url(&m.url),
                status: m.status,
            })
            .collect()
    }

    /// Which entries to diagnose.
    ///
    /// - `entry`: exactly that 0-based index (checked against `url_substr` when both are given).
    /// - `url_substr`: entries whose URL contains it; of those, the 401/403/407 ones if any,
    ///   otherwise all of them (the user pointed at them explicitly).
    /// - neither: every 401, 403 and 407 entry, in recording order.
    pub fn select(
        &self,
        entry: Option<usize>,
        url_substr: Option<&str>,
    ) -> Result<Vec<usize>, InputError> {
        let n = self.entries.len();
        if let Some(i) = entry {
            if i >= n {
                return Err(har_error(
                    &self.file,
                    &format!(
                        "--entry {i} is out of range: the HAR has {n} entries (0 to {})",
                        n.saturating_sub(1)
                    ),
                ));
            }
            if let Some(s) = url_substr
                && !self.meta[i].url.contains(s)
            {
                // The --url text is user input that may hold a token: not echoed.
                return Err(har_error(
                    &self.file,
                    &format!("entry {i}'s URL does not contain the --url text"),
                ));
            }
            return Ok(vec![i]);
        }
        let candidates: Vec<usize> = match url_substr {
            Some(s) => (0..n).filter(|&i| self.meta[i].url.contains(s)).collect(),
            None => (0..n).collect(),
        };
        if candidates.is_empty() {
            return Err(har_error(
                &self.file,
                &format!(
                    "no entry's URL contains the --url text among {n} entries; pick one with --entry N"
                ),
            ));
        }
        let failed: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| is_auth_failure(self.meta[i].status))
            .collect();
        if !failed.is_empty() {
            return Ok(failed);
        }
        if url_substr.is_some() {
            return Ok(candidates);
        }
        Err(har_error(
            &self.file,
            &format!(
                "no 401/403 entries among {n} ({}); pick one with --entry N",
                self.status_counts()
            ),
        ))
    }

    /// The request of entry `index` as the user's browser sent it: recorded method, URL,
    /// headers (HTTP/2 pseudo-headers removed) and body. `index` should come from
    /// [`Har::select`]; an out-of-range index gives an empty spec with a note, not a panic.
    pub fn request(&self, index: usize) -> RequestSpec {
        let origin = InputOrigin::Har {
            file: self.file.clone(),
            entry: index,
        };
        let (Some(entry), Some(meta)) = (self.entries.get(index), self.meta.get(index)) else {
            return RequestSpec {
                origin,
                notes: vec![format!(
                    "HAR entry {index} does not exist ({} entries)",
                    self.entries.len()
                )],
                ..RequestSpec::default()
            };
        };
        let req = &entry.request;
        let mut notes = Vec::new();
        // A recording may hold what no client could send (an empty URL, no scheme): it is still
        // read offline, under a reserved name that never resolves, and said so.
        let url = url::Url::parse(&meta.url).unwrap_or_else(|e| {
            notes.push(format!(
                "HAR entry {index}: the recorded URL cannot be parsed ({e}); shown as {UNPARSEABLE_URL}"
            ));
            url::Url::parse(UNPARSEABLE_URL).expect("a valid constant URL")
        });
        if meta.url_from_pseudo {
            notes.push(format!(
                "HAR entry {index} has no url; rebuilt it from the HTTP/2 pseudo-headers"
            ));
        } else if meta.url.is_empty() {
            notes.push(format!("HAR entry {index} records no URL"));
        }
        let mut headers = real_headers(&req.headers);
        // Sanitised or HTTP/2 exports sometimes keep the cookies array but not the header; the
        // browser did send them, so the replayed request should too.
        if !headers.has("cookie") {
            let pairs: Vec<String> = req
                .cookies
                .iter()
                .filter(|c| !c.name.is_empty() && !c.value.is_empty())
                .map(|c| format!("{}={}", c.name, c.value))
                .collect();
            if !pairs.is_empty() {
                notes.push(format!(
                    "Cookie header rebuilt from request.cookies ({} cookies)",
                    pairs.len()
                ));
                headers.push(Header::new("Cookie", pairs.join("; ")));
            }
        }
        let body = req.post_data.as_ref().and_then(|pd| {
            if !pd.text.is_empty() {
                Some(pd.text.clone().into_bytes())
            } else if !pd.params.is_empty() {
                notes.push("request body rebuilt from postData.params (form-encoded)".to_string());
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for p in &pd.params {
                    form.append_pair(&p.name, &p.value);
                }
                Some(form.finish().into_bytes())
            } else {
                None
            }
        });
        if let Some(resp) = &entry.response
            && resp.content.encoding.eq_ignore_ascii_case("base64")
            && !resp.content.text.is_empty()
            && decode_base64(&resp.content.text).is_none()
        {
            notes.push(format!(
                "HAR entry {index}: the recorded response body is marked base64 but does not decode; ignored"
            ));
        }
        RequestSpec {
            method: meta.method.clone(),
            url,
            headers,
            body,
            origin,
            notes,
            ..RequestSpec::default()
        }
    }

    /// The request of entry `index` to send again (`check --har --replay`): as recorded, minus
    /// the headers that describe the recorded connection (`Host`, `Content-Length`, …), which
    /// the sending client sets for its own.
    pub fn replay_request(&self, index: usize) -> RequestSpec {
        let mut spec = self.request(index);
        spec.headers
            .retain(|h| !CONNECTION_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()));
        spec
    }

    /// The evidence of entry `index` read offline: its request, the recorded hops, the
    /// recording's context, judged at the time it was recorded (else `now`).
    pub fn evidence(&self, index: usize, now: i64) -> crate::evidence::Evidence {
        let ctx = self.context(index);
        let at = ctx.started_at.unwrap_or(now);
        crate::evidence::Evidence::new(
            self.request(index),
            self.exchanges(index),
            None,
            Some(ctx),
            at,
        )
    }

    /// The recorded exchanges that led to entry `index`: the earlier redirect hops that end at
    /// it (oldest first), then the entry itself. Empty for an out-of-range index.
    pub fn exchanges(&self, index: usize) -> Vec<Exchange> {
        if index >= self.entries.len() {
            return Vec::new();
        }
        let mut hops = self.redirect_chain(index);
        hops.push(index);
        hops.into_iter().map(|i| self.exchange_of(i)).collect()
    }

    /// What the recording says beyond the exchange: its clock, the cookies sent and set, and
    /// the cookie names earlier entries of the same host set (the session the browser had).
    pub fn context(&self, index: usize) -> HarContext {
        let (Some(entry), Some(meta)) = (self.entries.get(index), self.meta.get(index)) else {
            return HarContext {
                file: self.file.clone(),
                entry: index,
                ..HarContext::default()
            };
        };
        let mut request_cookies: Vec<RecordedCookie> = entry
            .request
            .cookies
            .iter()
            .filter(|c| !c.name.is_empty())
            .map(recorded_cookie)
            .collect();
        if request_cookies.is_empty() {
            request_cookies = cookie_header_names(&entry.request.headers);
        }
        let mut earlier_cookie_names = Vec::new();
        let mut seen = HashSet::new();
        if let Some(host) = &meta.host {
            for j in 0..index {
                if self.meta[j].host.as_ref() != Some(host) {
                    continue;
                }
                for c in self.set_cookies(j) {
                    if seen.insert(c.name.clone()) {
                        earlier_cookie_names.push(c.name);
                    }
                }
            }
        }
        HarContext {
            file: self.file.clone(),
            entry: index,
            creator: self.creator.clone(),
            started_at: meta.started_at,
            request_cookies,
            response_cookies: self.set_cookies(index),
            earlier_cookie_names,
        }
    }

    /// `200×10, 302×2`: most frequent first, capped so a huge HAR still gives one short line.
    fn status_counts(&self) -> String {
        let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
        for m in &self.meta {
            *counts.entry(m.status).or_default() += 1;
        }
        let mut sorted: Vec<(u16, usize)> = counts.into_iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        const SHOWN: usize = 8;
        let mut parts: Vec<String> = sorted
            .iter()
            .take(SHOWN)
            .map(|(s, c)| format!("{s}×{c}"))
            .collect();
        if sorted.len() > SHOWN {
            parts.push(format!("{} more statuses", sorted.len() - SHOWN));
        }
        parts.join(", ")
    }

    /// Indices of the earlier 3xx entries whose target is entry `index`, recursively, oldest
    /// first. Only the nearest redirect counts, and a request to the same URL in between breaks
    /// the chain: then that request, not ours, was the redirect's follow-up.
    fn redirect_chain(&self, index: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut cur = index;
        loop {
            let target = &self.meta[cur].norm_url;
            if target.is_empty() {
                break;
            }
            let mut found = None;
            for j in (0..cur).rev() {
                if self.meta[j].redirect_to.as_ref() == Some(target) {
                    found = Some(j);
                    break;
                }
                if &self.meta[j].norm_url == target {
                    break;
                }
            }
            match found {
                Some(j) => {
                    chain.push(j);
                    cur = j;
                }
                None => break,
            }
        }
        chain.reverse();
        chain
    }

    fn exchange_of(&self, index: usize) -> Exchange {
        let entry = &self.entries[index];
        let meta = &self.meta[index];
        let req = &entry.request;
        let mut exchange = Exchange {
            method: meta.method.clone(),
            url: meta.url.clone(),
            request_headers: real_headers(&req.headers),
            status: meta.status,
            elapsed_ms: entry.time.filter(|t| *t >= 0.0),
            remote_addr: non_empty(entry.server_ip_address.trim()),
            received_at: meta.started_at,
            http_version: normalize_version(&req.http_version),
            ..Exchange::default()
        };
        if let Some(resp) = &entry.response {
            exchange.reason = non_empty(resp.status_text.trim());
            let version = normalize_version(&resp.http_version);
            if !version.is_empty() {
                exchange.http_version = version;
            }
            exchange.headers = real_headers(&resp.headers);
            let mut body = if resp.content.encoding.eq_ignore_ascii_case("base64") {
                decode_base64(&resp.content.text).unwrap_or_default()
            } else {
                resp.content.text.as_bytes().to_vec()
            };
            if body.len() > BODY_CAP {
                body.truncate(BODY_CAP);
                exchange.body_truncated = true;
            }
            exchange.body = body;
        }
        exchange
    }

    /// Cookies entry `index`'s response set: the `cookies` array, or when an exporter left it
    /// empty, the `Set-Cookie` headers.
    fn set_cookies(&self, index: usize) -> Vec<RecordedCookie> {
        let Some(resp) = &self.entries[index].response else {
            return Vec::new();
        };
        let from_array: Vec<RecordedCookie> = resp
            .cookies
            .iter()
            .filter(|c| !c.name.is_empty())
            .map(recorded_cookie)
            .collect();
        if !from_array.is_empty() {
            return from_array;
        }
        let started_at = self.meta[index].started_at;
        resp.headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("set-cookie"))
            // Firefox joins several Set-Cookie headers into one value with newlines.
            .flat_map(|h| h.value.split('\n'))
            .filter_map(|line| parse_set_cookie(line, started_at))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The file name may come from anywhere; escaping control characters keeps the message on one
/// line whatever it holds.
fn har_error(file: &str, msg: &str) -> InputError {
    let file: String = file.chars().flat_map(char::escape_debug).collect();
    InputError::Har(format!("{file}: {msg}"))
}

fn is_auth_failure(status: u16) -> bool {
    matches!(status, 401 | 403 | 407)
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn pseudo<'a>(headers: &'a [RawPair], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.trim())
        .filter(|v| !v.is_empty())
}

/// Recorded headers minus HTTP/2 pseudo-headers (`:authority` …), which are not headers a
/// client can set and which the URL and method already carry.
fn real_headers(raw: &[RawPair]) -> Vec<Header> {
    raw.iter()
        .filter(|h| !h.name.is_empty() && !h.name.starts_with(':'))
        .map(|h| Header::new(h.name.clone(), h.value.clone()))
        .collect()
}

fn entry_meta(entry: &RawEntry) -> EntryMeta {
    let req = &entry.request;
    let mut url_from_pseudo = false;
    let url = if !req.url.trim().is_empty() {
        req.url.trim().to_string()
    } else if let Some(authority) =
        pseudo(&req.headers, ":authority").or_else(|| pseudo(&req.headers, "host"))
    {
        url_from_pseudo = true;
        let scheme = pseudo(&req.headers, ":scheme").unwrap_or("https");
        let path = pseudo(&req.headers, ":path").unwrap_or("/");
        format!("{scheme}://{authority}{path}")
    } else {
        String::new()
    };
    let method = match req.method.trim() {
        "" => pseudo(&req.headers, ":method").unwrap_or("GET").to_string(),
        m => m.to_string(),
    };
    let parsed = url::Url::parse(&url).ok();
    let norm_url = parsed.as_ref().map_or_else(|| url.clone(), normalized);
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str())
        .map(str::to_ascii_lowercase);
    let (status, redirect_to) = match &entry.response {
        Some(resp) => {
            let status = u16::try_from(resp.status)
                .ok()
                .filter(|s| *s <= 999)
                .unwrap_or(0);
            let redirect_to = (300..400)
                .contains(&status)
                .then(|| redirect_target(resp, parsed.as_ref()))
                .flatten();
            (status, redirect_to)
        }
        None => (0, None),
    };
    EntryMeta {
        method,
        url,
        norm_url,
        host,
        status,
        redirect_to,
        started_at: parse_timestamp(&entry.started_date_time),
        url_from_pseudo,
    }
}

fn normalized(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// `redirectURL`, or the `Location` header when the exporter left it empty, resolved against
/// the entry's own URL (relative Locations are common).
fn redirect_target(resp: &RawResponse, base: Option<&url::Url>) -> Option<String> {
    let raw = match resp.redirect_url.trim() {
        "" => resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("location"))
            .map(|h| h.value.trim())?,
        r => r,
    };
    if raw.is_empty() {
        return None;
    }
    let resolved = match base {
        Some(b) => b.join(raw).ok(),
        None => url::Url::parse(raw).ok(),
    };
    Some(resolved.map_or_else(|| raw.to_string(), |u| normalized(&u)))
}

/// Browsers write `http/2.0`, `h2` or `h3`; the rest of authdoctor speaks `HTTP/2.0`.
fn normalize_version(v: &str) -> String {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "h2" | "h2c" | "http/2" | "http/2.0" => "HTTP/2.0".to_string(),
        "h3" | "http/3" | "http/3.0" => "HTTP/3.0".to_string(),
        _ if lower.starts_with("h3-") => "HTTP/3.0".to_string(),
        _ if lower.starts_with("http/") => t.to_ascii_uppercase(),
        _ => t.to_string(),
    }
}

fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
        .or_else(|| parse_cookie_date(s))
}

/// Cookie dates come as RFC 3339 (Chrome), HTTP dates, the old `01-Jan-1970` form, or unix
/// numbers; a value that fits none of them is simply unknown.
fn parse_expiry(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return None;
            }
            s.parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_second())
                .or_else(|| parse_cookie_date(s))
                .or_else(|| unix_number(s.parse::<f64>().ok()?))
        }
        Value::Number(n) => unix_number(n.as_f64()?),
        _ => None,
    }
}

fn unix_number(f: f64) -> Option<i64> {
    if !f.is_finite() || f.abs() > 1e15 {
        return None;
    }
    // Some tools write milliseconds; no cookie expires after the year 5000.
    let secs = if f.abs() > 1e11 { f / 1000.0 } else { f };
    Some(secs as i64)
}

/// An HTTP date, also in the Netscape cookie form with dashes (`Thu, 01-Jan-1970 00:00:01 GMT`).
fn parse_cookie_date(s: &str) -> Option<i64> {
    parse_http_date(s).or_else(|| parse_http_date(&s.replace('-', " ")))
}

fn recorded_cookie(c: &RawCookie) -> RecordedCookie {
    RecordedCookie {
        name: c.name.clone(),
        expires: parse_expiry(&c.expires),
        http_only: c.http_only,
        secure: c.secure,
    }
}

/// Names (never values) from recorded `Cookie` headers, for HARs without a cookies array.
fn cookie_header_names(headers: &[RawPair]) -> Vec<RecordedCookie> {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
        .flat_map(|h| h.value.split(';'))
        .filter_map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(n, _)| n).trim();
            (!name.is_empty()).then(|| RecordedCookie {
                name: name.to_string(),
                expires: None,
                http_only: None,
                secure: None,
            })
        })
        .collect()
}

/// Name, expiry and flags of one `Set-Cookie` value (RFC 6265 §5.2). Max-Age wins over
/// Expires; Max-Age ≤ 0 is a deletion, recorded as an expiry at or before `started_at`.
fn parse_set_cookie(line: &str, started_at: Option<i64>) -> Option<RecordedCookie> {
    let mut parts = line.split(';');
    let (name, _) = parts.next()?.split_once('=')?;
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut expires = None;
    let mut max_age: Option<i64> = None;
    let mut http_only = false;
    let mut secure = false;
    for attr in parts {
        let (key, val) = attr
            .split_once('=')
            .map_or((attr.trim(), ""), |(k, v)| (k.trim(), v.trim()));
        if key.eq_ignore_ascii_case("expires") {
            expires = parse_cookie_date(val);
        } else if key.eq_ignore_ascii_case("max-age") {
            max_age = val.parse::<i64>().ok().or(max_age);
        } else if key.eq_ignore_ascii_case("httponly") {
            http_only = true;
        } else if key.eq_ignore_ascii_case("secure") {
            secure = true;
        }
    }
    let expires = match (max_age, started_at) {
        (Some(age), Some(start)) => Some(start.saturating_add(age)),
        (Some(age), None) if age <= 0 => Some(0),
        _ => expires,
    };
    Some(RecordedCookie {
        name: name.to_string(),
        expires,
        http_only: Some(http_only),
        secure: Some(secure),
    })
}

/// Browsers' base64 is standard, but padding and line breaks vary between exporters.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-entry HAR around the given entry JSON.
    fn har_of(entries: &[&str]) -> Har {
        let json = format!(r#"{{"log":{{"entries":[{}]}}}}"#, entries.join(","));
        parse_har(json.as_bytes(), "t.har").expect("test HAR parses")
    }

    fn entry(method: &str, url: &str, status: u16, extra_response: &str) -> String {
        format!(
            r#"{{"startedDateTime":"2024-05-01T10:00:00.000Z","time":12.5,
                "request":{{"method":"{method}","url":"{url}","httpVersion":"HTTP/1.1",
                  "headers":[{{"name":"Authorization","value":"Bearer sekrit-token"}}]}},
                "response":{{"status":{status},"statusText":"X","httpVersion":"HTTP/1.1",
                  "headers":[{{"name":"WWW-Authenticate","value":"Bearer"}}]{extra_response}}}}}"#
        )
    }

    fn har_msg(r: Result<Har, InputError>) -> String {
        match r {
            Err(InputError::Har(m)) => m,
            other => panic!("expected InputError::Har, got {other:?}"),
        }
    }

    #[test]
    fn bom_is_stripped() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(br#"{"log":{"entries":[{}]}}"#);
        assert_eq!(parse_har(&bytes, "b.har").unwrap().len(), 1);
    }

    #[test]
    fn invalid_json_reports_line_and_column_on_one_line() {
        let msg = har_msg(parse_har(b"{\"log\":\n[\n 2,1,3\n]\n\"x\"}", "broken.har"));
        assert!(msg.starts_with("broken.har: not valid JSON"), "{msg}");
        assert!(msg.contains("line 5"), "{msg}");
        assert!(msg.contains("column"), "{msg}");
        assert!(!msg.contains('\n'));
    }

    #[test]
    fn json_that_is_not_a_har() {
        assert!(har_msg(parse_har(b"[1,2]", "a.har")).contains("not a HAR"));
        assert!(har_msg(parse_har(br#"{"foo":1}"#, "a.har")).contains("no \"log\""));
        assert!(
            har_msg(parse_har(br#"{"log":{"entries":{}}}"#, "a.har")).contains("\"entries\" array")
        );
        assert!(har_msg(parse_har(b"  \n", "a.har")).contains("empty"));
    }

    #[test]
    fn empty_har_is_an_error() {
        let msg = har_msg(parse_har(br#"{"log":{"entries":[]}}"#, "e.har"));
        assert!(msg.contains("no entries"), "{msg}");
    }

    #[test]
    fn file_name_cannot_break_the_line() {
        let msg = har_msg(parse_har(b"nope", "evil\nname.har"));
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[test]
    fn missing_and_mistyped_fields_are_tolerated() {
        let har = har_of(&[
            r#"{"request":{"url":"https://a.example/x"}}"#,
            r#"{"request":{"method":null,"url":"https://a.example/y","headers":"oops",
                "cookies":[1,{"name":"s","value":"v","expires":null}]},
               "response":{"status":"401","statusText":null,"headers":[{"name":"A","value":7},3],
                 "content":null,"headersSize":-1,"bodySize":-1},"time":"x"}"#,
            "42",
        ]);
        let s = har.summaries();
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].method.as_str(), s[0].status), ("GET", 0));
        assert_eq!(s[1].status, 401);
        let ex = har.exchanges(1);
        assert_eq!(ex[0].headers, vec![Header::new("A", "7")]);
        assert_eq!(ex[0].elapsed_ms, None);
        assert_eq!(ex[0].reason, None);
        let r2 = har.request(2);
        assert_eq!(r2.url.as_str(), UNPARSEABLE_URL);
        assert!(
            r2.notes.iter().any(|n| n.contains("cannot be parsed")),
            "{:?}",
            r2.notes
        );
        assert_eq!(har.context(1).request_cookies[0].name, "s");
    }

    #[test]
    fn vendor_fields_and_status_zero() {
        let har = har_of(&[r#"{"_initiator":{"type":"other"},"_priority":"High",
            "request":{"method":"GET","url":"https://a.example/","_x":1},
            "response":{"status":0,"statusText":"","httpVersion":"","headers":[],"content":{},
              "_error":"net::ERR_BLOCKED_BY_CLIENT","headersSize":-1,"bodySize":-1}}"#]);
        let ex = har.exchanges(0);
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].status, 0);
        assert!(ex[0].body.is_empty());
    }

    #[test]
    fn pseudo_headers_are_dropped_and_rebuild_a_missing_url() {
        let har = har_of(&[r#"{"request":{"httpVersion":"http/2.0","headers":[
            {"name":":authority","value":"api.example"},{"name":":method","value":"PUT"},
            {"name":":path","value":"/v1/me?x=1"},{"name":":scheme","value":"https"},
            {"name":"accept","value":"*/*"}]},
            "response":{"status":401,"httpVersion":"h2","headers":[{"name":":status","value":"401"}]}}"#]);
        let req = har.request(0);
        assert_eq!(req.method, "PUT");
        assert_eq!(req.url.as_str(), "https://api.example/v1/me?x=1");
        assert_eq!(req.headers, vec![Header::new("accept", "*/*")]);
        assert!(req.notes.iter().any(|n| n.contains("pseudo-headers")));
        let ex = har.exchanges(0);
        assert_eq!(ex[0].http_version, "HTTP/2.0");
        assert!(ex[0].headers.is_empty());
        assert!(
            ex[0]
                .request_headers
                .iter()
                .all(|h| !h.name.starts_with(':'))
        );
    }

    #[test]
    fn base64_bodies_are_decoded_and_capped() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(b"{\"error\":\"bad\"}");
        let big = "x".repeat(BODY_CAP + 10);
        let har = har_of(&[
            &entry(
                "GET",
                "https://a.example/1",
                401,
                &format!(r#","content":{{"text":"{b64}","encoding":"base64"}}"#),
            ),
            &entry(
                "GET",
                "https://a.example/2",
                401,
                &format!(r#","content":{{"text":"{big}"}}"#),
            ),
            &entry(
                "GET",
                "https://a.example/3",
                401,
                r#","content":{"text":"!!notbase64!!","encoding":"base64"}"#,
            ),
        ]);
        let ex = har.exchanges(0);
        assert_eq!(ex[0].body, b"{\"error\":\"bad\"}");
        assert!(!ex[0].body_truncated);
        let ex = har.exchanges(1);
        assert_eq!(ex[0].body.len(), BODY_CAP);
        assert!(ex[0].body_truncated);
        assert!(har.exchanges(2)[0].body.is_empty());
        assert!(har.request(2).notes.iter().any(|n| n.contains("base64")));
    }

    #[test]
    fn post_data_text_or_params() {
        let har = har_of(&[
            r#"{"request":{"method":"POST","url":"https://a.example/t",
                "postData":{"mimeType":"application/json","text":"{\"a\":1}"}}}"#,
            r#"{"request":{"method":"POST","url":"https://a.example/t",
                "postData":{"mimeType":"application/x-www-form-urlencoded",
                  "params":[{"name":"grant_type","value":"client_credentials"},{"name":"a b","value":"c&d"}]}}}"#,
            r#"{"request":{"method":"POST","url":"https://a.example/t","postData":{}}}"#,
        ]);
        assert_eq!(har.request(0).body.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(
            har.request(1).body.as_deref(),
            Some(&b"grant_type=client_credentials&a+b=c%26d"[..])
        );
        assert_eq!(har.request(2).body, None);
    }

    #[test]
    fn request_conversion() {
        let har = har_of(&[&entry("DELETE", "https://a.example/r", 403, "")]);
        let req = har.request(0);
        assert_eq!(req.method, "DELETE");
        assert_eq!(req.url.as_str(), "https://a.example/r");
        assert_eq!(
            req.headers,
            vec![Header::new("Authorization", "Bearer sekrit-token")]
        );
        assert_eq!(
            req.origin,
            InputOrigin::Har {
                file: "t.har".into(),
                entry: 0
            }
        );
        let req = har.request(9);
        assert!(
            req.url.as_str() == crate::model::UNSET_URL && req.notes[0].contains("does not exist")
        );
        assert!(har.exchanges(9).is_empty());
        assert_eq!(har.context(9).entry, 9);
    }

    #[test]
    fn cookie_header_rebuilt_from_cookie_array() {
        let har = har_of(&[r#"{"request":{"url":"https://a.example/",
            "cookies":[{"name":"sid","value":"abc"},{"name":"empty","value":""}]}}"#]);
        let req = har.request(0);
        assert_eq!(req.headers, vec![Header::new("Cookie", "sid=abc")]);
        assert!(req.notes.iter().all(|n| !n.contains("abc")));
    }

    #[test]
    fn exchange_fields() {
        let har = har_of(&[
            r#"{"startedDateTime":"2024-05-01T12:00:00+02:00","time":31.5,"serverIPAddress":"192.0.2.1",
            "request":{"method":"GET","url":"https://a.example/","httpVersion":"HTTP/1.1",
              "headers":[{"name":"Authorization","value":"Basic Zm9vOmJhcg=="}]},
            "response":{"status":401,"statusText":"Unauthorized","httpVersion":"http/1.1",
              "headers":[{"name":"WWW-Authenticate","value":"Basic realm=\"x\""}],
              "content":{"text":"denied"}}}"#,
        ]);
        let ex = &har.exchanges(0)[0];
        assert_eq!(ex.status, 401);
        assert_eq!(ex.reason.as_deref(), Some("Unauthorized"));
        assert_eq!(ex.http_version, "HTTP/1.1");
        assert_eq!(
            ex.headers.first("www-authenticate"),
            Some("Basic realm=\"x\"")
        );
        assert_eq!(
            ex.request_headers.first("authorization"),
            Some("Basic Zm9vOmJhcg==")
        );
        assert_eq!(ex.body, b"denied");
        assert_eq!(ex.elapsed_ms, Some(31.5));
        assert_eq!(ex.remote_addr.as_deref(), Some("192.0.2.1"));
        assert_eq!(ex.received_at, Some(1_714_557_600));
    }

    #[test]
    fn redirect_chain_is_prepended_in_order() {
        let har = har_of(&[
            // Unrelated 302 to the same final URL, superseded by the request at index 2.
            &entry(
                "GET",
                "https://a.example/old",
                302,
                r#","redirectURL":"https://a.example/api""#,
            ),
            &entry("GET", "https://b.example/other", 200, ""),
            &entry("GET", "https://a.example/api", 200, r#","redirectURL":"""#),
            &entry(
                "GET",
                "https://a.example/start",
                301,
                r#","redirectURL":"https://a.example/step#frag""#,
            ),
            // Relative Location, no redirectURL.
            r#"{"request":{"method":"GET","url":"https://a.example/step"},
                "response":{"status":307,"headers":[{"name":"Location","value":"/api"}]}}"#,
            &entry("GET", "https://a.example/api", 401, ""),
        ]);
        let urls: Vec<String> = har.exchanges(5).into_iter().map(|e| e.url).collect();
        assert_eq!(
            urls,
            [
                "https://a.example/start",
                "https://a.example/step",
                "https://a.example/api"
            ]
        );
        // Entry 2 was the follow-up of entry 0.
        assert_eq!(har.exchanges(2).len(), 2);
        assert_eq!(har.exchanges(1).len(), 1);
    }

    #[test]
    fn selection_defaults_to_auth_failures() {
        let har = har_of(&[
            &entry("GET", "https://a.example/ok", 200, ""),
            &entry("GET", "https://a.example/me", 401, ""),
            &entry("GET", "https://a.example/admin", 403, ""),
            &entry("GET", "https://proxy.example/", 407, ""),
        ]);
        assert_eq!(har.select(None, None).unwrap(), [1, 2, 3]);
        assert_eq!(har.select(None, Some("admin")).unwrap(), [2]);
        assert_eq!(har.select(None, Some("/ok")).unwrap(), [0]);
        assert_eq!(har.select(Some(0), None).unwrap(), [0]);
        assert!(har.select(Some(0), Some("admin")).is_err());
    }

    #[test]
    fn selection_errors_are_informative() {
        let har = har_of(&[
            &entry("GET", "https://a.example/1", 200, ""),
            &entry("GET", "https://a.example/2", 302, ""),
            &entry("GET", "https://a.example/3", 200, ""),
        ]);
        let err = har.select(None, None).unwrap_err().to_string();
        assert_eq!(
            err,
            "HAR file: t.har: no 401/403 entries among 3 (200×2, 302×1); pick one with --entry N"
        );
        let err = har.select(Some(3), None).unwrap_err().to_string();
        assert!(err.contains("has 3 entries (0 to 2)"), "{err}");
        let err = har
            .select(None, Some("token=hunter2"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn summaries_redact_urls() {
        let har = har_of(&[&entry(
            "GET",
            "https://a.example/cb?code=abcdefghijklmnopqrstuvwxyz&state=1",
            401,
            "",
        )]);
        let s = &har.summaries()[0];
        assert_eq!((s.index, s.method.as_str(), s.status), (0, "GET", 401));
        assert!(!s.url.contains("abcdefghijklmnopqrstuvwxyz"), "{}", s.url);
        assert!(s.url.contains("state=1"));
    }

    #[test]
    fn context_cookies() {
        let har = har_of(&[
            r#"{"startedDateTime":"2024-05-01T09:00:00Z","request":{"url":"https://a.example/login"},
               "response":{"status":200,"headers":[
                 {"name":"Set-Cookie","value":"sid=1; Path=/; HttpOnly\ncsrf=2; Secure"}]}}"#,
            r#"{"request":{"url":"https://b.example/"},
               "response":{"status":200,"cookies":[{"name":"other","value":"x"}]}}"#,
            r#"{"startedDateTime":"2024-05-01T10:00:00Z",
               "request":{"url":"https://A.example/api",
                 "cookies":[{"name":"sid","value":"1","expires":"2024-05-01T09:30:00.000Z","httpOnly":true,"secure":false}]},
               "response":{"status":401,"cookies":[],"headers":[
                 {"name":"set-cookie","value":"sid=; Max-Age=0; Path=/"},
                 {"name":"set-cookie","value":"old=; Expires=Thu, 01-Jan-1970 00:00:01 GMT"},
                 {"name":"set-cookie","value":"keep=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:01 GMT"},
                 {"name":"set-cookie","value":"noequals"}]}}"#,
        ]);
        let ctx = har.context(2);
        let start = 1_714_557_600;
        assert_eq!(ctx.started_at, Some(start));
        assert_eq!(
            ctx.request_cookies,
            vec![RecordedCookie {
                name: "sid".into(),
                expires: Some(start - 1800),
                http_only: Some(true),
                secure: Some(false),
            }]
        );
        let rc = &ctx.response_cookies;
        assert_eq!(rc.len(), 3);
        assert_eq!(rc[0].name, "sid");
        assert!(rc[0].expires.unwrap() <= start);
        assert_eq!(rc[1].expires, Some(1));
        assert_eq!(rc[2].expires, Some(start + 60));
        assert_eq!(ctx.earlier_cookie_names, ["sid", "csrf"]);
        let first = har.context(0);
        assert_eq!(first.response_cookies[0].http_only, Some(true));
        assert_eq!(first.response_cookies[1].secure, Some(true));
        assert!(first.earlier_cookie_names.is_empty());
    }

    #[test]
    fn request_cookie_names_fall_back_to_the_cookie_header() {
        let har = har_of(&[r#"{"request":{"url":"https://a.example/",
            "headers":[{"name":"Cookie","value":"a=1; b=2"}]}}"#]);
        let names: Vec<String> = har
            .context(0)
            .request_cookies
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn expiry_formats() {
        assert_eq!(parse_expiry(&Value::from("1970-01-01T00:01:00Z")), Some(60));
        assert_eq!(
            parse_expiry(&Value::from("Thu, 01 Jan 1970 00:01:00 GMT")),
            Some(60)
        );
        assert_eq!(parse_expiry(&Value::from(60)), Some(60));
        assert_eq!(
            parse_expiry(&Value::from(60_000_000_000_000u64)),
            Some(60_000_000_000)
        );
        assert_eq!(parse_expiry(&Value::from("soon")), None);
        assert_eq!(parse_expiry(&Value::Null), None);
    }
}
