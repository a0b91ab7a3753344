//! Compact JWS verification (RFC 7515 §5.2) with aws-lc-rs: split, decode strictly, refuse
//! `none` and unknown critical headers, check the key can produce the algorithm, verify.

use aws_lc_rs::{hmac, signature};
use serde_json::{Map, Value};

use crate::{Alg, JoseError, Jwk, KeyMaterial, b64};

/// A compact JWS taken apart (not yet verified).
#[derive(Debug, Clone, PartialEq)]
pub struct Parts {
    pub header: Map<String, Value>,
    pub payload: Vec<u8>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: what was signed.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Parts {
    pub fn alg_name(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

/// A verified token: which key and algorithm, and the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub alg: Alg,
    pub kid: Option<String>,
    pub header: Map<String, Value>,
    pub payload: Vec<u8>,
}

/// Split and strictly decode a compact JWS.
pub fn split_compact(token: &str) -> Result<Parts, JoseError> {
    let segs: Vec<&str> = token.split('.').collect();
    if segs.len() != 3 {
        return Err(JoseError::SegmentCount(segs.len()));
    }
    let hbytes = b64::decode(segs[0], "header")?;
    let header: Map<String, Value> =
        serde_json::from_slice(&hbytes).map_err(|e| JoseError::Json {
            what: "header",
            reason: e.to_string(),
        })?;
    let payload = b64::decode(segs[1], "payload")?;
    let signature = b64::decode(segs[2], "signature")?;
    Ok(Parts {
        header,
        payload,
        signing_input: format!("{}.{}", segs[0], segs[1]),
        signature,
    })
}

/// The algorithm of a header, refusing `none`, unknown names and critical extensions.
pub fn header_alg(header: &Map<String, Value>) -> Result<Alg, JoseError> {
    let name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JoseError::NoAlg)?;
    if name.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    let alg = Alg::from_name(name).ok_or_else(|| JoseError::AlgUnsupported(name.to_string()))?;
    if let Some(crit) = header.get("crit") {
        // No extension is understood here, so any `crit` (RFC 7515 §4.1.11) refuses the token.
        let first = crit
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        return Err(JoseError::CritUnsupported(first));
    }
    Ok(alg)
}

/// Verify a compact JWS with one key.
pub fn verify_compact(token: &str, key: &Jwk) -> Result<Verified, JoseError> {
    let p = split_compact(token)?;
    let alg = header_alg(&p.header)?;
    verify_parts(&p, alg, key)
}

/// Verify an HS* token with a secret the user supplied.
pub fn verify_hmac(token: &str, secret: &[u8]) -> Result<Verified, JoseError> {
    verify_compact(token, &Jwk::from_secret(secret))
}

/// Verify already-split parts with one key.
pub fn verify_parts(p: &Parts, alg: Alg, key: &Jwk) -> Result<Verified, JoseError> {
    check_signature(p, alg, key)?;
    Ok(Verified {
        alg,
        kid: p.kid().map(str::to_string),
        header: p.header.clone(),
        payload: p.payload.clone(),
    })
}

/// The signature check of [`verify_parts`] alone (no copy of the header and payload): the key
/// must be usable for `alg`, the signature of the algorithm's length, and valid.
pub fn check_signature(p: &Parts, alg: Alg, key: &Jwk) -> Result<(), JoseError> {
    // Also refuses RSA keys under 2048 bits and empty HMAC secrets.
    key.check_usable_for(alg)?;
    let msg = p.signing_input.as_bytes();
    let sig = p.signature.as_slice();
    let mismatch = || JoseError::SignatureMismatch {
        alg: alg.name(),
        kid: key.kid_or_none(),
    };
    if !alg.signature_len_ok(sig.len()) {
        return Err(mismatch());
    }
    // `check_usable_for` guarantees the key type matches the algorithm's, so each arm below has
    // the parameters it needs.
    let ok = match &key.material {
        KeyMaterial::Oct { k } => {
            let a = alg.hmac_algorithm().ok_or_else(mismatch)?;
            hmac::verify(&hmac::Key::new(a, k), msg, sig).is_ok()
        }
        KeyMaterial::Rsa { .. } => {
            let params = alg.rsa_parameters().ok_or_else(mismatch)?;
            let (n, e) = key.material.rsa_components().ok_or_else(mismatch)?;
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, msg, sig)
                .is_ok()
        }
        KeyMaterial::Ec { point: raw, .. } | KeyMaterial::Okp { x: raw, .. } => {
            let v = alg.verification_algorithm().ok_or_else(mismatch)?;
            signature::UnparsedPublicKey::new(v, raw)
                .verify(msg, sig)
                .is_ok()
        }
        KeyMaterial::Spki { der, kty, .. } => {
            let v = alg.verification_algorithm().ok_or_else(mismatch)?;
            // aws-lc-rs reads SPKI DER for RSA and EC; Ed25519 wants the raw 32 bytes (the
            // SPKI's last 32).
            if *kty == "OKP" {
                let raw = &der[der.len().saturating_sub(32)..];
                signature::UnparsedPublicKey::new(v, raw)
                    .verify(msg, sig)
                    .is_ok()
            } else {
                signature::UnparsedPublicKey::new(v, der)
                    .verify(msg, sig)
                    .is_ok()
            }
        }
    };
    if ok { Ok(()) } else { Err(mismatch()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(secret: &[u8], header: &str, payload: &str) -> String {
        let si = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes())
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), si.as_bytes());
        format!("{si}.{}", b64::encode(tag.as_ref()))
    }

    #[test]
    fn hmac_round_trip_and_refusals() {
        let t = hs(b"k3y", r#"{"alg":"HS256"}"#, r#"{"a":1}"#);
        assert!(verify_hmac(&t, b"k3y").is_ok());
        assert_eq!(
            verify_hmac(&t, b"other").unwrap_err().code(),
            "signature-mismatch"
        );
        let t = hs(b"k3y", r#"{"alg":"none"}"#, r#"{"a":1}"#);
        assert_eq!(verify_hmac(&t, b"k3y").unwrap_err(), JoseError::AlgNone);
        let t = hs(b"k3y", r#"{"alg":"HS256","crit":["exp"]}"#, "{}");
        assert_eq!(
            verify_hmac(&t, b"k3y").unwrap_err().code(),
            "crit-unsupported"
        );
        assert_eq!(
            verify_hmac("a.b", b"k").unwrap_err(),
            JoseError::SegmentCount(2)
        );
    }

    /// A token signed by a DPoP proof key (any JWS works), with a hand-made header.
    fn signed(key: &crate::dpop::ProofKey, alg: &str) -> String {
        let si = format!(
            "{}.{}",
            b64::encode(format!(r#"{{"alg":"{alg}"}}"#).as_bytes()),
            b64::encode(br#"{"a":1}"#)
        );
        format!("{si}.{}", b64::encode(&key.sign(si.as_bytes()).unwrap()))
    }

    #[test]
    fn ecdsa_signatures_must_be_the_fixed_form() {
        let key = crate::dpop::ProofKey::generate_es256().unwrap();
        let jwk = Jwk::from_value(&key.public_jwk()).unwrap();
        let t = signed(&key, "ES256");
        assert!(verify_compact(&t, &jwk).is_ok());
        // The same r and s, DER-encoded (RFC 7518 §3.4 forbids it): refused as a mismatch.
        let (si, sig) = t.rsplit_once('.').unwrap();
        let rs = b64::decode(sig, "s").unwrap();
        let int = |b: &[u8]| {
            let b: Vec<u8> = b.iter().copied().skip_while(|&x| x == 0).collect();
            let mut out = vec![0x02];
            let pad = b[0] & 0x80 != 0;
            out.push((b.len() + usize::from(pad)) as u8);
            if pad {
                out.push(0);
            }
            out.extend(b);
            out
        };
        let body = [int(&rs[..32]), int(&rs[32..])].concat();
        let der = [vec![0x30, body.len() as u8], body].concat();
        let t = format!("{si}.{}", b64::encode(&der));
        assert_eq!(
            verify_compact(&t, &jwk).unwrap_err().code(),
            "signature-mismatch"
        );
        // Zero-padded to 65 bytes: the same.
        let t = format!("{si}.{}", b64::encode(&[rs.as_slice(), &[0]].concat()));
        assert_eq!(
            verify_compact(&t, &jwk).unwrap_err().code(),
            "signature-mismatch"
        );
    }

    #[test]
    fn rsa_exponent_with_leading_zeros_is_accepted() {
        let key = crate::dpop::ProofKey::generate(Alg::RS256).unwrap();
        let t = signed(&key, "RS256");
        let mut v = key.public_jwk();
        let e = b64::decode(v["e"].as_str().unwrap(), "e").unwrap();
        v["e"] = b64::encode(&[&[0, 0][..], &e].concat()).into();
        let jwk = Jwk::from_value(&v).unwrap();
        assert!(verify_compact(&t, &jwk).is_ok(), "the guard accepts it too");
    }
}
