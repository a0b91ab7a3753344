//! What the host resolves to, and which configured profiles share those addresses.

use std::collections::BTreeSet;

use std::time::{Duration, Instant};
use url::Url;

use authdoctor_core::model::{DnsInfo, DnsProfileMatch, ProbeKind, ProbeResult};

use super::ProfileHosts;

pub(super) fn in_hosts_file(host: &str) -> bool {
    std::fs::read_to_string("/etc/hosts").is_ok_and(|t| {
        t.lines().any(|l| {
            let l = l.split('#').next().unwrap_or("");
            l.split_whitespace()
                .skip(1)
                .any(|n| n.eq_ignore_ascii_case(host))
        })
    })
}

pub(super) async fn resolve(host: &str, timeout: Duration) -> Result<Vec<String>, String> {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(timeout, tokio::net::lookup_host((h, 0))).await {
        Ok(Ok(addrs)) => {
            let set: BTreeSet<String> = addrs.map(|a| a.ip().to_string()).collect();
            Ok(set.into_iter().collect())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Resolve the request's host and the other profiles' hosts, all at once.
pub(super) async fn dns_probe(
    url: &str,
    profiles: Option<&ProfileHosts>,
    timeout: Duration,
) -> (DnsInfo, f64) {
    let started = Instant::now();
    let host = Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let mut info = DnsInfo {
        host: host.clone(),
        hosts_file: in_hosts_file(&host),
        profile: profiles.and_then(|p| p.selected.clone()),
        environment: profiles.and_then(|p| p.environment.clone()),
        ..Default::default()
    };
    let mut set = tokio::task::JoinSet::new();
    let mut others: Vec<(String, Option<String>, String)> = Vec::new();
    if let Some(p) = profiles {
        for o in &p.others {
            for h in &o.hosts {
                if !h.eq_ignore_ascii_case(&host) && others.len() < 16 {
                    others.push((o.profile.clone(), o.environment.clone(), h.clone()));
                }
            }
        }
    }
    {
        let h = host.clone();
        set.spawn(async move { (usize::MAX, resolve(&h, timeout).await) });
    }
    for (i, (_, _, h)) in others.iter().enumerate() {
        let h = h.clone();
        set.spawn(async move { (i, resolve(&h, timeout).await) });
    }
    let mut resolved: Vec<Option<Vec<String>>> = vec![None; others.len()];
    while let Some(r) = set.join_next().await {
        let Ok((i, res)) = r else { continue };
        if i == usize::MAX {
            match res {
                Ok(a) => info.addresses = a,
                Err(e) => info.error = Some(e),
            }
        } else if let (Some(slot), Ok(a)) = (resolved.get_mut(i), res) {
            *slot = Some(a);
        }
    }
    for ((profile, environment, h), addrs) in others.into_iter().zip(resolved) {
        let Some(addrs) = addrs else { continue };
        let shared: Vec<String> = addrs
            .into_iter()
            .filter(|a| info.addresses.contains(a))
            .collect();
        if !shared.is_empty() {
            info.matches.push(DnsProfileMatch {
                profile,
                environment,
                host: h,
                shared,
            });
        }
    }
    (info, started.elapsed().as_secs_f64() * 1000.0)
}

pub(super) fn dns_result(d: &DnsInfo, ms: f64) -> ProbeResult {
    let mut r = ProbeResult::new(ProbeKind::Dns, format!("resolved {}", d.host), "");
    r.elapsed_ms = ms;
    r.error = d.error.clone();
    let mut v = if d.addresses.is_empty() {
        "no addresses".to_string()
    } else {
        format!(
            "{} → {}{}",
            d.host,
            d.addresses.join(", "),
            if d.hosts_file {
                " (pinned in /etc/hosts)"
            } else {
                ""
            }
        )
    };
    if let Some(p) = &d.profile {
        v.push_str(&format!(
            "; profile {p} ({})",
            d.environment.as_deref().unwrap_or("no environment label")
        ));
    }
    for m in &d.matches {
        v.push_str(&format!(
            "; shares {} with profile {} ({}) host {}",
            m.shared.join(", "),
            m.profile,
            m.environment.as_deref().unwrap_or("no environment label"),
            m.host
        ));
    }
    r.differs = Some(
        d.matches
            .iter()
            .any(|m| m.environment.is_some() && m.environment != d.environment),
    );
    r.verdict = v;
    r
}
