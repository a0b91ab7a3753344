//! The POSIX shell stage: a line copied from a terminal, a README or a browser's "Copy as cURL"
//! is bash, not a plain word list. [`shlex`] splits POSIX words, and a small scanner in front of
//! it handles what shlex cannot: `\`-newline continuations, bash ANSI-C `$'…'` strings, `$(…)`
//! and backticks kept as literal words, `#` comments, and the shell operators. Of several
//! commands (`&&`, `;`, `|`, newlines) the first one that runs `curl` is used and the rest is
//! reported in a note; shell redirections (`< file`, `2>&1`, heredocs) are dropped with a note.
//! `$VAR` is never expanded: an unexpanded placeholder is evidence for the
//! credential-formatting diagnosis.

use super::{Words, is_curl_program, rest_has_command};
use crate::input::InputError;

/// Split a (CRLF-normalised) bash line into curl's arguments.
pub(super) fn posix_words(text: &str) -> Result<Words, InputError> {
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    let mut fallback: Option<Vec<String>> = None;
    let mut notes = Vec::new();
    while pos < chars.len() {
        let scanned = match scan_command(&chars, pos) {
            Ok(s) => s,
            // A broken later command does not matter once a first one exists.
            Err(_) if fallback.is_some() => break,
            Err(e) => return Err(e),
        };
        pos = scanned.end;
        let words = shlex::split(&scanned.text).ok_or_else(|| {
            InputError::CurlSyntax("unbalanced quotes or a trailing backslash".to_string())
        })?;
        if words.is_empty() {
            continue;
        }
        if let Some(args) = after_curl(&words) {
            notes.extend(scanned.notes);
            let rest: String = chars[pos..].iter().collect();
            if rest_has_command(&rest) {
                let sep = scanned.separator.unwrap_or("a newline");
                notes.push(format!(
                    "only the first curl command was used; what followed {sep} was ignored"
                ));
            }
            return Ok(Words {
                args: args.to_vec(),
                notes,
            });
        }
        if fallback.is_none() {
            fallback = Some(words);
            notes = scanned.notes;
        }
    }
    // No `curl` anywhere: the input is curl's arguments alone.
    match fallback {
        Some(args) => Ok(Words { args, notes }),
        None => Err(InputError::MissingUrl),
    }
}

/// The arguments after `curl`, skipping what commonly precedes it on a line: environment
/// assignments (`TOKEN=x curl …`) and wrappers (`sudo`, `time`, …).
fn after_curl(words: &[String]) -> Option<&[String]> {
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if is_curl_program(w) {
            return Some(&words[i + 1..]);
        }
        let is_assignment = w.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        });
        let is_wrapper = matches!(w, "sudo" | "time" | "command" | "exec" | "nohup" | "env");
        if !(is_assignment || is_wrapper) {
            return None;
        }
        i += 1;
    }
    None
}

/// One command of the input, rewritten into text that [`shlex::split`] reads correctly.
struct Scanned {
    text: String,
    /// Index just after the command's separator.
    end: usize,
    /// The operator that ended the command, for the note.
    separator: Option<&'static str>,
    notes: Vec<String>,
}

fn unterminated(what: &str) -> InputError {
    InputError::CurlSyntax(format!("unterminated {what}"))
}

