//! Why a SigV4 signature was refused: the stages rebuilt from the request as sent, compared with
//! what the request claims, with the user's secret, and with what AWS says it computed.
//!
//! Three sources of truth are compared, each when available:
//! 1. the request against itself — the scope's date against `X-Amz-Date`, the scope's region
//!    and service against the host, signed headers the request no longer carries, S3's
//!    `x-amz-content-sha256`;
//! 2. with the secret (`-u KEY:SECRET`): the signature recomputed over the request as sent. If
//!    it equals the one sent, the request is consistent and the server holds another secret for
//!    the key; if not, plausible changes after signing (a header rewritten by a proxy, a path
//!    encoded twice, another payload hash, another service's path rules) are tried one by one,
//!    and a change that reproduces the signature sent is named with certainty;
//! 3. AWS's own `<CanonicalRequest>`/`<StringToSign>` (S3 echoes them): diffed line by line with
//!    ours, which names the part that changed in transit.
//!
//! Nothing shown contains the secret or the session token: canonical requests are printed with
//! `x-amz-security-token` and `authorization` values redacted.

use super::canonical::{self, CanonicalRequest, PathRules, WireRequest};
use super::parse::{self, AwsError, ParseError, Placement, SignedRequest};
use super::sign;
use crate::evidence::Evidence;
use crate::model::{CredentialSource, Header, HeaderList};

/// AWS rejects a request whose time is more than this far from its clock.
pub const MAX_SKEW_SECS: i64 = 15 * 60;

/// One named reason the server's signature differs from the one sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The credential scope's date is not the date of `X-Amz-Date`.
    ScopeDateMismatch {
        scope_date: String,
        amz_date: String,
    },
    /// The host is an AWS endpoint of another region than the scope names.
    RegionMismatch { scope: String, host: String },
    /// The host is an endpoint of another service than the scope names.
    ServiceMismatch { scope: String, host: String },
    /// The request names no `X-Amz-Date` (nor a presigned `X-Amz-Date`).
    NoDate,
    /// A header listed in SignedHeaders is not in the request as sent.
    SignedHeaderNotSent { name: String },
    /// `host` is not among the signed headers (AWS requires it).
    HostNotSigned,
    /// S3 requires `x-amz-content-sha256` on header-signed requests.
    ContentSha256Missing,
    /// `x-amz-content-sha256` is not the hash of the body sent.
    ContentSha256Wrong { declared: String, actual: String },
    /// The key id in the signature is not the one given with `-u`.
    KeyIdNotUsers { signed_with: String, given: String },
    /// Recomputed with the user's secret: a header had another value when it was signed.
    HeaderAlteredAfterSigning {
        name: String,
        signed_value: String,
        sent_value: String,
    },
    /// Recomputed: the request was signed over the path decoded once; it was sent encoded twice.
    PathEncodedTwice { sent: String, signed: String },
    /// Recomputed: the signer used other path rules than the service applies.
    PathRules {
        signer: &'static str,
        service: &'static str,
    },
    /// Recomputed: the signer hashed another payload.
    PayloadDiffers { signed: String, sent: String },
    /// Recomputed: the signer read `+` in the query as a space.
    QueryPlusAsSpace,
    /// The signature sent is exactly what the user's secret gives for this request: AWS holds
    /// another secret for this key id (or does not know it).
    SecretRejected { key_id: String },
    /// The signature sent is not what the user's secret gives, and no single change explains it.
    SignatureNotFromSecret,
    /// AWS's echoed canonical request differs from ours in one part.
    ServerSawDifferent {
        part: String,
        ours: String,
        server: String,
        meaning: String,
    },
    /// AWS's echoed string to sign differs from ours in one line.
    StringToSignDiffers {
        line: &'static str,
        ours: String,
        server: String,
    },
    /// AWS computed the same canonical request and string to sign: only the key can differ.
    OnlyTheKeyDiffers,
}

