//! Computing Digest answers: the algorithms, the `response` hash (RFC 7616 §3.4), and the
//! whole `Authorization` value a client sends for a challenge.

use std::fmt::{self, Write as _};

use md5::Md5;
use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha512, Sha512_256};
use thiserror::Error;

use crate::http::challenge::Challenge;

/// The hash function of a Digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Hash {
    Md5,
    Sha256,
    /// FIPS 180-4 SHA-512/256.
    Sha512_256,
    /// Full SHA-512: not in RFC 7616, but offered by httpbin as `algorithm=SHA-512`.
    Sha512,
}

/// A Digest `algorithm`: a hash and whether it is the session (`-sess`) variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Algorithm {
    pub hash: Hash,
    pub sess: bool,
}

impl Algorithm {
    /// RFC 7616 §3.3: an absent `algorithm` means MD5.
    pub const DEFAULT: Algorithm = Algorithm {
        hash: Hash::Md5,
        sess: false,
    };

    /// Parse an `algorithm` value (case-insensitive, as RFC 7616 §3.3 token comparison is).
    pub fn parse(name: &str) -> Option<Algorithm> {
        let n = name.trim().to_ascii_uppercase();
        let (base, sess) = match n.strip_suffix("-SESS") {
            Some(b) => (b, true),
            None => (n.as_str(), false),
        };
        let hash = match base {
            "MD5" => Hash::Md5,
            "SHA-256" => Hash::Sha256,
            "SHA-512-256" => Hash::Sha512_256,
            "SHA-512" => Hash::Sha512,
            _ => return None,
        };
        Some(Algorithm { hash, sess })
    }

    /// The algorithm named in a challenge or an Authorization header (absent → MD5).
    pub fn of(param: Option<&str>) -> Option<Algorithm> {
        match param {
            None => Some(Self::DEFAULT),
            Some(p) => Self::parse(p),
        }
    }

    /// Canonical spelling, as sent on the wire.
    pub fn name(&self) -> String {
        let base = match self.hash {
            Hash::Md5 => "MD5",
            Hash::Sha256 => "SHA-256",
            Hash::Sha512_256 => "SHA-512-256",
            Hash::Sha512 => "SHA-512",
        };
        if self.sess {
            format!("{base}-sess")
        } else {
            base.to_string()
        }
    }

    /// Preference when a server offers several (RFC 7616 §3.7: the strongest the client
    /// supports). Session variants rank just below their plain form, since fewer servers get
    /// them right.
    pub fn strength(&self) -> u8 {
        let h = match self.hash {
            Hash::Md5 => 1,
            Hash::Sha256 => 2,
            Hash::Sha512 => 3,
            Hash::Sha512_256 => 4,
        };
        h * 2 + u8::from(!self.sess)
    }

