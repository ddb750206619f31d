//! Backfill (sync spec §7.3): before the first non-empty pull, give every synced row that
//! never got a create event one, and re-snapshot issues whose log would not reproduce them.

use chrono::{SecondsFormat, Utc};
use rusqlite::{params, params_from_iter, Connection};
use serde_json::{Map, Value};
use td_core::apply::scrub_local_only;
use td_core::event::{canonical_action, entity_aliases};
use td_core::schema::{quote_ident, table_columns};
use td_core::{ids, model, time};

use super::error::SyncError;
use super::state::max_pulled_seq;

/// How one synced table is backfilled.
struct Rule {
    table: &'static str,
    /// action_log entity_type of the backfilled rows.
    logged_as: &'static str,
    /// Action types that already count as the row's create (besides `create`, which
    /// backfill itself writes, so a second backfill finds its own rows).
    create_actions: &'static [&'static str],
    /// Rows never backfilled.
    exclude: Option<&'static str>,
}

const RULES: &[Rule] = &[
    rule("issues", "issue", &[], None),
    rule("logs", "logs", &[], None),
    rule("comments", "comments", &[], None),
    rule("handoffs", "handoff", &["handoff"], None),
    rule(
        "boards",
        "boards",
        &["board_create"],
        Some("is_builtin = 1"),
    ),
    rule("work_sessions", "work_sessions", &[], None),
    rule(
        "board_issue_positions",
        "board_position",
        &["board_set_position", "board_add_issue"],
        Some("deleted_at IS NOT NULL"),
    ),
    rule(
        "issue_dependencies",
        "dependency",
        &["add_dependency"],
        None,
    ),
    rule("issue_files", "file_link", &["link_file"], None),
    rule(
        "work_session_issues",
        "work_session_issues",
        &["work_session_tag"],
        None,
    ),
    rule("issue_reviews", "issue_reviews", &[], None),
    rule("notes", "notes", &[], Some("deleted_at IS NOT NULL")),
];

const fn rule(
    table: &'static str,
    logged_as: &'static str,
    create_actions: &'static [&'static str],
    exclude: Option<&'static str>,
) -> Rule {
    Rule {
        table,
        logged_as,
        create_actions,
        exclude,
    }
}

/// True once a pulled page has been recorded in `sync_history`.
fn ever_pulled(conn: &Connection) -> Result<bool, SyncError> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_history WHERE direction = 'pull')",
        [],
        |r| r.get(0),
    )
    .map_err(SyncError::db("read pull history"))
}

/// Columns whose value dates a backfilled event, first parseable wins (else now).
const TIME_COLUMNS: &[&str] = &["created_at", "timestamp", "started_at"];

/// Runs backfill before this database's first non-empty pull — the pull cursor is still 0
/// and no pulled event was ever recorded — and returns how many rows it logged. A cursor
/// reset to 0 on a database that has pulled before must not backfill: its rows came from
/// the server, and backfilling them would push every peer's entity again as this device's
/// own create.
pub fn backfill(conn: &Connection, session_id: &str) -> Result<usize, SyncError> {
    if max_pulled_seq(conn)? != 0 || ever_pulled(conn)? {
        return Ok(0);
    }
    let mut added = 0;
    for rule in RULES {
        added += backfill_orphans(conn, rule, session_id)?;
    }
    added += backfill_stale_issues(conn, session_id)?;
    Ok(added)
}

