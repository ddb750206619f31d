//! The event-time text soft delete/restore write (sync spec §7.5).

use chrono::Utc;

use crate::time::parse_any;

/// Whole seconds, UTC, `YYYY-MM-DD HH:MM:SS+00:00` (what the original stores for a bound
/// Go time). `None` when `client_timestamp` is unparseable.
pub fn event_time_text(client_timestamp: &str) -> Option<String> {
    let t = parse_any(client_timestamp)?;
    Some(
        t.with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S+00:00")
            .to_string(),
    )
}
