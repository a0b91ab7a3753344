//! Causes specific to AWS Signature Version 4: the signature, the request time and the session
//! token. They read the request's SigV4 claims and AWS's error `<Code>` themselves (through
//! [`crate::sigv4`]), so they work whether or not vendor knowledge matched the response.

pub mod sigv4_expired_token;
pub mod sigv4_request_time_skewed;
pub mod sigv4_signature_mismatch;
