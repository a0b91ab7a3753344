//! authdoctor-guard: a server-side bearer-token guard that gets 401 right, fast and safe.
//!
//! It owns the resource-server side of RFC 6750: a tower [`GuardLayer`] (and, with the `axum`
//! feature, extractors) that validates JWT access tokens — keys from OpenID Connect / RFC 8414
//! discovery or a JWKS URL, parsed once into aws-lc-rs keys, refreshed on an unknown `kid` at
//! most once per interval; `iss`, `aud`, `exp`/`nbf`/`iat` with leeway, RFC 9068 `typ`, scopes
//! per route; algorithms pinned per key — and answers every failure with the challenge a client
//! (and authdoctor) can act on:
//!
//! ```text
//! 401  WWW-Authenticate: Bearer realm="api"                                   (no token)
//! 401  WWW-Authenticate: Bearer realm="api", error="invalid_request", …        (malformed header)
//! 401  WWW-Authenticate: Bearer realm="api", error="invalid_token",
//!      error_description="the access token expired at 2026-11-22T11:33:55Z (192s ago)"
//! 403  WWW-Authenticate: Bearer realm="api", error="insufficient_scope", scope="write"
//! ```
//!
//! ```no_run
//! use authdoctor_guard::{GuardLayer, Validator};
//! # fn main() -> Result<(), authdoctor_guard::GuardError> {
//! let validator = Validator::builder()
//!     .discover("https://issuer.example")
//!     .audience("https://api.example/")
//!     .build()?;
//! let read = GuardLayer::new(validator.clone()).require_scopes(["read"]);
//! # let _ = read; Ok(()) }
//! ```
//!
//! Sender-constrained tokens ([`dpop`]): a token with `cnf.jkt` is accepted only with the
//! `DPoP` scheme and a valid, unreplayed RFC 9449 proof by that key (turn the scheme on with
//! [`ValidatorBuilder::dpop`]; 401s then carry `WWW-Authenticate: DPoP algs="…"` with
//! `invalid_dpop_proof`, `invalid_token` or `use_dpop_nonce`), and a token with `cnf.x5t#S256`
//! only over a connection whose client certificate — a [`ClientCertificate`] the TLS server puts
//! in the request extensions — has that thumbprint (RFC 8705).
//!
//! Modules follow tower's shape: [`layer`] (Layer + Service), [`future`], [`error`]; the token
//! work lives in [`jws`], [`jwk`], [`claims`], [`validator`], the responses in [`response`].
//! The token is never logged: rejections are `tracing` events with `reason`, `kid`, `iss`,
//! `aud` and `sub` only.

#![warn(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
pub mod claims;
pub mod dpop;
pub mod error;
pub mod future;
/// Fuzz harness shared by the cargo-fuzz `guard` target in `fuzz/` and the corpus replay test.
#[doc(hidden)]
pub mod fuzz;
pub mod jwk;
mod jwks;
pub mod jws;
pub mod layer;
pub mod response;
pub mod validator;

pub use claims::{Claims, Confirmation, RequiredClaim};
pub use dpop::{ClientCertificate, DpopConfig, Scheme};
pub use error::{GuardError, KeyError, Malformed, Rejection};
pub use jwk::{KeySet, VerifyKey};
pub use jws::{Algorithm, Limits};
pub use layer::{Guard, GuardLayer, extract_bearer, extract_credential};
pub use response::{METADATA_PATH, ProtectedResourceMetadata};
pub use validator::{Config, Validated, Validator, ValidatorBuilder};
