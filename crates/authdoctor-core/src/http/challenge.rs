//! `WWW-Authenticate` / `Proxy-Authenticate` parsing (RFC 9110 §11.6.1, §11.3), with the
//! parameters the diagnosis reads (RFC 6750 Bearer errors, RFC 9728 `resource_metadata`, RFC 7616
//! Digest `stale`) and a [`Display`](fmt::Display) that renders a challenge back to a header value.
//! There is one parser, which records every deviation from the grammar it meets and recovers from
//! it; [`parse_challenges`] keeps only the challenges (what a tolerant client would act on),
//! [`parse_challenges_strict`] returns the earliest deviation instead (so a report can say "the
//! server's challenge is malformed, here"), and [`parse_challenges_with_errors`] returns both.
//! Sharing the parser guarantees that a value the strict parser accepts means exactly what the
//! lenient parser returns for it. Nothing here panics, whatever the input.
//!
//! Recovery policy (lenient mode), each choice checked against the greenbytes `httpauth` cases:
//! - empty list elements (`,,`, a leading `,`) are skipped; RFC 9110 §5.6.1.2 asks recipients to
//!   accept them, so they are not errors in strict mode either;
//! - an auth-param after `Scheme,` (comma but no space) joins that scheme, as Perl's
//!   Parse-WWWAuthenticate does; strict mode reports [`ChallengeError::DetachedParam`];
//! - a param value that is neither a token nor a quoted-string (`realm=\f\o\o`) is kept raw up to
//!   the next whitespace or comma, so the report can show what the server sent;
//! - an unterminated quoted-string runs to the end of the field value (Firefox does the same);
//! - a repeated parameter is kept in order, and [`Challenge::param`] returns the first one;
//! - CR/LF outside a quoted-string (obsolete line folding) count as whitespace;
//! - anything else that cannot be read is skipped up to the next top-level comma.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// One challenge: a scheme plus either a token68 or auth-params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Challenge {
    /// As sent (case preserved); compare with `eq_ignore_ascii_case`.
    pub scheme: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token68: Option<String>,
    /// auth-params in order; names as sent, values unquoted and unescaped.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    /// A parameter by case-insensitive name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The protection space (RFC 9110 §11.5).
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// RFC 6750 §3 `error` code, e.g. `invalid_token` or `insufficient_scope`.
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// RFC 6750 §3 `error_description`, meant for the developer reading our report.
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }

    /// RFC 6750 §3 `error_uri`.
    pub fn error_uri(&self) -> Option<&str> {
        self.param("error_uri")
    }

    /// RFC 6750 §3 `scope`: a space-delimited list. Empty when the parameter is absent.
    pub fn scope(&self) -> Vec<&str> {
        self.param("scope")
            .map(|s| s.split(' ').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default()
    }

    /// RFC 9728 §5.1 `resource_metadata`: where the protected resource publishes its metadata.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.param("resource_metadata")
    }

    /// Digest `stale` (RFC 7616 §3.3): the nonce expired but the credentials were right.
    /// Servers differ in case (httpbin sends `False`, Apache `true`), hence the case-insensitive
    /// comparison; anything other than `true` means not stale.
    pub fn stale(&self) -> bool {
        self.param("stale")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// Parameters that RFC 7616 defines as bare tokens. Rendering them quoted would be legal for a
/// generic recipient, but old Digest clients compare `algorithm=MD5` literally, so we keep the
/// form servers actually send.
const BARE_PARAMS: &[&str] = &["algorithm", "stale", "userhash"];

impl fmt::Display for Challenge {
    /// Renders the challenge as it would appear in a header value. Values are quoted (with `"`
    /// and `\` escaped) unless a bare token is the conventional form, and `realm` is always quoted
    /// because RFC 9110 §11.5 requires it. A challenge holding both a token68 and params (which
    /// the parser never produces) renders both, but would not parse back the same.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.scheme)?;
        if let Some(t) = &self.token68 {
            write!(f, " {t}")?;
        }
        for (i, (name, value)) in self.params.iter().enumerate() {
            let sep = if i == 0 && self.token68.is_none() {
                " "
            } else {
                ", "
            };
            write!(f, "{sep}{name}=")?;
            let bare = is_token(value) && BARE_PARAMS.iter().any(|b| b.eq_ignore_ascii_case(name));
            if bare {
                f.write_str(value)?;
            } else {
                f.write_str("\"")?;
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")?;
            }
        }
        Ok(())
    }
}

