//! guarded_api: a small axum API behind authdoctor-guard, bound to 127.0.0.1 — the dogfood app
//! that authdoctor's own diagnoses are tested against, and the `wrk` target of scripts/bench-guard.
//!
//! Environment:
//! - `GUARD_ISSUER` (required unless `GUARD_OFF=1`): the issuer; keys come from its discovery.
//! - `GUARD_AUDIENCE` (default `https://api.authdoctor.test/`): the accepted `aud`.
//! - `GUARD_ADDR` (default `127.0.0.1:14080`): where to listen; must be a loopback address.
//! - `GUARD_OFF=1`: no guard at all (the baseline of the wrk comparison).
//!
//! Routes: `GET /v1/orders` needs scope `read`, `POST /v1/orders` needs `write`, `GET /health`
//! is open, and `GET /.well-known/oauth-protected-resource` serves RFC 9728 metadata.

use std::net::SocketAddr;

use authdoctor_guard::axum::metadata_route;
use authdoctor_guard::{GuardError, GuardLayer, METADATA_PATH, Validated, Validator};
use axum::Router;
use axum::routing::{get, post};

/// The default resource identifier (and audience) of the example API.
pub const AUDIENCE: &str = "https://api.authdoctor.test/";

/// The validator for `issuer` (discovery) and `audience`, with RFC 9728 metadata at `base_url`.
pub fn validator(issuer: &str, audience: &str, base_url: &str) -> Result<Validator, GuardError> {
    Validator::builder()
        .realm("guarded-api")
        .discover(issuer)
        .audience(audience)
        .scopes_supported(["read", "write"])
        .resource(audience, format!("{base_url}{METADATA_PATH}"))
        .build()
}

async fn list_orders(token: Validated) -> String {
    // The handler sees the verified claims, never the raw token.
    format!(
        "orders for {}\n",
        token.claims.sub.as_deref().unwrap_or("?")
    )
}

async fn create_order(token: Validated) -> String {
    format!(
        "order created by {}\n",
        token.claims.client_id.as_deref().unwrap_or("?")
    )
}

/// The app: guarded routes (scopes per route), an open health check, and the metadata route.
/// `None` builds the same routes without a guard (baseline for benchmarks only).
pub fn app(validator: Option<&Validator>) -> Router {
    let Some(v) = validator else {
        return Router::new()
            .route(
                "/v1/orders",
                get(|| async { "orders\n" }).post(|| async { "order created\n" }),
            )
            .route("/health", get(|| async { "ok\n" }));
    };
    let read = GuardLayer::new(v.clone()).require_scopes(["read"]);
    let write = GuardLayer::new(v.clone()).require_scopes(["write"]);
    Router::new()
        .route(
            "/v1/orders",
            get(list_orders)
                .route_layer(read)
                .merge(post(create_order).route_layer(write)),
        )
        .route("/health", get(|| async { "ok\n" }))
        .route(METADATA_PATH, metadata_route(v))
}

#[allow(dead_code)] // unused when the dogfood test includes this file for `app`
#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let addr: SocketAddr = std::env::var("GUARD_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:14080".into())
        .parse()?;
    if !addr.ip().is_loopback() {
        return Err(format!("GUARD_ADDR {addr} is not a loopback address").into());
    }
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let guard_off = std::env::var("GUARD_OFF").is_ok_and(|v| v == "1");
    let validator = if guard_off {
        None
    } else {
        let issuer =
            std::env::var("GUARD_ISSUER").map_err(|_| "set GUARD_ISSUER (or GUARD_OFF=1)")?;
        let audience = std::env::var("GUARD_AUDIENCE").unwrap_or_else(|_| AUDIENCE.into());
        let v = validator(&issuer, &audience, &base)?;
        let n = v.prefetch().await?;
        eprintln!("guard on: issuer {issuer}, audience {audience}, {n} keys");
        Some(v)
    };
    eprintln!("guarded_api listening on {base}");
    axum::serve(listener, app(validator.as_ref())).await?;
    Ok(())
}
