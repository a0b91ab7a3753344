//! The identity-provider side of `check`: turn the flags and the profile into fetches
//! and expectations, run the fetches concurrently with the main request (`tokio::join!`), assess
//! the token, and write the `--bundle` evidence file for the API owner.

use crate::cli::IdpArgs;
use crate::exit::CliError;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::idp::{self, ExpectSource, Expectations, Expected, ProfileIssuer};
use authdoctor_core::model::{HeaderList, RequestSpec};
use authdoctor_core::profile::{self, SecretRef};
use authdoctor_core::report::Report;
use authdoctor_core::token::jwt::{self, JwtAnalysis};
use authdoctor_net::idp::{IdpOptions, IntrospectRequest};
use authdoctor_net::probes::ProbeOptions;

/// What to fetch and expect, from the flags and the profile.
struct Plan {
    opts: IdpOptions,
    expectations: Expectations,
    hs_secret: Option<Vec<u8>>,
    /// Run the issuer/metadata fetches at all.
    enabled: bool,
    /// What was not done and why, for the report.
    notes: Vec<String>,
}

fn bearer_token(spec: &RequestSpec) -> Option<String> {
    let a = authdoctor_core::http::authorization::analyse(&spec.headers.all("authorization"))?;
    a.is_scheme("bearer")
        .then(|| a.credential.trim().trim_matches('"').to_string())
}

fn read_secret(r: &SecretRef) -> Result<String, String> {
    match r {
        SecretRef::Env { env } => std::env::var(env).map_err(|_| format!("env {env} is not set")),
        SecretRef::File { file } => std::fs::read_to_string(file)
            .map(|s| s.trim_end().to_string())
            .map_err(|e| format!("file {file}: {e}")),
        SecretRef::Literal(s) => Ok(s.clone()),
        SecretRef::Keyring { .. } => Err("keyring secrets are not supported yet".into()),
    }
}

