//! The report: one serialisable model of a diagnosis ([`Report`]), rendered either as JSON
//! ([`json`], a public contract) or for people ([`human`]).
//!
//! Every value that leaves through a report has been through [`crate::secret`]: headers are
//! redacted by name, URLs by parameter, bodies by JSON key, and the finished text is scrubbed of
//! every secret the request carried, as a last line of defence.

pub mod documents;
pub mod human;
pub mod json;

use crate::diagnosis::{Finding, Outcome};
use crate::evidence::Evidence;
use crate::model::{
    ClientCertInfo, DnsInfo, DroppedHeader, Header, HeaderList, InputOrigin, NtpSample,
    ProbeResult, ProxySetting, TlsInfo,
};
use crate::secret::{Fingerprints, Scrubber, redact, redact_url};
use crate::token::jwt::JwtAnalysis;
use serde::Serialize;
use serde_json::{Map, Value};

/// Schema version of the JSON output. Bump only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct RequestView {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
    pub origin: InputOrigin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxySetting>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Credentials the HAR's recorder removed or masked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redacted_by_recorder: Vec<crate::evidence::RecorderRedaction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExchangeView {
    pub method: String,
    pub url: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub http_version: String,
    pub request_headers: Vec<Header>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_headers: Vec<DroppedHeader>,
    pub headers: Vec<Header>,
    /// The start of the response body (redacted), for error messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_excerpt: Option<String>,
    pub body_bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsInfo>,
}

/// Times of a JWT against the clocks, for the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub local_now: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_now: Option<i64>,
    /// One line: "expired 3m12s ago by the server's clock".
    pub verdict: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    /// `jwt`, `jwe`, `broken-jwt`, `basic`, `opaque`.
    pub kind: String,
    pub scheme: Option<String>,
    /// Prefix/suffix and fingerprint; never the token.
    pub redacted: String,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    pub local: i64,
    pub server: i64,
    pub offset_seconds: i64,
}

/// Everything a report shows. Built once from evidence and findings; rendered twice at most.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub outcome: Outcome,
    pub summary: String,
    pub request: RequestView,
    pub exchanges: Vec<ExchangeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockView>,
    /// What the server's answer says went wrong, read from its challenge, body and headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<crate::statement::Statement>,
    pub findings: Vec<Finding>,
    /// The RFC 9728 → RFC 8414 discovery chain from this 401, link by link (URLs redacted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovery: Vec<crate::idp::discovery::Step>,
    /// Differential probes: each one, what it changed and what came back; URLs and
    /// headers redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeResult>,
    /// SNTP measurements (`--ntp`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ntp: Vec<NtpSample>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsInfo>,
    /// The `--cert` file as read locally.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<ClientCertInfo>,
    /// Identity-provider evidence: discovery, keys and the signature verdict, the
    /// resource's RFC 9728 metadata, introspection, expectations with their sources, and each
    /// claim compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<crate::idp::IdpEvidence>,
    /// `check --fix`: what was applied, and the request's status before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::fix::FixOutcome>,
    #[serde(skip)]
    scrubber: Scrubber,
}

fn headers_view(fps: &Fingerprints, h: &[Header]) -> Vec<Header> {
    h.iter()
        .map(|h| Header {
            name: h.name.clone(),
            value: fps.redact_header_value(&h.name, &h.value),
        })
        .collect()
}

/// Keys whose values are secrets in JSON and form bodies (token responses, echo services,
/// login forms).
fn is_secret_key(k: &str) -> bool {
    crate::secret::shape::is_secret_name(k) || k.eq_ignore_ascii_case("code")
}

/// Every string under a carrier's key, or shaped like a credential, redacted; strings that
/// hold a URL or pairs redacted inside.
fn redact_json(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if is_secret_key(k) && val.is_string() {
                    *val = Value::String(redact(val.as_str().unwrap_or("")));
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        Value::String(s) => {
            if crate::secret::shape::looks_secret(s) {
                *s = redact(s);
            } else if s.contains("://") || s.contains('=') {
                *s = crate::secret::redact_text(s);
            }
        }
        _ => {}
    }
}

/// The start of a body, safe to show: JSON secrets redacted by key and shape; any other text
/// (a form-encoded token response, `)]}'`-prefixed or truncated JSON, HTML with a CSRF token)
/// through the text rules; at most 2 KiB.
fn body_excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    let shown = match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => crate::secret::redact_text(&text),
    };
    let mut s: String = shown.chars().take(2048).collect();
    if shown.chars().count() > 2048 {
        s.push('…');
    }
    Some(s)
}