/// Renders several challenges as one header value (comma-separated list).
pub fn render_challenges(challenges: &[Challenge]) -> String {
    challenges
        .iter()
        .map(Challenge::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a syntax problem sits: which field value (0-based index into the slice given to the
/// parser) and the byte offset inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub value: usize,
    pub offset: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field value {}, byte {}", self.value, self.offset)
    }
}

/// A deviation from the RFC 9110 challenge grammar (or from a rule RFC 9110 places on every
/// challenge, such as unique parameter names). Scheme-specific rules, e.g. Basic requiring a
/// realm, are the diagnosis' business, not the parser's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChallengeError {
    /// RFC 9110 §11.6.1: a 401 (and §11.7.1 a 407) must carry at least one challenge.
    #[error("{at}: the field value holds no challenge")]
    Empty { at: Position },
    #[error("{at}: unexpected {found:?}")]
    UnexpectedChar { at: Position, found: char },
    #[error("{at}: missing comma between list elements")]
    MissingComma { at: Position },
    #[error("{at}: line break in the field value (obsolete line folding)")]
    LineFolding { at: Position },
    #[error("{at}: auth-param {name:?} has no auth-scheme before it")]
    ParamWithoutScheme { at: Position, name: String },
    #[error("{at}: auth-param {name:?} is separated from its auth-scheme by a comma, not a space")]
    DetachedParam { at: Position, name: String },
    #[error("{at}: auth-param {name:?} follows a token68; a challenge has one or the other")]
    ParamAfterToken68 { at: Position, name: String },
    #[error("{at}: the value of {name:?} is neither a token nor a quoted-string")]
    InvalidParamValue { at: Position, name: String },
    #[error("{at}: quoted-string is never closed")]
    UnterminatedQuotedString { at: Position },
    #[error("{at}: parameter {name:?} occurs more than once in one challenge")]
    DuplicateParam { at: Position, name: String },
    #[error("{at}: realm must be sent as a quoted-string (RFC 9110 §11.5)")]
    UnquotedRealm { at: Position },
}

impl ChallengeError {
    /// A stable snake_case name for the kind of error, for JSON reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty { .. } => "empty",
            Self::UnexpectedChar { .. } => "unexpected_char",
            Self::MissingComma { .. } => "missing_comma",
            Self::LineFolding { .. } => "line_folding",
            Self::ParamWithoutScheme { .. } => "param_without_scheme",
            Self::DetachedParam { .. } => "detached_param",
            Self::ParamAfterToken68 { .. } => "param_after_token68",
            Self::InvalidParamValue { .. } => "invalid_param_value",
            Self::UnterminatedQuotedString { .. } => "unterminated_quoted_string",
            Self::DuplicateParam { .. } => "duplicate_param",
            Self::UnquotedRealm { .. } => "unquoted_realm",
        }
    }

    pub fn position(&self) -> Position {
        match self {
            Self::Empty { at }
            | Self::UnexpectedChar { at, .. }
            | Self::MissingComma { at }
            | Self::LineFolding { at }
            | Self::ParamWithoutScheme { at, .. }
            | Self::DetachedParam { at, .. }
            | Self::ParamAfterToken68 { at, .. }
            | Self::InvalidParamValue { at, .. }
            | Self::UnterminatedQuotedString { at }
            | Self::DuplicateParam { at, .. }
            | Self::UnquotedRealm { at } => *at,
        }
    }
}

/// Parse every challenge in the given header field values (each value may hold several).
/// Lenient: a malformed part is skipped and the rest are still returned.
pub fn parse_challenges(values: &[&str]) -> Vec<Challenge> {
    parse_challenges_with_errors(values).0
}

/// Like [`parse_challenges`], but fails with the earliest syntax violation, so the diagnosis can
/// tell the user the server's challenge is malformed rather than silently repairing it.
pub fn parse_challenges_strict(values: &[&str]) -> Result<Vec<Challenge>, ChallengeError> {
    let (challenges, errors) = parse_challenges_with_errors(values);
    // Errors are recorded roughly in input order, but a duplicate name is only noticed after its
    // value was read, so pick the earliest position explicitly (first one wins on ties).
    match errors.into_iter().min_by_key(ChallengeError::position) {
        Some(e) => Err(e),
        None => Ok(challenges),
    }
}

