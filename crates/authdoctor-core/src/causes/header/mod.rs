//! Causes in the request's credential headers: absent, malformed, mis-encoded, wrong scheme.

pub mod basic_encoding;
pub mod credential_formatting;
pub mod credentials_in_wrong_place;
pub mod digest_failure;
pub mod malformed_authorization_header;
pub mod missing_credentials;
pub mod scheme_mismatch;
