//! delete (hard), soft_delete and restore (sync spec §7.5).

use serde_json::json;

use super::*;
use crate::apply::SkipReason;

fn family(conn: &Connection) {
    apply(
        conn,
        &[
            create(1, "issues", "td-parent", issue("td-parent", "p")),
            create(
                2,
                "issues",
                "td-child1",
                with(issue("td-child1", "c"), "parent_id", json!("td-parent")),
            ),
            create(
                3,
                "comments",
                "cm-1",
                json!({"id":"cm-1","issue_id":"td-parent","session_id":"s","text":"x"}),
            ),
        ],
    );
}

#[test]
fn hard_delete_of_an_issue_clears_children_parent_id_and_cascades() {
    let conn = db();
    family(&conn);
    let out = apply(&conn, &[bare(4, BOB, "delete", "issues", "td-parent")]);
    assert_eq!(out.applied, 1);
    assert_eq!(col(&conn, "issues", "parent_id", "td-child1"), "text:");
    assert_eq!(count(&conn, "issues"), 1);
    assert_eq!(count(&conn, "comments"), 0);
}

#[test]
fn failed_delete_leaves_no_partial_write() {
    let conn = db();
    family(&conn);
    // issue_reviews.issue_id is a non-cascade FK: deleting the parent violates it.
    conn.execute(
        "INSERT INTO issue_reviews(id, issue_id, reviewer_session, decision) VALUES ('rv-1','td-parent','s','approved')",
        [],
    )
    .unwrap();
    let out = apply(&conn, &[bare(4, BOB, "delete", "issues", "td-parent")]);
    assert_eq!(out.skipped[0].reason, SkipReason::Quarantined);
    assert_eq!(
        col(&conn, "issues", "parent_id", "td-child1"),
        "text:td-parent"
    );
}

#[test]
fn delete_of_a_missing_row_is_a_no_op() {
    let conn = db();
    let out = apply(
        &conn,
        &[bare(1, BOB, "delete", "issue_dependencies", "dep_x")],
    );
    assert_eq!((out.applied, out.skipped.len()), (1, 0));
}

#[test]
fn soft_delete_stamps_the_event_time_in_utc_whole_seconds() {
    let conn = db();
    family(&conn);
    let e = bare(4, BOB, "soft_delete", "issues", "td-parent");
    apply(&conn, &[at(e, "2026-01-02T05:04:05.789+02:00")]);
    assert_eq!(
        col(&conn, "issues", "deleted_at", "td-parent"),
        "text:2026-01-02 03:04:05+00:00"
    );
    // Deviation: updated_at gets the event time too (the author's delete stamps it locally,
    // so leaving it untouched on peers diverged; docs/deviations.md).
    assert_eq!(
        col(&conn, "issues", "updated_at", "td-parent"),
        "text:2026-01-02 03:04:05+00:00"
    );
}

#[test]
fn soft_delete_of_a_table_without_updated_at_stamps_deleted_at_only() {
    let conn = db();
    family(&conn);
    conn.execute_batch(
        "INSERT INTO boards (id, name) VALUES ('bd-1', 'b');
         INSERT INTO board_issue_positions (id, board_id, issue_id, position)
           VALUES ('bip_1', 'bd-1', 'td-parent', 1);",
    )
    .unwrap();
    let e = bare(4, BOB, "soft_delete", "board_issue_positions", "bip_1");
    let out = apply(&conn, &[at(e, "2026-01-02T03:04:05Z")]);
    assert_eq!((out.applied, out.skipped.len()), (1, 0));
    assert_eq!(
        col(&conn, "board_issue_positions", "deleted_at", "bip_1"),
        "text:2026-01-02 03:04:05+00:00"
    );
}

#[test]
fn restore_clears_deleted_at_and_stamps_updated_at() {
    let conn = db();
    family(&conn);
    let del = bare(4, BOB, "soft_delete", "issues", "td-parent");
    let res = bare(5, BOB, "restore", "issues", "td-parent");
    apply(
        &conn,
        &[
            at(del, "2026-01-03T00:00:00Z"),
            at(res, "2026-01-04T00:00:00Z"),
        ],
    );
    assert_eq!(col(&conn, "issues", "deleted_at", "td-parent"), "null:NULL");
    assert_eq!(
        col(&conn, "issues", "updated_at", "td-parent"),
        "text:2026-01-04 00:00:00+00:00"
    );
}

#[test]
fn soft_delete_of_a_table_without_deleted_at_is_quarantined() {
    let conn = db();
    family(&conn);
    let out = apply(&conn, &[bare(4, BOB, "soft_delete", "comments", "cm-1")]);
    assert_quarantined(&out, "no such column");
}

#[test]
fn unparseable_event_time_is_quarantined() {
    let conn = db();
    family(&conn);
    let e = bare(4, BOB, "soft_delete", "issues", "td-parent");
    let out = apply(&conn, &[at(e, "yesterday")]);
    assert_eq!(out.skipped[0].reason, SkipReason::Quarantined);
    assert_eq!(col(&conn, "issues", "deleted_at", "td-parent"), "null:NULL");
}
