//! One module per command. Each returns its exit code or a [`CliError`] for `exit` to render.

mod check;
mod config;
mod demo;
pub(crate) mod exec;
mod explain;
mod fix;
pub(crate) mod generate;
mod idp;
pub(crate) mod proxy;
pub(crate) mod redact;
pub(crate) mod scopes;
pub(crate) mod token;
pub(crate) mod watch;

use crate::cli::{ColorChoice, Command, Format, OutputArgs, Parsed};
use crate::exit::CliError;
use crate::out::{out, outln};
use authdoctor_core::causes;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::report::{Report, human, json};

pub fn run(p: Parsed) -> Result<i32, CliError> {
    match p.cli.command {
        Command::Check(args) => {
            let m = p
                .matches
                .subcommand_matches("check")
                .cloned()
                .unwrap_or_default();
            check::run(*args, &m)
        }
        Command::Explain(args) => explain::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Config(crate::cli::ConfigCommand::Show(args)) => config::show(args),
        Command::Config(crate::cli::ConfigCommand::Init(args)) => config::init(args),
        Command::Token(cmd) => token::run(cmd),
        Command::Exec(args) => exec::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::Scopes(args) => scopes::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Redact(args) => redact::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Manpage(args) => generate::manpage(args),
    }
}

/// Whether to colour stdout: `--color`, else a TTY without `NO_COLOR` (anstream's rules).
fn use_color(c: ColorChoice) -> bool {
    match c {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// Diagnose evidence and print the report; returns it for the exit code.
fn diagnose_and_print(ev: &Evidence, out: &OutputArgs, separator: bool) -> Report {
    let findings = causes::diagnose(ev);
    let report = Report::new(ev, findings);
    match out.format {
        Format::Json => {
            // One object per line when several are printed (JSON Lines); pretty for one.
            let text = json::render(&report);
            if separator {
                let compact: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                outln!("{compact}");
            } else {
                outln!("{text}");
            }
        }
        Format::Human => {
            if separator {
                outln!("{}", "─".repeat(72));
            }
            out!("{}", human::render(&report, use_color(out.color)));
        }
    }
    report
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))
}
