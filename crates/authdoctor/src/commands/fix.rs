//! `authdoctor check … --fix`: the verified-fix loop. Diagnosis is half the job; this applies
//! the fixes the diagnosis can apply by itself, sends the user's request again, and reports
//! before and after. A fix is only ever called a fix when the re-sent request succeeded.
//!
//! 1. Send the request (with the probes) and diagnose it, as `check` does.
//! 2. Nothing to do when it succeeded; nothing is re-sent for a non-idempotent request (POST,
//!    PUT, PATCH, DELETE) without `--allow-replay`.
//! 3. Plan: for each finding of at least medium likelihood (and the top one in any case), the
//!    action its cause allows — see [`plan`]. A new token comes from the profile (`--profile`,
//!    else the one matching the host), through its 0600 cache and single-flight source.
//! 4. Apply the actions to a copy of the request. An action that cannot be applied (no profile,
//!    the token endpoint refused) is reported under `failed`, with the token endpoint's own
//!    diagnosis (e.g. `invalid-client`) — the request is then not re-sent for nothing.
//! 5. Re-send the corrected request once and diagnose the answer.
//! 6. Report: the first diagnosis, then `fix` {applied, verified, status_before, status_after,
//!    challenge before/after, claims that changed}. Exit 0 only when the re-sent request
//!    succeeded; otherwise the exit code of the answer it got.

use super::check::live;
use super::token::{ProfileArgs, endpoint_report, source, token_config_and_profile};
use crate::cli::{ColorChoice, Format};
use crate::exit::{self, CliError};
use crate::out::{out, outln};
use authdoctor_core::causes;
use authdoctor_core::diagnosis::{Finding, Likelihood, Outcome};
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::{Header, RequestSpec};
use authdoctor_core::outbound::{Gate, Trust};
use authdoctor_core::report::{Report, human, json};
use authdoctor_core::token::jwt::JwtAnalysis;
use authdoctor_net::probes::ProbeOptions;
use serde_json::{Value, json};

/// One automatic fix.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    /// A new token from the profile, with these scopes added to the profile's.
    NewToken { add_scopes: Vec<String> },
    /// `Authorization: Bearer <credential>` rebuilt from a malformed header.
    NormaliseHeader,
    /// Quotes, whitespace and control characters removed from the credential.
    TrimCredential,
    /// The credential sent with the scheme the server challenged.
    UseScheme(String),
    /// The request sent straight to the redirect's final URL (same site, https).
    CallFinalUrl(String),
    /// `Cache-Control: no-cache` so a cache does not answer with a stored 401.
    BustCache,
    /// The credential moved to the place the API's own description names.
    MoveCredential(authdoctor_core::api_description::Place),
    /// The token request a token-service challenge names, with the `-u` credentials; the
    /// token then sent as Bearer.
    TokenService(authdoctor_core::http::token_service::TokenService),
    /// The token sent under `DPoP`, with a fresh proof signed by `--dpop-key` per request.
    SignDpop,
}

impl Action {
    fn id(&self) -> &'static str {
        match self {
            Action::NewToken { add_scopes } if add_scopes.is_empty() => "obtain-new-token",
            Action::NewToken { .. } => "request-scope",
            Action::NormaliseHeader => "fix-authorization-header",
            Action::TrimCredential => "clean-credential",
            Action::UseScheme(_) => "use-challenged-scheme",
            Action::CallFinalUrl(_) => "call-final-url",
            Action::BustCache => "bypass-cache",
            Action::MoveCredential(_) => "move-credential",
            Action::TokenService(_) => "request-service-token",
            Action::SignDpop => "sign-dpop-proof",
        }
    }
}

/// Causes whose cure is a new token from the profile.
const NEW_TOKEN_CAUSES: &[&str] = &[
    "token-expired",
    "wrong-token-type",
    "token-revoked",
    "invalid-credentials",
    "audience-mismatch",
    "issuer-mismatch",
    "signature-invalid",
    "missing-credentials",
];

/// The outbound gate for the user's request: its addressed origin and `--location-trusted`.
fn gate(spec: &RequestSpec) -> Gate {
    Gate::for_url(
        &spec.url,
        Trust {
            location_trusted: spec.location_trusted,
            named_hosts: Vec::new(),
        },
    )
}

