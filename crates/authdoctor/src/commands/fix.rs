//! `authdoctor check … --fix`: the verified-fix loop, wired. The diagnosis is `check`'s; the
//! plan comes from the causes' declared actions (`authdoctor_core::fix::plan`), applying,
//! verifying and the host that sends and takes tokens from the profile from the `authdoctor-fix`
//! library. This module says where its warnings and secrets go, renders the result and maps it
//! to the exit code: 0 only when the re-sent request succeeded.

use crate::cli::{ColorChoice, Format};
use crate::exit::{self, CliError};
use crate::out::{out, outln};
use authdoctor_core::causes;
use authdoctor_core::fix::FixOutcome;
use authdoctor_core::model::RequestSpec;
use authdoctor_core::report::{Report, human, json};
use authdoctor_fix::profile::ProfileHost;
use authdoctor_net::probes::ProbeOptions;

/// What `check` hands the loop (its other flags are already in the request).
pub struct FixOptions {
    /// the issuer checks, so the first diagnosis is the same as `check`'s; its profile is the
    /// one new tokens come from.
    pub idp: crate::cli::IdpArgs,
    pub allow_replay: bool,
    pub format: Format,
    pub color: ColorChoice,
}

pub fn run(spec: RequestSpec, probes: ProbeOptions, args: FixOptions) -> Result<i32, CliError> {
    let host = ProfileHost::new(args.idp.profile.clone())
        .on_degraded(|line| crate::out::errln!("authdoctor: warning: {line}"))
        .on_secret(|secret| {
            let mut sc = authdoctor_core::secret::Scrubber::default();
            sc.add(secret.expose());
            crate::out::guard_secrets(&sc);
        });
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
    // 0 only when verified; a failing request never exits 0.
    let code = exit::for_outcome(authdoctor_fix::final_outcome(&fix, outcome_before));
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
