//! Evidence: everything known about one failing request, collected once and shared by every
//! cause rule.
//!
//! Raw evidence is what the input and the probes produced (the request, its hops, the proxy in
//! use, a HAR's context). Derived evidence — the challenges, the Authorization header taken
//! apart, the decoded token, the server's clock offset — is computed here exactly once, so rules
//! stay small pure functions and never re-parse. New probes (issuer discovery, NTP, …) add a
//! field here; rules that do not use it are untouched.

use crate::http::authorization::{self, AuthorizationHeader, BasicCredential};
use crate::http::challenge::{self, Challenge};
use crate::model::{
    ClientCertInfo, DnsInfo, Exchange, HarContext, HeaderList, NtpSample, ProbeResult,
    ProxySetting, RequestSpec,
};
use crate::token::credential::{self, FormatIssue};
use crate::token::jwt::{self, JwtAnalysis};

/// The server's clock as read from its `Date` header, against ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerClock {
    /// The server's `Date`, unix seconds.
    pub date: i64,
    /// Local clock when the response arrived, unix seconds.
    pub local: i64,
}

impl ServerClock {
    /// Server minus local, seconds. `Date` has one-second resolution, so ±1 is noise.
    pub fn offset(&self) -> i64 {
        self.date - self.local
    }
}

use crate::secret::API_KEY_HEADERS;

/// One credential a recording tool removed or masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RecorderRedaction {
    /// `header:Authorization`, `cookie:session`, `query:access_token`.
    pub carrier: String,
    /// What stands there instead.
    pub marker: String,
}

/// Is this value a recorder's redaction marker rather than a credential?
pub fn is_redaction_marker(v: &str) -> bool {
    let v = v.trim().trim_matches(['"', '\'']);
    let l = v.to_ascii_lowercase();
    let bare = l.trim_matches(['[', ']', '<', '>', '(', ')', '{', '}', '_', '-', ' ']);
    matches!(
        bare,
        "redacted"
            | "filtered"
            | "hidden"
            | "removed"
            | "masked"
            | "sanitized"
            | "secret"
            | "omitted"
    ) || bare.ends_with("_removed")
        || bare.ends_with("_redacted")
        || (v.len() >= 3 && v.chars().all(|c| c == '*'))
        || (v.len() >= 5 && l.chars().all(|c| c == 'x'))
        || v == "…"
        || v == "..."
}

/// Browsers' HAR exports leave out `Authorization` and cookies by default now (Chrome's
/// "sanitized" export, Firefox's): a browser recording of a refused request with neither cannot
/// show whether one was sent.
fn browser_sanitized(
    h: &HarContext,
    request: &RequestSpec,
    last: Option<&Exchange>,
) -> Option<RecorderRedaction> {
    let creator = h.creator.as_deref()?;
    let browser = [
        "webinspector",
        "firefox",
        "web inspector",
        "safari",
        "edge",
        "chrome",
    ]
    .iter()
    .any(|b| creator.to_ascii_lowercase().contains(b));
    let refused = last.is_some_and(|x| matches!(x.status, 401 | 403));
    let bare = !request.headers.has("authorization") && !request.headers.has("cookie");
    (browser && refused && bare).then(|| RecorderRedaction {
        carrier: "header:Authorization, cookies".into(),
        marker: format!("absent: {creator}'s export leaves them out by default"),
    })
}

