//! The only authdoctor crate that touches the network.
//!
//! It sends a [`RequestSpec`] hop by hop ([`send`]), never letting the HTTP client follow
//! redirects by itself, so that every hop is recorded and credentials are dropped exactly where
//! mainstream clients drop them; it inspects TLS ([`tls`]); and it runs the in-process demo
//! servers ([`demo`]). Everything here has a timeout. Diagnosis is not done here: this crate
//! returns [`Exchange`]s for `authdoctor-core` to judge.
//!
//! Entry points: [`tls::send_and_inspect`] (what `authdoctor check` uses: the request and, for
//! `https://`, a separate inspection handshake run at the same time), [`send::send`] alone,
//! [`send::effective_proxy`] (which proxy, and whether it came from `-x` or the environment),
//! and [`demo::start`]. Failures are [`NetError`]s whose messages never contain a credential.
//!
//! Cost: the system CA store is only read when a hop is `https://`; a plain `http://` run
//! builds its client in microseconds.

pub mod demo;
pub(crate) mod digest;
pub mod idp;
pub mod probes;
pub mod send;
pub mod tls;

pub use authdoctor_core::model::{Exchange, RequestSpec};
pub use send::{NetError, SendOptions};
