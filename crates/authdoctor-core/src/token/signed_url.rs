//! Credentials in the query string with a lifetime of their own: Azure SAS (`st`, `se`, `sp`,
//! `sig`), AWS presigned URLs (`X-Amz-Date` + `X-Amz-Expires`), Google Cloud Storage signed URLs
//! (`X-Goog-Date` + `X-Goog-Expires`) and CloudFront signed URLs (`Expires`). Their start and
//! expiry are judged like a token's `nbf` and `exp`, with the parameter that set them named.

use serde::Serialize;

/// Which signing scheme the URL carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignedUrlKind {
    AzureSas,
    AwsPresigned,
    GcsSigned,
    CloudFront,
}

impl SignedUrlKind {
    pub fn name(self) -> &'static str {
        match self {
            SignedUrlKind::AzureSas => "Azure SAS",
            SignedUrlKind::AwsPresigned => "AWS presigned URL",
            SignedUrlKind::GcsSigned => "Google Cloud Storage signed URL",
            SignedUrlKind::CloudFront => "CloudFront signed URL",
        }
    }
}

/// A moment a parameter sets, and which parameter(s) set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub unix: i64,
    pub params: String,
}

/// A signed URL's lifetime and permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedUrl {
    pub kind: SignedUrlKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts: Option<Moment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<Moment>,
    /// Azure's `sp` (permissions: r, w, d, l, a, c, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
}

/// ISO 8601 as SAS writes it: `2026-12-06T13:09:39Z`, or a date alone (`2026-12-06`, midnight UTC).
fn iso(v: &str) -> Option<i64> {
    let v = v.trim();
    if let Ok(t) = v.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    let d: jiff::civil::Date = v.parse().ok()?;
    Some(
        d.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// `20261206T130939Z` (SigV4's and GCS's basic format).
fn basic(v: &str) -> Option<i64> {
    let v = v.trim();
    if v.len() != 16 || !v.ends_with('Z') {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &v[0..4],
        &v[4..6],
        &v[6..8],
        &v[9..11],
        &v[11..13],
        &v[13..15]
    );
    iso.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// The signed URL a request URL is, if any.
pub fn analyse(url: &str) -> Option<SignedUrl> {
    let u = url::Url::parse(url).ok()?;
    let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    let get = |name: &str| {
        q.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    if let (Some(_), Some(date)) = (get("X-Amz-Signature"), get("X-Amz-Date")) {
        let start = basic(date)?;
        let lifetime: i64 = get("X-Amz-Expires").and_then(|e| e.parse().ok())?;
        return Some(SignedUrl {
            kind: SignedUrlKind::AwsPresigned,
            starts: Some(Moment {
                unix: start,
                params: "X-Amz-Date".into(),
            }),
            expires: Some(Moment {
                unix: start + lifetime,
                params: "X-Amz-Date + X-Amz-Expires".into(),
            }),
            permissions: None,
        });
    }
    if let (Some(_), Some(date)) = (get("X-Goog-Signature"), get("X-Goog-Date")) {
        let start = basic(date)?;
        let lifetime: i64 = get("X-Goog-Expires").and_then(|e| e.parse().ok())?;
        return Some(SignedUrl {
            kind: SignedUrlKind::GcsSigned,
            starts: Some(Moment {
                unix: start,
                params: "X-Goog-Date".into(),
            }),
            expires: Some(Moment {
                unix: start + lifetime,
                params: "X-Goog-Date + X-Goog-Expires".into(),
            }),
            permissions: None,
        });
    }
    if get("sig").is_some() && (get("se").is_some() || get("sv").is_some()) {
        return Some(SignedUrl {
            kind: SignedUrlKind::AzureSas,
            starts: get("st").and_then(iso).map(|unix| Moment {
                unix,
                params: "st".into(),
            }),
            expires: get("se").and_then(iso).map(|unix| Moment {
                unix,
                params: "se".into(),
            }),
            permissions: get("sp").map(str::to_string),
        });
    }
    if let (Some(_), Some(exp)) = (get("Signature"), get("Expires"))
        && get("Key-Pair-Id").is_some()
    {
        return Some(SignedUrl {
            kind: SignedUrlKind::CloudFront,
            starts: None,
            expires: exp.parse().ok().map(|unix| Moment {
                unix,
                params: "Expires".into(),
            }),
            permissions: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind() {
        let s = analyse("https://a.blob.core.windows.net/c/b?sv=2021-08-06&sp=rl&st=2026-12-06T13%3A09%3A39Z&se=2026-12-06T14%3A09%3A39Z&sig=abc").unwrap();
        assert_eq!(s.kind, SignedUrlKind::AzureSas);
        assert_eq!(
            s.expires.as_ref().unwrap().unix - s.starts.as_ref().unwrap().unix,
            3600
        );
        assert_eq!(s.permissions.as_deref(), Some("rl"));
        let s = analyse("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261206T130939Z&X-Amz-Expires=900&X-Amz-Signature=ff").unwrap();
        assert_eq!(s.kind, SignedUrlKind::AwsPresigned);
        assert_eq!(s.expires.unwrap().unix - s.starts.unwrap().unix, 900);
        let s = analyse("https://storage.googleapis.com/b/o?X-Goog-Date=20261206T130939Z&X-Goog-Expires=60&X-Goog-Signature=ab").unwrap();
        assert_eq!(s.kind, SignedUrlKind::GcsSigned);
        let s =
            analyse("https://d1.cloudfront.net/x?Expires=1796000000&Signature=abc&Key-Pair-Id=K1")
                .unwrap();
        assert_eq!(s.expires.unwrap().unix, 1_796_000_000);
        assert!(analyse("https://api.example.com/x?page=2").is_none());
        let s = analyse("https://a/c?se=2026-12-06&sig=x").unwrap();
        assert!(s.expires.is_some());
    }
}
