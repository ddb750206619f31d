//! Crafted databases for the verifier tests: real client schema, rows written by hand.
#![allow(dead_code)]

pub mod server;

use std::path::PathBuf;

use rusqlite::Connection;
use td_e2e::verify::{ActorDb, CheckResult, Verdict};
use tempfile::TempDir;

/// A tempdir with one `issues.db` per actor, created with td_core's schema.
pub struct World {
    pub dir: TempDir,
    pub dbs: Vec<ActorDb>,
}

impl World {
    pub fn new(actors: &[&str]) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let dbs = actors
            .iter()
            .map(|a| {
                let path = dir.path().join(format!("client-{a}")).join("issues.db");
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let conn = Connection::open(&path).unwrap();
                td_core::schema::apply_pragmas(&conn).unwrap();
                td_core::schema::create(&conn).unwrap();
                ActorDb::new(*a, path)
            })
            .collect();
        World { dir, dbs }
    }

    /// A fresh copy of this world's databases (cheaper than building one per case).
    pub fn copy(&self) -> World {
        let dir = tempfile::tempdir().expect("tempdir");
        let dbs = self
            .dbs
            .iter()
            .map(|d| {
                let rel = d
                    .path
                    .strip_prefix(self.dir.path())
                    .expect("inside the world");
                let path = dir.path().join(rel);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::copy(&d.path, &path).unwrap();
                ActorDb::new(d.actor.clone(), path)
            })
            .collect();
        World { dir, dbs }
    }

    pub fn path(&self, actor: &str) -> PathBuf {
        self.db(actor).path.clone()
    }

    pub fn db(&self, actor: &str) -> &ActorDb {
        self.dbs.iter().find(|d| d.actor == actor).expect("actor")
    }

    /// Runs `sql` (a batch) on one actor's database.
    pub fn exec(&self, actor: &str, sql: &str) {
        let conn = Connection::open(self.path(actor)).unwrap();
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{actor}: {e}\n{sql}"));
    }

    /// Runs `sql` on every actor's database.
    pub fn exec_all(&self, sql: &str) {
        for d in &self.dbs {
            self.exec(&d.actor, sql);
        }
    }

    /// Appends one action_log row to `actor` (synced iff `seq` is given).
    pub fn log(&self, actor: &str, ev: Ev) {
        let conn = Connection::open(self.path(actor)).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM action_log", [], |r| r.get(0))
            .unwrap();
        conn.execute(
            "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
             previous_data, new_data, timestamp, undone, synced_at, server_seq) \
             VALUES (?1, 'ses_test', ?2, ?3, ?4, ?5, ?6, '2026-01-01T00:00:00Z', 0, \
             CASE WHEN ?7 IS NULL THEN NULL ELSE '2026-01-01 00:00:01' END, ?7)",
            rusqlite::params![
                format!("al-{actor}-{n}"),
                ev.action,
                ev.entity,
                ev.id,
                ev.prev,
                ev.new,
                ev.seq
            ],
        )
        .unwrap();
    }

    /// Appends `events` to `actor` in order, as [`World::log`] does.
    pub fn log_all(&self, actor: &str, events: impl IntoIterator<Item = Ev>) {
        for ev in events {
            self.log(actor, ev);
        }
    }
}

/// One action_log row to write.
pub struct Ev {
    pub action: &'static str,
    pub entity: &'static str,
    pub id: &'static str,
    pub seq: Option<i64>,
    pub prev: &'static str,
    pub new: &'static str,
}

pub fn ev(action: &'static str, entity: &'static str, id: &'static str, seq: i64) -> Ev {
    Ev {
        action,
        entity,
        id,
        seq: Some(seq),
        prev: "",
        new: "",
    }
}

