//! # basic-encoding
//!
//! ## What it detects
//! A Basic credential whose encoding is wrong: not valid base64 (or base64url, or unpadded), no
//! `:` between user and password, a newline encoded at the end, whitespace around the user or
//! password, or non-ASCII characters in an encoding the server does not expect.
//!
//! ## Why it gives 401
//! Basic is `base64(user ":" password)` (RFC 7617). The server decodes it and compares; a
//! trailing `\n` makes the password `secret\n`, which does not match. The classic cause is
//! `echo user:pass | base64` (echo adds a newline; `printf %s` or `echo -n` does not). Without a
//! `charset="UTF-8"` parameter the server may decode non-ASCII passwords as ISO-8859-1.
//!
//! ## Evidence used
//! - the Basic credential of the request, decoded (the user name may be shown; the password is
//!   never shown, only described);
//! - a `charset` parameter in the server's Basic challenge.
//!
//! ## Fix
//! Let the client encode: `curl -u 'user:password'`. When encoding by hand, use
//! `printf %s 'user:password' | base64`. `authdoctor check --fix` re-encodes without the
//! newline and re-sends.
//!
//! ## Example
//! ```text
//! -H "Authorization: Basic $(echo alice:secret | base64)"  → decodes to "alice:secret\n"
//! ```
//!
//! ## References
//! RFC 7617 §2 and §2.1 (charset); RFC 4648 §4 (base64 alphabet, padding).

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::http::authorization::BasicIssue;
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
/// A value a recorder masked (`Bearer REDACTED`) is not the user's to fix.
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile {
    requires: &[crate::causes::consistency::Signal::ValueIsUsers],
    ..crate::causes::consistency::Profile::NONE
};

pub const ID: &str = "basic-encoding";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let b = ev.basic.as_ref()?;
    if b.issues.is_empty() || !ev.is_auth_failure() {
        return None;
    }
    // A newline or a missing colon is certain to break the check; lenient decoders accept a
    // missing padding, and servers disagree on what a non-ASCII password should be.
    let grade = |i: &BasicIssue| -> Grade {
        match i {
            BasicIssue::TrailingNewline | BasicIssue::NoColon => Grade::Certain,
            BasicIssue::InvalidBase64 { detail } if detail.contains("padding") => Grade::Possible,
            BasicIssue::InvalidBase64 { .. } | BasicIssue::UrlSafeAlphabet => Grade::Clear,
            BasicIssue::EdgeWhitespace { .. } => Grade::Probable,
            BasicIssue::NotUtf8 | BasicIssue::NonAscii { .. } => Grade::Plausible,
        }
    };
    let mut f = Finding::new(ID, "", b.issues.iter().map(grade).max()?);
    if let Some(u) = &b.user {
        f = f.evidence_with(
            "request.header.authorization",
            format!("decoded user name: {u:?}"),
            json!({ "user": u }),
        );
    }
    for i in &b.issues {
        f = f.evidence_with(
            "request.header.authorization",
            i.describe(),
            json!({ "issue": i }),
        );
    }
    let worst = b.issues.iter().max_by_key(|i| grade(i)).expect("non-empty");
    f.title = format!("The Basic credential is mis-encoded: {}", worst.describe());
    let user = b
        .user
        .as_deref()
        .unwrap_or("USER")
        .trim_end_matches(['\r', '\n']);
    let fix = Fix::new(
        "reencode-basic",
        "Let the client encode the credential",
        Effort::Easy,
    )
    // Re-encoding cures what a newline or edge whitespace did; nothing else is guessed.
    .action_opt(
        ev.authorization
            .as_ref()
            .filter(|a| {
                a.scheme
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("basic"))
            })
            .and_then(|a| crate::fix::reencode_basic(&a.credential))
            .map(|_| crate::fix::Action::ReencodeBasic),
    )
    .step("Use -u and let curl do the encoding, or encode with printf (no trailing newline).")
    .command(format!(
        "curl -u {} {}",
        super::missing_credentials::shell_quote(&format!("{user}:PASSWORD")),
        super::missing_credentials::shell_quote(ev.request.url.as_str())
    ));
    Some(f.fix(fix))
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use base64::Engine;

    #[test]
    fn trailing_newline() {
        let v = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("alice:secret\n")
        );
        let ev = evidence(
            &[("Authorization", &v)],
            401,
            &[("WWW-Authenticate", "Basic realm=\"x\"")],
        );
        let f = super::check(&ev).unwrap();
        assert_eq!(f.grade, Grade::Certain);
        assert!(f.title.contains("newline"));
        assert_eq!(ids(&ev)[0], "basic-encoding");
    }

    #[test]
    fn well_formed_is_silent() {
        let ev = evidence(
            &[("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")],
            401,
            &[],
        );
        assert!(super::check(&ev).is_none());
    }
}
