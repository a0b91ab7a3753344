//! The inspection handshake beside the request (see the module doc of `tls`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use authdoctor_core::model::{ProxySetting, TlsInfo, TransportOptions};
use authdoctor_core::secret::redact_url;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use super::cert::{cert_summary, dn_text};
use super::config::{load_identity, server_verifier};
use super::verifier::{AcceptingVerifier, Recording, Shared, with_rec};
use super::{alpn_for, provider};
use crate::errors::{NetError, describe_rustls_error, find_rustls_error, io_kind_text};
use crate::pins::pinned_addrs;
use crate::proxy::{EnvSnapshot, resolve_proxy};

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
