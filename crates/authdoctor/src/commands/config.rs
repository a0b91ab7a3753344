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
use authdoctor_tokens::edit::{
    EditError, NewProfile, add_profile, check_existing, check_url, valid_env_name,
    valid_profile_name, write_atomic,
};
use authdoctor_tokens::inspect;
use authdoctor_tokens::layers::{LayersError, user_file_path};
use std::path::Path;

/// Every layer from the machine (`project`: `--config FILE`), read by the library.
pub fn layers(project: Option<&str>) -> Result<Layers, CliError> {
    authdoctor_tokens::layers::load_layers(project.map(Path::new)).map_err(|e| match e {
        LayersError::Read { .. } => CliError::Io(e.to_string()),
        LayersError::Parse(_) => CliError::Usage(e.to_string()),
    })
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

fn edit_error(e: EditError) -> CliError {
    match e {
        EditError::Write { .. }
        | EditError::WouldBeInvalid(_)
        | EditError::DidNotReadBack { .. } => CliError::Io(e.to_string()),
        _ => CliError::Usage(e.to_string()),
    }
}

pub fn init(a: ConfigInitArgs) -> Result<i32, CliError> {
    if !valid_profile_name(&a.profile) {
        return Err(CliError::Usage(format!(
            "--profile {:?}: use letters, digits, '_', '-' and '.'",
            a.profile
        )));
    }
    let secret_ref = match (&a.client_secret_env, &a.client_secret_file) {
        (Some(var), _) => {
            if !valid_env_name(var) {
                // Never echo it: this is where a pasted secret would land.
                return Err(CliError::Usage(
                    "--client-secret-env takes the NAME of an environment variable (letters, digits, '_'), not the secret itself".into(),
                ));
            }
            Some(SecretRef::Env { env: var.clone() })
        }
        (None, Some(file)) => {
            if file.trim().is_empty() {
                return Err(CliError::Usage(
                    "--client-secret-file: an empty path".into(),
                ));
            }
            Some(SecretRef::File { file: file.clone() })
        }
        (None, None) => None,
    };
    check_url("--issuer", &a.issuer, a.allow_http_issuer).map_err(edit_error)?;
    if let Some(r) = &a.resource {
        url::Url::parse(r).map_err(|e| CliError::Usage(format!("--resource {r}: {e}")))?;
    }
    if a.client_id.as_deref().is_some_and(|c| c.trim().is_empty()) {
        return Err(CliError::Usage("--client-id: an empty client id".into()));
    }
    let scopes: Vec<String> = a
        .scope
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(str::to_string)
        .collect();

    // The target file, and its current content (validated before anything is changed).
    let (path, kind) = if a.project {
        let dir = std::env::current_dir()
            .map_err(|e| CliError::Io(format!("cannot read the current directory: {e}")))?;
        (dir.join("authdoctor.toml"), "project file")
    } else {
        let p = user_file_path().ok_or_else(|| {
            CliError::Usage("neither XDG_CONFIG_HOME nor HOME is set: no user file".into())
        })?;
        (p, "user file")
    };
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CliError::Io(format!("cannot read {shown}: {e}"))),
    };
    let parsed =
        check_existing(existing.as_deref(), &shown, &a.profile, a.force).map_err(edit_error)?;

    // Discovery: the issuer must answer, and name itself as we will write it.
    let rt = super::runtime()?;
    let http = super::token::http_client()?;
    let ep = match rt.block_on(authdoctor_tokens::config::discover(&http, &a.issuer)) {
        Ok(ep) => ep,
        Err(e) => {
            crate::out::errln!("authdoctor: error: {e}");
            let reached = matches!(&e, authdoctor_tokens::TokenError::Discovery { reason, .. }
                if reason.contains(" answered ") || reason.starts_with("not a metadata document"));
            return Ok(if reached {
                exit::USAGE
            } else {
                exit::UNREACHABLE
            });
        }
    };
    let issuer = match ep.issuer.as_deref() {
        Some(i) if i.trim_end_matches('/') == a.issuer.trim_end_matches('/') => i.to_string(),
        Some(i) => {
            return Err(CliError::Usage(format!(
                "the discovery document of {} names issuer {i}: tokens will carry that iss; pass --issuer {i}",
                a.issuer
            )));
        }
        None => a.issuer.clone(),
    };

    let new = NewProfile {
        issuer,
        client_id: a.client_id.clone(),
        client_secret: secret_ref.clone(),
        resource: a.resource.clone(),
        scopes,
    };
    let edited =
        add_profile(existing.as_deref(), &parsed, &shown, &a.profile, &new).map_err(edit_error)?;

    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| CliError::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mode = if a.project {
        // A project file is committed: keep the mode it has, else an ordinary 0644.
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o644)
    } else {
        0o600
    };
    write_atomic(&path, &edited.text, mode).map_err(edit_error)?;

    // Say what was written (the profile as TOML) and what to run next.
    outln!(
        "{} profile {} in the {kind} {shown}{}:\n",
        if edited.replaced { "replaced" } else { "wrote" },
        a.profile,
        if edited.set_default {
            format!(" (and default_profile = {:?})", a.profile)
        } else {
            String::new()
        }
    );
    outln!("{}", edited.profile_toml.trim_end());
    outln!();
    match &secret_ref {
        Some(SecretRef::Env { env }) if std::env::var_os(env).is_none() => {
            outln!("note: {env} is not set in this shell: export it before asking for a token")
        }
        Some(r @ SecretRef::File { .. }) => outln!("note: {}", availability(r)),
        _ => {}
    }
    if a.project && secret_ref.is_some() {
        outln!(
            "note: the project file holds only the secret's reference; the secret stays out of the repository"
        );
    }
    let methods = ep.token_endpoint_auth_methods_supported.unwrap_or_default();
    if secret_ref.is_some()
        && !methods.is_empty()
        && !methods.iter().any(|m| m == "client_secret_basic")
        && methods.iter().any(|m| m == "client_secret_post")
    {
        outln!(
            "note: the issuer takes client_secret_post, not client_secret_basic: add --auth-method client_secret_post"
        );
    }
    let next = match (&a.client_id, &secret_ref) {
        (None, _) => format!(
            "add client_id to the profile (or run init again with --client-id ID --force), then: authdoctor token get --profile {}",
            a.profile
        ),
        (Some(_), Some(_)) => format!("authdoctor token get --profile {}", a.profile),
        (Some(_), None) if ep.device_authorization_endpoint.is_some() => {
            format!(
                "authdoctor token get --profile {} --grant device",
                a.profile
            )
        }
        (Some(_), None) if ep.authorization_endpoint.is_some() => {
            format!(
                "authdoctor token get --profile {} --grant auth-code",
                a.profile
            )
        }
        (Some(_), None) => format!("authdoctor token get --profile {}", a.profile),
    };
    outln!("next: {next}");
    Ok(exit::OK)
}
