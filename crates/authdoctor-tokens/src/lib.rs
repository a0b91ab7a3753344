//! authdoctor-tokens: obtaining, caching and renewing OAuth 2 access tokens for authdoctor's
//! profiles, and handing them to other programs.
//!
//! It owns: the grants ([`grant`]: client_credentials with client_secret_basic /
//! client_secret_post / private_key_jwt, refresh_token, device authorization, authorization
//! code with PKCE, RFC 8707 `resource` and `audience`) through the `oauth2` crate over our reqwest
//! client; token-endpoint refusals as typed errors carrying the recorded exchange
//! ([`error::TokenError::Endpoint`]) for the diagnosis; the 0600 per-profile disk cache
//! ([`cache`]); the cache a fleet of hosts shares, in Redis, sealed with AES-256-GCM, with one
//! refresh per token lifetime across all of them ([`fleet`]); renewal ahead of expiry judged by the issuer's clock, single-flight in and across
//! processes ([`source::TokenSource`]); a token-injecting reqwest wrapper that retries once on a
//! 401 ([`client::AuthClient`]), also as a `reqwest-middleware` `Middleware` with the cargo
//! feature `middleware` (`middleware::TokenMiddleware`); the token-injecting reverse proxy
//! ([`proxy`]); how a profile's credentials stand, as the typed watch document and the redacted
//! token view ([`status`]); a profile's effective values and its secrets' availability
//! ([`inspect`]); adding a profile to a config file in place ([`edit`]) from the issuer's
//! discovery document ([`init`]); a profile's token source built from the config files as a
//! command-line program uses it ([`session`]); the minimal scope set ([`scopes`]); and the watch
//! facts as OpenMetrics text ([`openmetrics`]).
//!
//! Cargo features (all off by default): `middleware` (above); `keyring` (token sets in the OS
//! keyring's Secret Service, falling back to the 0600 file cache where there is none; see
//! [`cache`]).

pub mod cache;
pub mod client;
pub mod config;
pub mod dpop;
pub mod edit;
pub mod error;
pub mod fleet;
pub mod grant;
pub mod init;
pub mod inspect;
pub mod layers;
#[cfg(feature = "middleware")]
pub mod middleware;
pub mod openmetrics;
pub mod proxy;
pub mod scopes;
pub mod session;
pub mod source;
pub mod status;
pub mod token;

pub use cache::FileCache;
pub use client::AuthClient;
pub use config::{ClientAuth, Endpoints, TokenConfig};
pub use error::{EndpointErrorKind, TokenError};
pub use fleet::{EncryptionKey, RedisCache};
pub use source::TokenSource;
pub use token::TokenSet;
