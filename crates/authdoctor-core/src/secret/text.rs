//! Redacting free text: bodies that are not JSON (form-encoded token responses, `)]}'`-prefixed
//! JSON, JSON cut at the body cap, HTML with CSRF tokens), error messages that quote a URL, and
//! — as the last pass — every line the CLI writes. No parser is trusted to see all of it, so the
//! scan looks for what a secret looks like in text:
//!
//! - URLs (`scheme://…`): shown through [`super::redact_url_in_text`] (userinfo, credential parameters,
//!   fragments);
//! - `name=value`, `name: value`, `"name": "value"`, `name="value"` where the name is a carrier
//!   ([`super::shape::is_secret_name`]), and HTML `name="csrf_token" value="…"` pairs;
//! - words shaped like a JWT or a vendor key, wherever they stand.
//!
//! Redaction keeps the text's shape (the same `abcd…xyz (sha256:…)` form as elsewhere), so the
//! rest of a message stays readable.

use super::shape::{is_secret_name, looks_secret};
use super::{redact, redact_url_in_text};

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// Where a URL that starts at `i` (its scheme) ends.
fn url_end(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    while j < bytes.len()
        && !bytes[j].is_ascii_whitespace()
        && !matches!(bytes[j], b'"' | b'\'' | b'<' | b'>' | b'`' | b'\\')
    {
        j += 1;
    }
    // A sentence's full stop or a closing parenthesis is not part of the URL.
    while j > from && matches!(bytes[j - 1], b'.' | b',' | b')' | b';') {
        j -= 1;
    }
    j
}

/// Authentication schemes: a scheme and the credential after it are one value.
const SCHEMES: &[&str] = &[
    "bearer",
    "basic",
    "token",
    "digest",
    "dpop",
    "negotiate",
    "ntlm",
    "ssws",
    "apikey",
    "key",
    "otp",
];

