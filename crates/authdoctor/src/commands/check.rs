//! `authdoctor check`: build the request (flags, curl line or HAR), gather the evidence (send it,
//! or read the recording), diagnose, print.

use super::{diagnose_and_print, runtime};
use crate::cli::CheckArgs;
use crate::exit::{self, CliError};
use authdoctor_core::input::curl::parse_curl_line;
use authdoctor_core::input::har::parse_har;
use authdoctor_core::time::now_unix;
use authdoctor_net::gather::{GatherOptions, gather};
use authdoctor_net::probes::ProbeOptions;
use authdoctor_tokens::session;
use clap::ArgMatches;
use std::io::Read;

pub fn run(args: CheckArgs, m: &ArgMatches) -> Result<i32, CliError> {
    if let Some(path) = args.har.clone() {
        return run_har(&args, &path);
    }
    let given = probes_given(&args);
    let opts = match &args.curl {
        Some(line) => {
            // The line is the whole request: a flag beside it would be silently ignored.
            if !args.curl_flags.given.is_empty() {
                return Err(CliError::Usage(format!(
                    "give the request either as --curl '…' or as flags, not both (also given: {})",
                    args.curl_flags.given.join(" ")
                )));
            }
            let line = if line == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map_err(|e| {
                    CliError::Io(format!("cannot read the curl line from stdin: {e}"))
                })?;
                s
            } else {
                line.clone()
            };
            parse_curl_line(&line)?
        }
        None => {
            if args.url.is_none() {
                return Err(CliError::Usage(
                    "no URL given: authdoctor check [curl options] URL, --curl '…' or --har FILE"
                        .into(),
                ));
            }
            args.curl_flags.into_options(args.url.clone(), m)
        }
    };
    let mut spec = opts.into_request()?;
    // From here on, none of the request's secrets is ever written, whatever prints it.
    crate::out::guard_secrets(&authdoctor_core::report::scrubber_for_request(&spec));
    if args.curl.is_some() {
        spec.origin = authdoctor_core::model::InputOrigin::CurlLine;
    }
    authdoctor_net::sigv4::sign_from_env(&mut spec).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(path) = &args.dpop_key {
        spec.dpop_key = Some(load_dpop_key(path)?);
    }
    let mut probes = session::with_profile_hosts(given, &spec);
    // On a terminal, after ~300 ms: which requests `check` is still waiting for.
    let pending = std::sync::Arc::new(authdoctor_net::probes::Pending::default());
    probes.pending = Some(pending.clone());
    let _spinner = crate::progress::start(&pending);
    if args.fix {
        // The verified-fix loop: diagnose, apply, re-send, report before/after.
        return super::fix::run(
            spec,
            probes,
            super::fix::FixOptions {
                idp: args.idp.clone(),
                allow_replay: args.allow_replay,
                format: args.output.format,
                color: args.output.color,
            },
        );
    }
    // the issuer and resource fetches run concurrently with the request.
    let ev = super::idp::live_with_issuer(spec, probes, &args.idp)?;
    let report = diagnose_and_print(&ev, &args.output, false);
    super::idp::write_bundle(&args.idp, &ev, &report)?;
    Ok(exit::for_outcome(report.outcome))
}

/// `--dpop-key FILE`: a private JWK or PEM key; the private part stays in this process.
pub(crate) fn load_dpop_key(path: &str) -> Result<authdoctor_core::model::DpopKey, CliError> {
    let p = authdoctor_tokens::config::expand_home(path);
    let bytes = std::fs::read(&p)
        .map_err(|e| CliError::Usage(format!("--dpop-key {path}: cannot read it: {e}")))?;
    let key = authdoctor_core::jose::dpop::ProofKey::load(&bytes)
        .map_err(|e| CliError::Usage(format!("--dpop-key {path}: not a usable DPoP key: {e}")))?;
    Ok(authdoctor_core::model::DpopKey::new(key))
}

/// The probes `check` runs: on unless `--no-probes`; `--ntp` servers. The profiles' hosts for
/// the DNS comparison are added per request (`session::with_profile_hosts`).
fn probes_given(args: &CheckArgs) -> ProbeOptions {
    ProbeOptions {
        enabled: !args.no_probes,
        allow_replay: args.allow_replay,
        ntp_servers: args.ntp.clone(),
        ..Default::default()
    }
}

fn run_har(args: &CheckArgs, path: &str) -> Result<i32, CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::Io(format!("cannot read {path}: {e}")))?;
    let har = parse_har(&bytes, path)?;
    let picked = har.select(args.entry, args.url_filter.as_deref())?;
    let several = picked.len() > 1;
    let mut code = exit::OK;
    let rt = if args.replay { Some(runtime()?) } else { None };
    for i in picked {
        crate::out::guard_secrets(&authdoctor_core::report::scrubber_for_request(
            &har.request(i),
        ));
        let ev = match &rt {
            Some(rt) => {
                let spec = har.replay_request(i);
                if !spec.is_idempotent_safe() && !args.allow_replay {
                    return Err(CliError::Usage(format!(
                        "entry {i} is a {} request: sending it again may repeat its effect; add --allow-replay to do it anyway",
                        spec.method
                    )));
                }
                let probes = session::with_profile_hosts(probes_given(args), &spec);
                let opts = GatherOptions {
                    probes: Some(probes),
                    ..Default::default()
                };
                rt.block_on(gather(spec, opts))?
            }
            None => har.evidence(i, now_unix()),
        };
        let report = diagnose_and_print(&ev, &args.output, several);
        code = code.max(exit::for_outcome(report.outcome));
    }
    Ok(code)
}
