//! The guard's response future: the inner service's future on the fast path (keys cached), a
//! ready rejection, or a boxed future when an unknown `kid` makes the guard fetch keys first.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::dpop::DPOP_NONCE;

/// The boxed slow path (JWKS refresh, then the inner service).
pub(crate) type BoxedResponse<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project! {
    /// Response future of [`crate::Guard`].
    #[project = Proj]
    #[allow(missing_docs)] // pin-project-lite cannot carry docs on enum fields
    pub enum ResponseFuture<F, B, E> {
        /// Validated from the cache: the inner service runs, unboxed. `nonce` is a fresh
        /// `DPoP-Nonce` for the response when the guard issues server nonces (RFC 9449 §8.2).
        Inner {
            #[pin]
            fut: F,
            nonce: Option<HeaderValue>,
        },
        /// Rejected: the 401/403/503 response.
        Ready {
            resp: Option<Response<B>>,
        },
        /// Keys had to be fetched first.
        Slow {
            fut: BoxedResponse<B, E>,
        },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Proj::Inner { fut, nonce } => match fut.poll(cx) {
                Poll::Ready(Ok(mut resp)) => {
                    if let Some(n) = nonce.take() {
                        resp.headers_mut().insert(DPOP_NONCE.clone(), n);
                    }
                    Poll::Ready(Ok(resp))
                }
                other => other,
            },
            Proj::Ready { resp } => Poll::Ready(Ok(resp
                .take()
                .expect("ResponseFuture polled after completion"))),
            Proj::Slow { fut } => fut.as_mut().poll(cx),
        }
    }
}
