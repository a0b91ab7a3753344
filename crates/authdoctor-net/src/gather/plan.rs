//! What [`super::gather`] needs from the user's configuration, as data: the issuer to check,
//! what the API expects (flags and the selected profile), the introspection credentials, the
//! other profiles (for a token from another environment), the profile's token file, and the
//! profiles' hosts for the DNS comparison. Built from `authdoctor_core::profile::Layers`; the
//! caller loads the layers and resolves secret references. A program without config layers
//! gives its profile's expectations as data ([`ProfileExpectations`],
//! [`IssuerPlan::from_expectations`]), so its diagnosis names the same expectations.

use std::path::PathBuf;

use authdoctor_core::evidence::Evidence;
use authdoctor_core::idp::{ExpectSource, Expectations, Expected, ProfileIssuer};
use authdoctor_core::model::RequestSpec;
use authdoctor_core::profile::{self, ConfigError, Effective, Layers, SecretRef};
use authdoctor_core::secret::Secret;
use authdoctor_core::token::jwt::{self, JwtAnalysis};

use super::bearer_token;
use crate::idp::{IdpOptions, IntrospectRequest};
use crate::probes::{ProfileHost, ProfileHosts, host_of};

/// The issuer-side choices a user makes (the CLI's `--issuer`, `--expect-*`, …).
#[derive(Debug, Clone, Default)]
pub struct IssuerRequest {
    /// The issuer to check the token against (default: the token's `iss`, else the profile's).
    pub issuer: Option<String>,
    pub expect_aud: Vec<String>,
    pub expect_iss: Vec<String>,
    pub expect_scope: Vec<String>,
    /// The HS256/384/512 secret, to verify HS* tokens.
    pub hs_secret: Option<Vec<u8>>,
    /// Fetch over plain http from hosts other than loopback.
    pub allow_http: bool,
}

/// What to fetch and expect on the issuer side.
#[derive(Debug, Clone, Default)]
pub struct IssuerPlan {
    pub fetch: IdpOptions,
    pub expectations: Expectations,
    pub hs_secret: Option<Vec<u8>>,
    /// Run the issuer/metadata fetches alongside the request (there is something to check);
    /// the discovery chain a 401 names is walked either way.
    pub enabled: bool,
    /// What was not done and why, for the report.
    pub notes: Vec<String>,
}

/// Reads one secret reference (the caller's single resolver: env, file with `~`, keyring).
pub type SecretResolver<'a> = &'a dyn Fn(&SecretRef) -> Result<String, String>;

/// One value of a profile and where it came from: the config layer that won it (e.g.
/// "project file ./authdoctor.toml") or the program that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileValue {
    pub value: String,
    pub origin: String,
}

impl ProfileValue {
    pub fn new(value: impl Into<String>, origin: impl Into<String>) -> Self {
        ProfileValue {
            value: value.into(),
            origin: origin.into(),
        }
    }
}

/// The client the profile introspects tokens with (RFC 7662).
#[derive(Debug, Clone)]
pub struct IntrospectionClient {
    pub client_id: String,
    pub client_secret: Secret,
}

/// What the selected profile expects of a token, with provenance: the CLI derives it from the
/// effective profile ([`ProfileExpectations::from_effective`]), a program from its own token
/// configuration. [`IssuerPlan`] turns it into [`Expectations`] whose sources name the profile.
#[derive(Debug, Clone)]
pub struct ProfileExpectations {
    pub profile: String,
    pub issuer: Option<ProfileValue>,
    /// The expected `aud`; preferred over `resource` when both are set.
    pub audience: Option<ProfileValue>,
    /// The RFC 8707 resource indicator, the expected `aud` when there is no `audience`.
    pub resource: Option<ProfileValue>,
    /// Every scope the token must carry, space-separated as configured.
    pub scopes: Option<ProfileValue>,
    pub environment: Option<String>,
    pub introspection: Option<IntrospectionClient>,
}

