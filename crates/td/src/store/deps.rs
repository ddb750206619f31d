//! issue_dependencies (§6.4, §7.6): add/remove with their action_log rows, cycle check.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use td_core::{ids, model::object};

use super::action_log::{self, Entry};
use super::json_text;

/// What adding a dependency did. (`Added::Added` reads naturally at the call sites in
/// `dep`, `create`, `update` and `undo`, hence the allow.)
#[allow(clippy::enum_variant_names)]
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Added,
    AlreadyExists,
    WouldCycle,
}

/// Ids `issue` depends on (relation depends_on).
pub fn depends_on(conn: &Connection, issue: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT depends_on_id FROM issue_dependencies WHERE issue_id = ?1 AND relation_type = 'depends_on' ORDER BY depends_on_id",
    )?;
    let rows = stmt.query_map([issue], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Ids that depend on `issue`.
pub fn dependents(conn: &Connection, issue: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT issue_id FROM issue_dependencies WHERE depends_on_id = ?1 AND relation_type = 'depends_on' ORDER BY issue_id",
    )?;
    let rows = stmt.query_map([issue], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// True when `to` is reachable from `from` over depends_on edges.
pub fn reachable(conn: &Connection, from: &str, to: &str) -> Result<bool> {
    let mut stack = vec![from.to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(n) = stack.pop() {
        if n == to {
            return Ok(true);
        }
        if seen.insert(n.clone()) {
            stack.extend(depends_on(conn, &n)?);
        }
    }
    Ok(false)
}

fn dep_json(id: &str, issue: &str, dep: &str) -> serde_json::Value {
    object([
        ("id", json!(id)),
        ("issue_id", json!(issue)),
        ("depends_on_id", json!(dep)),
        ("relation_type", json!("depends_on")),
    ])
}

/// `issue` depends on `dep` (both must exist; caller checks).
pub fn add(conn: &Connection, me: &str, issue: &str, dep: &str) -> Result<Added> {
    if issue == dep || reachable(conn, dep, issue)? {
        return Ok(Added::WouldCycle);
    }
    let exists = conn
        .query_row(
            "SELECT 1 FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2 AND relation_type = 'depends_on'",
            params![issue, dep],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if exists {
        return Ok(Added::AlreadyExists);
    }
    let id = ids::dependency_id(issue, dep, "depends_on");
    conn.execute(
        "INSERT OR REPLACE INTO issue_dependencies (id, issue_id, depends_on_id, relation_type) VALUES (?1, ?2, ?3, 'depends_on')",
        params![id, issue, dep],
    )
    .context("insert dependency")?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "add_dependency",
            entity_type: "issue_dependencies",
            entity_id: &id,
            previous: String::new(),
            new: json_text(&dep_json(&id, issue, dep)),
        },
    )?;
    Ok(Added::Added)
}

/// Removes `issue` → `dep` if present; returns whether a row was removed.
pub fn remove(conn: &Connection, me: &str, issue: &str, dep: &str) -> Result<bool> {
    let id: Option<String> = conn
        .query_row(
            "SELECT id FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2",
            params![issue, dep],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else { return Ok(false) };
    conn.execute("DELETE FROM issue_dependencies WHERE id = ?1", [&id])?;
    action_log::record(
        conn,
        me,
        Entry {
            action_type: "remove_dependency",
            entity_type: "issue_dependencies",
            entity_id: &id,
            previous: json_text(&dep_json(&id, issue, dep)),
            new: String::new(),
        },
    )?;
    Ok(true)
}
