//! Causes in cookie-based sessions, mostly seen in browser HAR recordings.

pub mod session_expired;
