//! Time helpers: unix timestamps, HTTP dates and human durations ("3m12s").

use jiff::Timestamp;

/// Current local wall-clock time in unix seconds.
pub fn now_unix() -> i64 {
    Timestamp::now().as_second()
}

/// Parse an HTTP `Date` (IMF-fixdate, RFC 9110 §5.6.7; also the obsolete RFC 850 and asctime
/// forms are rare enough to ignore) into unix seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(s)
        .ok()
        .map(|t| t.as_second())
}

/// `2026-11-22T10:00:00Z`
pub fn format_unix(secs: i64) -> String {
    match Timestamp::from_second(secs) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => format!("{secs} (out of range)"),
    }
}

/// A signed duration in seconds as a short human string: `3m12s`, `2h5m`, `4d3h`, `0s`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        if h > 0 {
            format!("{d}d{h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h}h{m}m")
        } else {
            format!("{h}h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m}m{sec}s")
        } else {
            format!("{m}m")
        }
    } else {
        format!("{sec}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date_round_trip() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(format_unix(784111777), "1994-11-06T08:49:37Z");
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(192), "3m12s");
        assert_eq!(human_duration(-192), "3m12s");
        assert_eq!(human_duration(3600 + 300), "1h5m");
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(86_400 * 2 + 3600), "2d1h");
    }
}
