//! # digest-failure
//!
//! ## What it detects
//! HTTP Digest authentication (RFC 7616) failed, and why: a stale nonce, an algorithm the server
//! does not offer, a qop mismatch, the wrong realm or URI, a nonce that is not from the
//! server's challenge, an incomplete header, or — when the password is known (`-u user:pass`)
//! — a wrong password (the response is right for the password given) versus a response that
//! the given password does not produce.
//!
//! ## Why it gives 401
//! A Digest server never sees the password: it recomputes the response hash from its own
//! stored secret and the parameters the client sent (realm, nonce, uri, algorithm, qop, cnonce,
//! nc) and compares. Any parameter the server reads differently — an expired nonce, another
//! algorithm, a `uri` that is not the request's target, another protection space — gives a
//! different hash, and the server answers 401 with a new challenge exactly as for a wrong
//! password. Only `stale=true` in that challenge tells the two apart.
//!
//! ## Evidence used
//! - the client's `Authorization: Digest …` (sent by the user, or computed by authdoctor for
//!   `--digest`/`--anyauth`) and the request method and target it came with;
//! - the Digest challenges of the final 401 (`stale`, `algorithm`, `qop`, `realm`), and the
//!   challenge of the previous hop when authdoctor answered it (its nonce);
//! - the password given with `-u`, used only to recompute the response (never shown).
//!
//! ## Fix
//! Stale nonce: send the request again answering the new challenge (automatic with curl's
//! `--digest` and with `--fix`). Algorithm or qop: answer with one the server offers (curl
//! `--digest` picks it from the challenge). Realm or URI: compute the header for this
//! request's challenge and target, or let the client do it. Wrong password: check the password
//! (and the user) against the server's user file — e.g. Apache's `htdigest` entry for the realm.
//!
//! ## Example
//! ```text
//! curl --digest -u bob:wrong http://127.0.0.1:14601/digest/
//!   → 401, WWW-Authenticate: Digest realm="digest-realm", nonce="…", algorithm=MD5, qop="auth"
//! ```
//!
//! ## References
//! RFC 7616 §3.3 (challenge, `stale`), §3.4 (response), §3.7 (algorithm choice), §3.9
//! (examples); RFC 9110 §11.6.1; Apache mod_auth_digest (AH01794, AH01778).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::http::challenge::{self, Challenge};
use crate::http::digest::{self, DigestCase, DigestProblem, PasswordCheck};
use crate::model::{CredentialSource, HeaderList};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "digest-failure";

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_unauthorized() {
        return None;
    }
    let a = ev.authorization.as_ref()?;
    if !a.is_scheme("digest") {
        return None;
    }
    let sent = digest::parse_authorization(&a.raw)?;
    // The server no longer offers Digest at all: that is scheme-mismatch's story.
    ev.challenge("digest")?;
    let last = ev.last()?;
    let (user, password) = match &ev.request.credential_source {
        Some(CredentialSource::UserFlag { user, password }) => {
            (Some(user.as_str()), Some(password.as_deref().unwrap_or("")))
        }
        _ => (None, None),
    };
    // The challenge this header answered: the previous hop's 401, when authdoctor (or the
    // recording) has it; prefer the one whose nonce was used.
    let previous: Vec<Challenge> = ev
        .exchanges
        .len()
        .checked_sub(2)
        .and_then(|i| ev.exchanges.get(i))
        .filter(|x| x.status == 401)
        .map(|x| challenge::parse_challenges(&x.headers.all("www-authenticate")))
        .unwrap_or_default();
    let answered = previous
        .iter()
        .filter(|c| c.is_scheme("digest"))
        .find(|c| c.param("nonce").is_some() && c.param("nonce") == sent.nonce.as_deref())
        .or_else(|| digest::choose_challenge(&previous));
    let target = digest::request_target(&last.url).unwrap_or_else(|| "/".into());
    let body = ev.request.body.as_deref().unwrap_or(b"");
    let verdict = digest::diagnose(&DigestCase {
        challenges: &ev.challenges,
        answered,
        sent: &sent,
        user,
        password,
        method: &last.method,
        request_target: &target,
        body,
    });

    let primary = verdict.primary();
    let (reason, grade) = match primary {
        Some(DigestProblem::StaleNonce) => ("stale nonce", Grade::Certain),
        Some(DigestProblem::UnsupportedAlgorithm { .. }) => ("unsupported algorithm", Grade::Clear),
        Some(DigestProblem::WrongPassword) => ("wrong password", Grade::Clear),
        Some(p @ DigestProblem::ResponseMismatch) => (p.reason(), Grade::Probable),
        Some(p @ DigestProblem::NonceNotFromChallenge { .. }) => (p.reason(), Grade::Probable),
        Some(p) => (p.reason(), Grade::Clear),
        None => ("wrong user or password", Grade::Likely),
    };
    let title = match primary {
        Some(DigestProblem::StaleNonce) => {
            "Digest authentication failed: stale nonce — the server's nonce expired; retry with the new one".to_string()
        }
        Some(DigestProblem::WrongPassword) => format!(
            "Digest authentication failed: wrong password{} — the response is right for the password given",
            sent.username
                .as_deref()
                .filter(|_| !sent.userhash)
                .map(|u| format!(" for user {u:?}"))
                .unwrap_or_default()
        ),
        Some(p) => format!("Digest authentication failed: {} — {}", p.reason(), p.describe()),
        None => "Digest authentication failed: wrong user or password (no password given to check the response)".to_string(),
    };
    let mut f = Finding::new(ID, title, grade);
    for p in &verdict.problems {
        f = f.evidence_with(
            source_of(p),
            p.describe(),
            json!({ "reason": p.reason(), "problem": p }),
        );
    }
    let offered: Vec<String> = ev
        .challenges
        .iter()
        .filter(|c| c.is_scheme("digest"))
        .map(|c| c.to_string())
        .collect();
    f = f.evidence_with(
        "response.header.www-authenticate",
        format!("the server's Digest challenge: {}", offered.join(", ")),
        json!({ "reason": reason, "stale": ev.challenges.iter().any(|c| c.is_scheme("digest") && c.stale()) }),
    );
    f = f.evidence(
        "request.header.authorization",
        match verdict.password {
            PasswordCheck::Matches => "the response was recomputed from the password given with -u and the parameters sent: it matches",
            PasswordCheck::Differs => "the response was recomputed from the password given with -u and the parameters sent: it differs",
            PasswordCheck::NotComputable => "the response could not be recomputed from the parameters sent",
            PasswordCheck::Unknown => "no password was given (-u user:password), so the response could not be checked",
        },
    );
    Some(f.fix(fix_for(primary)))
}

