//! The request as the user meant it, and each exchange (hop) as it actually happened.
//!
//! These are plain owned data so that a live run, a HAR recording and a unit test all produce the
//! same shapes. Header values may hold secrets: they are only ever shown through
//! [`crate::secret::redact_header_value`].

use serde::Serialize;
use std::time::Duration;
pub use url::Url;

/// One header as sent or received, in order; duplicates are kept (they are evidence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Case-insensitive header lookups over an ordered list.
pub trait HeaderList {
    /// Every value of `name`, in order.
    fn all<'a>(&'a self, name: &str) -> Vec<&'a str>;
    /// The first value of `name`.
    fn first(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }
    fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }
}

impl HeaderList for [Header] {
    fn all<'a>(&'a self, name: &str) -> Vec<&'a str> {
        self.iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
            .collect()
    }
}

impl HeaderList for Vec<Header> {
    fn all<'a>(&'a self, name: &str) -> Vec<&'a str> {
        self.as_slice().all(name)
    }
}

/// Where the request description came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputOrigin {
    /// `authdoctor check [curl flags] URL`
    #[default]
    Flags,
    /// `authdoctor check --curl '…'`
    CurlLine,
    /// `authdoctor check --har FILE`, entry index (0-based) in `log.entries`.
    Har { file: String, entry: usize },
}

/// How the user supplied the credential, when it was not a literal header. Kept so rules can
/// reason about what the user typed (e.g. `-u user:pass` with a trailing newline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// `-u user:password` (curl encodes it as Basic).
    UserFlag {
        user: String,
        password: Option<String>,
    },
    /// `--oauth2-bearer TOKEN`.
    OAuth2BearerFlag,
}

/// Where a configured proxy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxySource {
    Flag,
    Env,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProxySetting {
    pub url: String,
    pub source: ProxySource,
    /// The environment variable it came from, e.g. `HTTPS_PROXY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env_var: Option<String>,
}

/// HTTP version the user asked for (curl `--http1.1`, `--http2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HttpVersionPref {
    #[default]
    Any,
    Http1,
    Http2,
}

/// Transport settings that come with the request (curl's connection flags).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransportOptions {
    pub proxy: Option<ProxySetting>,
    /// `--noproxy` list or `NO_PROXY`.
    pub no_proxy: Option<String>,
    pub cacert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub insecure: bool,
    pub connect_timeout: Option<Duration>,
    pub max_time: Option<Duration>,
    pub http_version: HttpVersionPref,
    /// `--resolve` / `--connect-to`: where connections to a host really go.
    pub pins: crate::input::pins::Pins,
}

/// A DPoP signing key (`--dpop-key`, a profile's `dpop_key`): the sender signs a fresh proof
/// for every request it sends under the `DPoP` scheme, so no proof is ever sent twice. Shown and
/// compared by its RFC 7638 thumbprint only; the private key never leaves the process.
#[derive(Clone)]
pub struct DpopKey(pub std::sync::Arc<crate::jose::dpop::ProofKey>);

impl DpopKey {
    pub fn new(k: crate::jose::dpop::ProofKey) -> Self {
        DpopKey(std::sync::Arc::new(k))
    }
    /// The key's RFC 7638 thumbprint: what a bound token's `cnf.jkt` must say.
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint()
    }
}

impl PartialEq for DpopKey {
    fn eq(&self, o: &Self) -> bool {
        self.thumbprint() == o.thumbprint()
    }
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DpopKey(jkt {})", self.thumbprint())
    }
}

/// The failing request, as the user meant to send it. Header values may be secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestSpec {
    pub method: String,
    /// Parsed once, where the request is read (curl line, flags, HAR, a program's request).
    pub url: Url,
    pub headers: Vec<Header>,
    pub body: Option<Vec<u8>>,
    pub transport: TransportOptions,
    pub origin: InputOrigin,
    pub credential_source: Option<CredentialSource>,
    /// The user asked curl to follow redirects (`-L`); authdoctor follows them itself either way,
    /// but without `--location-trusted` it drops credentials across hosts, as curl does.
    pub follow_redirects: bool,
    /// `--location-trusted`: keep credentials across hosts (curl semantics).
    pub location_trusted: bool,
    /// Non-fatal notes from input parsing (ignored flags, defaults applied).
    pub notes: Vec<String>,
    /// curl's `--basic/--digest/--anyauth/…`: how `-u` credentials are sent. For Digest (and
    /// `--anyauth` choosing it) the sender answers the server's challenge itself.
    pub auth_method: crate::input::AuthMethod,
    /// curl's `--aws-sigv4 provider1[:provider2[:region[:service]]]`: the sender signs the
    /// request with AWS SigV4 (using the `-u KEY:SECRET` credentials) just before sending.
    pub aws_sigv4: Option<String>,
    /// `--dpop-key`: the sender signs a fresh DPoP proof for each request it sends with
    /// `Authorization: DPoP …` (and answers one `use_dpop_nonce` challenge).
    pub dpop_key: Option<DpopKey>,
}

/// Where a request goes when nothing said otherwise: a reserved name (RFC 2606) that never
/// resolves, so a default request can never reach anyone.
pub const UNSET_URL: &str = "http://unset.invalid/";

