//! Causes found by asking the identity provider and the resource: the token's signature against
//! the issuer's published keys, its `iss`/`aud`/scopes against what the API expects (flags,
//! profile, RFC 9728 metadata), revocation by RFC 7662 introspection, and the case where all of
//! that checks out and the server still refuses.

pub mod audience_mismatch;
pub mod issuer_mismatch;
pub mod server_rejected_valid_credentials;
pub mod signature_invalid;
pub mod token_revoked;

use crate::diagnosis::Finding;
use crate::idp::ClaimCheck;

/// Add a claim check as evidence: expected vs actual, with its source.
pub(crate) fn claim_evidence(f: Finding, c: &ClaimCheck) -> Finding {
    f.evidence_with(
        &format!("idp.claims.{}", c.claim),
        c.describe(),
        serde_json::json!({
            "claim": c.claim,
            "expected": c.expected,
            "actual": c.actual,
            "match": c.result,
            "expectation_source": c.source.to_string(),
        }),
    )
}
