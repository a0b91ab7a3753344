//! Decode a JWT (RFC 7519, compact JWS/JWE serialisation) for diagnosis — never verify here.
//!
//! Decoding is deliberately hand-written and tolerant: a diagnoser must show the header and
//! claims of tokens that verification libraries refuse (`alg: none`, unknown algorithms), and
//! must say *which* part is broken when a token was truncated or mangled in transit.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Which of the dot-separated parts of a JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Header,
    Payload,
    Signature,
}

impl Segment {
    pub fn name(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        }
    }
}

/// Why a string that looks like a JWT does not decode as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtDefect {
    /// Compact JWS has 3 parts, JWE 5.
    SegmentCount(usize),
    /// A segment is not base64url (often a `+`/`/`/`=` from standard base64, or a cut).
    Base64 { segment: Segment, detail: String },
    /// A segment decodes but is not a JSON object (often a cut in the middle).
    Json { segment: Segment, detail: String },
    /// The signature is empty although `alg` is not `none`.
    EmptySignature { alg: String },
    /// The signature length does not fit the algorithm (a cut at the end of the token).
    SignatureLength {
        alg: String,
        expected: String,
        got: usize,
    },
}

impl JwtDefect {
    pub fn describe(&self) -> String {
        match self {
            JwtDefect::SegmentCount(n) => format!(
                "has {n} dot-separated part{} (a signed JWT has 3)",
                if *n == 1 { "" } else { "s" }
            ),
            JwtDefect::Base64 { segment, detail } => {
                format!("{} is not valid base64url: {detail}", segment.name())
            }
            JwtDefect::Json { segment, detail } => {
                format!(
                    "{} does not decode to a JSON object: {detail}",
                    segment.name()
                )
            }
            JwtDefect::EmptySignature { alg } => {
                format!("signature is empty although alg is {alg}")
            }
            JwtDefect::SignatureLength { alg, expected, got } => {
                format!("signature is {got} bytes; {alg} signatures are {expected} bytes")
            }
        }
    }
}

/// A decoded (not verified) JWS compact token.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub signature_len: usize,
    /// Defects found although the token decoded (e.g. a short signature).
    pub defects: Vec<JwtDefect>,
}

/// The result of looking at a credential as a JWT.
#[derive(Debug, Clone, PartialEq)]
pub enum JwtAnalysis {
    /// Decoded; may still carry defects.
    Jws(Jwt),
    /// An encrypted JWT (5 parts): only the header is readable.
    Jwe { header: Map<String, Value> },
    /// Starts like a JWT (`eyJ`) but does not decode as one.
    Broken(JwtDefect),
}

/// Does this string look like it is meant to be a JWT? `eyJ` is base64url of `{"`.
pub fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ")
        || (s.matches('.').count() >= 2
            && s.split('.').next().is_some_and(|h| h.starts_with("eyJ")))
}

/// Decode `s` as a JWT if it looks like one; `None` for opaque tokens.
pub fn analyse(s: &str) -> Option<JwtAnalysis> {
    if !looks_like_jwt(s) {
        return None;
    }
    let parts: Vec<&str> = s.split('.').collect();
    match parts.len() {
        3 => Some(decode_jws(&parts)),
        5 => Some(match decode_object(parts[0], Segment::Header) {
            Ok(header) => JwtAnalysis::Jwe { header },
            Err(d) => JwtAnalysis::Broken(d),
        }),
        n => Some(JwtAnalysis::Broken(JwtDefect::SegmentCount(n))),
    }
}

fn decode_jws(parts: &[&str]) -> JwtAnalysis {
    let header = match decode_object(parts[0], Segment::Header) {
        Ok(h) => h,
        Err(d) => return JwtAnalysis::Broken(d),
    };
    let claims = match decode_object(parts[1], Segment::Payload) {
        Ok(c) => c,
        Err(d) => return JwtAnalysis::Broken(d),
    };
    let sig = match decode_b64(parts[2], Segment::Signature) {
        Ok(s) => s,
        Err(d) => return JwtAnalysis::Broken(d),
    };
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut defects = Vec::new();
    if sig.is_empty() && !alg.eq_ignore_ascii_case("none") && !alg.is_empty() {
        defects.push(JwtDefect::EmptySignature { alg: alg.clone() });
    } else if let Some(expected) = expected_signature_len(&alg)
        && !sig.is_empty()
        && !expected.contains(&sig.len())
    {
        defects.push(JwtDefect::SignatureLength {
            alg: alg.clone(),
            expected: describe_lengths(&expected),
            got: sig.len(),
        });
    }
    JwtAnalysis::Jws(Jwt {
        header,
        claims,
        signature_len: sig.len(),
        defects,
    })
}

