//! # client-certificate
//!
//! ## What it detects
//! The server wants a TLS client certificate (mutual TLS) and did not get a usable one: none
//! was sent, or the one sent is expired, not yet valid, issued by a CA the server does not
//! accept, lacks the `clientAuth` extended key usage, or does not match its private key. nginx's
//! `400 No required SSL certificate was sent` and `400 The SSL certificate error` count although
//! they are not 401s, as does a 401 carrying `X-Client-Verify: FAILED:…` or `NONE` (nginx's
//! `error_page 495 496` form).
//!
//! ## Why it gives 401
//! With `ssl_verify_client on` (nginx), `SSLVerifyClient require` (Apache) or an API gateway's
//! mTLS setting, the client certificate *is* the credential. The TLS handshake often still
//! completes (TLS 1.3 sends the verdict after the handshake, nginx defers it to HTTP), so the
//! failure shows up as an HTTP 400, 401 or 403 with a generic body, and a valid bearer token
//! in the same request does not help.
//!
//! ## Evidence used
//! - the TLS inspection: whether the server sent a CertificateRequest, the CA names it accepts,
//!   whether a certificate was sent;
//! - the `--cert` file read locally (the `client-certificate` probe): validity dates against the
//!   clock, EKU (`clientAuth`), issuer against the accepted CAs, private key match;
//! - nginx's 400 bodies, the `X-Client-Verify` header of the 401 form, status 495/496.
//!
//! ## Fix
//! Send a certificate the server accepts: `--cert client.pem --key client.key`, issued by one
//! of the CAs the server lists, currently valid, with `extendedKeyUsage = clientAuth`, and with
//! the key that belongs to it. Renew an expired one; ask the API owner which CA to use.
//!
//! ## Example
//! ```text
//! $ authdoctor check --cert client-expired.pem --key client.key https://127.0.0.1:14444/
//! ← 401 Unauthorized
//!   X-Client-Verify: FAILED:certificate has expired
//! probe client-certificate: not after 2026-10-23 (expired 30d ago)
//! ```
//!
//! ## References
//! RFC 8446 §4.3.2 (CertificateRequest, `certificate_authorities`), §4.4.2; RFC 5280 §4.1.2.5
//! (validity), §4.2.1.12 (extended key usage, `id-kp-clientAuth`); nginx `ssl_verify_client`,
//! `$ssl_client_verify` and the non-standard 495/496 codes.

use crate::diagnosis::{Effort, Finding, Fix, Grade};
use crate::evidence::Evidence;
use crate::model::HeaderList;
use crate::time::{format_unix, human_duration};
use serde_json::json;

/// How the evidence weighs for and against this cause (see `causes::consistency`).
pub const PROFILE: crate::causes::consistency::Profile = crate::causes::consistency::Profile::NONE;

pub const ID: &str = "client-certificate";

/// nginx's own bodies when `ssl_verify_client` fails (it answers 400, not 401).
const NGINX_NO_CERT: &str = "no required ssl certificate was sent";
const NGINX_BAD_CERT: &str = "the ssl certificate error";

