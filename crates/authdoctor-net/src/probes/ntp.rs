//! SNTP against each `--ntp HOST[:PORT]`: offset and round-trip delay (`rsntp`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use authdoctor_core::model::{NtpSample, ProbeKind, ProbeResult};

/// `host`, `host:port`, `[v6]:port` → host and port (default 123).
pub(super) fn split_host_port(s: &str) -> (String, u16) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        let port = p.trim_start_matches(':').parse().unwrap_or(123);
        return (h.to_string(), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().unwrap_or(123)),
        _ => (s.to_string(), 123),
    }
}

pub(super) async fn ntp_one(server: String, timeout: Duration) -> NtpSample {
    let mut sample = NtpSample {
        server: server.clone(),
        offset_seconds: None,
        delay_ms: None,
        stratum: None,
        error: None,
    };
    let (host, port) = split_host_port(&server);
    let addr =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(mut a)) => a.next(),
            Ok(Err(e)) => {
                sample.error = Some(format!("cannot resolve {host}: {e}"));
                return sample;
            }
            Err(_) => {
                sample.error = Some(format!("cannot resolve {host}: timed out"));
                return sample;
            }
        };
    let Some(addr) = addr else {
        sample.error = Some(format!("{host} has no address"));
        return sample;
    };
    let bind: SocketAddr = match addr.ip() {
        IpAddr::V4(ip) if ip.is_loopback() => SocketAddr::from(([127, 0, 0, 1], 0)),
        IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        IpAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)),
    };
    let config = rsntp::Config::default().bind_address(bind).timeout(timeout);
    let client = rsntp::AsyncSntpClient::with_config(config);
    match client.synchronize(addr).await {
        Ok(r) => {
            sample.offset_seconds = Some(r.clock_offset().as_secs_f64());
            sample.delay_ms = Some(r.round_trip_delay().as_secs_f64() * 1000.0);
            sample.stratum = Some(r.stratum());
        }
        Err(e) => sample.error = Some(e.to_string()),
    }
    sample
}

/// Query every server concurrently.
pub(super) async fn ntp_all(servers: &[String], timeout: Duration) -> Vec<NtpSample> {
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in servers.iter().enumerate() {
        let s = s.clone();
        set.spawn(async move { (i, ntp_one(s, timeout).await) });
    }
    let mut out: Vec<(usize, NtpSample)> = Vec::new();
    while let Some(r) = set.join_next().await {
        if let Ok(x) = r {
            out.push(x);
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}

pub(super) fn ntp_result(s: &NtpSample) -> ProbeResult {
    let mut r = ProbeResult::new(ProbeKind::Ntp, format!("SNTP query to {}", s.server), "");
    r.elapsed_ms = s.delay_ms.unwrap_or(0.0);
    match s.offset_seconds {
        Some(o) => {
            r.verdict = format!(
                "NTP time minus local time {o:+.3} s (the local clock is {}), round trip {:.1} ms, stratum {}",
                if o.abs() < 1.0 {
                    "in step".to_string()
                } else if o > 0.0 {
                    format!("{o:.0} s behind")
                } else {
                    format!("{:.0} s ahead", -o)
                },
                s.delay_ms.unwrap_or(0.0),
                s.stratum.unwrap_or(0)
            );
        }
        None => {
            r.error = s.error.clone();
            r.verdict = "no answer".into();
        }
    }
    r
}