impl Default for RequestSpec {
    fn default() -> Self {
        RequestSpec {
            method: String::new(),
            url: Url::parse(UNSET_URL).expect("a valid constant URL"),
            headers: Vec::new(),
            body: None,
            transport: TransportOptions::default(),
            origin: InputOrigin::default(),
            credential_source: None,
            follow_redirects: false,
            location_trusted: false,
            notes: Vec::new(),
            auth_method: crate::input::AuthMethod::default(),
            aws_sigv4: None,
            dpop_key: None,
        }
    }
}

impl RequestSpec {
    /// The host the request is addressed to, lowercase (an IPv6 address in brackets, as in the
    /// URL): the one host helper every stage uses (profiles, probes, causes).
    pub fn host(&self) -> Option<String> {
        host_of_url(&self.url)
    }
}

/// The host of a URL, lowercase (an IPv6 address in brackets, as in the URL).
pub fn host_of_url(url: &Url) -> Option<String> {
    url.host_str().map(str::to_ascii_lowercase)
}

/// [`host_of_url`] for a URL still in text (a configured `api_base`, a recorded hop).
pub fn host_of(url: &str) -> Option<String> {
    Url::parse(url).ok().as_ref().and_then(host_of_url)
}

/// What a sender still holds of a request's body when it considers sending the request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyHeld {
    /// The request has no body.
    None,
    /// The whole body is in memory: it can be sent again byte for byte.
    Buffered,
    /// The body was a stream, consumed by the first send: there is nothing to send again.
    Streamed,
}

/// The one definition of "safe to send again without the user's say-so", used by the CLI's
/// probes and `--fix`, the token proxy, `AuthClient` and `TokenMiddleware`: a safe method of
/// RFC 9110 §9.2.1 ([`method_is_safe`]: GET, HEAD, OPTIONS, TRACE) whose body, if any, is still
/// held in full. Anything else is sent again only when the user says so (`--allow-replay`), and
/// a streamed body never.
pub fn may_send_again(method: &str, body: BodyHeld) -> bool {
    method_is_safe(method) && body != BodyHeld::Streamed
}

/// The method half of [`may_send_again`]: the safe methods of RFC 9110 §9.2.1 (GET, HEAD,
/// OPTIONS, TRACE). PUT and DELETE are idempotent but not safe: a second send after a 401 may
/// still change state the user did not ask to change twice (conditional requests, side effects
/// behind the resource), so they need the user's word — as do POST and PATCH.
pub fn method_is_safe(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS", "TRACE"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method.trim()))
}

impl RequestSpec {
    /// [`may_send_again`] for this request (its body, if any, is always held in full). The name
    /// is historical: the rule is "safe", which is narrower than "idempotent".
    pub fn is_idempotent_safe(&self) -> bool {
        may_send_again(&self.method, BodyHeld::Buffered)
    }
}

/// One certificate of a TLS peer chain, summarised for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub not_before: i64,
    pub not_after: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
}

/// What the TLS handshake showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TlsInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    pub peer_chain: Vec<CertSummary>,
    /// The server sent a CertificateRequest (it asked for a client certificate).
    pub client_cert_requested: bool,
    /// Distinguished names of the CAs the server said it accepts for client certificates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acceptable_client_cas: Vec<String>,
    /// Whether we presented one (`--cert`).
    pub client_cert_sent: bool,
}

/// Why a header the user gave was not sent on a hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DroppedHeader {
    pub name: String,
    pub reason: String,
}

/// One request/response pair: a hop. A redirect chain is several exchanges in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exchange {
    pub method: String,
    /// The hop's URL as observed. Text, not `Url`: a recording (HAR) may hold one no client
    /// could send, and the report shows what was recorded; sent hops come from `Url`s.
    pub url: String,
    /// What was actually sent on this hop (may differ from the spec after a redirect).
    pub request_headers: Vec<Header>,
    /// Headers of the original request that this hop did not send, and why.
    pub dropped_headers: Vec<DroppedHeader>,
    pub status: u16,
    pub reason: Option<String>,
    pub http_version: String,
    pub headers: Vec<Header>,
    /// Response body, capped at [`BODY_CAP`] bytes.
    pub body: Vec<u8>,
    pub body_truncated: bool,
    pub elapsed_ms: Option<f64>,
    pub remote_addr: Option<String>,
    pub tls: Option<TlsInfo>,
    /// Local wall-clock time (unix seconds) when the response headers arrived.
    pub received_at: Option<i64>,
}

/// Response bodies are evidence, not payload: keep enough to read an error.
pub const BODY_CAP: usize = 64 * 1024;

impl Exchange {
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308) && self.headers.has("location")
    }

    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// A cookie as a HAR recorded it, with the metadata a `Cookie:` header does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedCookie {
    pub name: String,
    /// Expiry in unix seconds, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
}

