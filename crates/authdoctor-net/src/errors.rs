//! [`NetError`]: what went wrong on the wire, in words that never contain a credential, and the
//! mapping from the HTTP client's and TLS stack's error chains to it.

use std::time::Instant;

use authdoctor_core::secret::redact_url;
use rustls::CertificateError;
use url::Url;

use crate::proxy::ProxyChoice;

/// Why the request could not be exchanged at all. Messages are one line and never contain a
/// header value, token, password or cookie value (URLs are shown through `redact_url`).
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot resolve host {host:?}: {reason}")]
    Dns { host: String, reason: String },
    #[error("cannot connect to {addr}: {reason}")]
    Connect { addr: String, reason: String },
    #[error("TLS with {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("no complete answer from {url} within {after_ms} ms")]
    Timeout { url: String, after_ms: u64 },
    #[error("proxy {proxy}: {reason}")]
    Proxy { proxy: String, reason: String },
    #[error("client certificate (--cert/--key): {reason}")]
    ClientCert { reason: String },
    #[error("CA certificate (--cacert): {reason}")]
    CaCert { reason: String },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("stopped after {hops} redirects: {url} redirects again (a redirect loop?)")]
    TooManyRedirects { url: String, hops: usize },
    #[error("{0}")]
    Other(String),
}

impl NetError {
    /// A stable machine-readable name for the variant (used by the report and `--json`).
    pub fn kind(&self) -> &'static str {
        match self {
            NetError::Dns { .. } => "dns",
            NetError::Connect { .. } => "connect",
            NetError::Tls { .. } => "tls",
            NetError::Timeout { .. } => "timeout",
            NetError::Proxy { .. } => "proxy",
            NetError::ClientCert { .. } => "client_cert",
            NetError::CaCert { .. } => "cacert",
            NetError::InvalidRequest(_) => "invalid_request",
            NetError::TooManyRedirects { .. } => "too_many_redirects",
            NetError::Other(_) => "other",
        }
    }
}

pub(crate) fn timeout_error(url: &Url, started: Instant) -> NetError {
    NetError::Timeout {
        url: redact_url(url.as_str()),
        after_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// The source chain below reqwest's own message (which would repeat the URL), joined.
pub(crate) fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = err.source();
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

/// Every error in the chain, including those wrapped inside `io::Error` (whose `source()` skips
/// the wrapped error itself).
pub(crate) fn chain_errors<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        out.push(e);
        let wrapped: Option<&(dyn std::error::Error + 'static)> = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        cur = wrapped.or_else(|| e.source());
    }
    out
}

pub(crate) fn find_rustls_error(err: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    chain_errors(err)
        .into_iter()
        .find_map(|e| e.downcast_ref::<rustls::Error>().cloned())
}

/// The most specific I/O error kind in the chain (outer layers often re-wrap as `Other`).
pub(crate) fn find_io_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let kinds: Vec<std::io::ErrorKind> = chain_errors(err)
        .into_iter()
        .filter_map(|e| e.downcast_ref::<std::io::Error>().map(std::io::Error::kind))
        .collect();
    kinds
        .iter()
        .copied()
        .find(|k| *k == std::io::ErrorKind::TimedOut || io_kind_text(*k).is_some())
        .or_else(|| kinds.first().copied())
}

pub(crate) fn io_kind_text(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind as K;
    Some(match kind {
        K::ConnectionRefused => "connection refused",
        K::ConnectionReset => "connection reset by peer",
        K::ConnectionAborted => "connection aborted",
        K::HostUnreachable => "host unreachable",
        K::NetworkUnreachable => "network unreachable",
        K::AddrNotAvailable => "address not available",
        K::PermissionDenied => "permission denied (firewall or sandbox?)",
        K::UnexpectedEof => "connection closed by the server",
        _ => return None,
    })
}

