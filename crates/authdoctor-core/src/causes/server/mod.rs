//! Causes on the server's side of the exchange: clocks, permissions, and credentials it rejects.

pub mod account_disabled;
pub mod clock_skew;
pub mod environment_mismatch;
pub mod forbidden_not_unauthenticated;
pub mod invalid_client;
pub mod invalid_credentials;
pub mod ip_not_allowed;
pub mod mfa_required;
