//! AWS Signature Version 4, stage by stage, so a rejected signature can be explained.
//!
//! A SigV4 signature is four stages deep: the canonical request ([`canonical`]), the string to
//! sign, the signing key derived from the secret and the credential scope, and the HMAC itself
//! ([`sign`]). A server that refuses a signature only says "does not match"; the reason is a
//! byte that differs in one of the stages. This module parses what a request claims
//! ([`parse`]: the `Authorization: AWS4-HMAC-SHA256 …` header or a presigned URL's `X-Amz-*`
//! parameters, and AWS's XML or JSON error bodies), rebuilds every stage, and compares them with
//! the request as sent, with the user's secret when it is known, and with the canonical request
//! AWS itself echoes in a `SignatureDoesNotMatch` body ([`diagnose`]).
//!
//! Everything is pure and takes the time as an argument; the CLI signs with the current clock at
//! its edge. The canonicalisation is written out here (not delegated to the `aws-sigv4` crate)
//! because the diagnosis has to show each stage, which that crate keeps private. The secret
//! access key and the session token never appear in anything this module returns for display.

pub mod canonical;
pub mod curl;
pub mod diagnose;
pub mod parse;
pub mod sign;

use thiserror::Error;

/// Why a request could not be signed or a SigV4 value not be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Sigv4Error {
    /// `--aws-sigv4` was given something that is not `provider1[:provider2[:region[:service]]]`.
    #[error("--aws-sigv4 {0:?}: expected 'aws:amz[:REGION[:SERVICE]]'")]
    BadProvider(String),
    /// Region or service were not given and cannot be read from the host name.
    #[error(
        "--aws-sigv4 gave no region/service and host {host:?} does not name them (like SERVICE.REGION.amazonaws.com); give them: --aws-sigv4 'aws:amz:REGION:SERVICE'"
    )]
    NoScope { host: String },
    /// No access key: neither `-u KEY:SECRET` nor `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`.
    #[error(
        "--aws-sigv4 needs credentials: -u ACCESS_KEY_ID:SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
    )]
    NoCredentials,
    #[error("the URL {0:?} cannot be signed: {1}")]
    BadUrl(String, String),
    #[error("time {0} is outside the range an X-Amz-Date can express")]
    TimeOutOfRange(i64),
}

/// The signing "provider" of curl's `--aws-sigv4 provider1[:provider2]`: `aws:amz` gives
/// `AWS4-HMAC-SHA256`, `X-Amz-Date` and `aws4_request`; other providers (some S3-compatible
/// clouds) substitute their own names in the same places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `aws`: the algorithm, key prefix and scope terminator.
    pub p1: String,
    /// `amz`: the `X-Amz-*` header and parameter names.
    pub p2: String,
}

impl Provider {
    pub fn aws() -> Provider {
        Provider {
            p1: "aws".into(),
            p2: "amz".into(),
        }
    }

    /// `AWS4-HMAC-SHA256`
    pub fn algorithm(&self) -> String {
        format!("{}4-HMAC-SHA256", self.p1.to_ascii_uppercase())
    }

    /// `AWS4`, prepended to the secret to make the first HMAC key.
    pub fn key_prefix(&self) -> String {
        format!("{}4", self.p1.to_ascii_uppercase())
    }

    /// `aws4_request`
    pub fn terminator(&self) -> String {
        format!("{}4_request", self.p1.to_ascii_lowercase())
    }

    /// `X-Amz`
    pub fn query_prefix(&self) -> String {
        let mut c = self.p2.to_ascii_lowercase();
        if let Some(f) = c.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        format!("X-{c}")
    }

    /// `X-Amz-Date`
    pub fn date_header(&self) -> String {
        format!("{}-Date", self.query_prefix())
    }

    /// `X-Amz-Security-Token`
    pub fn token_header(&self) -> String {
        format!("{}-Security-Token", self.query_prefix())
    }

    /// The provider an algorithm name implies (`AWS4-HMAC-SHA256` → `aws:amz`).
    pub fn from_algorithm(alg: &str) -> Provider {
        match alg.split_once("4-HMAC-SHA256") {
            Some((p, "")) if !p.is_empty() && !p.eq_ignore_ascii_case("aws") => Provider {
                p1: p.to_ascii_lowercase(),
                p2: p.to_ascii_lowercase(),
            },
            _ => Provider::aws(),
        }
    }
}

/// The credential scope: `20150830/us-east-1/iam/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
}