impl ProfileExpectations {
    /// The expectations of a named effective profile (`None` for no profile), with each
    /// value's winning layer; an introspection secret that cannot be read is left out and said
    /// in the notes.
    pub fn from_effective(
        eff: &Effective,
        resolve: SecretResolver<'_>,
    ) -> Option<(ProfileExpectations, Vec<String>)> {
        let profile = eff.name.clone()?;
        let val = |field: &str| {
            let v = eff.str(field)?;
            let origin = eff
                .get(field)
                .map(|r| r.source.to_string())
                .unwrap_or_default();
            Some(ProfileValue::new(v, origin))
        };
        let mut notes = Vec::new();
        let introspection = match (
            eff.str("introspection_client_id"),
            eff.get("introspection_client_secret")
                .and_then(|r| r.secret.clone()),
        ) {
            (Some(id), Some(sec)) => match resolve(&sec) {
                Ok(s) => Some(IntrospectionClient {
                    client_id: id.to_string(),
                    client_secret: Secret::new(s),
                }),
                Err(why) => {
                    notes.push(format!(
                        "introspection skipped: the profile's introspection_client_secret ({sec}) cannot be read: {why}"
                    ));
                    None
                }
            },
            _ => None,
        };
        let pe = ProfileExpectations {
            issuer: val("issuer"),
            audience: val("audience"),
            resource: val("resource"),
            scopes: val("scopes"),
            environment: eff.str("environment").map(str::to_string),
            introspection,
            profile,
        };
        Some((pe, notes))
    }

    /// Fill `ex` with what this profile expects: issuer, audience (else resource), scopes and
    /// the profile's own identity; returns the profile's issuer.
    fn fill(&self, ex: &mut Expectations) -> Option<String> {
        let src = |field: &str, v: &ProfileValue| Expected {
            value: v.value.clone(),
            source: ExpectSource::Profile {
                profile: self.profile.clone(),
                field: field.into(),
                layer: v.origin.clone(),
            },
        };
        if let Some(i) = &self.issuer {
            ex.iss.push(src("issuer", i));
        }
        if let Some(v) = &self.audience {
            ex.aud.push(src("audience", v));
        } else if let Some(v) = &self.resource {
            ex.aud.push(src("resource", v));
        }
        if let Some(s) = &self.scopes {
            ex.scope.push(src("scopes", s));
        }
        let issuer = self.issuer.as_ref().map(|i| i.value.clone());
        ex.profile = Some(ProfileIssuer {
            profile: self.profile.clone(),
            environment: self.environment.clone(),
            issuer: issuer.clone(),
            audience: self.audience.as_ref().map(|a| a.value.clone()),
        });
        issuer
    }
}

impl IssuerPlan {
    /// The plan for `spec` from the user's choices and the effective profile (`None`: no
    /// profile applies) with every other profile of `layers`.
    pub fn from_profile(
        req: &IssuerRequest,
        spec: &RequestSpec,
        eff: Option<&Effective>,
        layers: Option<&Layers>,
        resolve: SecretResolver<'_>,
    ) -> IssuerPlan {
        let Some((pe, notes)) = eff.and_then(|e| ProfileExpectations::from_effective(e, resolve))
        else {
            return Self::plan(req, spec, None, Vec::new(), Vec::new());
        };
        let mut others: Vec<ProfileIssuer> = Vec::new();
        for (_, file) in layers
            .into_iter()
            .flat_map(|l| [l.user.as_ref(), l.project.as_ref()])
            .flatten()
        {
            for (n, p) in &file.profiles {
                if *n != pe.profile && !others.iter().any(|o| &o.profile == n) {
                    others.push(ProfileIssuer {
                        profile: n.clone(),
                        environment: p.environment.clone(),
                        issuer: p.issuer.clone(),
                        audience: p.audience.clone(),
                    });
                }
            }
        }
        Self::plan(req, spec, Some(&pe), others, notes)
    }

    /// The plan for `spec` from the user's choices and a profile's expectations given as data
    /// (a program's own token configuration: `AuthClient`, `TokenMiddleware`); no other
    /// profiles are known.
    pub fn from_expectations(
        req: &IssuerRequest,
        spec: &RequestSpec,
        profile: Option<&ProfileExpectations>,
    ) -> IssuerPlan {
        Self::plan(req, spec, profile, Vec::new(), Vec::new())
    }