impl Ev {
    pub fn prev(mut self, p: &'static str) -> Ev {
        self.prev = p;
        self
    }
    pub fn new_data(mut self, n: &'static str) -> Ev {
        self.new = n;
        self
    }
    /// A status change: previous_data `from`, new_data `to`.
    pub fn moves(self, from: &'static str, to: &'static str) -> Ev {
        self.prev(from).new_data(to)
    }
    pub fn unsynced(mut self) -> Ev {
        self.seq = None;
        self
    }
}

/// The one result whose name starts with `prefix` (panics listing all names otherwise).
pub fn result<'a>(results: &'a [CheckResult], prefix: &str) -> &'a CheckResult {
    let found: Vec<&CheckResult> = results
        .iter()
        .filter(|r| r.name.starts_with(prefix))
        .collect();
    match found.as_slice() {
        [one] => one,
        _ => panic!(
            "expected one result named {prefix:?}, have: {:#?}",
            results.iter().map(|r| &r.name).collect::<Vec<_>>()
        ),
    }
}

/// Asserts every result passed, printing the failures otherwise.
pub fn assert_all_valid(results: &[CheckResult]) {
    let bad: Vec<&CheckResult> = results.iter().filter(|r| !r.passed()).collect();
    assert!(bad.is_empty(), "unexpected failures: {bad:#?}");
    assert!(!results.is_empty());
}

/// Asserts `r` is Invalid and its details contain every needle.
pub fn assert_invalid(r: &CheckResult, needles: &[&str]) {
    assert_eq!(r.verdict, Verdict::Invalid, "expected Invalid: {r:#?}");
    for n in needles {
        assert!(
            r.details.contains(n),
            "details of {} lack {n:?}:\n{}",
            r.name,
            r.details
        );
    }
}

/// The names of the non-passing results.
pub fn failing_names(results: &[CheckResult]) -> Vec<String> {
    results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| r.name.clone())
        .collect()
}

/// Two actors after a clean run: same rows, each actor's own pushed events, cursors at 6.
///
/// alice: create td-aaa111 (1), start (3), review (4).
/// bob:   create td-bbb222 (2), comment cm-1 on td-aaa111 (5), delete td-bbb222 (6).
pub fn synced_world() -> World {
    let w = World::new(&["alice", "bob"]);
    w.exec_all(
        // Explicit times (the built-in board's too): column defaults (CURRENT_TIMESTAMP)
        // differ between the two databases when a second ticks over between them, and tests
        // compare them whole.
        "INSERT INTO issues (id, title, status, created_at, updated_at) VALUES ('td-aaa111', 'first', 'in_review', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
         INSERT INTO issues (id, title, status, deleted_at, created_at, updated_at) VALUES ('td-bbb222', 'second', 'open', '2026-01-01', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
         INSERT INTO comments (id, issue_id, session_id, text, created_at) VALUES ('cm-1', 'td-aaa111', 'ses_b', 'hi', '2026-01-01 00:00:00');
         INSERT INTO sync_state (project_id, last_pushed_action_id, last_pulled_server_seq) VALUES ('p_test', 3, 6);
         UPDATE boards SET created_at = '2026-01-01 00:00:00', updated_at = '2026-01-01 00:00:00';",
    );
    w.log_all(
        "alice",
        [
            ev("create", "issue", "td-aaa111", 1).new_data(OPEN),
            ev("start", "issue", "td-aaa111", 3).moves(OPEN, IN_PROGRESS),
            ev("review", "issue", "td-aaa111", 4).moves(IN_PROGRESS, IN_REVIEW),
        ],
    );
    w.log_all(
        "bob",
        [
            ev("create", "issue", "td-bbb222", 2).new_data(OPEN),
            ev("create", "comments", "cm-1", 5).new_data(r#"{"id":"cm-1"}"#),
            ev("delete", "issue", "td-bbb222", 6).prev(OPEN),
        ],
    );
    w
}

pub const OPEN: &str = r#"{"id":"x","status":"open"}"#;
pub const IN_PROGRESS: &str = r#"{"id":"x","status":"in_progress"}"#;
pub const IN_REVIEW: &str = r#"{"id":"x","status":"in_review"}"#;
