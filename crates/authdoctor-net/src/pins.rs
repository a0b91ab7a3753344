//! `--resolve`/`--connect-to` pins: refused up front when they cannot be honoured, else the
//! addresses a connection to the URL's host must use.

use std::net::SocketAddr;

use authdoctor_core::input::pins::Route;
use authdoctor_core::model::{RequestSpec, TransportOptions};
use url::Url;

use crate::errors::{NetError, parse_http_url};
use crate::proxy::{EnvSnapshot, resolve_proxy};

/// Refuse, before anything is sent, pins that cannot be honoured for the request's URL: a port
/// change, or a pinned host the request would reach through a proxy (which resolves it itself).
pub fn check_pins(spec: &RequestSpec) -> Result<(), NetError> {
    if spec.transport.pins.is_empty() {
        return Ok(());
    }
    let url = parse_http_url(spec.url.as_str())?;
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(0);
    let route = spec
        .transport
        .pins
        .route(host, port)
        .map_err(NetError::InvalidRequest)?;
    if route.is_some() && resolve_proxy(&spec.transport, &url, &EnvSnapshot::capture()).is_some() {
        return Err(NetError::InvalidRequest(format!(
            "--resolve/--connect-to pin {host}, but the request goes through a proxy, which resolves the host itself: refused rather than send the credential elsewhere (add --noproxy {host})"
        )));
    }
    Ok(())
}

/// The addresses `--resolve`/`--connect-to` pin `url`'s host and port to (`None`: no pin);
/// an error for a pin that cannot be honoured or a pinned name that does not resolve.
pub(crate) async fn pinned_addrs(
    transport: &TransportOptions,
    url: &Url,
) -> Result<Option<Vec<SocketAddr>>, NetError> {
    if transport.pins.is_empty() {
        return Ok(None);
    }
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(0);
    let route = transport
        .pins
        .route(host, port)
        .map_err(NetError::InvalidRequest)?;
    Ok(match route {
        None => None,
        Some(Route::Addrs(ips)) => Some(
            ips.into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect(),
        ),
        Some(Route::Host(other)) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((other.as_str(), port))
                .await
                .map_err(|e| NetError::Dns {
                    host: other.clone(),
                    reason: e.to_string(),
                })?
                .collect();
            Some(addrs)
        }
    })
}
