//! The last two stages of SigV4 — the signing key and the signature — and signing a request the
//! way curl's `--aws-sigv4` does.
//!
//! Signing is pure: the time is an argument, so the CLI signs with the current clock at the
//! edge while tests and the diagnosis re-sign with any time they need. The secret access key
//! enters only the HMAC chain; nothing returned here contains it or the session token, except
//! the `X-Amz-Security-Token` header value the request must carry.

use super::canonical::{self, CanonicalRequest, PathRules, WireRequest};
use super::{Provider, Scope, Sigv4Error};
use crate::model::Header;
use aws_lc_rs::hmac;

/// Who signs: the credentials, the scope and the moment.
#[derive(Clone)]
pub struct Signer {
    pub provider: Provider,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    pub service: String,
    /// Unix seconds; formatted as `X-Amz-Date`.
    pub time: i64,
}

impl std::fmt::Debug for Signer {
    // Never print the secret or the session token, even in a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("provider", &self.provider)
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("time", &self.time)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[set]"),
            )
            .finish_non_exhaustive()
    }
}

/// Every stage of one signature, for display and comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stages {
    pub canonical: CanonicalRequest,
    pub canonical_text: String,
    pub string_to_sign: String,
    pub signature: String,
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, provider: &Provider, scope: &Scope) -> hmac::Key {
    let mut k = format!("{}{secret}", provider.key_prefix()).into_bytes();
    for part in [
        scope.date.as_str(),
        scope.region.as_str(),
        scope.service.as_str(),
        scope.terminator.as_str(),
    ] {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &k), part.as_bytes());
        k = tag.as_ref().to_vec();
    }
    hmac::Key::new(hmac::HMAC_SHA256, &k)
}

/// The hex signature of a string to sign.
pub fn signature(secret: &str, provider: &Provider, scope: &Scope, string_to_sign: &str) -> String {
    let key = signing_key(secret, provider, scope);
    canonical::hex(hmac::sign(&key, string_to_sign.as_bytes()).as_ref())
}

/// Run stages one to four over a canonical request.
pub fn stages(
    canonical: CanonicalRequest,
    secret: &str,
    provider: &Provider,
    scope: &Scope,
    amz_date: &str,
) -> Stages {
    let canonical_text = canonical.text();
    let string_to_sign = canonical::string_to_sign(
        &provider.algorithm(),
        amz_date,
        &scope.to_string(),
        &canonical_text,
    );
    let signature = signature(secret, provider, scope, &string_to_sign);
    Stages {
        canonical,
        canonical_text,
        string_to_sign,
        signature,
    }
}

/// `20150830T123600Z` from unix seconds.
pub fn amz_date(time: i64) -> Result<String, Sigv4Error> {
    jiff::Timestamp::from_second(time)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .map_err(|_| Sigv4Error::TimeOutOfRange(time))
}

/// Unix seconds from `20150830T123600Z`.
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let date = jiff::civil::Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?
        .timestamp()
        .as_second();
    Some(days + h * 3600 + mi * 60 + se)
}

/// Headers that describe the connection or are rewritten on the way: signing them would make a
/// signature that breaks for reasons the user never chose.
const UNSIGNED: &[&str] = &[
    "authorization",
    "connection",
    "content-length",
    "expect",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

/// Choices a signer makes beyond the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignOptions {
    /// Add `x-amz-content-sha256` (S3 requires it).
    pub content_sha256: bool,
    pub rules: PathRules,
    /// Sign every header, connection-level ones included (the AWS test suites do).
    pub sign_all_headers: bool,
}

impl SignOptions {
    /// What curl and the SDKs do for a service.
    pub fn for_service(service: &str) -> SignOptions {
        SignOptions {
            content_sha256: canonical::is_s3(service),
            rules: PathRules::for_service(service),
            sign_all_headers: false,
        }
    }

    fn signs(&self, name: &str) -> bool {
        self.sign_all_headers || !UNSIGNED.contains(&name)
    }
}

/// What header signing adds to the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `X-Amz-Date`, optional `X-Amz-Security-Token` and `x-amz-content-sha256`, and
    /// `Authorization`, in that order.
    pub add: Vec<Header>,
    pub stages: Stages,
}

