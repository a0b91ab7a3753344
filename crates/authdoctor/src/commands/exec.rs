//! `authdoctor exec --profile P -- COMMAND…`: runs COMMAND with a fresh access token in the
//! environment variables the profile's `token_env` names (default `ACCESS_TOKEN`), never on its
//! command line (where `ps` and shell history would show it). The exit code is COMMAND's.

use super::token::{ProfileArgs, report_token_error, session, source};
use crate::cli::OutputArgs;
use crate::exit::{self, CliError};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub profile: ProfileArgs,
    /// Environment variable(s) to set instead of the profile's token_env (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    /// The command and its arguments (after --).
    #[arg(trailing_var_arg = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(a: ExecArgs) -> Result<i32, CliError> {
    let s = session(&a.profile, None)?;
    let names = if a.env.is_empty() {
        s.config.token_env.clone()
    } else {
        a.env.clone()
    };
    let src = source(&s)?;
    let t = match super::runtime()?.block_on(src.token()) {
        Ok(t) => t,
        Err(e) => return Ok(report_token_error(&e, &a.output)),
    };
    let (prog, args) = a
        .command
        .split_first()
        .ok_or_else(|| CliError::Usage("no command given after --".into()))?;
    let mut cmd = std::process::Command::new(prog);
    cmd.args(args);
    for n in &names {
        cmd.env(n, t.access_token.expose());
    }
    cmd.env("AUTHDOCTOR_TOKEN_TYPE", &t.token_type);
    let status = cmd
        .status()
        .map_err(|e| CliError::Usage(format!("cannot run {prog}: {e}")))?;
    Ok(status.code().unwrap_or(exit::OTHER_FAILURE))
}
