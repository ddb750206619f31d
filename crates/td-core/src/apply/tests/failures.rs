//! Quarantine, orphan skips and transient classification (sync spec §7.7).

use rusqlite::ffi;
use serde_json::json;

use super::*;
use crate::apply::error::sqlite_kind;
use crate::apply::{record_page, FailureKind, SkipReason};

#[test]
fn permanent_failures_are_quarantined_without_wedging_later_events() {
    let conn = db();
    let mut bad_payload = create(3, "issues", "td-000003", json!({}));
    bad_payload.payload = json!("not an object");
    let events = vec![
        create(1, "sessions", "ses_1", json!({"id":"ses_1"})),
        ev(
            2,
            BOB,
            "frobnicate",
            "issues",
            "td-000002",
            issue("td-000002", "x"),
            json!({}),
        ),
        bad_payload,
        create(4, "issues", "", issue("td-000004", "x")),
        create(5, "issues", "td-000005", json!({})),
        create(6, "issues", "td-000006", issue("td-000006", "survivor")),
    ];
    let out = apply(&conn, &events);
    assert_eq!(out.applied, 1);
    assert_eq!(out.received, 6);
    let errors: Vec<(i64, &str)> = out
        .skipped
        .iter()
        .map(|s| (s.server_seq, s.error.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (1, "invalid entity type: sessions"),
            (2, "unknown action type: frobnicate"),
            (3, "undecodable payload: expected an object, got a string"),
            (4, "empty entity id"),
            (5, "payload has no fields"),
        ]
    );
    assert!(out
        .skipped
        .iter()
        .all(|s| s.reason == SkipReason::Quarantined));
    assert_eq!(col(&conn, "issues", "title", "td-000006"), "text:survivor");
}

#[test]
fn record_page_writes_skips_conflicts_and_one_history_row_per_event() {
    let conn = db();
    let events = vec![
        create(1, "issues", "td-000001", issue("td-000001", "a")),
        create(
            2,
            "comments",
            "cm-1",
            json!({"id":"cm-1","issue_id":"td-none00","session_id":"s","text":"x"}),
        ),
        ev(
            3,
            BOB,
            "create",
            "issues",
            "td-000001",
            issue("td-000001", "b"),
            json!({}),
        ),
    ];
    let out = apply_page(&conn, &events, ALICE, Some("2000-01-01 00:00:00"));
    record_page(&conn, &events, &out).unwrap();
    record_page(&conn, &events, &out).unwrap();
    let skipped: (i64, String, String, String) = conn
        .query_row(
            "SELECT server_seq, reason, error, json_extract(payload, '$.new_data.issue_id') FROM sync_skipped_events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(skipped.0, 2);
    assert_eq!(skipped.1, "orphaned_parent");
    assert!(skipped.2.starts_with("orphaned comments/cm-1"));
    assert_eq!(skipped.3, "td-none00");
    assert_eq!(
        count(&conn, "sync_skipped_events"),
        1,
        "keyed by server_seq"
    );
    assert_eq!(count(&conn, "sync_conflicts"), 2);
    let history: Vec<String> = conn
        .prepare("SELECT direction||' '||action_type||' '||entity_type||' '||entity_id||' '||server_seq||' '||device_id FROM sync_history ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        history,
        vec![
            "pull create issues td-000001 1 dev-alice",
            "pull create comments cm-1 2 dev-alice",
            "pull create issues td-000001 3 dev-bob",
        ]
    );
}

fn failure(code: i32) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some("whatever text".into()))
}

#[test]
fn classification_is_by_error_kind_not_text() {
    let cases = [
        (ffi::SQLITE_BUSY, FailureKind::Transient),
        (ffi::SQLITE_LOCKED, FailureKind::Transient),
        (ffi::SQLITE_IOERR_WRITE, FailureKind::Transient),
        (ffi::SQLITE_FULL, FailureKind::Transient),
        (ffi::SQLITE_CANTOPEN, FailureKind::Transient),
        (ffi::SQLITE_INTERRUPT, FailureKind::Transient),
        (ffi::SQLITE_CONSTRAINT_UNIQUE, FailureKind::Permanent),
        (ffi::SQLITE_CONSTRAINT_NOTNULL, FailureKind::Permanent),
        (ffi::SQLITE_MISMATCH, FailureKind::Permanent),
        (ffi::SQLITE_ERROR, FailureKind::Permanent),
    ];
    for (code, want) in cases {
        assert_eq!(sqlite_kind(&failure(code)), want, "sqlite code {code}");
    }
    // Unrecognised kinds are transient, whatever their text says.
    let misleading = rusqlite::Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_PROTOCOL),
        Some("FOREIGN KEY constraint failed".into()),
    );
    assert_eq!(sqlite_kind(&misleading), FailureKind::Transient);
    assert_eq!(
        sqlite_kind(&rusqlite::Error::InvalidQuery),
        FailureKind::Transient
    );
}

/// A database file locked by another writer: every event fails transiently and the page
/// reports the first one.
#[test]
fn locked_database_is_a_transient_page_failure() {
    let path = std::env::temp_dir().join(format!("td-core-apply-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let holder = Connection::open(&path).unwrap();
    schema::create(&holder).unwrap();
    let victim = Connection::open(&path).unwrap();
    victim.busy_timeout(std::time::Duration::ZERO).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let events = [
        create(7, "issues", "td-000007", issue("td-000007", "a")),
        create(8, "issues", "td-000008", issue("td-000008", "b")),
    ];
    let out = apply_page(&victim, &events, ALICE, None);
    holder.execute_batch("ROLLBACK").unwrap();
    drop((holder, victim));
    let _ = std::fs::remove_file(&path);
    let t = out.transient.expect("transient failure");
    assert_eq!((t.failed, t.first_seq), (2, 7));
    assert!(
        out.skipped.is_empty(),
        "transient failures are not quarantined"
    );
    assert!(
        t.to_string()
            .starts_with("2 remote event(s) failed (first: seq=7: "),
        "{t}"
    );
}
