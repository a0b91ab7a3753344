//! The harness of the `dpop_proof` cargo-fuzz target in `fuzz/fuzz_targets/`, shared with the
//! corpus replay test `tests/fuzz_replay.rs` so both run the same code. Not part of the API.
//!
//! The input is a DPoP proof. [`inspect_proof`](crate::dpop::inspect_proof) must never panic, and must agree with the strict
//! [`verify_proof`](crate::dpop::verify_proof) (given expectations read from the proof itself): a proof with no problems is
//! accepted, a proof with problems is refused with the first of them. `htu` normalisation is
//! idempotent, and the thumbprint of the header `jwk` never panics.

use crate::dpop::{
    DpopError, ProofExpectations, inspect_proof, jwk_thumbprint, normalize_htu, verify_proof,
};

/// The `dpop_proof` target.
pub fn dpop_proof(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let compact = text.trim();
    if let Some(n) = normalize_htu(compact) {
        assert_eq!(
            normalize_htu(&n).as_deref(),
            Some(n.as_str()),
            "normalisation is idempotent"
        );
    }
    let p = inspect_proof(compact);
    if let Some(jwk) = p.header.get("jwk") {
        let _ = jwk_thumbprint(jwk);
    }
    for problem in &p.problems {
        let _ = (problem.code(), problem.to_string());
    }
    if p.problems.is_empty() {
        assert!(
            p.signature_ok && p.alg.is_some() && p.jti.is_some() && p.iat.is_some(),
            "no problems means a signed proof with its claims: {p:?}"
        );
    }
    let htu = p.htu.clone().unwrap_or_default();
    let expect = ProofExpectations {
        htm: p.htm.as_deref().unwrap_or("GET"),
        htu: &htu,
        now: p.iat.unwrap_or(0),
        max_age_secs: 0,
        max_future_secs: 0,
        access_token: None,
        jkt: p.jkt.as_deref(),
        nonce: p.nonce.as_deref(),
        algs: &[],
    };
    match verify_proof(compact, &expect) {
        Ok(v) => {
            assert!(
                p.problems.is_empty(),
                "strict accepted what inspect refused: {p:?}"
            );
            assert!(v.signature_ok);
        }
        Err(DpopError::Proof(first)) => {
            assert_eq!(
                p.problems.first(),
                Some(&first),
                "strict and inspect disagree"
            );
        }
        Err(DpopError::TooLarge(_)) => {}
        Err(e) => {
            assert!(
                !p.problems.is_empty(),
                "refused a problem-free proof against its own claims: {e}"
            );
        }
    }
}
