//! JWK and JWK Set parsing (RFC 7517, RFC 7518 §6, RFC 8037): each key becomes [`KeyMaterial`]
//! that aws-lc-rs verifies with directly, or a reason it cannot be used. A JWKS keeps its
//! unusable keys with their reasons, so a report can say "the issuer publishes kid X but it is
//! an encryption key" instead of "kid not found".
//!
//! Also reads SPKI public keys in PEM (`-----BEGIN PUBLIC KEY-----`), which some users have
//! instead of a JWK; the key type is read from the algorithm OID.

use serde_json::{Map, Value};

use crate::{Alg, JoseError, b64};

/// The public material of a key, ready for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// `point` is the uncompressed SEC1 encoding `04 || x || y`.
    Ec {
        crv: String,
        point: Vec<u8>,
    },
    Okp {
        crv: String,
        x: Vec<u8>,
    },
    Oct {
        k: Vec<u8>,
    },
    /// A DER SubjectPublicKeyInfo (from PEM); `kty`/`crv` read from its OIDs.
    Spki {
        kty: &'static str,
        crv: Option<&'static str>,
        der: Vec<u8>,
    },
}

impl KeyMaterial {
    pub fn kty(&self) -> &str {
        match self {
            KeyMaterial::Rsa { .. } => "RSA",
            KeyMaterial::Ec { .. } => "EC",
            KeyMaterial::Okp { .. } => "OKP",
            KeyMaterial::Oct { .. } => "oct",
            KeyMaterial::Spki { kty, .. } => kty,
        }
    }
    pub fn crv(&self) -> Option<&str> {
        match self {
            KeyMaterial::Ec { crv, .. } | KeyMaterial::Okp { crv, .. } => Some(crv),
            KeyMaterial::Spki { crv, .. } => *crv,
            _ => None,
        }
    }
    /// The RSA modulus and public exponent as aws-lc-rs takes them. The exponent is an unsigned
    /// big-endian integer (RFC 7518 §6.3.1.2); leading zero octets some issuers send are
    /// dropped here, so the diagnoser and the guard accept the same keys. (The modulus may not
    /// have one: [`Jwk::from_value`] refuses it.)
    pub fn rsa_components(&self) -> Option<(&[u8], &[u8])> {
        match self {
            KeyMaterial::Rsa { n, e } => Some((n, rsa_exponent(e))),
            _ => None,
        }
    }

    /// RSA modulus size in bits, when known.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            KeyMaterial::Rsa { n, .. } => {
                let lead = n.iter().take_while(|b| **b == 0).count();
                let n = &n[lead..];
                n.first()
                    .map(|b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize))
            }
            _ => None,
        }
    }
}

/// An RSA public exponent without leading zero octets (one zero kept for an all-zero value, which
/// aws-lc then refuses).
pub fn rsa_exponent(e: &[u8]) -> &[u8] {
    let i = e
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(e.len().saturating_sub(1));
    &e[i..]
}

/// One key of a JWKS with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    pub kid: Option<String>,
    /// The key's pinned algorithm (`alg` member), if any.
    pub alg: Option<String>,
    /// `use` member: `sig` or `enc`.
    pub use_: Option<String>,
    pub key_ops: Option<Vec<String>>,
    pub material: KeyMaterial,
}

fn field<'a>(m: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, JoseError> {
    m.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JoseError::BadKey(format!("member {name:?} is missing")))
}

/// An optional string member: absent is `None`, present but not a string refuses the key (a
/// `"use": 1` must not read as "no restriction").
fn opt_str<'a>(
    m: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, JoseError> {
    match m.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JoseError::BadKey(format!(
            "member {name:?} is not a string"
        ))),
    }
}

fn bytes(m: &Map<String, Value>, name: &'static str) -> Result<Vec<u8>, JoseError> {
    let s = field(m, name)?;
    b64::decode(s, "key member").map_err(|e| JoseError::BadKey(format!("{name}: {e}")))
}

