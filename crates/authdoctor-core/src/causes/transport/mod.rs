//! Causes between client and origin: redirects, caches and proxies that lose or replace the
//! answer the credential should have got.

pub mod cached_401;
pub mod client_certificate;
pub mod proxy_stripped_credentials;
pub mod redirect_dropped_credentials;
