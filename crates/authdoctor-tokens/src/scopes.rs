//! The smallest subset of a profile's scopes with which a GET of a URL succeeds ("test with
//! minimal permissions, then reintroduce scopes"):
//!
//! 1. Request a token with all the profile's scopes and send the request: if that fails, no
//!    subset will help — stop.
//! 2. For each scope in turn, request a token without it (keeping every scope already found
//!    unnecessary out too): success → it is not needed; failure → keep it.
//! 3. The minimal set. At most n + 1 token requests for n scopes, each reported as it goes.

use crate::{TokenConfig, TokenError, TokenSource};
use authdoctor_core::report::documents::{ScopeStep, ScopesDocument};

/// One attempt as it happens: the step, and for every step after the first the scope left out
/// and whether it turned out to be needed.
pub struct Attempt<'a> {
    pub step: &'a ScopeStep,
    pub left_out: Option<(&'a str, bool)>,
}

fn ok(status: u16) -> bool {
    (200..300).contains(&status)
}

/// One attempt: a token for `scopes` (never cached: these are probes), then the GET; status 0
/// when the GET got no answer.
async fn attempt(
    cfg: &TokenConfig,
    http: &reqwest::Client,
    url: &str,
    scopes: Vec<String>,
) -> Result<ScopeStep, TokenError> {
    let src = TokenSource::new(cfg.with_scopes(scopes.clone()), http.clone(), None);
    let t = src.token().await?;
    let status = http
        .get(url)
        .header("authorization", t.authorization())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    Ok(ScopeStep { scopes, status })
}

/// Bisect `cfg`'s scopes against a GET of `url`; `on_attempt` hears each attempt as it ends.
/// The document's `minimal` is None when the request fails even with every scope.
pub async fn minimal(
    cfg: &TokenConfig,
    http: &reqwest::Client,
    url: &str,
    on_attempt: impl Fn(Attempt<'_>),
) -> Result<ScopesDocument, TokenError> {
    let all = cfg.scopes.clone();
    let first = attempt(cfg, http, url, all.clone()).await?;
    on_attempt(Attempt {
        step: &first,
        left_out: None,
    });
    let works = ok(first.status);
    let mut steps = vec![first];
    if !works {
        return Ok(ScopesDocument::new(url.to_string(), None, steps));
    }
    let mut needed = all.clone();
    for s in all {
        let without: Vec<String> = needed.iter().filter(|x| **x != s).cloned().collect();
        let step = attempt(cfg, http, url, without.clone()).await?;
        let not_needed = ok(step.status);
        on_attempt(Attempt {
            step: &step,
            left_out: Some((&s, !not_needed)),
        });
        steps.push(step);
        if not_needed {
            needed = without;
        }
    }
    Ok(ScopesDocument::new(url.to_string(), Some(needed), steps))
}