/// The lenient result together with every deviation met on the way, in the order found.
pub fn parse_challenges_with_errors(values: &[&str]) -> (Vec<Challenge>, Vec<ChallengeError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (index, value) in values.iter().enumerate() {
        Parser {
            s: value,
            pos: 0,
            index,
            out: &mut out,
            errors: &mut errors,
            fold_reported: false,
            names: HashSet::new(),
        }
        .parse_value();
    }
    (out, errors)
}

/// `tchar` from RFC 9110 §5.6.2.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_tchar)
}

/// The characters of `token68` before its `=` padding (RFC 9110 §11.2).
fn is_token68_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/".contains(c)
}

/// Whitespace between elements. CR and LF are accepted so that obsolete line folding reads as
/// the single space RFC 9112 §5.2 says it stands for; they are reported separately.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Where the challenge currently being filled stands.
#[derive(Clone, Copy)]
enum Current {
    /// No challenge yet in this field value: a param here belongs to nobody.
    None,
    /// Params go to `out[idx]`; `spaced` is whether the scheme was followed by whitespace, which
    /// the grammar needs before the first param.
    Params { idx: usize, spaced: bool },
    /// The challenge carries a token68 and so cannot take params.
    Token68,
    /// The scheme itself was malformed; its params are dropped with it.
    Discard,
}

struct Parser<'a, 'o> {
    s: &'a str,
    pos: usize,
    index: usize,
    out: &'o mut Vec<Challenge>,
    errors: &'o mut Vec<ChallengeError>,
    /// Line folding is reported once per field value: one line break is the finding.
    fold_reported: bool,
    /// Lowercased param names of the challenge being filled; a set keeps the duplicate check
    /// linear on hostile values with thousands of params.
    names: HashSet<String>,
}

