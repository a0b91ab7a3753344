//! Answering a server's authentication challenge the way curl's `--digest` and `--anyauth` do:
//! the first request goes without credentials, the 401's challenge is read, and the request is
//! sent again with the computed `Authorization`. Both hops are recorded by [`crate::send`].
//!
//! Bounds, so that a server can never make us loop: one answer per URL, plus one retry when the
//! server's next 401 says `stale=true` (RFC 7616 §3.3: the nonce expired, the credentials were
//! fine, retry with the new nonce). The password enters only the Digest hash; the recorded
//! header carries the user name and a one-time response. `--anyauth` picks the strongest scheme
//! authdoctor can answer: Digest over Basic (curl also ranks Negotiate and NTLM above Digest;
//! those are not implemented, so a server offering only them gets no answer).

use authdoctor_core::http::challenge::{Challenge, parse_challenges};
use authdoctor_core::http::digest::{self, ClientNonce};
use authdoctor_core::input::AuthMethod;
use authdoctor_core::model::{CredentialSource, Exchange, HeaderList, RequestSpec};
use authdoctor_core::outbound::{Gate, Trust};
use base64::Engine as _;
use url::Url;

/// Where the challenge–response dance stands for the current URL.
#[derive(Debug, Default)]
pub(crate) struct ChallengeState {
    /// An answer was sent for this URL.
    answered: bool,
    /// The one `stale=true` retry was used.
    stale_retried: bool,
}

impl ChallengeState {
    /// A redirect starts over: the new URL may have its own protection space.
    pub(crate) fn reset(&mut self) {
        *self = ChallengeState::default();
    }