/// The value that follows a carrier's name at `i` (just after the name): `(start, end)` of the
/// value, or `None` when no separator follows.
fn value_after(bytes: &[u8], mut i: usize) -> Option<(usize, usize)> {
    // Closing quote of a quoted name: `"password": "…"`.
    if i < bytes.len() && matches!(bytes[i], b'"' | b'\'') {
        i += 1;
    }
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    if i >= bytes.len() || !matches!(bytes[i], b'=' | b':') {
        return None;
    }
    let colon = bytes[i] == b':';
    i += 1;
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    if i >= bytes.len() {
        return None;
    }
    if matches!(bytes[i], b'"' | b'\'') {
        let q = bytes[i];
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && bytes[j] != q {
            if bytes[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        return Some((start, j.min(bytes.len())));
    }
    // Unquoted: a word of token characters, not a JSON literal or an object.
    if !is_word_byte(bytes[i]) {
        return None;
    }
    let start = i;
    let mut j = i;
    while j < bytes.len()
        && !bytes[j].is_ascii_whitespace()
        && !matches!(
            bytes[j],
            b'&' | b',' | b';' | b'}' | b']' | b'<' | b'"' | b'\'' | b')'
        )
    {
        j += 1;
    }
    let word = &bytes[start..j];
    if matches!(word, b"true" | b"false" | b"null") || word.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // After a colon, prose is common (`X-Api-Key: the value is …`): only a word that looks
    // like a credential (long, and not only letters) counts; `name=value` always does.
    let credential_like = word.len() >= 8 && word.iter().any(|b| !b.is_ascii_alphabetic());
    let is_scheme = SCHEMES
        .iter()
        .any(|s| s.as_bytes().eq_ignore_ascii_case(word));
    if colon && !credential_like && !is_scheme {
        return None;
    }
    // `Authorization: Bearer abc…`: an auth scheme and its credential are one value.
    if SCHEMES
        .iter()
        .any(|s| s.as_bytes().eq_ignore_ascii_case(word))
    {
        if j + 1 < bytes.len() && bytes[j] == b' ' && is_word_byte(bytes[j + 1]) {
            let mut k = j + 1;
            while k < bytes.len() && is_word_byte(bytes[k]) {
                k += 1;
            }
            return Some((start, k));
        }
        // A scheme alone (`Bearer $TOKEN`, `Bearer realm=…`) carries no credential.
        return None;
    }
    Some((start, j))
}

/// In an HTML tag that names a carrier (`name="csrf_token"`), the `value="…"`/`content="…"`.
fn html_value(text: &str, tag_start: usize) -> Option<(usize, usize)> {
    let end = text[tag_start..].find('>').map(|e| tag_start + e)?;
    let tag = &text[tag_start..end];
    let lower = tag.to_ascii_lowercase();
    // Attributes may be quoted plainly or, inside a quoted message, with `\"`.
    let named = ["name=\"", "name=\\\"", "id=\"", "name='"].iter().any(|p| {
        lower.match_indices(p).any(|(k, _)| {
            let v = &lower[k + p.len()..];
            let v = &v[..v.find(['"', '\'', '\\']).unwrap_or(v.len())];
            is_secret_name(v)
        })
    });
    if !named {
        return None;
    }
    for attr in [
        "value=\"",
        "value=\\\"",
        "content=\"",
        "content=\\\"",
        "value='",
        "content='",
    ] {
        if let Some(k) = lower.find(attr) {
            let start = tag_start + k + attr.len();
            let len = text[start..end]
                .find(['"', '\'', '\\'])
                .unwrap_or(end - start);
            return Some((start, start + len));
        }
    }
    None
}

/// `text` with every secret it shows (by name or by shape) redacted.
pub fn redact_text(text: &str) -> String {
    scan(text, true)
}

/// Only the rules that can never change a document's structure: URLs and words shaped like a
/// JWT or a vendor key (a redaction has no quote, so JSON stays JSON). The CLI's last pass over
/// every line it writes, reports included.
pub fn redact_shapes(text: &str) -> String {
    scan(text, false)
}

fn scan(text: &str, by_name: bool) -> String {
    let bytes = text.as_bytes();
    // (start, end, replacement), non-overlapping, in order.
    let mut cuts: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // URLs: `scheme://`.
        if b == b':' && text[i..].starts_with("://") {
            let mut s = i;
            while s > 0
                && (bytes[s - 1].is_ascii_alphanumeric()
                    || matches!(bytes[s - 1], b'+' | b'.' | b'-'))
            {
                s -= 1;
            }
            if s < i && cuts.last().is_none_or(|c| c.1 <= s) {
                let e = url_end(bytes, i);
                let url = &text[s..e];
                let shown = redact_url_in_text(url);
                if shown != url {
                    cuts.push((s, e, shown));
                }
                i = e.max(i + 1);
                continue;
            }
        }
        // HTML tags naming a carrier.
        if by_name
            && b == b'<'
            && let Some((s, e)) = html_value(text, i)
        {
            if e > s && cuts.last().is_none_or(|c| c.1 <= s) {
                cuts.push((s, e, redact(&text[s..e])));
            }
            i += 1;
            continue;
        }
        if is_name_byte(b) && (i == 0 || !is_name_byte(bytes[i - 1])) {
            let mut j = i;
            while j < bytes.len() && is_name_byte(bytes[j]) {
                j += 1;
            }
            let name = &text[i..j];
            // `name=value` / `"name": "value"`.
            if by_name
                && is_secret_name(name)
                && let Some((s, e)) = value_after(bytes, j)
                && e > s
            {
                let v = &text[s..e];
                // A scheme before the credential stays readable: `Authorization: Bearer …`.
                let secret_start = match v.split_once(' ') {
                    Some((scheme, _))
                        if scheme.len() < 16
                            && scheme
                                .bytes()
                                .all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
                    {
                        s + scheme.len() + 1
                    }
                    _ => s,
                };
                if e > secret_start && cuts.last().is_none_or(|c| c.1 <= secret_start) {
                    let secret = &text[secret_start..e];
                    if !secret.contains("sha256:") {
                        cuts.push((secret_start, e, redact(secret)));
                    }
                }
                i = e.max(j);
                continue;
            }
        }
        // Words shaped like a JWT or a vendor key.
        if is_word_byte(b) && (i == 0 || !is_word_byte(bytes[i - 1])) {
            let mut j = i;
            while j < bytes.len() && is_word_byte(bytes[j]) {
                j += 1;
            }
            let word = text[i..j].trim_end_matches(['.', '=']);
            if word.len() >= 12 && looks_secret(word) && cuts.last().is_none_or(|c| c.1 <= i) {
                cuts.push((i, i + word.len(), redact(word)));
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if cuts.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, r) in cuts {
        out.push_str(&text[at..s]);
        out.push_str(&r);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOK: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA";

    #[test]
    fn form_and_prefixed_and_truncated_json() {
        let form = "access_token=Zq8r2LmT0vXa9KpWc3YbN1&token_type=bearer&expires_in=3600";
        let r = redact_text(form);
        assert!(!r.contains("Zq8r2LmT0vXa9KpWc3YbN1"), "{r}");
        assert!(
            r.contains("token_type=bearer") && r.contains("expires_in=3600"),
            "{r}"
        );
        let pre = ")]}'\n{\"refresh_token\": \"rt-Zq8r2LmT0vXa9KpWc3YbN1\", \"x\": 1}";
        assert!(!redact_text(pre).contains("Zq8r2LmT0vXa9KpWc3YbN1"));
        let cut = format!("{{\"id_token\":\"{TOK}");
        assert!(!redact_text(&cut).contains("c2lnbmF0dXJlLXNlY3JldA"));
    }

    #[test]
    fn html_csrf_and_urls_and_shapes() {
        let html = r#"<input type="hidden" name="csrf_token" value="Q8Zr2LmT0vXa9KpWc3YbN1"><meta name="csrf-token" content="mT0vXa9KpWc3YbN1Q8Zr2L">"#;
        let r = redact_text(html);
        assert!(
            !r.contains("Q8Zr2LmT0vXa9KpWc3YbN1") && !r.contains("mT0vXa9KpWc3YbN1Q8Zr2L"),
            "{r}"
        );
        let msg =
            "unsupported URL scheme in ftp://h/x?access_token=Zq8r2LmT0vXa9KpWc3YbN1, try https";
        let r = redact_text(msg);
        assert!(
            !r.contains("Zq8r2LmT0vXa9KpWc3YbN1") && r.ends_with(", try https"),
            "{r}"
        );
        let r = redact_text(&format!(
            "the token {TOK} was refused; key sk_live_51Habcdefghijklmnop too"
        ));
        assert!(
            !r.contains("c2lnbmF0dXJl") && !r.contains("51Habcdefghijklmnop"),
            "{r}"
        );
        let r = redact_text("Authorization: Bearer Zq8r2LmT0vXa9KpWc3YbN1");
        assert!(r.starts_with("Authorization: Bearer Zq8r…"), "{r}");
    }

    #[test]
    fn plain_text_untouched() {
        for t in [
            "The token has expired",
            "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
            "no such route /v1/users",
            "token_type=bearer",
        ] {
            assert_eq!(redact_text(t), t);
        }
    }
}