impl Difference {
    /// The stage where the difference lives.
    pub fn stage(&self) -> &'static str {
        use Difference::*;
        match self {
            ScopeDateMismatch { .. } | RegionMismatch { .. } | ServiceMismatch { .. } | NoDate => {
                "string to sign (credential scope / date)"
            }
            StringToSignDiffers { .. } => "string to sign",
            KeyIdNotUsers { .. } | SecretRejected { .. } | OnlyTheKeyDiffers => "signing key",
            SignatureNotFromSecret => "signature",
            _ => "canonical request",
        }
    }

    /// Proven (reproduced, or seen in AWS's own output), rather than merely suspicious.
    pub fn is_certain(&self) -> bool {
        !matches!(
            self,
            Difference::HostNotSigned | Difference::SignatureNotFromSecret
        )
    }

    /// One sentence naming the difference; never contains a secret.
    pub fn describe(&self) -> String {
        use Difference::*;
        match self {
            ScopeDateMismatch { scope_date, amz_date } => format!(
                "the credential scope's date {scope_date} is not the date of X-Amz-Date {amz_date}: the scope must be signed for the same UTC day"
            ),
            RegionMismatch { scope, host } => format!(
                "the credential scope names region {scope} but the host is a {host} endpoint: sign for {host}"
            ),
            ServiceMismatch { scope, host } => format!(
                "the credential scope names service {scope:?} but the host is the {host:?} endpoint: sign for {host:?}"
            ),
            NoDate => "the request carries no X-Amz-Date: the server cannot rebuild the string to sign".into(),
            SignedHeaderNotSent { name } => format!(
                "signed header {name:?} is not in the request as sent: it was removed after signing (a proxy or the HTTP client dropped it)"
            ),
            HostNotSigned => "SignedHeaders does not include host, which AWS requires".into(),
            ContentSha256Missing => "S3 requires an x-amz-content-sha256 header (the body's SHA-256, or UNSIGNED-PAYLOAD) and the request has none".into(),
            ContentSha256Wrong { declared, actual } => format!(
                "x-amz-content-sha256 says {declared} but the body sent hashes to {actual}: the body changed after signing"
            ),
            KeyIdNotUsers { signed_with, given } => format!(
                "the request is signed with access key {signed_with} but -u gives {given}"
            ),
            HeaderAlteredAfterSigning { name, signed_value, sent_value } => format!(
                "signed header {name:?} was altered after signing: it was signed as {signed_value:?} and sent as {sent_value:?} (a proxy or the HTTP client rewrote it)"
            ),
            PathEncodedTwice { sent, signed } => format!(
                "the path was encoded twice: it was signed as {signed:?} and sent as {sent:?}"
            ),
            PathRules { signer, service } => format!(
                "the signer canonicalised the path with {signer} rules but the service uses {service} rules"
            ),
            PayloadDiffers { signed, sent } => format!(
                "the signer hashed the payload as {signed}, the body sent hashes to {sent}: the body changed after signing"
            ),
            QueryPlusAsSpace => "the signer read '+' in the query as a space; AWS reads it as a literal '+': encode spaces as %20".into(),
            SecretRejected { key_id } => format!(
                "the signature sent is exactly what your secret gives for this request, so AWS holds a different secret for access key {key_id} (wrong or rotated secret), or does not know the key"
            ),
            SignatureNotFromSecret => "the signature sent is not what your secret gives for this request: it was signed with another secret, or the request changed after signing".into(),
            ServerSawDifferent { part, ours, server, meaning } => format!(
                "AWS's canonical request differs in {part}: we sent {ours:?}, AWS computed {server:?} — {meaning}"
            ),
            StringToSignDiffers { line, ours, server } => format!(
                "AWS's string to sign differs in the {line}: ours {ours:?}, AWS's {server:?}"
            ),
            OnlyTheKeyDiffers => "AWS computed the same canonical request and string to sign as the request: only the signing key differs, so the secret access key is wrong for this key id".into(),
        }
    }
}

