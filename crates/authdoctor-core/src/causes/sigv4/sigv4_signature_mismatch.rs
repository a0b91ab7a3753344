//! # sigv4-signature-mismatch
//!
//! ## What it detects
//! An AWS Signature Version 4 request whose signature the server computed differently, with the
//! difference named: a signed header altered or dropped after signing (by a proxy or the HTTP
//! client), a path encoded twice, a missing or wrong `x-amz-content-sha256`, the wrong region or
//! service in the credential scope, a scope date that is not the `X-Amz-Date` day, or — when
//! the request is consistent with the secret given — a secret that is not the one AWS holds for
//! the access key.
//!
//! ## Why it gives 401
//! SigV4 has no challenge: the server rebuilds the canonical request from the bytes it received,
//! derives the signing key from its copy of the secret and the credential scope, and compares
//! HMACs. One byte of difference in any stage gives `SignatureDoesNotMatch` (403 for most
//! services) or EC2's `AuthFailure` (401), and the message never says which byte.
//!
//! ## Evidence used
//! - the request as sent: `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//!   Signature=…` (or a presigned URL's `X-Amz-*` parameters), `X-Amz-Date`, the host,
//!   `x-amz-content-sha256` and the body;
//! - with `-u KEY:SECRET`: the signature recomputed over the request as sent, and the single
//!   change after signing (a header value, the path encoding, the payload hash, the path rules)
//!   that reproduces the signature sent;
//! - AWS's error `<Code>`, and its `<CanonicalRequest>`/`<StringToSign>` (S3 echoes them),
//!   diffed line by line against ours.
//!
//! ## Fix
//! Sign the request exactly as it will be sent, last: after every header, path and body change,
//! with the region and service of the endpoint. Stop proxies from rewriting signed headers (or
//! sign fewer headers). S3 needs `x-amz-content-sha256`. If the request is consistent with your
//! secret, the secret is wrong for the key id: take the secret that belongs to that key (IAM →
//! Security credentials), or create a new key pair.
//!
//! ## Example
//! ```text
//! signed with Content-Type: application/x-www-form-urlencoded, a proxy appended
//! "; charset=utf-8" → 403 SignatureDoesNotMatch → signed header "content-type" was altered after
//! signing: signed as "application/x-www-form-urlencoded", sent as "…; charset=utf-8"
//! ```
//!
//! ## References
//! AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html);
//! "Troubleshoot signed requests" (reference_sigv-troubleshooting.html); curl `--aws-sigv4`.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::sigv4::diagnose::{self, Analysis, Difference};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "sigv4-signature-mismatch";

/// AWS codes that mean "the signature is wrong".
const MISMATCH_CODES: &[&str] = &[
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
];

