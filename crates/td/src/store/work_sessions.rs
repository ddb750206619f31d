//! work_sessions and work_session_issues (§6.4): a named stretch of work and the issues
//! tagged to it.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::json;
use td_core::{ids, model::object, time};

use super::action_log::{self, Entry};
use super::json_text;

/// One `work_sessions` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkSession {
    pub id: String,
    pub name: String,
    pub session_id: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub start_sha: String,
    pub end_sha: String,
}

const COLUMNS: &str = "id, name, session_id, started_at, ended_at, start_sha, end_sha";

impl WorkSession {
    fn from_row(r: &Row) -> rusqlite::Result<WorkSession> {
        Ok(WorkSession {
            id: r.get(0)?,
            name: r.get(1)?,
            session_id: r.get(2)?,
            started_at: r.get(3)?,
            ended_at: r.get(4)?,
            start_sha: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            end_sha: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
        })
    }
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<WorkSession>> {
    let sql = format!("SELECT {COLUMNS} FROM work_sessions WHERE id = ?1");
    Ok(conn
        .query_row(&sql, [id], WorkSession::from_row)
        .optional()?)
}

/// Where the work session runs (local-only columns, from the current session).
pub struct Place<'a> {
    pub worktree_id: &'a str,
    pub worktree_root: &'a str,
    pub repo_root: &'a str,
}

/// Inserts a work session started now, logged `create`/`work_sessions`.
pub fn create(
    conn: &Connection,
    me: &str,
    name: &str,
    start_sha: &str,
    place: &Place<'_>,
) -> Result<WorkSession> {
    let ws = WorkSession {
        id: ids::work_session_id(),
        name: name.to_string(),
        session_id: me.to_string(),
        started_at: time::db_now(),
        ended_at: None,
        start_sha: start_sha.to_string(),
        end_sha: String::new(),
    };
    conn.execute(
        "INSERT INTO work_sessions (id, name, session_id, worktree_id, worktree_root, repo_root, \
         started_at, start_sha) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ws.id,
            ws.name,
            ws.session_id,
            place.worktree_id,
            place.worktree_root,
            place.repo_root,
            ws.started_at,
            ws.start_sha
        ],
    )
    .context("insert work session")?;
    let new = object([
        ("id", json!(ws.id)),
        ("name", json!(ws.name)),
        ("session_id", json!(ws.session_id)),
        ("started_at", json!(time::db_to_json(&ws.started_at))),
        ("start_sha", json!(ws.start_sha)),
    ]);
    record(conn, me, "create", "work_sessions", &ws.id, json_text(&new))?;
    Ok(ws)
}

/// Ends a work session now, logged `update`/`work_sessions`.
pub fn end(conn: &Connection, me: &str, ws: &WorkSession, end_sha: &str) -> Result<WorkSession> {
    let mut ws = ws.clone();
    ws.ended_at = Some(time::db_now());
    ws.end_sha = end_sha.to_string();
    conn.execute(
        "UPDATE work_sessions SET name = ?2, ended_at = ?3, end_sha = ?4 WHERE id = ?1",
        params![ws.id, ws.name, ws.ended_at, ws.end_sha],
    )
    .with_context(|| format!("end work session {}", ws.id))?;
    let new = object([
        ("id", json!(ws.id)),
        ("name", json!(ws.name)),
        ("session_id", json!(ws.session_id)),
        ("started_at", json!(time::db_to_json(&ws.started_at))),
        (
            "ended_at",
            json!(ws.ended_at.as_deref().map(time::db_to_json)),
        ),
        ("start_sha", json!(ws.start_sha)),
        ("end_sha", json!(ws.end_sha)),
    ]);
    record(conn, me, "update", "work_sessions", &ws.id, json_text(&new))?;
    Ok(ws)
}

fn record(
    conn: &Connection,
    me: &str,
    action: &str,
    entity: &str,
    id: &str,
    new: String,
) -> Result<()> {
    action_log::record(
        conn,
        me,
        Entry {
            action_type: action,
            entity_type: entity,
            entity_id: id,
            previous: String::new(),
            new,
        },
    )?;
    Ok(())
}

/// Tags `issue_id` (`INSERT OR IGNORE`); logged `work_session_tag` even if already tagged.
pub fn tag(conn: &Connection, me: &str, ws_id: &str, issue_id: &str) -> Result<()> {
    let id = ids::work_session_issue_id(ws_id, issue_id);
    let now = time::db_now();
    conn.execute(
        "INSERT OR IGNORE INTO work_session_issues (id, work_session_id, issue_id, tagged_at) \
         VALUES (?1, ?2, ?3, ?4)",
        params![id, ws_id, issue_id, now],
    )
    .with_context(|| format!("tag {issue_id} to {ws_id}"))?;
    let new = object([
        ("id", json!(id)),
        ("work_session_id", json!(ws_id)),
        ("issue_id", json!(issue_id)),
        ("tagged_at", json!(time::db_to_json(&now))),
    ]);
    record(
        conn,
        me,
        "work_session_tag",
        "work_session_issues",
        &id,
        json_text(&new),
    )
}

/// Untags `issue_id`; logged `work_session_untag` even if it was not tagged.
pub fn untag(conn: &Connection, me: &str, ws_id: &str, issue_id: &str) -> Result<()> {
    let id = ids::work_session_issue_id(ws_id, issue_id);
    conn.execute("DELETE FROM work_session_issues WHERE id = ?1", [&id])
        .with_context(|| format!("untag {issue_id} from {ws_id}"))?;
    let new = object([
        ("id", json!(id)),
        ("work_session_id", json!(ws_id)),
        ("issue_id", json!(issue_id)),
    ]);
    record(
        conn,
        me,
        "work_session_untag",
        "work_session_issues",
        &id,
        json_text(&new),
    )
}

/// Issue ids tagged to the work session, in tag order.
pub fn tagged(conn: &Connection, ws_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT issue_id FROM work_session_issues WHERE work_session_id = ?1 ORDER BY rowid",
    )?;
    let rows = stmt.query_map([ws_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// `(type, message)` of the work session's log entries, oldest first.
pub fn logs(conn: &Connection, ws_id: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT type, message FROM logs WHERE work_session_id = ?1 ORDER BY timestamp, rowid",
    )?;
    let rows = stmt.query_map([ws_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// True when `me` recorded a handoff for any of `issues` since `since` (column text).
pub fn handoff_since(conn: &Connection, me: &str, issues: &[String], since: &str) -> Result<bool> {
    let Some(start) = time::parse_any(since) else {
        return Ok(false);
    };
    let mut stmt = conn
        .prepare_cached("SELECT timestamp FROM handoffs WHERE issue_id = ?1 AND session_id = ?2")?;
    for issue in issues {
        let stamps = stmt.query_map(params![issue, me], |r| r.get::<_, String>(0))?;
        for s in stamps {
            if time::parse_any(&s?).is_some_and(|t| t >= start) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
