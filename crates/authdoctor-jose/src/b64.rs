//! Strict base64url (RFC 7515 §2, RFC 4648 §5 without padding): the alphabet `A–Z a–z 0–9 - _`,
//! no `=` padding, no whitespace, and no stray bits in the last character (a non-canonical
//! encoding is a modified token, which is what Wycheproof's "ModifiedPadding" cases test).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::JoseError;

/// Decode one base64url segment strictly. `what` names the segment in the error.
pub fn decode(s: &str, what: &'static str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|e| refusal(s, what, &e))
}

/// Decode one base64url segment strictly into `out` (no allocation), returning the decoded
/// length; an `out` too small for the segment is a refusal too. Same rules as [`decode`]: the
/// guard decodes every header and signature with this, into stack buffers.
#[inline]
pub fn decode_slice(s: &str, out: &mut [u8], what: &'static str) -> Result<usize, JoseError> {
    URL_SAFE_NO_PAD
        .decode_slice(s, out)
        .map_err(|e| refusal(s, what, &e))
}

/// Why `s` was refused. The engine (`URL_SAFE_NO_PAD`: padding must be absent, non-zero trailing
/// bits are refused) is the whole rule; this only names the problem, off the fast path.
#[cold]
fn refusal(s: &str, what: &'static str, e: &dyn std::fmt::Display) -> JoseError {
    let reason = if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        format!("character {c:?} is not base64url")
    } else if s.len() % 4 == 1 {
        "impossible length".into()
    } else {
        e.to_string()
    };
    JoseError::Base64 { what, reason }
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
        let mut buf = [0u8; 3];
        assert_eq!(decode_slice("YWJj", &mut buf, "x"), Ok(3));
        assert!(decode_slice("YR", &mut buf, "x").is_err(), "same rules");
        assert!(
            decode_slice("YWJjZA", &mut buf, "x").is_err(),
            "too long for the buffer"
        );
    }
}
