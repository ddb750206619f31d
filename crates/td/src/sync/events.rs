//! action_log row → push event (sync spec §7.2, §5.1).

use rusqlite::Connection;
use serde_json::{json, Value};
use td_core::event::{canonical_action, canonical_entity_type, is_client_entity};
use td_core::time::to_wire_seconds;
use td_core::wire::{scrub_payload, PushEvent};

use super::error::SyncError;

/// One pending action_log row as it will be pushed.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEvent {
    /// The action_log rowid (= `client_action_id`).
    pub rowid: i64,
    pub event: PushEvent,
}

/// The raw action_log columns the mapping reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionRow {
    pub rowid: i64,
    pub id: Option<String>,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous_data: Option<String>,
    pub new_data: Option<String>,
    pub timestamp: String,
}

/// Maps one row, or None when it must stay pending: empty id, entity type outside the
/// client allowlist, data that is not JSON, or an unreadable timestamp (which the server
/// would refuse for the whole request).
pub fn row_to_event(row: &ActionRow) -> Option<PushEvent> {
    if row.id.as_deref().unwrap_or("").is_empty() {
        return None;
    }
    let entity_type = canonical_entity_type(&row.entity_type).filter(|t| is_client_entity(t))?;
    let mut payload = json!({
        "schema_version": 1,
        "new_data": embed(row.new_data.as_deref())?,
        "previous_data": embed(row.previous_data.as_deref())?,
    });
    scrub_payload(entity_type, &mut payload);
    Some(PushEvent {
        client_action_id: row.rowid,
        action_type: canonical_action(&row.action_type).to_string(),
        entity_type: entity_type.to_string(),
        entity_id: row.entity_id.clone(),
        payload,
        client_timestamp: to_wire_seconds(&row.timestamp)?,
    })
}

/// A data column as a JSON value: empty/NULL/`null` → `{}`; invalid JSON → None.
fn embed(text: Option<&str>) -> Option<Value> {
    let text = text.unwrap_or("").trim();
    if text.is_empty() {
        return Some(json!({}));
    }
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Null => Some(json!({})),
        v => Some(v),
    }
}

/// Pending rows (`synced_at IS NULL`) mapped to events, by rowid. Undone rows are pushed
/// too: undo logs its compensation as a new row, and peers can only replay that
/// compensation after the row it compensates (an undone, never-pushed create followed by
/// its pushed soft delete left the author with a row no peer had; see docs/deviations.md).
pub fn pending_events(conn: &Connection) -> Result<Vec<PendingEvent>, SyncError> {
    let mut stmt = conn
        .prepare(
            "SELECT rowid, id, action_type, entity_type, entity_id, previous_data, new_data, \
             timestamp FROM action_log WHERE synced_at IS NULL ORDER BY rowid",
        )
        .map_err(SyncError::db("read pending action_log rows"))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ActionRow {
                rowid: r.get(0)?,
                id: r.get(1)?,
                action_type: r.get(2)?,
                entity_type: r.get(3)?,
                entity_id: r.get(4)?,
                previous_data: r.get(5)?,
                new_data: r.get(6)?,
                timestamp: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(SyncError::db("read pending action_log rows"))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            row_to_event(row).map(|event| PendingEvent {
                rowid: row.rowid,
                event,
            })
        })
        .collect())
}
