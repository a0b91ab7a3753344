//! A ready [`Host`] over authdoctor's profiles (the CLI's `check --fix` uses it): the request is
//! sent through `authdoctor_net::gather` (no probes, no issuer), and a new token comes from the
//! profile's [`Session`] — its 0600 cache, its shared cache and single-flight source — under
//! the same rule as every other use of a profile's token: it goes only to the hosts the profile
//! names, or wherever the user pointed it by naming the profile.

use crate::{Host, NewToken, Refused};
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::RequestSpec;
use authdoctor_core::secret::Secret;
use authdoctor_core::time::now_unix;
use authdoctor_net::gather::{GatherOptions, gather};
use authdoctor_net::send::NetError;
use authdoctor_tokens::session::{ProfileChoice, Session};
use std::sync::Arc;

type LineHook = Arc<dyn Fn(&str) + Send + Sync>;
type SecretHook = Arc<dyn Fn(&Secret) + Send + Sync>;

/// Sends with `gather` and takes tokens from the profile `--profile` named (else the one the
/// request's host or the defaults choose).
pub struct ProfileHost {
    choice: ProfileChoice,
    on_degraded: Option<LineHook>,
    on_secret: Option<SecretHook>,
}

impl ProfileHost {
    pub fn new(profile: Option<String>) -> Self {
        ProfileHost {
            choice: ProfileChoice {
                profile,
                ..Default::default()
            },
            on_degraded: None,
            on_secret: None,
        }
    }

    /// Told, with one line, when the shared token cache stops being usable.
    pub fn on_degraded(mut self, f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.on_degraded = Some(Arc::new(f));
        self
    }

    /// Told of every secret obtained during the fix, so the caller can keep it out of its
    /// output.
    pub fn on_secret(mut self, f: impl Fn(&Secret) + Send + Sync + 'static) -> Self {
        self.on_secret = Some(Arc::new(f));
        self
    }
}

impl Host for ProfileHost {
    type Error = NetError;

    async fn send(&self, spec: RequestSpec) -> Result<Evidence, NetError> {
        gather(spec, GatherOptions::default()).await
    }

    async fn new_token(
        &self,
        spec: &RequestSpec,
        sent: Option<&str>,
        add_scopes: &[String],
    ) -> Result<NewToken, Refused> {
        let host = spec.host();
        let session = Session::open(&self.choice, host.as_deref()).map_err(|e| {
            Refused::new(format!(
                "no profile to obtain a token with: {e} (pass --profile NAME)"
            ))
        })?;
        let (cfg, eff) = (&session.config, &session.profile);
        if !authdoctor_core::outbound::profile_token_may_go(
            &spec.url,
            &eff.token_hosts(),
            eff.named_by_flag(),
        ) {
            return Err(Refused::new(format!(
                "profile {} does not name {} (its api_base/hosts), and it was chosen by {}: its token is not sent there (pass --profile {} to send it)",
                cfg.profile,
                host.as_deref().unwrap_or("this host"),
                eff.chosen_by,
                cfg.profile
            )));
        }
        if let Some(path) = &cfg.token_file
            && !add_scopes.is_empty()
        {
            return Err(Refused::new(format!(
                "profile {} reads its token from token_file {}: other scopes cannot be requested (grant them to whatever writes the file)",
                cfg.profile,
                path.display()
            )));
        }
        let mut scopes = cfg.scopes.clone();
        for s in add_scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        let name = cfg.profile.clone();
        let on_degraded = self.on_degraded.clone().map(|f| {
            Box::new(move |line: &str| f(line)) as authdoctor_tokens::status::DegradedHook
        });
        let src = session
            .source(cfg.with_scopes(scopes.clone()), on_degraded)
            .map_err(|e| Refused::new(e.to_string()))?;
        let t = match src.token().await {
            // The cache handed back the very token that was refused: renew it.
            Ok(t) if Some(t.access_token.expose()) == sent => src.renew_after_rejection(&t).await,
            other => other,
        }
        .map_err(|e| Refused {
            reason: e.to_string(),
            token_endpoint: e.diagnosis(now_unix()),
        })?;
        let what = match &cfg.token_file {
            Some(path) => format!(
                "took the current token from profile {name}'s token_file {}",
                path.display()
            ),
            None if add_scopes.is_empty() => format!("obtained a new token with profile {name}"),
            None => format!(
                "obtained a new token with profile {name} and scopes {}",
                scopes.join(" ")
            ),
        };
        Ok(NewToken {
            authorization: Secret::new(t.authorization()),
            what,
        })
    }

    fn secret(&self, secret: &Secret) {
        if let Some(f) = &self.on_secret {
            f(secret);
        }
    }
}