    fn plan(
        req: &IssuerRequest,
        spec: &RequestSpec,
        profile: Option<&ProfileExpectations>,
        other_profiles: Vec<ProfileIssuer>,
        mut notes: Vec<String>,
    ) -> IssuerPlan {
        let flag = |f: &str, v: &str| Expected {
            value: v.to_string(),
            source: ExpectSource::Flag { flag: f.into() },
        };
        let mut ex = Expectations::default();
        ex.aud
            .extend(req.expect_aud.iter().map(|v| flag("--expect-aud", v)));
        ex.iss
            .extend(req.expect_iss.iter().map(|v| flag("--expect-iss", v)));
        ex.scope
            .extend(req.expect_scope.iter().map(|v| flag("--expect-scope", v)));
        let token = bearer_token(spec);
        let claims = token
            .as_deref()
            .and_then(jwt::analyse)
            .and_then(|j| match j {
                JwtAnalysis::Jws(j) => Some(j),
                _ => None,
            });
        let profile_issuer = profile.and_then(|p| p.fill(&mut ex));
        ex.other_profiles = other_profiles;
        let introspect_creds = profile.and_then(|p| p.introspection.as_ref());

        let issuer = match (
            &req.issuer,
            claims.as_ref().and_then(|j| j.str_claim("iss")),
        ) {
            (Some(i), _) => Some((i.clone(), "--issuer".to_string())),
            (None, Some(i)) => Some((i.to_string(), "the token's iss".to_string())),
            (None, None) => profile_issuer.clone().map(|i| {
                (
                    i,
                    format!(
                        "profile {}",
                        ex.profile
                            .as_ref()
                            .map(|p| p.profile.as_str())
                            .unwrap_or("?")
                    ),
                )
            }),
        };
        let others = other_issuers(issuer.as_ref().map(|(i, _)| i.as_str()), &ex);
        let enabled =
            token.is_some() || issuer.is_some() || !ex.aud.is_empty() || !ex.iss.is_empty();
        let introspect = match (introspect_creds, &token, &profile_issuer) {
            (Some(c), Some(t), Some(iss)) => Some(IntrospectRequest {
                issuer: iss.clone(),
                client_id: c.client_id.clone(),
                // Both stay Secret until idp's introspection request builds its form.
                client_secret: c.client_secret.clone(),
                token: Secret::new(t.clone()),
            }),
            (Some(_), Some(_), None) => {
                notes.push(
                    "introspection skipped: the profile has introspection credentials but no issuer to send them to".into(),
                );
                None
            }
            _ => None,
        };
        let fetch = IdpOptions {
            issuer,
            others,
            kid: claims.as_ref().and_then(|j| j.kid()).map(str::to_string),
            allow_http: req.allow_http,
            introspect,
            request_url: token.as_ref().map(|_| spec.url.to_string()),
            transport: spec.transport.clone(),
            ..Default::default()
        };
        ex.other_profiles.sort_by(|x, y| x.profile.cmp(&y.profile));
        IssuerPlan {
            fetch,
            expectations: ex,
            hs_secret: req.hs_secret.clone(),
            enabled,
            notes,
        }
    }
}

/// Other issuers to consult for an unknown kid: the expected ones and the other profiles'
/// (at most four, none twice, not the primary).
fn other_issuers(primary: Option<&str>, ex: &Expectations) -> Vec<(String, String)> {
    let primary = primary.map(|i| i.trim_end_matches('/').to_string());
    let mut others: Vec<(String, String)> = Vec::new();
    let mut add_other = |u: &str, why: String| {
        let t = u.trim_end_matches('/');
        if Some(t.to_string()) != primary
            && !others.iter().any(|(o, _)| o.trim_end_matches('/') == t)
            && others.len() < 4
        {
            others.push((u.to_string(), why));
        }
    };
    for e in &ex.iss {
        add_other(&e.value, e.source.to_string());
    }
    for o in &ex.other_profiles {
        if let Some(i) = &o.issuer {
            add_other(
                i,
                format!(
                    "profile {} ({})",
                    o.profile,
                    o.environment.as_deref().unwrap_or("no environment")
                ),
            );
        }
    }
    others
}

/// The effective profile for `spec`: `profile` when named, else chosen by the request's host.
pub fn effective_profile(
    layers: &Layers,
    profile: Option<&str>,
    spec: &RequestSpec,
) -> Result<Effective, ConfigError> {
    let host = spec.host();
    profile::resolve(layers, profile, host.as_deref())
}

/// A profile's `token_file`: where the current token of a long-running process is kept.
#[derive(Debug, Clone)]
pub struct TokenFile {
    /// The profile that names it.
    pub profile: Option<String>,
    /// The path as configured (shown in notes).
    pub shown: String,
    /// The path to read (`~` expanded by the caller).
    pub path: PathBuf,
}

impl TokenFile {
    /// The effective profile's `token_file`, with `expand` turning `~/` into the home folder.
    pub fn of(eff: &Effective, expand: &dyn Fn(&str) -> PathBuf) -> Option<TokenFile> {
        let shown = eff.str("token_file")?;
        Some(TokenFile {
            profile: eff.name.clone(),
            shown: shown.to_string(),
            path: expand(shown),
        })
    }

