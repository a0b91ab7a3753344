//! `authdoctor redact IN.har [-o OUT.har]`: a copy of a browser recording that is safe to share.
//! What is removed and how is [`authdoctor_core::secret::har`]; this reads, writes and summarises.

use crate::exit::{self, CliError};
use crate::out::errln;
use authdoctor_core::secret::har::{Summary, redact_har_text};
use clap::Args;

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The HAR file to redact.
    #[arg(value_name = "IN.har")]
    pub input: String,
    /// Where to write the redacted HAR (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "OUT.har")]
    pub output: Option<String>,
}

pub fn run(a: RedactArgs) -> Result<i32, CliError> {
    let bytes = std::fs::read(&a.input)
        .map_err(|e| CliError::Io(format!("cannot read {}: {e}", a.input)))?;
    let text = String::from_utf8_lossy(&bytes);
    let redacted = redact_har_text(&text)
        .map_err(|e| CliError::Usage(format!("HAR file: {}: {e}", a.input)))?;
    match &a.output {
        Some(path) => std::fs::write(path, redacted.output.as_bytes())
            .map_err(|e| CliError::Io(format!("cannot write {path}: {e}")))?,
        // Already redacted, and with JWT claims kept on purpose: the output pass would collapse
        // them.
        None => crate::out::write_generated(&redacted.output),
    }
    summarise(&redacted.summary, &a.input);
    if let Some(path) = &a.output {
        errln!("redact: wrote {path}");
    }
    Ok(exit::OK)
}

fn summarise(summary: &Summary, input: &str) {
    let total = summary.total();
    if total == 0 {
        errln!("redact: no credentials found in {input}");
        return;
    }
    let parts: Vec<String> = summary
        .counts
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    errln!(
        "redact: removed {total} credential value{} from {input}: {}",
        if total == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if summary.jwts > 0 {
        errln!(
            "redact: {} JWT{} kept header and claims, signature removed",
            summary.jwts,
            if summary.jwts == 1 { "" } else { "s" }
        );
    }
}