pub(crate) fn map_reqwest_error(
    err: &reqwest::Error,
    url: &Url,
    proxy: Option<&ProxyChoice>,
    started: Instant,
) -> NetError {
    let host = url.host_str().unwrap_or_default().to_string();
    let addr = format!("{host}:{}", url.port_or_known_default().unwrap_or(0));
    if err.is_timeout() || find_io_kind(err) == Some(std::io::ErrorKind::TimedOut) {
        return timeout_error(url, started);
    }
    if let Some(tls) = find_rustls_error(err) {
        return NetError::Tls {
            host,
            reason: describe_rustls_error(&tls),
        };
    }
    let detail = chain_text(err);
    let lower = detail.to_ascii_lowercase();
    let is_dns = lower.contains("dns error") || lower.contains("failed to lookup address");
    if let Some(p) = proxy
        && err.is_connect()
    {
        let reason = match find_io_kind(err).and_then(io_kind_text) {
            Some(t) => t.to_string(),
            None if is_dns => format!("cannot resolve the proxy host: {}", innermost(&detail)),
            None => detail.clone(),
        };
        return NetError::Proxy {
            proxy: p.setting.url.clone(),
            reason,
        };
    }
    if is_dns {
        return NetError::Dns {
            host,
            reason: innermost(&detail),
        };
    }
    if let Some(kind_text) = find_io_kind(err).and_then(io_kind_text)
        && (err.is_connect() || kind_text != "connection closed by the server")
    {
        return NetError::Connect {
            addr,
            reason: kind_text.to_string(),
        };
    }
    if err.is_connect() {
        return NetError::Connect {
            addr,
            reason: innermost(&detail),
        };
    }
    if err.is_builder() {
        return NetError::InvalidRequest(detail);
    }
    NetError::Other(detail)
}

/// The most specific message of a `a: b: c` chain.
pub(crate) fn innermost(detail: &str) -> String {
    detail.rsplit(": ").next().unwrap_or(detail).to_string()
}

/// One line a user can act on.
pub(crate) fn describe_rustls_error(e: &rustls::Error) -> String {
    use rustls::AlertDescription as A;
    match e {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::UnknownIssuer => {
                "certificate not trusted: unknown issuer (self-signed or private CA? see --cacert)"
                    .into()
            }
            CertificateError::NotValidForName => "certificate not valid for this host name".into(),
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => {
                let names = if presented.is_empty() {
                    "no names".to_string()
                } else {
                    presented
                        .iter()
                        .map(|p| presented_name(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "certificate not valid for name {:?} (it is for {names})",
                    expected.to_str()
                )
            }
            CertificateError::Expired => "certificate expired".into(),
            CertificateError::ExpiredContext { not_after, .. } => format!(
                "certificate expired (notAfter {})",
                unix_to_text(not_after.as_secs())
            ),
            CertificateError::NotValidYet => "certificate not valid yet (check the clock)".into(),
            CertificateError::NotValidYetContext { not_before, .. } => format!(
                "certificate not valid yet (notBefore {}; check the clock)",
                unix_to_text(not_before.as_secs())
            ),
            CertificateError::Revoked => "certificate revoked".into(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "certificate not valid for TLS server authentication (extended key usage)".into()
            }
            other => format!("invalid certificate: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => {
            let hint = match alert {
                A::CertificateRequired => ": the server requires a client certificate (--cert)",
                A::HandshakeFailure => ": the server may require a client certificate",
                A::UnknownCA => ": the server does not trust the client certificate's CA",
                A::BadCertificate | A::CertificateUnknown => {
                    ": the server rejected the client certificate"
                }
                A::CertificateExpired => ": the client certificate expired",
                _ => "",
            };
            format!("the server sent TLS alert {alert:?}{hint}")
        }
        rustls::Error::NoApplicationProtocol => {
            "no common ALPN protocol (try --http1.1 or --http2)".into()
        }
        other => other.to_string(),
    }
}

/// rustls renders presented names as `DnsName("x")`; show `x`.
pub(crate) fn presented_name(p: &str) -> String {
    p.strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .map(str::to_string)
        .unwrap_or_else(|| p.to_string())
}

pub(crate) fn unix_to_text(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// An `http(s)://` URL with a host, or the error that says why not (never echoing the text).
pub(crate) fn parse_http_url(raw: &str) -> Result<Url, NetError> {
    // The text is not echoed: an unparseable URL may still hold a password.
    let url = Url::parse(raw.trim())
        .map_err(|e| NetError::InvalidRequest(format!("the URL is not valid: {e}")))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        "http" | "https" => Err(NetError::InvalidRequest("URL has no host".into())),
        other => Err(NetError::InvalidRequest(format!(
            "unsupported URL scheme {other:?} (only http and https)"
        ))),
    }
}
