//! curl's semantics applied to [`CurlOptions`]: the [`RequestSpec`] curl would actually send.
//!
//! OWNED BY THE CURL-PARSER WORK ITEM.

use super::{CurlOptions, InputError};
use crate::model::RequestSpec;

impl CurlOptions {
    /// Build the request curl would send: method defaults (GET, POST with data, HEAD with `-I`,
    /// `-G` moves data to the query), `-u` → `Authorization: Basic`, `--oauth2-bearer` →
    /// `Authorization: Bearer`, `-A`/`-e`/`-b` headers, `-d @file` reading, timeouts and TLS
    /// options into [`crate::model::TransportOptions`]. User-given headers win over generated
    /// ones, as in curl.
    pub fn into_request(self) -> Result<RequestSpec, InputError> {
        Err(InputError::Other("not built yet".into()))
    }
}