    /// A file that now holds another token than the one the request sent: the program still
    /// holds a token that was rotated on disk — the classic 401 of a long-running process with
    /// a projected service-account token or a Vault agent sink. Said as a note of the request.
    pub(crate) fn note(&self, ev: &mut Evidence, sent: Option<&str>) {
        let Some(sent) = sent else { return };
        let path = &self.shown;
        let current = match std::fs::read_to_string(&self.path) {
            Ok(t) => t.trim().to_string(),
            Err(e) => {
                ev.request.notes.push(format!(
                    "the profile {}'s token_file {path} cannot be read ({}): it could not be compared with the token sent",
                    self.profile.as_deref().unwrap_or("?"),
                    e.kind()
                ));
                return;
            }
        };
        if current.is_empty() || current == sent {
            return;
        }
        let iat = |t: &str| match jwt::analyse(t) {
            Some(JwtAnalysis::Jws(j)) => j.time_claim("iat"),
            _ => None,
        };
        let older = matches!((iat(&current), iat(sent)), (Some(f), Some(s)) if f < s);
        ev.request.notes.push(if older {
            format!(
                "the token file {path} holds another token than the one sent (issued before it: the request's token did not come from this file)"
            )
        } else {
            format!(
                "the token file {path} holds a newer token than the one sent (rotated on disk; the process still holds the old one)"
            )
        });
    }
}

