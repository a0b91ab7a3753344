//! The rustls configuration every request is sent with.

use std::sync::Arc;

use authdoctor_core::model::TransportOptions;
use rustls::ClientConfig;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::verifier::AcceptingVerifier;
use super::{alpn_for, provider};
use crate::errors::NetError;

/// A config that trusts no CA: building it reads nothing from disk. Only for `http://` hops,
/// where reqwest never uses it.
pub(crate) fn empty_client_config() -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
        // The aws-lc provider supports the default versions; keep a fallback that cannot fail.
        .unwrap_or_else(|_| {
            ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
}

/// The config for `https://` hops: system roots (via rustls-platform-verifier) plus `--cacert`,
/// or no verification at all with `-k`; the `--cert`/`--key` identity; ALPN by `--http1.1`/
/// `--http2`.
pub(crate) fn client_config(
    transport: &TransportOptions,
    host: &str,
) -> Result<ClientConfig, NetError> {
    let provider = provider();
    let verifier = server_verifier(transport, host, &provider)?;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls {
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match load_identity(transport)? {
        Some((chain, key)) => {
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| NetError::ClientCert {
                    reason: format!("certificate and key do not fit together: {e}"),
                })?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn_for(transport.http_version);
    Ok(config)
}

/// `-k` → accept anything; otherwise the platform verifier with `--cacert` added as roots.
pub(super) fn server_verifier(
    transport: &TransportOptions,
    host: &str,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, NetError> {
    if transport.insecure {
        return Ok(Arc::new(AcceptingVerifier {
            provider: provider.clone(),
            record: None,
        }));
    }
    let extra = match &transport.cacert {
        Some(path) => load_cacert(path)?,
        None => Vec::new(),
    };
    rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
        .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
        .map_err(|e| NetError::Tls {
            host: host.to_string(),
            reason: format!("cannot set up certificate verification: {e}"),
        })
}

fn load_cacert(path: &str) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let bytes = std::fs::read(path).map_err(|e| NetError::CaCert {
        reason: format!("cannot read {path}: {e}"),
    })?;
    let certs = parse_certs(&bytes).map_err(|why| NetError::CaCert {
        reason: format!("{path}: {why}"),
    })?;
    Ok(certs)
}

/// PEM (any number of CERTIFICATE blocks) or a single DER certificate.
fn parse_certs(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        if x509_parser::parse_x509_certificate(bytes).is_ok() {
            return Ok(vec![CertificateDer::from(bytes.to_vec())]);
        }
        return Err("neither PEM nor a DER certificate".into());
    }
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad PEM: {e:?}"))?;
    if certs.is_empty() {
        return Err("no CERTIFICATE block in the PEM file".into());
    }
    Ok(certs)
}

/// `--cert` (chain) and `--key` (or the key inside the `--cert` file, as curl allows).
pub(super) fn load_identity(
    transport: &TransportOptions,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, NetError> {
    let Some(cert_path) = &transport.cert else {
        if transport.key.is_some() {
            return Err(NetError::ClientCert {
                reason: "--key was given without --cert".into(),
            });
        }
        return Ok(None);
    };
    let read = |path: &str| {
        std::fs::read(path).map_err(|e| NetError::ClientCert {
            reason: format!("cannot read {path}: {e}"),
        })
    };
    let cert_bytes = read(cert_path)?;
    let chain = parse_certs(&cert_bytes).map_err(|why| NetError::ClientCert {
        reason: format!("{cert_path}: {why}"),
    })?;
    let (key_path, key_bytes) = match &transport.key {
        Some(k) => (k.as_str(), read(k)?),
        None => (cert_path.as_str(), cert_bytes),
    };
    if key_bytes.windows(9).any(|w| w == b"ENCRYPTED") {
        return Err(NetError::ClientCert {
            reason: format!(
                "{key_path}: encrypted private keys are not supported; decrypt it first"
            ),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| NetError::ClientCert {
        reason: format!("{key_path}: no PEM private key found (PKCS#8, PKCS#1 or SEC1)"),
    })?;
    Ok(Some((chain, key)))
}