/// Credentials of a recorded request that carry a redaction marker instead of a value.
fn recorder_redactions(request: &RequestSpec) -> Vec<RecorderRedaction> {
    let mut out = Vec::new();
    for h in &request.headers {
        let name = h.name.trim();
        if name.eq_ignore_ascii_case("cookie") {
            for pair in h.value.split(';') {
                if let Some((k, v)) = pair.split_once('=')
                    && is_redaction_marker(v)
                {
                    out.push(RecorderRedaction {
                        carrier: format!("cookie:{}", k.trim()),
                        marker: v.trim().to_string(),
                    });
                }
            }
            continue;
        }
        if !crate::secret::is_sensitive_header(name) {
            continue;
        }
        let v = h.value.trim();
        // `Bearer REDACTED`: the scheme is the user's, the value the recorder's.
        let cred = v.split_once(' ').map_or(v, |(_, c)| c.trim());
        if is_redaction_marker(v) || is_redaction_marker(cred) {
            out.push(RecorderRedaction {
                carrier: format!("header:{name}"),
                marker: cred.to_string(),
            });
        }
    }
    {
        for (k, v) in request.url.query_pairs() {
            if crate::secret::is_sensitive_param(&k) && is_redaction_marker(&v) {
                out.push(RecorderRedaction {
                    carrier: format!("query:{k}"),
                    marker: v.into_owned(),
                });
            }
        }
    }
    out
}

/// A DPoP proof as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct DpopSeen {
    pub proof: crate::jose::dpop::Proof,
    /// Signed by authdoctor (`--dpop-key`), not given by the user.
    pub by_authdoctor: bool,
    /// More than one `DPoP` header was sent (RFC 9449 §4.3 check 1: exactly one).
    pub several: bool,
}

/// The evidence a diagnosis is made from.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub request: RequestSpec,
    /// Hops in order; the last one is the answer the user got.
    pub exchanges: Vec<Exchange>,
    /// The proxy the request went through, if any (flag or environment).
    pub proxy: Option<ProxySetting>,
    /// Set when the exchange came from a HAR recording rather than a live request.
    pub har: Option<HarContext>,
    /// Local clock at analysis time (unix seconds). For a HAR, the entry's start time.
    pub now: i64,

    // Derived, computed by `Evidence::new`.
    /// Challenges of the final response (`WWW-Authenticate`, or `Proxy-Authenticate` for 407).
    pub challenges: Vec<Challenge>,
    /// The Authorization header of the original request.
    pub authorization: Option<AuthorizationHeader>,
    /// Formatting defects of the credential (after the scheme).
    pub format_issues: Vec<FormatIssue>,
    /// The credential decoded as a JWT, when it looks like one.
    pub jwt: Option<JwtAnalysis>,
    /// The Basic credential decoded, when the scheme is Basic.
    pub basic: Option<BasicCredential>,
    /// The final response's `Date` against the local clock.
    pub server_clock: Option<ServerClock>,
    /// Vendor knowledge-base entries the response matched.
    pub vendor: Vec<crate::vendor::VendorMatch>,
    /// The credential's provider and kind, recognised by its format.
    pub key_format: Option<crate::vendor::KeyFormat>,
    /// What the final answer says went wrong, read from everywhere servers say it.
    pub statement: Option<crate::statement::Statement>,
    /// A query-string credential with a lifetime of its own (SAS, presigned URL).
    pub signed_url: Option<crate::token::signed_url::SignedUrl>,
    /// Credentials a HAR recorder removed or masked (`REDACTED`, `***`, `[filtered]`): their
    /// values are not the user's, so nothing that depends on them is judged.
    pub redacted_by_recorder: Vec<RecorderRedaction>,
    /// Where the API's own OpenAPI/Swagger document says the operation's credential goes.
    pub api: Option<crate::api_description::ApiDescription>,

    // Differential probes, filled by the CLI with the `with_*` builders.
    /// Every probe that ran, in a fixed order.
    pub probes: Vec<ProbeResult>,
    /// SNTP measurements against the `--ntp` servers.
    pub ntp: Vec<NtpSample>,
    /// What the request's host resolves to, against the profiles.
    pub dns: Option<DnsInfo>,
    /// The `--cert` client certificate, read locally.
    pub client_cert: Option<ClientCertInfo>,

    // Identity-provider evidence, filled by the CLI with `with_idp`.
    /// The issuer's discovery, keys and verdicts, the resource's metadata, introspection, and
    /// every expectation with its source.
    pub idp: Option<crate::idp::IdpEvidence>,
    /// The DPoP proof that went with the request (RFC 9449): the user's `DPoP` header, else
    /// the one authdoctor signed with `--dpop-key`; inspected, never trusted.
    pub dpop: Option<DpopSeen>,
    /// The RFC 9728 → RFC 8414 chain a client walks from this 401, judged link by link.
    pub discovery: Option<crate::idp::discovery::Chain>,
}

