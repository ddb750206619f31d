//! Comments and handoffs (§6.4): one row plus one action_log row each.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use td_core::{ids, model::object, time};

use super::action_log::{self, Entry};
use super::json_text;

/// Inserts a comment; returns its id.
pub fn add_comment(conn: &Connection, me: &str, issue_id: &str, text: &str) -> Result<String> {
    let ts = time::db_now();
    let id = action_log::insert_fresh(
        || ids::prefixed8("cm-"),
        |id| {
            conn.execute(
                "INSERT INTO comments (id, issue_id, session_id, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, issue_id, me, text, ts],
            )
        },
    )
    .context("insert comment")?;
    let new = object([
        ("id", json!(id)),
        ("issue_id", json!(issue_id)),
        ("session_id", json!(me)),
        ("text", json!(text)),
        ("created_at", json!(time::db_to_json(&ts))),
    ]);
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "create",
            entity_type: "comments",
            entity_id: &id,
            previous: String::new(),
            new: json_text(&new),
        },
    )?;
    Ok(id)
}

/// The four handoff lists; `None` is a nil list (stored `null`).
#[derive(Debug, Clone, Default)]
pub struct HandoffLists {
    pub done: Option<Vec<String>>,
    pub remaining: Option<Vec<String>>,
    pub decisions: Option<Vec<String>>,
    pub uncertain: Option<Vec<String>>,
}

fn list_text(l: &Option<Vec<String>>) -> String {
    match l {
        Some(v) => serde_json::to_string(v).expect("strings serialize"),
        None => "null".into(),
    }
}

/// Inserts a handoff (action `handoff`/`handoff`); returns its id.
pub fn add_handoff(
    conn: &Connection,
    me: &str,
    issue_id: &str,
    lists: &HandoffLists,
) -> Result<String> {
    let ts = time::db_now();
    let (d, r, de, u) = (
        list_text(&lists.done),
        list_text(&lists.remaining),
        list_text(&lists.decisions),
        list_text(&lists.uncertain),
    );
    let id = action_log::insert_fresh(
        || ids::prefixed8("ho-"),
        |id| {
            conn.execute(
                "INSERT INTO handoffs (id, issue_id, session_id, done, remaining, decisions, uncertain, timestamp) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, issue_id, me, d, r, de, u, ts],
            )
        },
    )
    .context("insert handoff")?;
    let stamp = time::parse_any(&ts)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or(ts);
    let new = object([
        ("id", json!(id)),
        ("issue_id", json!(issue_id)),
        ("session_id", json!(me)),
        ("done", json!(d)),
        ("remaining", json!(r)),
        ("decisions", json!(de)),
        ("uncertain", json!(u)),
        ("timestamp", json!(stamp)),
    ]);
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "handoff",
            entity_type: "handoff",
            entity_id: &id,
            previous: String::new(),
            new: json_text(&new),
        },
    )?;
    Ok(id)
}

/// True when the issue has at least one handoff.
pub fn has_handoff(conn: &Connection, issue_id: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM handoffs WHERE issue_id = ?1 LIMIT 1",
            [issue_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
