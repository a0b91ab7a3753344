//! TLS: the rustls configuration the request is sent with, and a separate inspection handshake.
//!
//! reqwest only exposes the leaf certificate, and when an mTLS server rejects a missing client
//! certificate it reports little more than "channel closed". So [`inspect`] does its own
//! tokio-rustls handshake beside the request and records what a diagnosis needs: the full peer
//! chain (even when it does not verify: the verifier records the error and lets the handshake
//! go on, since nothing but the handshake is ever sent on that connection), the negotiated
//! version and ALPN, and whether the server sent a CertificateRequest — detected by a client
//! certificate resolver, which rustls only consults when the server asks.
//!
//! Files: `config.rs` builds the rustls configuration requests are sent with (trust roots,
//! `--cacert`, `-k`, the `--cert`/`--key` identity, ALPN); `verifier.rs` is the accepting
//! verifier both `-k` and the inspection use, with the recording of the real verdict;
//! `inspect.rs` is the inspection handshake; `cert.rs` summarises certificates.

mod cert;
pub(crate) mod config;
mod inspect;
mod verifier;

use std::sync::Arc;

use authdoctor_core::model::HttpVersionPref;
use rustls::crypto::CryptoProvider;

pub use cert::cert_summary;
pub(crate) use config::{client_config, empty_client_config};
pub use inspect::{TlsInspection, inspect};

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

pub(crate) fn alpn_for(pref: HttpVersionPref) -> Vec<Vec<u8>> {
    match pref {
        HttpVersionPref::Http1 => vec![b"http/1.1".to_vec()],
        HttpVersionPref::Http2 => vec![b"h2".to_vec()],
        HttpVersionPref::Any => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    }
}
