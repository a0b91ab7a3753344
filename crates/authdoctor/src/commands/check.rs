//! `authdoctor check`: build the request (flags, curl line or HAR), gather the evidence (send it,
//! or read the recording), diagnose, print.

use super::{diagnose_and_print, runtime};
use crate::cli::CheckArgs;
use crate::exit::{self, CliError};
use authdoctor_core::evidence::Evidence;
use authdoctor_core::input::curl::parse_curl_line;
use authdoctor_core::input::har::parse_har;
use authdoctor_core::model::RequestSpec;
use authdoctor_core::time::now_unix;
use authdoctor_net::send::{SendOptions, effective_proxy};
use authdoctor_net::tls::send_and_inspect;
use clap::ArgMatches;
use std::io::Read;

pub fn run(args: CheckArgs, m: &ArgMatches) -> Result<i32, CliError> {
    if let Some(path) = args.har.clone() {
        return run_har(&args, &path);
    }
    let opts = match &args.curl {
        Some(line) => {
            if !args.curl_flags.header.is_empty()
                || args.curl_flags.user.is_some()
                || args.curl_flags.request.is_some()
            {
                return Err(CliError::Usage(
                    "give the request either as --curl '…' or as flags, not both".into(),
                ));
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
    if args.curl.is_some() {
        spec.origin = authdoctor_core::model::InputOrigin::CurlLine;
    }
    let ev = runtime()?.block_on(live(spec))?;
    let report = diagnose_and_print(&ev, &args.output, false);
    Ok(exit::for_outcome(report.outcome))
}

/// Send the request (and inspect TLS alongside) and collect the evidence.
pub(crate) async fn live(spec: RequestSpec) -> Result<Evidence, CliError> {
    let proxy = effective_proxy(&spec);
    let (sent, inspection) = send_and_inspect(&spec, &SendOptions::default()).await;
    let exchanges = match sent {
        Ok(x) => x,
        Err(e) => {
            // A failed handshake often says more than the client's error (e.g. the server's alert
            // after a missing client certificate).
            if let Some(Ok(i)) = &inspection
                && let Some(h) = &i.handshake_error
                && matches!(e, authdoctor_net::send::NetError::Tls { .. })
            {
                let host = i.server_name.clone();
                return Err(CliError::Net(authdoctor_net::send::NetError::Tls {
                    host,
                    reason: h.clone(),
                }));
            }
            return Err(e.into());
        }
    };
    Ok(Evidence::new(spec, exchanges, proxy, None, now_unix()))
}

/// Headers that describe one connection, not the request: a replay lets the client set them.
const CONNECTION_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
    "upgrade",
    "te",
];

fn run_har(args: &CheckArgs, path: &str) -> Result<i32, CliError> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::Io(format!("cannot read {path}: {e}")))?;
    let har = parse_har(&bytes, path)?;
    let picked = har.select(args.entry, args.url_filter.as_deref())?;
    let several = picked.len() > 1;
    let mut code = exit::OK;
    let rt = if args.replay { Some(runtime()?) } else { None };
    for i in picked {
        let mut spec = har.request(i);
        let ev = match &rt {
            Some(rt) => {
                if !spec.is_idempotent_safe() && !args.allow_replay {
                    return Err(CliError::Usage(format!(
                        "entry {i} is a {} request: sending it again may repeat its effect; add --allow-replay to do it anyway",
                        spec.method
                    )));
                }
                spec.headers.retain(|h| {
                    !CONNECTION_HEADERS.contains(&h.name.to_ascii_lowercase().as_str())
                });
                rt.block_on(live(spec))?
            }
            None => {
                let ctx = har.context(i);
                let now = ctx.started_at.unwrap_or_else(now_unix);
                Evidence::new(spec, har.exchanges(i), None, Some(ctx), now)
            }
        };
        let report = diagnose_and_print(&ev, &args.output, several);
        code = code.max(exit::for_outcome(report.outcome));
    }
    Ok(code)
}