/// Sign a request in the `Authorization` header, as curl `--aws-sigv4` and the SDKs do: every
/// header the request carries except connection-level ones, plus `host`, the date header, the
/// session token and (when `content_sha256`) `x-amz-content-sha256`, which S3 requires. A date
/// header already in the request is used as the signing time instead of `signer.time`, as curl
/// does, so a request can be signed for a chosen moment.
pub fn sign_headers(
    req: &WireRequest,
    body: &[u8],
    signer: &Signer,
    opts: SignOptions,
) -> Result<SignedHeaders, Sigv4Error> {
    let date_header = signer.provider.date_header();
    let given = canonical::header_value(&req.headers, &date_header);
    let date = match &given {
        Some(d) => d.clone(),
        None => amz_date(signer.time)?,
    };
    let day = date.get(..8).unwrap_or(&date).to_string();
    let scope = Scope::new(&day, &signer.region, &signer.service, &signer.provider);
    let mut add = Vec::new();
    if given.is_none() {
        add.push(Header::new(date_header, date.clone()));
    }
    if let Some(t) = &signer.session_token {
        add.push(Header::new(signer.provider.token_header(), t.clone()));
    }
    let declared = canonical::header_value(&req.headers, "x-amz-content-sha256");
    let payload_hash = match declared {
        Some(v) => v,
        None => {
            let h = canonical::sha256_hex(body);
            if opts.content_sha256 {
                add.push(Header::new("x-amz-content-sha256", h.clone()));
            }
            h
        }
    };
    let mut all = req.headers.clone();
    all.extend(add.iter().cloned());
    let mut names: Vec<String> = all
        .iter()
        .map(|h| h.name.trim().to_ascii_lowercase())
        .filter(|n| opts.signs(n))
        .collect();
    names.sort();
    names.dedup();
    let full = WireRequest {
        headers: all,
        ..req.clone()
    };
    let canonical = CanonicalRequest::build(&full, &names, &payload_hash, opts.rules, &[]);
    let st = stages(
        canonical,
        &signer.secret_access_key,
        &signer.provider,
        &scope,
        &date,
    );
    add.push(Header::new(
        "Authorization",
        format!(
            "{} Credential={}/{}, SignedHeaders={}, Signature={}",
            signer.provider.algorithm(),
            signer.access_key_id,
            scope,
            st.canonical.signed_headers(),
            st.signature
        ),
    ));
    Ok(SignedHeaders { add, stages: st })
}

/// A presigned URL's query: the original query plus the `X-Amz-*` parameters and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub query: String,
    pub stages: Stages,
}

/// Sign in the query string (a presigned URL), valid for `expires` seconds. Only `host` and the
/// headers given are signed; the payload hash is `payload_hash` (S3 uses `UNSIGNED-PAYLOAD`).
pub fn presign(
    req: &WireRequest,
    payload_hash: &str,
    signer: &Signer,
    expires: u64,
    opts: SignOptions,
) -> Result<Presigned, Sigv4Error> {
    let date = amz_date(signer.time)?;
    let scope = Scope::new(
        &date[..8],
        &signer.region,
        &signer.service,
        &signer.provider,
    );
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|h| h.name.trim().to_ascii_lowercase())
        .filter(|n| opts.signs(n))
        .collect();
    names.sort();
    names.dedup();
    let p = signer.provider.query_prefix();
    let enc = |s: &str| canonical::uri_encode(s.as_bytes(), false);
    let mut params = vec![
        format!("{p}-Algorithm={}", enc(&signer.provider.algorithm())),
        format!(
            "{p}-Credential={}",
            enc(&format!("{}/{scope}", signer.access_key_id))
        ),
        format!("{p}-Date={date}"),
        format!("{p}-Expires={expires}"),
    ];
    if let Some(t) = &signer.session_token {
        params.push(format!("{p}-Security-Token={}", enc(t)));
    }
    params.push(format!("{p}-SignedHeaders={}", enc(&names.join(";"))));
    let mut query = req.query.clone();
    for q in params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&q);
    }
    let with = WireRequest {
        query: query.clone(),
        ..req.clone()
    };
    let canonical = CanonicalRequest::build(&with, &names, payload_hash, opts.rules, &[]);
    let st = stages(
        canonical,
        &signer.secret_access_key,
        &signer.provider,
        &scope,
        &date,
    );
    query.push_str(&format!("&{p}-Signature={}", st.signature));
    Ok(Presigned { query, stages: st })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip() {
        let t = 1_440_938_160; // 2015-08-30T12:36:00Z
        assert_eq!(amz_date(t).unwrap(), "20150830T123600Z");
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(t));
        for bad in [
            "",
            "20150830T1236Z",
            "2015083xT123600Z",
            "20151330T123600Z",
            "20150830T253600Z",
            "２0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = Signer {
            provider: Provider::aws(),
            access_key_id: "AKID".into(),
            secret_access_key: "very-secret-value".into(),
            session_token: Some("session-token-value".into()),
            region: "us-east-1".into(),
            service: "sts".into(),
            time: 0,
        };
        let d = format!("{s:?}");
        assert!(!d.contains("very-secret-value") && !d.contains("session-token-value"));
    }
}