pub fn check(ev: &Evidence) -> Option<Finding> {
    let analysis = diagnose::from_evidence(ev)?;
    let code = ev
        .last()
        .and_then(|x| crate::sigv4::parse::aws_error(&x.headers, &x.body))
        .map(|e| e.code);
    let code = code.as_deref();
    let failed = ev.is_auth_failure() || code.is_some_and(|c| MISMATCH_CODES.contains(&c));
    if !failed {
        return None;
    }
    let a = match analysis {
        Ok(a) => a,
        Err(e) => {
            // The header names SigV4 but cannot be read: the server cannot rebuild anything.
            return Some(
                Finding::new(
                    ID,
                    format!("The SigV4 Authorization header is incomplete: {e}"),
                    Grade::Likely,
                )
                .evidence(
                    "request.header.authorization",
                    format!("the AWS4-HMAC-SHA256 Authorization header cannot be read: {e}"),
                )
                .fix(resign_fix()),
            );
        }
    };
    let certain: Vec<&Difference> = a.differences.iter().filter(|d| d.is_certain()).collect();
    let grade = match code {
        Some(c) if MISMATCH_CODES.contains(&c) => Grade::Certain,
        // EC2 says AuthFailure for a wrong signature and for an unknown key alike: only a
        // recomputation or a named difference makes the signature the better explanation.
        Some("AuthFailure") if a.recomputed_matches.is_some() || !certain.is_empty() => {
            Grade::Probable
        }
        Some(_) => return None,
        None if !certain.is_empty() => Grade::Likely,
        None => return None,
    };
    let lead = certain
        .iter()
        .min_by_key(|d| priority(d))
        .copied()
        .or_else(|| a.differences.first());
    let title = match lead {
        Some(d) => format!("The SigV4 signature does not match: {}", headline(d)),
        None => "The SigV4 signature does not match the one the server computed".into(),
    };
    let mut f = Finding::new(ID, title, grade);
    if let (Some(c), Some(x)) = (code, ev.last()) {
        let msg = crate::sigv4::parse::aws_error(&x.headers, &x.body)
            .and_then(|e| e.message)
            .map(|m| format!(": {m:?}"))
            .unwrap_or_default();
        f = f.evidence(
            "response.body.code",
            format!("the server answered {} {c}{msg}", x.status),
        );
    }
    let mut diffs: Vec<&Difference> = a.differences.iter().collect();
    diffs.sort_by_key(|d| priority(d));
    for d in diffs {
        f = f.evidence_with(
            "sigv4.difference",
            format!("[{}] {}", d.stage(), d.describe()),
            json!({"stage": d.stage(), "certain": d.is_certain()}),
        );
    }
    f = f.evidence_with("sigv4.claims", claims(&a), claims_fields(&a));
    match a.recomputed_matches {
        Some(true) => {
            f = f.evidence("sigv4.signature", "recomputed with the secret you gave, over the request as sent: the signature matches the one sent")
        }
        Some(false) => {
            f = f.evidence("sigv4.signature", "recomputed with the secret you gave, over the request as sent: the signature differs from the one sent")
        }
        None => {
            f = f.evidence("sigv4.signature", "the secret access key was not given (-u KEY:SECRET), so the signature itself was not recomputed")
        }
    }
    f = f.evidence_with(
        "sigv4.canonical_request",
        format!("canonical request as sent: {:?}", a.canonical_shown()),
        json!({
            "canonical_request": a.canonical_shown(),
            "string_to_sign": a.string_to_sign,
            "server_canonical_request": a.server.as_ref().and_then(|s| s.canonical_request.as_deref()).map(diagnose::redact_canonical),
            "server_string_to_sign": a.server.as_ref().and_then(|s| s.string_to_sign.clone()),
        }),
    );
    f = f.fix(match lead {
        Some(Difference::SecretRejected { .. } | Difference::OnlyTheKeyDiffers) => secret_fix(),
        Some(Difference::KeyIdNotUsers { .. }) => secret_fix(),
        Some(Difference::RegionMismatch { .. } | Difference::ServiceMismatch { .. } | Difference::ScopeDateMismatch { .. }) => {
            Fix::new("fix-credential-scope", "Sign with the endpoint's region and service, for the day of X-Amz-Date", Effort::Easy)
                .step("Use the region and service of the host you call (curl: --aws-sigv4 'aws:amz:REGION:SERVICE').")
                .step("Take the scope's date from the same timestamp as X-Amz-Date (UTC).")
        }
        Some(Difference::ContentSha256Missing | Difference::ContentSha256Wrong { .. }) => {
            Fix::new("add-content-sha256", "Send x-amz-content-sha256 with the body's SHA-256", Effort::Easy)
                .step("Add the header before signing: the hex SHA-256 of the body, or UNSIGNED-PAYLOAD.")
                .command("-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'")
        }
        _ => resign_fix(),
    });
    Some(f)
}

/// Lower sorts first: differences proven by AWS or by recomputation lead.
fn priority(d: &Difference) -> u8 {
    use Difference::*;
    match d {
        ServerSawDifferent { .. } => 0,
        HeaderAlteredAfterSigning { .. } | PathEncodedTwice { .. } | PayloadDiffers { .. } => 1,
        QueryPlusAsSpace | PathRules { .. } => 2,
        SignedHeaderNotSent { .. } | NoDate => 3,
        ScopeDateMismatch { .. } | ContentSha256Missing | ContentSha256Wrong { .. } => 4,
        ServiceMismatch { .. } | RegionMismatch { .. } => 5,
        StringToSignDiffers { .. } => 6,
        KeyIdNotUsers { .. } => 7,
        OnlyTheKeyDiffers | SecretRejected { .. } => 8,
        SignatureNotFromSecret => 9,
        HostNotSigned => 10,
    }
}

/// The short form of a difference, for the title.
fn headline(d: &Difference) -> String {
    use Difference::*;
    match d {
        ServerSawDifferent { part, .. } => format!("AWS saw a different {part}"),
        HeaderAlteredAfterSigning { name, .. } => {
            format!("signed header {name:?} was altered after signing")
        }
        PathEncodedTwice { .. } => "the path was encoded twice".into(),
        PayloadDiffers { .. } => "the body changed after signing".into(),
        QueryPlusAsSpace => "'+' in the query was signed as a space".into(),
        PathRules { signer, .. } => format!("the path was canonicalised with {signer} rules"),
        SignedHeaderNotSent { name } => format!("signed header {name:?} was not sent"),
        NoDate => "the request has no X-Amz-Date".into(),
        ScopeDateMismatch { .. } => "the credential scope's date is not X-Amz-Date's day".into(),
        ContentSha256Missing => "S3 needs x-amz-content-sha256".into(),
        ContentSha256Wrong { .. } => "x-amz-content-sha256 is not the body's hash".into(),
        ServiceMismatch { scope, host } => {
            format!("signed for service {scope:?}, the endpoint is {host:?}")
        }
        RegionMismatch { scope, host } => {
            format!("signed for region {scope}, the endpoint is in {host}")
        }
        StringToSignDiffers { line, .. } => format!("AWS's string to sign differs in the {line}"),
        KeyIdNotUsers { .. } => "signed with another access key than -u gives".into(),
        OnlyTheKeyDiffers => "the secret access key is wrong for this key id".into(),
        SecretRejected { key_id } => {
            format!("the secret you gave is not AWS's secret for {key_id}")
        }
        SignatureNotFromSecret => {
            "the signature was not made with your secret over this request".into()
        }
        HostNotSigned => "host is not signed".into(),
    }
}

