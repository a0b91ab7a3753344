//! A token-service challenge: `Bearer realm="https://auth…/token",service="…",scope="…"`, the
//! Docker/OCI distribution flow every container registry uses. The challenge fully specifies
//! the token request (GET realm?service=…&scope=… with the user's credentials, then the token
//! as `Authorization: Bearer`), so the fix is that request, not "obtain a token somewhere".

use super::challenge::Challenge;

/// The token request a challenge names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenService {
    pub realm: url::Url,
    pub service: Option<String>,
    pub scope: Option<String>,
}

impl TokenService {
    /// The token service a set of challenges names: a Bearer challenge whose realm is an
    /// http(s) URL and that names a `service`.
    pub fn of(challenges: &[Challenge]) -> Option<TokenService> {
        let c = challenges.iter().find(|c| c.is_scheme("bearer"))?;
        let realm = url::Url::parse(c.param("realm")?).ok()?;
        if !matches!(realm.scheme(), "http" | "https") || realm.host_str().is_none() {
            return None;
        }
        let service = c.param("service").map(str::to_string);
        service.as_ref()?;
        Some(TokenService {
            realm,
            service,
            scope: c.param("scope").map(str::to_string),
        })
    }

    /// `realm?service=…&scope=…`
    pub fn request_url(&self) -> url::Url {
        let mut u = self.realm.clone();
        {
            let mut q = u.query_pairs_mut();
            if let Some(s) = &self.service {
                q.append_pair("service", s);
            }
            if let Some(s) = &self.scope {
                q.append_pair("scope", s);
            }
        }
        u
    }

    /// The exact token request, for people.
    pub fn command(&self) -> String {
        format!(
            "curl -u 'USER:PASSWORD' {}",
            crate::shell::quote(self.request_url().as_str())
        )
    }

    /// The fix every cause that meets this challenge offers first: automatic with `-u`
    /// credentials to request the token with.
    pub fn fix(&self, ev: &crate::evidence::Evidence) -> crate::diagnosis::Fix {
        crate::diagnosis::Fix::new(
            "request-service-token",
            "Request a token from the token service the challenge names",
            crate::diagnosis::Effort::Easy,
        )
        .action_opt(crate::fix::Action::token_service_for(ev))
        .step(format!(
            "The challenge names the token request: GET {} with your registry credentials (Basic); --fix does it with -u.",
            self.request_url()
        ))
        .step("Send the token it returns as 'Authorization: Bearer TOKEN'.")
        .command(self.command())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::challenge::parse_challenges;

    #[test]
    fn reads_the_registry_challenge() {
        let c = parse_challenges(&[
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        ]);
        let t = TokenService::of(&c).unwrap();
        assert_eq!(
            t.request_url().as_str(),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Falpine%3Apull"
        );
        assert!(t.command().starts_with("curl -u 'USER:PASSWORD' "));
        assert!(TokenService::of(&parse_challenges(&[r#"Bearer realm="api""#])).is_none());
    }
}
