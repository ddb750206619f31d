//! Focus and active work session per (session, worktree), with config.json fallback.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use td_core::time;

use crate::context::Ctx;

fn read(conn: &Connection, ses: &str, wt: &str, col: &str) -> Result<Option<String>> {
    let sql = format!("SELECT {col} FROM session_state WHERE session_id = ?1 AND worktree_id = ?2");
    Ok(conn
        .query_row(&sql, params![ses, wt], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .map(Option::unwrap_or_default))
}

fn write(conn: &Connection, ses: &str, wt: &str, col: &str, value: &str) -> Result<()> {
    let sql = format!(
        "INSERT INTO session_state (session_id, worktree_id, {col}, updated_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(session_id, worktree_id) DO UPDATE SET {col} = excluded.{col}, updated_at = excluded.updated_at"
    );
    conn.execute(&sql, params![ses, wt, value, time::db_now()])?;
    Ok(())
}

pub fn focused(ctx: &Ctx) -> Result<Option<String>> {
    let v = read(
        &ctx.conn,
        ctx.me(),
        &ctx.session.worktree_id,
        "focused_issue_id",
    )?;
    Ok(match v {
        Some(v) => Some(v).filter(|s| !s.is_empty()),
        None => ctx.config.legacy_focus().filter(|s| !s.is_empty()),
    })
}

pub fn set_focus(ctx: &Ctx, issue_id: &str) -> Result<()> {
    write(
        &ctx.conn,
        ctx.me(),
        &ctx.session.worktree_id,
        "focused_issue_id",
        issue_id,
    )
}

/// Clears focus when it points at `issue_id`.
pub fn clear_focus_if(ctx: &Ctx, issue_id: &str) -> Result<()> {
    if focused(ctx)?.as_deref() == Some(issue_id) {
        set_focus(ctx, "")?;
    }
    Ok(())
}

pub fn active_work_session(ctx: &Ctx) -> Result<Option<String>> {
    let v = read(
        &ctx.conn,
        ctx.me(),
        &ctx.session.worktree_id,
        "active_work_session_id",
    )?;
    Ok(match v {
        Some(v) => Some(v).filter(|s| !s.is_empty()),
        None => ctx
            .config
            .legacy_active_work_session()
            .filter(|s| !s.is_empty()),
    })
}

pub fn set_active_work_session(ctx: &Ctx, ws_id: &str) -> Result<()> {
    write(
        &ctx.conn,
        ctx.me(),
        &ctx.session.worktree_id,
        "active_work_session_id",
        ws_id,
    )
}