/// Step 3: the actions the findings allow.
fn plan(ev: &Evidence, findings: &[Finding]) -> Vec<(String, Action)> {
    let mut out: Vec<(String, Action)> = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        // A cause the evidence decisively contradicts is not acted on: a new token does not
        // cure a server whose clock is an hour off.
        if (i > 0 && f.likelihood == Likelihood::Low) || f.decisively_contradicted() {
            continue;
        }
        // A token-service challenge with -u credentials: the token request it names comes
        // before anything else these causes would do.
        let token_service = authdoctor_core::http::token_service::TokenService::of(&ev.challenges)
            .filter(|_| {
                matches!(
                    ev.request.credential_source,
                    Some(authdoctor_core::model::CredentialSource::UserFlag { .. })
                )
            })
            .filter(|_| {
                matches!(
                    f.id,
                    "scheme-mismatch"
                        | "missing-credentials"
                        | "invalid-credentials"
                        | "insufficient-scope"
                )
            });
        let action = match f.id {
            _ if token_service.is_some() => token_service.map(Action::TokenService),
            "insufficient-scope" => {
                let scopes: Vec<String> = ev
                    .challenges
                    .iter()
                    .flat_map(|c| c.scope())
                    .map(str::to_string)
                    .collect();
                Some(Action::NewToken { add_scopes: scopes })
            }
            id if NEW_TOKEN_CAUSES.contains(&id) => {
                // A Basic or Digest password is not something a token can replace.
                let bearerish = ev.authorization.as_ref().is_none_or(|a| {
                    a.scheme
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case("bearer"))
                });
                bearerish.then(|| Action::NewToken { add_scopes: vec![] })
            }
            "malformed-authorization-header" => Some(Action::NormaliseHeader),
            "dpop-proof" if ev.request.dpop_key.is_some() => Some(Action::SignDpop),
            "credential-formatting" if f.fixes.iter().any(|x| x.automatic) => {
                Some(Action::TrimCredential)
            }
            // The challenged scheme, else the one the API's description names.
            "scheme-mismatch" => ev
                .challenges
                .first()
                .map(|c| c.scheme.clone())
                .or_else(|| {
                    ev.api.as_ref().and_then(|a| {
                        a.places.iter().find_map(|p| match p {
                            authdoctor_core::api_description::Place::Authorization { scheme } => {
                                Some(scheme.clone())
                            }
                            _ => None,
                        })
                    })
                })
                .map(Action::UseScheme),
            // Planned whenever there is a final URL; `apply` asks the gate, so a refusal is
            // reported with its reason instead of silently planning nothing.
            "redirect-dropped-credentials" => ev
                .exchanges
                .last()
                .and_then(|x| url::Url::parse(&x.url).ok())
                .map(|b| Action::CallFinalUrl(b.to_string())),
            "cached-401" => Some(Action::BustCache),
            "credentials-in-wrong-place" => ev
                .api
                .as_ref()
                .and_then(|a| a.places.first().cloned())
                .map(Action::MoveCredential),
            _ => None,
        };
        if let Some(a) = action {
            // One new token covers every token cause; merge scope additions into it.
            if let Action::NewToken { add_scopes } = &a
                && let Some((_, Action::NewToken { add_scopes: have })) = out
                    .iter_mut()
                    .find(|(_, x)| matches!(x, Action::NewToken { .. }))
            {
                for s in add_scopes {
                    if !have.contains(s) {
                        have.push(s.clone());
                    }
                }
                continue;
            }
            if !out.iter().any(|(_, x)| *x == a) {
                out.push((f.id.to_string(), a));
            }
        }
    }
    out
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
        if let Some(rest) = ["bearer:", "bearer "].iter().find_map(|p| {
            lower
                .starts_with(p)
                .then(|| c[p.len()..].trim().to_string())
        }) {
            c = rest;
        } else {
            return c;
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

/// Step 4 for one action; Err(reason, token-endpoint report) when it could not be applied.
async fn apply(
    spec: &mut RequestSpec,
    action: &Action,
    profile: &ProfileArgs,
) -> Result<String, (String, Option<Report>)> {
    match action {
        Action::SignDpop => {
            let Some(h) = spec
                .headers
                .iter_mut()
                .find(|h| h.name.trim().eq_ignore_ascii_case("authorization"))
            else {
                return Err((
                    "the request has no Authorization header to sign for".into(),
                    None,
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
            let target = url::Url::parse(&spec.url)
                .map_err(|_| ("the request's URL is not valid".to_string(), None))?;
            let host = target.host_str().map(str::to_string);
            let (cfg, eff) = token_config_and_profile(profile, host.as_deref()).map_err(|e| {
                (
                    format!("no profile to obtain a token with: {e} (pass --profile NAME)"),
                    None,
                )
            })?;
            // A profile's token goes only to the hosts it names, or wherever the user pointed
            // it with --profile; never to a host a default profile does not know.
            if !authdoctor_core::outbound::profile_token_may_go(
                &target,
                &eff.token_hosts(),
                eff.named_by_flag(),
            ) {
                return Err((
                    format!(
                        "profile {} does not name {} (its api_base/hosts), and it was chosen by {}: its token is not sent there (pass --profile {} to send it)",
                        cfg.profile,
                        host.as_deref().unwrap_or("this host"),
                        eff.chosen_by,
                        cfg.profile
                    ),
                    None,
                ));
            }
            if let Some(path) = &cfg.token_file
                && !add_scopes.is_empty()
            {
                return Err((
                    format!(
                        "profile {} reads its token from token_file {}: other scopes cannot be requested (grant them to whatever writes the file)",
                        cfg.profile,
                        path.display()
                    ),
                    None,
                ));
            }
            let from_file = cfg.token_file.clone();
            let mut scopes = cfg.scopes.clone();
            for s in add_scopes {
                if !scopes.contains(s) {
                    scopes.push(s.clone());
                }
            }
            let cfg = cfg.with_scopes(scopes.clone());
            let name = cfg.profile.clone();
            let src = source(cfg).map_err(|e| (e.to_string(), None))?;
            let sent = authorization(spec).map(|v| split_auth(&v).1);
            let t = match src.token().await {
                // The cache handed back the very token that was refused: renew it.
                Ok(t) if Some(&t.access_token) == sent.as_ref() => {
                    src.renew_after_rejection(&t).await
                }
                other => other,
            }
            .map_err(|e| (e.to_string(), endpoint_report(&e)))?;
            set_authorization(spec, t.authorization());
            if let Some(path) = from_file {
                return Ok(format!(
                    "took the current token from profile {name}'s token_file {}",
                    path.display()
                ));
            }
            Ok(if add_scopes.is_empty() {
                format!("obtained a new token with profile {name}")
            } else {
                format!(
                    "obtained a new token with profile {name} and scopes {}",
                    scopes.join(" ")
                )
            })
        }
        Action::NormaliseHeader | Action::TrimCredential => {
            let v = authorization(spec).ok_or(("no Authorization header".to_string(), None))?;
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
                return Err(("the header is already in the canonical form".into(), None));
            }
            set_authorization(spec, fixed);
            Ok(format!("rewrote the header as `{scheme} <credential>`"))
        }
        Action::UseScheme(s) => {
            let v = authorization(spec).ok_or(("no Authorization header".to_string(), None))?;
            let (_, cred) = split_auth(&v);
            set_authorization(spec, format!("{s} {}", clean(&cred)));
            Ok(format!(
                "sent the credential with the challenged scheme {s}"
            ))
        }
        Action::CallFinalUrl(u) => {
            let decision = gate(spec).decide_str(u, true);
            if !decision.allows() {
                return Err((
                    format!(
                        "the credential is not sent to {} ({}); call it yourself if you trust it, or pass --location-trusted",
                        authdoctor_core::secret::redact_url(u),
                        decision.reason()
                    ),
                    None,
                ));
            }
            spec.url = u.clone();
            Ok(format!(
                "sent the request straight to {}",
                authdoctor_core::secret::redact_url(u)
            ))
        }
        Action::TokenService(ts) => {
            let addressed = url::Url::parse(&spec.url)
                .map_err(|_| ("the request's URL is not valid".to_string(), None))?;
            // The password goes only to a token service on the addressed host (any port), or
            // anywhere the user trusts with --location-trusted; never in clear text off the
            // machine.
            if ts.realm.host_str() != addressed.host_str() && !spec.location_trusted {
                return Err((
                    format!(
                        "the token service {} is not on the addressed host: your password is not sent there (pass --location-trusted if you trust it)",
                        authdoctor_core::secret::redact_url(ts.realm.as_str())
                    ),
                    None,
                ));
            }
            let loopback =
                authdoctor_core::outbound::Origin::of(&ts.realm).is_some_and(|o| o.is_loopback());
            if ts.realm.scheme() != "https" && !loopback {
                return Err((
                    "the token service is plain http: your password is not sent in clear text"
                        .into(),
                    None,
                ));
            }
            let Some(authdoctor_core::model::CredentialSource::UserFlag { user, password }) =
                &spec.credential_source
            else {
                return Err(("no -u credentials to request the token with".into(), None));
            };
            let client = super::token::http_client().map_err(|e| (e.to_string(), None))?;
            let resp = client
                .get(ts.request_url())
                .basic_auth(user, password.as_deref())
                .send()
                .await
                .map_err(|e| (format!("the token service: {e}"), None))?;
            let status = resp.status().as_u16();
            let body =
                authdoctor_tokens::grant::read_capped(resp, authdoctor_tokens::grant::ANSWER_CAP)
                    .await
                    .map_err(|e| (format!("the token service: {e}"), None))?;
            if !(200..300).contains(&status) {
                return Err((format!("the token service answered {status}"), None));
            }
            let v: Value = serde_json::from_slice(&body)
                .map_err(|_| ("the token service's answer is not JSON".to_string(), None))?;
            let token = v["token"]
                .as_str()
                .or_else(|| v["access_token"].as_str())
                .ok_or(("the token service's answer has no token".to_string(), None))?
                .to_string();
            // The new token is a secret of this run: never written.
            let mut sc = authdoctor_core::secret::Scrubber::default();
            sc.add(&token);
            crate::out::guard_secrets(&sc);
            set_authorization(spec, format!("Bearer {token}"));
            spec.credential_source = None;
            Ok(format!(
                "requested a token from {} and sent it as Bearer",
                authdoctor_core::secret::redact_url(ts.request_url().as_str())
            ))
        }
        Action::MoveCredential(to) => {
            *spec = authdoctor_core::api_description::move_credential(spec, to)
                .ok_or(("no credential to move".to_string(), None))?;
            Ok(format!(
                "moved the credential to {}, where the API's description puts it",
                to.describe()
            ))
        }
        Action::BustCache => {
            spec.headers.retain(|h| {
                !h.name.eq_ignore_ascii_case("cache-control")
                    && !h.name.eq_ignore_ascii_case("pragma")
            });
            spec.headers.push(Header::new("Cache-Control", "no-cache"));
            spec.headers.push(Header::new("Pragma", "no-cache"));
            Ok("asked caches to revalidate (Cache-Control: no-cache)".into())
        }
    }
}

fn claims(ev: &Evidence) -> Option<&serde_json::Map<String, Value>> {
    match ev.jwt.as_ref()? {
        JwtAnalysis::Jws(j) => Some(&j.claims),
        _ => None,
    }
}

/// Claims that differ between the token sent before and after (jti is always new: skipped).
fn claims_changed(before: &Evidence, after: &Evidence) -> Value {
    let (b, a) = (claims(before), claims(after));
    let mut out = serde_json::Map::new();
    let keys: std::collections::BTreeSet<&String> = b
        .into_iter()
        .flat_map(|m| m.keys())
        .chain(a.into_iter().flat_map(|m| m.keys()))
        .collect();
    for k in keys {
        if k == "jti" {
            continue;
        }
        let bv = b.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
        let av = a.and_then(|m| m.get(k)).cloned().unwrap_or(Value::Null);
        if bv != av {
            out.insert(k.clone(), json!({"before": bv, "after": av}));
        }
    }
    Value::Object(out)
}

fn challenge(ev: &Evidence) -> Option<String> {
    ev.last()?
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("www-authenticate"))
        .map(|h| h.value.clone())
}

fn ok(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

/// What `check` hands the loop (its other flags are already in the request).
pub struct FixOptions {
    pub profile: Option<String>,
    /// the issuer checks, so the first diagnosis is the same as `check`'s.
    pub idp: crate::cli::IdpArgs,
    pub allow_replay: bool,
    pub format: Format,
    pub color: ColorChoice,
}

pub fn run(spec: RequestSpec, probes: ProbeOptions, args: FixOptions) -> Result<i32, CliError> {
    let profile = ProfileArgs {
        profile: args.profile.clone(),
        ..Default::default()
    };
    // Step 1.
    let before_ev = super::idp::live_with_issuer(spec.clone(), probes, &args.idp)?;
    let rt = super::runtime()?;
    let findings = causes::diagnose(&before_ev);
    let report = Report::new(&before_ev, findings.clone());
    let status_before = before_ev.status();
    let mut fix = json!({"applied": [], "verified": false, "status_before": status_before, "status_after": null});
    let mut after: Option<(Evidence, Report)> = None;
    let mut failed = Vec::new();
    let mut token_endpoint: Option<Report> = None;
    // Step 2.
    if ok(status_before) {
        fix["note"] = "the request already succeeds: nothing to fix".into();
    } else if !spec.is_idempotent_safe() && !args.allow_replay {
        fix["note"] = format!(
            "a {} request is not sent again without --allow-replay (it may repeat its effect)",
            spec.method
        )
        .into();
    } else {
        // Steps 3 and 4.
        let actions = plan(&before_ev, &findings);
        let mut fixed = spec.clone();
        let mut applied = Vec::new();
        for (cause, action) in &actions {
            match rt.block_on(apply(&mut fixed, action, &profile)) {
                Ok(what) => applied.push(json!({"id": action.id(), "cause": cause, "what": what})),
                Err((why, rep)) => {
                    failed.push(json!({"id": action.id(), "cause": cause, "reason": why}));
                    if token_endpoint.is_none() {
                        token_endpoint = rep;
                    }
                }
            }
        }
        if actions.is_empty() {
            fix["note"] = "no automatic fix applies to these causes: see each cause's steps".into();
        }
        // Step 5 (only when something changed and nothing essential failed).
        if !applied.is_empty() && failed.is_empty() {
            // The user's own DPoP proof was spent by the first send: never sent twice.
            if fixed.dpop_key.is_none() {
                fixed
                    .headers
                    .retain(|h| !h.name.trim().eq_ignore_ascii_case("dpop"));
            }
            let after_ev = rt.block_on(live(fixed))?;
            let f = causes::diagnose(&after_ev);
            let r = Report::new(&after_ev, f);
            let status_after = after_ev.status();
            fix["status_after"] = json!(status_after);
            fix["verified"] = json!(ok(status_after));
            fix["challenge_before"] = json!(challenge(&before_ev));
            fix["challenge_after"] = json!(challenge(&after_ev));
            fix["claims_changed"] = claims_changed(&before_ev, &after_ev);
            if ok(status_after) {
                fix["applied"] = Value::Array(applied);
            } else {
                // Never call it a fix when the request still fails.
                fix["tried"] = Value::Array(applied);
                fix["after"] = json!({"outcome": r.outcome, "summary": r.summary,
                    "findings": r.findings.iter().map(|f| json!({"id": f.id, "title": f.title})).collect::<Vec<_>>()});
            }
            after = Some((after_ev, r));
        } else if !applied.is_empty() {
            fix["tried"] = Value::Array(applied);
        }
        if !failed.is_empty() {
            fix["failed"] = Value::Array(failed.clone());
        }
        if let Some(te) = &token_endpoint {
            fix["token_endpoint"] = serde_json::from_str(&json::render(te)).unwrap_or_default();
        }
    }
    // Step 6.
    let verified = fix["verified"] == json!(true);
    match args.format {
        Format::Json => {
            let mut v: Value = serde_json::from_str(&json::render(&report)).unwrap_or_default();
            v["fix"] = fix.clone();
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        Format::Human => {
            out!("{}", human::render(&report, super::use_color(args.color)));
            outln!();
            render_fix(&fix, token_endpoint.as_ref());
        }
    }
    Ok(if verified {
        exit::OK
    } else {
        let outcome = after
            .as_ref()
            .map(|(_, r)| r.outcome)
            .unwrap_or(report.outcome);
        match outcome {
            Outcome::Ok if !ok(status_before) => exit::AUTH_FAILURE,
            o => exit::for_outcome(o),
        }
    })
}

fn render_fix(fix: &Value, token_endpoint: Option<&Report>) {
    let status = |v: &Value| {
        v.as_u64()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".into())
    };
    if fix["verified"] == json!(true) {
        outln!(
            "Fixed and verified: {} → {}",
            status(&fix["status_before"]),
            status(&fix["status_after"])
        );
        for a in fix["applied"].as_array().into_iter().flatten() {
            outln!(
                "  ✓ {}: {}",
                a["id"].as_str().unwrap_or(""),
                a["what"].as_str().unwrap_or("")
            );
        }
        if let Some(m) = fix["claims_changed"].as_object().filter(|m| !m.is_empty()) {
            outln!("  claims that changed:");
            for (k, v) in m {
                outln!("    {k}: {} → {}", v["before"], v["after"]);
            }
        }
        return;
    }
    outln!(
        "Not fixed (status {} → {})",
        status(&fix["status_before"]),
        status(&fix["status_after"])
    );
    if let Some(n) = fix["note"].as_str() {
        outln!("  {n}");
    }
    for a in fix["tried"].as_array().into_iter().flatten() {
        outln!(
            "  tried {}: {}",
            a["id"].as_str().unwrap_or(""),
            a["what"].as_str().unwrap_or("")
        );
    }
    for a in fix["failed"].as_array().into_iter().flatten() {
        outln!(
            "  could not apply {}: {}",
            a["id"].as_str().unwrap_or(""),
            a["reason"].as_str().unwrap_or("")
        );
    }
    if let Some(s) = fix["after"]["summary"].as_str() {
        outln!("  after: {s}");
    }
    if let Some(te) = token_endpoint {
        outln!("\nThe token endpoint's answer, diagnosed:");
        out!("{}", human::render(te, false));
    }
}
