//! # insufficient-scope
//!
//! ## What it detects
//! The credential is valid but does not grant what this request needs: a Bearer challenge with
//! `error="insufficient_scope"`, a challenge `scope` the token's `scope`/`scp` claim does not
//! cover, or GitHub-style `X-Accepted-OAuth-Scopes` that `X-OAuth-Scopes` does not include.
//!
//! ## Why it gives 401
//! RFC 6750 §3.1 says this is a 403, but many servers answer 401. Tokens are requested with the
//! scopes of the first feature that needed them; a new endpoint needs more. Some issuers
//! silently drop unknown or unauthorised scopes, so the token lacks a scope that was asked for.
//!
//! ## Evidence used
//! - the challenge's `error` and `scope` parameters;
//! - the token's `scope`/`scp` claim;
//! - `X-Accepted-OAuth-Scopes` and `X-OAuth-Scopes` response headers.
//!
//! ## Fix
//! Request a token with the missing scope (and check the client is allowed to get it).
//! `authdoctor check --fix` re-requests the token with the scope added, via the profile.
//!
//! ## Example
//! ```text
//! WWW-Authenticate: Bearer error="insufficient_scope", scope="orders:write"
//! token scope: "orders:read"  → missing orders:write
//! ```
//!
//! ## References
//! RFC 6750 §3.1; RFC 6749 §3.3 (scope); GitHub REST API "scopes for OAuth apps".

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Weight;
use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::statement::Said;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::Said(&[Said::Scope]), Weight::Strong)],
    contradicts: &[],
};

pub const ID: &str = "insufficient-scope";

fn split(s: &str) -> Vec<String> {
    s.split([' ', ','])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    if let Some(f) = sas_permissions(ev) {
        return Some(f);
    }
    let last = ev.last()?;
    let granted = ev.jws().and_then(|j| j.scopes());
    // The strongest sign seen; none, no finding.
    let mut grade: Option<Grade> = None;
    let mut required: Vec<String> = Vec::new();
    let mut f = Finding::new(ID, "", Grade::Faint);

    if let Some(b) = ev.challenge("bearer") {
        if b.param("error").is_some_and(|e| e == "insufficient_scope") {
            grade = Some(Grade::Certain);
            f = f.evidence(
                "response.header.www-authenticate",
                "the server says error=\"insufficient_scope\"",
            );
        }
        if let Some(s) = b.param("scope") {
            required = split(s);
            f = f.evidence_with(
                "response.header.www-authenticate",
                format!("the challenge asks for scope {s:?}"),
                json!({ "required": required }),
            );
            if grade.is_none()
                && granted
                    .as_ref()
                    .is_some_and(|g| required.iter().any(|r| !g.contains(r)))
            {
                grade = Some(Grade::Probable);
            }
        }
    }
    if let Some(acc) = last.headers.first("x-accepted-oauth-scopes") {
        let accepted = split(acc);
        let have = last
            .headers
            .first("x-oauth-scopes")
            .map(split)
            .unwrap_or_default();
        // GitHub lists alternatives: any one accepted scope is enough, and scopes imply
        // narrower ones (`repo` grants `repo:status`).
        if !accepted.is_empty()
            && !accepted
                .iter()
                .any(|a| crate::vendor::github_scope_granted(&have, a))
        {
            grade = grade.max(Some(Grade::Probable));
            f = f.evidence_with(
                "response.header.x-accepted-oauth-scopes",
                format!(
                    "the endpoint accepts {acc:?}; the token has {:?}",
                    have.join(", ")
                ),
                json!({ "accepted": accepted, "granted": have }),
            );
            if required.is_empty() {
                required = accepted;
            }
        }
    }
    // scopes expected by a flag, the profile or the resource's RFC 9728 metadata,
    // judged against the token's scopes (or, for an opaque token, what introspection reports).
    if let Some(idp) = &ev.idp
        && let Some(c) = idp.failing("scope")
    {
        // Any one of several scopes would do: which one the API wants is a guess.
        grade = grade.max(Some(if c.any_of {
            Grade::Plausible
        } else {
            Grade::Probable
        }));
        f = crate::causes::idp::claim_evidence(f, c);
        if required.is_empty() {
            required = if c.any_of {
                c.expected.clone()
            } else {
                c.missing.clone()
            };
        }
        if let Some(i) = &idp.raw.introspection
            && granted.is_none()
        {
            f = f.evidence(
                "idp.introspection",
                format!(
                    "the issuer's introspection reports scope {:?} (client_id {})",
                    i.scope.as_deref().unwrap_or(""),
                    i.client_id.as_deref().unwrap_or("?")
                ),
            );
        }
    }
    // The scopes the API's own description declares for this operation, against the token's.
    if let Some(api) = &ev.api
        && !api.scopes.is_empty()
        && let Some(g) = &granted
    {
        let lacking: Vec<String> = api
            .scopes
            .iter()
            .filter(|s| !g.contains(s))
            .cloned()
            .collect();
        if !lacking.is_empty() {
            grade = grade.max(Some(Grade::Probable));
            f = f.evidence_with(
                "api.description",
                format!(
                    "the API's description ({}) declares scope {} for this operation",
                    crate::secret::redact_url(&api.url),
                    api.scopes.join(" ")
                ),
                json!({ "declared": api.scopes, "expectation_source": "the API's description" }),
            );
            if required.is_empty() {
                required = lacking;
            }
        }
    }
    let grade = grade?;
    let missing: Vec<String> = match &granted {
        Some(g) => {
            f = f.evidence_with(
                "token.claims.scope",
                format!("the token grants {:?}", g.join(" ")),
                json!({ "granted": g }),
            );
            required
                .iter()
                .filter(|r| !g.contains(r))
                .cloned()
                .collect()
        }
        None => required.clone(),
    };
    f.title = if missing.is_empty() {
        "The token lacks a scope this request needs".into()
    } else {
        format!("The token lacks the scope {}", missing.join(" "))
    };
    let want = if missing.is_empty() {
        "SCOPE".to_string()
    } else {
        missing.join(" ")
    };
    // A token-service challenge with -u credentials: its token request is the fix.
    let service = crate::fix::Action::token_service_for(ev);
    if service.is_some()
        && let Some(ts) = crate::http::token_service::TokenService::of(&ev.challenges)
    {
        f = f.fix(ts.fix(ev));
    }
    let add_scopes: Vec<String> = ev
        .challenges
        .iter()
        .flat_map(|c| c.scope())
        .map(str::to_string)
        .collect();
    Some(
        f.fix(
            Fix::new("request-scope", format!("Request a token that includes {want}"), Effort::Medium)
                .action_opt(service.is_none().then_some(crate::fix::Action::NewToken { add_scopes }))
                .step(format!("Ask the issuer for scope \"{want}\" (plus the scopes you already use)."))
                .step("Check the client is allowed that scope; some issuers drop disallowed scopes silently."),
        )
        .graded(grade),
    )
}

