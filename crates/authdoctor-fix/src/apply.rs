//! Apply one planned action to a copy of the request.

use crate::Host;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::fix::{Action, BUSTER_PARAM, reencode_basic};
use authdoctor_core::model::{CredentialSource, Header, RequestSpec};
use authdoctor_core::outbound::{Gate, Origin, Trust};
use authdoctor_core::report::Report;
use authdoctor_core::secret::{Secret, redact_url};

/// Why an action could not be applied; with the token endpoint's refusal, diagnosed, when a
/// new token was refused.
#[derive(Debug)]
pub struct Refused {
    pub reason: String,
    pub token_endpoint: Option<Report>,
}

impl Refused {
    pub fn new(reason: impl Into<String>) -> Self {
        Refused {
            reason: reason.into(),
            token_endpoint: None,
        }
    }
}

fn authorization(spec: &RequestSpec) -> Option<String> {
    spec.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("authorization"))
        .map(|h| h.value.clone())
}

fn set_authorization(spec: &mut RequestSpec, value: String) {
    spec.headers
        .retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
    spec.headers.push(Header::new("Authorization", value));
}

/// The credential without quotes, whitespace, control characters and doubled schemes.
fn clean(cred: &str) -> String {
    let mut c: String = cred
        .chars()
        .filter(|ch| !ch.is_control())
        .collect::<String>()
        .trim()
        .trim_matches(['"', '\''])
        .trim()
        .to_string();
    loop {
        let lower = c.to_ascii_lowercase();
        match ["bearer:", "bearer "].iter().find_map(|p| {
            lower
                .starts_with(p)
                .then(|| c[p.len()..].trim().to_string())
        }) {
            Some(rest) => c = rest,
            None => return c,
        }
    }
}

fn split_auth(v: &str) -> (Option<String>, String) {
    let v = v.trim();
    match v.split_once(char::is_whitespace) {
        Some((s, rest)) if !s.contains('.') && !s.ends_with(':') => {
            (Some(s.to_string()), rest.to_string())
        }
        _ => (None, v.to_string()),
    }
}

/// Apply `action` to `spec`; `Ok` says what changed, for people.
pub async fn apply<H: Host>(
    spec: &mut RequestSpec,
    before: &Evidence,
    action: &Action,
    host: &H,
) -> Result<String, Refused> {
    match action {
        Action::SignDpop => {
            let Some(h) = spec
                .headers
                .iter_mut()
                .find(|h| h.name.trim().eq_ignore_ascii_case("authorization"))
            else {
                return Err(Refused::new(
                    "the request has no Authorization header to sign for",
                ));
            };
            let cred = h
                .value
                .trim()
                .split_once(' ')
                .map(|(_, c)| c.trim().to_string())
                .unwrap_or_default();
            h.value = format!("DPoP {cred}");
            spec.headers
                .retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
            Ok(
                "the token sent as 'Authorization: DPoP' with a fresh proof signed by --dpop-key"
                    .into(),
            )
        }
        Action::NewToken { add_scopes } => {
            let sent = authorization(spec).map(|v| split_auth(&v).1);
            let t = host.new_token(spec, sent.as_deref(), add_scopes).await?;
            set_authorization(spec, t.authorization.expose().to_string());
            Ok(t.what)
        }
        Action::NormaliseHeader | Action::TrimCredential => {
            let v = authorization(spec).ok_or_else(|| Refused::new("no Authorization header"))?;
            let (scheme, cred) = split_auth(&v);
            let scheme = match scheme {
                Some(s) if s.eq_ignore_ascii_case("bearer") || s.ends_with(':') => {
                    "Bearer".to_string()
                }
                Some(s) => s,
                None => "Bearer".to_string(),
            };
            let fixed = format!("{scheme} {}", clean(&cred));
            if fixed == v {
                return Err(Refused::new("the header is already in the canonical form"));
            }
            set_authorization(spec, fixed);
            Ok(format!("rewrote the header as `{scheme} <credential>`"))
        }
        Action::UseScheme { scheme } => {
            let v = authorization(spec).ok_or_else(|| Refused::new("no Authorization header"))?;
            let (_, cred) = split_auth(&v);
            set_authorization(spec, format!("{scheme} {}", clean(&cred)));
            Ok(format!(
                "sent the credential with the challenged scheme {scheme}"
            ))
        }
        Action::CallFinalUrl { url } => {
            let gate = Gate::for_url(
                spec.url.as_str(),
                Trust {
                    location_trusted: spec.location_trusted,
                    named_hosts: Vec::new(),
                },
            );
            let decision = gate.decide_str(url.as_str(), true);
            if !decision.allows() {
                return Err(Refused::new(format!(
                    "the credential is not sent to {} ({}); call it yourself if you trust it, or pass --location-trusted",
                    redact_url(url.as_str()),
                    decision.reason()
                )));
            }
            spec.url = url::Url::parse(url.as_str())
                .map_err(|_| Refused::new("the final URL of the redirect is not valid"))?;
            Ok(format!(
                "sent the request straight to {}",
                redact_url(url.as_str())
            ))
        }
        Action::TokenService { service } => token_service(spec, service, host).await,
        Action::MoveCredential { to } => {
            *spec = authdoctor_core::api_description::move_credential(spec, to)
                .ok_or_else(|| Refused::new("no credential to move"))?;
            Ok(format!(
                "moved the credential to {}, where the API's description puts it",
                to.describe()
            ))
        }
        Action::BustCache => {
            // What the cache-bust probe proved: a URL no cache has stored, and no-cache.
            let u = &mut spec.url;
            let nonce = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            u.query_pairs_mut()
                .append_pair(BUSTER_PARAM, &format!("{nonce:x}"));
            spec.headers.retain(|h| {
                !h.name.eq_ignore_ascii_case("cache-control")
                    && !h.name.eq_ignore_ascii_case("pragma")
            });
            spec.headers.push(Header::new("Cache-Control", "no-cache"));
            spec.headers.push(Header::new("Pragma", "no-cache"));
            Ok(format!(
                "bypassed the cache: a unique query parameter ({BUSTER_PARAM}) and 'Cache-Control: no-cache'"
            ))
        }
        Action::BypassProxy => {
            let via = before
                .proxy
                .as_ref()
                .map(|p| redact_url(&p.url))
                .unwrap_or_else(|| "the proxy".into());
            spec.transport.proxy = None;
            spec.transport.no_proxy = Some("*".into());
            Ok(format!(
                "sent the request directly, not through {via} (the direct probe got through)"
            ))
        }
        Action::ReencodeBasic => {
            let v = authorization(spec).ok_or_else(|| Refused::new("no Authorization header"))?;
            let (scheme, cred) = split_auth(&v);
            if !scheme.is_some_and(|s| s.eq_ignore_ascii_case("basic")) {
                return Err(Refused::new("the Authorization header is not Basic"));
            }
            let encoded = reencode_basic(&cred).ok_or_else(|| {
                Refused::new("the Basic credential does not decode to user:password")
            })?;
            // The rebuilt credential is a secret of this run too.
            host.secret(&Secret::new(encoded.clone()));
            set_authorization(spec, format!("Basic {encoded}"));
            if let Some(CredentialSource::UserFlag { user, password }) = &mut spec.credential_source
            {
                *user = user.trim().to_string();
                if let Some(p) = password {
                    *p = p.trim().to_string();
                }
            }
            Ok("re-encoded the Basic credential without the newline and edge whitespace".into())
        }
        Action::AnswerDigest => {
            if !matches!(
                &spec.credential_source,
                Some(CredentialSource::UserFlag {
                    password: Some(_),
                    ..
                })
            ) {
                return Err(Refused::new(
                    "no -u USER:PASSWORD to answer the server's new challenge with",
                ));
            }
            spec.headers
                .retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
            spec.auth_method = authdoctor_core::input::AuthMethod::Digest;
            Ok("answered the server's new Digest challenge with the -u credentials".into())
        }
    }
}

