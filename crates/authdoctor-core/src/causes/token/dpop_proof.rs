//! # dpop-proof
//!
//! ## What it detects
//! A sender-constrained token (RFC 9449 DPoP) without the proof that must go with it, or with a
//! proof that does not match the request: a DPoP-bound token (`cnf.jkt`) sent under `Bearer`,
//! `Authorization: DPoP` without a `DPoP` header, a proof that is malformed or unsigned, whose
//! `htm` or `htu` is not this request's method and URL, whose `iat` is outside the server's
//! window by its clock, whose `ath` is not the token's hash, whose key is not the one the token
//! is bound to, that lacks the nonce the server requires, or whose `jti` the server saw before.
//!
//! ## Why it gives 401
//! A DPoP-bound access token is only valid together with a fresh proof, signed by the key the
//! token is bound to, for exactly this method and URL, within seconds of now, carrying the
//! token's hash (and the server's nonce when it asks for one). Each mismatch makes the server
//! refuse the token — with a 401, or a 400 `invalid_dpop_proof` / `use_dpop_nonce` — although
//! the token itself is valid. A proof is one-time: replaying a request (a retry library, a copied
//! curl command) replays its proof, which servers that track `jti` refuse.
//!
//! ## Evidence used
//! - the request's `Authorization` scheme and the token's `cnf.jkt`;
//! - the `DPoP` header taken apart (header and claims; the signature checked with its own key);
//! - the request's method and URL, the server's clock (`Date`), the token's SHA-256 (`ath`);
//! - the answer's `WWW-Authenticate: DPoP` challenge, its `error`, and the `DPoP-Nonce` header.
//!
//! ## Fix
//! Send `Authorization: DPoP <token>` with a fresh proof for every request: `htm` the method,
//! `htu` the URL without query and fragment, `iat` now, a new `jti`, `ath` the token's hash,
//! the server's latest `DPoP-Nonce`, signed by the key the token was issued for.
//! `authdoctor check --dpop-key KEY` signs the proofs itself and answers a nonce challenge once.
//!
//! ## Example
//! ```text
//! -H 'Authorization: Bearer eyJ…'  (cnf.jkt: 0ZcOCORZ…)  ← 401 WWW-Authenticate: DPoP algs="ES256"
//! DPoP: eyJ0eXAiOiJkcG9wK2p3dCI…  (htu https://api.example.com/v1)  ← request went to /v2
//! ```
//!
//! ## References
//! RFC 9449 §4.2, §4.3, §7.1, §8, §9, §11.1; RFC 7638 (JWK thumbprint).

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::{Effort, Finding, Fix, Grade, Weight};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::statement::{Said, Strength};
use serde_json::json;

/// What the server says about the proof weighs in; the rule's own checks are exact.
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Proof]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "dpop-proof";

/// Servers accept proofs for seconds to minutes (RFC 9449 §11.1 leaves the window to them).
const SURELY_OLD: i64 = 300;
const LIKELY_OLD: i64 = 60;
const FUTURE: i64 = 60;

