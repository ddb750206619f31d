//! Log entries (§6.3): every logs row gets its `create`/`logs` action_log row.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection};
use serde_json::json;
use td_core::{ids, model::object, time};

use super::action_log::{self, Entry};

/// Inserts a log entry and its action_log row; returns the log id.
pub fn add(
    conn: &Connection,
    me: &str,
    issue_id: &str,
    message: &str,
    log_type: &str,
    work_session_id: &str,
) -> Result<String> {
    let ts = time::db_now();
    let id = action_log::insert_fresh(
        || ids::prefixed8("lg-"),
        |id| {
            conn.execute(
                "INSERT INTO logs (id, issue_id, session_id, work_session_id, message, type, timestamp) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, issue_id, me, work_session_id, message, log_type, ts],
            )
        },
    )
    .context("insert log")?;
    let new = object([
        ("id", json!(id)),
        ("issue_id", json!(issue_id)),
        ("session_id", json!(me)),
        ("work_session_id", json!(work_session_id)),
        ("message", json!(message)),
        ("type", json!(log_type)),
        ("timestamp", json!(time::db_to_json(&ts))),
    ]);
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "create",
            entity_type: "logs",
            entity_id: &id,
            previous: String::new(),
            new: super::json_text(&new),
        },
    )?;
    Ok(id)
}
