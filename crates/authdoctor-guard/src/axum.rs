//! axum glue (feature `axum`): the validated token as an extractor, and a route serving RFC 9728
//! protected-resource metadata.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::response::ProtectedResourceMetadata;
use crate::validator::{Validated, Validator};

/// Extracting [`Validated`] in a handler behind a [`crate::GuardLayer`]. Without the layer the
/// handler answers 500: that is a server wiring bug, and the client must not be told its
/// credential is wrong.
impl<S: Send + Sync> FromRequestParts<S> for Validated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Validated>().cloned().ok_or_else(|| {
            tracing::error!("Validated extracted on a route without GuardLayer");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "authentication is not configured for this route",
            )
                .into_response()
        })
    }
}

/// A `GET` route for [`crate::METADATA_PATH`] serving the validator's RFC 9728 metadata, or
/// 404 when no resource was configured.
pub fn metadata_route<S: Clone + Send + Sync + 'static>(
    validator: &Validator,
) -> axum::routing::MethodRouter<S> {
    let meta = ProtectedResourceMetadata::from_config(validator.config());
    axum::routing::get(move || {
        let meta = meta.clone();
        async move {
            match meta {
                Some(m) => m.to_response().into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
    })
}
