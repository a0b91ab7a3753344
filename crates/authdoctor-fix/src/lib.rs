//! Apply → verify: the second half of authdoctor's pipeline. [`authdoctor_core::fix::plan`]
//! reads the actions the diagnosed causes declare; [`run`] applies them to a copy of the
//! request ([`apply`]), sends it once more through the caller's [`Host`] and judges the
//! answer ([`verify`]). A fix is only called verified when the re-sent request got a 2xx. A
//! non-idempotent request is not re-sent without `allow_replay`; a DPoP proof is never sent
//! twice; a credential goes only where the request's outbound gate allows. The result is a
//! typed [`FixOutcome`] that the report carries as its `fix` field, and [`final_outcome`] says
//! how the loop ended. With the default feature `profile`, [`profile::ProfileHost`] is a ready
//! `Host` that sends through authdoctor-net and takes tokens from authdoctor's profiles.

mod apply;
mod outcome;
#[cfg(feature = "profile")]
pub mod profile;
mod verify;

pub use apply::{Refused, apply};
pub use authdoctor_core::fix::{Action, FixOutcome, Planned, plan};
pub use outcome::final_outcome;
pub use verify::{claims_changed, verify};

use authdoctor_core::diagnosis::Finding;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::fix::{Applied, Failed};
use authdoctor_core::model::RequestSpec;
use authdoctor_core::report::Report;
use authdoctor_core::secret::Secret;
use std::future::Future;

/// A token the caller obtained for the request (from its profile, cache and token source).
pub struct NewToken {
    /// The whole `Authorization` value, e.g. `Bearer eyJ…`.
    pub authorization: Secret,
    /// What was done, for people: "obtained a new token with profile dev".
    pub what: String,
}

/// What the fix loop needs from its caller: a way to send a request and gather its evidence,
/// and a token source.
pub trait Host {
    type Error;
    /// Send `spec` once (no probes) and gather the evidence of its answer.
    fn send(&self, spec: RequestSpec) -> impl Future<Output = Result<Evidence, Self::Error>>;
    /// A new token for `spec`'s target with `add_scopes` added to the usual ones. `sent` is
    /// the credential that was refused: a cache must not hand it back.
    fn new_token(
        &self,
        spec: &RequestSpec,
        sent: Option<&str>,
        add_scopes: &[String],
    ) -> impl Future<Output = Result<NewToken, Refused>>;
    /// A secret obtained during the fix (a token service's token): never to be shown.
    fn secret(&self, secret: &Secret);
}

fn ok(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

/// Plan, apply, re-send and verify, for a request whose diagnosis is `before`/`findings`.
pub async fn run<H: Host>(
    spec: &RequestSpec,
    before: &Evidence,
    findings: &[Finding],
    allow_replay: bool,
    host: &H,
) -> Result<FixOutcome, H::Error> {
    let status_before = before.status();
    if ok(status_before) {
        return Ok(FixOutcome::noted(
            status_before,
            "the request already succeeds: nothing to fix",
        ));
    }
    if !spec.is_idempotent_safe() && !allow_replay {
        return Ok(FixOutcome::noted(
            status_before,
            format!(
                "a {} request is not sent again without --allow-replay (it may repeat its effect)",
                spec.method
            ),
        ));
    }
    let actions = plan(before, findings);
    let mut out = FixOutcome {
        status_before,
        ..Default::default()
    };
    if actions.is_empty() {
        out.note = Some("no automatic fix applies to these causes: see each cause's steps".into());
        return Ok(out);
    }
    let mut fixed = spec.clone();
    let mut applied: Vec<Applied> = Vec::new();
    for p in &actions {
        match apply(&mut fixed, before, &p.action, host).await {
            Ok(what) => applied.push(Applied {
                id: p.action.id(),
                cause: p.cause,
                what,
            }),
            Err(r) => {
                out.failed.push(Failed {
                    id: p.action.id(),
                    cause: p.cause,
                    reason: r.reason,
                });
                if out.token_endpoint.is_none() {
                    out.token_endpoint = r.token_endpoint.map(Box::new);
                }
            }
        }
    }
    // Re-sent only when something changed and nothing essential failed.
    if applied.is_empty() {
        return Ok(out);
    }
    if !out.failed.is_empty() {
        out.tried = Some(applied);
        return Ok(out);
    }
    // The user's own DPoP proof was spent by the first send: never sent twice.
    if fixed.dpop_key.is_none() {
        fixed
            .headers
            .retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
    }
    let after = host.send(fixed).await?;
    verify(&mut out, before, &after, applied);
    Ok(out)
}

/// The report of the answer `--fix` got, diagnosed (for callers that show it).
pub fn after_report(after: &Evidence) -> Report {
    Report::new(after, authdoctor_core::causes::diagnose(after))
}

#[cfg(test)]
mod tests;
