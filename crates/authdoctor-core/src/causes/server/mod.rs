//! Causes on the server's side of the exchange: clocks, permissions, and credentials it rejects.

pub mod clock_skew;
pub mod forbidden_not_unauthenticated;
pub mod invalid_credentials;
