//! TLS: the rustls configuration the request is sent with, and a separate inspection handshake.
//!
//! reqwest only exposes the leaf certificate, and when an mTLS server rejects a missing client
//! certificate it reports little more than "channel closed". So [`inspect`] does its own
//! tokio-rustls handshake beside the request and records what a diagnosis needs: the full peer
//! chain (even when it does not verify: the verifier records the error and lets the handshake
//! go on, since nothing but the handshake is ever sent on that connection), the negotiated
//! version and ALPN, and whether the server sent a CertificateRequest — detected by a client
//! certificate resolver, which rustls only consults when the server asks.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authdoctor_core::model::{
    CertSummary, HttpVersionPref, ProxySetting, TlsInfo, TransportOptions,
};
use authdoctor_core::secret::redact_url;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::errors::{NetError, describe_rustls_error, find_rustls_error, io_kind_text};
use crate::pins::pinned_addrs;
use crate::proxy::{EnvSnapshot, resolve_proxy};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn alpn_for(pref: HttpVersionPref) -> Vec<Vec<u8>> {
    match pref {
        HttpVersionPref::Http1 => vec![b"http/1.1".to_vec()],
        HttpVersionPref::Http2 => vec![b"h2".to_vec()],
        HttpVersionPref::Any => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    }
}

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
fn server_verifier(
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
fn load_identity(
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

/// Accepts whatever certificate the server presents; the handshake signatures are still checked
/// so that the connection is at least to whoever holds the presented key.
///
/// Without `record` this is `-k`. With it, the chain and the real verifier's verdict are recorded
/// and the handshake goes on (the inspection handshake, see the module doc).
#[derive(Debug)]
struct AcceptingVerifier {
    provider: Arc<CryptoProvider>,
    record: Option<Recording>,
}

/// The real verifier whose verdict is recorded, and where.
#[derive(Debug)]
struct Recording {
    inner: Arc<dyn ServerCertVerifier>,
    rec: Shared,
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
fn dn_text(raw: &[u8]) -> String {
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

/// What the inspection handshake saw, beyond [`TlsInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsInspection {
    pub info: TlsInfo,
    /// Why the chain would not verify (also recorded with `-k`, which accepts it anyway).
    pub verify_error: Option<String>,
    /// Why the handshake failed (e.g. the server's alert after a missing client certificate).
    pub handshake_error: Option<String>,
    /// The SNI name used.
    pub server_name: String,
    /// The proxy tunnelled through (`CONNECT`), password redacted.
    pub proxy: Option<ProxySetting>,
}

#[derive(Debug, Default)]
struct Recorded {
    chain: Vec<CertificateDer<'static>>,
    verify_error: Option<String>,
    client_cert_requested: bool,
    acceptable_cas: Vec<String>,
    client_cert_sent: bool,
}

type Shared = Arc<Mutex<Recorded>>;

fn with_rec<R>(rec: &Shared, f: impl FnOnce(&mut Recorded) -> R) -> R {
    // A poisoned lock only means another thread panicked mid-record; the data is still usable.
    let mut guard = rec.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// rustls calls `resolve` only when the server sent a CertificateRequest: that is the signal.
#[derive(Debug)]
struct RecordingResolver {
    key: Option<Arc<CertifiedKey>>,
    rec: Shared,
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let usable = self
            .key
            .as_ref()
            .filter(|k| k.key.choose_scheme(sigschemes).is_some());
        with_rec(&self.rec, |r| {
            r.client_cert_requested = true;
            r.acceptable_cas = root_hint_subjects.iter().map(|dn| dn_text(dn)).collect();
            r.client_cert_sent = usable.is_some();
        });
        usable.cloned()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// Handshake with `url`'s host (through an `http://` proxy via CONNECT when one applies) and
/// record what the server showed. `Err` only when no TCP connection could be made (or the
/// inputs are unusable); a failed handshake is reported in [`TlsInspection::handshake_error`].
pub async fn inspect(
    url: &Url,
    transport: &TransportOptions,
    timeout: Duration,
) -> Result<TlsInspection, NetError> {
    let started = Instant::now();
    match tokio::time::timeout(timeout, inspect_inner(url, transport, started, timeout)).await {
        Ok(r) => r,
        Err(_) => Err(NetError::Timeout {
            url: redact_url(url.as_str()),
            after_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

async fn inspect_inner(
    url: &Url,
    transport: &TransportOptions,
    started: Instant,
    timeout: Duration,
) -> Result<TlsInspection, NetError> {
    let host = url
        .host_str()
        .ok_or_else(|| NetError::InvalidRequest("URL has no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let server_name = ServerName::try_from(host.clone()).map_err(|_| {
        NetError::InvalidRequest(format!("{host:?} cannot be used as a TLS server name"))
    })?;

    let proxy = resolve_proxy(transport, url, &EnvSnapshot::capture());
    let mut tcp = match &proxy {
        // The handshake goes where the request's connection goes: to a pinned address too.
        None => match pinned_addrs(transport, url).await? {
            Some(addrs) => connect_addrs(&host, &addrs).await?,
            None => connect_tcp(&host, port).await?,
        },
        Some(p) => connect_via_proxy(&p.real_url, &p.setting.url, &host, port).await?,
    };
    let _ = tcp.set_nodelay(true);

    let provider = provider();
    let rec: Shared = Arc::default();
    let inner = server_verifier(transport, &host, &provider)?;
    let key =
        match load_identity(transport)? {
            Some((chain, key)) => {
                let signing = provider.key_provider.load_private_key(key).map_err(|e| {
                    NetError::ClientCert {
                        reason: format!("unusable private key: {e}"),
                    }
                })?;
                Some(Arc::new(CertifiedKey::new(chain, signing)))
            }
            None => None,
        };
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls {
            host: host.clone(),
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptingVerifier {
            provider: provider.clone(),
            record: Some(Recording {
                inner,
                rec: rec.clone(),
            }),
        }))
        .with_client_cert_resolver(Arc::new(RecordingResolver {
            key,
            rec: rec.clone(),
        }));
    config.alpn_protocols = alpn_for(transport.http_version);

    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let mut info = TlsInfo::default();
    let mut handshake_error = None;
    match connector.connect(server_name.to_owned(), &mut tcp).await {
        Ok(mut stream) => {
            {
                let (_, conn) = stream.get_ref();
                info.version = conn.protocol_version().map(version_text);
                info.alpn = conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned());
            }
            // With TLS 1.3 a server that rejects the client certificate says so only after the
            // client's Finished: wait briefly for that alert, but only when it can come.
            if with_rec(&rec, |r| r.client_cert_requested) {
                let left = timeout.saturating_sub(started.elapsed());
                let wait = left.min(Duration::from_millis(300));
                let mut byte = [0u8; 1];
                if let Ok(Err(e)) = tokio::time::timeout(wait, stream.read(&mut byte)).await {
                    handshake_error = Some(io_text(&e));
                }
            }
            let _ = stream.shutdown().await;
        }
        Err(e) => handshake_error = Some(io_text(&e)),
    }

    let r = with_rec(&rec, std::mem::take);
    info.peer_chain = r.chain.iter().map(|c| cert_summary(c)).collect();
    info.client_cert_requested = r.client_cert_requested;
    info.acceptable_client_cas = r.acceptable_cas;
    info.client_cert_sent = r.client_cert_sent;
    Ok(TlsInspection {
        info,
        verify_error: r.verify_error,
        handshake_error,
        server_name: host,
        proxy: proxy.map(|p| p.setting),
    })
}

fn version_text(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".into(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".into(),
        other => format!("{other:?}"),
    }
}

fn io_text(e: &std::io::Error) -> String {
    match find_rustls_error(e) {
        Some(tls) => describe_rustls_error(&tls),
        None => io_kind_text(e.kind())
            .map(str::to_string)
            .unwrap_or_else(|| e.to_string()),
    }
}

async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, NetError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| NetError::Dns {
            host: host.to_string(),
            reason: e.to_string(),
        })?
        .collect();
    connect_addrs(host, &addrs).await
}

async fn connect_addrs(host: &str, addrs: &[std::net::SocketAddr]) -> Result<TcpStream, NetError> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some((addr, e)),
        }
    }
    Err(match last {
        Some((addr, e)) => NetError::Connect {
            addr: addr.to_string(),
            reason: io_text(&e),
        },
        None => NetError::Dns {
            host: host.to_string(),
            reason: "no addresses".into(),
        },
    })
}

/// Open a tunnel through an `http://` proxy with CONNECT (basic auth from the proxy URL).
async fn connect_via_proxy(
    real: &str,
    shown: &str,
    host: &str,
    port: u16,
) -> Result<TcpStream, NetError> {
    let perr = |reason: String| NetError::Proxy {
        proxy: shown.to_string(),
        reason,
    };
    let purl = Url::parse(real).map_err(|_| perr("not a valid proxy URL".into()))?;
    if purl.scheme() != "http" {
        return Err(perr(format!(
            "TLS inspection through a {}:// proxy is not supported",
            purl.scheme()
        )));
    }
    let phost = purl
        .host_str()
        .ok_or_else(|| perr("proxy URL has no host".into()))?;
    let pport = purl.port_or_known_default().unwrap_or(1080);
    let mut tcp = connect_tcp(phost, pport)
        .await
        .map_err(|e| perr(e.to_string()))?;
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !purl.username().is_empty() {
        use base64::Engine;
        let decode = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let user = decode(purl.username());
        let pass = decode(purl.password().unwrap_or_default());
        let cred = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        req.push_str(&format!("Proxy-Authorization: Basic {cred}\r\n"));
    }
    req.push_str("\r\n");
    tcp.write_all(req.as_bytes())
        .await
        .map_err(|e| perr(io_text(&e)))?;
    // Read the proxy's answer byte by byte so no TLS byte after it is consumed.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(perr("CONNECT answer too long".into()));
        }
        let n = tcp.read(&mut byte).await.map_err(|e| perr(io_text(&e)))?;
        if n == 0 {
            return Err(perr("proxy closed the connection during CONNECT".into()));
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or_default().trim().to_string();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if !code.starts_with('2') {
        return Err(perr(format!("CONNECT answered {status_line:?}")));
    }
    Ok(tcp)
}
