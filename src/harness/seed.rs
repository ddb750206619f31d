//! Fast seeding of a client database: open issues and their pending `create` action_log
//! rows written directly with rusqlite, in the shapes td itself writes (td_core issue JSON,
//! action_log timestamps), so thousands of pending events take milliseconds instead of
//! thousands of td processes (big pushes in tests and benchmarks).

use std::path::Path;

use rusqlite::{params, Connection, Transaction};
use td_core::model::Issue;
use td_core::{ids, time};

use super::world::Harness;
use super::HarnessError;
use crate::driver::Driver;

impl Harness {
    /// Inserts `n` open issues titled `<prefix> <i>` into `who`'s database (an actor or an
    /// extra device), each with one pending `create` row attributed to its td session.
    /// Returns the issue ids in order.
    pub fn seed_pending_issues(
        &self,
        who: &str,
        prefix: &str,
        n: usize,
    ) -> Result<Vec<String>, HarnessError> {
        let path = self.client_dir(who).join(".todos/issues.db");
        seed_issues(&path, prefix, n)
            .map_err(|e| HarnessError::setup(format!("seed {n} issues on {who}"), e))
    }
}

/// [`Harness::seed_pending_issues`] on the database at `path` (td has run there, so it has
/// a session).
pub fn seed_issues(path: &Path, prefix: &str, n: usize) -> rusqlite::Result<Vec<String>> {
    let mut conn = Connection::open(path)?;
    td_core::schema::apply_pragmas(&conn)?;
    let session: String = conn.query_row("SELECT id FROM sessions LIMIT 1", [], |r| r.get(0))?;
    let tx = conn.transaction()?;
    let ids = insert_all(&tx, &session, prefix, n)?;
    tx.commit()?;
    Ok(ids)
}

fn insert_all(
    tx: &Transaction<'_>,
    session: &str,
    prefix: &str,
    n: usize,
) -> rusqlite::Result<Vec<String>> {
    let mut issue_stmt = tx.prepare(
        "INSERT INTO issues (id, title, description, status, type, priority, points, \
         labels, created_at, updated_at, creator_session) \
         VALUES (?1, ?2, ?3, 'open', 'task', 'P2', ?4, ?5, ?6, ?6, ?7)",
    )?;
    let mut log_stmt = tx.prepare(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
         previous_data, new_data, timestamp, undone) \
         VALUES (?1, ?2, 'create', 'issue', ?3, '', ?4, ?5, 0)",
    )?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let issue = issue(session, prefix, i);
        issue_stmt.execute(params![
            issue.id,
            issue.title,
            issue.description,
            issue.points,
            issue.labels_text(),
            issue.created_at,
            issue.creator_session
        ])?;
        log_stmt.execute(params![
            ids::prefixed8("al-"),
            session,
            issue.id,
            issue.to_json().to_string(),
            time::action_log_now()
        ])?;
        out.push(issue.id);
    }
    Ok(out)
}

/// A plausible issue: a unique id, some text, labels and points.
fn issue(session: &str, prefix: &str, i: usize) -> Issue {
    // Random ids like td's own; a counter suffix rules out collisions in one seed.
    let id = format!("td-{}{:06x}", ids::random_hex(4), i);
    let now = time::db_now();
    Issue {
        id,
        title: format!("{prefix} {i}"),
        description: format!("Seeded issue number {i} for sync tests and benchmarks."),
        status: "open".into(),
        issue_type: "task".into(),
        priority: "P2".into(),
        points: (i % 8) as i64,
        labels: vec!["seed".into(), format!("batch-{}", i / 500)],
        creator_session: session.to_string(),
        created_at: now.clone(),
        updated_at: now,
        ..Issue::default()
    }
}
