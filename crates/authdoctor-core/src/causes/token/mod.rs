//! Causes in the token itself: its structure, its lifetime, its type and what it grants.

pub mod dpop_proof;
pub mod insufficient_scope;
pub mod token_expired;
pub mod token_not_yet_valid;
pub mod token_truncated;
pub mod wrong_token_type;

use crate::diagnosis::{Effort, Fix};

/// The common remedy for a token that cannot be used: get a fresh one.
pub(crate) fn new_token_fix(ev: &crate::evidence::Evidence, reason: &str) -> Fix {
    Fix::new("obtain-new-token", "Obtain a new access token", Effort::Easy)
        .action_opt(crate::fix::Action::new_token_for(ev))
        .step(format!("{reason} Request a new token from the issuer (or refresh it with your refresh token)."))
        .step("Refresh ahead of expiry: renew when less than ~10% of the lifetime (or 60 s) is left, judged by the server's clock.")
}
