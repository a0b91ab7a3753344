//! curl's `--aws-sigv4`: sign a [`RequestSpec`] the way curl would, just before it is sent.
//!
//! The rules follow curl: `-u ACCESS_KEY_ID:SECRET_ACCESS_KEY` are the credentials; a request
//! that already carries an `Authorization` header is not signed (it was signed by another
//! client and is diagnosed as sent); a user-given `X-Amz-Date` is used as the signing time.
//! Where curl has no answer authdoctor adds one: without `-u`, the SDKs' environment variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) are used, and region and
//! service are read from the host only when it really is an AWS endpoint (curl would take the
//! first two labels of any host). S3 requests get `x-amz-content-sha256`, which S3 requires and
//! curl 7.x omits. Pure: the caller passes the environment and the clock.

use super::sign::{self, SignOptions, Signer};
use super::{Sigv4Error, diagnose, infer_scope, parse_curl_provider};
use crate::model::{CredentialSource, HeaderList, RequestSpec};

/// The AWS variables of the caller's environment (read at the CLI's edge).
#[derive(Clone, Default)]
pub struct EnvCredentials {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for EnvCredentials {
    // The secret and the token never reach a debug dump.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvCredentials")
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[set]"),
            )
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "[set]"),
            )
            .finish()
    }
}

