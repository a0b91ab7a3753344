//! HTTP authentication syntax: `WWW-Authenticate` challenges (RFC 9110 §11, RFC 6750, RFC 9728)
//! and the `Authorization` header the client sent, parsed leniently but with every deviation
//! recorded — a deviation is often the diagnosis.

pub mod authorization;
pub mod challenge;
pub mod digest;
pub mod token_service;
