//! Formatting defects in a credential string: the class of 401 where the secret is right but the
//! bytes sent are not (copied with a newline, pasted with a smart quote, never substituted).

use serde::Serialize;

/// One formatting problem in a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FormatIssue {
    /// Spaces or tabs before/after the credential.
    SurroundingWhitespace { leading: bool, trailing: bool },
    /// CR, LF, tab or another control character inside the value (position is a char index).
    ControlCharacter { position: usize, code: String },
    /// A non-ASCII character that looks like an ASCII one, or an invisible one.
    LookAlike {
        position: usize,
        code: String,
        looks_like: String,
    },
    /// Any other non-ASCII character: tokens and keys are ASCII.
    NonAscii { position: usize, code: String },
    /// A template or placeholder that was never replaced with the real value. `text` is set
    /// only when showing it cannot reveal a secret (template syntax, `undefined`, `YOUR_KEY`).
    Placeholder { text: Option<String> },
    /// Wrapped in quotes that became part of the value.
    Quoted,
}

impl FormatIssue {
    pub fn describe(&self) -> String {
        match self {
            FormatIssue::SurroundingWhitespace { leading, trailing } => match (leading, trailing) {
                (true, true) => "leading and trailing whitespace".into(),
                (true, false) => "leading whitespace".into(),
                _ => "trailing whitespace".into(),
            },
            FormatIssue::ControlCharacter { position, code } => {
                format!("control character {code} at position {position}")
            }
            FormatIssue::LookAlike {
                position,
                code,
                looks_like,
            } => format!("{code} at position {position} looks like {looks_like} but is not ASCII"),
            FormatIssue::NonAscii { position, code } => {
                format!("non-ASCII character {code} at position {position}")
            }
            FormatIssue::Placeholder { text: Some(text) } => {
                format!("the value is a placeholder ({text}), not a real credential")
            }
            FormatIssue::Placeholder { text: None } => {
                "the value is a placeholder or redaction marker, not a real credential".into()
            }
            FormatIssue::Quoted => "the value is wrapped in quotes that were sent literally".into(),
        }
    }
}

/// Characters that pass for ASCII in a terminal or a chat message but are not.
fn look_alike(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{2000}'..='\u{200A}' => "a space",
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => "nothing (invisible)",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "'-'",
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' => "'''",
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => "'\"'",
        '\u{0430}' => "'a'",
        '\u{0435}' => "'e'",
        '\u{043E}' | '\u{03BF}' => "'o'",
        '\u{0440}' => "'p'",
        '\u{0441}' => "'c'",
        '\u{0445}' => "'x'",
        '\u{0443}' => "'y'",
        '\u{0410}' | '\u{0391}' => "'A'",
        '\u{0412}' | '\u{0392}' => "'B'",
        '\u{0415}' | '\u{0395}' => "'E'",
        '\u{041A}' | '\u{039A}' => "'K'",
        '\u{041C}' | '\u{039C}' => "'M'",
        '\u{041D}' | '\u{0397}' => "'H'",
        '\u{041E}' | '\u{039F}' => "'O'",
        '\u{0420}' | '\u{03A1}' => "'P'",
        '\u{0421}' => "'C'",
        '\u{0422}' | '\u{03A4}' => "'T'",
        '\u{0425}' | '\u{03A7}' => "'X'",
        '\u{2024}' => "'.'",
        '\u{FF0E}' => "'.'",
        '\u{0131}' => "'i'",
        _ => return None,
    })
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "undefined",
    "null",
    "none",
    "nil",
    "token",
    "your_token",
    "your-token",
    "yourtoken",
    "your_api_key",
    "your-api-key",
    "api_key",
    "apikey",
    "access_token",
    "changeme",
    "replace_me",
    "replaceme",
    "xxx",
    "xxxx",
    "xxxxx",
    "...",
    "secret",
    "password",
    "example",
    "todo",
    "false",
    "true",
    "[object object]",
];