pub fn check(ev: &Evidence) -> Option<Finding> {
    let last = ev.last()?;
    let body = last.body_text().to_ascii_lowercase();
    let tls = last.tls.as_ref();
    // The strongest sign seen; none, no finding.
    let mut grade: Option<Grade> = None;
    let mut title = String::new();
    let mut f = Finding::new(ID, "", Grade::Faint);

    let verify = last.headers.first("x-client-verify").map(str::to_string);
    if body.contains(NGINX_NO_CERT) || last.status == 496 {
        grade = Some(Grade::Certain);
        title = "The server requires a client certificate and none was sent".into();
        f = f.evidence_with(
            "response.body",
            format!(
                "{} \"No required SSL certificate was sent\": nginx ssl_verify_client found no certificate",
                last.status
            ),
            json!({ "status": last.status }),
        );
    } else if body.contains(NGINX_BAD_CERT) || last.status == 495 {
        grade = Some(Grade::Certain);
        title = "The server rejected the client certificate".into();
        f = f.evidence_with(
            "response.body",
            format!(
                "{} \"The SSL certificate error\": nginx could not verify the certificate sent",
                last.status
            ),
            json!({ "status": last.status }),
        );
    }
    if let Some(v) = &verify
        && (v.eq_ignore_ascii_case("none") || v.to_ascii_uppercase().starts_with("FAILED"))
    {
        grade = grade.max(Some(Grade::Confirmed));
        let reason = v.split_once(':').map(|(_, r)| r.trim()).unwrap_or("");
        if title.is_empty() {
            title = if v.eq_ignore_ascii_case("none") {
                "The server requires a client certificate and none was sent".into()
            } else {
                format!("The server rejected the client certificate: {reason}")
            };
        }
        f = f.evidence_with(
            "response.header.x-client-verify",
            format!("X-Client-Verify: {v} — the server's verdict on the client certificate"),
            json!({ "x_client_verify": v }),
        );
    }

    if let Some(t) = tls
        && t.client_cert_requested
    {
        let cas = if t.acceptable_client_cas.is_empty() {
            "any CA (no names listed)".to_string()
        } else {
            t.acceptable_client_cas.join("; ")
        };
        f = f.evidence_with(
            "tls.client_cert_requested",
            format!(
                "the server asked for a client certificate (accepted CAs: {cas}); {}",
                if t.client_cert_sent {
                    "one was sent"
                } else {
                    "none was sent"
                }
            ),
            json!({ "acceptable_cas": t.acceptable_client_cas, "sent": t.client_cert_sent }),
        );
        if !t.client_cert_sent && grade.is_none() && ev.is_auth_failure() {
            grade = Some(Grade::Probable);
            title = "The server asked for a client certificate and none was sent".into();
        }
    }

    // What the --cert file itself says: the specific defect names the fix.
    if let Some(c) = &ev.client_cert {
        let (now, clock) = ev.judging_time();
        let mut defect: Option<String> = None;
        if let Some(e) = &c.error {
            defect = Some(format!("the --cert file could not be used: {e}"));
        }
        if let Some(na) = c.not_after
            && na <= now
        {
            defect = Some(format!(
                "The client certificate expired {} ago (not after {})",
                human_duration(now - na),
                format_unix(na)
            ));
            f = f.evidence_with(
                "probe.client-certificate",
                format!(
                    "--cert {}: not after {} — expired {} ago by {clock}",
                    c.file,
                    format_unix(na),
                    human_duration(now - na)
                ),
                json!({ "not_after": na, "judged_at": now }),
            );
        }
        if let Some(nb) = c.not_before
            && nb > now
        {
            defect = Some(format!(
                "The client certificate is not valid for another {} (not before {})",
                human_duration(nb - now),
                format_unix(nb)
            ));
            f = f.evidence_with(
                "probe.client-certificate",
                format!(
                    "--cert {}: not before {} — {} in the future by {clock}",
                    c.file,
                    format_unix(nb),
                    human_duration(nb - now)
                ),
                json!({ "not_before": nb, "judged_at": now }),
            );
        }
        if c.client_auth == Some(false) {
            defect = Some(format!(
                "The client certificate is for {} only: it lacks the clientAuth purpose",
                if c.purposes.is_empty() {
                    "other purposes".to_string()
                } else {
                    c.purposes.join(", ")
                }
            ));
            f = f.evidence_with(
                "probe.client-certificate",
                format!(
                    "--cert {}: extendedKeyUsage is {} — no clientAuth",
                    c.file,
                    c.purposes.join(", ")
                ),
                json!({ "purposes": c.purposes }),
            );
        }
        if c.key_matches == Some(false) {
            defect = Some("The private key (--key) does not belong to the certificate".into());
            f = f.evidence(
                "probe.client-certificate",
                format!("--cert {}: the --key is not this certificate's key", c.file),
            );
        }
        if let (Some(issuer), Some(t)) = (&c.issuer, tls)
            && t.client_cert_requested
            && !t.acceptable_client_cas.is_empty()
            && !t.acceptable_client_cas.iter().any(|ca| ca == issuer)
        {
            defect = Some(format!(
                "The client certificate's issuer ({issuer}) is not a CA the server accepts"
            ));
            f = f.evidence_with(
                "probe.client-certificate",
                format!(
                    "--cert {}: issued by {issuer}; the server accepts {}",
                    c.file,
                    t.acceptable_client_cas.join("; ")
                ),
                json!({ "issuer": issuer, "acceptable_cas": t.acceptable_client_cas }),
            );
        }
        if let Some(d) = defect {
            if ev.is_auth_failure() {
                grade = grade.max(Some(Grade::Likely));
            }
            if grade.is_some() {
                title = d;
            }
        } else if grade.is_some() {
            f = f.evidence(
                "probe.client-certificate",
                format!(
                    "--cert {}: {} issued by {}, valid {} to {}, clientAuth {}",
                    c.file,
                    c.subject.as_deref().unwrap_or("?"),
                    c.issuer.as_deref().unwrap_or("?"),
                    c.not_before.map(format_unix).unwrap_or_default(),
                    c.not_after.map(format_unix).unwrap_or_default(),
                    match c.client_auth {
                        Some(true) => "yes",
                        Some(false) => "no",
                        None => "not restricted",
                    }
                ),
            );
        }
    } else if grade.is_some() {
        f = f.evidence("request.transport.cert", "no --cert was given");
    }
    let grade = grade?;
    f.title = title;
    Some(
        f.fix(
            Fix::new(
                "send-valid-client-certificate",
                "Send a client certificate the server accepts",
                Effort::Medium,
            )
            .step("Pass it like curl: --cert client.pem --key client.key (PEM; the key that belongs to the certificate).")
            .step("It must be issued by a CA the server lists, be within its validity dates, and carry extendedKeyUsage clientAuth.")
            .step("Renew an expired certificate; ask the API owner which CA issues client certificates.")
            .command("openssl x509 -in client.pem -noout -subject -issuer -dates -ext extendedKeyUsage"),
        )
        .graded(grade),
    )
}

