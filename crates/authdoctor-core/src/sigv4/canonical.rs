//! The first two stages of SigV4: the canonical request and the string to sign.
//!
//! A signature only matches when signer and server build byte-identical canonical requests, so
//! every rule here is spelled out and shown, not hidden behind a library call: the path (RFC 3986
//! dot-segment removal and a second round of URI encoding for every service but S3, which signs
//! the path as sent, encoded once), the query (decoded, strictly re-encoded, sorted), the signed
//! headers (lowercase names, trimmed values with runs of spaces collapsed, repeated headers
//! joined with commas) and the payload hash. The functions take the request as it travels on the
//! wire — path and query still percent-encoded — and never the secret.

use crate::model::Header;
use aws_lc_rs::digest;

/// How the path is canonicalised; S3 differs from every other service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathRules {
    /// Remove `.`/`..` segments and empty segments (`//`) before encoding.
    pub normalize: bool,
    /// URI-encode the path as sent once more (so `%20` becomes `%2520`). S3 does not.
    pub double_encode: bool,
}

impl PathRules {
    /// Every service except S3 normalises and double-encodes.
    pub const STANDARD: PathRules = PathRules {
        normalize: true,
        double_encode: true,
    };
    /// S3 signs the path exactly as addressed, encoded once.
    pub const S3: PathRules = PathRules {
        normalize: false,
        double_encode: false,
    };

    /// The rules a service's servers apply.
    pub fn for_service(service: &str) -> PathRules {
        if is_s3(service) {
            PathRules::S3
        } else {
            PathRules::STANDARD
        }
    }
}

/// S3 and its variants sign paths and payloads differently from every other service.
pub fn is_s3(service: &str) -> bool {
    matches!(
        service,
        "s3" | "s3-object-lambda" | "s3express" | "s3-outposts"
    )
}

/// The SHA-256 of an empty payload, the most common payload hash.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Lowercase hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// AWS's URI encoding: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay, every other byte
/// becomes `%XX` with uppercase hex; `/` stays only when `keep_slash`.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// Percent-decoding that never fails: a `%` not followed by two hex digits stays literal.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hexval(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The canonical URI: the path as sent, under the service's rules.
pub fn canonical_path(path: &str, rules: PathRules) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let kept: Vec<&str> = if rules.normalize {
        let mut stack: Vec<&str> = Vec::new();
        for s in path.split('/') {
            match s {
                "" | "." => {}
                ".." => {
                    stack.pop();
                }
                s => stack.push(s),
            }
        }
        stack
    } else {
        // Every segment as sent, empty ones included; the root slash is re-added below.
        path.strip_prefix('/').unwrap_or(path).split('/').collect()
    };
    let encode = |seg: &str| {
        if rules.double_encode {
            uri_encode(seg.as_bytes(), false)
        } else {
            uri_encode(&percent_decode(seg), false)
        }
    };
    let mut out = String::from("/");
    out.push_str(&kept.iter().map(|s| encode(s)).collect::<Vec<_>>().join("/"));
    if rules.normalize && path.ends_with('/') && !kept.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical query string: every parameter decoded, strictly re-encoded and sorted by name
/// then value. Names in `skip` (the presigned `X-Amz-Signature`) are left out.
pub fn canonical_query(query: &str, skip: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let k = percent_decode(k);
            if skip.iter().any(|s| s.as_bytes() == k.as_slice()) {
                return None;
            }
            Some((uri_encode(&k, false), uri_encode(&percent_decode(v), false)))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value as SigV4 signs it: folded lines unfolded, edges trimmed, runs of spaces and
/// tabs collapsed to one space.
pub fn canonical_header_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut space = false;
    for c in v
        .trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n')
        .chars()
    {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The canonical value of one header name: every occurrence, canonicalised, joined with `,`.
/// `None` when the request does not carry the header at all.
pub fn header_value(headers: &[Header], name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .iter()
        .filter(|h| h.name.trim().eq_ignore_ascii_case(name))
        .map(|h| canonical_header_value(&h.value))
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// The request as it travels, in the pieces SigV4 reads. Path and query are percent-encoded as
/// on the wire; `headers` must include `Host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<Header>,
}

/// The canonical request, stage one, kept in parts so a diagnosis can compare any of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// `(name, canonical value)` in signed order; a signed header the request lacks has `None`.
    pub headers: Vec<(String, Option<String>)>,
    pub payload_hash: String,
}

impl CanonicalRequest {
    /// Build it from a wire request, the names to sign (any case, any order) and the payload hash.
    pub fn build(
        req: &WireRequest,
        signed: &[String],
        payload_hash: &str,
        rules: PathRules,
        skip_query: &[&str],
    ) -> CanonicalRequest {
        let mut names: Vec<String> = signed
            .iter()
            .map(|n| n.trim().to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        CanonicalRequest {
            method: req.method.trim().to_string(),
            path: canonical_path(&req.path, rules),
            query: canonical_query(&req.query, skip_query),
            headers: names
                .into_iter()
                .map(|n| {
                    let v = header_value(&req.headers, &n);
                    (n, v)
                })
                .collect(),
            payload_hash: payload_hash.to_string(),
        }
    }

    /// `host;x-amz-date`
    pub fn signed_headers(&self) -> String {
        self.headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Signed header names the request does not carry.
    pub fn missing_headers(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The exact text that is hashed.
    pub fn text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.method, self.path, self.query);
        for (n, v) in &self.headers {
            s.push_str(n);
            s.push(':');
            s.push_str(v.as_deref().unwrap_or(""));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.signed_headers());
        s.push('\n');
        s.push_str(&self.payload_hash);
        s
    }
}

/// Stage two: `ALGORITHM \n X-Amz-Date \n scope \n hex(sha256(canonical request))`.
pub fn string_to_sign(algorithm: &str, amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "{algorithm}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let s = PathRules::STANDARD;
        assert_eq!(canonical_path("", s), "/");
        assert_eq!(canonical_path("//example//", s), "/example/");
        assert_eq!(canonical_path("/example/..", s), "/");
        assert_eq!(canonical_path("/./example", s), "/example");
        assert_eq!(canonical_path("/a%20b", s), "/a%2520b");
        assert_eq!(canonical_path("/a%20b", PathRules::S3), "/a%20b");
        assert_eq!(canonical_path("//a/../b", PathRules::S3), "//a/../b");
        assert_eq!(canonical_path("/a b", PathRules::S3), "/a%20b");
    }

    #[test]
    fn queries() {
        assert_eq!(canonical_query("b=2&a=1&a=0", &[]), "a=0&a=1&b=2");
        assert_eq!(canonical_query("k", &[]), "k=");
        assert_eq!(canonical_query("a=%7e+b", &[]), "a=~%2Bb");
        assert_eq!(
            canonical_query("X-Amz-Signature=x&a=1", &["X-Amz-Signature"]),
            "a=1"
        );
    }

    #[test]
    fn header_values() {
        assert_eq!(canonical_header_value("  a   b\t c  "), "a b c");
        assert_eq!(canonical_header_value("value1\n  value2"), "value1 value2");
    }

    #[test]
    fn decode_never_panics_on_truncated_escapes() {
        assert_eq!(percent_decode("%"), b"%");
        assert_eq!(percent_decode("%4"), b"%4");
        assert_eq!(percent_decode("%41"), b"A");
        assert_eq!(percent_decode("%zz"), b"%zz");
    }
}
