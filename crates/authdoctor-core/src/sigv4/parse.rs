//! Reading what a SigV4 request claims and what AWS answered.
//!
//! A signed request carries its claims either in the `Authorization` header
//! (`AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host;
//! x-amz-date, Signature=…` plus `X-Amz-Date`) or, presigned, in the query (`X-Amz-Algorithm`,
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//! `X-Amz-Signature`). AWS answers a refusal with an XML `<Error>` (query and REST protocols) or a
//! JSON `__type` (JSON protocols); a `SignatureDoesNotMatch` from S3 also echoes the server's
//! `<CanonicalRequest>` and `<StringToSign>`, the best evidence there is. Parsing is lenient
//! (the request may be malformed — that is what is being diagnosed) and never panics.

use super::{Provider, Scope};
use crate::model::{Header, HeaderList};
use thiserror::Error;

/// Why a SigV4 `Authorization` value or presigned query could not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    #[error("the {0} parameter is missing")]
    Missing(&'static str),
    #[error("Credential {0:?} is not KEY/DATE/REGION/SERVICE/aws4_request")]
    BadCredential(String),
}

/// Where the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Header,
    Query,
}

/// `AKID/20150830/us-east-1/iam/aws4_request`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub key_id: String,
    pub scope: Scope,
}

impl Credential {
    pub fn parse(s: &str) -> Result<Credential, ParseError> {
        let parts: Vec<&str> = s.trim().split('/').collect();
        if parts.len() != 5 || parts.iter().any(|p| p.is_empty()) {
            return Err(ParseError::BadCredential(s.chars().take(120).collect()));
        }
        Ok(Credential {
            key_id: parts[0].into(),
            scope: Scope {
                date: parts[1].into(),
                region: parts[2].into(),
                service: parts[3].into(),
                terminator: parts[4].into(),
            },
        })
    }

    /// `ASIA…` keys are temporary (STS) keys: they only work with their session token.
    pub fn is_temporary(&self) -> bool {
        self.key_id.starts_with("ASIA")
    }
}

/// What a signed request claims about its own signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub placement: Placement,
    pub provider: Provider,
    pub algorithm: String,
    pub credential: Credential,
    /// As listed, in the signer's order and case.
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// `X-Amz-Date` (header or query), `20150830T123600Z`.
    pub amz_date: Option<String>,
    /// Presigned validity, seconds.
    pub expires: Option<u64>,
    /// An `X-Amz-Security-Token` header or parameter is present (its value is a secret).
    pub has_security_token: bool,
}

/// Is this `Authorization` value a SigV4 one (`AWS4-HMAC-SHA256 …`, or another provider's)?
pub fn is_sigv4_authorization(value: &str) -> bool {
    let alg = value.trim_start().split([' ', '\t']).next().unwrap_or("");
    alg.len() > "4-HMAC-SHA256".len() && alg.to_ascii_uppercase().ends_with("4-HMAC-SHA256")
}

/// Parse `ALG Credential=…, SignedHeaders=…, Signature=…` (commas with or without spaces).
pub fn parse_authorization(
    value: &str,
) -> Result<(String, Credential, Vec<String>, String), ParseError> {
    let v = value.trim();
    let (alg, rest) = v.split_once([' ', '\t']).unwrap_or((v, ""));
    let mut cred = None;
    let mut signed = None;
    let mut sig = None;
    for p in rest.split(',') {
        if let Some((k, val)) = p.trim().split_once('=') {
            let val = val.trim().to_string();
            match k.trim() {
                "Credential" => cred = Some(val),
                "SignedHeaders" => signed = Some(val),
                "Signature" => sig = Some(val),
                _ => {}
            }
        }
    }
    let cred = Credential::parse(&cred.ok_or(ParseError::Missing("Credential"))?)?;
    let signed = signed.ok_or(ParseError::Missing("SignedHeaders"))?;
    let sig = sig.ok_or(ParseError::Missing("Signature"))?;
    Ok((
        alg.to_string(),
        cred,
        signed.split(';').map(|s| s.to_string()).collect(),
        sig,
    ))
}