/// Scan one command starting at `start`: copy it for shlex, converting `$'…'` and protecting
/// `$(…)`/backticks, and stop at the first unquoted command separator.
fn scan_command(chars: &[char], start: usize) -> Result<Scanned, InputError> {
    let mut out = String::new();
    let mut notes: Vec<String> = Vec::new();
    let mut i = start;
    // Byte offset in `out` where the current word began, or None between words.
    let mut word_start: Option<usize> = None;
    let begin_word = |out: &String, ws: &mut Option<usize>| {
        if ws.is_none() {
            *ws = Some(out.len());
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => match next {
                Some('\n') => i += 2,
                Some(n) => {
                    begin_word(&out, &mut word_start);
                    out.push('\\');
                    out.push(n);
                    i += 2;
                }
                // A dangling backslash at the very end is a copy-paste leftover.
                None => i += 1,
            },
            '\'' => {
                begin_word(&out, &mut word_start);
                let close =
                    find_from(chars, i + 1, '\'').ok_or_else(|| unterminated("'…' quote"))?;
                out.extend(&chars[i..=close]);
                i = close + 1;
            }
            '"' => {
                begin_word(&out, &mut word_start);
                let close = double_quote_end(chars, i + 1)?;
                out.extend(&chars[i..=close]);
                i = close + 1;
            }
            '$' if next == Some('\'') => {
                begin_word(&out, &mut word_start);
                let (decoded, after) = ansi_c_string(chars, i + 2)?;
                out.push_str(&single_quoted(&decoded));
                i = after;
            }
            // `$"…"` is a locale-translated string: without a translation, plain double quotes.
            '$' if next == Some('"') => i += 1,
            '$' if next == Some('(') || next == Some('{') => {
                begin_word(&out, &mut word_start);
                let (open, close_ch) = if next == Some('(') {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                let end = matching_close(chars, i + 1, open, close_ch)
                    .ok_or_else(|| unterminated("$( or ${"))?;
                let literal: String = chars[i..=end].iter().collect();
                out.push_str(&single_quoted(&literal));
                i = end + 1;
            }
            '`' => {
                begin_word(&out, &mut word_start);
                let close = find_from(chars, i + 1, '`').ok_or_else(|| unterminated("`…`"))?;
                let literal: String = chars[i..=close].iter().collect();
                out.push_str(&single_quoted(&literal));
                i = close + 1;
            }
            '#' if word_start.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '\n' => {
                return Ok(Scanned {
                    text: out,
                    end: i + 1,
                    separator: Some("a newline"),
                    notes,
                });
            }
            ';' | '&' | '|' if !(c == '&' && next == Some('>')) => {
                let (sep, len): (&'static str, usize) = match (c, next) {
                    ('&', Some('&')) => ("`&&`", 2),
                    ('|', Some('|')) => ("`||`", 2),
                    ('|', Some('&')) => ("`|&`", 2),
                    (';', _) => ("`;`", 1),
                    ('&', _) => ("`&`", 1),
                    _ => ("`|`", 1),
                };
                return Ok(Scanned {
                    text: out,
                    end: i + len,
                    separator: Some(sep),
                    notes,
                });
            }
            '<' | '>' | '&' => {
                // `2>&1`: a word of digits right before the operator is its file descriptor.
                if let Some(ws) = word_start
                    && out[ws..].chars().all(|d| d.is_ascii_digit())
                {
                    out.truncate(ws);
                }
                word_start = None;
                out.push(' ');
                i = skip_redirection(chars, i)?;
                let note = "shell redirections (<, >, heredocs) were ignored".to_string();
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            ' ' | '\t' | '\r' => {
                out.push(' ');
                word_start = None;
                i += 1;
            }
            _ => {
                begin_word(&out, &mut word_start);
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(Scanned {
        text: out,
        end: chars.len(),
        separator: None,
        notes,
    })
}

fn find_from(chars: &[char], from: usize, target: char) -> Option<usize> {
    chars
        .get(from..)?
        .iter()
        .position(|&c| c == target)
        .map(|p| p + from)
}

/// Index of the `"` closing a double-quoted string whose content starts at `from`; inside,
/// a backslash escapes the next character.
fn double_quote_end(chars: &[char], from: usize) -> Result<usize, InputError> {
    let mut i = from;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Ok(i),
            _ => i += 1,
        }
    }
    Err(unterminated("\"…\" quote"))
}

/// Index of the bracket closing the one at `open_at`, counting nesting and skipping quotes.
fn matching_close(chars: &[char], open_at: usize, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open_at;
    while i < chars.len() {
        let c = chars[i];
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        } else if c == '\'' {
            i = find_from(chars, i + 1, '\'')?;
        } else if c == '"' {
            i = double_quote_end(chars, i + 1).ok()?;
        } else if c == '\\' {
            i += 1;
        }
        i += 1;
    }
    None
}

/// Skip a redirection operator at `i` (`<`, `>>`, `2>&1`, `<<EOF`, `<<<`, `&>` …) and its
/// target word; returns the index after it. Heredoc bodies sit on the following lines, which
/// belong to no command authdoctor uses.
fn skip_redirection(chars: &[char], mut i: usize) -> Result<usize, InputError> {
    let mut dup = false;
    while let Some(&c) = chars.get(i) {
        match c {
            '<' | '>' | '|' | '-' => i += 1,
            '&' => {
                dup = true;
                i += 1;
            }
            _ => break,
        }
    }
    // `>&2`, `<&-`: the target is a descriptor already consumed with the operator or a digit.
    if dup {
        while chars
            .get(i)
            .is_some_and(|c| c.is_ascii_digit() || *c == '-')
        {
            i += 1;
        }
        if chars.get(i).is_none_or(|c| c.is_whitespace()) {
            return Ok(i);
        }
    }
    while chars.get(i).is_some_and(|c| *c == ' ' || *c == '\t') {
        i += 1;
    }
    // The target word: quote-aware, ending at a blank or an operator.
    while let Some(&c) = chars.get(i) {
        match c {
            ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' => break,
            '\'' => i = find_from(chars, i + 1, '\'').ok_or_else(|| unterminated("'…' quote"))? + 1,
            '"' => i = double_quote_end(chars, i + 1)? + 1,
            '`' => i = find_from(chars, i + 1, '`').ok_or_else(|| unterminated("`…`"))? + 1,
            '$' if chars.get(i + 1) == Some(&'\'') => i = ansi_c_string(chars, i + 2)?.1,
            '\\' => i += 2,
            _ => i += 1,
        }
    }
    Ok(i.min(chars.len()))
}

/// Quote `s` so shlex yields it back verbatim as (part of) one word.
fn single_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Decode a bash `$'…'` string whose content starts at `from`; returns the text and the index
/// after the closing quote. `\xHH` and octal escapes give bytes, so the text is assembled as
/// bytes and read as UTF-8 (lossily) at the end; a NUL ends the string, as in bash.
fn ansi_c_string(chars: &[char], from: usize) -> Result<(String, usize), InputError> {
    let mut bytes: Vec<u8> = Vec::new();
    let mut i = from;
    let push_char = |bytes: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(unterminated("$'…' quote"));
        };
        i += 1;
        if c == '\'' {
            break;
        }
        if c != '\\' {
            push_char(&mut bytes, c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            return Err(unterminated("$'…' quote"));
        };
        i += 1;
        match e {
            'n' => bytes.push(b'\n'),
            't' => bytes.push(b'\t'),
            'r' => bytes.push(b'\r'),
            'a' => bytes.push(0x07),
            'b' => bytes.push(0x08),
            'e' | 'E' => bytes.push(0x1b),
            'f' => bytes.push(0x0c),
            'v' => bytes.push(0x0b),
            '\\' | '\'' | '"' | '?' => push_char(&mut bytes, e),
            '0'..='7' => {
                let (v, used) = digits_value(chars, i - 1, 8, 3);
                i += used - 1;
                bytes.push((v & 0xff) as u8);
            }
            'x' => {
                let (v, used) = digits_value(chars, i, 16, 2);
                if used == 0 {
                    bytes.extend_from_slice(b"\\x");
                } else {
                    bytes.push(v as u8);
                    i += used;
                }
            }
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                let (v, used) = digits_value(chars, i, 16, max);
                if used == 0 {
                    push_char(&mut bytes, '\\');
                    push_char(&mut bytes, e);
                } else {
                    push_char(&mut bytes, char::from_u32(v).unwrap_or('\u{fffd}'));
                    i += used;
                }
            }
            'c' => {
                // `\cX` is control-X.
                match chars.get(i) {
                    Some(&x) if x.is_ascii() => {
                        bytes.push((x as u8) & 0x1f);
                        i += 1;
                    }
                    _ => bytes.extend_from_slice(b"\\c"),
                }
            }
            other => {
                push_char(&mut bytes, '\\');
                push_char(&mut bytes, other);
            }
        }
    }
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), i))
}

