//! Reading a client's `Authorization: Digest …` back into its parameters.

use serde::Serialize;

use crate::http::challenge::{Challenge, parse_challenges};

/// RFC 8187 `UTF-8''…` / `ISO-8859-1''…` decoding; `None` when malformed.
fn ext_value_decode(v: &str) -> Option<String> {
    let mut parts = v.splitn(3, '\'');
    let charset = parts.next()?;
    let _lang = parts.next()?;
    let enc = parts.next()?;
    let mut bytes = Vec::with_capacity(enc.len());
    let raw = enc.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            let hex = enc.get(i + 1..i + 3)?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else {
        // ISO-8859-1 maps bytes to the first 256 code points one to one.
        Some(bytes.into_iter().map(char::from).collect())
    }
}

/// The parameters of a client's `Authorization: Digest …`, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DigestParams {
    /// `username`, or `username*` decoded. With `userhash`, this is the hash.
    pub username: Option<String>,
    pub realm: Option<String>,
    pub nonce: Option<String>,
    pub uri: Option<String>,
    /// The response hash (one-time; shown redacted in reports).
    #[serde(skip)]
    pub response: Option<String>,
    pub algorithm: Option<String>,
    pub cnonce: Option<String>,
    pub nc: Option<String>,
    pub qop: Option<String>,
    pub opaque: Option<String>,
    pub userhash: bool,
}

impl DigestParams {
    fn from_challenge(c: &Challenge) -> DigestParams {
        let get = |n: &str| c.param(n).map(str::to_string);
        DigestParams {
            username: get("username").or_else(|| c.param("username*").and_then(ext_value_decode)),
            realm: get("realm"),
            nonce: get("nonce"),
            uri: get("uri"),
            response: get("response"),
            algorithm: get("algorithm"),
            cnonce: get("cnonce"),
            nc: get("nc"),
            qop: get("qop"),
            opaque: get("opaque"),
            userhash: c
                .param("userhash")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        }
    }
}

/// Read a Digest `Authorization` value (`Digest username="…", …`). `None` when the value is not
/// of the Digest scheme or carries no parameters.
pub fn parse_authorization(value: &str) -> Option<DigestParams> {
    let c = parse_challenges(&[value]).into_iter().next()?;
    (c.is_scheme("digest") && !c.params.is_empty()).then(|| DigestParams::from_challenge(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = parse_authorization(&format!("Digest {s}"));
            let _ = ext_value_decode(&s);
        }
    }
}
