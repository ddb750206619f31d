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

/// Finds the newest session for this key (or one with an empty worktree id), creating one
/// when none exists, and touches it — in its own commit (`td init`). Commands use
/// [`resolve`] and let [`crate::context::Ctx`] fold the touch into their own transaction.
pub fn get_or_create(conn: &Connection, base_dir: &Path) -> Result<Session> {
    let (session, at) = resolve(conn, base_dir)?;
    touch(conn, &session.id, &at)?;
    Ok(session)
}

/// The session for this process and the `last_activity` it is due. Lookup is a plain read;
/// only a missing session takes an IMMEDIATE transaction (re-checking inside it): readers take
/// no `db.lock`, and two processes of a new identity starting together must not both insert
/// (two ids for one actor would break every creator/implementer check).
pub fn resolve(conn: &Connection, base_dir: &Path) -> Result<(Session, String)> {
    let k = key(base_dir);
    let now = time::db_now();
    if let Some(id) = lookup(conn, &k)? {
        return Ok((k.into_session(id), now));
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .context("begin session transaction")?;
    let id = match lookup(&tx, &k)? {
        Some(id) => id,
        None => insert(&tx, &k, &now)?,
    };
    tx.commit().context("commit session")?;
    Ok((k.into_session(id), now))
}

/// Moves `last_activity` forward to `at` (never backwards: a concurrent process of the same
/// session may have touched it later). Same-offset timestamp text sorts in time order.
pub fn touch(conn: &Connection, id: &str, at: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET last_activity = ?1 WHERE id = ?2 \
         AND (last_activity IS NULL OR last_activity < ?1)",
    )?
    .execute(params![at, id])
    .context("touch session")?;
    Ok(())
}

impl Key {
    fn into_session(self, id: String) -> Session {
        Session {
            id,
            agent_type: self.agent_type,
            worktree_id: self.worktree_id,
        }
    }
}

fn lookup(conn: &Connection, k: &Key) -> Result<Option<String>> {
    conn.prepare_cached(
        "SELECT id FROM sessions WHERE branch = ?1 AND agent_type = ?2 AND agent_pid = ?3 \
         AND match_context_id = ?4 AND (worktree_id = ?5 OR worktree_id = '') \
         ORDER BY (worktree_id = ?5) DESC, COALESCE(last_activity, started_at) DESC LIMIT 1",
    )?
    .query_row(
        params![
            k.branch,
            k.agent_type,
            k.agent_pid,
            k.match_context_id,
            k.worktree_id
        ],
        |r| r.get(0),
    )
    .optional()
    .context("look up session")
}

fn insert(conn: &Connection, k: &Key, now: &str) -> Result<String> {
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
    Ok(id)
}