/// The query's parameters, decoded.
fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |s: &str| {
                String::from_utf8_lossy(&super::canonical::percent_decode(s)).into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

/// Read the SigV4 claims of a request: `None` when it is not SigV4-signed at all.
pub fn signed_request(
    headers: &[Header],
    query: &str,
) -> Option<Result<SignedRequest, ParseError>> {
    if let Some(auth) = headers
        .all("authorization")
        .into_iter()
        .find(|a| is_sigv4_authorization(a))
    {
        return Some(parse_authorization(auth).map(
            |(algorithm, credential, signed, signature)| {
                let provider = Provider::from_algorithm(&algorithm);
                let amz_date = HeaderList::first(headers, &provider.date_header())
                    .map(|d| d.trim().to_string());
                SignedRequest {
                    placement: Placement::Header,
                    has_security_token: HeaderList::has(headers, &provider.token_header()),
                    provider,
                    algorithm,
                    credential,
                    signed_headers: signed,
                    signature,
                    amz_date,
                    expires: None,
                }
            },
        ));
    }
    let params = query_params(query);
    let get = |suffix: &str| {
        params
            .iter()
            .find(|(k, _)| {
                k.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-"))
                    && k.split_once('-')
                        .and_then(|(_, r)| r.split_once('-'))
                        .is_some_and(|(_, s)| s == suffix)
            })
            .map(|(_, v)| v.clone())
    };
    let algorithm = get("Algorithm")?;
    Some((|| {
        let provider = Provider::from_algorithm(&algorithm);
        let credential =
            Credential::parse(&get("Credential").ok_or(ParseError::Missing("X-Amz-Credential"))?)?;
        let signed = get("SignedHeaders").ok_or(ParseError::Missing("X-Amz-SignedHeaders"))?;
        let signature = get("Signature").ok_or(ParseError::Missing("X-Amz-Signature"))?;
        Ok(SignedRequest {
            placement: Placement::Query,
            has_security_token: get("Security-Token").is_some(),
            provider,
            algorithm,
            credential,
            signed_headers: signed.split(';').map(|s| s.to_string()).collect(),
            signature,
            amz_date: get("Date"),
            expires: get("Expires").and_then(|e| e.trim().parse().ok()),
        })
    })())
}

/// An AWS error response, as much of it as authdoctor reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwsError {
    /// `SignatureDoesNotMatch`, `InvalidClientTokenId`, `ExpiredToken`, …
    pub code: String,
    pub message: Option<String>,
    /// S3 echoes these on `SignatureDoesNotMatch`.
    pub canonical_request: Option<String>,
    pub string_to_sign: Option<String>,
    /// `RequestTimeTooSkewed` carries both times.
    pub request_time: Option<String>,
    pub server_time: Option<String>,
}

impl AwsError {
    /// Codes AWS uses when it could not authenticate the caller (as opposed to authorise it).
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self.code.as_str(),
            "SignatureDoesNotMatch"
                | "InvalidClientTokenId"
                | "InvalidAccessKeyId"
                | "AuthFailure"
                | "UnrecognizedClientException"
                | "ExpiredToken"
                | "ExpiredTokenException"
                | "RequestExpired"
                | "RequestTimeTooSkewed"
                | "InvalidSignatureException"
                | "IncompleteSignature"
                | "MissingAuthenticationToken"
                | "InvalidToken"
                | "TokenRefreshRequired"
        )
    }

    /// The access key itself is unknown to the server.
    pub fn is_unknown_key(&self) -> bool {
        matches!(
            self.code.as_str(),
            "InvalidClientTokenId" | "InvalidAccessKeyId" | "UnrecognizedClientException"
        )
    }
}

