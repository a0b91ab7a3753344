//! One lexicon for every server's words: a text is normalised (camelCase and snake_case split,
//! punctuation dropped, lowercase) and matched against word patterns per class. Patterns are
//! general phrases of the trade ("expired", "not yet valid", "audience", "rate limit"), never
//! one server's whole message. A pattern is a sequence of words; a word ending in `*` matches
//! any word starting with it, and `?` matches any one word. When patterns of several classes
//! match, the most specific class wins ([`Said::PRIORITY`]), except that the phrases in
//! [`OVERRIDES`] settle the class by themselves (they say two things at once and mean one) and
//! [`VETOES`] rule a class out where its word means something else.

use super::Said;

/// Phrases that settle the class by themselves ("invalid or expired" is not "expired").
const OVERRIDES: &[(&str, Said)] = &[
    ("csrf", Said::NotAuth),
    ("xsrf", Said::NotAuth),
    ("page expired", Said::NotAuth),
    ("user agent", Said::NotAuth),
    ("missing authentication token", Said::NotAuth),
    ("not allowed with http", Said::NotAuth),
    ("too many", Said::RateLimit),
    ("invalid or expired", Said::Refused),
    ("expired or invalid", Said::Refused),
    ("invalid expired", Said::Refused),
    ("expired or revoked", Said::Refused),
    ("revoked or expired", Said::Refused),
    ("missing or malformed", Said::Unreadable),
    ("missing or invalid", Said::Refused),
    ("no expiration", Said::Refused),
    ("lifetime is invalid", Said::Refused),
    ("missing exp", Said::Unreadable),
    ("for any token type", Said::Refused),
    ("expired or is not yet valid", Said::Expired),
    ("session expired", Said::Expired),
    // OAuth's "inactive" token (RFC 7662): in practice an expired one.
    ("token is not active", Said::Expired),
    ("request time too skewed", Said::Expired),
    ("signature expired", Said::Expired),
    ("credentials have expired", Said::AccountState),
    ("credentials expired", Said::AccountState),
    ("more attempt*", Said::Refused),
    ("attempts remaining", Said::Refused),
    ("access disabled", Said::Permission),
    (
        "access to this resource has been disabled",
        Said::Permission,
    ),
    ("authentication requires", Said::Unreadable),
    ("query string authentication", Said::Unreadable),
    ("not in the form", Said::Unreadable),
    ("exceeds maximum", Said::Refused),
    ("not in future", Said::Expired),
    ("not in the future", Said::Expired),
    ("signature is required", Said::Unreadable),
    ("must be less than", Said::Unreadable),
];

/// Classes ruled out for a text by a phrase in which their word means something else
/// (`cluster scope` is not an OAuth scope; a key "not authorised" is a refused key).
const VETOES: &[(Said, &[&str])] = &[
    (
        Said::Scope,
        &["cluster scope", "namespace scope", "over scope"],
    ),
    (
        Said::NoCredential,
        &[
            "missing ? claim",
            "missing claim",
            "claim missing",
            "missing ? ? claim",
        ],
    ),
    (Said::NotYetValid, &["expiration time"]),
    (Said::AccountState, &["anonymous*"]),
    (
        Said::Permission,
        &["key not authori*", "token not authori*"],
    ),
    (Said::Signature, &["malformed", "segments"]),
    (
        Said::AccountState,
        &["token is not active", "jwt not active"],
    ),
];

/// Texts that say nothing beyond the status: a status's own words, stock error pages.
const BOILERPLATE: &[&str] = &[
    "unauthorized",
    "unauthorised",
    "forbidden",
    "unauthorized access",
    "access forbidden",
    "authorization required",
    "401",
    "403",
    "401 unauthorized",
    "403 forbidden",
    "401 authorization required",
    "407 proxy authentication required",
    "proxy authentication required",
    "not found",
    "404 not found",
    "bad request",
    "400 bad request",
    "error",
    "an error occurred",
    "unauthorized error unauthorized",
    "http 401",
    "http 403",
];

/// Stock sentences servers send with every 401 (their first words).
const BOILERPLATE_PREFIXES: &[&str] = &[
    " this server could not verify that you ",
    " the server could not verify that you ",
    " server failed to authenticate the request ",
];

