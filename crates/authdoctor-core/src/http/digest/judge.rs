//! Judging a Digest exchange that ended in 401: every protocol-level reason, most decisive
//! first, and — when the password is known — whether the response is the one it produces.

use serde::Serialize;

use super::compute::{Algorithm, DigestInput, Qop, compute_response};
use super::params::DigestParams;
use crate::http::challenge::Challenge;

/// One reason a Digest exchange failed, in the terms of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DigestProblem {
    /// The server's new challenge says `stale=true`: the nonce expired; the credentials were
    /// accepted as far as the server checked.
    StaleNonce,
    /// A parameter RFC 7616 §3.4 requires is missing from the Authorization header.
    MissingParam { name: &'static str },
    /// The client used an algorithm the server does not offer (or one nobody implements).
    UnsupportedAlgorithm { sent: String, offered: Vec<String> },
    /// The client's qop is not among those offered (or it sent none where one is required).
    QopMismatch {
        sent: Option<String>,
        offered: Vec<String>,
    },
    /// The client answered another protection space.
    RealmMismatch { sent: String, expected: String },
    /// The `uri` parameter is not the request-target of the request it came with.
    UriMismatch { sent: String, request: String },
    /// The nonce is not the one of the challenge the client answered.
    NonceNotFromChallenge { sent: String, issued: String },
    /// The response is exactly the one the given password produces: the protocol was followed,
    /// so the server's password (or user) differs.
    WrongPassword,
    /// The response is not what the given password produces with the parameters sent: the
    /// header was computed from another password, or by a client that gets the algorithm wrong.
    ResponseMismatch,
}

impl DigestProblem {
    /// A short stable phrase naming the reason (used in titles and JSON `reason` fields).
    pub fn reason(&self) -> &'static str {
        match self {
            DigestProblem::StaleNonce => "stale nonce",
            DigestProblem::MissingParam { .. } => "incomplete Authorization header",
            DigestProblem::UnsupportedAlgorithm { .. } => "unsupported algorithm",
            DigestProblem::QopMismatch { .. } => "qop mismatch",
            DigestProblem::RealmMismatch { .. } => "wrong realm",
            DigestProblem::UriMismatch { .. } => "wrong URI",
            DigestProblem::NonceNotFromChallenge { .. } => "nonce not from this challenge",
            DigestProblem::WrongPassword => "wrong password",
            DigestProblem::ResponseMismatch => "response does not match the password",
        }
    }

    /// One sentence with the expected and actual values.
    pub fn describe(&self) -> String {
        match self {
            DigestProblem::StaleNonce => "the server's new challenge says stale=true: the nonce the client used has expired, the credentials themselves were not refused".into(),
            DigestProblem::MissingParam { name } => format!("the Authorization header has no {name} parameter, which RFC 7616 §3.4 requires"),
            DigestProblem::UnsupportedAlgorithm { sent, offered } => format!(
                "algorithm sent: {sent}; the server offers: {}",
                list_or_none(offered)
            ),
            DigestProblem::QopMismatch { sent, offered } => format!(
                "qop sent: {}; the server offers: {}",
                sent.as_deref().unwrap_or("none"),
                list_or_none(offered)
            ),
            DigestProblem::RealmMismatch { sent, expected } => {
                format!("realm sent: {sent:?}; the server's realm: {expected:?}")
            }
            DigestProblem::UriMismatch { sent, request } => {
                format!("uri sent: {sent:?}; the request-target: {request:?}")
            }
            DigestProblem::NonceNotFromChallenge { sent, issued } => {
                format!("nonce sent: {sent:?}; the challenge issued: {issued:?}")
            }
            DigestProblem::WrongPassword => "the response sent is exactly the one computed from the given password and the parameters sent: the protocol was followed, the server holds another password for this user (or no such user)".into(),
            DigestProblem::ResponseMismatch => "the response sent is not the one the given password produces with the parameters sent: the header was computed from another password, or by a client that computes Digest differently".into(),
        }
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Whether the response could be checked against a known password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordCheck {
    /// No password known (a hand-written header, a HAR).
    Unknown,
    /// The response equals the one computed from the given password.
    Matches,
    Differs,
    /// The parameters sent do not allow computing one (unknown algorithm, missing nonce, …).
    NotComputable,
}

/// The judgement of one Digest exchange: every problem found, most decisive first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestVerdict {
    pub problems: Vec<DigestProblem>,
    pub password: PasswordCheck,
}

impl DigestVerdict {
    /// The reason that explains the 401 best.
    pub fn primary(&self) -> Option<&DigestProblem> {
        self.problems.first()
    }
}

/// What [`diagnose`] judges.
#[derive(Debug, Clone)]
pub struct DigestCase<'a> {
    /// The Digest challenges of the final 401 (the server's current offer).
    pub challenges: &'a [Challenge],
    /// The challenge the header answered, when recorded (an earlier hop); its nonce is the one
    /// the client should have used. Without it nonces are not compared: servers issue a fresh
    /// nonce with every 401.
    pub answered: Option<&'a Challenge>,
    pub sent: &'a DigestParams,
    /// The real user name and password, when the user gave them (`-u user:pass`).
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    pub method: &'a str,
    /// The request-target of the request that carried the header (path and query).
    pub request_target: &'a str,
    pub body: &'a [u8],
}