/// Read up to `max` digits in `radix` starting at `from`: (value, digits used).
fn digits_value(chars: &[char], from: usize, radix: u32, max: usize) -> (u32, usize) {
    let mut value: u32 = 0;
    let mut used = 0;
    while used < max {
        match chars.get(from + used).and_then(|c| c.to_digit(radix)) {
            Some(d) => {
                value = value.saturating_mul(radix).saturating_add(d);
                used += 1;
            }
            None => break,
        }
    }
    (value, used)
}

#[cfg(test)]
mod tests {
    use super::super::shell_words;

    fn args(line: &str) -> Vec<String> {
        shell_words(line).expect("splits").args
    }

    #[test]
    fn shell_splitting() {
        let cases: &[(&str, &[&str])] = &[
            ("curl http://x", &["http://x"]),
            ("curl.exe http://x", &["http://x"]),
            ("/usr/bin/curl http://x", &["http://x"]),
            ("-H 'A: b' http://x", &["-H", "A: b", "http://x"]),
            (r#"curl -d "foo=\"bar\"" x"#, &["-d", r#"foo="bar""#, "x"]),
            (r#"curl -d "foo=\'bar\'" x"#, &["-d", r"foo=\'bar\'", "x"]),
            ("curl 'a'\"b\"c", &["abc"]),
            ("curl x \\\n  -H 'A: b'", &["x", "-H", "A: b"]),
            ("curl x \\\r\n  -H 'A: b'", &["x", "-H", "A: b"]),
            ("curl -d \"a\\\nb\" x", &["-d", "ab", "x"]),
            ("curl -d 'a\\\nb' x", &["-d", "a\\\nb", "x"]),
            (
                "curl -H \"Authorization: Bearer $TOKEN\" x",
                &["-H", "Authorization: Bearer $TOKEN", "x"],
            ),
            (
                "curl -H Authorization:\\ Bearer\\ ${TOKEN} x",
                &["-H", "Authorization: Bearer ${TOKEN}", "x"],
            ),
            (
                "curl -u $(cat creds.txt) x",
                &["-u", "$(cat creds.txt)", "x"],
            ),
            ("curl -d `echo a b` x", &["-d", "`echo a b`", "x"]),
            ("# comment\ncurl x # trailing", &["x"]),
            ("curl 'a#b' x#y", &["a#b", "x#y"]),
            ("TOKEN=abc sudo curl x", &["x"]),
            ("echo foo | curl x", &["x"]),
            ("curl x && curl y", &["x"]),
            ("curl x; curl y", &["x"]),
            ("curl x | jq .", &["x"]),
            ("curl x > out.json 2>&1", &["x"]),
            ("curl x 2> err.txt -s", &["x", "-s"]),
            (
                "curl --data-binary @- x < 'my file.xml'",
                &["--data-binary", "@-", "x"],
            ),
            ("curl -d @- x <<EOF\nhello 'world\nEOF", &["-d", "@-", "x"]),
            ("curl -d $\"a b\" x", &["-d", "a b", "x"]),
            ("curl -d 'a;b&&c|d' x", &["-d", "a;b&&c|d", "x"]),
        ];
        for (line, want) in cases {
            assert_eq!(args(line), *want, "line: {line:?}");
        }
    }

    #[test]
    fn ansi_c_quoting() {
        let cases: &[(&str, &str)] = &[
            (r"$'a\nb'", "a\nb"),
            (r"$'\t\r\\'", "\t\r\\"),
            (r"$'it\'s'", "it's"),
            (r#"$'say \"hi\"'"#, "say \"hi\""),
            (r"$'\x41\x4a'", "AJ"),
            (r"$'\xc3\xa9'", "é"),
            (r"$'\u00e9\U0001F600'", "é😀"),
            (r"$'\101\060'", "A0"),
            (r"$'a\0b'", "a"),
            (r"$'\q'", "\\q"),
            (r"$'\cA'", "\u{1}"),
            (r"x$'y'z", "xyz"),
            (r"$'a b'", "a b"),
        ];
        for (word, want) in cases {
            let line = format!("curl -d {word} http://x");
            assert_eq!(args(&line), vec!["-d", want, "http://x"], "word: {word}");
        }
    }

    #[test]
    fn shell_notes() {
        let w = shell_words("curl x && curl y").expect("splits");
        assert!(w.notes.iter().any(|n| n.contains("&&")), "{:?}", w.notes);
        let w = shell_words("curl x < in.txt").expect("splits");
        assert!(
            w.notes.iter().any(|n| n.contains("redirection")),
            "{:?}",
            w.notes
        );
        let w = shell_words("curl x\n\n# only a comment\n").expect("splits");
        assert!(w.notes.is_empty(), "{:?}", w.notes);
    }

    #[test]
    fn shell_errors() {
        for line in [
            "curl 'x",
            "curl \"x",
            "curl $'x",
            "curl -u $(cat x",
            "",
            "   \n# c\n",
        ] {
            assert!(shell_words(line).is_err(), "line: {line:?}");
        }
    }
}
