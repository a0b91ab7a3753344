//! GitHub's OAuth scope hierarchy: a granted parent scope covers its children (`repo` covers
//! `public_repo`), so comparing `X-Accepted-OAuth-Scopes` with `X-OAuth-Scopes` literally would
//! report scopes the token in fact has. The table follows GitHub's "Scopes for OAuth apps" page.

use crate::model::{Header, HeaderList};

/// Parent scope → the scopes it directly includes.
const CHILDREN: &[(&str, &[&str])] = &[
    (
        "repo",
        &[
            "repo:status",
            "repo_deployment",
            "public_repo",
            "repo:invite",
            "security_events",
        ],
    ),
    ("admin:repo_hook", &["write:repo_hook"]),
    ("write:repo_hook", &["read:repo_hook"]),
    ("admin:org", &["write:org"]),
    ("write:org", &["read:org"]),
    ("admin:public_key", &["write:public_key"]),
    ("write:public_key", &["read:public_key"]),
    ("admin:gpg_key", &["write:gpg_key"]),
    ("write:gpg_key", &["read:gpg_key"]),
    ("admin:ssh_signing_key", &["write:ssh_signing_key"]),
    ("write:ssh_signing_key", &["read:ssh_signing_key"]),
    ("user", &["read:user", "user:email", "user:follow"]),
    ("write:packages", &["read:packages"]),
    ("project", &["read:project"]),
    ("codespace", &["codespace:secrets"]),
    ("audit_log", &["read:audit_log"]),
    ("copilot", &["manage_billing:copilot"]),
    (
        "admin:enterprise",
        &[
            "manage_runners:enterprise",
            "manage_billing:enterprise",
            "read:enterprise",
        ],
    ),
];

/// Does `scope` (directly or through its children, transitively) include `needed`?
fn implies(scope: &str, needed: &str) -> bool {
    // The hierarchy is at most three levels deep; the depth bound guards against a cycle
    // introduced by a future edit of the table.
    fn walk(scope: &str, needed: &str, depth: u8) -> bool {
        scope == needed
            || (depth < 8
                && CHILDREN
                    .iter()
                    .filter(|(p, _)| *p == scope)
                    .flat_map(|(_, c)| c.iter())
                    .any(|c| walk(c, needed, depth + 1)))
    }
    walk(scope, needed, 0)
}

/// Is `needed` granted by any of `granted`, the hierarchy applied?
pub fn github_scope_granted(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| implies(g, needed))
}

/// The scope to ask for when none of `accepted` is granted: the narrowest accepted scope (one
/// that includes no other accepted scope), so the fix asks for no more than needed. `None` when
/// the token already covers one of them.
pub fn github_missing_scope(accepted: &[String], granted: &[String]) -> Option<String> {
    if accepted.is_empty() || accepted.iter().any(|a| github_scope_granted(granted, a)) {
        return None;
    }
    accepted
        .iter()
        .find(|a| !accepted.iter().any(|b| b != *a && implies(a, b)))
        .or(accepted.first())
        .cloned()
}

/// The scope headers of a GitHub response, and what is missing.
#[derive(Debug, Clone)]
pub(super) struct ScopeCheck {
    pub accepted: Vec<String>,
    pub granted: Vec<String>,
    pub missing: Option<String>,
}

impl ScopeCheck {
    /// Only when both headers are present: fine-grained tokens and Apps send no
    /// `X-OAuth-Scopes`, and without it nothing can be said about what the token holds.
    pub fn from_headers(headers: &[Header]) -> Option<Self> {
        let accepted = split(HeaderList::first(headers, "x-accepted-oauth-scopes")?);
        let granted = split(HeaderList::first(headers, "x-oauth-scopes")?);
        let missing = github_missing_scope(&accepted, &granted);
        Some(ScopeCheck {
            accepted,
            granted,
            missing,
        })
    }
}

fn split(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn hierarchy() {
        assert!(github_scope_granted(&v(&["repo"]), "repo:status"));
        assert!(github_scope_granted(&v(&["repo"]), "public_repo"));
        assert!(github_scope_granted(&v(&["admin:org"]), "read:org"));
        assert!(github_scope_granted(&v(&["admin:org"]), "write:org"));
        assert!(github_scope_granted(&v(&["user"]), "user:email"));
        assert!(github_scope_granted(&v(&["user"]), "read:user"));
        assert!(!github_scope_granted(&v(&["read:org"]), "admin:org"));
        assert!(!github_scope_granted(&v(&["public_repo"]), "repo"));
    }

    #[test]
    fn narrowest_missing_scope() {
        let acc = v(&["admin:org", "read:org", "write:org"]);
        assert_eq!(
            github_missing_scope(&acc, &v(&["gist"])).as_deref(),
            Some("read:org")
        );
        assert_eq!(github_missing_scope(&acc, &v(&["admin:org"])), None);
        assert_eq!(
            github_missing_scope(&v(&["repo"]), &v(&[])).as_deref(),
            Some("repo")
        );
    }
}
