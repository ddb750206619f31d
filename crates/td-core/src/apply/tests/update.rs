//! update = field-level diff of previous vs new as a partial UPDATE (sync spec §7.5, §7.9).

use serde_json::json;

use super::*;

const ID: &str = "td-000001";

fn base() -> Value {
    issue(ID, "base")
}

fn edit(seq: i64, device: &str, key: &str, val: Value) -> PullEvent {
    ev(
        seq,
        device,
        "update",
        "issues",
        ID,
        with(base(), key, val),
        base(),
    )
}

#[test]
fn concurrent_edits_of_different_fields_both_survive() {
    let conn = db();
    apply(&conn, &[create(1, "issues", ID, base())]);
    apply(
        &conn,
        &[
            edit(2, ALICE, "title", json!("alice title")),
            edit(3, BOB, "priority", json!("P0")),
            edit(4, ALICE, "labels", json!(["x", "y"])),
            edit(5, BOB, "description", json!("bob desc")),
        ],
    );
    assert_eq!(col(&conn, "issues", "title", ID), "text:alice title");
    assert_eq!(col(&conn, "issues", "priority", ID), "text:P0");
    assert_eq!(col(&conn, "issues", "labels", ID), "text:x,y");
    assert_eq!(col(&conn, "issues", "description", ID), "text:bob desc");
}

#[test]
fn same_field_race_is_won_by_the_higher_seq_whatever_the_slice_order() {
    let conn = db();
    apply(&conn, &[create(1, "issues", ID, base())]);
    apply(
        &conn,
        &[
            edit(3, BOB, "title", json!("bob")),
            edit(2, ALICE, "title", json!("alice")),
        ],
    );
    assert_eq!(col(&conn, "issues", "title", ID), "text:bob");
}

#[test]
fn update_never_inserts() {
    let conn = db();
    let out = apply(
        &conn,
        &[
            edit(1, BOB, "title", json!("x")),
            ev(2, BOB, "update", "issues", ID, base(), json!({})),
        ],
    );
    assert_eq!(out.applied, 2, "a no-op update still counts as applied");
    assert_eq!(count(&conn, "issues"), 0);
}

#[test]
fn only_changed_fields_are_written() {
    let conn = db();
    apply(&conn, &[create(1, "issues", ID, base())]);
    conn.execute(
        "UPDATE issues SET points = 5, sprint = 'local' WHERE id = ?1",
        [ID],
    )
    .unwrap();
    // points 0 → 0.0 is no change (numbers by value); sprint is untouched by the event.
    let prev = base();
    let new = with(with(base(), "points", json!(0.0)), "title", json!("t2"));
    apply(&conn, &[ev(2, BOB, "update", "issues", ID, new, prev)]);
    assert_eq!(col(&conn, "issues", "title", ID), "text:t2");
    assert_eq!(col(&conn, "issues", "points", ID), "integer:5");
    assert_eq!(col(&conn, "issues", "sprint", ID), "text:local");
}

#[test]
fn key_dropped_from_new_is_cleared() {
    let conn = db();
    let prev = with(
        with(base(), "sprint", json!("s1")),
        "closed_at",
        json!("2026-01-02T00:00:00Z"),
    );
    apply(&conn, &[create(1, "issues", ID, prev.clone())]);
    apply(&conn, &[ev(2, BOB, "update", "issues", ID, base(), prev)]);
    assert_eq!(
        col(&conn, "issues", "sprint", ID),
        "text:",
        "TEXT DEFAULT '' → ''"
    );
    assert_eq!(col(&conn, "issues", "closed_at", ID), "null:NULL");
}

#[test]
fn issue_wrapper_is_unwrapped_on_both_sides() {
    let conn = db();
    apply(&conn, &[create(1, "issues", ID, base())]);
    conn.execute("UPDATE issues SET priority = 'P4' WHERE id = ?1", [ID])
        .unwrap();
    let new =
        json!({"issue": with(base(), "status", json!("closed")), "created_review_id": "rv-1"});
    let prev = json!({"issue": base()});
    apply(&conn, &[ev(2, BOB, "update", "issues", ID, new, prev)]);
    assert_eq!(col(&conn, "issues", "status", ID), "text:closed");
    assert_eq!(
        col(&conn, "issues", "priority", ID),
        "text:P4",
        "a diff, not a replace"
    );
}

#[test]
fn empty_previous_data_replaces_if_exists_and_keeps_children() {
    let conn = db();
    let ws =
        json!({"id":"ws-1","name":"w","session_id":"s","started_at":"2026-01-02 03:04:05+00:00"});
    apply(
        &conn,
        &[
            create(1, "issues", ID, base()),
            create(2, "work_sessions", "ws-1", ws.clone()),
            create(
                3,
                "work_session_issues",
                "wsi_1",
                json!({"id":"wsi_1","work_session_id":"ws-1","issue_id":ID}),
            ),
        ],
    );
    let ended = with(ws, "ended_at", json!("2026-01-02 04:00:00+00:00"));
    apply(
        &conn,
        &[ev(
            4,
            BOB,
            "update",
            "work_sessions",
            "ws-1",
            ended,
            json!({}),
        )],
    );
    assert_eq!(
        col(&conn, "work_sessions", "ended_at", "ws-1"),
        "text:2026-01-02 04:00:00+00:00"
    );
    assert_eq!(
        count(&conn, "work_session_issues"),
        1,
        "ws end keeps the session's tags"
    );
}

#[test]
fn failing_partial_update_falls_back_to_replace() {
    let conn = db();
    apply(&conn, &[create(1, "issues", ID, base())]);
    // Dropping `title` from new_data would set a NOT NULL column to NULL: the UPDATE fails,
    // the replace path writes new_data (title gets no default → permanent failure).
    let mut new = base();
    new.as_object_mut().unwrap().remove("title");
    let out = apply(&conn, &[ev(2, BOB, "update", "issues", ID, new, base())]);
    assert_eq!(out.skipped.len(), 1);
    assert!(
        out.skipped[0].error.contains("NOT NULL"),
        "{}",
        out.skipped[0].error
    );
    assert_eq!(
        col(&conn, "issues", "title", ID),
        "text:base",
        "row untouched"
    );
}

#[test]
fn update_with_no_data_at_all_is_quarantined() {
    let conn = db();
    let out = apply(&conn, &[bare(1, BOB, "update", "issues", ID)]);
    let s = assert_quarantined(&out, "payload has no fields");
    assert_eq!(s.error, "payload has no fields");
}