/// Sign `spec` in place when it asks for `--aws-sigv4`, at unix time `now`.
pub fn apply(spec: &mut RequestSpec, env: &EnvCredentials, now: i64) -> Result<(), Sigv4Error> {
    let Some(flag) = spec.aws_sigv4.clone() else {
        return Ok(());
    };
    let curl = parse_curl_provider(&flag)?;
    if spec.headers.has("authorization") {
        spec.notes.push(
            "--aws-sigv4: the request already has an Authorization header, so it is sent as given (curl does the same)"
                .into(),
        );
        return Ok(());
    }
    let url = spec.url.clone();
    let host = diagnose::host_header(&url).unwrap_or_default();
    let (region, service) = match (curl.region.clone(), curl.service.clone()) {
        (Some(r), Some(s)) => (r, s),
        (r, s) => {
            let inferred = infer_scope(&host);
            match (
                r.or_else(|| inferred.clone().map(|i| i.0)),
                s.or_else(|| inferred.map(|i| i.1)),
            ) {
                (Some(r), Some(s)) => (r, s),
                _ => return Err(Sigv4Error::NoScope { host }),
            }
        }
    };
    let (key, secret, token) = match &spec.credential_source {
        Some(CredentialSource::UserFlag { user, password }) => {
            (user.clone(), password.clone().unwrap_or_default(), None)
        }
        _ => match (&env.access_key_id, &env.secret_access_key) {
            (Some(k), Some(s)) if !k.is_empty() && !s.is_empty() => {
                // Kept where `-u` would have put them: the diagnosis recomputes the signature
                // with them, and every report scrubs them.
                spec.credential_source = Some(CredentialSource::UserFlag {
                    user: k.clone(),
                    password: Some(s.clone()),
                });
                spec.notes.push(
                    "--aws-sigv4: credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                        .into(),
                );
                (
                    k.clone(),
                    s.clone(),
                    env.session_token.clone().filter(|t| !t.is_empty()),
                )
            }
            _ => return Err(Sigv4Error::NoCredentials),
        },
    };
    if key.is_empty() {
        return Err(Sigv4Error::NoCredentials);
    }
    let token_header = curl.provider.token_header();
    let token = token.filter(|_| !spec.headers.has(&token_header));
    let wire = diagnose::wire_request(&spec.method, spec.url.as_str(), &spec.headers).ok_or_else(
        || {
            Sigv4Error::BadUrl(
                crate::secret::redact_url(spec.url.as_str()),
                "no host".into(),
            )
        },
    )?;
    let signer = Signer {
        provider: curl.provider.clone(),
        access_key_id: key,
        secret_access_key: secret,
        session_token: token,
        region: region.clone(),
        service: service.clone(),
        time: now,
    };
    let body = spec.body.clone().unwrap_or_default();
    let signed = sign::sign_headers(&wire, &body, &signer, SignOptions::for_service(&service))?;
    let date = signed
        .add
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(&curl.provider.date_header()))
        .map(|h| h.value.clone())
        .or_else(|| {
            HeaderList::first(spec.headers.as_slice(), &curl.provider.date_header())
                .map(str::to_string)
        })
        .unwrap_or_default();
    spec.headers.extend(signed.add);
    spec.notes.push(format!(
        "signed with AWS SigV4 like curl --aws-sigv4: region {region}, service {service}, X-Amz-Date {date}, SignedHeaders {}",
        signed.stages.canonical.signed_headers()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Header;

    fn spec(flag: &str, url: &str) -> RequestSpec {
        RequestSpec {
            method: "GET".into(),
            url: url.parse().unwrap(),
            aws_sigv4: Some(flag.into()),
            credential_source: Some(CredentialSource::UserFlag {
                user: "AKIDEXAMPLE".into(),
                password: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn signs_like_curl() {
        let mut s = spec(
            "aws:amz:us-east-1:ec2",
            "http://127.0.0.1:14300/?Action=DescribeRegions&Version=2016-11-15",
        );
        apply(&mut s, &EnvCredentials::default(), 1_790_000_000).unwrap();
        let auth = HeaderList::first(s.headers.as_slice(), "authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260921/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature="), "{auth}");
        // And the diagnosis agrees with itself.
        let a = diagnose::analyse(&diagnose::Input {
            method: "GET",
            url: s.url.as_str(),
            headers: &s.headers,
            body: b"",
            secret: Some(("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
            response: None,
            server_date: None,
        })
        .unwrap()
        .unwrap();
        assert_eq!(a.recomputed_matches, Some(true));
        assert!(a.differences.is_empty(), "{:?}", a.differences);
    }

    #[test]
    fn scope_from_the_host_or_an_error() {
        let mut s = spec("aws:amz", "https://bucket.s3.eu-west-1.amazonaws.com/key");
        apply(&mut s, &EnvCredentials::default(), 1_790_000_000).unwrap();
        assert!(HeaderList::has(
            s.headers.as_slice(),
            "x-amz-content-sha256"
        ));
        assert!(
            HeaderList::first(s.headers.as_slice(), "authorization")
                .unwrap()
                .contains("/eu-west-1/s3/")
        );
        let mut s = spec("aws:amz", "http://127.0.0.1:9000/");
        assert!(matches!(
            apply(&mut s, &EnvCredentials::default(), 0),
            Err(Sigv4Error::NoScope { .. })
        ));
    }

    #[test]
    fn environment_credentials_and_token() {
        let mut s = spec("aws:amz:us-east-1:sts", "https://sts.amazonaws.com/");
        s.credential_source = None;
        assert_eq!(
            apply(&mut s.clone(), &EnvCredentials::default(), 0),
            Err(Sigv4Error::NoCredentials)
        );
        let env = EnvCredentials {
            access_key_id: Some("ASIAEXAMPLE".into()),
            secret_access_key: Some("env-secret-value".into()),
            session_token: Some("env-session-token".into()),
        };
        apply(&mut s, &env, 1_790_000_000).unwrap();
        assert_eq!(
            HeaderList::first(s.headers.as_slice(), "x-amz-security-token"),
            Some("env-session-token")
        );
        assert!(!format!("{env:?}").contains("env-secret-value"));
    }

    #[test]
    fn already_signed_requests_are_left_alone() {
        let mut s = spec("aws:amz:us-east-1:sts", "https://sts.amazonaws.com/");
        s.headers.push(Header::new(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=x",
        ));
        apply(&mut s, &EnvCredentials::default(), 0).unwrap();
        assert_eq!(s.headers.len(), 1);
    }
}