/// X-Amz-Date against the server's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCheck {
    /// The request's X-Amz-Date, unix seconds.
    pub request_time: i64,
    /// The server's time, unix seconds.
    pub server_time: i64,
    /// `Date` header or the `<ServerTime>` of an AWS error.
    pub from_error_body: bool,
}

impl TimeCheck {
    /// Request minus server, seconds.
    pub fn skew(&self) -> i64 {
        self.request_time - self.server_time
    }
    pub fn is_skewed(&self) -> bool {
        self.skew().abs() > MAX_SKEW_SECS
    }
}

/// Everything learned about one SigV4-signed request.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub claimed: SignedRequest,
    pub rules: PathRules,
    /// Our canonical request over the request as sent, with the claimed signed headers.
    pub canonical: CanonicalRequest,
    /// Our string to sign (with the claimed date and scope).
    pub string_to_sign: String,
    /// The secret was known and the recomputed signature equals the one sent.
    pub recomputed_matches: Option<bool>,
    pub differences: Vec<Difference>,
    pub server: Option<AwsError>,
    pub time: Option<TimeCheck>,
}

impl Analysis {
    /// The canonical request as it may be shown.
    pub fn canonical_shown(&self) -> String {
        redact_canonical(&self.canonical.text())
    }
}

/// A canonical request with `x-amz-security-token` and `authorization` values hidden.
pub fn redact_canonical(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once(':') {
            Some((n, v))
                if matches!(
                    n.to_ascii_lowercase().as_str(),
                    "x-amz-security-token" | "authorization"
                ) =>
            {
                format!("{n}:{}", crate::secret::redact_header_value(n, v))
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the analysis reads, detached from [`Evidence`] so it can run on any request.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// Headers as sent (a `Host` is derived from the URL when absent).
    pub headers: &'a [Header],
    pub body: &'a [u8],
    /// `(access key id, secret access key)` when the user gave them.
    pub secret: Option<(&'a str, &'a str)>,
    /// The final response's headers and body.
    pub response: Option<(&'a [Header], &'a [u8])>,
    /// The server's `Date`, unix seconds.
    pub server_date: Option<i64>,
}

/// Analyse the request of a piece of evidence (the last hop as actually sent), or `None` when
/// it is not SigV4-signed.
pub fn from_evidence(ev: &Evidence) -> Option<Result<Analysis, ParseError>> {
    let last = ev.last();
    let (url, headers) = match last {
        Some(x)
            if x.request_headers
                .all("authorization")
                .iter()
                .any(|a| parse::is_sigv4_authorization(a))
                || x.url.contains("Algorithm=") =>
        {
            (x.url.as_str(), x.request_headers.as_slice())
        }
        _ => (ev.request.url.as_str(), ev.request.headers.as_slice()),
    };
    let secret = match &ev.request.credential_source {
        Some(CredentialSource::UserFlag {
            user,
            password: Some(p),
        }) if !p.is_empty() => Some((user.as_str(), p.as_str())),
        _ => None,
    };
    analyse(&Input {
        method: &ev.request.method,
        url,
        headers,
        body: ev.request.body.as_deref().unwrap_or_default(),
        secret,
        response: last.map(|x| (x.headers.as_slice(), x.body.as_slice())),
        server_date: ev.server_clock.map(|c| c.date),
    })
}

/// The host (with a non-default port) a client sends for this URL.
pub fn host_header(url: &url::Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    })
}

/// Split a URL into the SigV4 wire request.
pub fn wire_request(method: &str, url: &str, headers: &[Header]) -> Option<WireRequest> {
    let u = url::Url::parse(url).ok()?;
    let mut headers = headers.to_vec();
    if !headers.has("host") {
        headers.push(Header::new("Host", host_header(&u)?));
    }
    Some(WireRequest {
        method: method.to_string(),
        path: u.path().to_string(),
        query: u.query().unwrap_or_default().to_string(),
        headers,
    })
}

