//! Fast seeding of a client database: issues and their `create` action_log rows written
//! directly with rusqlite, in the shapes td itself writes (td_core::model issue JSON,
//! action_log timestamps), so thousands of pending events take milliseconds instead of
//! thousands of td processes.

use rusqlite::{params, Connection};
use td_core::model::Issue;
use td_core::{ids, time};

/// Inserts `n` open issues titled `<prefix> <i>` and one pending `create`/`issue`
/// action_log row each, attributed to `session`. Returns the issue ids in order.
pub fn issues(conn: &mut Connection, session: &str, prefix: &str, n: usize) -> Vec<String> {
    let tx = conn.transaction().expect("begin seed");
    let mut out = Vec::with_capacity(n);
    {
        let mut issue_stmt = tx
            .prepare(
                "INSERT INTO issues (id, title, description, status, type, priority, points, \
                 labels, created_at, updated_at, creator_session) \
                 VALUES (?1, ?2, ?3, 'open', 'task', 'P2', ?4, ?5, ?6, ?6, ?7)",
            )
            .expect("prepare issue insert");
        let mut log_stmt = tx
            .prepare(
                "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
                 previous_data, new_data, timestamp, undone) \
                 VALUES (?1, ?2, 'create', 'issue', ?3, '', ?4, ?5, 0)",
            )
            .expect("prepare action_log insert");
        for i in 0..n {
            let issue = issue(session, prefix, i);
            issue_stmt
                .execute(params![
                    issue.id,
                    issue.title,
                    issue.description,
                    issue.points,
                    issue.labels_text(),
                    issue.created_at,
                    issue.creator_session
                ])
                .expect("insert issue");
            log_stmt
                .execute(params![
                    ids::prefixed8("al-"),
                    session,
                    issue.id,
                    issue.to_json().to_string(),
                    time::action_log_now()
                ])
                .expect("insert action_log row");
            out.push(issue.id);
        }
    }
    tx.commit().expect("commit seed");
    out
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
