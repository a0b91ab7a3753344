//! Strict base64url (RFC 7515 §2, RFC 4648 §5 without padding): the alphabet `A–Z a–z 0–9 - _`,
//! no `=` padding, no whitespace, and no stray bits in the last character (a non-canonical
//! encoding is a modified token, which is what Wycheproof's "ModifiedPadding" cases test).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::JoseError;

/// Decode one base64url segment strictly. `what` names the segment in the error.
pub fn decode(s: &str, what: &'static str) -> Result<Vec<u8>, JoseError> {
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(JoseError::Base64 {
            what,
            reason: format!("character {c:?} is not base64url"),
        });
    }
    if s.len() % 4 == 1 {
        return Err(JoseError::Base64 {
            what,
            reason: "impossible length".into(),
        });
    }
    // The engine rejects non-zero trailing bits (non-canonical encodings) by default.
    URL_SAFE_NO_PAD.decode(s).map_err(|e| JoseError::Base64 {
        what,
        reason: e.to_string(),
    })
}

/// Encode without padding.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert_eq!(decode("YWJj", "x").unwrap(), b"abc");
        assert!(decode("YWJj=", "x").is_err(), "padding");
        assert!(decode("YW+j", "x").is_err(), "standard alphabet");
        assert!(decode("YWJ k", "x").is_err(), "whitespace");
        assert!(decode("YWJk", "x").is_ok());
        // "YQ" is canonical for "a"; "YR" has stray low bits.
        assert!(decode("YQ", "x").is_ok());
        assert!(decode("YR", "x").is_err(), "non-canonical trailing bits");
        assert!(decode("Y", "x").is_err());
    }
}