impl<'a> Parser<'a, '_> {
    fn at(&self, offset: usize) -> Position {
        Position {
            value: self.index,
            offset,
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Skips whitespace; returns whether there was any.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek().filter(|&c| is_ws(c)) {
            if (c == '\r' || c == '\n') && !self.fold_reported {
                self.fold_reported = true;
                self.errors.push(ChallengeError::LineFolding {
                    at: self.at(self.pos),
                });
            }
            self.pos += 1;
        }
        self.pos > start
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        // Both ends sit on char boundaries because `bump` advances by whole chars.
        self.s.get(start..self.pos).unwrap_or("")
    }

    fn token(&mut self) -> &'a str {
        self.take_while(is_tchar)
    }

    /// Skips to the next comma outside a quoted-string (or the end), for recovery.
    fn skip_element(&mut self) {
        let mut quoted = false;
        while let Some(c) = self.peek() {
            match c {
                ',' if !quoted => return,
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    self.bump();
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn parse_value(&mut self) {
        if self.s.trim_matches(|c| is_ws(c) || c == ',').is_empty() {
            self.errors.push(ChallengeError::Empty { at: self.at(0) });
            return;
        }
        let mut current = Current::None;
        // Whether the previous element needs a comma before the next one.
        let mut need_sep = false;
        loop {
            let had_ws = self.skip_ws();
            let Some(c) = self.peek() else { break };
            if need_sep && c != ',' {
                if had_ws && is_tchar(c) {
                    // `a="1" b="2"`: most likely a forgotten comma; read on as if it were there.
                    self.errors.push(ChallengeError::MissingComma {
                        at: self.at(self.pos),
                    });
                } else {
                    self.errors.push(ChallengeError::UnexpectedChar {
                        at: self.at(self.pos),
                        found: c,
                    });
                    self.skip_element();
                    continue;
                }
            }
            while self.peek() == Some(',') {
                self.bump();
                self.skip_ws();
            }
            let start = self.pos;
            let Some(c) = self.peek() else { break };
            let name = self.token();
            if name.is_empty() {
                self.errors.push(ChallengeError::UnexpectedChar {
                    at: self.at(start),
                    found: c,
                });
                self.skip_element();
                need_sep = true;
                continue;
            }
            let after_name = self.pos;
            self.skip_ws();
            if self.peek() == Some('=') {
                self.bump();
                self.param(name, start, current);
                need_sep = true;
            } else {
                self.pos = after_name;
                (current, need_sep) = self.challenge_head(name);
            }
        }
    }

    /// Reads a param value (after `=`) and files the param under `current`.
    fn param(&mut self, name: &str, start: usize, current: Current) {
        self.skip_ws();
        let value_start = self.pos;
        let value = if self.peek() == Some('"') {
            Some(self.quoted_string())
        } else {
            let raw = self.take_while(|c| !is_ws(c) && c != ',');
            if !is_token(raw) {
                self.errors.push(ChallengeError::InvalidParamValue {
                    at: self.at(value_start),
                    name: name.to_owned(),
                });
            } else if name.eq_ignore_ascii_case("realm") {
                self.errors.push(ChallengeError::UnquotedRealm {
                    at: self.at(value_start),
                });
            }
            // An empty value is no value: drop the param rather than invent `""`.
            (!raw.is_empty()).then(|| raw.to_owned())
        };
        let idx = match current {
            Current::Params { idx, spaced } => {
                let Some(ch) = self.out.get(idx) else { return };
                if !spaced && ch.params.is_empty() {
                    self.errors.push(ChallengeError::DetachedParam {
                        at: self.at(start),
                        name: name.to_owned(),
                    });
                }
                if !self.names.insert(name.to_ascii_lowercase()) {
                    self.errors.push(ChallengeError::DuplicateParam {
                        at: self.at(start),
                        name: name.to_owned(),
                    });
                }
                idx
            }
            Current::None => {
                self.errors.push(ChallengeError::ParamWithoutScheme {
                    at: self.at(start),
                    name: name.to_owned(),
                });
                return;
            }
            Current::Token68 => {
                self.errors.push(ChallengeError::ParamAfterToken68 {
                    at: self.at(start),
                    name: name.to_owned(),
                });
                return;
            }
            Current::Discard => return,
        };
        if let (Some(value), Some(ch)) = (value, self.out.get_mut(idx)) {
            ch.params.push((name.to_owned(), value));
        }
    }

    /// Reads a quoted-string starting at `"`, unescaping quoted-pairs.
    fn quoted_string(&mut self) -> String {
        let open = self.pos;
        self.bump();
        let mut v = String::new();
        loop {
            let here = self.pos;
            let Some(c) = self.bump() else {
                self.errors
                    .push(ChallengeError::UnterminatedQuotedString { at: self.at(open) });
                return v;
            };
            let c = match c {
                '"' => return v,
                '\\' => match self.bump() {
                    Some(e) => e,
                    None => {
                        self.errors
                            .push(ChallengeError::UnterminatedQuotedString { at: self.at(open) });
                        return v;
                    }
                },
                c => c,
            };
            // qdtext and quoted-pair both exclude controls other than HTAB; keep the character
            // (it is what the server sent) but report it.
            if c.is_ascii_control() && c != '\t' {
                let at = self.at(here);
                self.errors.push(if c == '\r' || c == '\n' {
                    ChallengeError::LineFolding { at }
                } else {
                    ChallengeError::UnexpectedChar { at, found: c }
                });
            }
            v.push(c);
        }
    }

    /// Reads what follows a scheme (a token68, or the start of the params) and pushes the
    /// challenge. Returns the new `Current` and whether a comma must come next.
    fn challenge_head(&mut self, scheme: &str) -> (Current, bool) {
        let next = self.peek();
        match next {
            None | Some(',') => {
                self.push(scheme, None);
                return (self.params_current(false), false);
            }
            Some(c) if !is_ws(c) => {
                // `Bäsic`, `Basic"x"`, `Basic/abc`: the scheme is not a clean token, so nothing in
                // this element can be trusted.
                self.errors.push(ChallengeError::UnexpectedChar {
                    at: self.at(self.pos),
                    found: c,
                });
                self.skip_element();
                return (Current::Discard, true);
            }
            Some(_) => {}
        }
        let after_scheme = self.pos;
        self.skip_ws();
        // token68 wins when its characters and padding run up to a comma or the end; otherwise
        // `realm=foo` would be misread as the token68 `realm=` followed by junk.
        let t_start = self.pos;
        let body = self.take_while(is_token68_char);
        if !body.is_empty() {
            self.take_while(|c| c == '=');
            let t_end = self.pos;
            self.skip_ws();
            if matches!(self.peek(), None | Some(',')) {
                let t = self.s.get(t_start..t_end).unwrap_or("").to_owned();
                self.push(scheme, Some(t));
                return (Current::Token68, true);
            }
        }
        self.pos = t_start;
        let name = self.token();
        self.skip_ws();
        let is_param = !name.is_empty() && self.peek() == Some('=');
        self.pos = if is_param { t_start } else { after_scheme };
        self.push(scheme, None);
        // After `Scheme ` a param may follow without a comma; anything else must be a new element.
        (self.params_current(true), !is_param)
    }

    fn push(&mut self, scheme: &str, token68: Option<String>) {
        self.names.clear();
        self.out.push(Challenge {
            scheme: scheme.to_owned(),
            token68,
            params: Vec::new(),
        });
    }

    fn params_current(&self, spaced: bool) -> Current {
        Current::Params {
            idx: self.out.len().saturating_sub(1),
            spaced,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected<'a> = &'a [(&'a str, Option<&'a str>, &'a [(&'a str, &'a str)])];

    fn check(values: &[&str], expected: Expected<'_>) {
        let got = parse_challenges(values);
        let want: Vec<Challenge> = expected
            .iter()
            .map(|(scheme, t, params)| Challenge {
                scheme: (*scheme).to_owned(),
                token68: t.map(str::to_owned),
                params: params
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            })
            .collect();
        assert_eq!(got, want, "parsing {values:?}");
        // Every table row must also survive rendering and re-parsing.
        let rendered = render_challenges(&got);
        assert_eq!(
            parse_challenges(&[&rendered]),
            got,
            "round trip of {rendered:?}"
        );
    }

    #[test]
    fn well_formed_values() {
        let cases: &[(&[&str], Expected<'_>)] = &[
            // RFC 7235 §4.1 / RFC 9110 §11.6.1 example.
            (
                &[
                    r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
                ],
                &[
                    (
                        "Newauth",
                        None,
                        &[
                            ("realm", "apps"),
                            ("type", "1"),
                            ("title", "Login to \"apps\""),
                        ],
                    ),
                    ("Basic", None, &[("realm", "simple")]),
                ],
            ),
            // RFC 6750 §3.
            (
                &[r#"Bearer realm="example""#],
                &[("Bearer", None, &[("realm", "example")])],
            ),
            (
                &[
                    r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
                ],
                &[(
                    "Bearer",
                    None,
                    &[
                        ("realm", "example"),
                        ("error", "invalid_token"),
                        ("error_description", "The access token expired"),
                    ],
                )],
            ),
            // RFC 9728 §5.1.
            (
                &[
                    r#"Bearer resource_metadata="https://resource.example.com/.well-known/oauth-protected-resource""#,
                ],
                &[(
                    "Bearer",
                    None,
                    &[(
                        "resource_metadata",
                        "https://resource.example.com/.well-known/oauth-protected-resource",
                    )],
                )],
            ),
            // RFC 7616 §3.9.1, many params, mixed quoted and bare.
            (
                &[concat!(
                    r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, "#,
                    r#"nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "#,
                    r#"opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
                )],
                &[(
                    "Digest",
                    None,
                    &[
                        ("realm", "http-auth@example.org"),
                        ("qop", "auth, auth-int"),
                        ("algorithm", "SHA-256"),
                        ("nonce", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
                        ("opaque", "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"),
                    ],
                )],
            ),
            // token68.
            (&["Negotiate abc=="], &[("Negotiate", Some("abc=="), &[])]),
            (
                &[
                    "NTLM TlRMTVNTUAACAAAACAAIADAAAACGgAEAq6U1NAWaJCIAAAAAAAAAAAAAAAA4AAAATlRMTUF1dGg=",
                ],
                &[(
                    "NTLM",
                    Some(
                        "TlRMTVNTUAACAAAACAAIADAAAACGgAEAq6U1NAWaJCIAAAAAAAAAAAAAAAA4AAAATlRMTUF1dGg=",
                    ),
                    &[],
                )],
            ),
            (
                &["Negotiate a+b/c=, Basic realm=\"x\""],
                &[
                    ("Negotiate", Some("a+b/c="), &[]),
                    ("Basic", None, &[("realm", "x")]),
                ],
            ),
            // A bare scheme after a challenge is a new challenge.
            (
                &[r#"Basic realm="a", Bearer"#],
                &[("Basic", None, &[("realm", "a")]), ("Bearer", None, &[])],
            ),
            (
                &["Basic, Wild-and-crazy, NTLM"],
                &[
                    ("Basic", None, &[]),
                    ("Wild-and-crazy", None, &[]),
                    ("NTLM", None, &[]),
                ],
            ),
            // Commas inside quotes, BWS around `=`, empty elements, case kept.
            (
                &[r#"Basic realm="a, b""#],
                &[("Basic", None, &[("realm", "a, b")])],
            ),
            (
                &["BASIC  REALM = \"x\" ,,, Charset=\"UTF-8\"\t"],
                &[("BASIC", None, &[("REALM", "x"), ("Charset", "UTF-8")])],
            ),
            // Several field lines.
            (
                &["Basic realm=\"a\"", "Bearer"],
                &[("Basic", None, &[("realm", "a")]), ("Bearer", None, &[])],
            ),
            // Real servers (/work/shared/peers/raw-401s.txt).
            (
                &[
                    r#"Bearer realm="http://127.0.0.1:4000""#,
                    r#"DPoP realm="http://127.0.0.1:4000", algs="ES256 Ed25519 EdDSA""#,
                ],
                &[
                    ("Bearer", None, &[("realm", "http://127.0.0.1:4000")]),
                    (
                        "DPoP",
                        None,
                        &[
                            ("realm", "http://127.0.0.1:4000"),
                            ("algs", "ES256 Ed25519 EdDSA"),
                        ],
                    ),
                ],
            ),
            (
                &[
                    r#"Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:4700/.well-known/oauth-protected-resource/mcp""#,
                ],
                &[(
                    "Bearer",
                    None,
                    &[
                        ("error", "invalid_token"),
                        ("error_description", "Missing Authorization header"),
                        (
                            "resource_metadata",
                            "http://localhost:4700/.well-known/oauth-protected-resource/mcp",
                        ),
                    ],
                )],
            ),
            (
                &[
                    r#"Digest realm="me@kennethreitz.com", nonce="444d", opaque="5435", qop="auth", algorithm=SHA-256, stale=False"#,
                ],
                &[(
                    "Digest",
                    None,
                    &[
                        ("realm", "me@kennethreitz.com"),
                        ("nonce", "444d"),
                        ("opaque", "5435"),
                        ("qop", "auth"),
                        ("algorithm", "SHA-256"),
                        ("stale", "False"),
                    ],
                )],
            ),
            (
                &[r#"Mutual realm="nginx-mtls""#],
                &[("Mutual", None, &[("realm", "nginx-mtls")])],
            ),
            (
                &[
                    r#"Basic realm="http://127.0.0.1:4000", error="invalid_client", error_description="client authentication failed""#,
                ],
                &[(
                    "Basic",
                    None,
                    &[
                        ("realm", "http://127.0.0.1:4000"),
                        ("error", "invalid_client"),
                        ("error_description", "client authentication failed"),
                    ],
                )],
            ),
            (&["Bearer"], &[("Bearer", None, &[])]),
        ];
        assert_eq!(parse_challenges_strict(&[]), Ok(Vec::new()));
        for (values, expected) in cases {
            check(values, expected);
            assert!(
                parse_challenges_strict(values).is_ok(),
                "{values:?} is well formed: {:?}",
                parse_challenges_strict(values)
            );
        }
    }

    #[test]
    fn malformed_values_recover_and_strict_reports() {
        // (values, lenient result, strict error code, byte offset of the error)
        let cases: &[(&[&str], Expected<'_>, &str, usize)] = &[
            (
                &["Basic, realm=\"foo\""],
                &[("Basic", None, &[("realm", "foo")])],
                "detached_param",
                7,
            ),
            (
                &["Basic realm=foo"],
                &[("Basic", None, &[("realm", "foo")])],
                "unquoted_realm",
                12,
            ),
            (
                &[r"Basic realm=\f\o\o"],
                &[("Basic", None, &[("realm", r"\f\o\o")])],
                "invalid_param_value",
                12,
            ),
            (
                &["Basic realm=\"basic"],
                &[("Basic", None, &[("realm", "basic")])],
                "unterminated_quoted_string",
                12,
            ),
            (
                &["Basic realm=\"foo\", realm=\"bar\""],
                &[("Basic", None, &[("realm", "foo"), ("realm", "bar")])],
                "duplicate_param",
                19,
            ),
            (
                &["Basic\r\n realm=\"foo\""],
                &[("Basic", None, &[("realm", "foo")])],
                "line_folding",
                5,
            ),
            (
                &["Digest realm=\"a\" nonce=\"b\""],
                &[("Digest", None, &[("realm", "a"), ("nonce", "b")])],
                "missing_comma",
                17,
            ),
            (
                &["realm=\"x\", Basic"],
                &[("Basic", None, &[])],
                "param_without_scheme",
                0,
            ),
            (
                &["NTLM abc==, realm=\"x\""],
                &[("NTLM", Some("abc=="), &[])],
                "param_after_token68",
                12,
            ),
            (
                &["Bäsic realm=\"x\", Bearer"],
                &[("Bearer", None, &[])],
                "unexpected_char",
                1,
            ),
            (
                &["\"x\", Basic a=b"],
                &[("Basic", None, &[("a", "b")])],
                "unexpected_char",
                0,
            ),
            (
                &["Basic x=\"1\", a=, b=c"],
                &[("Basic", None, &[("x", "1"), ("b", "c")])],
                "invalid_param_value",
                15,
            ),
            (
                &["Basic a=, b=c"],
                &[("Basic", Some("a="), &[])],
                "param_after_token68",
                10,
            ),
            (
                &["Basic a=\"x\"junk, b=c"],
                &[("Basic", None, &[("a", "x"), ("b", "c")])],
                "unexpected_char",
                11,
            ),
            (&[" , "], &[], "empty", 0),
            (
                &["Basic realm=\"a\"", ""],
                &[("Basic", None, &[("realm", "a")])],
                "empty",
                0,
            ),
        ];
        for (values, expected, kind, offset) in cases {
            check(values, expected);
            let err = parse_challenges_strict(values).expect_err("malformed");
            assert!(err.code() == *kind, "{values:?}: got {err:?}, want {kind}");
            assert_eq!(err.position().offset, *offset, "{values:?}: {err}");
        }
    }

    #[test]
    fn convenience_accessors() {
        let c = &parse_challenges(&[concat!(
            r#"Bearer realm="example", error="insufficient_scope", error_description="Need more", "#,
            r#"error_uri="https://e.example/doc", scope="read  write", "#,
            r#"resource_metadata="https://rs.example/.well-known/oauth-protected-resource""#
        )])[0];
        assert_eq!(c.realm(), Some("example"));
        assert_eq!(c.error(), Some("insufficient_scope"));
        assert_eq!(c.error_description(), Some("Need more"));
        assert_eq!(c.error_uri(), Some("https://e.example/doc"));
        assert_eq!(c.scope(), vec!["read", "write"]);
        assert_eq!(
            c.resource_metadata(),
            Some("https://rs.example/.well-known/oauth-protected-resource")
        );
        assert!(!c.stale());
        assert!(parse_challenges(&["Bearer"])[0].scope().is_empty());

        for (value, stale) in [
            ("Digest stale=true", true),
            ("Digest stale=TRUE", true),
            ("Digest stale=\"true\"", true),
            ("Digest stale=False", false),
            ("Digest stale=1", false),
            ("Digest realm=\"x\"", false),
        ] {
            assert_eq!(parse_challenges(&[value])[0].stale(), stale, "{value}");
        }
    }

    #[test]
    fn large_values_stay_linear() {
        // Thousands of params (duplicated or not) must not make the duplicate check quadratic.
        let many: String = (0..20_000).map(|i| format!("p{i}=v, ")).collect();
        let value = format!("Basic {many}p7=again");
        let (challenges, errors) = parse_challenges_with_errors(&[&value]);
        assert_eq!(challenges[0].params.len(), 20_001);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code(), "duplicate_param");
    }

    #[test]
    fn display_quotes_as_needed() {
        let cases = [
            (
                r#"Basic realm="a \"b\" \\ c""#,
                r#"Basic realm="a \"b\" \\ c""#,
            ),
            (
                "Digest algorithm=MD5, stale=true, qop=auth",
                r#"Digest algorithm=MD5, stale=true, qop="auth""#,
            ),
            (r#"Digest algorithm="SHA-256""#, "Digest algorithm=SHA-256"),
            ("Negotiate  abc==  , A", "Negotiate abc==, A"),
            ("Basic realm=x", r#"Basic realm="x""#),
        ];
        for (input, rendered) in cases {
            assert_eq!(render_challenges(&parse_challenges(&[input])), rendered);
        }
    }
}
