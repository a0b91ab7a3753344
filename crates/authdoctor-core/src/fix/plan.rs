//! Which actions `--fix` takes for a diagnosis: pure, read from the findings' fixes.

use super::Action;
use crate::diagnosis::{Finding, Likelihood};
use crate::evidence::Evidence;
use serde::Serialize;

/// One action to apply, and the cause that declared it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    pub cause: &'static str,
    pub action: Action,
}

/// The actions the findings declare, in ranking order: for every finding of at least medium
/// likelihood (and the top one in any case) that the evidence does not decisively contradict
/// (a new token does not cure a server whose clock is an hour off). A token-service request
/// comes before anything else; one new token covers every token cause (scope additions are
/// merged into it); an action is taken once. Nothing when the request already succeeded.
pub fn plan(ev: &Evidence, findings: &[Finding]) -> Vec<Planned> {
    if ev.status().is_some_and(|s| (200..300).contains(&s)) {
        return Vec::new();
    }
    let mut out: Vec<Planned> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if (i > 0 && f.likelihood == Likelihood::Low) || f.decisively_contradicted() {
            continue;
        }
        for a in f.fixes.iter().filter_map(|x| x.automatic_action()) {
            if let Action::NewToken { add_scopes } = a
                && let Some(Planned {
                    action: Action::NewToken { add_scopes: have },
                    ..
                }) = out
                    .iter_mut()
                    .find(|p| matches!(p.action, Action::NewToken { .. }))
            {
                for s in add_scopes {
                    if !have.contains(s) {
                        have.push(s.clone());
                    }
                }
                continue;
            }
            if !out.iter().any(|p| p.action == *a) {
                out.push(Planned {
                    cause: f.id,
                    action: a.clone(),
                });
            }
        }
    }
    // The token service's token replaces the credential every other action would work on.
    out.sort_by_key(|p| !matches!(p.action, Action::TokenService { .. }));
    out
}
