//! The server's statement as a source of findings: when the answer says in words what went
//! wrong (an expired token, the wrong audience, a missing scope, no credential at all) and no
//! rule has produced that cause, the statement produces it, with "the server's message" as the
//! expectation's source. Where a rule already did, the cause's consistency table weighs the
//! statement in ([`super::consistency`]).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::statement::{Said, Strength};

/// The cause a statement class names, when the request makes it possible.
fn cause_for(said: Said, credential_sent: bool) -> Option<&'static str> {
    Some(match (said, credential_sent) {
        (Said::NoCredential, false) => "missing-credentials",
        (Said::Expired, true) => "token-expired",
        (Said::NotYetValid, true) => "token-not-yet-valid",
        (Said::Audience, true) => "audience-mismatch",
        (Said::Issuer, true) => "issuer-mismatch",
        (Said::Signature, true) => "signature-invalid",
        (Said::TokenType, true) => "wrong-token-type",
        (Said::Proof, _) => "dpop-proof",
        (Said::Scope, true) => "insufficient-scope",
        (Said::AccountState, _) => "account-disabled",
        (Said::Ip, _) => "ip-not-allowed",
        (Said::Mfa, _) => "mfa-required",
        (Said::Refused | Said::Unreadable, true) => "invalid-credentials",
        (Said::Permission, true) => "forbidden-not-unauthenticated",
        _ => return None,
    })
}

fn title(said: Said, words: &str) -> String {
    let what = match said {
        Said::NoCredential => "no credential arrived",
        Said::Expired => "the credential expired",
        Said::NotYetValid => "the token is not valid yet",
        Said::Audience => "the token is for another audience",
        Said::Issuer => "the token comes from another issuer",
        Said::Proof => "the proof of possession for the token is missing or wrong",
        Said::Signature => "the token's signature did not verify",
        Said::TokenType => "this is the wrong kind of token",
        Said::Scope => "the token lacks a scope this operation needs",
        Said::AccountState => "the account cannot be used",
        Said::Ip => "this client's address is not allowed",
        Said::Mfa => "a second factor or a fresher login is needed",
        Said::Unreadable => "it could not read the credential",
        Said::Refused => "the credential was refused",
        Said::Permission => "the identity is not permitted",
        Said::RateLimit | Said::NotAuth => "something other than the credential failed",
    };
    format!("The server says {what}: {words:?}")
}

fn fix(said: Said) -> Fix {
    match said {
        Said::NoCredential => Fix::new("send-credentials", "Send the credential the API expects", Effort::Easy)
            .step("Add the Authorization header (or the API's key header) to the request.")
            .step("Check the variable holding the token is not empty."),
        Said::Scope => Fix::new("request-scope", "Obtain a token with the scope the operation needs", Effort::Easy)
            .step("Request the token again with the missing scope (see the server's message)."),
        Said::Audience | Said::Issuer | Said::TokenType | Said::Signature => Fix::new(
            "obtain-new-token",
            "Obtain a token from the issuer this API trusts, for this API",
            Effort::Easy,
        )
        .step("Compare the token's iss, aud and type with what the server's message names."),
        Said::Expired | Said::NotYetValid => Fix::new("obtain-new-token", "Obtain a new token", Effort::Easy)
            .step("Get a fresh token; if a fresh one fails the same way, compare the clocks (see clock-skew)."),
        _ => Fix::new("read-server-message", "Act on what the server's message names", Effort::Medium)
            .step("The server's own words above say what to change."),
    }
}

/// What `--fix` does for a cause only the server's words named: what the cause's own rule
/// would declare.
fn action(ev: &Evidence, said: Said) -> Option<crate::fix::Action> {
    use crate::fix::Action;
    let service = Action::token_service_for(ev);
    match said {
        Said::NoCredential | Said::Refused | Said::Unreadable if service.is_some() => service,
        Said::NoCredential
        | Said::Refused
        | Said::Unreadable
        | Said::Expired
        | Said::Audience
        | Said::Issuer
        | Said::Signature
        | Said::TokenType => Action::new_token_for(ev),
        Said::Scope if service.is_some() => service,
        Said::Scope => Some(Action::NewToken {
            add_scopes: ev
                .challenges
                .iter()
                .flat_map(|c| c.scope())
                .map(str::to_string)
                .collect(),
        }),
        Said::Proof if ev.request.dpop_key.is_some() => Some(Action::SignDpop),
        _ => None,
    }
}

/// Causes that already say what a statement class says (a SigV4 or Digest failure, a client
/// certificate, a session): where one of them was found, the statement adds no finding.
fn covered_by(said: Said) -> &'static [&'static str] {
    match said {
        Said::NoCredential => &[
            "credentials-in-wrong-place",
            "client-certificate",
            "proxy-stripped-credentials",
            "redirect-dropped-credentials",
            "session-expired",
            "malformed-authorization-header",
        ],
        Said::Expired | Said::NotYetValid => &[
            "sigv4-expired-token",
            "sigv4-request-time-skewed",
            "session-expired",
            "clock-skew",
            "digest-failure",
        ],
        Said::Signature | Said::Refused | Said::Unreadable => &[
            "sigv4-signature-mismatch",
            "sigv4-expired-token",
            "sigv4-request-time-skewed",
            "digest-failure",
            "basic-encoding",
            "invalid-client",
            "client-certificate",
            "token-truncated",
            "malformed-authorization-header",
            "credential-formatting",
        ],
        _ => &[],
    }
}

/// Add the findings the statement names and no rule produced.
pub(crate) fn merge(ev: &Evidence, findings: &mut Vec<Finding>) {
    let Some(s) = &ev.statement else { return };
    // A vendor entry matched: its curated mapping of that vendor's codes decides.
    if !ev.vendor.is_empty() {
        return;
    }
    if s.strength != Strength::Explicit
        || (ev.status().is_none_or(|st| st < 400) && !ev.is_auth_failure())
    {
        return;
    }
    let Some(id) = cause_for(s.said, ev.has_any_credential()) else {
        return;
    };
    if findings
        .iter()
        .any(|f| f.id == id || covered_by(s.said).contains(&f.id))
    {
        return;
    }
    let Some(id) = super::CATALOGUE.iter().map(|c| c.id).find(|c| *c == id) else {
        return;
    };
    // A generic refusal only says the credential failed; a named claim says which check did.
    let grade = match s.said {
        Said::Refused | Said::Unreadable | Said::Permission => Grade::Plausible,
        _ => Grade::Probable,
    };
    let mut f = Finding::new(id, title(s.said, &s.words), grade).evidence_with(
        &format!("response.{}", s.source),
        format!("the server's message: {:?}", s.words),
        serde_json::json!({ "said": s.said, "expectation_source": "the server's message" }),
    );
    if let Some(scope) = &s.scope {
        f = f.evidence("response.scope", format!("the scope it names: {scope}"));
    }
    findings.push(f.fix(fix(s.said).action_opt(action(ev, s.said))));
}
