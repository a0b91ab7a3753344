//! Windows `cmd` lines (Chrome's "Copy as cURL (cmd)"): cmd's `^` escapes and continuations,
//! then the Microsoft C runtime's argument splitting, as curl.exe receives its arguments.

use super::{Words, is_curl_program, rest_has_command};
use crate::input::InputError;

/// cmd pastes end lines with ` ^` and escape quotes as `^"`; a bash line rarely does either
/// outside quotes, and checking only line ends and the first argument keeps false hits rare.
pub(super) fn looks_like_cmd(text: &str) -> bool {
    let trimmed = text.trim_start();
    let caret_line = text.lines().any(|l| {
        let l = l.trim_end();
        l.ends_with(" ^") || l == "^"
    });
    caret_line || trimmed.starts_with("curl ^\"") || trimmed.starts_with("curl.exe ^\"")
}

/// Split a cmd line: cmd itself removes `^` escapes and `^`-newline continuations (but not
/// inside its own quotes), then curl.exe splits its command line by the C runtime's rules.
pub(super) fn cmd_words(text: &str) -> Result<Words, InputError> {
    let mut line = String::new();
    let mut notes = Vec::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' if !in_quotes => match chars.next() {
                Some('\n') | None => {}
                Some(e) => line.push(e),
            },
            '"' => {
                in_quotes = !in_quotes;
                line.push('"');
            }
            '\n' | '&' | '|' if !in_quotes => {
                if !line.trim().is_empty() {
                    let rest: String = chars.collect();
                    if rest_has_command(&rest) {
                        notes.push(
                            "only the first curl command was used; the rest was ignored"
                                .to_string(),
                        );
                    }
                    break;
                }
                line.clear();
            }
            _ => line.push(c),
        }
    }
    let words = msvcrt_split(&line);
    let args = match words.first() {
        Some(w) if is_curl_program(w) => words[1..].to_vec(),
        _ => words,
    };
    Ok(Words { args, notes })
}

/// The Microsoft C runtime's argv rules: blanks split outside quotes; `2n` backslashes before a
/// quote are `n` backslashes and the quote toggles quoting, `2n+1` give a literal quote; `""`
/// inside quotes is a literal quote.
fn msvcrt_split(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let run = chars[i..].iter().take_while(|&&b| b == '\\').count();
                in_word = true;
                if chars.get(i + run) == Some(&'"') {
                    cur.extend(std::iter::repeat_n('\\', run / 2));
                    if run % 2 == 1 {
                        cur.push('"');
                        i += run + 1;
                    } else {
                        i += run;
                    }
                } else {
                    cur.extend(std::iter::repeat_n('\\', run));
                    i += run;
                }
                continue;
            }
            '"' => {
                in_word = true;
                if quoted && chars.get(i + 1) == Some(&'"') {
                    cur.push('"');
                    i += 1;
                } else {
                    quoted = !quoted;
                }
            }
            ' ' | '\t' | '\r' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
        i += 1;
    }
    if in_word {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::curl::shell_words;

    fn args(line: &str) -> Vec<String> {
        shell_words(line).expect("splits").args
    }

    #[test]
    fn windows_cmd_lines() {
        let line = "curl ^\"https://example.com/api?a=1^&b=2^\" ^\r\n  -H ^\"accept: */*^\" ^\r\n  -H ^\"x-json: {\\^\"k\\^\":1}^\" ^\r\n  --compressed";
        assert_eq!(
            args(line),
            vec![
                "https://example.com/api?a=1&b=2",
                "-H",
                "accept: */*",
                "-H",
                "x-json: {\"k\":1}",
                "--compressed"
            ]
        );
        assert_eq!(
            msvcrt_split(r#"a "b c" d\\"e f" g"#),
            vec!["a", "b c", "d\\e f", "g"]
        );
    }
}