impl Scope {
    pub fn new(date: &str, region: &str, service: &str, provider: &Provider) -> Scope {
        Scope {
            date: date.into(),
            region: region.into(),
            service: service.into(),
            terminator: provider.terminator(),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// curl's `--aws-sigv4 provider1[:provider2[:region[:service]]]`, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurlSigv4 {
    pub provider: Provider,
    pub region: Option<String>,
    pub service: Option<String>,
}

/// Parse the `--aws-sigv4` value.
pub fn parse_curl_provider(v: &str) -> Result<CurlSigv4, Sigv4Error> {
    let parts: Vec<&str> = v.trim().split(':').collect();
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    if parts.len() > 4 || !ok(parts[0]) || parts.iter().skip(1).any(|p| !ok(p)) {
        return Err(Sigv4Error::BadProvider(v.chars().take(80).collect()));
    }
    Ok(CurlSigv4 {
        provider: Provider {
            p1: parts[0].to_ascii_lowercase(),
            p2: parts.get(1).unwrap_or(&parts[0]).to_ascii_lowercase(),
        },
        region: parts.get(2).map(|s| s.to_string()),
        service: parts.get(3).map(|s| s.to_string()),
    })
}

/// Region and service from an AWS host name: `ec2.eu-west-1.amazonaws.com` → (`eu-west-1`,
/// `ec2`); global endpoints (`iam.amazonaws.com`, `sts.amazonaws.com`, `s3.amazonaws.com`) →
/// `us-east-1`; virtual-hosted S3 (`bucket.s3.us-west-2.amazonaws.com`) and dualstack/FIPS
/// forms are understood. `None` for hosts that are not AWS endpoints (a local emulator).
pub fn infer_scope(host: &str) -> Option<(String, String)> {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or_default();
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let labels: Vec<&str> = rest.split('.').collect();
    let is_region = |l: &str| {
        let p: Vec<&str> = l.split('-').collect();
        p.len() >= 3
            && p.last()
                .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit()))
            && p[0].len() == 2
    };
    // S3 first: the bucket name comes before `s3`, and `s3-REGION` is an old form.
    if let Some(i) = labels
        .iter()
        .position(|l| *l == "s3" || l.starts_with("s3-") || *l == "s3-accesspoint")
    {
        let l = labels[i];
        let region = labels
            .iter()
            .skip(i + 1)
            .find(|l| is_region(l))
            .map(|s| s.to_string())
            .or_else(|| {
                l.strip_prefix("s3-")
                    .filter(|r| is_region(r))
                    .map(String::from)
            })
            .unwrap_or_else(|| "us-east-1".into());
        return Some((region, "s3".into()));
    }
    let service = labels.first()?.to_string();
    let region = labels
        .iter()
        .skip(1)
        .find(|l| is_region(l))
        .map(|s| s.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    Some((region, service))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers() {
        let p = parse_curl_provider("aws:amz:us-east-1:ec2").unwrap();
        assert_eq!(p.provider, Provider::aws());
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.service.as_deref(), Some("ec2"));
        let p = parse_curl_provider("osc").unwrap();
        assert_eq!(p.provider.algorithm(), "OSC4-HMAC-SHA256");
        assert_eq!(p.provider.date_header(), "X-Osc-Date");
        assert!(parse_curl_provider("").is_err());
        assert!(parse_curl_provider("aws:amz:a:b:c").is_err());
        assert!(parse_curl_provider("aws::x").is_err());
        assert_eq!(Provider::aws().date_header(), "X-Amz-Date");
    }

    #[test]
    fn scopes_from_hosts() {
        let s = |h: &str| infer_scope(h).map(|(r, s)| format!("{r}/{s}"));
        assert_eq!(s("ec2.eu-west-1.amazonaws.com").unwrap(), "eu-west-1/ec2");
        assert_eq!(s("iam.amazonaws.com").unwrap(), "us-east-1/iam");
        assert_eq!(
            s("sts.us-west-2.amazonaws.com:443").unwrap(),
            "us-west-2/sts"
        );
        assert_eq!(
            s("bucket.s3.us-west-2.amazonaws.com").unwrap(),
            "us-west-2/s3"
        );
        assert_eq!(s("s3.amazonaws.com").unwrap(), "us-east-1/s3");
        assert_eq!(s("b.s3-eu-west-1.amazonaws.com").unwrap(), "eu-west-1/s3");
        assert_eq!(s("127.0.0.1"), None);
        assert_eq!(s("amazonaws.com"), None);
    }
}

#[cfg(test)]
mod vectors;

#[cfg(test)]
mod never_panics {
    use crate::model::Header;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a request or a response holds, reading and diagnosing SigV4 never panics.
        #[test]
        fn on_any_input(
            auth in "(AWS4-HMAC-SHA256 )?(Credential=[^,]{0,40}, ?)?(SignedHeaders=[a-z;-]{0,30}, ?)?(Signature=[0-9a-f]{0,64})?",
            date in "[0-9TZ]{0,17}",
            path in "/[^?#]{0,30}",
            query in "[A-Za-z0-9=&%+~-]{0,40}",
            value in "\\PC{0,30}",
            body in "\\PC{0,200}",
            provider in "[a-z:]{0,20}",
        ) {
            let headers = vec![
                Header::new("Authorization", auth.clone()),
                Header::new("X-Amz-Date", date.clone()),
                Header::new("Content-Type", value.clone()),
            ];
            let _ = super::parse::signed_request(&headers, &query);
            let _ = super::parse::aws_error(&headers, body.as_bytes());
            let _ = super::canonical::canonical_path(&path, super::canonical::PathRules::STANDARD);
            let _ = super::canonical::canonical_path(&path, super::canonical::PathRules::S3);
            let _ = super::canonical::canonical_query(&query, &["X-Amz-Signature"]);
            let _ = super::sign::parse_amz_date(&date);
            let _ = super::parse_curl_provider(&provider);
            let _ = super::infer_scope(&value);
            let url = format!("https://iam.amazonaws.com{path}?{query}");
            let _ = super::diagnose::analyse(&super::diagnose::Input {
                method: "POST",
                url: &url,
                headers: &headers,
                body: body.as_bytes(),
                secret: Some(("AKID", "secret")),
                response: Some((&headers, body.as_bytes())),
                server_date: Some(0),
            });
        }
    }
}
