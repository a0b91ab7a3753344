//! A verifier that accepts the presented chain (`-k`, and the inspection handshake, which
//! records what the real verifier would have said).

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::errors::describe_rustls_error;

/// Accepts whatever certificate the server presents; the handshake signatures are still checked
/// so that the connection is at least to whoever holds the presented key.
///
/// Without `record` this is `-k`. With it, the chain and the real verifier's verdict are recorded
/// and the handshake goes on (the inspection handshake, see the module doc).
#[derive(Debug)]
pub(super) struct AcceptingVerifier {
    pub(super) provider: Arc<CryptoProvider>,
    pub(super) record: Option<Recording>,
}

/// The real verifier whose verdict is recorded, and where.
#[derive(Debug)]
pub(super) struct Recording {
    pub(super) inner: Arc<dyn ServerCertVerifier>,
    pub(super) rec: Shared,
}

impl ServerCertVerifier for AcceptingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(Recording { inner, rec }) = &self.record {
            let verdict = inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
            with_rec(rec, |r| {
                r.chain = std::iter::once(end_entity)
                    .chain(intermediates)
                    .map(|c| c.clone().into_owned())
                    .collect();
                r.verify_error = verdict.err().map(|e| describe_rustls_error(&e));
            });
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[derive(Debug, Default)]
pub(super) struct Recorded {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) verify_error: Option<String>,
    pub(super) client_cert_requested: bool,
    pub(super) acceptable_cas: Vec<String>,
    pub(super) client_cert_sent: bool,
}

pub(super) type Shared = Arc<Mutex<Recorded>>;

pub(super) fn with_rec<R>(rec: &Shared, f: impl FnOnce(&mut Recorded) -> R) -> R {
    // A poisoned lock only means another thread panicked mid-record; the data is still usable.
    let mut guard = rec.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}
