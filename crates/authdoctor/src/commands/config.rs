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
use authdoctor_core::profile::{self, ConfigFile, Layers, SecretRef};
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
    match r {
        SecretRef::Env { env } => match std::env::var(env) {
            Ok(v) if v.trim().is_empty() => format!("{env} is set but empty"),
            Ok(v) if v != v.trim() => format!("{env} is set (with surrounding whitespace!)"),
            Ok(_) => format!("{env} is set"),
            Err(_) => format!("{env} is NOT set"),
        },
        SecretRef::File { file } => {
            // The same `~` expansion as the resolver's, so this says what a read would find.
            let path = authdoctor_tokens::config::expand_home(file);
            match std::fs::metadata(&path) {
                Ok(m) => {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = m.permissions().mode() & 0o777;
                    if mode & 0o077 != 0 {
                        format!("file exists, mode {mode:o}: readable by others (chmod 600)")
                    } else {
                        format!("file exists, mode {mode:o}")
                    }
                }
                Err(e) => format!("file not readable: {e}"),
            }
        }
        // What the one resolver would do (it says why when this build cannot read it).
        SecretRef::Keyring { .. } => match authdoctor_tokens::config::resolve_secret(r) {
            Ok(_) => "found in the keyring".into(),
            Err(e) => e.to_string(),
        },
        SecretRef::Literal(_) => "literal value (avoid in project files)".into(),
    }
}

pub fn show(args: ConfigShowArgs) -> Result<i32, CliError> {
    let layers = layers(args.config.as_deref())?;
    let eff = profile::resolve(&layers, args.profile.as_deref(), args.host.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.output.format == Format::Json {
        let values: Vec<serde_json::Value> = eff
            .values
            .iter()
            .map(|r| {
                serde_json::json!({
                    "field": r.field, "value": r.shown, "source": r.source.to_string(),
                    "overridden": r.overridden.iter().map(|(s, v)| serde_json::json!({"source": s.to_string(), "value": v})).collect::<Vec<_>>(),
                    "secret_available": r.secret.as_ref().map(availability),
                })
            })
            .collect();
        let v = serde_json::json!({
            "version": 1,
            "profile": eff.name, "chosen_by": eff.chosen_by,
            "files": {"project": layers.project.as_ref().map(|p| &p.0), "user": layers.user.as_ref().map(|p| &p.0)},
            "values": values, "warnings": eff.warnings,
        });
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

/// A profile name that needs no quoting surprises on the command line or in TOML.
fn valid_profile_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// An environment variable's name (so a secret pasted where its name belongs is refused).
fn valid_env_name(n: &str) -> bool {
    let mut b = n.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && n.len() <= 128
}

/// An absolute http(s) URL; plain http only for loopback unless `allow_http`.
fn check_url(flag: &str, v: &str, allow_http: bool) -> Result<url::Url, CliError> {
    let u = url::Url::parse(v).map_err(|e| CliError::Usage(format!("{flag} {v}: {e}")))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_http => {}
        "http" => {
            let loopback = match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if !loopback {
                return Err(CliError::Usage(format!(
                    "{flag} {v}: plain http to a host other than loopback (use https, or --allow-http-issuer)"
                )));
            }
        }
        s => {
            return Err(CliError::Usage(format!(
                "{flag} {v}: scheme {s} is not http(s)"
            )));
        }
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(CliError::Usage(format!(
            "{flag}: a URL with credentials in it is not written to a config file"
        )));
    }
    Ok(u)
}

/// Write `text` to `path` atomically (a sibling temporary file, then rename) with `mode`.
fn write_atomic(path: &Path, text: &str, mode: u32) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let shown = path.display();
    let res = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have cleared bits the existing file had; set exactly `mode`.
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CliError::Io(format!("cannot write {shown}: {e}"))
    })
}

pub fn init(a: ConfigInitArgs) -> Result<i32, CliError> {
    use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};
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
    check_url("--issuer", &a.issuer, a.allow_http_issuer)?;
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
    let parsed = match &existing {
        Some(t) => profile::parse(t, &shown).map_err(|e| CliError::Usage(e.to_string()))?,
        None => ConfigFile::default(),
    };
    if parsed.profiles.contains_key(&a.profile) && !a.force {
        return Err(CliError::Usage(format!(
            "profile {} already exists in {shown}: pass --force to replace it",
            a.profile
        )));
    }

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

    // The profile table.
    let mut t = Table::new();
    t["issuer"] = value(issuer.as_str());
    if let Some(id) = &a.client_id {
        t["client_id"] = value(id.as_str());
    }
    if let Some(r) = &secret_ref {
        let mut it = InlineTable::new();
        match r {
            SecretRef::Env { env } => it.insert("env", env.as_str().into()),
            SecretRef::File { file } => it.insert("file", file.as_str().into()),
            _ => unreachable!("only env and file references are built"),
        };
        t["client_secret"] = value(it);
    }
    if let Some(r) = &a.resource {
        t["resource"] = value(r.as_str());
    }
    if !scopes.is_empty() {
        t["scopes"] = value(Array::from_iter(scopes.iter().map(String::as_str)));
    }

    let mut doc: DocumentMut = match &existing {
        Some(text) => text.parse().map_err(|e: toml_edit::TomlError| {
            CliError::Usage(format!(
                "{shown}: {}",
                e.to_string().lines().next().unwrap_or("invalid TOML")
            ))
        })?,
        None => DocumentMut::new(),
    };
    let set_default = parsed.default_profile.is_none();
    if set_default {
        doc["default_profile"] = value(a.profile.as_str());
    }
    if doc.get("profiles").is_none() {
        let mut p = Table::new();
        p.set_implicit(true);
        doc["profiles"] = Item::Table(p);
    }
    let Some(profiles) = doc["profiles"].as_table_mut() else {
        return Err(CliError::Usage(format!(
            "{shown}: `profiles` is not a table of [profiles.NAME] sections; add the profile by hand"
        )));
    };
    let replaced = profiles.contains_key(&a.profile);
    profiles.insert(&a.profile, Item::Table(t.clone()));
    let text = doc.to_string();
    // What is written must read back as a valid config, with the profile as built.
    let check = profile::parse(&text, &shown)
        .map_err(|e| CliError::Io(format!("refusing to write an invalid config ({e})")))?;
    if !check.profiles.contains_key(&a.profile) {
        return Err(CliError::Io(format!(
            "refusing to write {shown}: the profile did not read back"
        )));
    }

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
    write_atomic(&path, &text, mode)?;

    // Say what was written (the profile as TOML) and what to run next.
    let mut shown_doc = DocumentMut::new();
    let mut p = Table::new();
    p.set_implicit(true);
    p.insert(&a.profile, Item::Table(t));
    shown_doc["profiles"] = Item::Table(p);
    outln!(
        "{} profile {} in the {kind} {shown}{}:\n",
        if replaced { "replaced" } else { "wrote" },
        a.profile,
        if set_default {
            format!(" (and default_profile = {:?})", a.profile)
        } else {
            String::new()
        }
    );
    outln!("{}", shown_doc.to_string().trim_end());
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