/// Every secret the request carries, for the final scrub.
pub fn scrubber_for(ev: &Evidence) -> Scrubber {
    let mut sc = scrubber_for_request(&ev.request);
    if let Some(b) = &ev.basic {
        if let Some(p) = &b.password {
            sc.add(p);
        }
        if let Some(u) = &b.user
            && crate::secret::shape::basic_user_is_secret(u, b.password.as_deref())
        {
            sc.add(u);
        }
    }
    sc
}

/// Every secret a request carries: credential headers (whole, after the scheme, cookie values),
/// the `-u` password (and a user name that is really a key), URL userinfo, query values by name
/// or shape, and form or JSON body fields by name or shape.
pub fn scrubber_for_request(request: &crate::model::RequestSpec) -> Scrubber {
    let mut sc = Scrubber::default();
    // An unexpanded template is not a secret, and showing it is the diagnosis.
    let add = |sc: &mut Scrubber, v: &str| {
        if !crate::token::credential::placeholder(v.trim())
            .is_some_and(|p| crate::token::credential::showable_placeholder(&p))
        {
            sc.add(v);
        }
    };
    for h in &request.headers {
        if !crate::secret::is_sensitive_header(&h.name) {
            continue;
        }
        add(&mut sc, &h.value);
        // The credential after the scheme, and cookie values one by one.
        if let Some((_, cred)) = h.value.trim().split_once([' ', '\t']) {
            add(&mut sc, cred.trim());
        }
        if crate::sigv4::parse::is_sigv4_authorization(&h.value) {
            // SigV4's `;` separates signed header names, not cookies: only the signature is
            // secret-like; the key id and scope are evidence.
            if let Ok((.., sig)) = crate::sigv4::parse::parse_authorization(&h.value) {
                sc.add(&sig);
            }
            continue;
        }
        for pair in h.value.split(';') {
            if let Some((_, v)) = pair.split_once('=') {
                sc.add(v.trim());
            }
        }
    }
    if let Some(crate::model::CredentialSource::UserFlag { user, password }) =
        &request.credential_source
    {
        if let Some(p) = password {
            sc.add(p);
        }
        if crate::secret::shape::basic_user_is_secret(user, password.as_deref()) {
            sc.add(user);
        }
    }
    {
        let u = &request.url;
        if let Some(p) = u.password() {
            sc.add(p);
        }
        let fragment = u.fragment().unwrap_or_default();
        for (k, v) in u
            .query_pairs()
            .chain(url::form_urlencoded::parse(fragment.as_bytes()))
        {
            if crate::secret::is_sensitive_param(&k) || crate::secret::shape::looks_secret(&v) {
                sc.add(&v);
            }
        }
    }
    if let Some(body) = &request.body {
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => add_json_secrets(&mut sc, &v),
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
                    if is_secret_key(&k) || crate::secret::shape::looks_secret(&v) {
                        sc.add(&v);
                    }
                }
            }
        }
    }
    sc
}

fn add_json_secrets(sc: &mut Scrubber, v: &Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                match val {
                    Value::String(s) if is_secret_key(k) => sc.add(s),
                    other => add_json_secrets(sc, other),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| add_json_secrets(sc, x)),
        Value::String(s) if crate::secret::shape::looks_secret(s) => sc.add(s),
        _ => {}
    }
}

fn token_view(ev: &Evidence, fps: &Fingerprints) -> Option<TokenView> {
    let a = ev.authorization.as_ref()?;
    let cred = a.credential.trim();
    let mut v = TokenView {
        kind: "opaque".into(),
        scheme: a.canonical_scheme(),
        redacted: fps.redact(cred),
        fingerprint: fps.fingerprint(cred),
        header: None,
        claims: None,
        user: None,
        timeline: None,
    };
    match &ev.jwt {
        Some(JwtAnalysis::Jws(j)) => {
            v.kind = "jwt".into();
            v.header = Some(j.header.clone());
            v.claims = Some(j.claims.clone());
            v.timeline = Some(timeline(ev, j));
        }
        Some(JwtAnalysis::Jwe { header }) => {
            v.kind = "jwe".into();
            v.header = Some(header.clone());
        }
        Some(JwtAnalysis::Broken(_)) => v.kind = "broken-jwt".into(),
        None => {}
    }
    if let Some(b) = &ev.basic {
        v.kind = "basic".into();
        v.user = b.user.as_ref().map(|u| {
            let u = u.trim_end_matches(['\r', '\n']);
            // `-u sk_live_…:`: the "user name" is the API key.
            if crate::secret::shape::basic_user_is_secret(u, b.password.as_deref()) {
                fps.redact(u)
            } else {
                u.to_string()
            }
        });
    }
    Some(v)
}

