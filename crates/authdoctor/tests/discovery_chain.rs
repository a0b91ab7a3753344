//! The MCP authorization discovery chain, against real servers built with the MCP TypeScript
//! SDK's own auth helpers (`tests/peers/mcp/chain.mjs`, peer `mcp_chain`): a 401 whose challenge
//! names RFC 9728 protected-resource metadata, whose `authorization_servers` lead to RFC 8414
//! authorization-server metadata. One variant is correct; each other one is broken in exactly
//! one way, and the report must name that link first (above `missing-credentials`: no client can
//! get a token through a broken chain), with the exact difference in its evidence and the broken
//! step in the report's `discovery` list.
//!
//! Each variant's resource is `$AUTHDOCTOR_MCP_CHAIN_<VARIANT>` + `$AUTHDOCTOR_MCP_CHAIN_PATH`
//! (`/mcp`), its authorization server `$AUTHDOCTOR_MCP_CHAIN_<VARIANT>_AS`. Every run has its own
//! empty cache (no metadata cached between cases).

mod support;

use serde_json::Value;
use support::*;

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"authdoctor-test","version":"0"}}}"#;

/// The resource URL the client calls for `variant` (e.g. "OK", "TRAILING_SLASH").
fn resource(variant: &str) -> String {
    let base = peer(&format!("AUTHDOCTOR_MCP_CHAIN_{variant}"));
    format!("{base}{}", peer_var("AUTHDOCTOR_MCP_CHAIN_PATH"))
}

fn auth_server(variant: &str) -> String {
    peer(&format!("AUTHDOCTOR_MCP_CHAIN_{variant}_AS"))
}

/// An MCP `initialize` POST to `variant`'s resource, with `extra` arguments first.
fn call(variant: &str, extra: &[&str]) -> Run {
    let url = resource(variant);
    let mut args: Vec<&str> = extra.to_vec();
    args.extend([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Accept: application/json, text/event-stream",
        "-d",
        INITIALIZE,
        &url,
    ]);
    check_json_fresh(&args)
}

/// The report's `discovery` list.
fn discovery(run: &Run) -> Vec<Value> {
    let steps = run.json()["discovery"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !steps.is_empty(),
        "the report has no `discovery` steps\n{}",
        run.describe()
    );
    steps
}

fn step<'a>(steps: &'a [Value], kind: &str, run: &Run) -> &'a Value {
    steps
        .iter()
        .find(|s| s["step"] == kind)
        .unwrap_or_else(|| panic!("no discovery step {kind:?}\n{}", run.describe()))
}

fn assert_mentions(run: &Run, id: &str, needles: &[&str]) {
    let text = evidence_texts(run, id);
    for n in needles {
        assert!(
            text.to_lowercase().contains(&n.to_lowercase()),
            "the evidence of {id} does not mention {n:?}:\n{text}\n{}",
            run.describe()
        );
    }
}

/// A broken variant: exit 1, `id` first, its evidence names `needles`, and the `discovery`
/// list shows `broken_step` broken (and, for an authorization-server break, the resource step ok).
fn assert_broken(variant: &str, id: &str, broken_step: &str, needles: &[&str]) -> Run {
    let run = call(variant, &[]);
    run.assert_exit(1).assert_top(id);
    assert_mentions(&run, id, needles);
    let steps = discovery(&run);
    let s = step(&steps, broken_step, &run);
    assert_eq!(s["verdict"], "broken", "{}", run.describe());
    if broken_step == "authorization_server_metadata" {
        let r = step(&steps, "resource_metadata", &run);
        assert_eq!(r["verdict"], "ok", "{}", run.describe());
        let url = s["url"].as_str().unwrap_or_default();
        assert!(
            url.starts_with(&auth_server(variant)),
            "the broken step is not at the authorization server ({url})\n{}",
            run.describe()
        );
    } else {
        let url = s["url"].as_str().unwrap_or_default();
        assert!(
            url.ends_with("/.well-known/oauth-protected-resource/mcp"),
            "the broken step is not the resource metadata ({url})\n{}",
            run.describe()
        );
    }
    run
}