/// The profile `spec`'s host selects (never `--profile`: the comparison is about where the
/// host points) with its environment, and every other profile's hosts (api_base + hosts),
/// for the DNS probe.
pub fn profile_hosts(layers: &Layers, spec: &RequestSpec) -> Option<ProfileHosts> {
    let eff = effective_profile(layers, None, spec).ok()?;
    let mut out = ProfileHosts {
        selected: eff.name.clone(),
        environment: eff.str("environment").map(str::to_string),
        others: Vec::new(),
    };
    let files = [layers.user.as_ref(), layers.project.as_ref()];
    for (_, file) in files.into_iter().flatten() {
        for (name, p) in &file.profiles {
            if Some(name) == eff.name.as_ref() {
                continue;
            }
            let mut hosts: Vec<String> = p.hosts.clone().unwrap_or_default();
            if let Some(h) = p.api_base.as_deref().and_then(host_of) {
                hosts.push(h);
            }
            out.others.push(ProfileHost {
                profile: name.clone(),
                environment: p.environment.clone(),
                hosts,
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use authdoctor_core::model::Header;

    const CONFIG: &str = r#"
[profiles.prod]
environment = "prod"
issuer = "https://id.example.com/"
audience = "https://api.example.com/"
scopes = ["read", "write"]
api_base = "https://api.example.com"
introspection_client_id = "rs"
introspection_client_secret = { env = "PLAN_TEST_UNSET_VARIABLE" }

[profiles.stage]
environment = "stage"
issuer = "https://id.stage.example.com/"
hosts = ["api.stage.example.com"]
"#;

    fn layers() -> Layers {
        let file = profile::parse(CONFIG, "authdoctor.toml").expect("test config");
        Layers {
            project: Some(("authdoctor.toml".into(), file)),
            ..Default::default()
        }
    }

    fn spec(url: &str, auth: Option<&str>) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.parse().unwrap(),
            headers: auth
                .map(|a| vec![Header::new("Authorization", a)])
                .unwrap_or_default(),
            ..Default::default()
        }
    }

    fn no_secrets(_: &SecretRef) -> Result<String, String> {
        Err("not set".into())
    }

    #[test]
    fn the_hosts_profile_gives_expectations_issuer_and_other_environments() {
        let l = layers();
        let s = spec("https://api.example.com/v1", Some("Bearer opaque-token"));
        let eff = effective_profile(&l, None, &s).expect("profile by host");
        let plan = IssuerPlan::from_profile(
            &IssuerRequest::default(),
            &s,
            Some(&eff),
            Some(&l),
            &no_secrets,
        );
        assert!(plan.enabled);
        let (iss, why) = plan.fetch.issuer.clone().expect("issuer");
        assert_eq!(iss, "https://id.example.com/");
        assert_eq!(why, "profile prod");
        assert_eq!(plan.expectations.aud[0].value, "https://api.example.com/");
        assert_eq!(plan.expectations.scope[0].value, "read write");
        // The other environment's issuer is consulted for an unknown key.
        assert_eq!(plan.expectations.other_profiles[0].profile, "stage");
        assert!(
            plan.fetch
                .others
                .iter()
                .any(|(u, _)| u == "https://id.stage.example.com/")
        );
        // The introspection secret could not be read: said, never sent.
        assert!(plan.fetch.introspect.is_none());
        assert!(
            plan.notes
                .iter()
                .any(|n| n.contains("introspection skipped")),
            "{:?}",
            plan.notes
        );
    }

    #[test]
    fn profile_expectations_name_the_layer_each_value_came_from() {
        let l = layers();
        let s = spec("https://api.example.com/v1", Some("Bearer opaque-token"));
        let eff = effective_profile(&l, None, &s).expect("profile by host");
        let plan =
            IssuerPlan::from_profile(&IssuerRequest::default(), &s, Some(&eff), Some(&l), &|_| {
                Ok("introspection-secret".into())
            });
        assert_eq!(
            plan.expectations.aud[0].source,
            ExpectSource::Profile {
                profile: "prod".into(),
                field: "audience".into(),
                layer: "project file authdoctor.toml".into(),
            }
        );
        let i = plan
            .fetch
            .introspect
            .expect("introspection with a readable secret");
        assert_eq!(i.client_id, "rs");
        assert_eq!(i.issuer, "https://id.example.com/");
        assert_eq!(i.client_secret.expose(), "introspection-secret");
        assert_eq!(i.token.expose(), "opaque-token");
        let shown = format!("{i:?} {:?} {:?}", i.client_secret, i.token);
        assert!(
            !shown.contains("introspection-secret") && !shown.contains("opaque-token"),
            "{shown}"
        );
        let (pe, notes) =
            ProfileExpectations::from_effective(&eff, &|_| Ok("introspection-secret".into()))
                .expect("a named profile");
        assert!(notes.is_empty());
        let shown = format!("{pe:?}");
        assert!(!shown.contains("introspection-secret"), "{shown}");
    }

    #[test]
    fn a_programs_expectations_without_layers() {
        let origin = "the program's TokenConfig";
        let pe = ProfileExpectations {
            profile: "api".into(),
            issuer: Some(ProfileValue::new("https://id.example.com/", origin)),
            audience: None,
            resource: Some(ProfileValue::new("https://api.example.com/", origin)),
            scopes: Some(ProfileValue::new("read write", origin)),
            environment: None,
            introspection: None,
        };
        let s = spec("https://api.example.com/v1", Some("Bearer opaque-token"));
        let plan = IssuerPlan::from_expectations(&IssuerRequest::default(), &s, Some(&pe));
        assert!(plan.enabled);
        // An opaque token has no iss: the profile's issuer is the one checked.
        let (iss, why) = plan.fetch.issuer.clone().expect("issuer");
        assert_eq!(
            (iss.as_str(), why.as_str()),
            ("https://id.example.com/", "profile api")
        );
        let aud = &plan.expectations.aud[0];
        assert_eq!(aud.value, "https://api.example.com/");
        assert_eq!(
            aud.source.to_string(),
            "profile api (resource, the program's TokenConfig)"
        );
        assert_eq!(plan.expectations.scope[0].value, "read write");
        assert_eq!(
            plan.expectations
                .profile
                .as_ref()
                .map(|p| p.profile.as_str()),
            Some("api")
        );
        assert!(plan.expectations.other_profiles.is_empty());
        assert!(plan.fetch.introspect.is_none() && plan.notes.is_empty());
        // No profile at all: the same plan as from_profile without one.
        let none = IssuerPlan::from_expectations(&IssuerRequest::default(), &s, None);
        let same = IssuerPlan::from_profile(&IssuerRequest::default(), &s, None, None, &no_secrets);
        assert_eq!(none.expectations, same.expectations);
        assert_eq!(none.fetch.issuer, same.fetch.issuer);
    }

    #[test]
    fn flags_alone_without_a_token_or_profile() {
        let s = spec("https://elsewhere.example.org/", None);
        let req = IssuerRequest {
            expect_aud: vec!["a".into()],
            ..Default::default()
        };
        let plan = IssuerPlan::from_profile(&req, &s, None, None, &no_secrets);
        assert!(plan.enabled, "an expectation is something to check");
        assert!(plan.fetch.issuer.is_none());
        assert!(
            plan.fetch.request_url.is_none(),
            "no token: no metadata lookup"
        );
        let none = IssuerPlan::from_profile(&IssuerRequest::default(), &s, None, None, &no_secrets);
        assert!(!none.enabled);
    }

    #[test]
    fn profile_hosts_list_the_other_profiles() {
        let l = layers();
        let h = profile_hosts(&l, &spec("https://api.example.com/", None)).expect("hosts");
        assert_eq!(h.selected.as_deref(), Some("prod"));
        assert_eq!(h.environment.as_deref(), Some("prod"));
        assert_eq!(h.others.len(), 1);
        assert_eq!(h.others[0].hosts, vec!["api.stage.example.com".to_string()]);
    }
}
