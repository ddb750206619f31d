//! Inserting action_log rows: one row = one event for sync.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection};
use td_core::{ids, time};

/// One row to record. `previous`/`new` are JSON text or '' when absent.
pub struct Entry<'a> {
    pub action_type: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub previous: String,
    pub new: String,
}

/// Inserts an action_log row for session `me`.
pub fn record(conn: &Connection, me: &str, e: Entry<'_>) -> Result<String> {
    let id = ids::prefixed8("al-");
    conn.execute(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
         previous_data, new_data, timestamp, undone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
        params![
            id,
            me,
            e.action_type,
            e.entity_type,
            e.entity_id,
            e.previous,
            e.new,
            time::action_log_now()
        ],
    )
    .with_context(|| format!("record {} {} {}", e.action_type, e.entity_type, e.entity_id))?;
    Ok(id)
}