/// What a HAR entry adds beyond the exchange itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct HarContext {
    pub file: String,
    pub entry: usize,
    /// The recording tool (`log.creator.name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// `startedDateTime` of the entry, unix seconds: the clock to judge the recording by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// Cookies the browser sent (from `request.cookies`).
    pub request_cookies: Vec<RecordedCookie>,
    /// Cookies the server set (from `response.cookies`).
    pub response_cookies: Vec<RecordedCookie>,
    /// Names of cookies set by earlier entries of the same host (a session the browser had).
    pub earlier_cookie_names: Vec<String>,
}

/// What a probe changed or measured. Serialised as its stable name (the report's
/// `probes[].name`), which never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    /// The request with every credential removed.
    WithoutCredentials,
    /// The request to the same origin without the proxy.
    Direct,
    /// The request past any cache (`no-cache` and a unique query parameter).
    CacheBust,
    /// The credential moved where the API's description puts it.
    MovedCredential,
    /// An SNTP measurement.
    Ntp,
    /// What the host resolves to.
    Dns,
    /// The `--cert` file read locally.
    ClientCertificate,
    /// The TLS handshake without the proxy.
    TlsDirect,
    /// No request sent again (a method that is not safe to repeat).
    Skipped,
}

impl ProbeKind {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::WithoutCredentials => "without-credentials",
            ProbeKind::Direct => "direct",
            ProbeKind::CacheBust => "cache-bust",
            ProbeKind::MovedCredential => "moved-credential",
            ProbeKind::Ntp => "ntp",
            ProbeKind::Dns => "dns",
            ProbeKind::ClientCertificate => "client-certificate",
            ProbeKind::TlsDirect => "tls-direct",
            ProbeKind::Skipped => "skipped",
        }
    }
}

impl std::fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One differential probe: the request sent again with exactly one thing changed —
/// without its credentials, around the proxy, past the cache — or a side measurement (NTP,
/// DNS, the client certificate file). Every probe run is listed in the report. URLs are stored
/// redacted; `headers` is a summary of the response headers that tell layers apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeResult {
    /// What it changed or measured; serialised as its stable name.
    pub name: ProbeKind,
    /// What the probe changed relative to the user's request, in words.
    pub changed: String,
    /// Where it went (redacted); empty for local checks.
    pub url: String,
    /// The final status it got, when it was an HTTP request that was answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Response headers that tell layers apart (`WWW-Authenticate`, `Via`, `X-Cache*`, `Age`,
    /// `Date`, `X-Client-Verify`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Did it get a different answer from the user's request (status, challenge or cache
    /// verdict)? `None` when that does not apply or is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub differs: Option<bool>,
    /// What the probe's answer said went wrong (see [`crate::statement`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<crate::statement::Statement>,
    /// One line: what came back and what it shows.
    pub verdict: String,
    pub elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProbeResult {
    pub fn new(name: ProbeKind, changed: impl Into<String>, url: impl Into<String>) -> Self {
        ProbeResult {
            name,
            changed: changed.into(),
            url: url.into(),
            status: None,
            headers: Vec::new(),
            differs: None,
            statement: None,
            verdict: String::new(),
            elapsed_ms: 0.0,
            error: None,
        }
    }
}

/// One SNTP measurement against a `--ntp` server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NtpSample {
    /// `host:port` as given.
    pub server: String,
    /// NTP time minus local time, seconds (positive: the local clock is behind).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<f64>,
    /// Round-trip delay, milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stratum: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A profile whose hosts resolve to an address the request's host also resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsProfileMatch {
    pub profile: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The profile's host that resolves to the shared addresses.
    pub host: String,
    pub shared: Vec<String>,
}

/// What the request's host resolves to, and how that relates to the configured profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct DnsInfo {
    pub host: String,
    pub addresses: Vec<String>,
    /// The name is pinned in the hosts file (`/etc/hosts`).
    pub hosts_file: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The profile selected for this request and its environment label, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Other profiles whose hosts share an address with the request's host.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<DnsProfileMatch>,
}

/// The client certificate given with `--cert`, read locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ClientCertInfo {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
    /// Extended key usage: `Some(false)` when the EKU extension is present without clientAuth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<bool>,
    /// The EKU purposes listed, e.g. `serverAuth`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub purposes: Vec<String>,
    /// The private key (`--key`) belongs to the certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_matches: Option<bool>,
    /// Why the file could not be read or parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[cfg(test)]
mod resend_tests {
    use super::*;

    #[test]
    fn only_safe_methods_with_a_held_body_are_sent_again() {
        for m in ["GET", "head", " OPTIONS ", "TRACE"] {
            assert!(may_send_again(m, BodyHeld::None), "{m}");
            assert!(may_send_again(m, BodyHeld::Buffered), "{m}");
            assert!(!may_send_again(m, BodyHeld::Streamed), "{m}");
        }
        // Idempotent is not enough: PUT and DELETE need the user's word too.
        for m in ["POST", "PUT", "PATCH", "DELETE", "CONNECT", "QUERY", ""] {
            assert!(!may_send_again(m, BodyHeld::None), "{m}");
        }
        let spec = |m: &str| RequestSpec {
            method: m.into(),
            ..Default::default()
        };
        assert!(spec("GET").is_idempotent_safe());
        assert!(!spec("PUT").is_idempotent_safe());
    }
}
