//! Writing to stdout without panicking: `authdoctor … | head` closes the pipe early, and that is
//! the reader's choice, not an error worth a stack trace.

use std::io::Write;

/// Write `s` to stdout; on a closed pipe, stop quietly (exit 0 would hide a diagnosis, so keep
/// the code the command would have returned: the caller cannot know it yet, use 141 like a
/// shell's SIGPIPE death).
pub fn write(s: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        std::process::exit(crate::exit::USAGE);
    }
}

/// `println!` that never panics.
macro_rules! outln {
    () => { $crate::out::write("\n") };
    ($($arg:tt)*) => { $crate::out::write(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(&format!($($arg)*)) };
}

pub(crate) use {out, outln};
