//! Certificates summarised for the report.

use authdoctor_core::model::CertSummary;

/// Summarise one DER certificate; an unparseable one is still listed, so the chain length holds.
pub fn cert_summary(der: &[u8]) -> CertSummary {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => {
            let mut dns_names = Vec::new();
            if let Ok(Some(san)) = cert.subject_alternative_name() {
                for name in &san.value.general_names {
                    if let x509_parser::extensions::GeneralName::DNSName(n) = name {
                        dns_names.push((*n).to_string());
                    }
                }
            }
            CertSummary {
                subject: cert.subject().to_string(),
                issuer: cert.issuer().to_string(),
                not_before: cert.validity().not_before.timestamp(),
                not_after: cert.validity().not_after.timestamp(),
                dns_names,
            }
        }
        Err(_) => CertSummary {
            subject: "(unparseable certificate)".into(),
            issuer: String::new(),
            not_before: 0,
            not_after: 0,
            dns_names: Vec::new(),
        },
    }
}

/// A DistinguishedName from a CertificateRequest, for display. TLS carries the full DER `Name`;
/// some stacks send it without the outer SEQUENCE, so try both.
pub(super) fn dn_text(raw: &[u8]) -> String {
    use x509_parser::prelude::FromDer;
    if let Ok((_, name)) = x509_parser::x509::X509Name::from_der(raw) {
        return name.to_string();
    }
    let wrapped = rustls::DistinguishedName::in_sequence(raw);
    match x509_parser::x509::X509Name::from_der(wrapped.as_ref()) {
        Ok((_, name)) => name.to_string(),
        Err(_) => format!("(undecodable name, {} bytes)", raw.len()),
    }
}
