//! The verifier's reader: read-only, typed, unambiguous.

use crate::support::{synced_world, World};
use rusqlite::types::Value;
use td_e2e::verify::db::{query, render_row, render_value, ReadOnlyDb};
use td_e2e::verify::{db_hash, VerifyError};

#[test]
fn the_reader_cannot_write() {
    let w = synced_world();
    let before = std::fs::read(w.path("alice")).unwrap();
    let db = ReadOnlyDb::open(&w.path("alice")).unwrap();
    let err = db.rows("DELETE FROM issues", []).unwrap_err();
    assert!(matches!(err, VerifyError::Query { .. }), "{err}");
    assert!(err.to_string().contains("DELETE FROM issues"), "{err}");
    drop(db);
    assert_eq!(std::fs::read(w.path("alice")).unwrap(), before);
}

#[test]
fn values_keep_their_types() {
    let w = World::new(&["alice"]);
    let (cols, rows) = query(
        &w.path("alice"),
        "SELECT NULL AS n, '' AS e, 0 AS z, '0' AS t, 1.0 AS r, x'00ff' AS b, 'a\"b' || char(10) AS q",
    )
    .unwrap();
    assert_eq!(cols, ["n", "e", "z", "t", "r", "b", "q"]);
    assert_eq!(rows[0][0], Value::Null);
    let rendered: Vec<String> = rows[0].iter().map(render_value).collect();
    assert_eq!(
        rendered,
        [
            "NULL",
            r#""""#,
            "0",
            r#""0""#,
            "1.0",
            "x'00ff'",
            r#""a\"b\n""#
        ]
    );
    assert_eq!(render_row(&cols, &rows[0][..2]), r#"{n: NULL, e: ""}"#);
}

#[test]
fn the_hash_covers_deleted_at_and_ignores_unhashed_tables() {
    let w = synced_world();
    let h = db_hash(&w.path("alice")).unwrap();
    assert_eq!(h.len(), 64);
    assert_eq!(h, db_hash(&w.path("bob")).unwrap(), "same rows, same hash");
    // Local-only tables are not hashed.
    w.exec("alice", "INSERT INTO sessions (id) VALUES ('ses_new')");
    assert_eq!(h, db_hash(&w.path("alice")).unwrap());
    w.exec(
        "alice",
        "UPDATE issues SET deleted_at = deleted_at || ' ' WHERE deleted_at IS NOT NULL",
    );
    assert_ne!(h, db_hash(&w.path("alice")).unwrap());
}

#[test]
fn a_missing_file_is_an_error_and_is_not_created() {
    let w = World::new(&["alice"]);
    let missing = w.dir.path().join("none.db");
    assert!(matches!(
        ReadOnlyDb::open(&missing),
        Err(VerifyError::Missing(_))
    ));
    assert!(!missing.exists());
}