#[cfg(test)]
mod tests {
    use crate::causes::testkit::*;
    use crate::evidence::Evidence;
    use crate::model::{ClientCertInfo, TlsInfo};

    fn with_tls(status: u16, body: &str, headers: &[(&str, &str)], sent: bool) -> Evidence {
        let r = request(&[]);
        let mut x = response(status, headers);
        x.body = body.as_bytes().to_vec();
        x.tls = Some(TlsInfo {
            client_cert_requested: true,
            acceptable_client_cas: vec!["CN=authdoctor test CA".into()],
            client_cert_sent: sent,
            ..Default::default()
        });
        Evidence::new(r, vec![x], None, None, NOW)
    }

    #[test]
    fn nginx_400_without_certificate() {
        let ev = with_tls(
            400,
            "<html><head><title>400 No required SSL certificate was sent</title></head></html>",
            &[],
            false,
        );
        assert_eq!(ids(&ev)[0], "client-certificate");
        assert!(super::check(&ev).unwrap().title.contains("none was sent"));
    }

    #[test]
    fn expired_certificate_named() {
        let ev = with_tls(
            401,
            "client certificate problem",
            &[("X-Client-Verify", "FAILED:certificate has expired")],
            true,
        )
        .with_client_cert(Some(ClientCertInfo {
            file: "client.pem".into(),
            issuer: Some("CN=authdoctor test CA".into()),
            not_before: Some(NOW - 60 * 86_400),
            not_after: Some(NOW - 30 * 86_400),
            ..Default::default()
        }));
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("expired 30d"), "{}", f.title);
        assert_eq!(ids(&ev)[0], "client-certificate");
    }

    #[test]
    fn server_auth_only_and_other_ca() {
        let ev = with_tls(
            400,
            "<title>400 The SSL certificate error</title>",
            &[],
            true,
        )
        .with_client_cert(Some(ClientCertInfo {
            file: "c.pem".into(),
            issuer: Some("CN=rogue".into()),
            client_auth: Some(false),
            purposes: vec!["serverAuth".into()],
            ..Default::default()
        }));
        let f = super::check(&ev).unwrap();
        assert!(f.title.contains("rogue"), "{}", f.title);
        assert!(f.evidence.iter().any(|e| e.text.contains("no clientAuth")));
    }

    #[test]
    fn plain_401_is_silent() {
        let ev = evidence(&[], 401, &[("WWW-Authenticate", "Bearer")]);
        assert!(super::check(&ev).is_none());
    }
}
