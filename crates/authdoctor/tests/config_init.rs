//! `authdoctor config init` against the real oidc-provider peer (`AUTHDOCTOR_OIDC`): the profile
//! it writes from the issuer's discovery gets a token with `token get`; an existing profile is
//! kept unless `--force` (exit 2, one line); the files hold secret references only, with the
//! user file 0600 in a 0700 directory; an existing file keeps its comments.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use support::peer;

/// The client the oidc peer knows (see tests/tokens.rs).
const CLIENT: &str = "fix-client";
const SECRET: &str = "fix-client-secret-8d2a";
const RESOURCE: &str = "https://api.authdoctor.test/";

struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("adt-init-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("work")).unwrap();
        Env { dir }
    }

    fn user_file(&self) -> PathBuf {
        self.dir.join("config/authdoctor/config.toml")
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("authdoctor"))
            .args(args)
            .current_dir(self.dir.join("work"))
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("AUTHDOCTOR_CACHE_DIR", self.dir.join("cache"))
            .env("ADT_INIT_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .env_remove("AUTHDOCTOR_PROFILE")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("ALL_PROXY")
            .output()
            .expect("run authdoctor");
        let r = (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(
            !r.1.contains(SECRET) && !r.2.contains(SECRET),
            "client secret in output:\n{}\n{}",
            r.1,
            r.2
        );
        r
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn init_args<'a>(issuer: &'a str, profile: &'a str) -> Vec<&'a str> {
    vec![
        "config",
        "init",
        "--issuer",
        issuer,
        "--profile",
        profile,
        "--client-id",
        CLIENT,
        "--client-secret-env",
        "ADT_INIT_SECRET",
        "--resource",
        RESOURCE,
        "--scope",
        "read",
    ]
}

#[test]
fn init_then_token_get_then_refuses_to_overwrite() {
    let issuer = peer("AUTHDOCTOR_OIDC");
    let env = Env::new("user");
    let (code, out, err) = env.run(&init_args(&issuer, "svc"));
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("[profiles.svc]"), "{out}");
    assert!(
        out.contains(r#"client_secret = { env = "ADT_INIT_SECRET" }"#),
        "{out}"
    );
    assert!(
        out.contains("next: authdoctor token get --profile svc"),
        "{out}"
    );

    // The user file: 0600 in a 0700 directory, a reference and no secret.
    let file = env.user_file();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains(r#"env = "ADT_INIT_SECRET""#), "{text}");
    assert!(text.contains(&format!(r#"issuer = "{issuer}"#)), "{text}");
    assert!(text.contains(r#"default_profile = "svc""#), "{text}");

    // The written profile gets a token from the real provider.
    let (code, out, err) = env.run(&["token", "get", "--profile", "svc"]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out.trim().split('.').count(), 3, "a JWT access token");

    // Again without --force: exit 2, one line, the file untouched.
    let (code, out, err) = env.run(&init_args(&issuer, "svc"));
    assert_eq!(code, Some(2), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    // With --force, replaced; a second profile is added beside it.
    let (code, out, _) = env.run(&[init_args(&issuer, "svc"), vec!["--force"]].concat());
    assert_eq!(code, Some(0));
    assert!(out.starts_with("replaced profile svc"), "{out}");
    let mut other = init_args(&issuer, "other");
    other.splice(
        8..10,
        ["--client-secret-file", "~/.config/authdoctor/x.secret"],
    );
    let (code, out, _) = env.run(&other);
    assert_eq!(code, Some(0), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[profiles.svc]") && text.contains("[profiles.other]"));
    assert!(
        text.contains(r#"client_secret = { file = "~/.config/authdoctor/x.secret" }"#),
        "{text}"
    );
    assert!(!text.contains(SECRET));
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn project_file_keeps_comments_and_bad_input_is_one_line() {
    let issuer = peer("AUTHDOCTOR_OIDC");
    let env = Env::new("project");
    let project = env.dir.join("work/authdoctor.toml");
    std::fs::write(
        &project,
        "# shared settings, reviewed\ndefault_profile = \"api\"\n\n[profiles.api]\n# the API's expectations\naudience = \"https://api.example.com/\"\n",
    )
    .unwrap();
    let (code, out, err) = env.run(&[init_args(&issuer, "ci"), vec!["--project"]].concat());
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    let text = std::fs::read_to_string(&project).unwrap();
    assert!(text.starts_with("# shared settings, reviewed\n"), "{text}");
    assert!(text.contains("# the API's expectations"), "{text}");
    assert!(text.contains(r#"default_profile = "api""#), "{text}");
    assert!(text.contains("[profiles.ci]"), "{text}");
    assert!(!text.contains(SECRET));
    assert!(
        !env.user_file().exists(),
        "--project writes only the project file"
    );
    let (code, out, err) = env.run(&["token", "get", "--profile", "ci"]);
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");

    // A secret pasted where the variable's name belongs: refused, and never echoed.
    let pasted = "s3cr3t-pasted-value!";
    let mut args = init_args(&issuer, "pasted");
    args[8..10].copy_from_slice(&["--client-secret-env", pasted]);
    let (code, out, err) = env.run(&args);
    assert_eq!(code, Some(2), "{out}{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!out.contains(pasted) && !err.contains(pasted), "{err}");

    // An issuer that is not there: one line, no file written.
    let (code, _, err) = env.run(&init_args("http://127.0.0.1:9", "gone"));
    assert_eq!(code, Some(3), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!env.user_file().exists());
}