/// The token request a token-service challenge names, with the `-u` credentials.
async fn token_service<H: Host>(
    spec: &mut RequestSpec,
    ts: &authdoctor_core::http::token_service::TokenService,
    host: &H,
) -> Result<String, Refused> {
    let addressed = &spec.url;
    // The password goes only to a token service on the addressed host (any port), or anywhere
    // the user trusts with --location-trusted; never in clear text off the machine.
    if ts.realm.host_str() != addressed.host_str() && !spec.location_trusted {
        return Err(Refused::new(format!(
            "the token service {} is not on the addressed host: your password is not sent there (pass --location-trusted if you trust it)",
            redact_url(ts.realm.as_str())
        )));
    }
    let loopback = Origin::of(&ts.realm).is_some_and(|o| o.is_loopback());
    if ts.realm.scheme() != "https" && !loopback {
        return Err(Refused::new(
            "the token service is plain http: your password is not sent in clear text",
        ));
    }
    let Some(CredentialSource::UserFlag { user, password }) = &spec.credential_source else {
        return Err(Refused::new("no -u credentials to request the token with"));
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Refused::new(format!("cannot build the HTTP client: {e}")))?;
    let resp = client
        .get(ts.request_url())
        .basic_auth(user, password.as_deref())
        .send()
        .await
        .map_err(|e| Refused::new(format!("the token service: {e}")))?;
    let status = resp.status().as_u16();
    let body = read_capped(resp)
        .await
        .map_err(|e| Refused::new(format!("the token service: {e}")))?;
    if !(200..300).contains(&status) {
        return Err(Refused::new(format!("the token service answered {status}")));
    }
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| Refused::new("the token service's answer is not JSON"))?;
    let token = v["token"]
        .as_str()
        .or_else(|| v["access_token"].as_str())
        .ok_or_else(|| Refused::new("the token service's answer has no token"))?;
    // The new token is a secret of this run: never written.
    host.secret(&Secret::new(token));
    set_authorization(spec, format!("Bearer {token}"));
    spec.credential_source = None;
    Ok(format!(
        "requested a token from {} and sent it as Bearer",
        redact_url(ts.request_url().as_str())
    ))
}

/// A token service's answer is small: more than a megabyte is refused, never read whole.
const ANSWER_CAP: usize = 1024 * 1024;

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > ANSWER_CAP {
            return Err(format!("the answer is larger than {ANSWER_CAP} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
