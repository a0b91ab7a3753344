//! Ranking by consistency: each cause declares, as data beside its rule ([`Profile`]), what must
//! hold for it at all (preconditions), which observations support it and which contradict it,
//! each with a named [`Weight`]. After the rules have spoken, [`apply`]:
//!
//! 1. drops a finding whose precondition is false (a cause about a missing credential when one
//!    was sent never wins);
//! 2. records every supporting observation in the finding's evidence and every contradicting one
//!    in its `against`, with the weight;
//! 3. moves the score by the weights (strong ±, weak ±), and a decisive contradiction sends the
//!    finding below every uncontradicted one ([`crate::diagnosis::rank`]) with a low band.
//!
//! Observations ([`Signal`]) are pure functions of [`Evidence`]: what was sent, what the server
//! says ([`crate::statement`]), what the probes saw, what the clocks say.

use crate::diagnosis::{EvidenceItem, Finding, Likelihood, Weight};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::statement::{Said, Strength};

/// An observation about one failing request.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// The request carried a credential (Authorization, API-key header, cookie, token parameter).
    CredentialSent,
    /// It carried none.
    NoCredentialSent,
    /// The server says, in words or a code, one of these.
    Said(&'static [Said]),
    /// The same request without the credential got the same status, challenge and statement:
    /// the credential makes no difference to the origin.
    AnonymousSame,
    /// Without the credential the origin answers differently: it reads the credential.
    AnonymousDiffers,
    /// A proxy is on the path (flag, environment, or a `Via` header).
    ProxyOnPath,
    /// No proxy is configured or announced.
    NoProxy,
    /// The local clock and the issuer's (the token's fresh `iat`) agree the token is valid, and
    /// only the server's clock says otherwise: the server's clock is the odd one out.
    ClocksAgreeTokenValid,
    /// The issuer's expectations (issuer, audience, keys) were checked.
    ExpectationsKnown,
    /// The credential's value is the user's: no recorder removed or masked it.
    ValueIsUsers,
    /// A recorder removed or masked the credentials (the negation of `ValueIsUsers`).
    RecorderRemoved,
}

impl Signal {
    /// The observation in words, for `authdoctor explain`.
    pub fn describe(&self) -> String {
        match self {
            Signal::CredentialSent => "a credential was sent (or the server says it read one)".into(),
            Signal::NoCredentialSent => "no credential was sent".into(),
            Signal::Said(c) => format!(
                "the server says {}",
                c.iter().map(|s| s.name()).collect::<Vec<_>>().join(" | ")
            ),
            Signal::AnonymousSame => "the request without the credential gets the same answer".into(),
            Signal::AnonymousDiffers => "the request without the credential gets another answer".into(),
            Signal::ProxyOnPath => "a proxy is on the path".into(),
            Signal::NoProxy => "no proxy is configured or announced".into(),
            Signal::ClocksAgreeTokenValid => {
                "the local and the issuer's clocks agree the token is valid; only the server's disagrees".into()
            }
            Signal::ExpectationsKnown => "the issuer's expectations are known".into(),
            Signal::ValueIsUsers => "the credential's value is the user's (not a recorder's redaction)".into(),
            Signal::RecorderRemoved => "the recorder removed or masked the credentials".into(),
        }
    }

