//! `--aws-sigv4` at the edge: the request is signed with the current clock and the AWS
//! variables of this process's environment, just before it is sent (core's signer stays pure
//! and takes both as arguments).

use authdoctor_core::model::RequestSpec;
use authdoctor_core::sigv4::Sigv4Error;
use authdoctor_core::sigv4::curl::{EnvCredentials, apply};

/// Sign `spec` when it asks for SigV4 (`aws_sigv4` set); otherwise leave it as it is.
pub fn sign_from_env(spec: &mut RequestSpec) -> Result<(), Sigv4Error> {
    if spec.aws_sigv4.is_none() {
        return Ok(());
    }
    let var = |n: &str| std::env::var(n).ok();
    let env = EnvCredentials {
        access_key_id: var("AWS_ACCESS_KEY_ID"),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
        session_token: var("AWS_SESSION_TOKEN"),
    };
    apply(spec, &env, authdoctor_core::time::now_unix())
}