fn coord_len(crv: &str) -> Option<usize> {
    match crv {
        "P-256" => Some(32),
        "P-384" => Some(48),
        "P-521" => Some(66),
        _ => None,
    }
}

impl Jwk {
    /// Parse one JWK, strictly: `kty` is required, `kid`/`alg`/`use` must be strings when
    /// present, `key_ops` an array of strings, members strict base64url, RSA moduli without a
    /// leading zero octet, EC coordinates and Ed25519 keys of their curve's exact size. Private
    /// members are ignored.
    pub fn from_value(v: &Value) -> Result<Jwk, JoseError> {
        let m = v
            .as_object()
            .ok_or_else(|| JoseError::BadKey("a JWK must be a JSON object".into()))?;
        // RFC 7517 §4.1: `kty` is required; a key without one is refused, not guessed at.
        let kty = opt_str(m, "kty")?.ok_or_else(|| JoseError::BadKey("no kty".into()))?;
        let material = match kty {
            "RSA" => {
                let n = bytes(m, "n")?;
                let e = bytes(m, "e")?;
                if n.first() == Some(&0) {
                    return Err(JoseError::BadKey(
                        "RSA modulus has a leading zero octet (RFC 7518 §6.3.1.1)".into(),
                    ));
                }
                KeyMaterial::Rsa { n, e }
            }
            "EC" => {
                let crv = field(m, "crv")?.to_string();
                let len = coord_len(&crv)
                    .ok_or_else(|| JoseError::BadKey(format!("curve {crv} is not supported")))?;
                let x = bytes(m, "x")?;
                let y = bytes(m, "y")?;
                if x.len() != len || y.len() != len {
                    return Err(JoseError::BadKey(format!(
                        "{crv} coordinates must be {len} bytes (x {}, y {})",
                        x.len(),
                        y.len()
                    )));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                KeyMaterial::Ec { crv, point }
            }
            "OKP" => {
                let crv = field(m, "crv")?.to_string();
                let x = bytes(m, "x")?;
                if crv == "Ed25519" && x.len() != 32 {
                    return Err(JoseError::BadKey(format!(
                        "an Ed25519 public key is 32 bytes, not {}",
                        x.len()
                    )));
                }
                KeyMaterial::Okp { crv, x }
            }
            "oct" => KeyMaterial::Oct { k: bytes(m, "k")? },
            other => return Err(JoseError::BadKey(format!("kty {other:?} is not supported"))),
        };
        let key_ops = match m.get("key_ops") {
            None => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| JoseError::BadKey("key_ops must be strings".into()))?,
            ),
            Some(_) => return Err(JoseError::BadKey("key_ops must be an array".into())),
        };
        Ok(Jwk {
            kid: opt_str(m, "kid")?.map(str::to_string),
            alg: opt_str(m, "alg")?.map(str::to_string),
            use_: opt_str(m, "use")?.map(str::to_string),
            key_ops,
            material,
        })
    }

    /// A symmetric key from raw secret bytes (the user's `--hs-secret-env`).
    pub fn from_secret(secret: &[u8]) -> Jwk {
        Jwk {
            kid: None,
            alg: None,
            use_: None,
            key_ops: None,
            material: KeyMaterial::Oct { k: secret.to_vec() },
        }
    }

    /// A public key from PEM SPKI text.
    pub fn from_pem(pem: &str) -> Result<Jwk, JoseError> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----") && !l.is_empty())
            .collect();
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| JoseError::BadKey(format!("PEM: {e}")))?;
        let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
        let (kty, crv) = if has(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]) {
            ("RSA", None)
        } else if has(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]) {
            let crv = if has(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]) {
                "P-256"
            } else if has(&[0x2b, 0x81, 0x04, 0x00, 0x22]) {
                "P-384"
            } else if has(&[0x2b, 0x81, 0x04, 0x00, 0x23]) {
                "P-521"
            } else if has(&[0x2b, 0x81, 0x04, 0x00, 0x0a]) {
                "secp256k1"
            } else {
                "unknown"
            };
            ("EC", Some(crv))
        } else if has(&[0x06, 0x03, 0x2b, 0x65, 0x70]) {
            ("OKP", Some("Ed25519"))
        } else if has(&[0x06, 0x03, 0x2b, 0x65, 0x71]) {
            ("OKP", Some("Ed448"))
        } else {
            return Err(JoseError::BadKey("PEM key of an unknown type".into()));
        };
        Ok(Jwk {
            kid: None,
            alg: None,
            use_: None,
            key_ops: None,
            material: KeyMaterial::Spki { kty, crv, der },
        })
    }

    /// Can this key verify `alg` tokens? Checks `use`, `key_ops`, the pinned `alg`, the key
    /// type, the curve, and last the key itself (RSA of at least 2048 bits, a non-empty HMAC
    /// secret), in that order, so the first reason is the most specific one. The one rule for
    /// the diagnoser and the guard (which pins each key to the algorithms that pass it).
    pub fn check_usable_for(&self, alg: Alg) -> Result<(), JoseError> {
        if let Some(u) = &self.use_
            && u != "sig"
        {
            return Err(JoseError::KeyNotForSigning(format!("use is {u:?}")));
        }
        if let Some(ops) = &self.key_ops
            && !ops.iter().any(|o| o == "verify")
        {
            return Err(JoseError::KeyNotForSigning(format!(
                "key_ops {:?} has no \"verify\"",
                ops
            )));
        }
        if let Some(ka) = &self.alg
            && ka != alg.name()
        {
            return Err(JoseError::KeyAlgMismatch {
                key_alg: ka.clone(),
                alg: alg.name(),
            });
        }
        let kty = self.material.kty();
        if kty != alg.kty() {
            return Err(JoseError::KeyCannotProduce {
                alg: alg.name(),
                kty: kty.to_string(),
                detail: String::new(),
            });
        }
        if let Some(want) = alg.curve()
            && self.material.crv() != Some(want)
        {
            return Err(JoseError::KeyCannotProduce {
                alg: alg.name(),
                kty: kty.to_string(),
                detail: format!(
                    " (curve {}, {} needs {want})",
                    self.material.crv().unwrap_or("?"),
                    alg.name()
                ),
            });
        }
        match &self.material {
            KeyMaterial::Oct { k } if k.is_empty() => {
                Err(JoseError::BadKey("empty HMAC secret".into()))
            }
            KeyMaterial::Rsa { .. } if self.material.rsa_bits().unwrap_or(0) < 2048 => {
                Err(JoseError::BadKey(format!(
                    "RSA key of {} bits; at least 2048 are required",
                    self.material.rsa_bits().unwrap_or(0)
                )))
            }
            _ => Ok(()),
        }
    }

    pub fn kid_or_none(&self) -> String {
        self.kid.clone().unwrap_or_else(|| "(no kid)".into())
    }
}