    /// `Some(what was observed)` when the signal holds.
    pub fn observe(&self, ev: &Evidence) -> Option<String> {
        match self {
            Signal::CredentialSent => credential_sent(ev),
            Signal::NoCredentialSent => credential_sent(ev)
                .is_none()
                .then(|| "the request carried no credential".to_string()),
            Signal::Said(classes) => {
                let s = ev.statement.as_ref()?;
                (s.strength == Strength::Explicit && classes.contains(&s.said)).then(|| {
                    format!(
                        "the server says {:?} ({}, {})",
                        s.words,
                        s.said.name(),
                        s.source
                    )
                })
            }
            Signal::AnonymousSame => {
                let p = ev.probe(crate::model::ProbeKind::WithoutCredentials)?;
                (p.status.is_some() && p.differs == Some(false))
                    .then(|| format!("probe without-credentials: {}", p.verdict))
            }
            Signal::AnonymousDiffers => {
                let p = ev.probe(crate::model::ProbeKind::WithoutCredentials)?;
                (p.status.is_some() && p.differs == Some(true))
                    .then(|| format!("probe without-credentials: {}", p.verdict))
            }
            Signal::ProxyOnPath => {
                let via = ev.last().and_then(|x| x.headers.first("via"));
                match (&ev.proxy, via) {
                    (Some(p), _) => Some(format!("the request went through the proxy {}", p.url)),
                    (None, Some(v)) => Some(format!("the answer came through a proxy (Via: {v})")),
                    _ => None,
                }
            }
            Signal::NoProxy => {
                (ev.proxy.is_none() && ev.last().is_none_or(|x| !x.headers.has("via"))).then(|| {
                    "no proxy is configured or announced (no -x, no proxy variable, no Via)".into()
                })
            }
            Signal::ClocksAgreeTokenValid => clocks_agree_token_valid(ev),
            Signal::ValueIsUsers => ev
                .redacted_by_recorder
                .is_empty()
                .then(|| "no recorder removed or masked the credential".to_string()),
            Signal::RecorderRemoved => ev.redacted_by_recorder.first().map(|r| {
                format!(
                    "the recording cannot show it: {} = {:?}",
                    r.carrier, r.marker
                )
            }),
            Signal::ExpectationsKnown => ev
                .idp
                .as_ref()
                .filter(|i| {
                    let e = &i.expectations;
                    !(e.iss.is_empty() && e.aud.is_empty() && e.scope.is_empty())
                })
                .map(|_| {
                    "the issuer's expectations (issuer, audience or scope) are known".to_string()
                }),
        }
    }
}

/// A credential reached the server: the request carries one where credentials go, or the
/// server says it read one (it refused it, judged its claims, or knows whose it is) — a
/// credential in a place this reading does not know still counts then.
fn credential_sent(ev: &Evidence) -> Option<String> {
    if ev.has_any_credential() {
        return Some("the request carried a credential".to_string());
    }
    let s = ev.statement.as_ref()?;
    let words = s.source.is_body();
    (s.strength == Strength::Explicit && words && READ_A_CREDENTIAL.contains(&s.said)).then(|| {
        format!(
            "the server says it read a credential: {:?} ({})",
            s.words,
            s.said.name()
        )
    })
}

/// Statement classes that can only be said about a credential the server read: it could not
/// parse it, or judged its claims or signature. ("Refused" and "permission denied" are said to
/// anonymous requests too.)
pub const READ_A_CREDENTIAL: &[Said] = &[
    Said::Unreadable,
    Said::Expired,
    Said::NotYetValid,
    Said::Audience,
    Said::Issuer,
    Said::Signature,
    Said::TokenType,
    Said::Scope,
];

/// Two clocks against one: the token was minted moments ago by the issuer's clock (its `iat`
/// is within ten minutes of the local clock), it is valid by the local clock, and only the
/// server's `Date`, off by more than a minute, makes it expired or not yet valid.
fn clocks_agree_token_valid(ev: &Evidence) -> Option<String> {
    let j = ev.jws()?;
    let c = ev.server_clock?;
    let local = c.local;
    let offset = c.offset();
    if offset.abs() < 60 {
        return None;
    }
    let iat = j.time_claim("iat")?;
    let fresh = (local - 600..=local + 60).contains(&iat);
    let valid_locally = j.time_claim("exp").is_none_or(|e| e > local)
        && j.time_claim("nbf").is_none_or(|n| n <= local + 60);
    let invalid_by_server = j.time_claim("exp").is_some_and(|e| e <= c.date)
        || j.time_claim("nbf").is_some_and(|n| n > c.date)
        || iat > c.date + 60;
    // NTP, when asked, must not side with the server.
    let ntp_agrees = ev
        .ntp_offset()
        .is_none_or(|(off, _)| (off.round() as i64).abs() < (offset.abs() / 2).max(30));
    (fresh && valid_locally && invalid_by_server && ntp_agrees).then(|| {
        format!(
            "the token was issued {} s ago by the issuer's clock and is valid by this machine's; only the server's clock ({:+} s off) says otherwise",
            (local - iat).max(0),
            offset
        )
    })
}

/// A cause's consistency table.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Every one must hold, or the finding is not produced.
    pub requires: &'static [Signal],
    pub supports: &'static [(Signal, Weight)],
    pub contradicts: &'static [(Signal, Weight)],
}