/// Judge one Digest exchange against the server's challenge (see [`diagnose`] for more context).
pub fn diagnose_digest(
    challenge: &Challenge,
    sent: &DigestParams,
    password: Option<&str>,
    method: &str,
    uri: &str,
) -> DigestVerdict {
    diagnose(&DigestCase {
        challenges: std::slice::from_ref(challenge),
        answered: None,
        sent,
        user: None,
        password,
        method,
        request_target: uri,
        body: &[],
    })
}

/// Judge a Digest exchange: stale nonce, algorithm, qop, realm, uri, nonce, then — when the
/// password is known — whether the response is the one it produces.
pub fn diagnose(case: &DigestCase<'_>) -> DigestVerdict {
    let sent = case.sent;
    let digest: Vec<&Challenge> = case
        .challenges
        .iter()
        .filter(|c| c.is_scheme("digest"))
        .collect();
    let mut problems = Vec::new();
    if digest.iter().any(|c| c.stale()) {
        problems.push(DigestProblem::StaleNonce);
    }
    for (name, v) in [
        ("username", &sent.username),
        ("realm", &sent.realm),
        ("nonce", &sent.nonce),
        ("uri", &sent.uri),
        ("response", &sent.response),
    ] {
        if v.is_none() {
            problems.push(DigestProblem::MissingParam { name });
        }
    }
    let sent_alg = Algorithm::of(sent.algorithm.as_deref());
    let sent_alg_name = sent
        .algorithm
        .clone()
        .unwrap_or_else(|| "MD5 (by default: no algorithm parameter)".into());
    let offered_algs: Vec<String> = digest
        .iter()
        .map(|c| c.param("algorithm").unwrap_or("MD5").to_string())
        .collect();
    let offered_parsed: Vec<Option<Algorithm>> = digest
        .iter()
        .map(|c| Algorithm::of(c.param("algorithm")))
        .collect();
    // The challenge this header corresponds to: same algorithm, else the first Digest one.
    let matching = digest
        .iter()
        .zip(&offered_parsed)
        .find(|(_, a)| sent_alg.is_some() && **a == sent_alg)
        .map(|(c, _)| *c);
    if !digest.is_empty() && (sent_alg.is_none() || matching.is_none()) {
        problems.push(DigestProblem::UnsupportedAlgorithm {
            sent: sent_alg_name,
            offered: offered_algs,
        });
    }
    if let Some(c) = matching.or_else(|| digest.first().copied()) {
        let offered_qop: Vec<String> = c
            .param("qop")
            .map(|l| {
                l.split(',')
                    .map(|q| q.trim().to_string())
                    .filter(|q| !q.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let qop_ok = match &sent.qop {
            Some(q) => offered_qop.iter().any(|o| o.eq_ignore_ascii_case(q)),
            // RFC 7616 §3.4: when the server sent qop, the client must choose one.
            None => offered_qop.is_empty(),
        };
        let qop_fields_ok = sent.qop.is_none() || (sent.cnonce.is_some() && sent.nc.is_some());
        if !qop_ok {
            problems.push(DigestProblem::QopMismatch {
                sent: sent.qop.clone(),
                offered: offered_qop,
            });
        } else if !qop_fields_ok {
            let name = if sent.cnonce.is_none() {
                "cnonce"
            } else {
                "nc"
            };
            problems.push(DigestProblem::MissingParam { name });
        }
        if let (Some(s), Some(e)) = (&sent.realm, c.realm())
            && s != e
        {
            problems.push(DigestProblem::RealmMismatch {
                sent: s.clone(),
                expected: e.to_string(),
            });
        }
    }
    if let Some(u) = &sent.uri
        && !uri_matches(u, case.request_target)
    {
        problems.push(DigestProblem::UriMismatch {
            sent: u.clone(),
            request: case.request_target.to_string(),
        });
    }
    if let (Some(a), Some(n)) = (case.answered, &sent.nonce)
        && let Some(issued) = a.param("nonce")
        && issued != n
    {
        problems.push(DigestProblem::NonceNotFromChallenge {
            sent: n.clone(),
            issued: issued.to_string(),
        });
    }
    let password = check_password(case, sent_alg);
    match password {
        PasswordCheck::Matches if problems.is_empty() => {
            problems.push(DigestProblem::WrongPassword)
        }
        PasswordCheck::Differs => problems.push(DigestProblem::ResponseMismatch),
        _ => {}
    }
    DigestVerdict { problems, password }
}

fn check_password(case: &DigestCase<'_>, alg: Option<Algorithm>) -> PasswordCheck {
    let s = case.sent;
    let Some(password) = case.password else {
        return PasswordCheck::Unknown;
    };
    let (Some(alg), Some(realm), Some(nonce), Some(uri), Some(resp), Some(sent_user)) = (
        alg,
        s.realm.as_deref(),
        s.nonce.as_deref(),
        s.uri.as_deref(),
        s.response.as_deref(),
        s.username.as_deref(),
    ) else {
        return PasswordCheck::NotComputable;
    };
    let qop = match s.qop.as_deref() {
        None => None,
        Some(q) => match Qop::parse(q) {
            Some(q) => Some(q),
            None => return PasswordCheck::NotComputable,
        },
    };
    // With userhash the header carries H(user:realm); the real name must come from the user.
    let username = match (s.userhash, case.user) {
        (false, _) => sent_user,
        (true, Some(u)) => u,
        (true, None) => return PasswordCheck::NotComputable,
    };
    let expected = compute_response(&DigestInput {
        algorithm: alg,
        username,
        password,
        realm,
        nonce,
        method: case.method,
        uri,
        qop,
        cnonce: s.cnonce.as_deref().unwrap_or(""),
        nc: s.nc.as_deref().unwrap_or(""),
        body: case.body,
    });
    if expected.eq_ignore_ascii_case(resp.trim()) {
        PasswordCheck::Matches
    } else {
        PasswordCheck::Differs
    }
}

/// Does the `uri` parameter name this request-target? Servers compare the origin-form; a
/// client talking through a proxy may send the absolute form, which names the same target.
fn uri_matches(sent: &str, target: &str) -> bool {
    if sent == target {
        return true;
    }
    match url::Url::parse(sent) {
        Ok(u) if u.has_host() => {
            let mut t = u.path().to_string();
            if let Some(q) = u.query() {
                t.push('?');
                t.push_str(q);
            }
            t == target
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::challenge::parse_challenges;
    use crate::http::digest::parse_authorization;

    fn challenge(v: &str) -> Challenge {
        parse_challenges(&[v]).remove(0)
    }

    fn sent(v: &str) -> DigestParams {
        parse_authorization(v).unwrap()
    }

    #[test]
    fn reasons() {
        let ch = challenge(
            "Digest realm=\"digest-realm\", nonce=\"new\", algorithm=MD5, qop=\"auth\", stale=true",
        );
        let base = "Digest username=\"bob\", realm=\"digest-realm\", nonce=\"old\", uri=\"/digest/\", response=\"00\", qop=auth, nc=00000001, cnonce=\"c\"";
        let v = diagnose_digest(&ch, &sent(base), None, "GET", "/digest/");
        assert_eq!(v.primary(), Some(&DigestProblem::StaleNonce));
        assert_eq!(v.password, PasswordCheck::Unknown);

        let ch =
            challenge("Digest realm=\"digest-realm\", nonce=\"n\", algorithm=MD5, qop=\"auth\"");
        let v = diagnose_digest(
            &ch,
            &sent(&base.replace("uri=\"/digest/\"", "uri=\"/digest/x\", algorithm=SHA-256")),
            None,
            "GET",
            "/digest/",
        );
        assert!(matches!(
            v.problems[0],
            DigestProblem::UnsupportedAlgorithm { .. }
        ));
        assert!(
            v.problems
                .iter()
                .any(|p| matches!(p, DigestProblem::UriMismatch { .. }))
        );

        let v = diagnose_digest(
            &ch,
            &sent(&base.replace("qop=auth", "qop=auth-int")),
            None,
            "GET",
            "/digest/",
        );
        assert_eq!(v.primary().unwrap().reason(), "qop mismatch");
        let v = diagnose_digest(
            &ch,
            &sent(&base.replace("realm=\"digest-realm\"", "realm=\"other\"")),
            None,
            "GET",
            "/digest/",
        );
        assert_eq!(v.primary().unwrap().reason(), "wrong realm");
        let v = diagnose_digest(&ch, &sent("Digest username=\"bob\""), None, "GET", "/");
        assert!(matches!(
            v.problems[0],
            DigestProblem::MissingParam { name: "realm" }
        ));

        // Nonces are compared only against the challenge actually answered.
        let answered = challenge("Digest realm=\"digest-realm\", nonce=\"issued\", qop=\"auth\"");
        let s = sent(base);
        let case = DigestCase {
            challenges: std::slice::from_ref(&ch),
            answered: Some(&answered),
            sent: &s,
            user: None,
            password: None,
            method: "GET",
            request_target: "/digest/",
            body: b"",
        };
        assert_eq!(
            diagnose(&case).primary().unwrap().reason(),
            "nonce not from this challenge"
        );
        // Absolute-form uri names the same target.
        assert!(uri_matches("http://h:1/digest/?a=b", "/digest/?a=b"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,200}", pw in proptest::option::of(".{0,20}")) {
            if let Some(p) = parse_authorization(&format!("Digest {s}")) {
                let ch = challenge("Digest realm=\"r\", nonce=\"n\", qop=\"auth\"");
                let _ = diagnose_digest(&ch, &p, pw.as_deref(), "GET", "/");
            }
        }
    }
}
