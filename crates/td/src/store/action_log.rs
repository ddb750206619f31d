//! Inserting action_log rows: one row = one event for sync.

use anyhow::{Context as _, Result};
use rusqlite::{params, Connection};
use td_core::{ids, time};

/// One row to record. `previous`/`new` are JSON text or '' when absent.
pub struct Entry<'a> {
    pub action_type: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub previous: String,
    pub new: String,
}

/// Inserts an action_log row for session `me`.
pub fn record(conn: &Connection, me: &str, e: Entry<'_>) -> Result<String> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
         previous_data, new_data, timestamp, undone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
    )?;
    insert_fresh(
        || ids::prefixed8("al-"),
        |id| {
            stmt.execute(params![
                id,
                me,
                e.action_type,
                e.entity_type,
                e.entity_id,
                e.previous,
                e.new,
                time::action_log_now()
            ])
        },
    )
    .with_context(|| format!("record {} {} {}", e.action_type, e.entity_type, e.entity_id))
}

/// Inserts a row under a fresh random id: `insert(id)` runs the INSERT, and a primary-key
/// collision is retried with a new id. Random ids collide at scale (birthday bound: 50 % by
/// ~77k rows for the 32-bit `al-`/`lg-`/… ids, by ~5k rows for the 24-bit history ids), and
/// a collision must not fail the user's command. Returns the id used.
pub fn insert_fresh(
    fresh: impl Fn() -> String,
    mut insert: impl FnMut(&str) -> rusqlite::Result<usize>,
) -> rusqlite::Result<String> {
    const ATTEMPTS: usize = 5;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let id = fresh();
        match insert(&id) {
            Ok(_) => return Ok(id),
            Err(e) if is_pk_collision(&e) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("ATTEMPTS > 0"))
}

fn is_pk_collision(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT UNIQUE); INSERT INTO t VALUES ('a', 'x');",
        )
        .unwrap();
        conn
    }

    #[test]
    fn a_colliding_id_is_replaced() {
        let conn = table();
        let ids = RefCell::new(vec!["b", "a", "a"]);
        let got = insert_fresh(
            || ids.borrow_mut().pop().unwrap().to_string(),
            |id| conn.execute("INSERT INTO t VALUES (?1, ?1)", [id]),
        )
        .unwrap();
        assert_eq!(got, "b");
        assert!(ids.borrow().is_empty());
    }

    #[test]
    fn gives_up_after_repeated_collisions_and_passes_other_errors_through() {
        let conn = table();
        let tries = RefCell::new(0);
        let err = insert_fresh(
            || {
                *tries.borrow_mut() += 1;
                "a".to_string()
            },
            |id| conn.execute("INSERT INTO t VALUES (?1, ?1)", [id]),
        )
        .unwrap_err();
        assert!(is_pk_collision(&err));
        assert_eq!(*tries.borrow(), 5);
        // A UNIQUE violation on another column is not an id collision: no retry.
        *tries.borrow_mut() = 0;
        let err = insert_fresh(
            || {
                *tries.borrow_mut() += 1;
                "c".to_string()
            },
            |id| conn.execute("INSERT INTO t VALUES (?1, 'x')", [id]),
        )
        .unwrap_err();
        assert!(!is_pk_collision(&err));
        assert_eq!(*tries.borrow(), 1);
    }
}
