//! Judge the re-sent request: verified only with a 2xx after.

use authdoctor_core::evidence::Evidence;
use authdoctor_core::fix::outcome::{After, AfterFinding, Change};
use authdoctor_core::fix::{Applied, FixOutcome};
use authdoctor_core::token::jwt::JwtAnalysis;
use serde_json::{Map, Value};

fn claims(ev: &Evidence) -> Option<&Map<String, Value>> {
    match ev.jwt.as_ref()? {
        JwtAnalysis::Jws(j) => Some(&j.claims),
        _ => None,
    }
}

/// Claims that differ between the token sent before and after (`jti` is always new: left out).
pub fn claims_changed(before: &Evidence, after: &Evidence) -> Map<String, Value> {
    let (b, a) = (claims(before), claims(after));
    let keys: std::collections::BTreeSet<&String> = b
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(a.into_iter().flat_map(|m| m.keys()))
        .collect();
    let mut out = Map::new();
    for k in keys.into_iter().filter(|k| *k != "jti") {
        let bv = b.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
        let av = a.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
        if bv != av {
            let c = Change {
                before: bv,
                after: av,
            };
            out.insert(k.clone(), serde_json::to_value(c).unwrap_or_default());
        }
    }
    out
}

fn challenge(ev: &Evidence) -> Option<String> {
    ev.last()?
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("www-authenticate"))
        .map(|h| h.value.clone())
}

/// Fill `out` from the answer to the re-sent request: `applied` when it got a 2xx, else
/// `tried` with the diagnosis of what came back.
pub fn verify(out: &mut FixOutcome, before: &Evidence, after: &Evidence, applied: Vec<Applied>) {
    let findings = authdoctor_core::causes::diagnose(after);
    let report = authdoctor_core::report::Report::new(after, findings);
    out.status_after = after.status();
    out.verified = super::ok(out.status_after);
    out.challenge_before = Some(challenge(before));
    out.challenge_after = Some(challenge(after));
    out.claims_changed = Some(claims_changed(before, after));
    out.outcome_after = Some(report.outcome);
    if out.verified {
        out.applied = applied;
    } else {
        // Never call it a fix when the request still fails.
        out.tried = Some(applied);
        out.after = Some(After {
            outcome: report.outcome,
            summary: report.summary.clone(),
            findings: report
                .findings
                .iter()
                .map(|f| AfterFinding {
                    id: f.id,
                    title: f.title.clone(),
                })
                .collect(),
        });
    }
}
