//! TLS against in-process rustls servers on 127.0.0.1 with a per-run CA: the inspection
//! handshake (chain, CertificateRequest, acceptable CAs, alerts), verification errors, and
//! credentials on an https→http redirect.

mod support;

use std::sync::Arc;
use std::time::Duration;

use authdoctor_core::model::{Header, HeaderList, RequestSpec, TransportOptions};
use authdoctor_net::send::{NetError, SendOptions};
use authdoctor_net::send::{send_and_inspect, send_with_tls};
use authdoctor_net::tls::inspect;
use support::{pki, resp, serve, serve_tls};
use url::Url;

fn ok_handler() -> support::Handler {
    Arc::new(|_, _| resp(401, &[("www-authenticate", "Bearer")], "no"))
}

fn trusting(ca_file: &str) -> TransportOptions {
    TransportOptions {
        cacert: Some(ca_file.to_string()),
        ..Default::default()
    }
}

#[tokio::test]
async fn inspect_without_client_cert_request() {
    let pki = pki(&["localhost", "127.0.0.1"]);
    let srv = serve_tls(ok_handler(), pki.server_config(None)).await;
    let url = Url::parse(&format!("https://localhost:{}/", srv.addr.port())).expect("url");
    let insp = inspect(&url, &trusting(&pki.ca_file), Duration::from_secs(5))
        .await
        .expect("inspect");
    assert_eq!(insp.verify_error, None);
    assert_eq!(insp.handshake_error, None);
    assert_eq!(insp.info.version.as_deref(), Some("TLSv1.3"));
    assert_eq!(insp.info.peer_chain.len(), 1);
    assert!(
        insp.info.peer_chain[0]
            .issuer
            .contains("authdoctor test CA")
    );
    assert_eq!(insp.info.peer_chain[0].dns_names, ["localhost"]);
    assert!(!insp.info.client_cert_requested);
    assert!(!insp.info.client_cert_sent);
}

#[tokio::test]
async fn inspect_sees_client_cert_request_and_cas() {
    let pki = pki(&["localhost"]);
    let srv = serve_tls(ok_handler(), pki.server_config(Some(false))).await;
    let url = Url::parse(&format!("https://localhost:{}/", srv.addr.port())).expect("url");
    let insp = inspect(&url, &trusting(&pki.ca_file), Duration::from_secs(5))
        .await
        .expect("inspect");
    assert!(insp.info.client_cert_requested);
    assert!(!insp.info.client_cert_sent);
    assert_eq!(
        insp.info.acceptable_client_cas.len(),
        1,
        "{:?}",
        insp.info.acceptable_client_cas
    );
    assert!(
        insp.info.acceptable_client_cas[0].contains("CN=authdoctor test CA"),
        "{:?}",
        insp.info.acceptable_client_cas
    );

    // With --cert/--key it is presented.
    let mut t = trusting(&pki.ca_file);
    t.cert = Some(pki.client_cert_file.clone());
    t.key = Some(pki.client_key_file.clone());
    let insp = inspect(&url, &t, Duration::from_secs(5))
        .await
        .expect("inspect");
    assert!(insp.info.client_cert_requested && insp.info.client_cert_sent);
    assert_eq!(insp.handshake_error, None);
}

#[tokio::test]
async fn required_client_cert_missing_is_reported() {
    let pki = pki(&["localhost"]);
    let srv = serve_tls(ok_handler(), pki.server_config(Some(true))).await;
    let url = Url::parse(&format!("https://localhost:{}/", srv.addr.port())).expect("url");
    let insp = inspect(&url, &trusting(&pki.ca_file), Duration::from_secs(5))
        .await
        .expect("inspect");
    assert!(insp.info.client_cert_requested);
    let err = insp.handshake_error.expect("alert");
    assert!(err.contains("client certificate"), "{err}");
}