/// Is the whole value an unexpanded template or an obvious placeholder?
pub fn placeholder(value: &str) -> Option<String> {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    // Template syntaxes from shells, CI systems and HTTP clients.
    let templated = (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with('$')
            && v.len() > 1
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || (v.starts_with("{{") && v.ends_with("}}"))
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || (v.starts_with("$(") && v.ends_with(')'));
    if templated {
        return Some(v.to_string());
    }
    if PLACEHOLDER_WORDS.contains(&lower.as_str()) {
        return Some(v.to_string());
    }
    // Sanitised recordings (HAR exports, bug reports) replace secrets with such markers.
    if [
        "redacted",
        "removed",
        "sanitized",
        "sanitised",
        "hidden",
        "masked",
        "****",
    ]
    .iter()
    .any(|m| lower.contains(m))
    {
        return Some(v.to_string());
    }
    // YOUR_API_KEY, YOUR-TOKEN-HERE, INSERT_TOKEN, <…> already handled.
    let upper_snake = v.len() >= 4
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
        && (lower.contains("your")
            || lower.contains("token")
            || lower.contains("key")
            || lower.contains("secret")
            || lower.contains("insert")
            || lower.contains("here")
            || lower.contains("replace"));
    if upper_snake
        || lower.starts_with("your_")
        || lower.starts_with("your-")
        || lower.ends_with("_here")
    {
        return Some(v.to_string());
    }
    None
}

/// Placeholders that can be shown: template syntax and words no one uses as a real secret.
/// Word placeholders such as `secret` or `password` might be someone's real (weak) password.
pub fn showable_placeholder(text: &str) -> bool {
    let l = text.to_ascii_lowercase();
    text.starts_with('$')
        || text.starts_with("{{")
        || text.starts_with('<')
        || (text.starts_with('%') && text.ends_with('%'))
        || matches!(
            l.as_str(),
            "undefined" | "null" | "none" | "nil" | "[object object]" | "true" | "false"
        )
        || (text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
            && (l.contains("your")
                || l.contains("here")
                || l.contains("insert")
                || l.contains("replace")))
}

/// Every formatting issue of a credential value (the part after the scheme).
pub fn format_issues(value: &str) -> Vec<FormatIssue> {
    let mut out = Vec::new();
    let leading = value.starts_with([' ', '\t']);
    let trailing = value.ends_with([' ', '\t']);
    if leading || trailing {
        out.push(FormatIssue::SurroundingWhitespace { leading, trailing });
    }
    for (i, c) in value.chars().enumerate() {
        if c.is_control() && c != ' ' {
            // Leading/trailing tabs are reported as whitespace above.
            let edge_tab = c == '\t'
                && (value.trim_start_matches([' ', '\t']).len() == value.len() - i
                    || i >= value.trim_end_matches([' ', '\t']).chars().count());
            if !edge_tab {
                out.push(FormatIssue::ControlCharacter {
                    position: i,
                    code: format!("U+{:04X}", c as u32),
                });
            }
        } else if let Some(l) = look_alike(c) {
            out.push(FormatIssue::LookAlike {
                position: i,
                code: format!("U+{:04X}", c as u32),
                looks_like: l.to_string(),
            });
        } else if !c.is_ascii() {
            out.push(FormatIssue::NonAscii {
                position: i,
                code: format!("U+{:04X}", c as u32),
            });
        }
    }
    let t = value.trim();
    if t.len() >= 2
        && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\'')))
    {
        out.push(FormatIssue::Quoted);
    }
    if let Some(text) = placeholder(t.trim_matches(['"', '\''])) {
        let text = showable_placeholder(&text).then_some(text);
        out.push(FormatIssue::Placeholder { text });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whitespace_and_controls() {
        assert_eq!(
            format_issues(" abc"),
            vec![FormatIssue::SurroundingWhitespace {
                leading: true,
                trailing: false
            }]
        );
        let v = format_issues("abc\n");
        assert!(
            matches!(v[0], FormatIssue::ControlCharacter { position: 3, .. }),
            "{v:?}"
        );
        assert!(format_issues("abcdef").is_empty());
    }

    #[test]
    fn finds_look_alikes() {
        let v = format_issues("ab\u{0441}d");
        assert!(matches!(&v[0], FormatIssue::LookAlike { looks_like, .. } if looks_like == "'c'"));
        let v = format_issues("abc\u{200B}");
        assert!(matches!(&v[0], FormatIssue::LookAlike { .. }));
    }

    #[test]
    fn finds_placeholders() {
        for p in [
            "YOUR_API_KEY",
            "<token>",
            "${TOKEN}",
            "$TOKEN",
            "undefined",
            "null",
            "{{token}}",
            "%TOKEN%",
        ] {
            assert!(placeholder(p).is_some(), "{p}");
        }
        for real in [
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "eyJhbGciOi",
            "abc123",
        ] {
            assert!(placeholder(real).is_none(), "{real}");
        }
    }

    #[test]
    fn quoted() {
        assert!(format_issues("\"abc\"").contains(&FormatIssue::Quoted));
    }
}
