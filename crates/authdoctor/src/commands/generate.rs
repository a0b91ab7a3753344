//! `authdoctor completions SHELL` and `authdoctor manpage`: generated from the same clap
//! definitions as the parser ([`crate::cli::Cli`]), so they can never disagree with it.
//!
//! The man page is one page: the top command (name, synopsis, description, options, the list of
//! commands), then one section per subcommand — nested ones such as `config show` and
//! `token get` included — with its synopsis, description and options as subsections.

use crate::cli::Cli;
use crate::exit::{self, CliError};
use clap::{Args, CommandFactory};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManpageArgs {}

pub fn completions(a: CompletionsArgs) -> Result<i32, CliError> {
    let mut cmd = Cli::command();
    let mut buf: Vec<u8> = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "authdoctor", &mut buf);
    crate::out::write_generated(&String::from_utf8_lossy(&buf));
    Ok(exit::OK)
}

pub fn manpage(_a: ManpageArgs) -> Result<i32, CliError> {
    let page =
        render_manpage().map_err(|e| CliError::Io(format!("cannot render the man page: {e}")))?;
    crate::out::write_generated(&page);
    Ok(exit::OK)
}

/// The whole page as roff.
pub fn render_manpage() -> std::io::Result<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let top = clap_mangen::Man::new(cmd.clone())
        .title("AUTHDOCTOR")
        .section("1");
    let mut buf: Vec<u8> = Vec::new();
    top.render_title(&mut buf)?;
    top.render_name_section(&mut buf)?;
    top.render_synopsis_section(&mut buf)?;
    top.render_description_section(&mut buf)?;
    top.render_options_section(&mut buf)?;
    top.render_subcommands_section(&mut buf)?;
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    for sub in cmd.get_subcommands() {
        subcommand_sections(sub, "authdoctor", &mut out)?;
    }
    let mut tail: Vec<u8> = Vec::new();
    top.render_version_section(&mut tail)?;
    out.push_str(&String::from_utf8_lossy(&tail));
    Ok(out)
}

/// `.SH "AUTHDOCTOR CHECK"` and the subcommand's own sections as `.SS` subsections; then its
/// subcommands, recursively.
fn subcommand_sections(sub: &clap::Command, parent: &str, out: &mut String) -> std::io::Result<()> {
    if sub.is_hide_set() || sub.get_name() == "help" {
        return Ok(());
    }
    let full = format!("{parent} {}", sub.get_name());
    let cmd = sub
        .clone()
        .bin_name(full.clone())
        .display_name(full.clone());
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf: Vec<u8> = Vec::new();
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf)?;
    }
    out.push_str(&format!(".SH \"{}\"\n", full.to_uppercase()));
    for line in String::from_utf8_lossy(&buf).lines() {
        match line.strip_prefix(".SH ") {
            Some(rest) => out.push_str(&format!(".SS {rest}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for s in cmd.get_subcommands() {
        subcommand_sections(s, &full, out)?;
    }
    Ok(())
}
