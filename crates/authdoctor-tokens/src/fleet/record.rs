//! The sealed form of a token set in the shared cache: nothing in Redis reveals a token, a
//! refresh token or a client secret, and one entry cannot be passed off as another.
//!
//! ```text
//! version (1 byte, 0x01) ‖ nonce (12 random bytes) ‖ AES-256-GCM(token set as JSON) ‖ tag (16)
//! AAD = version ‖ the Redis key name
//! ```
//!
//! A fresh random 96-bit nonce per write (a key seals few records: one per token lifetime per
//! key name, far below the 2^32 bound for random GCM nonces). Binding the key name as AAD makes
//! a record copied to another key (another client, scope or audience) fail authentication. The
//! key never leaves the process: it is read from its reference and kept in aws-lc's key object.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fmt;
use thiserror::Error;

/// The record format's version byte.
pub const VERSION: u8 = 1;
/// AES-256-GCM tag length.
const TAG_LEN: usize = 16;
/// Bytes of an AES-256 key.
pub const KEY_LEN: usize = 32;

/// Why a record was not accepted (it is then ignored and replaced, never returned).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("the record is truncated ({0} bytes)")]
    Truncated(usize),
    #[error("unknown record version {0}")]
    Version(u8),
    /// Wrong key, another key name, or altered bytes: AES-GCM cannot tell which, by design.
    #[error(
        "the record failed authentication (another encryption key, another key name, or altered)"
    )]
    Forged,
    #[error("no randomness for the nonce")]
    Random,
}

/// The cache's encryption key (32 bytes). Debug never shows it.
pub struct EncryptionKey {
    key: LessSafeKey,
    /// A short public fingerprint (SHA-256 of the key, first 4 bytes) so people can tell two
    /// hosts' keys apart without seeing them.
    fingerprint: String,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey(sha256:{})", self.fingerprint)
    }
}

/// Why a key was refused (never shows it).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    #[error("the encryption key is not base64")]
    NotBase64,
    #[error(
        "the encryption key is {0} bytes; it must be 32 random bytes (base64), e.g. `openssl rand -base64 32`"
    )]
    Length(usize),
}

impl EncryptionKey {
    /// From 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != KEY_LEN {
            return Err(KeyError::Length(bytes.len()));
        }
        let key =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| KeyError::Length(bytes.len()))?;
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        Ok(EncryptionKey {
            key: LessSafeKey::new(key),
            fingerprint: hex(&d.as_ref()[..4]),
        })
    }

    /// From base64 (standard or URL-safe, padding optional) of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let t = text.trim();
        let bytes = STANDARD
            .decode(t)
            .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
            .map_err(|_| KeyError::NotBase64)?;
        Self::from_bytes(&bytes)
    }

    /// A public fingerprint of the key (8 hex digits of its SHA-256).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Seal `plaintext` for the key name `name`.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<Vec<u8>, RecordError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| RecordError::Random)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(name)),
                &mut body,
            )
            .map_err(|_| RecordError::Random)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Open a record stored under `name`.
    pub fn open(&self, name: &str, record: &[u8]) -> Result<Vec<u8>, RecordError> {
        let Some((&version, rest)) = record.split_first() else {
            return Err(RecordError::Truncated(0));
        };
        if version != VERSION {
            return Err(RecordError::Version(version));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(RecordError::Truncated(record.len()));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| RecordError::Forged)?;
        let mut body = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad(name)), &mut body)
            .map_err(|_| RecordError::Forged)?;
        Ok(plain.to_vec())
    }
}

fn aad(name: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(1 + name.len());
    a.push(VERSION);
    a.extend_from_slice(name.as_bytes());
    a
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "authdoctor:v1:token:0123456789abcdef";

    fn key(b: u8) -> EncryptionKey {
        EncryptionKey::from_bytes(&[b; 32]).unwrap()
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let k = key(7);
        let a = k.seal(NAME, b"{\"access_token\":\"at-secret\"}").unwrap();
        let b = k.seal(NAME, b"{\"access_token\":\"at-secret\"}").unwrap();
        assert_eq!(a[0], VERSION);
        assert_eq!(a.len(), 1 + 12 + 28 + 16);
        assert_ne!(a, b, "same plaintext, different nonce → different record");
        assert_ne!(a[1..13], b[1..13]);
        assert_eq!(
            k.open(NAME, &a).unwrap(),
            b"{\"access_token\":\"at-secret\"}"
        );
        // The plaintext is nowhere in the record.
        assert!(!a.windows(9).any(|w| w == b"at-secret"));
    }

    #[test]
    fn another_key_is_refused() {
        let r = key(1).seal(NAME, b"x").unwrap();
        assert_eq!(key(2).open(NAME, &r), Err(RecordError::Forged));
    }

    #[test]
    fn a_record_moved_to_another_key_name_is_refused() {
        let k = key(1);
        let r = k.seal(NAME, b"x").unwrap();
        assert_eq!(
            k.open("authdoctor:v1:token:fedcba9876543210", &r),
            Err(RecordError::Forged)
        );
    }

    #[test]
    fn altered_truncated_and_unknown_versions_are_refused() {
        let k = key(1);
        let r = k.seal(NAME, b"hello").unwrap();
        for i in 1..r.len() {
            let mut bad = r.clone();
            bad[i] ^= 0x01;
            assert_eq!(k.open(NAME, &bad), Err(RecordError::Forged), "byte {i}");
        }
        assert_eq!(k.open(NAME, &[]), Err(RecordError::Truncated(0)));
        assert_eq!(k.open(NAME, &r[..20]), Err(RecordError::Truncated(20)));
        assert_eq!(k.open(NAME, &r[..r.len() - 1]), Err(RecordError::Forged));
        let mut v2 = r.clone();
        v2[0] = 2;
        assert_eq!(k.open(NAME, &v2), Err(RecordError::Version(2)));
        assert_eq!(
            k.open(NAME, b"{\"json\":1}"),
            Err(RecordError::Version(b'{'))
        );
    }

    #[test]
    fn keys_parse_from_base64_of_32_bytes_only() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
        let k = EncryptionKey::from_base64(&format!(" {b64}\n")).unwrap();
        assert_eq!(k.fingerprint().len(), 8);
        assert!(!format!("{k:?}").contains(&b64));
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([9u8; 32]);
        assert_eq!(
            EncryptionKey::from_base64(&url).unwrap().fingerprint(),
            k.fingerprint()
        );
        let short = base64::engine::general_purpose::STANDARD.encode([9u8; 16]);
        assert_eq!(
            EncryptionKey::from_base64(&short).err(),
            Some(KeyError::Length(16))
        );
        assert_eq!(
            EncryptionKey::from_base64("not base64!").err(),
            Some(KeyError::NotBase64)
        );
    }
}