fn timeline(ev: &Evidence, j: &crate::token::jwt::Jwt) -> Timeline {
    use crate::time::human_duration as h;
    let (exp, nbf, iat) = (
        j.time_claim("exp"),
        j.time_claim("nbf"),
        j.time_claim("iat"),
    );
    let (t, clock) = ev.judging_time();
    let verdict = match (exp, nbf) {
        (_, Some(n)) if n > t => format!("not valid for another {} by {clock}", h(n - t)),
        (Some(e), _) if e <= t => format!("expired {} ago by {clock}", h(t - e)),
        (Some(e), _) => format!("valid for another {} by {clock}", h(e - t)),
        (None, _) => "no exp claim: never expires by its own claims".into(),
    };
    Timeline {
        iat,
        nbf,
        exp,
        local_now: ev.server_clock.map(|c| c.local).unwrap_or(ev.now),
        server_now: ev.server_clock.map(|c| c.date),
        verdict,
    }
}

impl Report {
    /// The report with the result of `--fix`; the secrets of the token endpoint's exchange (if
    /// any) are scrubbed from this report's text too.
    pub fn with_fix(mut self, fix: crate::fix::FixOutcome) -> Report {
        if let Some(te) = &fix.token_endpoint {
            self.scrubber.extend(&te.scrubber);
        }
        self.fix = Some(fix);
        self
    }

    /// Scrub one more secret from everything this report renders (a token obtained by `--fix`).
    pub fn add_secret(&mut self, secret: &str) {
        self.scrubber.add(secret);
    }

