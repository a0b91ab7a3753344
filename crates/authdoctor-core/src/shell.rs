//! Quoting for the shell commands the report suggests. Values in them can come from a HAR, a
//! server's header or the user's URL, so each is quoted by a well-kept implementation (`shlex`,
//! POSIX sh rules) and can never break out of its word (`'$(…)'`, backquotes, newlines).

/// One shell word.
pub fn quote(s: &str) -> String {
    match shlex::try_quote(s) {
        Ok(q) => q.into_owned(),
        // Only a NUL byte cannot be quoted: drop it rather than emit a broken command.
        Err(_) => shlex::try_quote(&s.replace('\0', ""))
            .map(|q| q.into_owned())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn nothing_breaks_out() {
        for hostile in [
            "'$(touch /tmp/x)'",
            "a`id`b",
            "x\ny; rm -rf ~",
            "$HOME",
            "it's",
        ] {
            let q = quote(hostile);
            assert_eq!(shlex::split(&q).unwrap(), vec![hostile.to_string()], "{q}");
        }
        assert_eq!(quote("https://h/p"), "https://h/p");
    }
}
