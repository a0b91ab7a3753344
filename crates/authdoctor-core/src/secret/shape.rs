//! Secrets recognised by what they are called and by what they look like. Name lists alone
//! miss the carriers nobody listed (`Ocp-Apim-Subscription-Key`, `?pwd=`, a token nested in a
//! `redirect_uri`); so a name is secret-ish by the words it contains, and a value is secret by
//! its shape wherever it stands: a JWT, a vendor key format, or a long high-entropy string in a
//! credential-like position. The lists stay as hints for what the words miss.

/// Words that make a header, parameter, form field or JSON key a credential carrier when they
/// appear inside one of its components (`accessToken`, `client_secret`, `X-Api-Key`).
const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "credential",
    "signature",
    "session",
    "cookie",
    "csrf",
    "xsrf",
];

/// Components that are a carrier only as a whole (`X-Auth-Key`, `pwd`): as a part of a longer
/// word they mean something else (`authdoctor`, `author`, `keyboard`).
const SECRET_COMPONENTS: &[&str] = &[
    "auth",
    "authorization",
    "authentication",
    "authn",
    "pwd",
    "jwt",
    "sas",
    "sig",
];

/// Component pairs that name a carrier together (`api-key`, `access_key`, `subscription-key`).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("private", "key"),
    ("subscription", "key"),
    ("auth", "key"),
    ("client", "key"),
    ("master", "key"),
];

/// Components that name evidence, not a credential, even next to a carrier's word.
const NOT_SECRET_COMPONENTS: &[&str] = &[
    "authenticate", // WWW-Authenticate, Proxy-Authenticate: the challenge is evidence
    "scope",
    "scopes",
    "type", // token_type
    "expires",
    "expiry",
    "exp",
    "state", // session_state
    "info",  // Authentication-Info
];

/// Is a name (header, query parameter, form field, JSON key) a credential carrier?
pub fn is_secret_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    if n.starts_with("access-control-") {
        return false;
    }
    let parts: Vec<&str> = n
        .split(['-', '_', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts
        .iter()
        .any(|p| NOT_SECRET_COMPONENTS.contains(p) || p.ends_with("authenticate"))
    {
        return false;
    }
    parts.iter().any(|p| {
        SECRET_COMPONENTS.contains(p)
            || SECRET_WORDS.iter().any(|w| p.contains(w))
            || p.starts_with("authoriz")
    }) || parts
        .windows(2)
        .any(|w| SECRET_PAIRS.contains(&(w[0], w[1])))
}

/// Query-parameter names that are credentials only in a URL: short names that database HTTP
/// APIs and signed URLs use (`u`/`p`, `sig`, `key`, `code`).
pub fn is_secret_param_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    is_secret_name(&n)
        || matches!(
            n.as_str(),
            "key"
                | "sig"
                | "code"
                | "pass"
                | "u"
                | "p"
                | "user"
                | "username"
                | "policy"
                | "x-goog-credential"
                | "x-amz-credential"
        )
        || n.ends_with("-key")
        || n.ends_with("_key")
}

/// A compact JWS/JWE: `eyJ…` segments of base64url separated by dots (3 or 5 segments).
pub fn is_jwt_shaped(s: &str) -> bool {
    let s = s.trim();
    if !s.starts_with("eyJ") || s.len() < 20 {
        return false;
    }
    let parts: Vec<&str> = s.split('.').collect();
    matches!(parts.len(), 3 | 5)
        && parts[..2].iter().all(|p| !p.is_empty())
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in s.bytes() {
        counts[b as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// A long, random-looking run of token characters: at least 20 characters from the base64 /
/// hex alphabets, letters and digits mixed, and ≥ 3.5 bits of entropy per character. Only
/// consulted in credential-like positions (a value under a carrier's name, a Basic user name).
pub fn is_high_entropy(s: &str) -> bool {
    let s = s.trim();
    s.len() >= 20
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'/' | b'=' | b'~')
        })
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && entropy(s) >= 3.5
}

/// A vendor's secret key format (`ghp_…`, `sk_live_…`, `xoxb-…`). AWS access key ids are
/// evidence (they name the key, they do not sign), so they do not count.
pub fn is_vendor_secret(s: &str) -> bool {
    let s = s.trim();
    !s.contains(char::is_whitespace)
        && crate::vendor::key_format(s).is_some_and(|k| !k.kind.contains("access key id"))
}

/// Is a Basic user name really a secret? Payment and other APIs take the API key as the user
/// name with an empty password (`-u sk_live_…:`); a key-shaped or random-looking user name is
/// treated as the secret it is.
pub fn basic_user_is_secret(user: &str, password: Option<&str>) -> bool {
    let u = user.trim();
    looks_secret(u)
        || is_high_entropy(u)
        || (password.is_none_or(|p| p.is_empty()) && u.len() >= 16 && !u.contains('@'))
}

/// Does this value, wherever it stands, look like a credential?
pub fn looks_secret(value: &str) -> bool {
    is_jwt_shaped(value) || is_vendor_secret(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "Authorization",
            "X-Authorization",
            "Authentication",
            "X-Auth-Key",
            "Ocp-Apim-Subscription-Key",
            "X-Access-Key",
            "x-api-key",
            "Cookie",
            "X-CSRF-Token",
            "client_secret",
            "refresh_token",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "WWW-Authenticate",
            "Proxy-Authenticate",
            "X-OAuth-Scopes",
            "X-Accepted-OAuth-Scopes",
            "Accept",
            "Access-Control-Allow-Credentials",
            "token_type",
            "expires_in",
            "authdoctor",
            "author",
            "keyboard",
            "error",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
        for p in [
            "api-key",
            "subscription-key",
            "X-Goog-Signature",
            "jwt",
            "pass",
            "pwd",
            "u",
            "p",
            "user",
            "password",
            "sig",
            "Signature",
            "Policy",
        ] {
            assert!(is_secret_param_name(p), "{p}");
        }
        assert!(!is_secret_param_name("page"));
        assert!(!is_secret_param_name("X-Amz-Expires"));
    }

    #[test]
    fn shapes() {
        assert!(is_jwt_shaped("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(!is_jwt_shaped("eyJhbGciOiJIUzI1NiJ9"));
        assert!(looks_secret("sk_live_51Habcdefghijklmnop"));
        assert!(looks_secret("ghp_0123456789abcdefghijABCDEFGHIJ012345"));
        assert!(!looks_secret("AKIAIOSFODNN7EXAMPLE"));
        assert!(is_high_entropy("q8Zr2LmT0vXa9KpWc3YbN1"));
        assert!(!is_high_entropy("aaaaaaaaaaaaaaaaaaaaaaaa1"));
        assert!(!is_high_entropy("hello-world-this-is"));
    }
}
