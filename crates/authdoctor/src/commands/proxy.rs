//! `authdoctor proxy --profile P --listen 127.0.0.1:PORT --upstream URL`: a local reverse proxy
//! that puts a fresh `Authorization` header on every request (the engine is
//! `authdoctor_tokens::proxy`: refresh ahead, one forced renewal and retry on a 401 for safe
//! requests, streamed bodies, HTTP/1.1 and HTTP/2). Runs until Ctrl-C, then prints its counters.

use super::token::{ProfileArgs, session, source};
use crate::exit::{self, CliError};
use authdoctor_tokens::proxy::{ProxyPolicy, Stats, serve_with};
use clap::Args;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Address to listen on; a loopback address unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// The API to forward to (scheme, host, optional base path).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Listen on a non-loopback address (anyone who reaches it gets your token's access).
    #[arg(long)]
    pub allow_remote: bool,
    /// Also answer requests whose Host is this name (loopback names are always answered;
    /// others are refused against DNS rebinding). Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Let pages of this web origin (e.g. https://app.example) use the proxy. Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Pass the upstream's Access-Control-Allow-* headers through (stripped by default).
    #[arg(long)]
    pub pass_cors: bool,
}

pub fn run(a: ProxyArgs) -> Result<i32, CliError> {
    if !a.listen.ip().is_loopback() && !a.allow_remote {
        return Err(CliError::Usage(format!(
            "{} is not a loopback address: anyone who can reach it would use your token; add --allow-remote if that is meant",
            a.listen
        )));
    }
    let upstream = url::Url::parse(&a.upstream)
        .map_err(|e| CliError::Usage(format!("--upstream {}: {e}", a.upstream)))?;
    let s = session(&a.profile, upstream.host_str())?;
    let profile = s.config.profile.clone();
    let src = source(&s)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
    let stats = Arc::new(Stats::default());
    let st = stats.clone();
    rt.block_on(async move {
        // Fail fast on a profile that cannot get a token, before accepting traffic.
        if let Err(e) = src.token().await {
            return Err(CliError::Usage(format!("profile {profile}: {e}")));
        }
        let listener = tokio::net::TcpListener::bind(a.listen)
            .await
            .map_err(|e| CliError::Io(format!("cannot listen on {}: {e}", a.listen)))?;
        crate::out::errln!(
            "authdoctor proxy: http://{} → {} with profile {profile}'s token (Ctrl-C to stop)",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
            upstream
        );
        let policy = ProxyPolicy {
            allowed_hosts: a.allow_host,
            allowed_origins: a.allow_origin,
            pass_cors: a.pass_cors,
        };
        serve_with(listener, upstream, src, st, policy, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::Io(e.to_string()))
    })?;
    crate::out::errln!(
        "authdoctor proxy: {} requests, {} retried after a 401, {} still 401, {} proxy errors",
        stats.requests.load(Ordering::Relaxed),
        stats.retried.load(Ordering::Relaxed),
        stats.unauthorized.load(Ordering::Relaxed),
        stats.errors.load(Ordering::Relaxed)
    );
    Ok(exit::OK)
}
