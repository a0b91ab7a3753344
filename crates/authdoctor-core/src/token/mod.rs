//! What can be learned from the credential itself, without asking anyone: its JWT structure and
//! claims ([`jwt`]), and formatting defects such as stray whitespace, look-alike characters or
//! unexpanded placeholders ([`credential`]).

pub mod credential;
pub mod jwt;
pub mod signed_url;
