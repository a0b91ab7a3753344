//! The pure core of authdoctor: everything between "what the user gave us" and "what we print",
//! with no network I/O, so every piece tests offline.
//!
//! Data flows through the modules in this order: [`input`] turns curl flags, a pasted curl line or
//! a HAR entry into a [`model::RequestSpec`]; the network crate sends it and fills
//! [`model::Exchange`]s (or a HAR supplies them); [`evidence::Evidence`] gathers those plus what
//! can be derived from them ([`http`] challenges, [`token`] analysis, clocks); every rule in
//! [`causes`] is a pure function from evidence to an optional [`diagnosis::Finding`];
//! [`diagnosis`] ranks them; [`report`] renders human or JSON output with every secret redacted
//! ([`secret`]). This crate must never open a socket.

pub mod api_description;
pub mod causes;
pub mod diagnosis;
pub mod evidence;
pub mod fix;
/// Fuzz harnesses shared by the cargo-fuzz targets in `fuzz/` and the corpus replay test.
#[doc(hidden)]
pub mod fuzz;
pub mod http;
pub mod idp;
pub mod input;
/// JOSE lives in its own small crate, shared with `authdoctor-guard`.
pub use authdoctor_jose as jose;
pub mod model;
pub mod outbound;
pub mod profile;
pub mod report;
pub mod secret;
pub mod shell;
pub mod sigv4;
pub mod statement;
pub mod time;
pub mod token;
pub mod vendor;
