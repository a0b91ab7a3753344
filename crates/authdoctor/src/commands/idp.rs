//! The CLI side of gathering: turn `check`'s flags and the config layers into
//! [`GatherOptions`] and call [`authdoctor_net::gather`]; and write the `--bundle` evidence
//! file for the API owner.

use crate::cli::IdpArgs;
use crate::exit::CliError;
use authdoctor_core::evidence::Evidence;
use authdoctor_core::model::RequestSpec;
use authdoctor_core::report::Report;
use authdoctor_net::gather::plan::IssuerRequest;
use authdoctor_net::gather::{GatherOptions, gather};
use authdoctor_net::probes::ProbeOptions;
use authdoctor_tokens::session;

/// What `check` gathers besides the request: the probes given, and the issuer side and token
/// file from the flags and the profile (explicit, or chosen by the request's host). An
/// unreadable config only disables the profile's part, unless `--profile` was asked for.
pub(crate) fn gather_options(
    a: &IdpArgs,
    spec: &RequestSpec,
    probes: Option<ProbeOptions>,
) -> Result<GatherOptions, CliError> {
    let (layers, eff) = session::gather_profile(a.profile.as_deref(), spec)?;
    let hs_secret = match &a.hs_secret_env {
        Some(var) => Some(
            std::env::var(var)
                .map_err(|_| {
                    CliError::Usage(format!("--hs-secret-env {var}: the variable is not set"))
                })?
                .into_bytes(),
        ),
        None => None,
    };
    let req = IssuerRequest {
        issuer: a.issuer.clone(),
        expect_aud: a.expect_aud.clone(),
        expect_iss: a.expect_iss.clone(),
        expect_scope: a.expect_scope.clone(),
        hs_secret,
        allow_http: a.allow_http_issuer,
    };
    let profile = (layers.as_ref(), eff.as_ref());
    Ok(session::gather_options(
        &req,
        a.no_issuer,
        spec,
        profile,
        probes,
    ))
}

/// Send the request with the probes and, concurrently, the issuer and resource fetches; then
/// assess the token.
pub(crate) fn live_with_issuer(
    spec: RequestSpec,
    probes: ProbeOptions,
    a: &IdpArgs,
) -> Result<Evidence, CliError> {
    let rt = super::runtime()?;
    let opts = gather_options(a, &spec, Some(probes))?;
    Ok(rt.block_on(gather(spec, opts))?)
}

/// Send the request (and inspect TLS alongside) and collect the evidence: no probes, no issuer.
pub(crate) async fn live(spec: RequestSpec) -> Result<Evidence, CliError> {
    Ok(gather(spec, GatherOptions::default()).await?)
}

/// `--bundle FILE`: the report (already redacted and scrubbed) plus the verification results
/// and both clocks, as one JSON file for the API owner.
pub(crate) fn write_bundle(a: &IdpArgs, ev: &Evidence, report: &Report) -> Result<(), CliError> {
    let Some(path) = &a.bundle else { return Ok(()) };
    let bundle = authdoctor_core::report::documents::EvidenceBundle::new(
        ev,
        report,
        authdoctor_core::time::now_unix(),
    );
    let text = bundle.to_json_pretty();
    std::fs::write(path, crate::out::redact(&report.scrub(&text)))
        .map_err(|e| CliError::Io(format!("cannot write the bundle {path}: {e}")))
}
