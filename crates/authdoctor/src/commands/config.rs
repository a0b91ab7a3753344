//! `authdoctor config show`: reads the config layers (project file, user file, `AUTHDOCTOR_*`
//! variables) and prints every effective value of the selected profile with the source that
//! won and what it overrode. Secrets are shown as references (`env:VAR`) or redacted; whether a
//! referenced secret is actually available is checked without printing it.
//!
//! `authdoctor config init --issuer URL …`: reads the issuer's discovery document, then writes
//! a profile — secret *references* only, there is no flag that takes a secret — into the user
//! file (created 0600 in a 0700 directory) or, with `--project`, `./authdoctor.toml`. An
//! existing file is edited in place with `toml_edit` (comments and layout kept) and replaced
//! atomically; an existing profile is only replaced with `--force`.

use crate::cli::{ConfigInitArgs, ConfigShowArgs, Format};
use crate::exit::{self, CliError};
use crate::out::outln;
use authdoctor_core::profile::{self, Layers, SecretRef};
use authdoctor_tokens::init::{self, InitRequest, Next};
use authdoctor_tokens::inspect;
use std::path::Path;

/// Every layer from the machine (`project`: `--config FILE`), read by the library.
pub fn layers(project: Option<&str>) -> Result<Layers, CliError> {
    Ok(authdoctor_tokens::session::layers(project.map(Path::new))?)
}

/// Is a referenced secret available? Says how, never what.
fn availability(r: &SecretRef) -> String {
    inspect::availability(r).to_string()
}

pub fn show(args: ConfigShowArgs) -> Result<i32, CliError> {
    let layers = layers(args.config.as_deref())?;
    let eff = profile::resolve(&layers, args.profile.as_deref(), args.host.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.output.format == Format::Json {
        let v = inspect::effective_document(&layers, &eff);
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(exit::OK);
    }
    outln!(
        "profile: {} (chosen by {})",
        eff.name.as_deref().unwrap_or("(none)"),
        eff.chosen_by
    );
    outln!(
        "project file: {}",
        layers
            .project
            .as_ref()
            .map(|p| p.0.as_str())
            .unwrap_or("(none: authdoctor.toml not found)")
    );
    outln!(
        "user file:    {}",
        layers
            .user
            .as_ref()
            .map(|p| p.0.as_str())
            .unwrap_or("(none)")
    );
    if eff.values.is_empty() {
        outln!("\nno values set");
    } else {
        outln!();
        let width = eff.values.iter().map(|r| r.field.len()).max().unwrap_or(0);
        for r in &eff.values {
            outln!("  {:<width$}  {}   ← {}", r.field, r.shown, r.source);
            if let Some(s) = &r.secret {
                outln!("  {:<width$}    {}", "", availability(s));
            }
            for (src, v) in &r.overridden {
                outln!("  {:<width$}    overrides {v} from {src}", "");
            }
        }
    }
    for w in &eff.warnings {
        outln!("\nwarning: {w}");
    }
    Ok(exit::OK)
}

pub fn init(a: ConfigInitArgs) -> Result<i32, CliError> {
    let name = a.profile.clone();
    // Checked, and the target file read, before the issuer is asked.
    let prepared = init::prepare(InitRequest {
        issuer: a.issuer,
        profile: a.profile,
        client_id: a.client_id,
        client_secret_env: a.client_secret_env,
        client_secret_file: a.client_secret_file,
        resource: a.resource,
        scope: a.scope,
        project: a.project,
        force: a.force,
        allow_http_issuer: a.allow_http_issuer,
    })?;
    let rt = super::runtime()?;
    let http = authdoctor_tokens::session::http_client()?;
    let w = rt.block_on(init::finish(prepared, &http))?;

    // Say what was written (the profile as TOML) and what to run next.
    outln!(
        "{} profile {name} in the {} {}{}:\n",
        if w.edited.replaced {
            "replaced"
        } else {
            "wrote"
        },
        w.kind,
        w.path.display(),
        if w.edited.set_default {
            format!(" (and default_profile = {name:?})")
        } else {
            String::new()
        }
    );
    outln!("{}", w.edited.profile_toml.trim_end());
    outln!();
    match &w.secret {
        Some(SecretRef::Env { env }) if std::env::var_os(env).is_none() => {
            outln!("note: {env} is not set in this shell: export it before asking for a token")
        }
        Some(r @ SecretRef::File { .. }) => outln!("note: {}", availability(r)),
        _ => {}
    }
    if a.project && w.secret.is_some() {
        outln!(
            "note: the project file holds only the secret's reference; the secret stays out of the repository"
        );
    }
    if w.suggest_post {
        outln!(
            "note: the issuer takes client_secret_post, not client_secret_basic: add --auth-method client_secret_post"
        );
    }
    let next = match w.next {
        Next::AddClientId => format!(
            "add client_id to the profile (or run init again with --client-id ID --force), then: authdoctor token get --profile {name}"
        ),
        Next::TokenGet => format!("authdoctor token get --profile {name}"),
        Next::Device => format!("authdoctor token get --profile {name} --grant device"),
        Next::AuthCode => format!("authdoctor token get --profile {name} --grant auth-code"),
    };
    outln!("next: {next}");
    Ok(exit::OK)
}