/// One thing wrong, with the field it is about.
struct Item {
    field: &'static str,
    text: String,
    grade: Grade,
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    let status = ev.status()?;
    if !matches!(status, 400 | 401 | 403) {
        return None;
    }
    let last = ev.exchanges.last()?;
    let scheme = ev
        .authorization
        .as_ref()
        .and_then(|a| a.scheme.clone())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let token = ev
        .authorization
        .as_ref()
        .map(|a| a.credential.trim().to_string())
        .filter(|t| !t.is_empty());
    let bound = ev
        .jws()
        .and_then(|j| j.claims.get("cnf"))
        .and_then(|c| c.get("jkt"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let server_error = ev.challenges.iter().find_map(|c| c.param("error"));
    let nonce_wanted = last
        .headers
        .first("dpop-nonce")
        .map(|n| n.trim().to_string());
    let says_nonce = server_error == Some("use_dpop_nonce")
        || ev
            .statement
            .as_ref()
            .is_some_and(|s| s.words.contains("use_dpop_nonce"));
    let says_proof = ev
        .statement
        .as_ref()
        .is_some_and(|s| s.strength == Strength::Explicit && s.said == Said::Proof)
        || server_error == Some("invalid_dpop_proof")
        || says_nonce;
    let relevant = bound.is_some() || scheme == "dpop" || ev.dpop.is_some() || says_proof;
    if !relevant {
        return None;
    }

    let mut items: Vec<Item> = Vec::new();
    if scheme == "bearer"
        && let Some(jkt) = &bound
    {
        items.push(Item {
            field: "scheme",
            text: format!(
                "the token is DPoP-bound (cnf.jkt {jkt}) but was sent as Bearer: a bound token goes under Authorization: DPoP with a proof (RFC 9449 §7.1)"
            ),
            grade: Grade::Confirmed,
        });
    }
    match &ev.dpop {
        None if scheme == "dpop" || (scheme == "bearer" && bound.is_some()) => items.push(Item {
            field: "proof",
            text: "no DPoP proof header was sent: every request with a DPoP-bound token needs a fresh proof (RFC 9449 §4, §7.1)".into(),
            grade: Grade::Certain,
        }),
        None => {}
        Some(seen) => proof_items(ev, seen, token.as_deref(), bound.as_deref(), &mut items),
    }
    if let Some(n) = &nonce_wanted {
        match ev.dpop.as_ref().and_then(|d| d.proof.nonce.as_deref()) {
            None if ev.dpop.is_some() || says_nonce => items.push(Item {
                field: "nonce",
                text: format!(
                    "the server requires a nonce (DPoP-Nonce: {n}) and the proof carries none (RFC 9449 §9)"
                ),
                grade: Grade::Certain,
            }),
            Some(got) if got != n => items.push(Item {
                field: "nonce",
                text: format!(
                    "the proof's nonce is {got}, but the server now wants {n} (DPoP-Nonce; RFC 9449 §9)"
                ),
                grade: Grade::Certain,
            }),
            _ => {}
        }
    } else if says_nonce && ev.dpop.is_some() {
        items.push(Item {
            field: "nonce",
            text: "the server answers use_dpop_nonce: it requires a nonce in the proof (RFC 9449 §8, §9)".into(),
            grade: Grade::Clear,
        });
    }
    let words = ev
        .statement
        .as_ref()
        .map(|s| s.words.to_ascii_lowercase())
        .unwrap_or_default();
    if ev.dpop.as_ref().is_some_and(|d| !d.by_authdoctor)
        && (words.contains("replay") || words.contains("jti"))
    {
        items.push(Item {
            field: "jti",
            text: "the server says the proof was used before (its jti was seen): a proof is one-time — a retried or copied request carries a stale proof (RFC 9449 §11.1)".into(),
            grade: Grade::Certain,
        });
    }
    if items.is_empty() {
        if !says_proof {
            return None;
        }
        let said = ev
            .statement
            .as_ref()
            .map(|s| s.words.clone())
            .or_else(|| server_error.map(str::to_string))
            .unwrap_or_default();
        items.push(Item {
            field: "proof",
            text: format!("the server refused the DPoP proof: {said:?}"),
            grade: Grade::Probable,
        });
    }
    // Strongest first; equal grades keep the order the checks run in (the request's shape,
    // then the proof, then the server's nonce and replay).
    items.sort_by_key(|i| std::cmp::Reverse(i.grade));
    let first = &items[0];
    let mut f = Finding::new(
        ID,
        format!("The DPoP proof does not fit: {}", first.text),
        first.grade,
    );
    for i in &items {
        f = f.evidence_with(
            "request.header.dpop",
            i.text.clone(),
            json!({ "field": i.field }),
        );
    }
    if let Some(seen) = &ev.dpop {
        let p = &seen.proof;
        f = f.evidence_with(
            "request.header.dpop",
            format!(
                "the proof as sent{}: htm {}, htu {}, iat {}, jti {}, ath {}, nonce {}, key thumbprint {}",
                if seen.by_authdoctor { " (signed by authdoctor with --dpop-key)" } else { "" },
                p.htm.as_deref().unwrap_or("(none)"),
                p.htu.as_deref().map(crate::secret::redact_url).unwrap_or_else(|| "(none)".into()),
                p.iat.map_or_else(|| "(none)".into(), |i| i.to_string()),
                p.jti.as_deref().unwrap_or("(none)"),
                p.ath.as_deref().unwrap_or("(none)"),
                p.nonce.as_deref().unwrap_or("(none)"),
                p.jkt.as_deref().unwrap_or("(none)"),
            ),
            {
                // The proof's claims as shown: a malformed `htu` may carry a query, and a query
                // may carry a credential.
                let mut claims = p.claims.clone();
                if let Some(h) = claims.get("htu").and_then(|v| v.as_str()) {
                    claims["htu"] = crate::secret::redact_url(h).into();
                }
                json!({ "header": p.header, "claims": claims })
            },
        );
    }
    let mut fix = Fix::new(
        "sign-dpop-proof",
        "Send the token under DPoP with a fresh proof for this exact request",
        Effort::Easy,
    )
    .step("Use 'Authorization: DPoP <token>' and a new DPoP header on every request (never reuse one).")
    .step("Sign it with the key the token was issued for: htm = the method, htu = the URL without query, iat = now, ath = base64url(SHA-256(token)), nonce = the server's latest DPoP-Nonce.")
    .step("Or let authdoctor sign: authdoctor check --dpop-key KEY.jwk -H 'Authorization: DPoP <token>' <url>");
    if ev.request.dpop_key.is_some() {
        fix = fix.action(crate::fix::Action::SignDpop);
    }
    Some(f.fix(fix))
}

/// What is wrong with the proof that was sent, field by field.
fn proof_items(
    ev: &Evidence,
    seen: &crate::evidence::DpopSeen,
    token: Option<&str>,
    bound: Option<&str>,
    items: &mut Vec<Item>,
) {
    use crate::jose::dpop;
    let p = &seen.proof;
    if seen.several {
        items.push(Item {
            field: "proof",
            text: "more than one DPoP header was sent: exactly one is allowed (RFC 9449 §4.3)"
                .into(),
            grade: Grade::Clear,
        });
    }
    for problem in &p.problems {
        items.push(Item {
            field: "proof",
            text: format!("{problem} (RFC 9449 §4.2, §4.3)"),
            grade: Grade::Certain,
        });
    }
    // The hop the proof went with: the user's request, or (signed here) the last hop.
    let (method, url) = match (seen.by_authdoctor, ev.exchanges.last()) {
        (true, Some(x)) => (x.method.clone(), x.url.clone()),
        _ => (ev.request.method.clone(), ev.request.url.to_string()),
    };
    if let Some(htm) = &p.htm
        && htm != method.trim()
    {
        items.push(Item {
            field: "htm",
            text: format!(
                "the proof's htm is {htm}, but the request's method is {}",
                method.trim()
            ),
            grade: Grade::Certain,
        });
    }
    if let Some(htu) = &p.htu {
        let want = dpop::normalize_htu(&url);
        if dpop::normalize_htu(htu).is_some() && dpop::normalize_htu(htu) != want {
            items.push(Item {
                field: "htu",
                text: format!(
                    "the proof's htu is {}, but the request went to {} (compared without query and fragment, RFC 9449 §4.3)",
                    crate::secret::redact_url(htu),
                    crate::secret::redact_url(want.as_deref().unwrap_or(&url)),
                ),
                grade: Grade::Certain,
            });
        }
    }
    if let Some(iat) = p.iat {
        let (now, whose) = match ev.server_clock {
            Some(c) => (c.date, "the server's clock (its Date)"),
            None => (ev.now, "the local clock"),
        };
        let age = now - iat;
        if age > LIKELY_OLD {
            items.push(Item {
                field: "iat",
                text: format!(
                    "the proof's iat is {age} s before {whose}: servers accept a proof for seconds to a few minutes after it is made (RFC 9449 §11.1) — a saved or copied proof is stale"
                ),
                grade: if age > SURELY_OLD {
                    Grade::Certain
                } else {
                    Grade::Likely
                },
            });
        } else if -age > FUTURE {
            items.push(Item {
                field: "iat",
                text: format!(
                    "the proof's iat is {} s after {whose}: the signer's clock is ahead",
                    -age
                ),
                grade: Grade::Clear,
            });
        }
    }
    if let Some(t) = token {
        let want = dpop::ath(t);
        match &p.ath {
            None => items.push(Item {
                field: "ath",
                text: "the proof has no ath claim: with an access token it must carry the token's hash (RFC 9449 §4.2)".into(),
                grade: Grade::Certain,
            }),
            Some(a) if *a != want => items.push(Item {
                field: "ath",
                text: format!(
                    "the proof's ath is {a}, but the token's hash (base64url SHA-256) is {want}: the proof was made for another token"
                ),
                grade: Grade::Certain,
            }),
            _ => {}
        }
    }
    if let (Some(want), Some(got)) = (bound, p.jkt.as_deref())
        && want != got
    {
        items.push(Item {
            field: "jkt",
            text: format!(
                "the proof is signed by the key with thumbprint {got}, but the token is bound to cnf.jkt {want}: sign with the key the token was issued for"
            ),
            grade: Grade::Certain,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::jose::dpop::{ProofClaims, ProofKey};

    fn jwt_with_jkt(jkt: &str) -> String {
        jwt(serde_json::json!({"sub":"svc","cnf":{"jkt":jkt},"exp":4_000_000_000_i64}))
    }

    #[test]
    fn bound_token_as_bearer() {
        let k = ProofKey::generate_es256().unwrap();
        let t = jwt_with_jkt(&k.thumbprint());
        let ev = evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            401,
            &[("WWW-Authenticate", "DPoP algs=\"ES256\"")],
        );
        let f = super::check(&ev).unwrap();
        assert!(
            f.title.contains("Bearer") && f.title.contains("cnf.jkt"),
            "{}",
            f.title
        );
    }

    #[test]
    fn wrong_htu_and_key_are_named() {
        let k = ProofKey::generate_es256().unwrap();
        let other = ProofKey::generate_es256().unwrap();
        let t = jwt_with_jkt(&k.thumbprint());
        let proof = other
            .proof(&ProofClaims {
                htm: "GET",
                htu: "https://api.example.com/other",
                iat: NOW,
                jti: "j1",
                access_token: Some(&t),
                nonce: None,
            })
            .unwrap();
        let ev = evidence(
            &[("Authorization", &format!("DPoP {t}")), ("DPoP", &proof)],
            400,
            &[(
                "WWW-Authenticate",
                "DPoP error=\"invalid_dpop_proof\", algs=\"ES256\"",
            )],
        );
        let f = super::check(&ev).unwrap();
        let all: String = f.evidence.iter().map(|e| e.text.clone()).collect();
        assert!(all.contains("htu") && all.contains("cnf.jkt"), "{all}");
    }

    #[test]
    fn a_credential_in_a_malformed_htu_is_not_shown() {
        let k = ProofKey::generate_es256().unwrap();
        let t = jwt_with_jkt(&k.thumbprint());
        // Hand-made: proof() itself drops a query, a careless client may not.
        use base64::Engine;
        let e = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let proof = format!(
            "{}.{}.c2ln",
            e(serde_json::json!({"typ":"dpop+jwt","alg":"ES256","jwk":k.public_jwk()})),
            e(
                serde_json::json!({"htm":"GET","htu":"https://api.example.com/x?access_token=SECRETSECRETSECRET","iat":NOW,"jti":"j"})
            )
        );
        let ev = evidence(
            &[("Authorization", &format!("DPoP {t}")), ("DPoP", &proof)],
            401,
            &[("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"")],
        );
        let f = super::check(&ev).unwrap();
        let shown = serde_json::to_string(&f).unwrap();
        assert!(!shown.contains("SECRETSECRETSECRET"), "{shown}");
    }

    #[test]
    fn bearer_without_binding_is_not_dpop() {
        let ev = evidence(
            &[("Authorization", "Bearer abc.def")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        assert!(super::check(&ev).is_none());
    }
}
