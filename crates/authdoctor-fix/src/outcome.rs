//! How a fix loop ends, as a diagnosis outcome: a caller maps it to its exit code or status.

use authdoctor_core::diagnosis::Outcome;
use authdoctor_core::fix::FixOutcome;

/// [`Outcome::Ok`] only when the fix was verified (or the request already succeeded);
/// otherwise the outcome of the last answer's diagnosis, so a failing request never ends `Ok`.
pub fn final_outcome(fix: &FixOutcome, before: Outcome) -> Outcome {
    if fix.verified {
        return Outcome::Ok;
    }
    match fix.outcome_after.unwrap_or(before) {
        Outcome::Ok if !crate::ok(fix.status_before) => Outcome::Unauthorized,
        o => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unverified_fix_of_a_failing_request_never_ends_ok() {
        let fix = |verified, before: Option<u16>, after: Option<Outcome>| FixOutcome {
            verified,
            status_before: before,
            outcome_after: after,
            ..Default::default()
        };
        assert_eq!(
            final_outcome(&fix(true, Some(401), None), Outcome::Unauthorized),
            Outcome::Ok
        );
        let ok_after = fix(false, Some(401), Some(Outcome::Ok));
        assert_eq!(
            final_outcome(&ok_after, Outcome::Unauthorized),
            Outcome::Unauthorized
        );
        let error_after = fix(false, Some(401), Some(Outcome::Error));
        assert_eq!(
            final_outcome(&error_after, Outcome::Unauthorized),
            Outcome::Error
        );
        let already = fix(false, Some(200), None);
        assert_eq!(final_outcome(&already, Outcome::Ok), Outcome::Ok);
    }
}
