//! The `--cert` file read locally: dates, clientAuth purpose, key match.

use std::time::Duration;

use authdoctor_core::model::{ClientCertInfo, ProbeKind, ProbeResult, RequestSpec};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The EKU purposes of a certificate, by name.
pub(super) fn purposes(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut v = Vec::new();
    if eku.any {
        v.push("any".to_string());
    }
    if eku.server_auth {
        v.push("serverAuth".to_string());
    }
    if eku.client_auth {
        v.push("clientAuth".to_string());
    }
    if eku.code_signing {
        v.push("codeSigning".to_string());
    }
    if eku.email_protection {
        v.push("emailProtection".to_string());
    }
    for o in &eku.other {
        v.push(o.to_id_string());
    }
    v
}

/// Read `--cert` (and `--key`): dates, issuer, clientAuth, whether the key belongs to it.
pub fn read_client_cert(spec: &RequestSpec) -> Option<ClientCertInfo> {
    let path = spec.transport.cert.as_ref()?;
    let mut info = ClientCertInfo {
        file: path.clone(),
        ..Default::default()
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            info.error = Some(format!("cannot read {path}: {e}"));
            return Some(info);
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    let Some(leaf) = certs.first() else {
        info.error = Some(format!("{path}: no PEM certificate found"));
        return Some(info);
    };
    match x509_parser::parse_x509_certificate(leaf) {
        Ok((_, c)) => {
            info.subject = Some(c.subject().to_string());
            info.issuer = Some(c.issuer().to_string());
            info.not_before = Some(c.validity().not_before.timestamp());
            info.not_after = Some(c.validity().not_after.timestamp());
            if let Ok(Some(eku)) = c.extended_key_usage() {
                info.purposes = purposes(eku.value);
                info.client_auth = Some(eku.value.client_auth || eku.value.any);
            }
        }
        Err(e) => {
            info.error = Some(format!("{path}: not an X.509 certificate ({e})"));
            return Some(info);
        }
    }
    let key_bytes = match &spec.transport.key {
        Some(k) => std::fs::read(k).ok(),
        None => Some(bytes.clone()),
    };
    if let Some(kb) = key_bytes
        && let Ok(key) = PrivateKeyDer::from_pem_slice(&kb)
    {
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        if let Ok(signing) = provider.key_provider.load_private_key(key) {
            let ck = rustls::sign::CertifiedKey::new(certs.clone(), signing);
            info.key_matches = match ck.keys_match() {
                Ok(()) => Some(true),
                Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                    Some(false)
                }
                Err(_) => None,
            };
        }
    }
    Some(info)
}

pub(super) fn cert_result(c: &ClientCertInfo, took: Duration) -> ProbeResult {
    let mut r = ProbeResult::new(
        ProbeKind::ClientCertificate,
        format!("read --cert {}", c.file),
        "",
    );
    r.elapsed_ms = took.as_secs_f64() * 1000.0;
    r.error = c.error.clone();
    let now = authdoctor_core::time::now_unix();
    let mut problems = Vec::new();
    if c.not_after.is_some_and(|t| t <= now) {
        problems.push("expired");
    }
    if c.not_before.is_some_and(|t| t > now) {
        problems.push("not yet valid");
    }
    if c.client_auth == Some(false) {
        problems.push("no clientAuth purpose");
    }
    if c.key_matches == Some(false) {
        problems.push("--key does not match");
    }
    r.differs = Some(!problems.is_empty());
    r.verdict = format!(
        "{} issued by {}, valid {} to {}{}{}",
        c.subject.as_deref().unwrap_or("?"),
        c.issuer.as_deref().unwrap_or("?"),
        c.not_before
            .map(authdoctor_core::time::format_unix)
            .unwrap_or_default(),
        c.not_after
            .map(authdoctor_core::time::format_unix)
            .unwrap_or_default(),
        if c.purposes.is_empty() {
            String::new()
        } else {
            format!(", EKU {}", c.purposes.join(","))
        },
        if problems.is_empty() {
            String::new()
        } else {
            format!(" — {}", problems.join(", "))
        }
    );
    r
}
