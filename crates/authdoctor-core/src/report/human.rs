//! Human output: a summary line, the ranked causes with evidence and fix steps, the token (claims
//! table and timeline) and the exchange in brief. Colour is added here only when asked; the CLI
//! decides (TTY, `NO_COLOR`).

use super::{ExchangeView, Report, TokenView, canonical_reason};
use crate::diagnosis::{Finding, Likelihood, Outcome};
use crate::time::{format_unix, human_duration};
use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use owo_colors::OwoColorize;
use serde_json::Value;
use std::fmt::Write;

struct Painter {
    color: bool,
}

impl Painter {
    fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        if self.color {
            s.red().bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn green(&self, s: &str) -> String {
        if self.color {
            s.green().bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn yellow(&self, s: &str) -> String {
        if self.color {
            s.yellow().to_string()
        } else {
            s.to_string()
        }
    }
    fn cyan(&self, s: &str) -> String {
        if self.color {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }
    fn likelihood(&self, l: Likelihood, score: u8) -> String {
        let s = format!("{} {score}", l.as_str());
        match l {
            Likelihood::High => self.red(&s),
            Likelihood::Medium => self.yellow(&s),
            Likelihood::Low => self.dim(&s),
        }
    }
}

/// Render the report for a terminal (or a pipe when `color` is false).
pub fn render(report: &Report, color: bool) -> String {
    let p = Painter { color };
    let mut out = String::new();
    let mark = match report.outcome {
        Outcome::Ok => p.green("✓"),
        _ => p.red("✗"),
    };
    let _ = writeln!(out, "{mark} {}", p.bold(&report.summary));

    if !report.findings.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Causes, most likely first"));
        for (i, f) in report.findings.iter().enumerate() {
            finding(&mut out, &p, i + 1, f);
        }
    } else if report.outcome != Outcome::Ok {
        let _ = writeln!(
            out,
            "\nNo cause in the catalogue matched. The exchange is below; `authdoctor explain --list` lists what is checked."
        );
    }
    if let Some(t) = &report.token {
        token(&mut out, &p, t);
    }
    let _ = writeln!(out, "\n{}", p.bold("Exchange"));
    for (i, x) in report.exchanges.iter().enumerate() {
        exchange(&mut out, &p, i, report.exchanges.len(), x);
    }
    probes(&mut out, &p, report);
    discovery(&mut out, &p, report);
    issuer(&mut out, &p, report);
    if !report.request.notes.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Notes"));
        for n in &report.request.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    report.scrub(&out)
}

fn finding(out: &mut String, p: &Painter, n: usize, f: &Finding) {
    let _ = writeln!(
        out,
        "\n  {n}. {}  [{}]",
        p.bold(f.id),
        p.likelihood(f.likelihood, f.score)
    );
    let _ = writeln!(out, "     {}", f.title);
    for e in &f.evidence {
        let _ = writeln!(out, "     {} {}", p.dim("·"), e.text);
    }
    for e in &f.against {
        let weight = e
            .weight
            .map(|w| format!("{w:?}").to_lowercase())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "     {} {} {}",
            p.dim("✗ against:"),
            e.text,
            p.dim(&format!("({weight})"))
        );
    }
    for fix in &f.fixes {
        let auto = if fix.is_automatic() {
            ", automatic with --fix"
        } else {
            ""
        };
        let effort = format!("{:?}", fix.effort).to_lowercase();
        let _ = writeln!(
            out,
            "     {} {} {}",
            p.green("fix:"),
            fix.title,
            p.dim(&format!("({effort}{auto})"))
        );
        for s in &fix.steps {
            let _ = writeln!(out, "       - {s}");
        }
        if let Some(c) = &fix.command {
            let _ = writeln!(out, "       {} {}", p.dim("$"), p.cyan(c));
        }
    }
}

fn claim_value(name: &str, v: &Value, now: i64) -> String {
    match (name, v) {
        ("exp" | "nbf" | "iat" | "auth_time", Value::Number(n)) => {
            let t = n.as_i64().unwrap_or_default();
            let rel = if t <= now {
                format!("{} ago", human_duration(now - t))
            } else {
                format!("in {}", human_duration(t - now))
            };
            format!("{t}  {}  ({rel})", format_unix(t))
        }
        (_, Value::String(s)) => s.clone(),
        _ => v.to_string(),
    }
}

fn token(out: &mut String, p: &Painter, t: &TokenView) {
    let scheme = t.scheme.clone().unwrap_or_default();
    let _ = writeln!(
        out,
        "\n{}  {} {}  {}",
        p.bold("Credential"),
        scheme,
        t.redacted,
        p.dim(&format!("({})", t.kind))
    );
    if let Some(u) = &t.user {
        let _ = writeln!(out, "  user: {u:?} (password not shown)");
    }
    if let Some(h) = &t.header {
        let _ = writeln!(out, "  header: {}", Value::Object(h.clone()));
    }
    if let Some(c) = &t.claims {
        let now = t
            .timeline
            .as_ref()
            .map(|tl| tl.server_now.unwrap_or(tl.local_now))
            .unwrap_or_default();
        let mut table = Table::new();
        table.load_style(UTF8_BORDERS_ONLY);
        table.set_header(vec!["claim", "value"]);
        for (k, v) in c {
            let mut s = claim_value(k, v, now);
            if s.chars().count() > 100 {
                s = s.chars().take(99).collect::<String>() + "…";
            }
            table.add_row(vec![k.clone(), s]);
        }
        for line in table.to_string().lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    if let Some(tl) = &t.timeline {
        let mut parts = Vec::new();
        for (name, v) in [("iat", tl.iat), ("nbf", tl.nbf), ("exp", tl.exp)] {
            if let Some(v) = v {
                parts.push((v, format!("{name} {}", hms(v))));
            }
        }
        if let Some(s) = tl.server_now {
            parts.push((s, format!("server now {}", hms(s))));
        }
        parts.push((tl.local_now, format!("local now {}", hms(tl.local_now))));
        parts.sort_by_key(|(t, _)| *t);
        let line = parts
            .into_iter()
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ─ ");
        let _ = writeln!(out, "  timeline: {line}  → {}", p.bold(&tl.verdict));
    }
}

/// `10:08:12Z` for the timeline, with the date when it is not today's.
fn hms(t: i64) -> String {
    let s = format_unix(t);
    s.split_once('T')
        .map(|(_, time)| time.to_string())
        .unwrap_or(s)
}

fn exchange(out: &mut String, p: &Painter, i: usize, n: usize, x: &ExchangeView) {
    let hop = if n > 1 {
        format!("hop {} ", i + 1)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {}{} {} {}",
        p.dim(&hop),
        p.cyan("→"),
        x.method,
        x.url
    );
    for h in &x.request_headers {
        let _ = writeln!(out, "      {}: {}", h.name, h.value);
    }
    for d in &x.dropped_headers {
        let _ = writeln!(
            out,
            "      {} {} not sent: {}",
            p.yellow("!"),
            d.name,
            d.reason
        );
    }
    let reason = x
        .reason
        .clone()
        .unwrap_or_else(|| canonical_reason(x.status).to_string());
    let timing = x
        .elapsed_ms
        .map(|ms| format!(" · {ms:.0} ms"))
        .unwrap_or_default();
    let status = format!("{} {}", x.status, reason);
    let status = if x.status >= 400 {
        p.red(&status)
    } else {
        p.green(&status)
    };
    let _ = writeln!(
        out,
        "  {} {status} {}",
        p.cyan("←"),
        p.dim(&format!("{}{timing}", x.http_version))
    );
    for h in &x.headers {
        let interesting = matches!(
            h.name.to_ascii_lowercase().as_str(),
            "www-authenticate"
                | "proxy-authenticate"
                | "location"
                | "date"
                | "via"
                | "age"
                | "x-cache"
                | "x-cache-status"
                | "cf-cache-status"
                | "cache-control"
                | "set-cookie"
                | "server"
                | "content-type"
        ) || h.name.to_ascii_lowercase().starts_with("x-oauth")
            || h.name.to_ascii_lowercase().starts_with("x-accepted");
        if interesting {
            let _ = writeln!(out, "      {}: {}", h.name, h.value);
        }
    }
    if let Some(b) = &x.body_excerpt {
        let one: String = b.split_whitespace().collect::<Vec<_>>().join(" ");
        let one = if one.chars().count() > 300 {
            one.chars().take(299).collect::<String>() + "…"
        } else {
            one
        };
        let _ = writeln!(out, "      {} {}", p.dim("body:"), one);
    }
    if let Some(tls) = &x.tls {
        let v = tls.version.clone().unwrap_or_default();
        let leaf = tls
            .peer_chain
            .first()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "      {} {v} · server cert {leaf} · client certificate {}",
            p.dim("tls:"),
            if tls.client_cert_requested {
                if tls.client_cert_sent {
                    "requested, sent"
                } else {
                    "requested, NOT sent"
                }
            } else {
                "not requested"
            }
        );
    }
}

/// The "Probes" section: every differential probe, what it changed and what came back, then
/// the clock, DNS and client-certificate measurements.
fn probes(out: &mut String, p: &Painter, report: &Report) {
    if report.probes.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.bold("Probes"));
    for pr in &report.probes {
        let mark = match pr.differs {
            Some(true) => p.yellow("≠"),
            Some(false) => p.dim("="),
            None => p.dim("·"),
        };
        let status = pr.status.map(|s| format!(" → {s}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {mark} {} {}{status} {}",
            p.bold(pr.name.as_str()),
            pr.changed,
            p.dim(&format!("· {:.0} ms", pr.elapsed_ms))
        );
        if !pr.url.is_empty() {
            let _ = writeln!(out, "      {} {}", p.dim("to:"), pr.url);
        }
        for h in &pr.headers {
            let _ = writeln!(out, "      {}: {}", h.name, h.value);
        }
        if !pr.verdict.is_empty() {
            let _ = writeln!(out, "      {}", pr.verdict);
        }
        if let Some(e) = &pr.error {
            let _ = writeln!(out, "      {} {e}", p.yellow("error:"));
        }
    }
}

/// The "Discovery" section: the chain from the 401 to a token, one link per line, so the
/// user sees at which link it broke.
fn discovery(out: &mut String, p: &Painter, report: &Report) {
    use crate::idp::discovery::{StepKind, Verdict};
    if report.discovery.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", p.bold("Discovery"));
    let _ = writeln!(out, "  401 {}", report.request.url);
    for s in &report.discovery {
        let what = match s.step {
            StepKind::ResourceMetadata => "resource metadata (RFC 9728)",
            StepKind::AuthorizationServerMetadata => "authorization server metadata (RFC 8414)",
        };
        let status = s
            .status
            .map_or_else(|| "no answer".to_string(), |c| c.to_string());
        let mark = match s.verdict {
            Verdict::Ok => p.green("ok"),
            Verdict::Broken => p.red("broken"),
        };
        let _ = writeln!(out, "   └→ {what}: {} [{status}] {mark}", s.url);
        let _ = writeln!(out, "      {}", s.detail);
    }
}

/// The "Issuer" section: what the issuer and the resource publish, the signature
/// verdict, each expectation with its source, and every fetch made.
fn issuer(out: &mut String, p: &Painter, report: &Report) {
    let Some(i) = &report.issuer else { return };
    let _ = writeln!(out, "\n{}", p.bold("Issuer"));
    if let Some(pr) = &i.raw.primary {
        let _ = writeln!(out, "  {} ({})", p.bold(&pr.issuer), pr.source);
        if let Some(j) = &pr.jwks_uri {
            let refetch = if pr.refetched {
                ", fetched twice: kid unknown"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    jwks: {j} → kids [{}]{refetch}",
                pr.kids.join(", ")
            );
        }
        for e in pr.discovery_error.iter().chain(pr.jwks_error.iter()) {
            let _ = writeln!(out, "    {} {e}", p.yellow("error:"));
        }
    }
    for o in &i.raw.others {
        let _ = writeln!(
            out,
            "  also consulted {} ({}): kids [{}]",
            o.issuer,
            o.source,
            o.kids.join(", ")
        );
    }
    if let Some(s) = &i.signature {
        let mark = if s.verified() {
            p.green("✓")
        } else {
            p.red("✗")
        };
        let _ = writeln!(out, "  {mark} signature: {}", s.text);
    }
    for c in &i.claims {
        let mark = if c.ok() { p.green("✓") } else { p.red("✗") };
        let _ = writeln!(out, "  {mark} {}", c.describe());
    }
    if let (Some(m), Some(f)) = (&i.raw.metadata, &i.raw.metadata_fetch) {
        let _ = writeln!(
            out,
            "  resource metadata {}: resource {}, authorization_servers [{}], scopes_supported [{}]",
            f.url,
            m.resource.as_deref().unwrap_or("-"),
            m.authorization_servers
                .clone()
                .unwrap_or_default()
                .join(", "),
            m.scopes_supported.clone().unwrap_or_default().join(", ")
        );
    }
    if let Some(x) = &i.raw.introspection {
        let _ = writeln!(
            out,
            "  introspection: active {}, client_id {}, scope {}, exp {}",
            x.active
                .map(|a| a.to_string())
                .unwrap_or_else(|| "?".into()),
            x.client_id.as_deref().unwrap_or("-"),
            x.scope.as_deref().unwrap_or("-"),
            x.exp.map(|e| e.to_string()).unwrap_or_else(|| "-".into())
        );
    }
    for e in i
        .raw
        .metadata_error
        .iter()
        .chain(i.raw.introspection_error.iter())
    {
        let _ = writeln!(out, "  {} {e}", p.yellow("error:"));
    }
    let fetches: Vec<_> = i
        .raw
        .primary
        .iter()
        .chain(i.raw.others.iter())
        .flat_map(|pr| pr.fetches.iter())
        .chain(i.raw.metadata_fetch.iter())
        .chain(i.raw.introspection_fetch.iter())
        .collect();
    for f in fetches {
        let status = f
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        let cache = if f.from_cache { " (cache)" } else { "" };
        let _ = writeln!(
            out,
            "    {} {} {} {}{cache}",
            p.dim(&f.what),
            f.url,
            status,
            p.dim(&format!("{:.0} ms", f.elapsed_ms))
        );
    }
    for n in &i.raw.notes {
        let _ = writeln!(out, "  - {n}");
    }
}
