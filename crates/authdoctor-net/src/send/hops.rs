//! One hop's pieces: its URL and credentials, the headers it sends (and drops), its DPoP proof,
//! reading its answer, and where the next hop goes.

use authdoctor_core::model::{BODY_CAP, DroppedHeader, Exchange, Header, RequestSpec};
use authdoctor_core::outbound::{Decision, Gate, Origin, Trust};
use authdoctor_core::secret::is_sensitive_header;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::errors::NetError;

/// With `--dpop-key` and a `DPoP` Authorization on this hop: drop any proof the request
/// carried and sign a fresh one for exactly this hop (method, URL, the token's hash, the
/// server's nonce). Returns whether it signed.
pub(crate) fn sign_dpop(
    spec: &RequestSpec,
    sent: &mut Vec<Header>,
    method: &Method,
    url: &Url,
    nonce: Option<&str>,
) -> Result<bool, NetError> {
    let Some(key) = &spec.dpop_key else {
        return Ok(false);
    };
    let Some(token) = sent.iter().find_map(|h| {
        if !h.name.trim().eq_ignore_ascii_case("authorization") {
            return None;
        }
        let (scheme, cred) = h.value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("dpop")
            .then(|| cred.trim().to_string())
    }) else {
        return Ok(false);
    };
    sent.retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
    let proof = key
        .0
        .fresh_proof(
            method.as_str(),
            url.as_str(),
            Some(&token),
            nonce,
            jiff::Timestamp::now().as_second(),
        )
        .map_err(|e| {
            NetError::InvalidRequest(format!("the DPoP proof could not be signed: {e}"))
        })?;
    sent.push(Header::new("DPoP", proof));
    Ok(true)
}

/// The nonce a 400/401 asks for (`use_dpop_nonce` in the challenge or body, `DPoP-Nonce`).
pub(crate) fn wants_dpop_nonce(x: &Exchange) -> Option<String> {
    use authdoctor_core::model::HeaderList;
    authdoctor_core::jose::dpop::nonce_challenge(
        x.status,
        x.headers.all("www-authenticate"),
        x.headers.first("dpop-nonce"),
        &x.body,
    )
}

/// Remove `user:password@` from `url`; return it as a Basic credential (percent-decoded).
pub(crate) fn url_credentials(url: &mut Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    use base64::Engine;
    let pair = format!(
        "{}:{}",
        decode(url.username()),
        decode(url.password().unwrap_or_default())
    );
    // Cannot fail for http(s) URLs with a host, which is all that reaches here.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

pub(crate) fn version_text(v: reqwest::Version) -> String {
    match v {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_11 => "HTTP/1.1",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
    .to_string()
}

/// Read at most [`BODY_CAP`] bytes; the rest is left unread (the connection is then dropped).
pub(crate) async fn read_capped(
    resp: &mut reqwest::Response,
) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = BODY_CAP - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok((buf, true));
        }
        buf.extend_from_slice(&chunk);
        if buf.len() == BODY_CAP {
            // Exactly at the cap: truncated only if anything follows.
            let more = resp.chunk().await?.is_some_and(|c| !c.is_empty());
            return Ok((buf, more));
        }
    }
    Ok((buf, false))
}

/// Headers that the client computes from the body it actually sends.
pub(crate) fn is_body_framing(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// The headers to send on a hop to `url`, and those of the spec that are withheld, with why.
pub(crate) fn hop_headers(
    spec: &RequestSpec,
    original: &Url,
    url: &Url,
    downgraded: bool,
    body_dropped: Option<&str>,
    proxied: bool,
) -> (Vec<Header>, Vec<DroppedHeader>) {
    // The one outbound gate decides; a chain that went through clear text once stays withheld.
    let gate = Gate::new(
        original,
        Trust {
            location_trusted: spec.location_trusted,
            named_hosts: Vec::new(),
        },
    );
    let decision = match (Origin::of(original), Origin::of(url)) {
        (Some(from), Some(to)) if downgraded && url.scheme() == "http" => Decision::Downgrade {
            from: from.to_string(),
            to: to.to_string(),
        },
        _ => gate.decide(url, false),
    };
    let credential_reason = (!decision.allows()).then(|| decision.reason());
    let mut sent = Vec::new();
    let mut dropped = Vec::new();
    for h in &spec.headers {
        let name = h.name.trim();
        if is_body_framing(name) {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: "set by the HTTP client from the body actually sent".into(),
            });
            continue;
        }
        if let Some(reason) = body_dropped
            && (name.eq_ignore_ascii_case("content-type")
                || name.eq_ignore_ascii_case("content-encoding"))
        {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: reason.to_string(),
            });
            continue;
        }
        // Proxy-Authorization is for the proxy only: the client attaches it to the proxy
        // (the CONNECT request, or a plain-http request line through the proxy), never to a
        // request an origin could read.
        if name.eq_ignore_ascii_case("proxy-authorization") {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: if proxied {
                    "sent to the proxy only, never to the origin".into()
                } else {
                    "no proxy on this hop: never sent to the origin".into()
                },
            });
            continue;
        }
        let credential = is_sensitive_header(name);
        if credential && let Some(reason) = &credential_reason {
            dropped.push(DroppedHeader {
                name: name.to_string(),
                reason: reason.clone(),
            });
            continue;
        }
        sent.push(Header::new(name, h.value.clone()));
    }
    // What curl sends when the user did not: recorded because it is on the wire.
    if !sent.iter().any(|h| h.name.eq_ignore_ascii_case("accept")) {
        sent.push(Header::new("accept", "*/*"));
    }
    if !sent
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("user-agent"))
    {
        sent.push(Header::new(
            "user-agent",
            concat!("authdoctor/", env!("CARGO_PKG_VERSION")),
        ));
    }
    (sent, dropped)
}

pub(crate) fn to_header_map(headers: &[Header]) -> Result<HeaderMap, NetError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for h in headers {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| {
            NetError::InvalidRequest(format!("{:?} is not a valid header name", h.name))
        })?;
        // Never echo the value: it may be the credential.
        let value = HeaderValue::from_bytes(h.value.trim().as_bytes()).map_err(|_| {
            NetError::InvalidRequest(format!(
                "the value of header {:?} contains characters not allowed in HTTP (e.g. a newline)",
                h.name
            ))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

/// Where a redirect leads.
#[derive(Debug, PartialEq)]
pub(crate) struct NextHop {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) keep_body: bool,
}

/// curl -L semantics: 303 → GET (HEAD stays HEAD), 301/302 turn POST into GET, 307/308 keep the
/// method and body. Resending a non-idempotent method needs the user's `-L`.
pub(crate) fn next_hop(
    status: u16,
    method: &Method,
    location: Option<&str>,
    current: &Url,
    follow_redirects: bool,
) -> Option<NextHop> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let next = current.join(location?.trim()).ok()?;
    if !matches!(next.scheme(), "http" | "https") || next.host_str().is_none() {
        return None;
    }
    let (next_method, keep_body) = match status {
        303 if *method != Method::HEAD => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        _ => (method.clone(), true),
    };
    // The one rule of "safe to send again" (the body is held in memory here).
    let safe = authdoctor_core::model::may_send_again(
        next_method.as_str(),
        authdoctor_core::model::BodyHeld::Buffered,
    );
    if !safe && !follow_redirects {
        return None;
    }
    Some(NextHop {
        method: next_method,
        url: next,
        keep_body,
    })
}
