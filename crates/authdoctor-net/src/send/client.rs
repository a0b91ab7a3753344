//! The HTTP clients a send uses: built lazily per (TLS or not, host, pinned addresses), with
//! redirects and environment proxies off (this crate decides both).

use std::net::SocketAddr;
use std::time::Duration;

use authdoctor_core::model::{HttpVersionPref, TransportOptions};
use reqwest::Client;
use reqwest::header::HeaderValue;
use url::Url;

use crate::errors::{NetError, chain_text};
use crate::pins::pinned_addrs;
use crate::proxy::{EnvSnapshot, resolve_proxy};

/// A pinned client's key: https or not, the host, the addresses it is pinned to.
pub(crate) type PinKey = (bool, String, Vec<SocketAddr>);

/// The two lazily built clients of one `send`.
pub(crate) struct Clients {
    transport: TransportOptions,
    /// The user's `Proxy-Authorization`, attached to the proxy itself.
    proxy_auth: Option<HeaderValue>,
    env: EnvSnapshot,
    connect_timeout: Duration,
    plain: Option<Client>,
    tls: Option<Client>,
    /// Clients for pinned hosts, by (https, host, addresses).
    pinned: Vec<(PinKey, Client)>,
}

impl Clients {
    pub(crate) fn new(
        transport: TransportOptions,
        proxy_auth: Option<HeaderValue>,
        env: EnvSnapshot,
        connect_timeout: Duration,
    ) -> Self {
        Clients {
            transport,
            proxy_auth,
            env,
            connect_timeout,
            plain: None,
            tls: None,
            pinned: Vec::new(),
        }
    }

    pub(crate) async fn for_url(&mut self, url: &Url) -> Result<Client, NetError> {
        let https = url.scheme() == "https";
        let host = url.host_str().unwrap_or_default();
        // A pinned host gets a client of its own that connects where the pin says; the others
        // share one client per scheme.
        let pin = pinned_addrs(&self.transport, url).await?;
        if pin.is_some() && resolve_proxy(&self.transport, url, &self.env).is_some() {
            return Err(NetError::InvalidRequest(format!(
                "--resolve/--connect-to pin {host}, but the request goes through a proxy, which resolves the host itself: refused rather than send the credential elsewhere (add --noproxy {host})"
            )));
        }
        let cached = match &pin {
            Some(addrs) => self
                .pinned
                .iter()
                .find(|((h, n, a), _)| *h == https && n == host && a == addrs)
                .map(|(_, c)| c.clone()),
            None if https => self.tls.clone(),
            None => self.plain.clone(),
        };
        if let Some(c) = cached {
            return Ok(c);
        }
        let client = build_client(
            &self.transport,
            &self.env,
            self.connect_timeout,
            https,
            host,
            self.proxy_auth.clone(),
            pin.as_deref(),
        )?;
        match pin {
            Some(addrs) => self
                .pinned
                .push(((https, host.to_string(), addrs), client.clone())),
            None if https => self.tls = Some(client.clone()),
            None => self.plain = Some(client.clone()),
        }
        Ok(client)
    }
}

/// Build the reqwest client. `with_tls = false` gives a client whose rustls config trusts
/// nothing (no CA store read): it is only ever used for `http://` hops.
pub(crate) fn build_client(
    transport: &TransportOptions,
    env: &EnvSnapshot,
    connect_timeout: Duration,
    with_tls: bool,
    host: &str,
    proxy_auth: Option<HeaderValue>,
    pin: Option<&[SocketAddr]>,
) -> Result<Client, NetError> {
    let tls_config = if with_tls {
        crate::tls::client_config(transport, host)?
    } else {
        crate::tls::empty_client_config()
    };
    let transport_for_proxy = transport.clone();
    let env_for_proxy = env.clone();
    let mut proxy = reqwest::Proxy::custom(move |u: &Url| {
        resolve_proxy(&transport_for_proxy, u, &env_for_proxy)
            .and_then(|c| Url::parse(&c.real_url).ok())
    });
    if let Some(v) = proxy_auth {
        proxy = proxy.custom_http_auth(v);
    }
    let mut builder = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .proxy(proxy)
        .connect_timeout(connect_timeout)
        // One send is a handful of hops: do not keep idle connections around afterwards.
        .pool_max_idle_per_host(1)
        .tls_backend_preconfigured(tls_config);
    if transport.http_version == HttpVersionPref::Http1 {
        builder = builder.http1_only();
    }
    if let Some(addrs) = pin {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder
        .build()
        .map_err(|e| NetError::Other(format!("cannot build the HTTP client: {}", chain_text(&e))))
}

/// Build only the client (for measuring the cost of the CA store); not used by `send`.
#[doc(hidden)]
pub fn build_client_for_bench(with_tls: bool) -> Result<Client, NetError> {
    build_client(
        &TransportOptions::default(),
        &EnvSnapshot::default(),
        Duration::from_secs(10),
        with_tls,
        "localhost",
        None,
        None,
    )
}