    pub fn new(ev: &Evidence, findings: Vec<Finding>) -> Report {
        let last_status = ev.status().unwrap_or(0);
        let mut outcome = Outcome::from_status(last_status);
        if outcome == Outcome::Ok && ev.is_auth_failure() {
            // The status says success but the body says authentication failed (Slack's 200).
            outcome = Outcome::Unauthorized;
        } else if outcome == Outcome::Error && (400..500).contains(&last_status) {
            // Any 4xx is an authentication failure when it says so: its statement is about
            // the credential (an OAuth error in a 400, a 422 "Signature verification failed"),
            // the request without credentials is challenged, or a cause was found (a token
            // endpoint's `invalid_client`, a TLS layer's 400 for a missing certificate).
            let said = ev.statement.as_ref().is_some_and(|s| {
                s.strength == crate::statement::Strength::Explicit && s.said.is_auth()
            });
            let challenged = ev
                .probe(crate::model::ProbeKind::WithoutCredentials)
                .is_some_and(|p| p.status == Some(401) || p.headers.has("www-authenticate"));
            if said
                || challenged
                || findings
                    .first()
                    .is_some_and(|f| f.likelihood >= crate::diagnosis::Likelihood::Medium)
            {
                outcome = Outcome::Unauthorized;
            }
        }
        // The same token shows in the request, each hop and the token view: hash it once.
        let fps = Fingerprints::default();
        let request = RequestView {
            method: ev.request.method.clone(),
            url: redact_url(ev.request.url.as_str()),
            headers: headers_view(&fps, &ev.request.headers),
            body_bytes: ev.request.body.as_ref().map(Vec::len),
            origin: ev.request.origin.clone(),
            proxy: ev.proxy.clone().map(|mut p| {
                p.url = redact_url(&p.url);
                p
            }),
            notes: {
                let mut n = ev.request.notes.clone();
                if !ev.redacted_by_recorder.is_empty() {
                    let what: Vec<String> = ev
                        .redacted_by_recorder
                        .iter()
                        .map(|r| format!("{} = {:?}", r.carrier, r.marker))
                        .collect();
                    n.push(format!(
                        "the recording's credentials were removed or masked by the recorder ({}): causes that depend on their values are not judged; for the full diagnosis send the request again with the real credential (--replay, with -H), or export the HAR with its sensitive data",
                        what.join(", ")
                    ));
                }
                n
            },
            redacted_by_recorder: ev.redacted_by_recorder.clone(),
        };
        let exchanges = ev
            .exchanges
            .iter()
            .map(|x| ExchangeView {
                method: x.method.clone(),
                url: redact_url(&x.url),
                status: x.status,
                reason: x.reason.clone(),
                http_version: x.http_version.clone(),
                request_headers: headers_view(&fps, &x.request_headers),
                dropped_headers: x.dropped_headers.clone(),
                headers: headers_view(&fps, &x.headers),
                body_excerpt: body_excerpt(&x.body),
                body_bytes: x.body.len(),
                elapsed_ms: x.elapsed_ms,
                remote_addr: x.remote_addr.clone(),
                tls: x.tls.clone(),
            })
            .collect();
        // Findings quote what servers said (bodies, headers): their text gets the text rules.
        let findings: Vec<Finding> = findings.into_iter().map(redact_finding).collect();
        let summary = summary_line(ev, &findings, outcome);
        Report {
            version: SCHEMA_VERSION,
            outcome,
            summary,
            request,
            exchanges,
            token: token_view(ev, &fps),
            clock: ev.server_clock.map(|c| ClockView {
                local: c.local,
                server: c.date,
                offset_seconds: c.offset(),
            }),
            statement: ev.statement.clone().map(|mut s| {
                s.words = crate::secret::redact_text(&s.words);
                s
            }),
            findings,
            discovery: ev
                .discovery
                .as_ref()
                .map(|c| c.steps.clone())
                .unwrap_or_default(),
            probes: ev
                .probes
                .iter()
                .map(|p| ProbeResult {
                    url: redact_url(&p.url),
                    headers: headers_view(&fps, &p.headers),
                    ..p.clone()
                })
                .collect(),
            ntp: ev.ntp.clone(),
            dns: ev.dns.clone(),
            client_certificate: ev.client_cert.clone(),
            issuer: ev.idp.clone().map(|mut i| {
                for f in i
                    .raw
                    .primary
                    .iter_mut()
                    .chain(i.raw.others.iter_mut())
                    .flat_map(|p| p.fetches.iter_mut())
                    .chain(i.raw.metadata_fetch.iter_mut())
                    .chain(i.raw.introspection_fetch.iter_mut())
                    .chain(
                        i.raw
                            .authorization_server_metadata
                            .iter_mut()
                            .flat_map(|a| a.attempts.iter_mut()),
                    )
                {
                    f.url = redact_url(&f.url);
                }
                i
            }),
            fix: None,
            scrubber: scrubber_for(ev),
        }
    }

    /// Remove every known secret from finished output text.
    pub fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }
}

/// A finding's title and evidence through [`crate::secret::redact_text`].
fn redact_finding(mut f: Finding) -> Finding {
    f.title = crate::secret::redact_text(&f.title);
    for e in f.evidence.iter_mut().chain(f.against.iter_mut()) {
        e.text = crate::secret::redact_text(&e.text);
    }
    f
}

fn status_text(ev: &Evidence) -> String {
    match ev.last() {
        Some(x) => {
            let reason = x
                .reason
                .clone()
                .unwrap_or_else(|| canonical_reason(x.status).to_string());
            format!("{} {}", x.status, reason).trim().to_string()
        }
        None => "no response".into(),
    }
}

/// The reason phrase for common statuses, for when the server's own is absent (HTTP/2).
pub fn canonical_reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn summary_line(ev: &Evidence, findings: &[Finding], outcome: Outcome) -> String {
    let target = format!(
        "{} {}",
        ev.request.method,
        redact_url(ev.request.url.as_str())
    );
    let hops = if ev.exchanges.len() > 1 {
        format!(" after {} hops", ev.exchanges.len())
    } else {
        String::new()
    };
    match (outcome, findings.first()) {
        (Outcome::Ok, _) => format!(
            "{} from {target}{hops}: the request succeeded",
            status_text(ev)
        ),
        (_, Some(f)) => format!(
            "{} from {target}{hops}: most likely {} ({}) — {}",
            status_text(ev),
            f.id,
            f.likelihood.as_str(),
            f.title
        ),
        (_, None) => format!(
            "{} from {target}{hops}: no known cause matched the evidence",
            status_text(ev)
        ),
    }
}

impl Evidence {
    /// Convenience for renderers: the final response's header, if any.
    pub fn final_header(&self, name: &str) -> Option<&str> {
        self.last().and_then(|x| x.headers.first(name))
    }
}