/// Signature sizes per JWA (RFC 7518 §3): fixed for HMAC/ECDSA/EdDSA; RSA equals the modulus
/// size, so accept the common key sizes.
fn expected_signature_len(alg: &str) -> Option<Vec<usize>> {
    Some(match alg {
        "HS256" => vec![32],
        "HS384" => vec![48],
        "HS512" => vec![64],
        "ES256" | "ES256K" => vec![64],
        "ES384" => vec![96],
        "ES512" => vec![132],
        "EdDSA" | "Ed25519" => vec![64],
        "Ed448" => vec![114],
        "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" => vec![128, 256, 384, 512],
        _ => return None,
    })
}

fn describe_lengths(v: &[usize]) -> String {
    v.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn decode_b64(part: &str, segment: Segment) -> Result<Vec<u8>, JwtDefect> {
    if let Some(c) = part.chars().find(|c| matches!(c, '+' | '/' | '=')) {
        return Err(JwtDefect::Base64 {
            segment,
            detail: format!(
                "contains '{c}', which base64url does not use (standard base64 or padding)"
            ),
        });
    }
    URL_SAFE_NO_PAD.decode(part).map_err(|e| JwtDefect::Base64 {
        segment,
        detail: e.to_string(),
    })
}

fn decode_object(part: &str, segment: Segment) -> Result<Map<String, Value>, JwtDefect> {
    let bytes = decode_b64(part, segment)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(JwtDefect::Json {
            segment,
            detail: "JSON value is not an object".into(),
        }),
        Err(e) => Err(JwtDefect::Json {
            segment,
            detail: e.to_string(),
        }),
    }
}

impl Jwt {
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
    /// A NumericDate claim (`exp`, `nbf`, `iat`); fractional seconds are truncated.
    pub fn time_claim(&self, name: &str) -> Option<i64> {
        match self.claims.get(name)? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            _ => None,
        }
    }
    /// A time claim that is present but not a number (a common issuer bug, e.g. a string).
    pub fn malformed_time_claim(&self, name: &str) -> bool {
        self.claims
            .get(name)
            .is_some_and(|v| !matches!(v, Value::Number(_)))
    }
    pub fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
    /// `aud` as a list, whether sent as a string or an array.
    pub fn audiences(&self) -> Vec<&str> {
        match self.claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
    /// Granted scopes: `scope` (space-separated, RFC 8693/9068) or `scp` (string or array).
    pub fn scopes(&self) -> Option<Vec<String>> {
        for name in ["scope", "scp", "scopes"] {
            match self.claims.get(name) {
                Some(Value::String(s)) => {
                    return Some(s.split_whitespace().map(str::to_string).collect());
                }
                Some(Value::Array(a)) => {
                    return Some(
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                    );
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// Build an unsigned-but-well-formed token for tests.
    pub(crate) fn make(header: Value, claims: Value, sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    #[test]
    fn decodes_claims() {
        let t = make(
            json!({"alg":"HS256"}),
            json!({"exp": 100, "aud": ["a","b"], "scope": "read write"}),
            &[0; 32],
        );
        let Some(JwtAnalysis::Jws(j)) = analyse(&t) else {
            panic!()
        };
        assert_eq!(j.time_claim("exp"), Some(100));
        assert_eq!(j.audiences(), vec!["a", "b"]);
        assert_eq!(j.scopes().unwrap(), vec!["read", "write"]);
        assert!(j.defects.is_empty());
    }

    #[test]
    fn detects_truncation() {
        let t = make(json!({"alg":"RS256"}), json!({"sub":"x"}), &[1; 256]);
        let cut = &t[..t.len() - 10];
        let Some(JwtAnalysis::Jws(j)) = analyse(cut) else {
            panic!()
        };
        assert!(matches!(j.defects[0], JwtDefect::SignatureLength { .. }));
        let two = t.rsplit_once('.').unwrap().0;
        assert_eq!(
            analyse(two),
            Some(JwtAnalysis::Broken(JwtDefect::SegmentCount(2)))
        );
        let mid = &t[..20];
        assert!(matches!(analyse(mid), Some(JwtAnalysis::Broken(_))));
    }

    #[test]
    fn opaque_is_not_jwt() {
        assert_eq!(analyse("ghp_abcdef"), None);
        assert_eq!(analyse("abc"), None);
    }

    #[test]
    fn standard_base64_is_named() {
        let t = make(json!({"alg":"HS256"}), json!({"sub":"x"}), &[0; 32]);
        let bad = t.replacen('.', "+.", 1);
        let Some(JwtAnalysis::Broken(JwtDefect::Base64 { detail, .. })) = analyse(&bad) else {
            panic!()
        };
        assert!(detail.contains('+'));
    }
}