/// Logs a `create` for every row of `rule.table` without one.
fn backfill_orphans(conn: &Connection, rule: &Rule, session_id: &str) -> Result<usize, SyncError> {
    let ctx = || format!("backfill {}", rule.table);
    let columns: Vec<String> = table_columns(conn, rule.table)
        .map_err(SyncError::db(ctx()))?
        .into_iter()
        .map(|c| c.name)
        .collect();
    if columns.is_empty() {
        return Ok(0);
    }
    let sql = orphan_query(rule, &columns);
    let mut binds: Vec<String> = entity_aliases(rule.table)
        .iter()
        .map(|s| s.to_string())
        .collect();
    binds.extend(create_actions(rule));
    let rows: Vec<Map<String, Value>> = {
        let mut stmt = conn.prepare(&sql).map_err(SyncError::db(ctx()))?;
        let mapped = stmt
            .query_map(params_from_iter(&binds), |r| {
                model::row_to_json(r, &columns)
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(SyncError::db(ctx()))?;
        mapped.into_iter().filter_map(into_map).collect()
    };
    let n = rows.len();
    for mut row in rows {
        scrub_local_only(rule.table, &mut row);
        let at = TIME_COLUMNS
            .iter()
            .find_map(|c| row.get(*c).and_then(Value::as_str).and_then(log_time));
        log_create(conn, session_id, rule.logged_as, &row, at)?;
    }
    Ok(n)
}

fn create_actions(rule: &Rule) -> Vec<String> {
    let mut actions = vec!["create".to_string()];
    actions.extend(rule.create_actions.iter().map(|s| s.to_string()));
    actions
}

/// `SELECT <cols> FROM t WHERE <not excluded> AND NOT EXISTS (<create row>) ORDER BY rowid`;
/// aliases then create actions are bound in that order.
fn orphan_query(rule: &Rule, columns: &[String]) -> String {
    let aliases = entity_aliases(rule.table).len();
    let actions = create_actions(rule).len();
    let marks = |from: usize, n: usize| {
        (from..from + n)
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("t.{}", quote_ident(c)))
        .collect();
    format!(
        "SELECT {} FROM {} t WHERE {} AND NOT EXISTS (SELECT 1 FROM action_log a \
         WHERE a.entity_id = t.id AND lower(a.entity_type) IN ({}) \
         AND lower(a.action_type) IN ({})) ORDER BY t.rowid",
        cols.join(", "),
        quote_ident(rule.table),
        rule.exclude
            .map_or("1".to_string(), |e| format!("NOT ({e})")),
        marks(1, aliases),
        marks(aliases + 1, actions)
    )
}

/// One non-undone action_log row of an issue.
struct LogRow {
    action_type: String,
    new_data: Value,
    previous_data: Value,
    timestamp: String,
}

/// Appends a full-row `create` for every issue whose log would not reproduce it.
fn backfill_stale_issues(conn: &Connection, session_id: &str) -> Result<usize, SyncError> {
    let ctx = "backfill stale issues";
    let columns: Vec<String> = table_columns(conn, "issues")
        .map_err(SyncError::db(ctx))?
        .into_iter()
        .map(|c| c.name)
        .collect();
    let cols: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    let issues: Vec<Map<String, Value>> = {
        let sql = format!("SELECT {} FROM issues ORDER BY rowid", cols.join(", "));
        let mut stmt = conn.prepare(&sql).map_err(SyncError::db(ctx))?;
        let rows = stmt
            .query_map([], |r| model::row_to_json(r, &columns))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(SyncError::db(ctx))?;
        rows.into_iter().filter_map(into_map).collect()
    };
    let mut added = 0;
    for issue in issues {
        let id = issue.get("id").and_then(Value::as_str).unwrap_or("");
        let log = issue_log(conn, id)?;
        if !log.is_empty() && is_stale(&issue, &log) {
            let at = issue
                .get("updated_at")
                .and_then(Value::as_str)
                .and_then(log_time);
            log_create(conn, session_id, "issue", &issue, at)?;
            added += 1;
        }
    }
    Ok(added)
}

fn issue_log(conn: &Connection, id: &str) -> Result<Vec<LogRow>, SyncError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT action_type, new_data, previous_data, timestamp FROM action_log \
             WHERE entity_id = ?1 AND lower(entity_type) IN ('issue', 'issues') AND undone = 0 \
             ORDER BY rowid",
        )
        .map_err(SyncError::db("read issue log"))?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(LogRow {
                action_type: r.get::<_, String>(0)?.to_ascii_lowercase(),
                new_data: parse_data(r.get(1)?),
                previous_data: parse_data(r.get(2)?),
                timestamp: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(SyncError::db("read issue log"))?;
    Ok(rows)
}

fn parse_data(text: Option<String>) -> Value {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

/// The four staleness tests of sync spec §7.3.
fn is_stale(issue: &Map<String, Value>, log: &[LogRow]) -> bool {
    let status = issue.get("status").cloned().unwrap_or(Value::Null);
    deleted_after_create(log)
        || updated_after_log(issue, log)
        || log
            .last()
            .is_some_and(|r| r.new_data.get("status") != Some(&status))
        || !log.iter().any(|r| sets_status(r, &status))
}

/// A `delete` row follows the last `create` row.
fn deleted_after_create(log: &[LogRow]) -> bool {
    let last_create = log.iter().rposition(|r| r.action_type == "create");
    let last_delete = log.iter().rposition(|r| r.action_type == "delete");
    match (last_create, last_delete) {
        (Some(c), Some(d)) => d > c,
        (None, Some(_)) => true,
        _ => false,
    }
}

/// The row was written more than 1 s after its newest logged event.
fn updated_after_log(issue: &Map<String, Value>, log: &[LogRow]) -> bool {
    let Some(updated) = issue
        .get("updated_at")
        .and_then(Value::as_str)
        .and_then(time::parse_any)
    else {
        return false;
    };
    let newest = log
        .iter()
        .filter_map(|r| time::parse_any(&r.timestamp))
        .max();
    newest.is_some_and(|n| (updated - n).num_milliseconds() > 1000)
}

/// Would replaying this row set `status` on a peer?
fn sets_status(row: &LogRow, status: &Value) -> bool {
    if row.new_data.get("status") != Some(status) {
        return false;
    }
    if canonical_action(&row.action_type) == "create" {
        return true;
    }
    let prev_empty = match row.previous_data.as_object() {
        Some(m) => m.is_empty(),
        None => true,
    };
    prev_empty || row.previous_data.get("status") != Some(status)
}

fn into_map(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// An action_log timestamp (UTC RFC3339, 9-digit fraction) for stored time text.
fn log_time(text: &str) -> Option<String> {
    time::parse_any(text).map(|t| {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Nanos, true)
    })
}

/// Inserts a pending `create` row carrying `row` as new_data.
fn log_create(
    conn: &Connection,
    session_id: &str,
    entity_type: &str,
    row: &Map<String, Value>,
    at: Option<String>,
) -> Result<(), SyncError> {
    let entity_id = row.get("id").and_then(Value::as_str).unwrap_or("");
    conn.execute(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
         previous_data, new_data, timestamp, undone) VALUES (?1, ?2, 'create', ?3, ?4, '', ?5, ?6, 0)",
        params![
            ids::prefixed8("al-"),
            session_id,
            entity_type,
            entity_id,
            Value::Object(row.clone()).to_string(),
            at.unwrap_or_else(time::action_log_now)
        ],
    )
    .map_err(SyncError::db(format!("log backfill create {entity_type}/{entity_id}")))?;
    Ok(())
}
