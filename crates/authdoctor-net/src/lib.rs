//! The only authdoctor crate that touches the network: the *gather* stage of the pipeline.
//!
//! [`gather`] turns a request into an `Evidence` for `authdoctor-core` to diagnose: it sends
//! the request (or takes the answer a program already received), runs the differential probes
//! ([`probes`]), fetches the issuer's discovery, keys, introspection and the RFC 9728 → RFC 8414
//! metadata chain ([`idp`]), all concurrently and each under a deadline. The CLI and
//! `authdoctor-tokens`' `AuthClient` both call it.
//!
//! Below it: [`send`] sends a [`RequestSpec`] hop by hop, never letting the HTTP client follow
//! redirects by itself, so that every hop is recorded and credentials are dropped exactly where
//! mainstream clients drop them ([`send::send_and_inspect`] adds a TLS inspection handshake
//! alongside for `https://`); [`tls`] inspects TLS and builds the rustls configuration, and never
//! sends a request; proxy choice, pins and error mapping are modules of their own, below both.
//! [`demo`] runs the in-process demo servers. Everything here has a timeout. Failures are
//! [`NetError`]s whose messages never contain a credential.
//!
//! Cost: the system CA store is only read when a hop is `https://`; a plain `http://` run
//! builds its client in microseconds.

pub mod demo;
pub(crate) mod digest;
pub(crate) mod errors;
pub mod gather;
pub mod idp;
pub(crate) mod pins;
pub mod probes;
pub(crate) mod proxy;
pub mod send;
pub mod sigv4;
pub mod tls;

pub use authdoctor_core::model::{Exchange, RequestSpec};
pub use gather::{GatherOptions, gather};
pub use send::{NetError, SendOptions};