fn plan(a: &IdpArgs, spec: &RequestSpec) -> Result<Plan, CliError> {
    let flag = |f: &str, v: &str| Expected {
        value: v.to_string(),
        source: ExpectSource::Flag { flag: f.into() },
    };
    let mut ex = Expectations::default();
    ex.aud
        .extend(a.expect_aud.iter().map(|v| flag("--expect-aud", v)));
    ex.iss
        .extend(a.expect_iss.iter().map(|v| flag("--expect-iss", v)));
    ex.scope
        .extend(a.expect_scope.iter().map(|v| flag("--expect-scope", v)));
    let token = bearer_token(spec);
    let claims = token
        .as_deref()
        .and_then(jwt::analyse)
        .and_then(|j| match j {
            JwtAnalysis::Jws(j) => Some(j),
            _ => None,
        });
    let mut notes = Vec::new();

    // The profile: explicit, or chosen by the request's host. An unreadable config only
    // disables the profile's part, unless --profile was asked for.
    let host = authdoctor_net::probes::host_of(&spec.url);
    let layers = super::config::layers(None);
    let eff = match &layers {
        Ok(l) => match profile::resolve(l, a.profile.as_deref(), host.as_deref()) {
            Ok(e) => Some(e),
            Err(e) if a.profile.is_some() => return Err(CliError::Usage(e.to_string())),
            Err(_) => None,
        },
        Err(e) if a.profile.is_some() => return Err(CliError::Usage(e.to_string())),
        Err(_) => None,
    };
    let mut introspect_creds = None;
    let mut profile_issuer = None;
    if let Some(e) = eff.as_ref().filter(|e| e.name.is_some()) {
        let name = e.name.clone().unwrap_or_default();
        let src = |field: &str| -> ExpectSource {
            ExpectSource::Profile {
                profile: name.clone(),
                field: field.into(),
                layer: e
                    .get(field)
                    .map(|r| r.source.to_string())
                    .unwrap_or_default(),
            }
        };
        if let Some(i) = e.str("issuer") {
            ex.iss.push(Expected {
                value: i.into(),
                source: src("issuer"),
            });
            profile_issuer = Some(i.to_string());
        }
        if let Some(v) = e.str("audience") {
            ex.aud.push(Expected {
                value: v.into(),
                source: src("audience"),
            });
        } else if let Some(v) = e.str("resource") {
            ex.aud.push(Expected {
                value: v.into(),
                source: src("resource"),
            });
        }
        if let Some(s) = e.str("scopes") {
            ex.scope.push(Expected {
                value: s.into(),
                source: src("scopes"),
            });
        }
        ex.profile = Some(ProfileIssuer {
            profile: name.clone(),
            environment: e.str("environment").map(str::to_string),
            issuer: profile_issuer.clone(),
            audience: e.str("audience").map(str::to_string),
        });
        if let (Some(id), Some(sec)) = (
            e.str("introspection_client_id"),
            e.get("introspection_client_secret")
                .and_then(|r| r.secret.clone()),
        ) {
            match read_secret(&sec) {
                Ok(s) => introspect_creds = Some((id.to_string(), s)),
                Err(why) => notes.push(format!(
                    "introspection skipped: the profile's introspection_client_secret ({sec}) cannot be read: {why}"
                )),
            }
        }
        if let Ok(l) = &layers {
            for (_, file) in [l.user.as_ref(), l.project.as_ref()].into_iter().flatten() {
                for (n, p) in &file.profiles {
                    if *n != name && !ex.other_profiles.iter().any(|o| &o.profile == n) {
                        ex.other_profiles.push(ProfileIssuer {
                            profile: n.clone(),
                            environment: p.environment.clone(),
                            issuer: p.issuer.clone(),
                            audience: p.audience.clone(),
                        });
                    }
                }
            }
        }
    }

    let issuer = match (&a.issuer, claims.as_ref().and_then(|j| j.str_claim("iss"))) {
        (Some(i), _) => Some((i.clone(), "--issuer".to_string())),
        (None, Some(i)) => Some((i.to_string(), "the token's iss".to_string())),
        (None, None) => profile_issuer.clone().map(|i| {
            (
                i,
                format!(
                    "profile {}",
                    ex.profile
                        .as_ref()
                        .map(|p| p.profile.as_str())
                        .unwrap_or("?")
                ),
            )
        }),
    };
    let primary = issuer
        .as_ref()
        .map(|(i, _)| i.trim_end_matches('/').to_string());
    let mut others: Vec<(String, String)> = Vec::new();
    let mut add_other = |u: &str, why: String| {
        let t = u.trim_end_matches('/');
        if Some(t.to_string()) != primary
            && !others.iter().any(|(o, _)| o.trim_end_matches('/') == t)
            && others.len() < 4
        {
            others.push((u.to_string(), why));
        }
    };
    for e in &ex.iss {
        add_other(&e.value, e.source.to_string());
    }
    for o in &ex.other_profiles {
        if let Some(i) = &o.issuer {
            add_other(
                i,
                format!(
                    "profile {} ({})",
                    o.profile,
                    o.environment.as_deref().unwrap_or("no environment")
                ),
            );
        }
    }
    let hs_secret = match &a.hs_secret_env {
        Some(var) => Some(
            std::env::var(var)
                .map_err(|_| {
                    CliError::Usage(format!("--hs-secret-env {var}: the variable is not set"))
                })?
                .into_bytes(),
        ),
        None => None,
    };
    let enabled = !a.no_issuer
        && (token.is_some() || issuer.is_some() || !ex.aud.is_empty() || !ex.iss.is_empty());
    let introspect = match (introspect_creds, &token, &profile_issuer) {
        (Some((client_id, client_secret)), Some(t), Some(iss)) => Some(IntrospectRequest {
            issuer: iss.clone(),
            client_id,
            client_secret,
            token: t.clone(),
        }),
        (Some(_), Some(_), None) => {
            notes.push(
                "introspection skipped: the profile has introspection credentials but no issuer to send them to".into(),
            );
            None
        }
        _ => None,
    };
    let opts = IdpOptions {
        issuer,
        others,
        kid: claims.as_ref().and_then(|j| j.kid()).map(str::to_string),
        allow_http: a.allow_http_issuer,
        introspect,
        request_url: token.as_ref().map(|_| spec.url.clone()),
        transport: spec.transport.clone(),
        ..Default::default()
    };
    ex.other_profiles.sort_by(|x, y| x.profile.cmp(&y.profile));
    Ok(Plan {
        opts,
        expectations: ex,
        hs_secret,
        enabled,
        notes,
    })
}

