//! Causes in the discovery chain a client walks from a 401 to a token: the resource's RFC 9728
//! metadata, then its authorization server's RFC 8414 / OpenID Connect metadata. A broken link
//! outranks `missing-credentials`: sending no token is how every such client starts, and none
//! can get one through a broken chain.

pub mod authorization_server_metadata_invalid;
pub mod resource_metadata_invalid;

use crate::causes::consistency::{Profile, Signal};
use crate::diagnosis::Finding;
use crate::diagnosis::Grade;
use crate::diagnosis::Weight;
use crate::evidence::Evidence;
use crate::idp::discovery::{Break, StepKind};
use serde_json::json;

/// A broken link is observed, but whether it is *the* cause depends on whether the client
/// needed the chain: with no credential sent, the profile's support lifts it above
/// `missing-credentials`; with one sent, its contradiction drops it below the credential's own
/// problem.
const BROKEN_LINK: Grade = Grade::Probable;

/// Both discovery causes weigh alike: decisive for a client that has no token yet, secondary
/// once a credential was sent (that credential's own problem is then the nearer cause).
pub(crate) const CHAIN_PROFILE: Profile = Profile {
    requires: &[],
    supports: &[(Signal::NoCredentialSent, Weight::Strong)],
    contradicts: &[(Signal::CredentialSent, Weight::Strong)],
};

/// The finding for the breaks at `link`, if any.
fn finding(ev: &Evidence, id: &'static str, link: StepKind, what: &str) -> Option<Finding> {
    let chain = ev.discovery.as_ref()?;
    let breaks: Vec<&Break> = chain.breaks.iter().filter(|b| b.link == link).collect();
    let first = breaks.first()?;
    let mut f = Finding::new(
        id,
        format!(
            "The discovery chain breaks at the {what}: {}",
            first.short()
        ),
        BROKEN_LINK,
    );
    for b in &breaks {
        f = f.evidence_with(
            "discovery",
            b.describe(),
            json!({ "link": b.link, "url": crate::secret::redact_url(&b.url), "problem": b.problem }),
        );
    }
    // The earlier link held: say so, so the user sees this is the first broken one.
    if let Some(s) = chain
        .steps
        .first()
        .filter(|s| s.step != link && s.verdict == crate::idp::discovery::Verdict::Ok)
    {
        f = f.evidence(
            "discovery",
            format!("the resource metadata at {} holds: {}", s.url, s.detail),
        );
    }
    Some(f)
}