#[test]
fn correct_chain_without_a_token_is_missing_credentials_with_every_step_ok() {
    let run = call("OK", &[]);
    run.assert_exit(1).assert_top("missing-credentials");
    let steps = discovery(&run);
    for s in &steps {
        assert_eq!(s["verdict"], "ok", "step {s}\n{}", run.describe());
    }
    let r = step(&steps, "resource_metadata", &run);
    assert!(
        r["url"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/.well-known/oauth-protected-resource/mcp"),
        "{}",
        run.describe()
    );
    assert_eq!(r["status"], 200, "{}", run.describe());
    let a = step(&steps, "authorization_server_metadata", &run);
    assert!(
        a["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&auth_server("OK")),
        "{}",
        run.describe()
    );
    assert_eq!(a["status"], 200, "{}", run.describe());
    for id in [
        "resource-metadata-invalid",
        "authorization-server-metadata-invalid",
    ] {
        assert!(
            !run.finding_ids().iter().any(|f| f == id),
            "{id} on a correct chain\n{}",
            run.describe()
        );
    }
}

#[test]
fn correct_chain_with_the_token_succeeds() {
    let token = peer_var("AUTHDOCTOR_MCP_CHAIN_TOKEN");
    let h = format!("Authorization: Bearer {token}");
    let run = call("OK", &["-H", &h]);
    run.assert_exit(0);
    run.assert_no_secrets(&[Secret::new("mcp chain token", token)]);
}

#[test]
fn resource_with_a_trailing_slash_is_resource_metadata_invalid() {
    assert_broken(
        "TRAILING_SLASH",
        "resource-metadata-invalid",
        "resource_metadata",
        &["trailing slash", "resource"],
    );
}

#[test]
fn resource_naming_another_host_is_resource_metadata_invalid() {
    assert_broken(
        "OTHER_HOST",
        "resource-metadata-invalid",
        "resource_metadata",
        &["resource", "localhost", "127.0.0.1"],
    );
}

#[test]
fn resource_metadata_url_that_404s_is_resource_metadata_invalid() {
    let run = assert_broken(
        "METADATA_404",
        "resource-metadata-invalid",
        "resource_metadata",
        &["404"],
    );
    let steps = discovery(&run);
    assert_eq!(
        step(&steps, "resource_metadata", &run)["status"],
        404,
        "{}",
        run.describe()
    );
}

#[test]
fn authorization_server_with_another_issuer_is_as_metadata_invalid() {
    assert_broken(
        "ISSUER_MISMATCH",
        "authorization-server-metadata-invalid",
        "authorization_server_metadata",
        &["issuer", "https://auth.example.test/"],
    );
}

#[test]
fn authorization_server_without_pkce_methods_is_as_metadata_invalid() {
    assert_broken(
        "NO_S256",
        "authorization-server-metadata-invalid",
        "authorization_server_metadata",
        &["S256", "code_challenge_methods_supported"],
    );
}

#[test]
fn authorization_server_with_only_plain_pkce_is_as_metadata_invalid() {
    assert_broken(
        "PLAIN_ONLY",
        "authorization-server-metadata-invalid",
        "authorization_server_metadata",
        &["S256", "plain"],
    );
}

#[test]
fn authorization_server_without_registration_is_as_metadata_invalid() {
    assert_broken(
        "NO_REGISTRATION",
        "authorization-server-metadata-invalid",
        "authorization_server_metadata",
        &["registration_endpoint"],
    );
}

#[test]
fn resource_metadata_without_authorization_servers_is_resource_metadata_invalid() {
    assert_broken(
        "NO_AUTH_SERVERS",
        "resource-metadata-invalid",
        "resource_metadata",
        &["authorization_servers"],
    );
}

#[test]
fn resource_metadata_that_is_not_json_is_resource_metadata_invalid() {
    let run = assert_broken(
        "NOT_JSON",
        "resource-metadata-invalid",
        "resource_metadata",
        &["JSON"],
    );
    let steps = discovery(&run);
    assert_eq!(
        step(&steps, "resource_metadata", &run)["status"],
        200,
        "{}",
        run.describe()
    );
}
