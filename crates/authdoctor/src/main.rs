//! The `authdoctor` command line: argument parsing, one module per command, and the one place
//! where errors become a line on stderr and an exit code ([`exit`]). All diagnosis lives in
//! `authdoctor-core`; all network I/O in `authdoctor-net`.

mod cli;
mod commands;
mod exit;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = match cli::parse() {
        Ok(parsed) => match commands::run(parsed) {
            Ok(code) => code,
            Err(e) => exit::report(&e),
        },
        Err(code) => code,
    };
    ExitCode::from(code as u8)
}
