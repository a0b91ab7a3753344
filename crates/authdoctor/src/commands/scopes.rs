//! `authdoctor scopes --profile P URL`: the smallest subset of the profile's scopes with which a
//! GET of URL succeeds ("test with minimal permissions, then reintroduce scopes").
//!
//! The bisection is `authdoctor_tokens::scopes::minimal` (at most n + 1 token requests for n
//! scopes); this prints each attempt as it goes, then the minimal set or why there is none.

use super::token::{ProfileArgs, report_token_error, session};
use crate::cli::{Format, OutputArgs};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_tokens::scopes::{self, Attempt};
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
    let host = url::Url::parse(&a.url).ok();
    let s = session(&a.profile, host.as_ref().and_then(|u| u.host_str()))?;
    let http = authdoctor_tokens::session::http_client()?;
    let json = a.output.format == Format::Json;
    let on_attempt = |at: Attempt<'_>| match at.left_out {
        _ if json => {}
        None => outln!("  [{}] → {}", at.step.scopes.join(" "), at.step.status),
        Some((scope, needed)) => outln!(
            "  [{}] → {}: {scope} is {}",
            at.step.scopes.join(" "),
            at.step.status,
            if needed { "needed" } else { "not needed" }
        ),
    };
    let run = scopes::minimal(&s.config, &http, &a.url, on_attempt);
    let doc = match super::runtime()?.block_on(run) {
        Ok(doc) => doc,
        Err(e) => return Ok(report_token_error(&e, &a.output)),
    };
    if json {
        outln!("{}", serde_json::to_string(&doc).unwrap_or_default());
    } else {
        match &doc.minimal {
            Some(m) if m.is_empty() => outln!("minimal scopes: (none)"),
            Some(m) => outln!("minimal scopes: {}", m.join(" ")),
            None => outln!(
                "the request fails even with every scope of the profile: scopes are not the problem (run `authdoctor check`)"
            ),
        }
    }
    Ok(match doc.minimal {
        Some(_) => exit::OK,
        None => exit::AUTH_FAILURE,
    })
}
