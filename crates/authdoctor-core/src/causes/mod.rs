//! The cause catalogue: one file per cause, grouped by the layer at fault.
//!
//! Each file's `//!` comment documents the cause in fixed sections (What it detects, Why it
//! gives 401, Evidence used, Fix, Example, References) and `authdoctor explain <id>` prints
//! that text; each file exports `check`, a pure function from [`Evidence`] to an optional
//! [`Finding`]. The id is the file name with `-` for `_`, and it is a public contract: never
//! rename one. Adding a cause = adding a file and one line in [`CATALOGUE`].

pub mod consistency;
pub mod discovery;
pub mod header;
pub mod idp;
pub mod server;
pub mod session;
pub mod sigv4;
mod statement;
pub mod token;
pub mod transport;

use crate::diagnosis::{Finding, rank};
use crate::evidence::Evidence;

include!(concat!(env!("OUT_DIR"), "/cause_docs.rs"));

/// A cause rule.
pub struct Cause {
    pub id: &'static str,
    /// Layer at fault: header, token, server, transport, session.
    pub family: &'static str,
    pub check: fn(&Evidence) -> Option<Finding>,
    /// Preconditions, supporting and contradicting observations, as data beside the rule.
    pub profile: &'static consistency::Profile,
}

macro_rules! cause {
    ($family:ident :: $file:ident) => {
        Cause {
            id: $family::$file::ID,
            family: stringify!($family),
            check: $family::$file::check,
            profile: &$family::$file::PROFILE,
        }
    };
}

/// Every implemented cause, in tie-break order (more specific causes first).
pub static CATALOGUE: &[Cause] = &[
    cause!(discovery::resource_metadata_invalid),
    cause!(discovery::authorization_server_metadata_invalid),
    cause!(header::missing_credentials),
    cause!(header::malformed_authorization_header),
    cause!(header::credential_formatting),
    cause!(token::token_truncated),
    cause!(header::basic_encoding),
    cause!(token::dpop_proof),
    cause!(header::scheme_mismatch),
    cause!(header::credentials_in_wrong_place),
    cause!(header::digest_failure),
    cause!(idp::signature_invalid),
    cause!(token::token_expired),
    cause!(token::token_not_yet_valid),
    cause!(token::wrong_token_type),
    cause!(token::insufficient_scope),
    cause!(idp::token_revoked),
    cause!(idp::issuer_mismatch),
    cause!(idp::audience_mismatch),
    cause!(server::clock_skew),
    cause!(transport::redirect_dropped_credentials),
    cause!(transport::cached_401),
    cause!(transport::proxy_stripped_credentials),
    cause!(transport::client_certificate),
    cause!(server::ip_not_allowed),
    cause!(session::session_expired),
    cause!(server::mfa_required),
    cause!(server::invalid_client),
    cause!(server::account_disabled),
    cause!(server::environment_mismatch),
    cause!(sigv4::sigv4_expired_token),
    cause!(sigv4::sigv4_request_time_skewed),
    cause!(sigv4::sigv4_signature_mismatch),
    cause!(server::forbidden_not_unauthenticated),
    cause!(server::invalid_credentials),
    cause!(idp::server_rejected_valid_credentials),
];

/// Ids reserved for causes that later work will detect. Listed so the id set stays coherent
/// (and so `explain --list` can say what is coming); they never produce findings today.
pub static PLANNED: &[(&str, &str)] = &[];

/// Run every rule, fold in what vendor knowledge and the server's statement say, weigh each
/// finding by its cause's consistency table, and rank, most likely first.
pub fn diagnose(ev: &Evidence) -> Vec<Finding> {
    let mut findings: Vec<Finding> = CATALOGUE.iter().filter_map(|c| (c.check)(ev)).collect();
    merge_vendor(ev, &mut findings);
    statement::merge(ev, &mut findings);
    let weighed = findings
        .into_iter()
        .filter_map(|f| match CATALOGUE.iter().find(|c| c.id == f.id) {
            Some(c) => consistency::weigh(ev, c.profile, f),
            None => Some(f),
        })
        .collect();
    rank(weighed)
}