/// Analyse one request: `None` when it is not SigV4-signed (or the URL is unusable).
pub fn analyse(input: &Input<'_>) -> Option<Result<Analysis, ParseError>> {
    let wire = wire_request(input.method, input.url, input.headers)?;
    let claimed = match parse::signed_request(&wire.headers, &wire.query)? {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let scope = &claimed.credential.scope;
    let rules = PathRules::for_service(&scope.service);
    let server = input.response.and_then(|(h, b)| parse::aws_error(h, b));
    let mut diffs = Vec::new();

    // 1. The request against itself.
    match &claimed.amz_date {
        Some(d) if d.len() >= 8 && d.get(..8) != Some(scope.date.as_str()) => {
            diffs.push(Difference::ScopeDateMismatch {
                scope_date: scope.date.clone(),
                amz_date: d.clone(),
            })
        }
        None => diffs.push(Difference::NoDate),
        _ => {}
    }
    if let Some(host) = wire.headers.first("host")
        && let Some((region, service)) = super::infer_scope(host)
    {
        if service != scope.service
            && !(canonical::is_s3(&service) && canonical::is_s3(&scope.service))
        {
            diffs.push(Difference::ServiceMismatch {
                scope: scope.service.clone(),
                host: service,
            });
        } else if region != scope.region && scope.region != "aws-global" {
            diffs.push(Difference::RegionMismatch {
                scope: scope.region.clone(),
                host: region,
            });
        }
    }
    let signed: Vec<String> = claimed
        .signed_headers
        .iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    if !signed.iter().any(|s| s == "host") {
        diffs.push(Difference::HostNotSigned);
    }
    let declared_sha = canonical::header_value(&wire.headers, "x-amz-content-sha256");
    let body_sha = canonical::sha256_hex(input.body);
    if canonical::is_s3(&scope.service) && claimed.placement == Placement::Header {
        match &declared_sha {
            None => diffs.push(Difference::ContentSha256Missing),
            Some(d)
                if d.len() == 64
                    && d.bytes().all(|c| c.is_ascii_hexdigit())
                    && !d.eq_ignore_ascii_case(&body_sha) =>
            {
                diffs.push(Difference::ContentSha256Wrong {
                    declared: d.clone(),
                    actual: body_sha.clone(),
                })
            }
            _ => {}
        }
    }

    let payload_hash = declared_sha.clone().unwrap_or_else(|| {
        if claimed.placement == Placement::Query && canonical::is_s3(&scope.service) {
            "UNSIGNED-PAYLOAD".into()
        } else {
            body_sha.clone()
        }
    });
    let skip: Vec<String> = vec![format!("{}-Signature", claimed.provider.query_prefix())];
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let build = |w: &WireRequest, payload: &str, r: PathRules| {
        CanonicalRequest::build(w, &signed, payload, r, &skip)
    };
    let canonical = build(&wire, &payload_hash, rules);
    for name in canonical.missing_headers() {
        diffs.push(Difference::SignedHeaderNotSent { name: name.into() });
    }
    let amz_date = claimed.amz_date.clone().unwrap_or_default();
    let sts = |c: &CanonicalRequest| {
        canonical::string_to_sign(&claimed.algorithm, &amz_date, &scope.to_string(), &c.text())
    };
    let string_to_sign = sts(&canonical);

    // 2. With the secret.
    let mut recomputed_matches = None;
    if let Some((key_id, secret)) = input.secret {
        if key_id != claimed.credential.key_id {
            diffs.push(Difference::KeyIdNotUsers {
                signed_with: claimed.credential.key_id.clone(),
                given: key_id.to_string(),
            });
        }
        let sig_of =
            |c: &CanonicalRequest| sign::signature(secret, &claimed.provider, scope, &sts(c));
        let provided = claimed.signature.trim().to_ascii_lowercase();
        let ok = sig_of(&canonical) == provided;
        recomputed_matches = Some(ok);
        if ok {
            if server
                .as_ref()
                .is_some_and(|e| e.is_authentication_failure())
                && !diffs.iter().any(Difference::is_certain)
            {
                diffs.push(Difference::SecretRejected {
                    key_id: claimed.credential.key_id.clone(),
                });
            }
        } else {
            let found = hypotheses(&wire, &signed, &payload_hash, input.body, rules)
                .into_iter()
                .find(|(w, p, r, _)| sig_of(&build(w, p, *r)) == provided);
            match found {
                Some((_, _, _, d)) => diffs.push(d),
                None => diffs.push(Difference::SignatureNotFromSecret),
            }
        }
    }

    // 3. Against AWS's own stages.
    if let Some(e) = &server
        && let Some(theirs) = &e.canonical_request
    {
        diffs.extend(diff_canonical(&canonical, theirs));
        if let Some(theirs_sts) = &e.string_to_sign {
            let d = diff_sts(&string_to_sign, theirs_sts);
            let none_before = !diffs
                .iter()
                .any(|d| matches!(d, Difference::ServerSawDifferent { .. }));
            if d.is_empty() && none_before {
                diffs.push(Difference::OnlyTheKeyDiffers);
            }
            diffs.extend(d);
        }
    }

    let request_time = claimed
        .amz_date
        .as_deref()
        .and_then(sign::parse_amz_date)
        .or_else(|| {
            server
                .as_ref()
                .and_then(|e| e.request_time.as_deref())
                .and_then(sign::parse_amz_date)
        });
    let body_server_time = server
        .as_ref()
        .and_then(|e| e.server_time.as_deref())
        .and_then(|t| t.trim().parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second());
    let time = match (request_time, input.server_date, body_server_time) {
        (Some(r), _, Some(s)) => Some(TimeCheck {
            request_time: r,
            server_time: s,
            from_error_body: true,
        }),
        (Some(r), Some(s), None) => Some(TimeCheck {
            request_time: r,
            server_time: s,
            from_error_body: false,
        }),
        _ => None,
    };

    Some(Ok(Analysis {
        claimed,
        rules,
        canonical,
        string_to_sign,
        recomputed_matches,
        differences: diffs,
        server,
        time,
    }))
}

type Hypothesis = (WireRequest, String, PathRules, Difference);

/// Plausible single changes between signing and sending, each as the request the signer would
/// have seen. Secret headers are never varied.
fn hypotheses(
    wire: &WireRequest,
    signed: &[String],
    payload: &str,
    body: &[u8],
    rules: PathRules,
) -> Vec<Hypothesis> {
    let mut out: Vec<Hypothesis> = Vec::new();
    if wire.path.contains('%') {
        let decoded = String::from_utf8_lossy(&canonical::percent_decode(&wire.path)).into_owned();
        out.push((
            WireRequest {
                path: decoded.clone(),
                ..wire.clone()
            },
            payload.into(),
            rules,
            Difference::PathEncodedTwice {
                sent: wire.path.clone(),
                signed: decoded,
            },
        ));
    }
    let name = |r: PathRules| {
        if r == PathRules::S3 {
            "S3"
        } else {
            "standard (normalised, double-encoded)"
        }
    };
    for other in [PathRules::S3, PathRules::STANDARD] {
        if other != rules {
            out.push((
                wire.clone(),
                payload.into(),
                other,
                Difference::PathRules {
                    signer: name(other),
                    service: name(rules),
                },
            ));
        }
    }
    if wire.query.contains('+') {
        out.push((
            WireRequest {
                query: wire.query.replace('+', "%20"),
                ..wire.clone()
            },
            payload.into(),
            rules,
            Difference::QueryPlusAsSpace,
        ));
    }
    for p in [
        canonical::EMPTY_SHA256.to_string(),
        "UNSIGNED-PAYLOAD".into(),
        canonical::sha256_hex(body.strip_suffix(b"\n").unwrap_or(body)),
        canonical::sha256_hex(&[body, b"\n"].concat()),
    ] {
        if p != payload {
            out.push((
                wire.clone(),
                p.clone(),
                rules,
                Difference::PayloadDiffers {
                    signed: p,
                    sent: payload.into(),
                },
            ));
        }
    }
    for n in signed {
        if crate::secret::is_sensitive_header(n) {
            continue;
        }
        let Some(sent) = canonical::header_value(&wire.headers, n) else {
            continue;
        };
        for v in value_variants(n, &sent) {
            let mut headers: Vec<Header> = wire
                .headers
                .iter()
                .filter(|h| !h.name.trim().eq_ignore_ascii_case(n))
                .cloned()
                .collect();
            headers.push(Header::new(n.clone(), v.clone()));
            out.push((
                WireRequest {
                    headers,
                    ..wire.clone()
                },
                payload.into(),
                rules,
                Difference::HeaderAlteredAfterSigning {
                    name: n.clone(),
                    signed_value: v,
                    sent_value: sent.clone(),
                },
            ));
        }
    }
    out
}

/// Values a header commonly had before a proxy or client rewrote it.
fn value_variants(name: &str, sent: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    // `; charset=…` and other parameters added or removed (content-type).
    if let Some((base, _)) = sent.split_once(';') {
        v.push(base.trim().to_string());
    } else if name == "content-type" {
        v.push(format!("{sent}; charset=utf-8"));
        v.push(format!("{sent}; charset=UTF-8"));
    }
    // A value appended to a list (`X-Forwarded-For`, `Via`).
    if let Some((head, _)) = sent.rsplit_once(',') {
        v.push(head.trim().to_string());
    }
    if name == "host" {
        // A port added or removed on the way (`host:443` vs `host`); IPv6 keeps its brackets.
        let port_at = sent.rfind(':').filter(|i| !sent[*i..].contains(']'));
        match port_at {
            Some(i) if sent[i + 1..].bytes().all(|c| c.is_ascii_digit()) => {
                v.push(sent[..i].to_string())
            }
            _ => {
                v.push(format!("{sent}:443"));
                v.push(format!("{sent}:80"));
            }
        }
    }
    v.push(sent.to_ascii_lowercase());
    v.retain(|x| x != sent);
    v.dedup();
    v
}

/// Line-by-line comparison of our canonical request with AWS's echo, by part.
fn diff_canonical(ours: &CanonicalRequest, theirs: &str) -> Vec<Difference> {
    let t: Vec<&str> = theirs.lines().collect();
    let mut out = Vec::new();
    let mut push = |part: String, o: &str, s: &str, meaning: String| {
        if o != s {
            out.push(Difference::ServerSawDifferent {
                part,
                ours: redact_line(o),
                server: redact_line(s),
                meaning,
            });
        }
    };
    let get = |i: usize| t.get(i).copied().unwrap_or("");
    push(
        "the method".into(),
        &ours.method,
        get(0),
        "the method changed on the way".into(),
    );
    let path_meaning = if get(1).contains("%25") && !ours.path.contains("%25") {
        "the path reached AWS encoded twice".to_string()
    } else if ours.path.contains("%25") && !get(1).contains("%25") {
        "the path was encoded twice before signing".to_string()
    } else {
        "the path was rewritten on the way, or canonicalised with other rules".to_string()
    };
    push("the path".into(), &ours.path, get(1), path_meaning);
    push(
        "the query".into(),
        &ours.query,
        get(2),
        "the query was encoded differently ('+' vs %20, reserved characters)".into(),
    );
    // Headers run from line 3 to the first empty line.
    let end = t
        .iter()
        .skip(3)
        .position(|l| l.is_empty())
        .map(|p| p + 3)
        .unwrap_or(t.len());
    let theirs_headers: Vec<(&str, &str)> = t
        .get(3..end)
        .unwrap_or_default()
        .iter()
        .map(|l| l.split_once(':').unwrap_or((l, "")))
        .collect();
    for (n, v) in &ours.headers {
        let ours_v = v.as_deref().unwrap_or("");
        match theirs_headers.iter().find(|(tn, _)| tn == n) {
            Some((_, tv)) => push(
                format!("header {n}"),
                ours_v,
                tv,
                format!(
                    "{n} was altered between the client and AWS (a proxy or the HTTP library rewrote it)"
                ),
            ),
            None => push(
                format!("header {n}"),
                ours_v,
                "",
                format!("AWS did not receive {n}"),
            ),
        }
    }
    for (tn, tv) in &theirs_headers {
        if !ours.headers.iter().any(|(n, _)| n == tn) {
            push(
                format!("header {tn}"),
                "",
                tv,
                format!("{tn} is signed on AWS's side only"),
            );
        }
    }
    push(
        "the payload hash".into(),
        &ours.payload_hash,
        t.get(end + 2).copied().unwrap_or(""),
        "the body AWS received hashes differently, or x-amz-content-sha256 differs".into(),
    );
    out
}

fn redact_line(l: &str) -> String {
    redact_canonical(l)
}

fn diff_sts(ours: &str, theirs: &str) -> Vec<Difference> {
    const LINES: [&str; 4] = [
        "algorithm",
        "request date",
        "credential scope",
        "canonical request hash",
    ];
    let o: Vec<&str> = ours.lines().collect();
    let t: Vec<&str> = theirs.lines().collect();
    LINES
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let (a, b) = (
                o.get(i).copied().unwrap_or(""),
                t.get(i).copied().unwrap_or(""),
            );
            (a != b).then(|| Difference::StringToSignDiffers {
                line: name,
                ours: a.into(),
                server: b.into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::Provider;
    use crate::sigv4::sign::{SignOptions, Signer, sign_headers};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn signer(service: &str) -> Signer {
        Signer {
            provider: Provider::aws(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: None,
            region: "us-east-1".into(),
            service: service.into(),
            time: 1_790_000_000,
        }
    }

    /// Sign `headers` for `url`, then let `alter` change the request before it is analysed.
    fn signed(url: &str, headers: &[(&str, &str)], body: &[u8], service: &str) -> Vec<Header> {
        let hs: Vec<Header> = headers.iter().map(|(n, v)| Header::new(*n, *v)).collect();
        let w = wire_request("POST", url, &hs).unwrap();
        let s = sign_headers(
            &w,
            body,
            &signer(service),
            SignOptions::for_service(service),
        )
        .unwrap();
        let mut out = hs;
        out.extend(s.add);
        out
    }

    fn run(
        url: &str,
        headers: &[Header],
        body: &[u8],
        secret: Option<&str>,
        resp: Option<&[u8]>,
    ) -> Analysis {
        analyse(&Input {
            method: "POST",
            url,
            headers,
            body,
            secret: secret.map(|s| ("AKIDEXAMPLE", s)),
            response: resp.map(|b| (&[][..], b)),
            server_date: None,
        })
        .unwrap()
        .unwrap()
    }

    const URL: &str = "http://127.0.0.1:14300/";
    const FORM: &str = "application/x-www-form-urlencoded";
    const MISMATCH: &[u8] =
        b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>";

    #[test]
    fn consistent_request_with_refused_secret() {
        let h = signed(
            URL,
            &[("Content-Type", FORM)],
            b"Action=GetCallerIdentity",
            "sts",
        );
        let a = run(
            URL,
            &h,
            b"Action=GetCallerIdentity",
            Some(SECRET),
            Some(MISMATCH),
        );
        assert_eq!(a.recomputed_matches, Some(true));
        assert!(
            matches!(a.differences[..], [Difference::SecretRejected { .. }]),
            "{:?}",
            a.differences
        );
    }

    #[test]
    fn header_altered_after_signing_is_named() {
        let mut h = signed(URL, &[("Content-Type", FORM)], b"a=1", "sts");
        h[0].value = format!("{FORM}; charset=utf-8");
        let a = run(URL, &h, b"a=1", Some(SECRET), Some(MISMATCH));
        assert_eq!(a.recomputed_matches, Some(false));
        assert!(
            a.differences.iter().any(|d| matches!(d, Difference::HeaderAlteredAfterSigning { name, signed_value, .. } if name == "content-type" && signed_value == FORM)),
            "{:?}",
            a.differences
        );
    }

    #[test]
    fn wrong_secret_on_the_client_side() {
        let h = signed(URL, &[], b"", "sts");
        let a = run(
            URL,
            &h,
            b"",
            Some("another-secret-entirely"),
            Some(MISMATCH),
        );
        assert!(a.differences.contains(&Difference::SignatureNotFromSecret));
    }

    #[test]
    fn path_encoded_twice() {
        let url = "https://iam.amazonaws.com/a%20b";
        let mut h = signed(url, &[], b"", "iam");
        let a = run(
            "https://iam.amazonaws.com/a%2520b",
            &h,
            b"",
            Some(SECRET),
            None,
        );
        assert!(
            a.differences
                .iter()
                .any(|d| matches!(d, Difference::PathEncodedTwice { .. })),
            "{:?}",
            a.differences
        );
        // And a signed header dropped on the way is named without any secret.
        h.retain(|x| !x.name.eq_ignore_ascii_case("x-amz-date"));
        let a = run(url, &h, b"", None, None);
        assert!(a.differences.contains(&Difference::NoDate));
        assert!(a.differences.contains(&Difference::SignedHeaderNotSent {
            name: "x-amz-date".into()
        }));
    }

    #[test]
    fn scope_problems_without_the_secret() {
        let h = signed("https://ec2.eu-west-1.amazonaws.com/", &[], b"", "ec2");
        let a = run("https://ec2.eu-west-1.amazonaws.com/", &h, b"", None, None);
        assert_eq!(
            a.differences,
            [Difference::RegionMismatch {
                scope: "us-east-1".into(),
                host: "eu-west-1".into()
            }]
        );
        let mut h = signed("https://bucket.s3.amazonaws.com/k", &[], b"", "s3");
        h.retain(|x| !x.name.eq_ignore_ascii_case("x-amz-content-sha256"));
        let a = run("https://bucket.s3.amazonaws.com/k", &h, b"", None, None);
        assert!(a.differences.contains(&Difference::ContentSha256Missing));
    }

    #[test]
    fn server_echo_is_diffed() {
        let h = signed(URL, &[("Content-Type", FORM)], b"", "sts");
        let mine = run(URL, &h, b"", None, None);
        let theirs = mine.canonical.text().replace(FORM, "text/plain");
        let body = format!(
            "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>{theirs}</CanonicalRequest><StringToSign>{}</StringToSign></Error>",
            mine.string_to_sign
        );
        let a = run(URL, &h, b"", None, Some(body.as_bytes()));
        assert!(a.differences.iter().any(|d| matches!(d, Difference::ServerSawDifferent { part, .. } if part == "header content-type")), "{:?}", a.differences);
        let body = format!(
            "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>{}</CanonicalRequest><StringToSign>{}</StringToSign></Error>",
            mine.canonical.text(),
            mine.string_to_sign
        );
        let a = run(URL, &h, b"", None, Some(body.as_bytes()));
        assert_eq!(a.differences, [Difference::OnlyTheKeyDiffers]);
    }

    #[test]
    fn tokens_are_redacted_in_canonical_requests() {
        let t = "GET\n/\n\nhost:h\nx-amz-security-token:FQoGZXIvYXdzEJr-very-secret-session\n\nhost;x-amz-security-token\nabc";
        let r = redact_canonical(t);
        assert!(!r.contains("FQoGZXIvYXdzEJr-very-secret-session"));
        assert!(r.contains("host:h"));
    }
}