/// Per class, the phrases that say it.
const RULES: &[(Said, &[&str])] = &[
    (
        Said::RateLimit,
        &[
            "rate limit*",
            "ratelimit*",
            "too many requests",
            "too many attempts",
            "throttl*",
            "quota*",
            "slow down",
            "slowdown",
            "limit exceeded",
            "limitexceeded*",
            "request limit",
            "daily limit",
            "usage limit",
            "overloaded",
            "rate exceeded",
            "secondary rate",
            "abuse*",
            "please wait",
            "try again in",
            "try again later",
            "temporarily unavailable",
        ],
    ),
    (
        Said::NotAuth,
        &[
            "captcha*",
            "no such",
            "route not found",
            "page not found",
            "host header",
            "origin mismatch",
            "invalid origin",
            "cors",
            "method ? not allowed",
            "unprocessable*",
            "using this protocol",
            "https required",
            "requires https",
            "does not exist in this",
            "method not allowed",
            "user agent",
            "host not permitted",
            "validation error",
            "invalid request body",
            "unsupported media type",
            "no route",
            "route not found",
            "unknown route",
            "website redirect",
        ],
    ),
    (
        Said::Mfa,
        &[
            "mfa*",
            "multi factor",
            "multifactor",
            "two factor",
            "2fa",
            "otp",
            "one time password",
            "step up",
            "fresh token*",
            "fresh login",
            "reauthenticat*",
            "re authenticat*",
            "password confirmation",
            "confirm your password",
            "insufficient user authentication",
            "authentication level",
            "second factor",
            "acr values",
        ],
    ),
    (
        Said::Ip,
        &[
            "ip address*",
            "ip allow*",
            "ip restriction*",
            "ip not allowed",
            "ip is not allowed",
            "your ip",
            "this ip",
            "source ip",
            "sourceip",
            "ip range",
            "allowlist*",
            "allow list",
            "whitelist*",
            "not allowed from",
            "geo*",
            "country",
            "client address",
            "ip denied",
            "ip blocked",
        ],
    ),
    (
        Said::AccountState,
        &[
            "disabled",
            "locked",
            "lockout",
            "suspended",
            "not confirmed",
            "unconfirmed",
            "not verified",
            "unverified",
            "confirm your email",
            "confirm your account",
            "email address before",
            "account is inactive",
            "user is inactive",
            "inactive account",
            "inactive user",
            "account is not active",
            "user is not active",
            "user not active",
            "deactivated",
            "banned",
            "blocked user",
            "account blocked",
            "password expired",
            "password has expired",
            "password must be changed",
            "must change",
            "change your password",
            "not activated",
            "account expired",
            "user expired",
            "pending approval",
            "not fully set up",
            "account inactive",
            "is inactive",
            "user inactive",
        ],
    ),
    (
        Said::TokenType,
        &[
            "wrong type",
            "wrong token type",
            "token type",
            "invalid type",
            "only access token*",
            "only non refresh",
            "non refresh token*",
            "refresh token* are not",
            "refresh token not allowed",
            "refresh token cannot",
            "not an access token",
            "id token is not",
            "id tokens are not",
            "id token not allowed",
            "token use",
            "typ",
            "token kind",
            "only refresh token*",
            "expected access token",
        ],
    ),
    (
        Said::Audience,
        &[
            "audience*",
            "aud",
            "aud claim",
            "resource indicator",
            "invalid resource",
            "resource principal",
            "intended for",
            "invalid target",
        ],
    ),
    (
        Said::Issuer,
        &[
            "issuer*",
            "iss",
            "iss claim",
            "untrusted issuer",
            "issued by",
        ],
    ),
    (
        Said::NotYetValid,
        &[
            "not yet valid",
            "not valid yet",
            "jwt not active",
            "token not active",
            "nbf",
            "not before",
            "before issued",
            "used before",
            "immature*",
            "in the future",
            "from the future",
            "iat",
            "future",
            "not valid before",
        ],
    ),
    (
        Said::Proof,
        &[
            "dpop*",
            // "DPoP" as the normaliser splits its capitals.
            "d po p",
            "proof of possession",
            "possession proof",
            "invalid proof",
            "proof is invalid",
            "proof jwt",
            "use dpop nonce",
            "certificate bound",
            "cnf",
            "jkt",
            "htu",
            "htm",
            "ath",
            "x5t s256",
        ],
    ),
    (
        Said::Expired,
        &[
            "expired",
            "expir*",
            "exp",
            "exp claim",
            "too old",
            "no longer valid",
            "out of date",
            "timed out",
            "lifetime",
            "stale",
            "max age",
        ],
    ),
    (
        Said::Signature,
        &[
            "signature*",
            "invalid sig",
            "sig",
            "signing*",
            "verify signature",
            "jwt verification",
            "kid",
            "key not found",
            "key was not found",
            "no matching key",
            "applicable key",
            "suitable key",
            "key type",
            "unknown key",
            "alg",
            "algorithm*",
            "cryptographic*",
        ],
    ),
    (
        Said::Scope,
        &[
            "scope*",
            "insufficient scope",
            "insufficientscope",
            "required scope*",
            "missing scope*",
            "not enough permissions",
            "missing required role",
            "required role",
            "insufficient permissions for this token",
            "abilit*",
            "not granted",
            "using this resource type",
            "using this service",
        ],
    ),
    (
        Said::Unreadable,
        &[
            "malformed",
            "badly formed",
            "bad format",
            "invalid format",
            "wrong format",
            "format is",
            "not enough segments",
            "number of segments",
            "segments",
            "padding",
            "parts",
            "multiple",
            "duplicate*",
            "unrecogni*",
            "correct format",
            "compact",
            "parse*",
            "unparseable",
            "could not decode",
            "decod*",
            "invalid character*",
            "invalid json",
            "invalid base64",
            "base64*",
            "bad authorization header",
            "invalid authorization header",
            "invalid header",
            "invalid ? header",
            "empty jwt",
            "invalid token header",
            "header is invalid",
            "invalid request",
            "bad request header",
            "bad scheme",
            "invalid scheme",
            "unsupported scheme",
            "unsupported authorization type",
            "credentials bad scheme",
            "credentials bad format",
            "bearer type",
            "missing bearer",
            "type in authorization header",
            "should not contain",
            "invalid compact",
            "not a jwt",
            "not a valid jwt",
            "token is not a jwt",
            "bad authorization",
            "invalid authorization",
            "unrecognized authorization",
        ],
    ),
    (
        Said::NoCredential,
        &[
            "not authenticated",
            "unauthenticated",
            "no credential*",
            "credentials were not provided",
            "not provided",
            "no token",
            "no bearer",
            "no authorization",
            "no api key",
            "no auth",
            "missing token",
            "missing api key",
            "missing authorization",
            "missing credential*",
            "missing authentication",
            "missing access token",
            "missing jwt",
            "missing key",
            "missing header",
            "missing cookie",
            "token missing",
            "is missing",
            "was not found",
            "not found in request",
            "were not found",
            "not present",
            "is empty",
            "empty token",
            "authentication required",
            "authentication is required",
            "requires authentication",
            "authorization required",
            "authorization is required",
            "token required",
            "token is required",
            "login required",
            "credentials required",
            "credentials are required",
            "key required",
            "need to sign in",
            "must be authenticated",
            "must be logged in",
            "please log in",
            "please login",
            "please sign in",
            "anonymous*",
            "please authenticate",
            "unregistered",
            "missing parameter",
            "field missing",
            "header missing",
            "credentials missing",
            "was missing",
            "required",
            "no required",
            "requires a valid",
            "not authed",
            "full authentication",
            "no authentication",
            "no session",
            "not logged in",
            "token not found",
            "no key",
        ],
    ),
    (
        Said::Permission,
        &[
            "permission*",
            "not authorized",
            "not authorised",
            "unauthorized for",
            "not allowed",
            "forbidden",
            "access denied",
            "accessdenied",
            "access is denied",
            "insufficient privilege*",
            "insufficient access",
            "not permitted",
            "authorization failed",
            "authorizationfailed",
            "authorization permission mismatch",
            "does not have access",
            "do not have access",
            "no access",
            "cannot",
            "can not",
            "rbac",
            "denied",
            "administrator*",
            "admin only",
            "admin access",
            "admin rights",
            "admin privileges",
            "not an admin",
            "server admin",
            "lack*",
            "does not have authorization",
            "not have authorization",
            "action is unauthorized",
            "not a member",
            "not accessible",
            "requires role",
            "policy",
            "prohibited",
            "restricted",
        ],
    ),
    (
        Said::Refused,
        &[
            "invalid*",
            "unauthorized",
            "unauthorised",
            "bad credentials",
            "incorrect",
            "wrong",
            "revoked",
            "not valid",
            "rejected",
            "failed",
            "failure",
            "unknown",
            "not recognized",
            "not recognised",
            "does not exist",
            "blacklist*",
            "blocklist*",
            "bad token",
            "bad key",
            "mismatch",
            "not match",
            "does not match",
            "authentication error",
            "authentication failed",
            "not authorized to access this resource",
            "no valid",
            "could not be authenticated",
            "inactive",
            "untrusted",
            "unable to authenticate",
            "illegal",
            "not accepted",
            "auth error",
            "access token is",
            "bad api key",
            "credentials",
            "claim*",
            "certificate error",
            "user not found",
            "not found",
            "key not authori*",
        ],
    ),
];

