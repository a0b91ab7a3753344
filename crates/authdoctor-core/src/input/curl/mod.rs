//! Parse a pasted curl command line into [`CurlOptions`], in two stages.
//!
//! First the shell: a POSIX/bash line (`shell.rs`) or, for Chrome's "Copy as cURL (cmd)", a
//! Windows `cmd` line (`cmd.rs`), split into the words curl would receive. Then curl's own
//! argument syntax (`args.rs`), whose options are looked up in the one table of curl's options,
//! [`OPTIONS`], and take effect through [`Applier`] — the same table and applier behind
//! `authdoctor check`'s curl-style flags. The resulting [`CurlOptions`] becomes a request in
//! [`crate::input::request`].
//!
//! Harmless output/retry/TLS-tuning flags are accepted and listed in [`CurlOptions::ignored`];
//! options that change the request in ways authdoctor cannot reproduce (`-F`, `-T`, `-K`, …) and
//! unknown options are an [`InputError::UnsupportedCurlOption`]. Of several URLs the first is
//! used and the others are noted, as with `--next`.
//!
//! Error messages name options and never echo option values, which may be credentials.

mod args;
mod cmd;
mod options;
mod shell;

pub use args::parse_curl_args;
pub use options::{Applier, OPTIONS, OptSpec, OptionKind, apply_options};

use super::{CurlOptions, InputError};

/// Parse a whole curl command line (starting with `curl` or `curl.exe`, or just its arguments).
pub fn parse_curl_line(line: &str) -> Result<CurlOptions, InputError> {
    let words = shell_words(line)?;
    let mut opts = parse_curl_args(&words.args)?;
    opts.ignored.extend(words.notes);
    Ok(opts)
}

/// curl's arguments as the shell would hand them over, plus what the shell stage dropped.
#[derive(Debug, Default, PartialEq)]
struct Words {
    args: Vec<String>,
    notes: Vec<String>,
}

fn shell_words(line: &str) -> Result<Words, InputError> {
    // A paste from Windows carries CRLF; treating it as LF makes `\`+CRLF a continuation too.
    let text = line.replace("\r\n", "\n");
    if cmd::looks_like_cmd(&text) {
        cmd::cmd_words(&text)
    } else {
        shell::posix_words(&text)
    }
}

/// Does anything but blanks and comments follow?
fn rest_has_command(rest: &str) -> bool {
    rest.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

fn is_curl_program(word: &str) -> bool {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base == "curl" || base.eq_ignore_ascii_case("curl.exe")
}