fn source_of(p: &DigestProblem) -> &'static str {
    match p {
        DigestProblem::StaleNonce => "response.header.www-authenticate",
        _ => "request.header.authorization",
    }
}

fn fix_for(p: Option<&DigestProblem>) -> Fix {
    match p {
        Some(DigestProblem::StaleNonce) => Fix::new("digest-retry-new-nonce", "Retry with the server's new nonce", Effort::Easy)
            .action(crate::fix::Action::AnswerDigest)
            .step("The credentials were fine; the nonce expired. Answer the new challenge (curl --digest does it by itself).")
            .step("Do not reuse an Authorization: Digest header: each one is bound to a nonce that expires.")
            .command("curl --digest -u USER:PASSWORD URL"),
        Some(DigestProblem::UnsupportedAlgorithm { offered, .. }) => Fix::new("digest-use-offered-algorithm", format!("Use an algorithm the server offers ({})", offered.join(", ")), Effort::Easy)
            .step("Compute the response with the algorithm named in the server's challenge (curl --digest reads it from the challenge).")
            .step("If the client cannot do that algorithm, upgrade it or ask the server to offer another one."),
        Some(DigestProblem::QopMismatch { .. }) => Fix::new("digest-use-offered-qop", "Use a qop the server offers", Effort::Easy)
            .step("Send qop=auth (or auth-int) as the challenge lists it, with cnonce and nc."),
        Some(DigestProblem::RealmMismatch { .. } | DigestProblem::UriMismatch { .. } | DigestProblem::NonceNotFromChallenge { .. } | DigestProblem::MissingParam { .. }) => {
            Fix::new("digest-answer-this-challenge", "Compute the Digest header for this request and this challenge", Effort::Easy)
                .step("Use the realm and nonce of the server's latest challenge and this request's exact target (path and query) as uri.")
                .step("Let the client compute it: curl --digest -u USER:PASSWORD URL.")
                .command("curl --digest -u USER:PASSWORD URL")
        }
        Some(DigestProblem::ResponseMismatch) => Fix::new("digest-check-client", "Check the password the header was computed from, and the client's Digest code", Effort::Medium)
            .step("The header was not computed from the password given with -u: compare the two.")
            .step("Retry with curl --digest to rule out a client bug (wrong hash input, uri or method)."),
        Some(DigestProblem::WrongPassword) | None => Fix::new("check-password", "Check the user name and password", Effort::Medium)
            .step("The protocol was followed: the server's stored secret for this user and realm is different (or the user does not exist).")
            .step("Compare with the server's user file (Apache: htdigest entry user:realm:HA1) or reset the password."),
    }
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;
    use crate::model::{CredentialSource, Exchange, Header};

    const CH: &str = "Digest realm=\"digest-realm\", nonce=\"n2\", algorithm=MD5, domain=\"/digest/\", qop=\"auth\"";

    fn hdr(password: &str, nonce: &str) -> String {
        let ch = crate::http::challenge::parse_challenges(&[&CH.replace("n2", nonce)]).remove(0);
        crate::http::digest::authorization(
            &ch,
            "bob",
            password,
            "GET",
            "/v1/things",
            b"",
            &crate::http::digest::ClientNonce { cnonce: "c", nc: 1 },
        )
        .unwrap()
    }

    /// Two hops as the net layer records them: the bare request's 401, the answer's 401.
    fn live(password_sent: &str, password_known: &str, second: &str) -> Evidence {
        let mut r = request(&[]);
        r.credential_source = Some(CredentialSource::UserFlag {
            user: "bob".into(),
            password: Some(password_known.into()),
        });
        let first = response(401, &[("WWW-Authenticate", &CH.replace("n2", "n1"))]);
        let mut x: Exchange = response(401, &[("WWW-Authenticate", second)]);
        x.request_headers = vec![Header::new("Authorization", hdr(password_sent, "n1"))];
        Evidence::new(r, vec![first, x], None, None, NOW)
    }

    #[test]
    fn wrong_password_when_response_verifies() {
        let ev = live("nope", "nope", CH);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("wrong password"), "{}", f.title);
        assert_eq!(ids(&ev)[0], "digest-failure");
        assert!(!ids(&ev).contains(&"invalid-credentials"));
        assert!(!format!("{f:?}").contains("nope\""));
    }

    #[test]
    fn response_mismatch_when_another_password_was_used() {
        let ev = live("other", "nope", CH);
        assert!(
            super::check(&ev)
                .unwrap()
                .title
                .contains("response does not match")
        );
    }

    #[test]
    fn stale_nonce_is_automatic() {
        let ev = live("right", "right", &format!("{CH}, stale=true"));
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("stale nonce"));
        assert!(f.fixes[0].is_automatic());
    }

    #[test]
    fn hand_built_header_algorithm_and_uri() {
        let h = hdr("x", "n2").replace("algorithm=MD5", "algorithm=SHA-256");
        let ev = evidence(&[("Authorization", &h)], 401, &[("WWW-Authenticate", CH)]);
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("unsupported algorithm"), "{}", f.title);
        let h = hdr("x", "n2").replace("uri=\"/v1/things\"", "uri=\"/v1/other\"");
        let ev = evidence(&[("Authorization", &h)], 401, &[("WWW-Authenticate", CH)]);
        assert!(super::check(&ev).unwrap().title.contains("wrong URI"));
        // No password, nothing wrong visible: the generic reason, still first.
        let ev = evidence(
            &[("Authorization", &hdr("x", "n2"))],
            401,
            &[("WWW-Authenticate", CH)],
        );
        assert!(
            super::check(&ev)
                .unwrap()
                .title
                .contains("wrong user or password")
        );
        assert_eq!(ids(&ev)[0], "digest-failure");
    }

    #[test]
    fn silent_for_other_schemes_and_when_digest_is_not_offered() {
        let ev = evidence(
            &[("Authorization", "Basic YTpi")],
            401,
            &[("WWW-Authenticate", CH)],
        );
        assert!(super::check(&ev).is_none());
        let ev = evidence(
            &[("Authorization", &hdr("x", "n2"))],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        assert!(super::check(&ev).is_none());
    }
}