    /// The `Authorization` value to send the request again with, when `last` is a challenge
    /// this request should answer; `None` when it should not (not asked for, no credentials,
    /// the user wrote their own Authorization, nothing we can answer, or already answered).
    pub(crate) fn answer(
        &mut self,
        spec: &RequestSpec,
        last: &Exchange,
        url: &Url,
        body: &[u8],
    ) -> Option<String> {
        if last.status != 401 || !matches!(spec.auth_method, AuthMethod::Digest | AuthMethod::Any) {
            return None;
        }
        // curl: a header given with -H replaces the one it would compute.
        if spec.headers.has("authorization") {
            return None;
        }
        // The password (or a Digest response an attacker could crack offline) goes only where
        // the outbound gate lets the user's credentials go: not to a host a redirect reached.
        let gate = Gate::for_url(
            spec.url.as_str(),
            Trust {
                location_trusted: spec.location_trusted,
                named_hosts: Vec::new(),
            },
        );
        if !gate.decide(url, false).allows() {
            return None;
        }
        let Some(CredentialSource::UserFlag { user, password }) = &spec.credential_source else {
            return None;
        };
        let challenges = parse_challenges(&last.headers.all("www-authenticate"));
        let stale = challenges
            .iter()
            .any(|c| c.is_scheme("digest") && c.stale());
        // Once answered, only a stale nonce earns a (single) second answer.
        if self.answered && (!stale || self.stale_retried) {
            return None;
        }
        if self.answered {
            self.stale_retried = true;
        }
        let password = password.as_deref().unwrap_or("");
        let value = match digest::choose_challenge(&challenges) {
            Some(c) => digest_answer(c, user, password, &last.method, url, body)?,
            None if spec.auth_method == AuthMethod::Any
                && !self.answered
                && challenges.iter().any(|c| c.is_scheme("basic")) =>
            {
                let pair = format!("{user}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                )
            }
            None => return None,
        };
        self.answered = true;
        Some(value)
    }
}

fn digest_answer(
    c: &Challenge,
    user: &str,
    password: &str,
    method: &str,
    url: &Url,
    body: &[u8],
) -> Option<String> {
    let uri = digest::request_target(url.as_str())?;
    let cnonce = fresh_cnonce()?;
    // Each answer uses the nonce it was just given, so the nonce count starts at 1.
    digest::authorization(
        c,
        user,
        password,
        method,
        &uri,
        body,
        &ClientNonce {
            cnonce: &cnonce,
            nc: 1,
        },
    )
    .ok()
}

/// 16 random bytes, hex: the client nonce (RFC 7616 §3.4 wants it unpredictable).
fn fresh_cnonce() -> Option<String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).ok()?;
    Some(b.iter().map(|x| format!("{x:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use authdoctor_core::model::Header;

    fn spec(method: AuthMethod) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: "http://h/d/?x=1".parse().unwrap(),
            credential_source: Some(CredentialSource::UserFlag {
                user: "bob".into(),
                password: Some("Digest-Pass-91c".into()),
            }),
            auth_method: method,
            ..Default::default()
        }
    }

    fn r401(challenge: &str) -> Exchange {
        Exchange {
            method: "GET".into(),
            status: 401,
            headers: vec![Header::new("WWW-Authenticate", challenge)],
            ..Default::default()
        }
    }

    #[test]
    fn answers_once_then_once_more_only_when_stale() {
        let url = Url::parse("http://h/d/?x=1").unwrap();
        let s = spec(AuthMethod::Digest);
        let mut st = ChallengeState::default();
        let ch = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\", algorithm=MD5";
        let a = st.answer(&s, &r401(ch), &url, b"").unwrap();
        assert!(a.starts_with("Digest username=\"bob\""));
        assert!(a.contains("uri=\"/d/?x=1\"") && !a.contains("Digest-Pass-91c"));
        // A plain 401 again (wrong password): stop.
        assert!(st.answer(&s, &r401(ch), &url, b"").is_none());
        let mut st = ChallengeState::default();
        st.answer(&s, &r401(ch), &url, b"").unwrap();
        let stale = "Digest realm=\"r\", nonce=\"n2\", qop=\"auth\", stale=true";
        assert!(
            st.answer(&s, &r401(stale), &url, b"")
                .unwrap()
                .contains("n2")
        );
        assert!(st.answer(&s, &r401(stale), &url, b"").is_none());
    }

    #[test]
    fn never_answers_another_origin_unless_trusted() {
        let ch = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"";
        for (method, challenge) in [
            (AuthMethod::Digest, ch),
            (AuthMethod::Any, ch),
            (AuthMethod::Any, "Basic realm=\"x\""),
        ] {
            let s = spec(method);
            for other in ["http://evil.h/d/", "http://h:8080/d/", "https://h/d/"] {
                let url = Url::parse(other).unwrap();
                assert!(
                    ChallengeState::default()
                        .answer(&s, &r401(challenge), &url, b"")
                        .is_none(),
                    "{other}"
                );
            }
            let mut trusted = s.clone();
            trusted.location_trusted = true;
            let url = Url::parse("http://other.h/d/").unwrap();
            assert!(
                ChallengeState::default()
                    .answer(&trusted, &r401(challenge), &url, b"")
                    .is_some()
            );
        }
    }

    #[test]
    fn only_when_asked_and_anyauth_falls_back_to_basic() {
        let url = Url::parse("http://h/").unwrap();
        let ch = r401("Digest realm=\"r\", nonce=\"n\"");
        assert!(
            ChallengeState::default()
                .answer(&spec(AuthMethod::Basic), &ch, &url, b"")
                .is_none()
        );
        let mut own = spec(AuthMethod::Digest);
        own.headers.push(Header::new("Authorization", "Digest x=1"));
        assert!(
            ChallengeState::default()
                .answer(&own, &ch, &url, b"")
                .is_none()
        );
        let basic = r401("Basic realm=\"r\"");
        let a = ChallengeState::default()
            .answer(&spec(AuthMethod::Any), &basic, &url, b"")
            .unwrap();
        assert!(a.starts_with("Basic "));
        let both = r401("Basic realm=\"r\", Digest realm=\"r\", nonce=\"n\"");
        let a = ChallengeState::default()
            .answer(&spec(AuthMethod::Any), &both, &url, b"")
            .unwrap();
        assert!(a.starts_with("Digest "));
    }
}