/// Lowercase words separated by single spaces, padded with a space on each side: camelCase
/// and acronyms split (`JWTExpired` → `jwt expired`), `_`, `-`, `.`, `:` and quotes dropped.
pub fn normalise(text: &str) -> String {
    let chars: Vec<char> = text.chars().take(600).collect();
    let mut out = String::with_capacity(chars.len() + 8);
    out.push(' ');
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = c.is_uppercase()
                && prev.is_some_and(|p| {
                    p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
                });
            if boundary && !out.ends_with(' ') {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// One word of a compiled pattern.
enum Word {
    Exact(&'static str),
    Prefix(&'static str),
    Any,
}

/// A pattern compiled once: whole-word phrases are found as ` phrase ` in the padded text;
/// patterns with `*` or `?` are matched word by word.
struct Pattern {
    padded: Option<String>,
    words: Vec<Word>,
    /// The first word when it is an exact one: a text without it cannot match (a set lookup
    /// rules out most patterns before any substring search).
    first: Option<&'static str>,
}

impl Pattern {
    fn new(p: &'static str) -> Pattern {
        let first = p
            .split_whitespace()
            .next()
            .filter(|w| !w.contains(['*', '?']));
        if !p.contains(['*', '?']) {
            return Pattern {
                padded: Some(format!(" {p} ")),
                words: Vec::new(),
                first,
            };
        }
        let words = p
            .split_whitespace()
            .map(|w| match w.strip_suffix('*') {
                _ if w == "?" => Word::Any,
                Some(prefix) => Word::Prefix(prefix),
                None => Word::Exact(w),
            })
            .collect();
        Pattern {
            padded: None,
            words,
            first,
        }
    }

    fn matches(&self, t: &Text) -> bool {
        if self.first.is_some_and(|f| !t.set.contains(f)) {
            return false;
        }
        if let Some(p) = &self.padded {
            return t.norm.contains(p.as_str());
        }
        let n = self.words.len();
        n > 0
            && t.words.len() >= n
            && t.words.windows(n).any(|win| {
                self.words.iter().zip(win).all(|(p, w)| match p {
                    Word::Any => true,
                    Word::Prefix(x) => w.starts_with(x),
                    Word::Exact(x) => w == x,
                })
            })
    }
}

/// A normalised text and its words.
pub struct Text<'a> {
    norm: &'a str,
    words: Vec<&'a str>,
    set: std::collections::HashSet<&'a str>,
}

impl<'a> Text<'a> {
    fn new(norm: &'a str) -> Text<'a> {
        let words: Vec<&str> = norm.split_whitespace().collect();
        let set = words.iter().copied().collect();
        Text { norm, words, set }
    }
}

struct Compiled {
    overrides: Vec<(Pattern, Said)>,
    vetoes: Vec<(Said, Vec<Pattern>)>,
    rules: Vec<(Said, Vec<Pattern>)>,
}

fn compiled() -> &'static Compiled {
    static C: std::sync::OnceLock<Compiled> = std::sync::OnceLock::new();
    C.get_or_init(|| Compiled {
        overrides: OVERRIDES
            .iter()
            .map(|(p, s)| (Pattern::new(p), *s))
            .collect(),
        vetoes: VETOES
            .iter()
            .map(|(s, ps)| (*s, ps.iter().map(|p| Pattern::new(p)).collect()))
            .collect(),
        // In priority order, so the first class that matches is the most specific.
        rules: Said::PRIORITY
            .iter()
            .map(|said| {
                let pats = RULES
                    .iter()
                    .filter(|(s, _)| s == said)
                    .flat_map(|(_, ps)| ps.iter().map(|p| Pattern::new(p)))
                    .collect();
                (*said, pats)
            })
            .collect(),
    })
}

/// Does the normalised text contain this pattern? Words match whole; `word*` matches a word's
/// start; `?` matches any one word.
pub fn matches(norm: &str, pattern: &'static str) -> bool {
    Pattern::new(pattern).matches(&Text::new(norm))
}

/// Does this text say nothing beyond its status? (A code that is only a status's name,
/// `ForbiddenException`, `UNAUTHORIZED_ERROR`, counts too.)
pub fn is_boilerplate(text: &str) -> bool {
    is_boilerplate_normalised(&normalise(text))
}

fn is_boilerplate_normalised(n: &str) -> bool {
    let t = n.trim();
    let t = t
        .strip_suffix(" exception")
        .or_else(|| t.strip_suffix(" error"))
        .unwrap_or(t);
    BOILERPLATE.contains(&t) || BOILERPLATE_PREFIXES.iter().any(|p| n.starts_with(p))
}

/// What a text says: `None` for boilerplate or when no pattern matches; normalises once.
pub fn read_text(text: &str) -> Reading {
    let n = normalise(text);
    if n.trim().is_empty() || is_boilerplate_normalised(&n) {
        return Reading::Nothing;
    }
    match classify_normalised(&n) {
        Some(s) => Reading::Said(s),
        None => Reading::Unknown,
    }
}

/// The outcome of reading one text.
pub enum Reading {
    /// Empty, or a status's own words.
    Nothing,
    /// Words the lexicon does not know.
    Unknown,
    Said(Said),
}

/// The class a text says, if any.
pub fn classify(text: &str) -> Option<Said> {
    let n = normalise(text);
    if n.trim().is_empty() {
        return None;
    }
    classify_normalised(&n)
}

fn classify_normalised(n: &str) -> Option<Said> {
    let t = Text::new(n);
    let c = compiled();
    if let Some((_, s)) = c.overrides.iter().find(|(p, _)| p.matches(&t)) {
        return Some(*s);
    }
    let vetoed = |said: Said| {
        c.vetoes
            .iter()
            .any(|(s, pats)| *s == said && pats.iter().any(|p| p.matches(&t)))
    };
    c.rules
        .iter()
        .find(|(said, pats)| !vetoed(*said) && pats.iter().any(|p| p.matches(&t)))
        .map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_cases_and_punctuation() {
        assert_eq!(normalise("JWTExpired"), " jwt expired ");
        assert_eq!(normalise("token_expired"), " token expired ");
        assert_eq!(
            normalise("InvalidAuthenticationToken"),
            " invalid authentication token "
        );
        assert_eq!(normalise("\"exp\" claim"), " exp claim ");
        assert_eq!(normalise("DPoP proof"), " d po p proof ");
    }

    #[test]
    fn classifies_the_trade_phrases() {
        let cases = [
            ("jwt expired", Said::Expired),
            ("Token has expired", Said::Expired),
            ("jwt not active", Said::NotYetValid),
            ("The token is not yet valid", Said::NotYetValid),
            ("jwt audience invalid. expected: api", Said::Audience),
            ("The iss claim is not valid", Said::Issuer),
            ("invalid signature", Said::Signature),
            ("Token has wrong type", Said::TokenType),
            ("insufficient_scope", Said::Scope),
            (
                "You do not have permission to perform this action.",
                Said::Permission,
            ),
            ("Not authenticated", Said::NoCredential),
            ("No authorization token was found", Said::NoCredential),
            ("jwt malformed", Said::Unreadable),
            ("Bad credentials", Said::Refused),
            ("Token is invalid or expired", Said::Refused),
            ("API rate limit exceeded", Said::RateLimit),
            ("CSRF Failed: CSRF token missing.", Said::NotAuth),
            ("Your account is locked.", Said::AccountState),
            ("Your IP address is not allowed", Said::Ip),
        ];
        for (t, want) in cases {
            assert_eq!(classify(t), Some(want), "{t}");
        }
        assert_eq!(classify("hello"), None);
    }
}
