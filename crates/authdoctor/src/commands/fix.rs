//! `authdoctor check … --fix`: the verified-fix loop, wired. The diagnosis is `check`'s; the
//! plan comes from the causes' declared actions (`authdoctor_core::fix::plan`), applying and
//! verifying from the `authdoctor-fix` library. This module supplies what only the CLI knows
//! (the profile a new token comes from, how a request is sent), renders the result and maps
//! it to the exit code: 0 only when the re-sent request succeeded.

use super::idp::live;
use super::token::{ProfileArgs, endpoint_report, source, token_config_and_profile};
use crate::cli::{ColorChoice, Format};
use crate::exit::{self, CliError};
use crate::out::{out, outln};
use authdoctor_core::causes;
use authdoctor_core::diagnosis::Outcome;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::fix::FixOutcome;
use authdoctor_core::model::RequestSpec;
use authdoctor_core::report::{Report, human, json};
use authdoctor_core::secret::Secret;
use authdoctor_fix::{NewToken, Refused};
use authdoctor_net::probes::ProbeOptions;

/// What the library needs from the CLI: sending, and a token from the profile (its 0600 cache
/// and single-flight source).
struct CliHost {
    profile: ProfileArgs,
}

impl authdoctor_fix::Host for CliHost {
    type Error = CliError;

    async fn send(&self, spec: RequestSpec) -> Result<Evidence, CliError> {
        live(spec).await
    }

    async fn new_token(
        &self,
        spec: &RequestSpec,
        sent: Option<&str>,
        add_scopes: &[String],
    ) -> Result<NewToken, Refused> {
        let target = url::Url::parse(&spec.url)
            .map_err(|_| Refused::new("the request's URL is not valid"))?;
        let host = target.host_str().map(str::to_string);
        let (cfg, eff) = token_config_and_profile(&self.profile, host.as_deref()).map_err(|e| {
            Refused::new(format!(
                "no profile to obtain a token with: {e} (pass --profile NAME)"
            ))
        })?;
        // A profile's token goes only to the hosts it names, or wherever the user pointed it
        // with --profile; never to a host a default profile does not know.
        if !authdoctor_core::outbound::profile_token_may_go(
            &target,
            &eff.token_hosts(),
            eff.named_by_flag(),
        ) {
            return Err(Refused::new(format!(
                "profile {} does not name {} (its api_base/hosts), and it was chosen by {}: its token is not sent there (pass --profile {} to send it)",
                cfg.profile,
                host.as_deref().unwrap_or("this host"),
                eff.chosen_by,
                cfg.profile
            )));
        }
        if let Some(path) = &cfg.token_file
            && !add_scopes.is_empty()
        {
            return Err(Refused::new(format!(
                "profile {} reads its token from token_file {}: other scopes cannot be requested (grant them to whatever writes the file)",
                cfg.profile,
                path.display()
            )));
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
        let src = source(cfg).map_err(|e| Refused::new(e.to_string()))?;
        let t = match src.token().await {
            // The cache handed back the very token that was refused: renew it.
            Ok(t) if Some(t.access_token.as_str()) == sent => src.renew_after_rejection(&t).await,
            other => other,
        }
        .map_err(|e| Refused {
            reason: e.to_string(),
            token_endpoint: endpoint_report(&e),
        })?;
        let what = match from_file {
            Some(path) => format!(
                "took the current token from profile {name}'s token_file {}",
                path.display()
            ),
            None if add_scopes.is_empty() => format!("obtained a new token with profile {name}"),
            None => format!(
                "obtained a new token with profile {name} and scopes {}",
                scopes.join(" ")
            ),
        };
        Ok(NewToken {
            authorization: Secret::new(t.authorization()),
            what,
        })
    }

    fn secret(&self, secret: &Secret) {
        let mut sc = authdoctor_core::secret::Scrubber::default();
        sc.add(secret.expose());
        crate::out::guard_secrets(&sc);
    }
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
    let host = CliHost {
        profile: ProfileArgs {
            profile: args.profile.clone(),
            ..Default::default()
        },
    };
    let before = super::idp::live_with_issuer(spec.clone(), probes, &args.idp)?;
    let findings = causes::diagnose(&before);
    let report = Report::new(&before, findings.clone());
    let outcome_before = report.outcome;
    let fix = super::runtime()?.block_on(authdoctor_fix::run(
        &spec,
        &before,
        &findings,
        args.allow_replay,
        &host,
    ))?;
    let code = exit_code(&fix, outcome_before);
    let report = report.with_fix(fix);
    match args.format {
        Format::Json => outln!("{}", json::render(&report)),
        Format::Human => {
            out!("{}", human::render(&report, super::use_color(args.color)));
            outln!();
            if let Some(f) = &report.fix {
                render_fix(f, &report);
            }
        }
    }
    Ok(code)
}

/// 0 only when verified; otherwise the exit code of the last answer's diagnosis (a failing
/// request never exits 0).
fn exit_code(fix: &FixOutcome, before: Outcome) -> i32 {
    if fix.verified {
        return exit::OK;
    }
    match fix.outcome_after.unwrap_or(before) {
        Outcome::Ok if !ok(fix.status_before) => exit::AUTH_FAILURE,
        o => exit::for_outcome(o),
    }
}

fn render_fix(fix: &FixOutcome, report: &Report) {
    let status = |s: Option<u16>| s.map(|s| s.to_string()).unwrap_or_else(|| "—".into());
    let mut text = String::new();
    use std::fmt::Write;
    if fix.verified {
        let _ = writeln!(
            text,
            "Fixed and verified: {} → {}",
            status(fix.status_before),
            status(fix.status_after)
        );
        for a in &fix.applied {
            let _ = writeln!(text, "  ✓ {}: {}", a.id, a.what);
        }
        if let Some(m) = fix.claims_changed.as_ref().filter(|m| !m.is_empty()) {
            let _ = writeln!(text, "  claims that changed:");
            for (k, v) in m {
                let _ = writeln!(text, "    {k}: {} → {}", v["before"], v["after"]);
            }
        }
    } else {
        let _ = writeln!(
            text,
            "Not fixed (status {} → {})",
            status(fix.status_before),
            status(fix.status_after)
        );
        if let Some(n) = &fix.note {
            let _ = writeln!(text, "  {n}");
        }
        for a in fix.tried.iter().flatten() {
            let _ = writeln!(text, "  tried {}: {}", a.id, a.what);
        }
        for a in &fix.failed {
            let _ = writeln!(text, "  could not apply {}: {}", a.id, a.reason);
        }
        if let Some(a) = &fix.after {
            let _ = writeln!(text, "  after: {}", a.summary);
        }
    }
    // Scrubbed like the rest of the report.
    out!("{}", report.scrub(&text));
    if let Some(te) = &fix.token_endpoint {
        outln!("\nThe token endpoint's answer, diagnosed:");
        out!("{}", human::render(te, false));
    }
}
