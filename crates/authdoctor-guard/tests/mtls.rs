//! RFC 8705 certificate-bound tokens end to end: a hyper + tokio-rustls server that asks for a
//! client certificate and hands the peer's leaf to the guard as a `ClientCertificate` request
//! extension (the wiring the README shows), and TLS clients presenting the certificate the token
//! is bound to, another one from the same CA, or none. Certificates are made per run (rcgen).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use authdoctor_guard::{ClientCertificate, GuardLayer, KeySet, Validator};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::{Layer, ServiceExt, service_fn};

mod support;
use support::*;

struct Pki {
    ca: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    clients: Vec<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "guard mtls test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = |names: Vec<String>, client: bool| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(names).unwrap();
        if client {
            p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        }
        let cert = p.signed_by(&key, &issuer).unwrap();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    };
    Pki {
        ca: ca_cert.der().clone(),
        server: leaf(vec!["localhost".into()], false),
        clients: vec![leaf(vec![], true), leaf(vec![], true)],
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The embedding server: TLS with optional client certificates, the peer's leaf into each
/// request's extensions, the guard in front of a handler.
async fn serve(pki: &Pki, v: Validator) -> SocketAddr {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let verifier =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .allow_unauthenticated()
            .build()
            .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let guarded = GuardLayer::new(v).layer(service_fn(|_req: http::Request<Incoming>| async {
        Ok::<_, Infallible>(http::Response::new("ok".to_owned()))
    }));
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            let guarded = guarded.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                // Once per connection: the leaf's SHA-256.
                let cert = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|chain| chain.first())
                    .map(|leaf| ClientCertificate::from_der(leaf.as_ref()));
                let svc = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                    if let Some(c) = cert {
                        req.extensions_mut().insert(c);
                    }
                    guarded.clone().oneshot(req)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

/// One HTTP/1.1 request over TLS, presenting `client` (or no certificate); the status code.
async fn get(pki: &Pki, addr: SocketAddr, client: Option<usize>, token: &str) -> u16 {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match client {
        Some(i) => b
            .with_client_auth_cert(vec![pki.clients[i].0.clone()], pki.clients[i].1.clone_key())
            .unwrap(),
        None => b.with_no_client_auth(),
    };
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let req = format!(
        "GET /v1/orders HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(req.as_bytes()).await.unwrap();
    let mut resp = Vec::new();
    let _ = tls.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

#[tokio::test]
async fn certificate_bound_tokens_over_real_mtls() {
    let k = keys();
    let pki = pki();
    let v = Validator::builder()
        .keys(KeySet::from_jwks_json(k.jwks.to_string().as_bytes()).unwrap())
        .issuer(ISS)
        .audience(AUD)
        .fixed_time(NOW)
        .build()
        .unwrap();
    let addr = serve(&pki, v).await;

    let x5t = ClientCertificate::from_der(pki.clients[0].0.as_ref()).thumbprint();
    let header = json!({"alg": "ES256", "typ": "at+jwt", "kid": "ec"});
    let mut c = claims("read");
    c["cnf"] = json!({"x5t#S256": x5t});
    let input = signing_input(&header, &c);
    let bound = format!("{input}.{}", b64(sign(&k, "ES256", &input)));

    assert_eq!(
        get(&pki, addr, Some(0), &bound).await,
        200,
        "the bound certificate"
    );
    assert_eq!(
        get(&pki, addr, Some(1), &bound).await,
        401,
        "another certificate"
    );
    assert_eq!(get(&pki, addr, None, &bound).await, 401, "no certificate");
    // Unbound tokens are unaffected by the certificate.
    let plain = token(&k, "ES256", "read");
    assert_eq!(get(&pki, addr, None, &plain).await, 200);
    assert_eq!(get(&pki, addr, Some(1), &plain).await, 200);
}
