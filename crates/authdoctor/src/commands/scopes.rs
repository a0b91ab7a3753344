//! `authdoctor scopes --profile P URL`: the smallest subset of the profile's scopes with which a
//! GET of URL succeeds ("test with minimal permissions, then reintroduce scopes").
//!
//! 1. Request a token with all the profile's scopes and send the request: if that fails, no
//!    subset will help — say so and stop.
//! 2. For each scope in turn, request a token without it (keeping every scope already found
//!    unnecessary out too): success → it is not needed; failure → keep it.
//! 3. Report the minimal set. At most n + 1 token requests for n scopes, each shown as it goes.

use super::token::{ProfileArgs, http_client, report_token_error, token_config};
use crate::cli::{Format, OutputArgs};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::report::documents::{ScopeStep, ScopesDocument};
use authdoctor_tokens::TokenSource;
use clap::Args;

#[derive(Debug, Args)]
pub struct ScopesArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// The URL to GET with each candidate token.
    pub url: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(a: ScopesArgs) -> Result<i32, CliError> {
    let cfg = token_config(
        &a.profile,
        url::Url::parse(&a.url)
            .ok()
            .as_ref()
            .and_then(|u| u.host_str()),
    )?;
    let http = http_client()?;
    let json = a.output.format == Format::Json;
    let rt = super::runtime()?;
    let mut steps = Vec::new();
    let result: Result<Option<Vec<String>>, authdoctor_tokens::TokenError> = rt.block_on(async {
        // One attempt: a token for `scopes` (never cached: these are probes), then the GET.
        let attempt = |scopes: Vec<String>| {
            let http = http.clone();
            let cfg = cfg.with_scopes(scopes);
            let url = a.url.clone();
            async move {
                let src = TokenSource::new(cfg, http.clone(), None);
                let t = src.token().await?;
                let status = http
                    .get(&url)
                    .header("authorization", t.authorization())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                Ok::<u16, authdoctor_tokens::TokenError>(status)
            }
        };
        let all = cfg.scopes.clone();
        let status = attempt(all.clone()).await?;
        if !json {
            outln!("  [{}] → {status}", all.join(" "));
        }
        steps.push((all.clone(), status));
        if !(200..300).contains(&status) {
            return Ok(None);
        }
        let mut needed = all.clone();
        for s in all {
            let without: Vec<String> = needed.iter().filter(|x| **x != s).cloned().collect();
            let status = attempt(without.clone()).await?;
            let ok = (200..300).contains(&status);
            if !json {
                outln!(
                    "  [{}] → {status}: {s} is {}",
                    without.join(" "),
                    if ok { "not needed" } else { "needed" }
                );
            }
            steps.push((without.clone(), status));
            if ok {
                needed = without;
            }
        }
        Ok(Some(needed))
    });
    let minimal = match result {
        Ok(m) => m,
        Err(e) => return Ok(report_token_error(&e, &a.output)),
    };
    if json {
        let doc = ScopesDocument::new(
            a.url.clone(),
            minimal.clone(),
            steps
                .iter()
                .map(|(scopes, status)| ScopeStep {
                    scopes: scopes.clone(),
                    status: *status,
                })
                .collect(),
        );
        outln!("{}", serde_json::to_string(&doc).unwrap_or_default());
    } else {
        match &minimal {
            Some(m) => outln!(
                "minimal scopes: {}",
                if m.is_empty() {
                    "(none)".into()
                } else {
                    m.join(" ")
                }
            ),
            None => outln!(
                "the request fails even with every scope of the profile: scopes are not the problem (run `authdoctor check`)"
            ),
        }
    }
    Ok(if minimal.is_some() {
        exit::OK
    } else {
        exit::AUTH_FAILURE
    })
}
