//! The only authdoctor crate that touches the network.
//!
//! It sends a [`RequestSpec`] hop by hop ([`send`]), never letting the HTTP client follow
//! redirects by itself, so that every hop is recorded and credentials are dropped exactly where
//! mainstream clients drop them; it inspects TLS ([`tls`]); and it runs the in-process demo
//! servers ([`demo`]). Everything here has a timeout. Diagnosis is not done here: this crate
//! returns [`Exchange`]s for `authdoctor-core` to judge.

pub mod demo;
pub mod send;
pub mod tls;

pub use authdoctor_core::model::{Exchange, RequestSpec};
