//! The write primitives of §6: every mutation writes its data change and exactly its
//! action_log rows, inside the caller's transaction.

pub mod action_log;
pub mod boards;
pub mod deps;
pub mod entities;
pub mod files;
pub mod history;
pub mod issues;
pub mod logs;
pub mod reviews;
pub mod session_state;
pub mod work_sessions;

/// JSON text of a payload for an action_log column.
pub fn json_text(v: &serde_json::Value) -> String {
    serde_json::to_string(v).expect("serde_json::Value always serializes")
}

/// After a dependency/file/tag change: an active approval no longer holds. Supersedes it
/// and clears reviewer_session/reviewed_at with a logged update (§6.4).
pub fn invalidate_approval(
    conn: &rusqlite::Connection,
    me: &str,
    issue_id: &str,
) -> anyhow::Result<()> {
    if reviews::active_approval(conn, issue_id)?.is_none() {
        return Ok(());
    }
    reviews::supersede_active(conn, me, issue_id)?;
    let mut issue = issues::must_get(conn, issue_id)?;
    issue.reviewer_session.clear();
    issue.reviewed_at = None;
    issues::write_logged(
        conn,
        me,
        issue,
        "update",
        issues::Guard::None,
        issues::Payload::Plain,
    )?;
    Ok(())
}
