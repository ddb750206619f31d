//! Dependency-cycle resolution for `issue_dependencies` creates (sync spec §7.8).
//!
//! Both sides of an A→B / B→A race compare the same two strings, so every peer keeps the
//! edge whose `issue|depends_on` sorts first, whatever order it saw the events in.

use std::collections::HashSet;

use rusqlite::Connection;
use serde_json::{Map, Value};

use super::error::ApplyError;

/// What to do with an incoming dependency create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// No cycle (or ids missing): apply normally.
    Apply,
    /// The incoming edge wins: its direct reverse edge was removed; apply it.
    ReplacedReverse,
    /// The local edge wins: count as applied, write nothing.
    Skip,
}

/// Checks the incoming edge I→D against local `depends_on` rows and, when it closes a
/// cycle, keeps the lexically smaller of `I|D` and `D|I` (removing the reverse edge).
pub(crate) fn resolve(
    conn: &Connection,
    fields: &Map<String, Value>,
) -> Result<Decision, ApplyError> {
    let (Some(issue), Some(depends_on)) = (text(fields, "issue_id"), text(fields, "depends_on_id"))
    else {
        return Ok(Decision::Apply);
    };
    if !closes_cycle(conn, issue, depends_on)? {
        return Ok(Decision::Apply);
    }
    let incoming = format!("{issue}|{depends_on}");
    let reverse = format!("{depends_on}|{issue}");
    if incoming.as_bytes() >= reverse.as_bytes() {
        return Ok(Decision::Skip);
    }
    conn.execute(
        "DELETE FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2",
        [depends_on, issue],
    )
    .map_err(ApplyError::sql("remove reverse dependency"))?;
    Ok(Decision::ReplacedReverse)
}

fn text<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match fields.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// True when `depends_on == issue` or a `depends_on` path leads from `depends_on` back to
/// `issue` (depth-first, each node visited once).
fn closes_cycle(conn: &Connection, issue: &str, depends_on: &str) -> Result<bool, ApplyError> {
    if issue == depends_on {
        return Ok(true);
    }
    let mut stmt = conn
        .prepare_cached(
            "SELECT depends_on_id FROM issue_dependencies \
             WHERE issue_id = ?1 AND relation_type = 'depends_on'",
        )
        .map_err(ApplyError::sql("prepare dependency walk"))?;
    let mut visited: HashSet<String> = HashSet::new();
    let mut stack = vec![depends_on.to_string()];
    while let Some(node) = stack.pop() {
        if node == issue {
            return Ok(true);
        }
        if !visited.insert(node.clone()) {
            continue;
        }
        let next = stmt
            .query_map([&node], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(ApplyError::sql("walk dependencies"))?;
        stack.extend(next.into_iter().filter(|n| !visited.contains(n)));
    }
    Ok(false)
}