    /// `H(data)` as lowercase hex.
    pub fn hex(&self, data: &[u8]) -> String {
        match self.hash {
            Hash::Md5 => to_hex(&Md5::digest(data)),
            Hash::Sha256 => to_hex(&Sha256::digest(data)),
            Hash::Sha512_256 => to_hex(&Sha512_256::digest(data)),
            Hash::Sha512 => to_hex(&Sha512::digest(data)),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Quality of protection (RFC 7616 §3.3 `qop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Qop {
    Auth,
    AuthInt,
}

impl Qop {
    pub fn parse(v: &str) -> Option<Qop> {
        match v.trim().to_ascii_lowercase().as_str() {
            "auth" => Some(Qop::Auth),
            "auth-int" => Some(Qop::AuthInt),
            _ => None,
        }
    }
    pub fn name(&self) -> &'static str {
        match self {
            Qop::Auth => "auth",
            Qop::AuthInt => "auth-int",
        }
    }
}

/// Everything a Digest response is computed from.
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    pub algorithm: Algorithm,
    /// The real user name (not its userhash).
    pub username: &'a str,
    pub password: &'a str,
    pub realm: &'a str,
    pub nonce: &'a str,
    pub method: &'a str,
    /// The `uri` parameter: the request-target as the client names it.
    pub uri: &'a str,
    /// `None`: RFC 2069 compatibility mode (the challenge had no qop).
    pub qop: Option<Qop>,
    pub cnonce: &'a str,
    /// Nonce count, 8 hex digits as sent (`00000001`).
    pub nc: &'a str,
    /// The entity body, for `auth-int`.
    pub body: &'a [u8],
}

/// The `response` value (RFC 7616 §3.4.1–§3.4.3), lowercase hex.
pub fn compute_response(i: &DigestInput<'_>) -> String {
    let alg = i.algorithm;
    let mut ha1 = alg.hex(format!("{}:{}:{}", i.username, i.realm, i.password).as_bytes());
    if alg.sess {
        ha1 = alg.hex(format!("{ha1}:{}:{}", i.nonce, i.cnonce).as_bytes());
    }
    let a2 = match i.qop {
        Some(Qop::AuthInt) => format!("{}:{}:{}", i.method, i.uri, alg.hex(i.body)),
        _ => format!("{}:{}", i.method, i.uri),
    };
    let ha2 = alg.hex(a2.as_bytes());
    let data = match i.qop {
        Some(q) => format!("{ha1}:{}:{}:{}:{}:{ha2}", i.nonce, i.nc, i.cnonce, q.name()),
        None => format!("{ha1}:{}:{ha2}", i.nonce),
    };
    alg.hex(data.as_bytes())
}

/// RFC 7616 §3.4.4: the hashed user name sent when the server asks for `userhash=true`.
pub fn userhash(alg: Algorithm, username: &str, realm: &str) -> String {
    alg.hex(format!("{username}:{realm}").as_bytes())
}

/// Why a Digest response could not be computed for a challenge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DigestError {
    #[error("the Digest challenge has no nonce")]
    NoNonce,
    #[error("the server asks for Digest algorithm {0:?}, which authdoctor does not implement")]
    UnsupportedAlgorithm(String),
    #[error("the server offers qop {0:?}, none of which is auth or auth-int")]
    UnsupportedQop(String),
    /// RFC 7616 §3.4.2 hashes the client nonce into a `-sess` A1, but RFC 2617 §3.2.2 forbids
    /// sending one without a qop: no answer could be verified.
    #[error(
        "the server asks for Digest algorithm {0} without a qop, which no client can answer verifiably"
    )]
    SessWithoutQop(String),
}

/// The Digest challenge a client should answer among several: the one with the strongest
/// algorithm this module implements (RFC 7616 §3.7), the first on ties.
pub fn choose_challenge(challenges: &[Challenge]) -> Option<&Challenge> {
    let mut best: Option<(&Challenge, u8)> = None;
    for c in challenges.iter().filter(|c| c.is_scheme("digest")) {
        if let Some(a) = Algorithm::of(c.param("algorithm")) {
            let s = a.strength();
            if best.is_none_or(|(_, b)| s > b) {
                best = Some((c, s));
            }
        }
    }
    best.map(|(c, _)| c)
}

/// The qop a client picks from a challenge's list: `auth` when offered (it needs no body),
/// else `auth-int`; `None` when the challenge has no qop (RFC 2069 mode).
pub fn choose_qop(challenge: &Challenge) -> Result<Option<Qop>, DigestError> {
    let Some(list) = challenge.param("qop") else {
        return Ok(None);
    };
    let offered: Vec<Qop> = list.split(',').filter_map(Qop::parse).collect();
    if offered.contains(&Qop::Auth) {
        Ok(Some(Qop::Auth))
    } else if offered.contains(&Qop::AuthInt) {
        Ok(Some(Qop::AuthInt))
    } else {
        Err(DigestError::UnsupportedQop(list.to_string()))
    }
}

/// What a client adds to its answer that the challenge does not fix.
#[derive(Debug, Clone)]
pub struct ClientNonce<'a> {
    pub cnonce: &'a str,
    pub nc: u32,
}

/// The `Authorization` value answering `challenge` (scheme included). The password enters only
/// the hash; the returned string carries the user name (or its userhash) and the response.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    client: &ClientNonce<'_>,
) -> Result<String, DigestError> {
    let nonce = challenge.param("nonce").ok_or(DigestError::NoNonce)?;
    let alg_param = challenge.param("algorithm");
    let algorithm = Algorithm::of(alg_param)
        .ok_or_else(|| DigestError::UnsupportedAlgorithm(alg_param.unwrap_or("").to_string()))?;
    let qop = choose_qop(challenge)?;
    if algorithm.sess && qop.is_none() {
        return Err(DigestError::SessWithoutQop(algorithm.to_string()));
    }
    let realm = challenge.realm().unwrap_or("");
    let nc = format!("{:08x}", client.nc);
    let response = compute_response(&DigestInput {
        algorithm,
        username,
        password,
        realm,
        nonce,
        method,
        uri,
        qop,
        cnonce: client.cnonce,
        nc: &nc,
        body,
    });
    let hashed = challenge
        .param("userhash")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut out = String::from("Digest ");
    if hashed {
        push_quoted(&mut out, "username", &userhash(algorithm, username, realm));
    } else if username.is_ascii() && !username.contains(['"', '\\']) {
        push_quoted(&mut out, "username", username);
    } else {
        // RFC 7616 §3.4.4: a name a quoted-string cannot carry goes as RFC 8187 `username*`.
        let _ = write!(out, "username*=UTF-8''{}", ext_value_encode(username));
    }
    out.push_str(", ");
    push_quoted(&mut out, "realm", realm);
    out.push_str(", ");
    push_quoted(&mut out, "nonce", nonce);
    out.push_str(", ");
    push_quoted(&mut out, "uri", uri);
    let _ = write!(out, ", algorithm={algorithm}, ");
    push_quoted(&mut out, "response", &response);
    if let Some(q) = qop {
        let _ = write!(out, ", qop={}, nc={nc}, ", q.name());
        push_quoted(&mut out, "cnonce", client.cnonce);
    }
    if let Some(o) = challenge.param("opaque") {
        out.push_str(", ");
        push_quoted(&mut out, "opaque", o);
    }
    if hashed {
        out.push_str(", userhash=true");
    }
    Ok(out)
}

fn push_quoted(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// RFC 8187 percent-encoding of a UTF-8 value (attr-char kept as is).
fn ext_value_encode(v: &str) -> String {
    let mut s = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

/// The request-target (origin-form: path and query) of a URL, as a Digest `uri`.
pub fn request_target(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let mut t = u.path().to_string();
    if let Some(q) = u.query() {
        t.push('?');
        t.push_str(q);
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::challenge::parse_challenges;

    fn challenge(v: &str) -> Challenge {
        parse_challenges(&[v]).remove(0)
    }

    #[test]
    fn sess_and_auth_int_follow_the_rfc_formulas() {
        let alg = Algorithm::parse("md5-SESS").unwrap();
        assert!(alg.sess);
        let input = DigestInput {
            algorithm: alg,
            username: "u",
            password: "p",
            realm: "r",
            nonce: "n",
            method: "POST",
            uri: "/x",
            qop: Some(Qop::AuthInt),
            cnonce: "c",
            nc: "00000001",
            body: b"hello",
        };
        let h = |s: &str| alg.hex(s.as_bytes());
        let ha1 = h(&format!("{}:n:c", h("u:r:p")));
        let ha2 = h(&format!("POST:/x:{}", h("hello")));
        assert_eq!(
            compute_response(&input),
            h(&format!("{ha1}:n:00000001:c:auth-int:{ha2}"))
        );
    }

    #[test]
    fn choose_the_strongest_and_reject_unknown() {
        let chs = parse_challenges(&[
            "Digest realm=\"r\", nonce=\"1\", algorithm=MD5, Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256, Digest realm=\"r\", nonce=\"3\", algorithm=SHA3",
        ]);
        assert_eq!(choose_challenge(&chs).unwrap().param("nonce"), Some("2"));
        let bad = challenge("Digest realm=\"r\", nonce=\"1\", algorithm=SHA3");
        let err = authorization(
            &bad,
            "u",
            "p",
            "GET",
            "/",
            b"",
            &ClientNonce { cnonce: "c", nc: 1 },
        );
        assert_eq!(err, Err(DigestError::UnsupportedAlgorithm("SHA3".into())));
        let qop = challenge("Digest realm=\"r\", nonce=\"1\", qop=\"weird\"");
        assert!(matches!(
            choose_qop(&qop),
            Err(DigestError::UnsupportedQop(_))
        ));
    }

    #[test]
    fn sess_without_qop_is_refused_not_answered_unverifiably() {
        let c = parse_challenges(&["Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess"]);
        let client = ClientNonce { cnonce: "c", nc: 1 };
        assert_eq!(
            authorization(&c[0], "u", "p", "GET", "/", b"", &client),
            Err(DigestError::SessWithoutQop("MD5-sess".into()))
        );
    }
}