impl Evidence {
    /// Collect derived evidence. `now` is the local clock (unix seconds) at analysis time.
    pub fn new(
        request: RequestSpec,
        exchanges: Vec<Exchange>,
        proxy: Option<ProxySetting>,
        har: Option<HarContext>,
        now: i64,
    ) -> Self {
        let last = exchanges.last();
        let challenges = last
            .map(|x| {
                let name = if x.status == 407 {
                    "proxy-authenticate"
                } else {
                    "www-authenticate"
                };
                challenge::parse_challenges(&x.headers.all(name))
            })
            .unwrap_or_default();
        // A header the client computed itself (curl `--digest` answering a challenge) is not in
        // the request as given, only on the hop that carried it: judge that one then.
        let given = request.headers.all("authorization");
        let authorization = if given.is_empty() {
            last.and_then(|x| authorization::analyse(&x.request_headers.all("authorization")))
        } else {
            authorization::analyse(&given)
        };
        let (format_issues, jwt, basic) = match &authorization {
            Some(a) => {
                let cred = a.credential.as_str();
                let utf8 = challenges.iter().any(|c| {
                    c.is_scheme("basic")
                        && c.param("charset")
                            .is_some_and(|v| v.eq_ignore_ascii_case("utf-8"))
                });
                let basic = a
                    .is_scheme("basic")
                    .then(|| authorization::analyse_basic(cred, utf8));
                let jwt = jwt::analyse(cred.trim().trim_matches('"'));
                (credential::format_issues(cred), jwt, basic)
            }
            None => (Vec::new(), None, None),
        };
        let server_clock = last.and_then(|x| {
            let date = crate::time::parse_http_date(x.headers.first("date")?)?;
            // A zero or negative time is a placeholder in synthetic recordings, not a clock.
            let local = x.received_at.filter(|t| *t > 0).unwrap_or(now);
            (local > 0).then_some(ServerClock { date, local })
        });
        let dpop = {
            let given = request.headers.all("dpop");
            let (seen, by_authdoctor) = if given.is_empty() {
                (
                    last.map(|x| x.request_headers.all("dpop"))
                        .unwrap_or_default(),
                    true,
                )
            } else {
                (given, false)
            };
            seen.first().map(|p| DpopSeen {
                proof: crate::jose::dpop::inspect_proof(p.trim()),
                by_authdoctor,
                several: seen.len() > 1,
            })
        };
        let vendor = crate::vendor::analyse(&request, exchanges.last());
        // The credential alone, then with its scheme (Okta's `SSWS …`), then API-key headers,
        // then credential-bearing query parameters (`?key=AIza…`).
        let query_keys: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| crate::secret::is_sensitive_param(k))
            .map(|(_, v)| v.into_owned())
            .collect();
        let key_format = authorization
            .iter()
            .flat_map(|a| [a.credential.trim().to_string(), a.raw.trim().to_string()])
            .chain(
                API_KEY_HEADERS
                    .iter()
                    .filter_map(|h| request.headers.first(h).map(|v| v.trim().to_string())),
            )
            .chain(query_keys)
            .find_map(|c| crate::vendor::key_format(&c));
        let statement = last.and_then(crate::statement::read);
        let signed_url = crate::token::signed_url::analyse(request.url.as_str());
        let redacted_by_recorder = match &har {
            Some(h) => {
                let mut r = recorder_redactions(&request);
                if let Some(b) = browser_sanitized(h, &request, last) {
                    r.push(b);
                }
                r
            }
            None => Vec::new(),
        };
        Evidence {
            api: None,
            signed_url,
            redacted_by_recorder,
            vendor,
            key_format,
            statement,
            request,
            exchanges,
            proxy,
            har,
            now,
            challenges,
            authorization,
            format_issues,
            jwt,
            basic,
            server_clock,
            probes: Vec::new(),
            ntp: Vec::new(),
            dns: None,
            client_cert: None,
            idp: None,
            dpop,
            discovery: None,
        }
    }

    /// Attach the differential probes' results.
    pub fn with_probes(mut self, probes: Vec<ProbeResult>) -> Self {
        self.probes = probes;
        self
    }

    /// Attach the API's published description of its credentials.
    pub fn with_api(mut self, api: Option<crate::api_description::ApiDescription>) -> Self {
        self.api = api;
        self
    }

    /// Attach SNTP measurements.
    pub fn with_ntp(mut self, ntp: Vec<NtpSample>) -> Self {
        self.ntp = ntp;
        self
    }

    /// Attach the DNS view of the request's host.
    pub fn with_dns(mut self, dns: Option<DnsInfo>) -> Self {
        self.dns = dns;
        self
    }

    /// Attach what the `--cert` file holds.
    pub fn with_client_cert(mut self, cert: Option<ClientCertInfo>) -> Self {
        self.client_cert = cert;
        self
    }

    /// Attach the identity-provider evidence.
    pub fn with_idp(mut self, idp: Option<crate::idp::IdpEvidence>) -> Self {
        self.discovery = idp
            .as_ref()
            .and_then(|i| crate::idp::discovery::judge(&i.raw, self.request.url.as_str()));
        self.idp = idp;
        self
    }

    /// The probe of this kind, if it ran.
    pub fn probe(&self, kind: crate::model::ProbeKind) -> Option<&ProbeResult> {
        self.probes.iter().find(|p| p.name == kind)
    }

    /// True time by NTP (unix seconds) at the moment the response arrived, when `--ntp`
    /// servers answered: the referee between the local clock and the server's.
    pub fn ntp_time(&self) -> Option<i64> {
        let (off, _) = self.ntp_offset()?;
        let local = self.server_clock.map(|c| c.local).unwrap_or(self.now);
        Some(local + off.round() as i64)
    }

    /// NTP's view of the local clock: the median offset (NTP minus local, seconds) of the
    /// servers that answered, with how many did.
    pub fn ntp_offset(&self) -> Option<(f64, usize)> {
        let mut offs: Vec<f64> = self.ntp.iter().filter_map(|s| s.offset_seconds).collect();
        if offs.is_empty() {
            return None;
        }
        offs.sort_by(|a, b| a.total_cmp(b));
        Some((offs[offs.len() / 2], offs.len()))
    }

    /// The response the user got (last hop).
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    pub fn status(&self) -> Option<u16> {
        self.last().map(|x| x.status)
    }

    /// 401 or 407: the server said "who are you?".
    pub fn is_unauthorized(&self) -> bool {
        matches!(self.status(), Some(401 | 407))
    }

    /// Any kind of auth rejection: 401, 403, 407 — or a response whose body says
    /// authentication failed although its status does not (Slack answers 200 `invalid_auth`).
    pub fn is_auth_failure(&self) -> bool {
        matches!(self.status(), Some(401 | 403 | 407)) || self.vendor.iter().any(|m| m.auth_failure)
    }

    /// The decoded JWT, when the credential is a well-formed JWS.
    pub fn jws(&self) -> Option<&jwt::Jwt> {
        match &self.jwt {
            Some(JwtAnalysis::Jws(j)) => Some(j),
            _ => None,
        }
    }

    /// Credential-bearing request headers other than Authorization (names).
    pub fn api_key_headers(&self) -> Vec<&str> {
        self.request
            .headers
            .iter()
            .filter(|h| API_KEY_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()))
            .map(|h| h.name.as_str())
            .collect()
    }

    /// Credential-bearing query parameters in the URL (names).
    pub fn query_credentials(&self) -> Vec<String> {
        {
            let u = &self.request.url;
            {
                u.query_pairs()
                    .filter(|(k, _)| {
                        let k = k.to_ascii_lowercase();
                        matches!(
                            k.as_str(),
                            "access_token"
                                | "api_key"
                                | "apikey"
                                | "key"
                                | "token"
                                | "x-amz-signature"
                                | "sig"
                        )
                    })
                    .map(|(k, _)| k.into_owned())
                    .collect()
            }
        }
    }

    /// Does the original request carry any credential at all? Headers (Authorization, API-key
    /// headers, cookies), token parameters in the URL, or credential fields of a form or JSON
    /// body (a token request's `client_secret`, `password`, `refresh_token`, `assertion`).
    pub fn has_any_credential(&self) -> bool {
        self.authorization.is_some()
            || self.request.headers.has("cookie")
            || !self.api_key_headers().is_empty()
            || !self.query_credentials().is_empty()
            || self.body_credential()
    }

    fn body_credential(&self) -> bool {
        const FIELDS: &[&str] = &[
            "client_secret",
            "password",
            "refresh_token",
            "client_assertion",
            "assertion",
            "code",
            "device_code",
            "subject_token",
        ];
        let Some(body) = &self.request.body else {
            return false;
        };
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(body) {
            return m.keys().any(|k| FIELDS.contains(&k.as_str()));
        }
        url::form_urlencoded::parse(body).any(|(k, _)| FIELDS.contains(&k.as_ref()))
    }

    /// The time to judge time-based claims by: the server's clock when we have it (that is
    /// the clock the server judges by), else the local one.
    pub fn judging_time(&self) -> (i64, &'static str) {
        match self.server_clock {
            Some(c) => (c.date, "the server's clock"),
            None if self.har.is_some() => (self.now, "the recording's time"),
            None => (self.now, "the local clock"),
        }
    }

    /// The human-readable error message of the final response body, if it has one: the JSON
    /// fields APIs use (`message`, `error_description`, `error.message`, `detail`, `title`,
    /// `errors[0].message`), else the start of a short plain-text body.
    pub fn error_message(&self) -> Option<String> {
        let x = self.last()?;
        if x.body.is_empty() {
            return None;
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&x.body) {
            let candidates = [
                v.pointer("/error_description"),
                v.pointer("/message"),
                v.pointer("/error/message"),
                v.pointer("/detail"),
                v.pointer("/title"),
                v.pointer("/errors/0/message"),
                v.pointer("/error"),
            ];
            return candidates
                .into_iter()
                .flatten()
                .find_map(|c| c.as_str().map(|s| s.chars().take(200).collect()));
        }
        let text = x.body_text();
        let t = text.trim();
        (!t.is_empty() && t.len() <= 200 && !t.starts_with('<')).then(|| t.to_string())
    }

    /// Challenges with this scheme.
    pub fn challenge(&self, scheme: &str) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.is_scheme(scheme))
    }

    /// Did the credential itself show a local defect (format, truncation, encoding, expiry)?
    /// Rules that blame the server ("it rejected valid-looking credentials") check this first.
    pub fn credential_has_local_defect(&self) -> bool {
        let header = self.authorization.as_ref().is_some_and(|a| {
            a.issues.iter().any(|i| {
                !matches!(
                    i,
                    authorization::HeaderIssue::SchemeCase { .. }
                        | authorization::HeaderIssue::ExtraSeparator
                )
            })
        });
        let jwt = match &self.jwt {
            Some(JwtAnalysis::Broken(_)) => true,
            Some(JwtAnalysis::Jws(j)) => {
                let (t, _) = self.judging_time();
                !j.defects.is_empty()
                    || j.time_claim("exp").is_some_and(|e| e <= t)
                    || j.time_claim("nbf").is_some_and(|n| n > t)
            }
            _ => false,
        };
        let basic = self.basic.as_ref().is_some_and(|b| !b.issues.is_empty());
        let api_keys = self.api_key_headers().iter().any(|name| {
            self.request
                .headers
                .all(name)
                .iter()
                .any(|v| !credential::format_issues(v).is_empty())
        });
        header || jwt || basic || api_keys || !self.format_issues.is_empty()
    }
}
