//! Session identity (§4): who "I" am, keyed by (branch, agent, pid, context, worktree).

use std::path::Path;

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use td_core::{ids, time};

/// The current session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub agent_type: String,
    pub worktree_id: String,
}

struct Key {
    branch: String,
    agent_type: String,
    agent_pid: i64,
    match_context_id: String,
    worktree_id: String,
    context_id: String,
}

fn key(base_dir: &Path) -> Key {
    let explicit = std::env::var("TD_SESSION_ID")
        .ok()
        .filter(|s| !s.is_empty());
    let (agent_type, agent_pid, context_id) = match &explicit {
        Some(x) => {
            let clean: String = x
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let agent: String = format!("explicit_{clean}").chars().take(32).collect();
            (agent, 0, format!("explicit:{x}"))
        }
        // Without an explicit identity the parent process (the shell or agent) is the actor.
        None => ("terminal".to_string(), parent_pid(), String::new()),
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| base_dir.to_path_buf());
    let root = crate::git::toplevel(&cwd).unwrap_or(cwd);
    Key {
        branch: crate::git::branch(base_dir),
        agent_type,
        agent_pid,
        match_context_id: std::env::var("TD_CONTEXT_ID").unwrap_or_default(),
        worktree_id: ids::worktree_id(&root.to_string_lossy()),
        context_id,
    }
}

fn parent_pid() -> i64 {
    // SAFETY: getppid has no preconditions and cannot fail.
    i64::from(unsafe { libc::getppid() })
}

/// Finds the newest session for this key (or one with an empty worktree id) and touches
/// it; creates one when none exists. Lookup and insert share one IMMEDIATE transaction:
/// readers take no `db.lock`, and two processes of a new identity starting together must
/// not both insert (two ids for one actor would break every creator/implementer check).
pub fn get_or_create(conn: &Connection, base_dir: &Path) -> Result<Session> {
    let k = key(base_dir);
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .context("begin session transaction")?;
    let session = find_or_insert(&tx, k)?;
    tx.commit().context("commit session")?;
    Ok(session)
}

fn find_or_insert(conn: &Connection, k: Key) -> Result<Session> {
    let now = time::db_now();
    let found: Option<(String, String)> = conn
        .query_row(
            "SELECT id, worktree_id FROM sessions WHERE branch = ?1 AND agent_type = ?2 \
             AND agent_pid = ?3 AND match_context_id = ?4 AND (worktree_id = ?5 OR worktree_id = '') \
             ORDER BY (worktree_id = ?5) DESC, COALESCE(last_activity, started_at) DESC LIMIT 1",
            params![k.branch, k.agent_type, k.agent_pid, k.match_context_id, k.worktree_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .context("look up session")?;
    if let Some((id, _)) = found {
        conn.execute(
            "UPDATE sessions SET last_activity = ?1 WHERE id = ?2",
            params![now, id],
        )
        .context("touch session")?;
        return Ok(Session {
            id,
            agent_type: k.agent_type,
            worktree_id: k.worktree_id,
        });
    }
    let id = ids::session_id();
    conn.execute(
        "INSERT INTO sessions (id, name, branch, agent_type, agent_pid, context_id, \
         match_context_id, worktree_id, started_at, last_activity) \
         VALUES (?1, '', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            id,
            k.branch,
            k.agent_type,
            k.agent_pid,
            k.context_id,
            k.match_context_id,
            k.worktree_id,
            now
        ],
    )
    .context("create session")?;
    Ok(Session {
        id,
        agent_type: k.agent_type,
        worktree_id: k.worktree_id,
    })
}
