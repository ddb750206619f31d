//! The three timestamp layouts (client spec §2.2) and a lenient reader for all of them.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Go `time.Time` column layout in the local zone, fraction trimmed:
/// `2026-01-02 15:04:05.123-07:00`.
pub fn db_now() -> String {
    db_format(&Local::now().fixed_offset())
}

/// Formats an instant in the Go column layout (keeps its offset).
pub fn db_format(t: &DateTime<FixedOffset>) -> String {
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let frac = trimmed_fraction(t.timestamp_subsec_nanos());
    format!("{base}{frac}{}", t.format("%:z"))
}

/// `action_log.timestamp`: UTC RFC3339 with a fixed 9-digit fraction, so text order equals
/// time order (the original trims zeros, which breaks that; see docs/deviations.md).
pub fn action_log_now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// SQLite `CURRENT_TIMESTAMP` layout in UTC: `2026-01-02 03:04:05`.
pub fn sqlite_utc_now() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Go's JSON encoding of `time.Time`: RFC3339 with trimmed nanoseconds and the value's offset.
pub fn json_format(t: &DateTime<FixedOffset>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac = trimmed_fraction(t.timestamp_subsec_nanos());
    let off = if t.offset().local_minus_utc() == 0 {
        "Z".to_string()
    } else {
        t.format("%:z").to_string()
    };
    format!("{base}{frac}{off}")
}

/// Re-renders stored timestamp text as Go JSON time; unparseable text is kept as is.
pub fn db_to_json(text: &str) -> String {
    parse_any(text).map_or_else(|| text.to_string(), |t| json_format(&t))
}

/// Whole-second RFC3339 with the stored offset (wire `client_timestamp`).
pub fn to_wire_seconds(text: &str) -> Option<String> {
    let t = parse_any(text)?;
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let off = if t.offset().local_minus_utc() == 0 {
        "Z".to_string()
    } else {
        t.format("%:z").to_string()
    };
    Some(format!("{base}{off}"))
}

fn trimmed_fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// Reads RFC3339 and `YYYY-MM-DD HH:MM:SS[.f][±HH:MM]` (no offset = UTC).
pub fn parse_any(text: &str) -> Option<DateTime<FixedOffset>> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for layout in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, layout) {
            return Some(t);
        }
    }
    for layout in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, layout) {
            return Some(Utc.from_utc_datetime(&n).fixed_offset());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_round_trip() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.120000000+02:00").unwrap();
        assert_eq!(db_format(&t), "2026-01-02 03:04:05.12+02:00");
        assert_eq!(json_format(&t), "2026-01-02T03:04:05.12+02:00");
        assert_eq!(parse_any("2026-01-02 03:04:05.12+02:00"), Some(t));
        let utc = parse_any("2026-01-02 03:04:05").unwrap();
        assert_eq!(json_format(&utc), "2026-01-02T03:04:05Z");
        assert_eq!(
            to_wire_seconds("2026-01-02T03:04:05.999Z").unwrap(),
            "2026-01-02T03:04:05Z"
        );
    }

    #[test]
    fn action_log_text_sorts_by_time() {
        let a = action_log_now();
        let b = action_log_now();
        assert!(a <= b);
        assert_eq!(a.len(), "2026-01-02T03:04:05.123456789Z".len());
    }
}
