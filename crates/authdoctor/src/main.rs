//! The `authdoctor` command line: argument parsing, one module per command, and the one place
//! where errors become a line on stderr and an exit code ([`exit`]). All diagnosis lives in
//! `authdoctor-core`; all network I/O in `authdoctor-net`.

mod cli;
mod commands;
mod exit;
mod out;
mod progress;

use std::process::ExitCode;

fn main() -> ExitCode {
    // A bug must still end in one line, not a stack trace that may echo request data.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "authdoctor: internal error{at}; please report it (the request was not diagnosed)"
        );
    }));
    let code = match cli::parse() {
        Ok(parsed) => match commands::run(parsed) {
            Ok(code) => code,
            Err(e) => exit::report(&e),
        },
        Err(code) => code,
    };
    ExitCode::from(code as u8)
}
