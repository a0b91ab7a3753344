//! # credential-formatting
//!
//! ## What it detects
//! A credential whose characters are wrong although its value may be right: a placeholder that
//! was never substituted (`YOUR_API_KEY`, `<token>`, `${TOKEN}`, `undefined`, `null`), quotes
//! sent as part of the value, CR/LF/tab or other control characters, look-alike Unicode (a
//! Cyrillic `с`, a non-breaking or zero-width space, a smart quote or en dash), or stray
//! whitespace.
//!
//! ## Why it gives 401
//! The server compares bytes. One invisible character, a literal `"`, or the text `undefined`
//! makes a valid secret unknown to it. These come from copying out of chat tools, web pages or
//! PDFs, from `$(cat file)` keeping a newline, from unset variables in templates (`${TOKEN}`
//! not expanded, JavaScript's `undefined`), and from `.env` files with quoted values.
//!
//! ## Evidence used
//! - the credential in `Authorization` (after the scheme) and in API-key headers, character by
//!   character (positions and code points are reported, never the secret).
//!
//! ## Fix
//! Re-copy the credential as plain text or read it with `tr -d '\r\n'`; make sure the variable is
//! set before it is used; remove surrounding quotes. `authdoctor check --fix` can trim
//! whitespace and quotes and re-send.
//!
//! ## Example
//! ```text
//! -H "Authorization: Bearer ${TOKEN}"     (single-quoted in a script: never expanded)
//! -H 'X-Api-Key: sk_live_…\u200b'         (zero-width space pasted from a chat)
//! ```
//!
//! ## References
//! RFC 9110 §5.5 (field values), RFC 6750 §2.1 (b64token syntax), Unicode TR #39 (confusables).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::token::credential::{FormatIssue, format_issues};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
/// A value a recorder masked (`Bearer REDACTED`) is not the user's to fix.
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile {
    requires: &[crate::causes::consistency::Signal::ValueIsUsers],
    ..crate::causes::consistency::Profile::NONE
};

pub const ID: &str = "credential-formatting";

/// A placeholder is never anyone's credential; the others are defects of varying certainty.
fn grade(i: &FormatIssue) -> Grade {
    match i {
        FormatIssue::Placeholder { .. } => Grade::Confirmed,
        FormatIssue::ControlCharacter { .. } | FormatIssue::LookAlike { .. } => Grade::Clear,
        FormatIssue::Quoted => Grade::Probable,
        FormatIssue::NonAscii { .. } => Grade::Likely,
        // HTTP parsers trim field values, so edge whitespace rarely matters on its own.
        FormatIssue::SurroundingWhitespace { .. } => Grade::Doubtful,
    }
}

pub fn check(ev: &Evidence) -> Option<Finding> {
    if !ev.is_auth_failure() {
        return None;
    }
    let mut found: Vec<(String, FormatIssue)> = ev
        .format_issues
        .iter()
        .map(|i| ("Authorization".to_string(), i.clone()))
        .collect();
    for name in ev.api_key_headers() {
        for v in ev.request.headers.all(name) {
            found.extend(format_issues(v).into_iter().map(|i| (name.to_string(), i)));
        }
    }
    // Basic credentials are base64: their inner defects belong to basic-encoding.
    if ev.basic.is_some() {
        found.retain(|(h, i)| {
            h != "Authorization"
                || matches!(i, FormatIssue::Placeholder { .. } | FormatIssue::Quoted)
        });
    }
    if found.is_empty() {
        return None;
    }
    let top = found.iter().map(|(_, i)| grade(i)).max()?;
    let mut f = Finding::new(ID, "", top);
    for (h, i) in &found {
        f = f.evidence_with(
            &format!("request.header.{}", h.to_ascii_lowercase()),
            format!("{h}: {}", i.describe()),
            json!({ "header": h, "issue": i }),
        );
    }
    let (h, worst) = found
        .iter()
        .max_by_key(|(_, i)| grade(i))
        .expect("non-empty");
    f.title = format!(
        "The credential in {h} is mis-formatted: {}",
        worst.describe()
    );
    let fix = match worst {
        FormatIssue::Placeholder { .. } => Fix::new("substitute-placeholder", "Put the real credential in place of the placeholder", Effort::Easy)
            .step("Check the variable is set in this shell or CI job (printenv NAME); in scripts, use double quotes so ${VAR} expands.")
            .step("In code, check the value is not undefined/null before building the header."),
        _ => Fix::new("clean-credential", "Remove the stray characters from the credential", Effort::Easy)
            .action(crate::fix::Action::TrimCredential)
            .step("Re-copy the credential as plain text, or strip it: TOKEN=$(printf %s \"$TOKEN\" | tr -d '\\r\\n\\t ')")
            .step("Remove quotes that became part of the value (e.g. in .env files)."),
    };
    Some(f.fix(fix))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;

    #[test]
    fn placeholder_ranks_first() {
        let ev = evidence(
            &[("Authorization", "Bearer ${TOKEN}")],
            401,
            &[("WWW-Authenticate", "Bearer")],
        );
        assert_eq!(ids(&ev)[0], "credential-formatting");
        let ev = evidence(&[("X-Api-Key", "YOUR_API_KEY")], 401, &[]);
        assert_eq!(super::check(&ev).unwrap().grade, Grade::Confirmed);
    }

    #[test]
    fn look_alike_in_token() {
        let ev = evidence(&[("Authorization", "Bearer abc\u{200B}def")], 401, &[]);
        assert!(super::check(&ev).unwrap().title.contains("U+200B"));
    }

    #[test]
    fn clean_token_is_silent() {
        assert!(super::check(&evidence(&[("Authorization", "Bearer abcdef")], 401, &[])).is_none());
    }
}