/// A parsed JWK Set: usable keys and the members that could not be read, with reasons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
    /// (index, kid if readable, reason) of members that are not usable keys.
    pub rejected: Vec<(usize, Option<String>, String)>,
}

impl Jwks {
    /// Parse `{"keys": [...]}`; a single JWK object is accepted as a set of one.
    pub fn parse(bytes: &[u8]) -> Result<Jwks, JoseError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|e| JoseError::Json {
            what: "JWK Set",
            reason: e.to_string(),
        })?;
        let list = match v.get("keys") {
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return Err(JoseError::Json {
                    what: "JWK Set",
                    reason: "\"keys\" is not an array".into(),
                });
            }
            None if v.get("kty").is_some() => vec![v],
            None => {
                return Err(JoseError::Json {
                    what: "JWK Set",
                    reason: "no \"keys\" member".into(),
                });
            }
        };
        let mut out = Jwks::default();
        for (i, k) in list.iter().enumerate() {
            match Jwk::from_value(k) {
                Ok(j) => out.keys.push(j),
                Err(e) => out.rejected.push((
                    i,
                    k.get("kid").and_then(Value::as_str).map(str::to_string),
                    e.to_string(),
                )),
            }
        }
        Ok(out)
    }

    /// Keys with this kid.
    pub fn by_kid(&self, kid: &str) -> Vec<&Jwk> {
        self.keys
            .iter()
            .filter(|k| k.kid.as_deref() == Some(kid))
            .collect()
    }

    /// Does the set mention this kid at all (usable or not)?
    pub fn has_kid(&self, kid: &str) -> bool {
        !self.by_kid(kid).is_empty()
            || self
                .rejected
                .iter()
                .any(|(_, k, _)| k.as_deref() == Some(kid))
    }

    pub fn kids(&self) -> Vec<String> {
        self.keys.iter().map(Jwk::kid_or_none).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_enc_keys_and_wrong_curves() {
        let k = Jwk::from_value(&json!({"kty":"oct","k":"c2VjcmV0","use":"enc"})).unwrap();
        assert!(matches!(
            k.check_usable_for(Alg::HS256),
            Err(JoseError::KeyNotForSigning(_))
        ));
        let k = Jwk::from_value(&json!({"kty":"oct","k":"c2VjcmV0"})).unwrap();
        assert!(matches!(
            k.check_usable_for(Alg::RS256),
            Err(JoseError::KeyCannotProduce { .. })
        ));
    }

    #[test]
    fn strict_members() {
        let bad = |v: Value| Jwk::from_value(&v).unwrap_err().code();
        // kty is required (RFC 7517 §4.1), not inferred from the members.
        assert_eq!(bad(json!({"k":"c2VjcmV0"})), "bad-key");
        // kid/alg/use of the wrong type do not read as "absent".
        assert_eq!(bad(json!({"kty":"oct","k":"c2VjcmV0","use":1})), "bad-key");
        assert_eq!(
            bad(json!({"kty":"oct","k":"c2VjcmV0","alg":["HS256"]})),
            "bad-key"
        );
        // RFC 7518 §6.3.1.1: no leading zero octet in the modulus.
        assert_eq!(bad(json!({"kty":"RSA","n":"AAEC","e":"AQAB"})), "bad-key");
        // An Ed25519 key is 32 bytes.
        assert_eq!(
            bad(json!({"kty":"OKP","crv":"Ed25519","x":"AAEC"})),
            "bad-key"
        );
        // key_ops present without "verify": not a verification key, whatever else it lists.
        let k = Jwk::from_value(&json!({"kty":"oct","k":"c2VjcmV0","key_ops":[]})).unwrap();
        assert_eq!(
            k.check_usable_for(Alg::HS256).unwrap_err().code(),
            "key-not-for-signing"
        );
        // An empty secret is usable for nothing.
        let k = Jwk::from_value(&json!({"kty":"oct","k":""})).unwrap();
        assert_eq!(
            k.check_usable_for(Alg::HS256).unwrap_err().code(),
            "bad-key"
        );
    }

    #[test]
    fn rsa_exponent_drops_leading_zeros() {
        assert_eq!(rsa_exponent(&[0, 0, 1, 0, 1]), &[1, 0, 1]);
        assert_eq!(rsa_exponent(&[1, 0, 1]), &[1, 0, 1]);
        assert_eq!(rsa_exponent(&[0, 0]), &[0]);
        assert_eq!(rsa_exponent(&[]), &[] as &[u8]);
    }

    #[test]
    fn jwks_keeps_rejected_members() {
        let s = Jwks::parse(
            br#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"},{"kty":"XX","kid":"b"}]}"#,
        )
        .unwrap();
        assert_eq!(s.keys.len(), 1);
        assert_eq!(s.rejected.len(), 1);
        assert!(s.has_kid("b"));
        assert!(s.by_kid("b").is_empty());
    }
}