fn claims(a: &Analysis) -> String {
    let c = &a.claimed;
    format!(
        "signed in the {} with access key {}, scope {}, X-Amz-Date {}, SignedHeaders {}",
        match c.placement {
            crate::sigv4::parse::Placement::Header => "Authorization header",
            crate::sigv4::parse::Placement::Query => "query (presigned URL)",
        },
        c.credential.key_id,
        c.credential.scope,
        c.amz_date.as_deref().unwrap_or("(none)"),
        c.signed_headers.join(";"),
    )
}

fn claims_fields(a: &Analysis) -> serde_json::Value {
    let c = &a.claimed;
    json!({
        "algorithm": c.algorithm,
        "access_key_id": c.credential.key_id,
        "scope": c.credential.scope.to_string(),
        "amz_date": c.amz_date,
        "signed_headers": c.signed_headers,
        "security_token_present": c.has_security_token,
        "path_rules": if a.rules == crate::sigv4::canonical::PathRules::S3 { "s3" } else { "standard" },
    })
}

fn resign_fix() -> Fix {
    Fix::new(
        "resign-as-sent",
        "Sign the request last, exactly as it is sent",
        Effort::Medium,
    )
    .step("Make every change (headers, path, query, body) before signing, and none after.")
    .step("Keep proxies and HTTP clients from rewriting signed headers, or leave those headers unsigned.")
    .step("Encode the path once (S3) or let the SDK encode it; never pass an already-encoded path to a signer that encodes again.")
}

fn secret_fix() -> Fix {
    Fix::new(
        "check-secret-access-key",
        "Use the secret access key that belongs to this access key id",
        Effort::Easy,
    )
    .step("Compare the key id with IAM → Security credentials; a rotated key keeps no old secret.")
    .step("Check which profile or environment variables the client actually used (AWS_PROFILE, AWS_ACCESS_KEY_ID).")
    .step("If the secret is lost, create a new access key and deactivate the old one.")
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::model::{CredentialSource, Header};
    use crate::sigv4::sign::{SignOptions, Signer, sign_headers};
    use crate::sigv4::{Provider, diagnose::wire_request};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn signed_evidence(
        alter: impl Fn(&mut Vec<Header>),
        body: &str,
        with_secret: bool,
    ) -> crate::evidence::Evidence {
        let url = "https://sts.amazonaws.com/";
        let hs = vec![Header::new(
            "Content-Type",
            "application/x-www-form-urlencoded",
        )];
        let w = wire_request("POST", url, &hs).unwrap();
        let signer = Signer {
            provider: Provider::aws(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: None,
            region: "us-east-1".into(),
            service: "sts".into(),
            time: NOW,
        };
        let s = sign_headers(
            &w,
            b"Action=GetCallerIdentity",
            &signer,
            SignOptions::for_service("sts"),
        )
        .unwrap();
        let mut headers = hs;
        headers.extend(s.add);
        alter(&mut headers);
        let mut ev = evidence(&[], 403, &[]);
        ev.request.url = url.parse().unwrap();
        ev.request.method = "POST".into();
        ev.request.headers = headers.clone();
        ev.request.body = Some(b"Action=GetCallerIdentity".to_vec());
        if with_secret {
            ev.request.credential_source = Some(CredentialSource::UserFlag {
                user: "AKIDEXAMPLE".into(),
                password: Some(SECRET.into()),
            });
        }
        let x = ev.exchanges.last_mut().unwrap();
        x.url = url.into();
        x.request_headers = headers;
        x.body = body.as_bytes().to_vec();
        crate::evidence::Evidence::new(ev.request.clone(), ev.exchanges.clone(), None, None, NOW)
    }

    const MISMATCH: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></ErrorResponse>";

    #[test]
    fn altered_header_is_named_first() {
        let ev = signed_evidence(|h| h[0].value.push_str("; charset=utf-8"), MISMATCH, true);
        let f = super::check(&ev).unwrap();
        assert!(
            f.title.contains("\"content-type\" was altered"),
            "{}",
            f.title
        );
        assert_eq!(ids(&ev)[0], super::ID);
    }

    #[test]
    fn consistent_request_blames_the_secret() {
        let ev = signed_evidence(|_| {}, MISMATCH, true);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("not AWS's secret"), "{}", f.title);
        assert!(f.grade > Grade::Probable);
    }

    #[test]
    fn without_secret_still_reports_the_server_code() {
        let ev = signed_evidence(|_| {}, MISMATCH, false);
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Certain);
        let text = format!("{f:?}");
        assert!(!text.contains(SECRET));
    }

    #[test]
    fn unknown_key_is_not_a_mismatch() {
        let ev = signed_evidence(
            |_| {},
            "<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>",
            false,
        );
        assert!(super::check(&ev).is_none());
    }

    #[test]
    fn not_for_other_schemes() {
        let ev = evidence(&[("Authorization", "Bearer abc")], 401, &[]);
        assert!(super::check(&ev).is_none());
    }
}
