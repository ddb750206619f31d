//! Dependency-cycle resolution for `issue_dependencies` creates (sync spec §7.8).
//!
//! Both sides of an A→B / B→A race compare the same two strings, so every peer keeps the
//! edge whose `issue|depends_on` sorts first, whatever order it saw the events in.

use std::collections::{BTreeSet, HashSet};

use rusqlite::{Connection, OptionalExtension};
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

/// Checks the incoming edge I→D (event `seq`, row id `dep_id`) and, when it closes a cycle,
/// keeps the lexically smaller of `I|D` and `D|I` (removing the reverse edge).
///
/// The cycle test runs on the edges the server log implies *before* `seq`, not on the raw
/// local rows: this client's own dependency changes that are not yet replayed in seq order
/// (unpushed rows, or pushed ones at `seq` or later) are reverted for the test. Otherwise a
/// client that already removed an edge locally (and pushed that removal after `seq`) would
/// accept an edge every other client skips, and the peers diverge forever.
pub(crate) fn resolve(
    conn: &Connection,
    fields: &Map<String, Value>,
    seq: i64,
    dep_id: &str,
) -> Result<Decision, ApplyError> {
    let (Some(issue), Some(depends_on)) = (text(fields, "issue_id"), text(fields, "depends_on_id"))
    else {
        return Ok(Decision::Apply);
    };
    let graph = log_prefix_edges(conn, seq)?;
    if !closes_cycle(&graph, issue, depends_on) {
        return Ok(Decision::Apply);
    }
    let incoming = format!("{issue}|{depends_on}");
    let reverse = format!("{depends_on}|{issue}");
    if incoming.as_bytes() >= reverse.as_bytes() {
        drop_if_only_this_event(conn, seq, dep_id)?;
        return Ok(Decision::Skip);
    }
    conn.execute(
        "DELETE FROM issue_dependencies WHERE issue_id = ?1 AND depends_on_id = ?2",
        [depends_on, issue],
    )
    .map_err(ApplyError::sql("remove reverse dependency"))?;
    Ok(Decision::ReplacedReverse)
}

type Edges = BTreeSet<(String, String)>;

/// The dependency pair an action_log payload names.
fn pair(json: &str) -> Option<(String, String)> {
    let v: Value = serde_json::from_str(json).ok()?;
    let i = v.get("issue_id")?.as_str()?.to_string();
    let d = v.get("depends_on_id")?.as_str()?.to_string();
    Some((i, d))
}

/// Local `depends_on` edges with this client's not-yet-replayed own changes reverted,
/// newest first: what replaying the server log up to `seq` (exclusive) left.
fn log_prefix_edges(conn: &Connection, seq: i64) -> Result<Edges, ApplyError> {
    let walk = ApplyError::sql("read dependency edges");
    let mut edges: Edges = conn
        .prepare_cached(
            "SELECT issue_id, depends_on_id FROM issue_dependencies WHERE relation_type = 'depends_on'",
        )
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Edges>>()
        })
        .map_err(walk)?;
    let rows: Vec<(String, String, String)> = conn
        .prepare_cached(
            "SELECT action_type, COALESCE(new_data, ''), COALESCE(previous_data, '') FROM action_log \
             WHERE entity_type IN ('issue_dependencies', 'dependency') \
             AND (server_seq IS NULL OR server_seq >= ?1) ORDER BY rowid DESC",
        )
        .and_then(|mut st| {
            st.query_map([seq], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(ApplyError::sql("read own dependency changes"))?;
    for (action, new, prev) in rows {
        match action.as_str() {
            "add_dependency" => {
                if let Some(p) = pair(&new) {
                    edges.remove(&p);
                }
            }
            "remove_dependency" => {
                if let Some(p) = pair(&prev) {
                    edges.insert(p);
                }
            }
            _ => {}
        }
    }
    Ok(edges)
}

/// A skipped event leaves no trace: when the local row exists only because this client
/// authored this very event (its newest own change of the row is the event at `seq`),
/// the row goes, as it does not exist in the log's outcome.
fn drop_if_only_this_event(conn: &Connection, seq: i64, dep_id: &str) -> Result<(), ApplyError> {
    let newest: Option<(String, Option<i64>)> = conn
        .query_row(
            "SELECT action_type, server_seq FROM action_log \
             WHERE entity_type IN ('issue_dependencies', 'dependency') AND entity_id = ?1 \
             ORDER BY rowid DESC LIMIT 1",
            [dep_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(ApplyError::sql("read own dependency change"))?;
    if let Some((action, Some(s))) = newest {
        if action == "add_dependency" && s == seq {
            conn.execute("DELETE FROM issue_dependencies WHERE id = ?1", [dep_id])
                .map_err(ApplyError::sql("drop skipped dependency"))?;
        }
    }
    Ok(())
}

fn text<'a>(fields: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    match fields.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// True when `depends_on == issue` or a path leads from `depends_on` back to `issue`
/// (depth-first, each node visited once).
fn closes_cycle(edges: &Edges, issue: &str, depends_on: &str) -> bool {
    if issue == depends_on {
        return true;
    }
    let mut visited: HashSet<&str> = HashSet::new();
    let mut stack = vec![depends_on];
    while let Some(node) = stack.pop() {
        if node == issue {
            return true;
        }
        if !visited.insert(node) {
            continue;
        }
        let next = edges
            .range((node.to_string(), String::new())..)
            .take_while(|(from, _)| from == node)
            .map(|(_, to)| to.as_str());
        stack.extend(next.filter(|n| !visited.contains(n)));
    }
    false
}