/// An Azure SAS whose permissions (`sp`) lack what the method needs: its scope, in effect.
fn sas_permissions(ev: &Evidence) -> Option<Finding> {
    use crate::token::signed_url::SignedUrlKind;
    let s = ev.signed_url.as_ref()?;
    if s.kind != SignedUrlKind::AzureSas {
        return None;
    }
    let sp = s.permissions.as_deref()?;
    // Blob service letters: r read, a add, c create, w write, d delete, l list.
    let needs: &[char] = match ev.request.method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" => &['r', 'l'],
        "PUT" => &['w', 'c'],
        "POST" => &['a', 'w', 'c'],
        "DELETE" => &['d'],
        _ => return None,
    };
    if sp.chars().any(|c| needs.contains(&c)) {
        return None;
    }
    let want: String = needs
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" or ");
    Some(
        Finding::new(
            ID,
            format!(
                "The SAS grants sp={sp}: a {} needs {want}",
                ev.request.method.to_ascii_uppercase()
            ),
            Grade::Clear,
        )
        .evidence_with(
            "request.query.sp",
            format!("the SAS's permissions are {sp:?}"),
            json!({ "sp": sp, "method": ev.request.method, "needs_any_of": needs }),
        )
        .fix(
            Fix::new(
                "new-sas-permissions",
                "Sign a SAS that grants the operation",
                Effort::Easy,
            )
            .step(format!("Generate the SAS again with sp including {want}.")),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use serde_json::json;

    #[test]
    fn challenge_error() {
        let t = jwt(json!({"scope":"orders:read", "exp": NOW + 600}));
        let ev = evidence(
            &[("Authorization", &format!("Bearer {t}"))],
            403,
            &[(
                "WWW-Authenticate",
                "Bearer error=\"insufficient_scope\", scope=\"orders:write\"",
            )],
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.title, "The token lacks the scope orders:write");
        assert_eq!(ids(&ev)[0], "insufficient-scope");
    }

    #[test]
    fn github_scope_hierarchy_is_respected() {
        let ev = evidence(
            &[("Authorization", "token ghp_x")],
            403,
            &[
                ("X-Accepted-OAuth-Scopes", "repo:status"),
                ("X-OAuth-Scopes", "repo"),
            ],
        );
        assert!(super::check(&ev).is_none());
    }

    #[test]
    fn github_headers() {
        let ev = evidence(
            &[("Authorization", "token ghp_x")],
            403,
            &[
                ("X-Accepted-OAuth-Scopes", "repo"),
                ("X-OAuth-Scopes", "read:user"),
            ],
        );
        assert!(super::check(&ev).unwrap().title.contains("repo"));
    }
}