impl Profile {
    /// The table as text (`authdoctor explain`); empty for a cause judged by its rule alone.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let w = |w: &Weight| format!("{w:?}").to_lowercase();
        for s in self.requires {
            out.push_str(&format!("- requires: {}\n", s.describe()));
        }
        for (s, wt) in self.supports {
            out.push_str(&format!("- supported ({}): {}\n", w(wt), s.describe()));
        }
        for (s, wt) in self.contradicts {
            out.push_str(&format!("- contradicted ({}): {}\n", w(wt), s.describe()));
        }
        out
    }

    /// A cause judged by its rule alone.
    pub const NONE: Profile = Profile {
        requires: &[],
        supports: &[],
        contradicts: &[],
    };
}

/// The statement classes that say something specific about the credential.
pub const SPECIFIC: &[Said] = &[
    Said::Expired,
    Said::NotYetValid,
    Said::Audience,
    Said::Issuer,
    Said::Signature,
    Said::TokenType,
    Said::Scope,
    Said::AccountState,
    Said::Ip,
    Said::Mfa,
];

/// Everything that says the credential was read and found wanting, or never arrived.
pub const ABOUT_CREDENTIAL: &[Said] = &[
    Said::NoCredential,
    Said::Unreadable,
    Said::Refused,
    Said::Expired,
    Said::NotYetValid,
    Said::Audience,
    Said::Issuer,
    Said::Signature,
    Said::TokenType,
];

fn item(signal: &Signal, text: String, weight: Weight) -> EvidenceItem {
    EvidenceItem {
        text,
        source: format!("consistency.{}", signal_name(signal)),
        fields: Default::default(),
        weight: Some(weight),
    }
}

fn signal_name(s: &Signal) -> &'static str {
    match s {
        Signal::CredentialSent => "credential-sent",
        Signal::NoCredentialSent => "no-credential-sent",
        Signal::Said(_) => "statement",
        Signal::AnonymousSame => "anonymous-same",
        Signal::AnonymousDiffers => "anonymous-differs",
        Signal::ProxyOnPath => "proxy-on-path",
        Signal::NoProxy => "no-proxy",
        Signal::ClocksAgreeTokenValid => "clocks",
        Signal::ExpectationsKnown => "expectations-known",
        Signal::ValueIsUsers => "value-is-users",
        Signal::RecorderRemoved => "recorder-removed",
    }
}

fn points(w: Weight) -> i16 {
    match w {
        Weight::Weak => 5,
        Weight::Strong => 15,
        Weight::Decisive => 40,
    }
}

/// Weigh one finding against its profile; `None` when a precondition is false.
pub fn weigh(ev: &Evidence, profile: &Profile, mut f: Finding) -> Option<Finding> {
    if profile.requires.iter().any(|s| s.observe(ev).is_none()) {
        return None;
    }
    let mut score = i16::from(f.score);
    for (s, w) in profile.supports {
        if let Some(text) = s.observe(ev) {
            score += points(*w);
            f.evidence.push(item(s, text, *w));
        }
    }
    for (s, w) in profile.contradicts {
        if let Some(text) = s.observe(ev) {
            score -= points(*w);
            f.against.push(item(s, text, *w));
        }
    }
    let mut f = f.with_score(score.clamp(1, 100) as u8);
    if f.decisively_contradicted() {
        f.likelihood = Likelihood::Low;
        f.score = f.score.min(39);
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::testkit::evidence;

    #[test]
    fn a_false_precondition_drops_the_finding_and_decisive_evidence_sinks_it() {
        let ev = evidence(&[], 403, &[]);
        let needs_credential = Profile {
            requires: &[Signal::CredentialSent],
            ..Profile::NONE
        };
        assert!(
            weigh(
                &ev,
                &needs_credential,
                Finding::new("x", "t", crate::diagnosis::Grade::Certain)
            )
            .is_none()
        );
        let sunk = Profile {
            contradicts: &[(Signal::NoCredentialSent, Weight::Decisive)],
            ..Profile::NONE
        };
        let f = weigh(
            &ev,
            &sunk,
            Finding::new("x", "t", crate::diagnosis::Grade::Confirmed),
        )
        .unwrap();
        assert!(f.decisively_contradicted() && f.score < 40 && f.likelihood == Likelihood::Low);
        assert_eq!(f.against[0].weight, Some(Weight::Decisive));
    }
}