#[tokio::test]
async fn untrusted_and_wrong_name_are_recorded_and_refused() {
    let pki = pki(&["example.test"]);
    let srv = serve_tls(ok_handler(), pki.server_config(None)).await;
    let url = format!("https://localhost:{}/", srv.addr.port());
    // Not trusted at all: the inspection still has the chain.
    let insp = inspect(
        &Url::parse(&url).expect("url"),
        &TransportOptions::default(),
        Duration::from_secs(5),
    )
    .await
    .expect("inspect");
    assert_eq!(insp.info.peer_chain.len(), 1);
    assert!(insp.verify_error.expect("error").contains("unknown issuer"));

    // Trusted CA, wrong name: the request fails with a Tls error naming the host.
    let spec = RequestSpec {
        method: "GET".into(),
        url: url.parse().expect("url"),
        transport: trusting(&pki.ca_file),
        ..Default::default()
    };
    let (sent, insp) = send_and_inspect(&spec, &SendOptions::default()).await;
    let err = sent.expect_err("name mismatch");
    assert!(matches!(err, NetError::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not valid for name \"localhost\""),
        "{err}"
    );
    let insp = insp.expect("https").expect("inspect");
    assert!(insp.verify_error.expect("error").contains("example.test"));

    // -k accepts it.
    let mut spec = spec;
    spec.transport.insecure = true;
    let hops = send_with_tls(&spec, &SendOptions::default())
        .await
        .expect("send -k");
    assert_eq!(hops[0].status, 401);
    assert!(
        hops[0]
            .tls
            .as_ref()
            .is_some_and(|t| !t.peer_chain.is_empty())
    );
}

#[tokio::test]
async fn https_request_with_cacert_and_tls_attached() {
    let pki = pki(&["localhost"]);
    let srv = serve_tls(ok_handler(), pki.server_config(None)).await;
    let spec = RequestSpec {
        method: "GET".into(),
        url: format!("https://localhost:{}/api", srv.addr.port())
            .parse()
            .expect("a valid URL"),
        transport: trusting(&pki.ca_file),
        ..Default::default()
    };
    let hops = send_with_tls(&spec, &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops[0].status, 401);
    let tls = hops[0].tls.as_ref().expect("tls attached");
    assert_eq!(tls.peer_chain[0].dns_names, ["localhost"]);
    assert!(tls.alpn.is_none(), "the test server offers no ALPN");
}

#[tokio::test]
async fn https_to_http_drops_credentials_even_when_trusted() {
    let plain = serve(Arc::new(|_, _| resp(401, &[], "plain"))).await;
    let target = plain.url("http", "/landing");
    let pki = pki(&["localhost"]);
    let srv = serve_tls(
        Arc::new(move |_, _| resp(301, &[("location", &target)], "")),
        pki.server_config(None),
    )
    .await;
    let spec = RequestSpec {
        method: "GET".into(),
        url: format!("https://localhost:{}/", srv.addr.port())
            .parse()
            .expect("a valid URL"),
        headers: vec![
            Header::new("Authorization", "Bearer s3cr3t"),
            Header::new("Proxy-Authorization", "Basic cHg="),
        ],
        transport: trusting(&pki.ca_file),
        location_trusted: true,
        ..Default::default()
    };
    let hops = send_with_tls(&spec, &SendOptions::default())
        .await
        .expect("send");
    assert_eq!(hops.len(), 2);
    assert!(hops[0].tls.is_some());
    assert!(hops[1].tls.is_none());
    assert!(!hops[1].request_headers.has("authorization"));
    // Proxy-Authorization is for a proxy, and there is none: never sent to either origin.
    assert!(!hops[0].request_headers.has("proxy-authorization"));
    assert!(!hops[1].request_headers.has("proxy-authorization"));
    assert!(
        hops[1].dropped_headers[0]
            .reason
            .starts_with("https→http downgrade")
    );
    assert_eq!(plain.seen()[0].header("authorization"), None);
}

#[tokio::test]
async fn bad_client_cert_path_is_client_cert_error() {
    let pki = pki(&["localhost"]);
    let mut t = trusting(&pki.ca_file);
    t.cert = Some(pki.dir.join("missing.pem").to_string_lossy().into_owned());
    let spec = RequestSpec {
        method: "GET".into(),
        url: "https://localhost:9/".parse().unwrap(),
        transport: t,
        ..Default::default()
    };
    let err = authdoctor_net::send::send(&spec, &SendOptions::default())
        .await
        .expect_err("cert");
    assert_eq!(err.kind(), "client_cert");
}
