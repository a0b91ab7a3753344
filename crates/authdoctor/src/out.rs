//! Everything the CLI writes goes through here: one redaction pass over every byte that leaves
//! the process, and writing without panicking.
//!
//! The pass ([`redact`]): every secret the request carried (registered once with
//! [`guard_secrets`], in every spelling: raw, JSON-escaped, percent-encoded) is replaced by its
//! redacted form, then URLs, JWT-shaped words and vendor key formats are redacted wherever they
//! stand. Reports are redacted field by field before this; the pass is the net under them, and
//! the only redaction of error messages. Only `token get` writes a secret on purpose
//! ([`write_secret`]: the token is its output).
//!
//! Closed pipes: `authdoctor … | head` closes the pipe early, and that is the reader's choice,
//! not an error worth a stack trace.

use authdoctor_core::secret::{Scrubber, redact_shapes, redact_text};
use std::io::Write;
use std::sync::Mutex;

static SECRETS: Mutex<Option<Scrubber>> = Mutex::new(None);

/// Remember secrets that must never be written (the request's credentials).
pub fn guard_secrets(sc: &Scrubber) {
    if let Ok(mut g) = SECRETS.lock() {
        g.get_or_insert_with(Scrubber::default).extend(sc);
    }
}

fn scrub(s: &str) -> String {
    match SECRETS.lock() {
        Ok(g) => match g.as_ref() {
            Some(sc) => sc.scrub(s),
            None => s.to_string(),
        },
        Err(_) => s.to_string(),
    }
}

/// The pass for documents (reports, JSON, bundles): known secrets, URLs and credential shapes;
/// never a change to the document's structure.
pub fn redact(s: &str) -> String {
    redact_shapes(&scrub(s))
}

/// The pass for prose (error messages, warnings): also `name=value` pairs of carriers.
pub fn redact_prose(s: &str) -> String {
    redact_text(&scrub(s))
}

fn write_bytes(s: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(crate::exit::CLOSED_PIPE);
        }
        std::process::exit(crate::exit::USAGE);
    }
}

/// Write `s` to stdout after the redaction pass; on a closed pipe, stop quietly with
/// [`crate::exit::CLOSED_PIPE`] (exit 0 would hide a diagnosis, and the code the command would
/// have returned is not known yet); on any other write error, [`crate::exit::USAGE`].
pub fn write(s: &str) {
    write_bytes(&redact(s));
}

/// Write a secret the user asked for (`token get`): the one place output is not redacted.
pub fn write_secret(s: &str) {
    write_bytes(s);
}

/// Write text generated from the program's own definitions (completion scripts, the man page)
/// or already redacted by a redactor that keeps more structure than the pass would (`redact`'s
/// HAR keeps JWT headers and claims, which the pass would collapse): no redaction pass.
pub fn write_generated(s: &str) {
    write_bytes(s);
}

/// Write `s` to stderr after the redaction pass for prose.
pub fn ewrite(s: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(redact_prose(s).as_bytes());
    let _ = err.flush();
}

/// `println!` that never panics and never prints a secret.
macro_rules! outln {
    () => { $crate::out::write("\n") };
    ($($arg:tt)*) => { $crate::out::write(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that never panics and never prints a secret.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(&format!($($arg)*)) };
}

/// `eprintln!` through the redaction pass.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::out::ewrite(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};