/// The text of the first `<tag>…</tag>`, XML entities decoded.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = body.find(&open)? + open.len();
    let len = body.get(start..)?.find(&close)?;
    Some(xml_unescape(body.get(start..start + len)?))
}

fn xml_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(end) = after.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let ent = &after[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Read an AWS error from a response: XML `<Code>`, JSON `__type`/`code`, or the
/// `x-amzn-ErrorType` header. `None` when the response is not an AWS error.
pub fn aws_error(headers: &[Header], body: &[u8]) -> Option<AwsError> {
    let text = String::from_utf8_lossy(body);
    let t = text.trim_start();
    if t.starts_with('<') {
        let code = xml_text(t, "Code")?;
        return Some(AwsError {
            code: code.trim().to_string(),
            message: xml_text(t, "Message"),
            canonical_request: xml_text(t, "CanonicalRequest"),
            string_to_sign: xml_text(t, "StringToSign"),
            request_time: xml_text(t, "RequestTime"),
            server_time: xml_text(t, "ServerTime"),
        });
    }
    let json: Option<serde_json::Value> = serde_json::from_str(t).ok();
    let from_json = json.as_ref().and_then(|v| {
        ["__type", "code", "Code"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|c| c.as_str()))
            .map(str::to_string)
    });
    let code = from_json.or_else(|| {
        HeaderList::first(headers, "x-amzn-errortype")
            .map(|h| h.split(':').next().unwrap_or(h).to_string())
    })?;
    // JSON protocols prefix the shape's namespace: `com.amazon.coral.service#ExpiredTokenException`.
    let code = code.rsplit('#').next().unwrap_or(&code).trim().to_string();
    if code.is_empty() {
        return None;
    }
    let message = json.as_ref().and_then(|v| {
        ["message", "Message"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|m| m.as_str()))
            .map(str::to_string)
    });
    Some(AwsError {
        code,
        message,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_header() {
        let h = vec![
            Header::new("X-Amz-Date", "20150830T123600Z"),
            Header::new(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,SignedHeaders=host;x-amz-date,  Signature=abc",
            ),
        ];
        let r = signed_request(&h, "").unwrap().unwrap();
        assert_eq!(r.placement, Placement::Header);
        assert_eq!(r.credential.key_id, "AKIDEXAMPLE");
        assert_eq!(r.credential.scope.service, "service");
        assert_eq!(r.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(r.signature, "abc");
        assert_eq!(r.amz_date.as_deref(), Some("20150830T123600Z"));
        let h = vec![Header::new(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/x",
        )];
        assert!(matches!(
            signed_request(&h, ""),
            Some(Err(ParseError::BadCredential(_)))
        ));
        assert!(signed_request(&[Header::new("Authorization", "Bearer x")], "").is_none());
    }

    #[test]
    fn presigned_query() {
        let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=ff";
        let r = signed_request(&[], q).unwrap().unwrap();
        assert_eq!(r.placement, Placement::Query);
        assert_eq!(r.credential.scope.service, "s3");
        assert_eq!(r.expires, Some(3600));
        assert_eq!(r.signature, "ff");
    }

    #[test]
    fn error_bodies() {
        let xml = b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message><StringToSign>AWS4-HMAC-SHA256\n2015</StringToSign><CanonicalRequest>GET\n/a&amp;b</CanonicalRequest></Error>";
        let e = aws_error(&[], xml).unwrap();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.canonical_request.as_deref(), Some("GET\n/a&b"));
        let j = br#"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#;
        assert_eq!(aws_error(&[], j).unwrap().code, "ExpiredTokenException");
        let h = vec![Header::new(
            "x-amzn-ErrorType",
            "UnrecognizedClientException:http://internal",
        )];
        assert_eq!(
            aws_error(&h, b"").unwrap().code,
            "UnrecognizedClientException"
        );
        assert!(aws_error(&[], b"<html>nope</html>").is_none());
        assert_eq!(xml_unescape("a&bogus;&#65;&#x42;&"), "a&bogus;AB&");
    }
}
