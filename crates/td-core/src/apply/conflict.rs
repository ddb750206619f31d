//! Overwritten-row detection (sync spec §7.9). Informational only.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::time::parse_any;

/// Columns consulted, in order, for "when was the local row last modified".
const MODIFIED_COLUMNS: &[&str] = &["updated_at", "timestamp", "created_at"];

/// True when a remote replace of `old` counts as a conflict: the event came from another
/// device, this client has synced before, and the old row changed since then (a row with
/// no parseable time counts as changed).
pub(crate) fn is_conflict(
    old: &Map<String, Value>,
    event_device: &str,
    own_device: &str,
    last_sync_at: Option<DateTime<Utc>>,
) -> bool {
    let Some(last_sync) = last_sync_at else {
        return false;
    };
    if event_device == own_device {
        return false;
    }
    let modified = MODIFIED_COLUMNS
        .iter()
        .filter_map(|c| old.get(*c).and_then(Value::as_str))
        .find_map(parse_any);
    match modified {
        Some(t) => t.with_timezone(&Utc) > last_sync,
        None => true,
    }
}
