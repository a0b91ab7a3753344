//! Expectations: what the API wants from a token (`iss`, `aud`, scopes, environment), each with
//! the place it came from — a flag, the profile (and which layer of it), the resource's RFC 9728
//! metadata, or the challenge — so every finding can say "expected X (from Y), got Z".

use serde::Serialize;
use std::fmt;

/// Where an expectation came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ExpectSource {
    /// A command-line flag, e.g. `--expect-aud`.
    Flag { flag: String },
    /// A profile field; `layer` is the profile layer that won (e.g. "project file ./authdoctor.toml").
    Profile {
        profile: String,
        field: String,
        layer: String,
    },
    /// RFC 9728 protected-resource metadata at `url`.
    ResourceMetadata { url: String, field: String },
    /// A parameter of the `WWW-Authenticate` challenge.
    Challenge { param: String },
}

impl fmt::Display for ExpectSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectSource::Flag { flag } => write!(f, "flag {flag}"),
            ExpectSource::Profile {
                profile,
                field,
                layer,
            } => write!(f, "profile {profile} ({field}, {layer})"),
            ExpectSource::ResourceMetadata { url, field } => {
                write!(f, "resource metadata {url} ({field})")
            }
            ExpectSource::Challenge { param } => write!(f, "the challenge's {param}"),
        }
    }
}

/// One expected value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    pub value: String,
    pub source: ExpectSource,
}

/// Another profile's issuer and environment, to recognise a token from another environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileIssuer {
    pub profile: String,
    pub environment: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

/// Everything expected of the token, with provenance. The CLI fills the flag and profile
/// parts; [`super::assess`] adds what the resource metadata and the challenge say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Expectations {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub iss: Vec<Expected>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aud: Vec<Expected>,
    /// Scopes that are each required.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<Expected>,
    /// The selected profile and its environment label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileIssuer>,
    /// The other profiles (other environments).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_profiles: Vec<ProfileIssuer>,
}

/// Compare two URLs or identifiers: equal, equal but for a trailing slash, or different.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    Exact,
    TrailingSlashOnly,
    Different,
}

pub fn compare(expected: &str, actual: &str) -> Match {
    if expected == actual {
        Match::Exact
    } else if expected.trim_end_matches('/') == actual.trim_end_matches('/') {
        Match::TrailingSlashOnly
    } else {
        Match::Different
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slash() {
        assert_eq!(compare("https://a/", "https://a/"), Match::Exact);
        assert_eq!(compare("https://a/", "https://a"), Match::TrailingSlashOnly);
        assert_eq!(compare("https://a/", "https://b/"), Match::Different);
        let s = ExpectSource::Flag {
            flag: "--expect-aud".into(),
        };
        assert_eq!(s.to_string(), "flag --expect-aud");
    }
}