/// Send the request with the probes and, concurrently, the issuer and resource fetches; then
/// assess the token.
pub(crate) fn live_with_issuer(
    spec: RequestSpec,
    probes: ProbeOptions,
    a: &IdpArgs,
) -> Result<Evidence, CliError> {
    let rt = super::runtime()?;
    let plan = plan(a, &spec)?;
    let token = bearer_token(&spec);
    let pending = probes.pending.clone();
    let (ev, raw) = rt.block_on(async {
        let main = super::check::live_probed(spec, Some(probes));
        if plan.enabled {
            let issuer = authdoctor_net::probes::Pending::track(
                pending.as_ref(),
                "the issuer",
                authdoctor_net::idp::gather(&plan.opts),
            );
            let (ev, raw) = tokio::join!(main, issuer);
            (ev, Some(raw))
        } else {
            (main.await, None)
        }
    });
    let mut ev = ev?;
    token_file_note(&mut ev, a);
    let mut raw = raw;
    // The discovery chain: the challenge's RFC 9728 `resource_metadata` (else, for a Bearer
    // challenge, the well-known URL), then the authorization server it names.
    if !a.no_issuer {
        let named = ev
            .challenge("bearer")
            .and_then(|c| c.param("resource_metadata"))
            .map(str::to_string);
        let bearer = ev.challenge("bearer").is_some() || ev.challenge("dpop").is_some();
        let r = raw.get_or_insert_with(Default::default);
        if let Some(url) = named {
            if r.metadata_fetch.as_ref().is_none_or(|f| f.url != url) {
                rt.block_on(authdoctor_net::idp::fetch_metadata(r, &plan.opts, &url));
            } else {
                r.metadata_source = Some(idp::discovery::MetadataSource::Challenge);
            }
        } else if bearer
            && r.metadata_fetch.is_none()
            && ev.is_unauthorized()
            && let Some(url) = authdoctor_net::idp::well_known_metadata_url(&ev.request.url)
        {
            rt.block_on(async {
                authdoctor_net::idp::fetch_metadata(r, &plan.opts, &url).await;
            });
            // Found only at the well-known location: a chain; nothing there: none.
            if r.metadata.is_some() {
                r.metadata_source = Some(idp::discovery::MetadataSource::WellKnown);
            } else {
                r.metadata_fetch = None;
                r.metadata_source = None;
                r.metadata_error = None;
            }
        }
        rt.block_on(authdoctor_net::idp::fetch_authorization_server(
            r, &plan.opts,
        ));
    }
    let Some(mut raw) = raw else { return Ok(ev) };
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

/// A profile with `token_file` (chosen by `--profile` or the request's host) whose file now
/// holds another token than the one the request sent: the program still holds a token that
/// was rotated on disk — the classic 401 of a long-running process with a projected
/// service-account token or a Vault agent sink. Said as a note of the request.
fn token_file_note(ev: &mut Evidence, a: &IdpArgs) {
    let Some(sent) = bearer_token(&ev.request) else {
        return;
    };
    let host = authdoctor_net::probes::host_of(&ev.request.url);
    let Some(eff) = super::config::layers(None)
        .ok()
        .and_then(|l| profile::resolve(&l, a.profile.as_deref(), host.as_deref()).ok())
    else {
        return;
    };
    let Some(path) = eff.str("token_file") else {
        return;
    };
    let path_buf = authdoctor_tokens::config::expand_home(path);
    let current = match std::fs::read_to_string(&path_buf) {
        Ok(t) => t.trim().to_string(),
        Err(e) => {
            ev.request.notes.push(format!(
                "the profile {}'s token_file {path} cannot be read ({}): it could not be compared with the token sent",
                eff.name.as_deref().unwrap_or("?"),
                e.kind()
            ));
            return;
        }
    };
    if current.is_empty() || current == sent {
        return;
    }
    let iat = |t: &str| match jwt::analyse(t) {
        Some(JwtAnalysis::Jws(j)) => j.time_claim("iat"),
        _ => None,
    };
    let older = matches!((iat(&current), iat(&sent)), (Some(f), Some(s)) if f < s);
    ev.request.notes.push(if older {
        format!(
            "the token file {path} holds another token than the one sent (issued before it: the request's token did not come from this file)"
        )
    } else {
        format!(
            "the token file {path} holds a newer token than the one sent (rotated on disk; the process still holds the old one)"
        )
    });
}

/// `--bundle FILE`: the report (already redacted and scrubbed) plus the verification results
/// and both clocks, as one JSON file for the API owner.
pub(crate) fn write_bundle(a: &IdpArgs, ev: &Evidence, report: &Report) -> Result<(), CliError> {
    let Some(path) = &a.bundle else { return Ok(()) };
    let report_json: serde_json::Value =
        serde_json::from_str(&authdoctor_core::report::json::render(report)).unwrap_or_default();
    let (judged, clock) = ev.judging_time();
    let bundle = serde_json::json!({
        "kind": "authdoctor-evidence-bundle",
        "version": 1,
        "generated_at": authdoctor_core::time::now_unix(),
        "summary": report.summary,
        "verification": report_json.get("issuer"),
        "clocks": {
            "local": ev.server_clock.map(|c| c.local).unwrap_or(ev.now),
            "server": ev.server_clock.map(|c| c.date),
            "offset_seconds": ev.server_clock.map(|c| c.offset()),
            "claims_judged_at": judged,
            "judged_by": clock,
        },
        "report": report_json,
    });
    let text = serde_json::to_string_pretty(&bundle).unwrap_or_default();
    std::fs::write(path, crate::out::redact(&report.scrub(&text)))
        .map_err(|e| CliError::Io(format!("cannot write the bundle {path}: {e}")))
}
