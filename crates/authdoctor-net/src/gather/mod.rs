//! The first stage of the pipeline: everything authdoctor learns about one request, as an
//! [`Evidence`] ready for `authdoctor_core::causes::diagnose`.
//!
//! [`gather`] sends the request (or takes the answer a caller already has), runs the
//! differential probes, and — concurrently — the issuer, JWKS, introspection and RFC 9728
//! metadata fetches; then walks the discovery chain the 401 names (RFC 9728 resource metadata,
//! then the RFC 8414 metadata of the authorization server it lists), compares the profile's
//! token file with the token sent, and assesses the token against the issuer's evidence.
//! The CLI (`check`, `--fix`, `--har --replay`) and `authdoctor-tokens`' `AuthClient` call it,
//! so a program and the command line judge the same request the same way.
//!
//! The caller's configuration arrives as data ([`GatherOptions`], built with
//! [`plan::IssuerPlan::from_profile`] and [`plan::profile_hosts`] from the config layers); this
//! module reads no argv and no config file.

pub mod plan;

use authdoctor_core::evidence::Evidence;
use authdoctor_core::idp::{self, discovery::MetadataSource};
use authdoctor_core::model::{Exchange, HeaderList, RequestSpec};
use authdoctor_core::time::now_unix;

use crate::probes::{Pending, ProbeOptions};
use crate::send::{NetError, SendOptions, effective_proxy};
use crate::tls::TlsInspection;

pub use plan::{IssuerPlan, TokenFile};

/// What to gather besides the request's own answer.
#[derive(Debug, Clone, Default)]
pub struct GatherOptions {
    /// Hop limit and time budgets of the request itself.
    pub send: SendOptions,
    /// The differential probes, NTP, DNS and the client certificate; `None`: none of them.
    pub probes: Option<ProbeOptions>,
    /// The issuer side; `None`: no issuer or metadata fetch at all (`--no-issuer`).
    pub issuer: Option<IssuerPlan>,
    /// The profile's `token_file`, compared with the token sent.
    pub token_file: Option<TokenFile>,
    /// The answer the caller already received (a program's own request): it is not sent again;
    /// the probes still run, under their own safety rule (safe methods only).
    pub observed: Option<Vec<Exchange>>,
}

/// The bearer token of a request, unquoted.
pub fn bearer_token(spec: &RequestSpec) -> Option<String> {
    let a = authdoctor_core::http::authorization::analyse(&spec.headers.all("authorization"))?;
    a.is_scheme("bearer")
        .then(|| a.credential.trim().trim_matches('"').to_string())
}

/// Gather the evidence for `request`; see the module docs. `Err` only when the request itself
/// got no answer (the probes' and fetches' failures are evidence, not errors).
pub async fn gather(request: RequestSpec, options: GatherOptions) -> Result<Evidence, NetError> {
    let GatherOptions {
        send,
        probes,
        issuer,
        token_file,
        observed,
    } = options;
    let pending = probes.as_ref().and_then(|p| p.pending.clone());
    let token = bearer_token(&request);
    let fetch_first = issuer.as_ref().filter(|i| i.enabled);
    // Boxed: the probes' and fetches' futures are large; the caller's stack need not hold them.
    let main = Box::pin(request_evidence(request, &send, probes, observed));
    let (ev, raw) = match fetch_first {
        Some(plan) => {
            let fetches = Pending::track(
                pending.as_ref(),
                "the issuer",
                Box::pin(crate::idp::gather(&plan.fetch)),
            );
            let (ev, raw) = tokio::join!(main, fetches);
            (ev, Some(raw))
        }
        None => (main.await, None),
    };
    let mut ev = ev?;
    if let Some(t) = &token_file {
        t.note(&mut ev, token.as_deref());
    }
    let Some(plan) = issuer else { return Ok(ev) };
    let mut raw = raw.unwrap_or_default();
    discovery_chain(&ev, &mut raw, &plan.fetch).await;
    raw.notes.extend(plan.notes);
    let jwt = ev.jws().cloned();
    let (now, _) = ev.judging_time();
    let assessed = idp::assess(
        raw,
        plan.expectations,
        token.as_deref(),
        jwt.as_ref(),
        plan.hs_secret.as_deref(),
        now,
    );
    Ok(ev.with_idp(Some(assessed)))
}