/// A vendor entry confirms a rule's finding (adding the vendor's words and fix, and raising
/// the grade to the entry's), or stands as the finding for its cause when no rule saw it.
fn merge_vendor(ev: &Evidence, findings: &mut Vec<Finding>) {
    use crate::diagnosis::{Effort, Fix};
    for m in &ev.vendor {
        let Some(id) = CATALOGUE.iter().map(|c| c.id).find(|id| *id == m.cause) else {
            continue;
        };
        let mut fix = Fix::new(
            &format!("vendor:{}", m.entry),
            m.fix_title.clone(),
            Effort::Easy,
        );
        fix.steps = m.fix_steps.clone();
        fix.command = m.command.clone();
        let source = format!("vendor.{}", m.entry);
        let text = format!("{}: {}", m.vendor, m.evidence);
        match findings.iter_mut().find(|f| f.id == id) {
            Some(f) => {
                f.evidence.push(crate::diagnosis::EvidenceItem {
                    text,
                    source,
                    fields: Default::default(),
                    weight: None,
                });
                f.fixes.insert(0, fix);
                if m.grade > f.grade {
                    *f = f.clone().graded(m.grade);
                }
            }
            None => {
                let title = format!("{} says: {}", m.vendor, m.evidence);
                findings.push(
                    Finding::new(id, title, m.grade)
                        .evidence(&source, text)
                        .fix(fix),
                );
            }
        }
    }
}

/// The documentation of a cause (implemented or planned).
pub fn doc(id: &str) -> Option<&'static str> {
    DOCS.iter().find(|(i, _)| *i == id).map(|(_, d)| *d)
}

/// The one-line summary of a cause: the first clause of its "What it detects" paragraph.
pub fn summary(id: &str) -> Option<String> {
    if let Some(d) = doc(id) {
        let para: Vec<&str> = d
            .lines()
            .skip_while(|l| !l.starts_with("## What it detects"))
            .skip(1)
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        let text = para.join(" ").replace('`', "");
        let end = [": ", ". ", " — ", ", and "]
            .iter()
            .filter_map(|p| text.find(p))
            .min()
            .unwrap_or(text.len());
        let first = text[..end].trim_end_matches('.');
        return Some(first.to_string());
    }
    PLANNED
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, s)| s.to_string())
}

/// Ids that look like `id` (a part of it, or one of its longer words): the "did you mean" of
/// `authdoctor explain`.
pub fn similar(id: &str) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .map(|c| c.id)
        .chain(PLANNED.iter().map(|(i, _)| *i))
        .filter(|c| c.contains(id) || id.split('-').any(|w| w.len() > 3 && c.contains(w)))
        .collect()
}

/// Is this a known cause id (implemented or planned)?
pub fn is_known(id: &str) -> bool {
    CATALOGUE.iter().any(|c| c.id == id) || PLANNED.iter().any(|(i, _)| *i == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTIONS: &[&str] = &[
        "## What it detects",
        "## Why it gives 401",
        "## Evidence used",
        "## Fix",
        "## Example",
        "## References",
    ];

    #[test]
    fn every_cause_is_documented_in_every_section() {
        for c in CATALOGUE {
            let d = doc(c.id)
                .unwrap_or_else(|| panic!("{} has no doc (file name must match the id)", c.id));
            assert!(
                d.starts_with(&format!("# {}", c.id)),
                "{}: doc must start with '# {}'",
                c.id,
                c.id
            );
            for s in SECTIONS {
                assert!(d.contains(s), "{} lacks section {s}", c.id);
            }
        }
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut all: Vec<&str> = CATALOGUE
            .iter()
            .map(|c| c.id)
            .chain(PLANNED.iter().map(|(i, _)| *i))
            .collect();
        for id in &all {
            assert!(
                id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(n, all.len(), "duplicate cause id");
    }

    /// Rules say a [`crate::diagnosis::Grade`]; only the model turns grades and weights into
    /// scores. A number in a rule would be a hand-set likelihood again.
    #[test]
    fn no_rule_sets_or_reads_a_score() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/causes");
        let mut files = Vec::new();
        walk(&root, &mut files);
        assert!(files.len() > 30);
        for p in files {
            if p.ends_with("consistency.rs") {
                continue; // the model itself
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                let l = line.trim_start();
                if l.starts_with("//") {
                    continue;
                }
                assert!(
                    !l.contains("score"),
                    "{}:{}: a rule sets or reads a score: {l}",
                    p.display(),
                    n + 1
                );
            }
        }
    }

    #[test]
    fn no_planned_id_is_also_implemented() {
        for (p, _) in PLANNED {
            assert!(
                !CATALOGUE.iter().any(|c| c.id == *p),
                "{p} is both planned and implemented"
            );
        }
    }
}

#[cfg(test)]
pub(crate) mod testkit;
