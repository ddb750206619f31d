//! issue_session_history: local-only record of which sessions touched an issue.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection};
use td_core::{ids, time};

/// Records `action` (created, started, unstarted, reviewed, closed, …) by `me`.
pub fn add(conn: &Connection, issue_id: &str, me: &str, action: &str) -> Result<()> {
    // Row ids reuse the 24-bit issue id generator (the original's quirk), so collisions
    // are frequent in a busy project: retried, never fatal.
    let at = time::db_now();
    super::action_log::insert_fresh(ids::issue_id, |id| {
        conn.prepare_cached(
            "INSERT INTO issue_session_history (id, issue_id, session_id, action, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id, issue_id, me, action, at])
    })
    .context("record issue session history")?;
    Ok(())
}

/// True when `session` (any session if `None`) has a row with one of `actions`.
pub fn has(
    conn: &Connection,
    issue_id: &str,
    session: Option<&str>,
    actions: &[&str],
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT action FROM issue_session_history WHERE issue_id = ?1 AND (?2 IS NULL OR session_id = ?2)",
    )?;
    let rows = stmt.query_map(params![issue_id, session], |r| r.get::<_, String>(0))?;
    for a in rows {
        let a = a?;
        if actions.is_empty() || actions.contains(&a.as_str()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Start/unstart rows mean "implementation history".
pub const IMPL: &[&str] = &["started", "unstarted"];