/// The discovery chain: the challenge's RFC 9728 `resource_metadata` (else, for a Bearer or
/// DPoP challenge, the well-known URL), then the authorization server it names.
async fn discovery_chain(ev: &Evidence, r: &mut idp::RawIdp, opts: &crate::idp::IdpOptions) {
    let named = ev
        .challenge("bearer")
        .and_then(|c| c.param("resource_metadata"))
        .map(str::to_string);
    let bearer = ev.challenge("bearer").is_some() || ev.challenge("dpop").is_some();
    if let Some(url) = named {
        if r.metadata_fetch.as_ref().is_none_or(|f| f.url != url) {
            crate::idp::fetch_metadata(r, opts, &url).await;
        } else {
            r.metadata_source = Some(MetadataSource::Challenge);
        }
    } else if bearer
        && r.metadata_fetch.is_none()
        && ev.is_unauthorized()
        && let Some(url) = crate::idp::well_known_metadata_url(ev.request.url.as_str())
    {
        crate::idp::fetch_metadata(r, opts, &url).await;
        // Found only at the well-known location: a chain; nothing there: none.
        if r.metadata.is_some() {
            r.metadata_source = Some(MetadataSource::WellKnown);
        } else {
            r.metadata_fetch = None;
            r.metadata_source = None;
            r.metadata_error = None;
        }
    }
    crate::idp::fetch_authorization_server(r, opts).await;
}

/// The request's answer (sent now, or the one observed) with TLS inspection and, when asked,
/// the probes, as evidence without the issuer side.
async fn request_evidence(
    spec: RequestSpec,
    send: &SendOptions,
    probes: Option<ProbeOptions>,
    observed: Option<Vec<Exchange>>,
) -> Result<Evidence, NetError> {
    let proxy = effective_proxy(&spec);
    let (sent, inspection, extra) = match probes {
        Some(p) => {
            let r = crate::probes::probe(&spec, send, &p, observed).await;
            (
                r.sent,
                r.inspection,
                Some((r.probes, r.ntp, r.dns, r.client_cert, r.api)),
            )
        }
        None => match observed {
            Some(x) => (Ok(x), None, None),
            None => {
                let (sent, inspection) = crate::send::send_and_inspect(&spec, send).await;
                (sent, inspection, None)
            }
        },
    };
    let exchanges = sent.map_err(|e| explain_tls_failure(e, inspection.as_ref()))?;
    let ev = Evidence::new(spec, exchanges, proxy, None, now_unix());
    Ok(match extra {
        Some((probes, ntp, dns, cert, api)) => ev
            .with_probes(probes)
            .with_ntp(ntp)
            .with_dns(dns)
            .with_client_cert(cert)
            .with_api(api),
        None => ev,
    })
}

/// A failed handshake often says more than the client's error (e.g. the server's alert after a
/// missing client certificate): the inspection's reason replaces the client's.
fn explain_tls_failure(
    e: NetError,
    inspection: Option<&Result<TlsInspection, NetError>>,
) -> NetError {
    if let Some(Ok(i)) = inspection
        && let Some(h) = &i.handshake_error
        && matches!(e, NetError::Tls { .. })
    {
        return NetError::Tls {
            host: i.server_name.clone(),
            reason: h.clone(),
        };
    }
    e
}

/// The answer a program received to `request` (sent by its own client), as the exchange
/// [`gather`] takes in [`GatherOptions::observed`]: status, reason, HTTP version, headers and
/// the body capped like the CLI's.
pub async fn observed_exchange(request: &RequestSpec, mut resp: reqwest::Response) -> Exchange {
    let received_at = now_unix();
    let status = resp.status();
    let reason = resp
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .and_then(|r| std::str::from_utf8(r.as_bytes()).ok().map(str::to_string))
        .or_else(|| status.canonical_reason().map(str::to_string));
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            authdoctor_core::model::Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes()))
        })
        .collect();
    let http_version = crate::send::version_text(resp.version());
    let remote_addr = resp.remote_addr().map(|a| a.to_string());
    let url = resp.url().to_string();
    let (body, body_truncated) = crate::send::read_capped(&mut resp)
        .await
        .unwrap_or_default();
    Exchange {
        method: request.method.clone(),
        url,
        request_headers: request.headers.clone(),
        dropped_headers: Vec::new(),
        status: status.as_u16(),
        reason,
        http_version,
        headers,
        body,
        body_truncated,
        elapsed_ms: None,
        remote_addr,
        tls: None,
        received_at: Some(received_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Programs gather on a multi-threaded runtime (`AuthClient`, `tokio::spawn`).
    #[test]
    fn gather_is_send() {
        fn is_send<T: Send>(_: &T) {}
        let f = gather(RequestSpec::default(), GatherOptions::default());
        is_send(&f);
    }
}
