//! create = full-row INSERT OR REPLACE (sync spec §7.5, §9.2).

use serde_json::json;

use super::*;
use crate::apply::SkipReason;

#[test]
fn create_inserts_exactly_the_payload_and_unwraps_the_issue_wrapper() {
    let conn = db();
    let wrapped = json!({"issue": with(issue("td-000001", "wrapped"), "status", json!("in_review")),
                         "created_review_id": "rv-1"});
    let out = apply(&conn, &[create(1, "issues", "td-000001", wrapped)]);
    assert_eq!(out.applied, 1);
    assert_eq!(col(&conn, "issues", "title", "td-000001"), "text:wrapped");
    assert_eq!(
        col(&conn, "issues", "status", "td-000001"),
        "text:in_review"
    );
    assert_eq!(
        col(&conn, "issues", "updated_at", "td-000001"),
        "text:2026-01-02T03:04:05.123+02:00",
        "timestamps are stored as the author's text"
    );
}

#[test]
fn create_id_comes_from_entity_id() {
    let conn = db();
    apply(
        &conn,
        &[create(1, "issues", "td-00000a", issue("td-ffffff", "t"))],
    );
    assert_eq!(col(&conn, "issues", "title", "td-00000a"), "text:t");
    assert_eq!(count(&conn, "issues"), 1);
}

#[test]
fn replaying_an_issue_create_replaces_the_row_but_keeps_its_children() {
    let conn = db();
    let comment = json!({"id":"cm-1","issue_id":"td-000001","session_id":"s","text":"hi",
                         "created_at":"2026-01-02 03:04:05+00:00"});
    apply(
        &conn,
        &[
            create(1, "issues", "td-000001", issue("td-000001", "a")),
            create(2, "comments", "cm-1", comment.clone()),
        ],
    );
    conn.execute(
        "INSERT INTO issue_session_history(id, issue_id, session_id, action) VALUES ('h1','td-000001','s','created')",
        [],
    )
    .unwrap();
    apply(
        &conn,
        &[create(3, "issues", "td-000001", issue("td-000001", "b"))],
    );
    // The original's INSERT OR REPLACE wiped these (a lost write); ours updates in place.
    assert_eq!(
        count(&conn, "comments"),
        1,
        "comments survive a replayed create"
    );
    assert_eq!(
        count(&conn, "issue_session_history"),
        1,
        "and local-only children"
    );
    assert_eq!(col(&conn, "issues", "title", "td-000001"), "text:b");
    apply(&conn, &[create(4, "comments", "cm-1", comment)]);
    assert_eq!(count(&conn, "comments"), 1);
}

#[test]
fn board_replace_keeps_its_positions() {
    let conn = db();
    let board =
        json!({"id":"bd-1","name":"B","query":"","is_builtin":false,"view_mode":"swimlanes"});
    apply(
        &conn,
        &[
            create(1, "issues", "td-000001", issue("td-000001", "a")),
            create(2, "boards", "bd-1", board.clone()),
            create(
                3,
                "board_issue_positions",
                "bip_1",
                json!({"id":"bip_1","board_id":"bd-1","issue_id":"td-000001","position":1}),
            ),
        ],
    );
    assert_eq!(count(&conn, "board_issue_positions"), 1);
    let edited = with(board, "name", json!("B2"));
    apply(
        &conn,
        &[ev(
            4,
            BOB,
            "create",
            "boards",
            "bd-1",
            edited.clone(),
            edited,
        )],
    );
    assert_eq!(
        count(&conn, "board_issue_positions"),
        1,
        "a board edit keeps positions"
    );
    assert_eq!(col(&conn, "boards", "name", "bd-1"), "text:B2");
}

#[test]
fn absent_columns_reset_to_defaults_reviving_a_board_position() {
    let conn = db();
    let pos = json!({"id":"bip_1","board_id":"bd-all-issues","issue_id":"td-000001","position":3});
    apply(
        &conn,
        &[
            create(1, "issues", "td-000001", issue("td-000001", "a")),
            create(2, "board_issue_positions", "bip_1", pos.clone()),
            ev(
                3,
                ALICE,
                "soft_delete",
                "board_issue_positions",
                "bip_1",
                json!({}),
                pos.clone(),
            ),
        ],
    );
    assert_eq!(
        col(&conn, "board_issue_positions", "deleted_at", "bip_1"),
        "text:2026-01-02 03:04:05+00:00"
    );
    apply(
        &conn,
        &[create(
            4,
            "board_issue_positions",
            "bip_1",
            with(pos, "position", json!(7)),
        )],
    );
    assert_eq!(
        col(&conn, "board_issue_positions", "deleted_at", "bip_1"),
        "null:NULL"
    );
    assert_eq!(
        col(&conn, "board_issue_positions", "position", "bip_1"),
        "integer:7"
    );
}

#[test]
fn unknown_payload_keys_are_dropped_and_only_id_left_is_quarantined() {
    let conn = db();
    let out = apply(
        &conn,
        &[
            create(
                1,
                "issues",
                "td-000001",
                with(issue("td-000001", "a"), "bogus", json!(1)),
            ),
            create(2, "logs", "lg-1", json!({"id":"lg-1","nonsense":"x"})),
        ],
    );
    assert_eq!(out.applied, 1);
    let s = assert_quarantined(&out, "no known fields in payload");
    assert_eq!(s.error, "no known fields in payload");
}

#[test]
fn orphaned_child_is_skipped_not_failed() {
    let conn = db();
    let out = apply(
        &conn,
        &[create(
            5,
            "comments",
            "cm-1",
            json!({"id":"cm-1","issue_id":"td-gone00","session_id":"s","text":"x"}),
        )],
    );
    assert_eq!(out.applied, 0);
    assert_eq!(out.skipped.len(), 1);
    let s = &out.skipped[0];
    assert_eq!(s.reason, SkipReason::OrphanedParent);
    assert_eq!(s.server_seq, 5);
    assert_eq!(
        s.error,
        "orphaned comments/cm-1: issue_id references missing issues/td-gone00"
    );
    assert_eq!(count(&conn, "comments"), 0);
}

#[test]
fn soft_deleted_parent_still_counts_as_present() {
    let conn = db();
    let out = apply(
        &conn,
        &[
            create(1, "issues", "td-000001", issue("td-000001", "a")),
            bare(2, ALICE, "soft_delete", "issues", "td-000001"),
            create(
                3,
                "comments",
                "cm-1",
                json!({"id":"cm-1","issue_id":"td-000001","session_id":"s","text":"x"}),
            ),
        ],
    );
    assert_eq!((out.applied, out.skipped.len()), (3, 0));
}

#[test]
fn non_cascade_fk_violation_is_quarantined() {
    let conn = db();
    let review = json!({"id":"rv-1","issue_id":"td-gone00","reviewer_session":"s",
                        "decision":"approved","self_review":false});
    let out = apply(&conn, &[create(1, "issue_reviews", "rv-1", review)]);
    assert_quarantined(&out, "FOREIGN KEY");
}

#[test]
fn conflict_only_for_foreign_replace_of_a_row_changed_since_last_sync() {
    let conn = db();
    apply(
        &conn,
        &[create(
            1,
            "issues",
            "td-000001",
            issue("td-000001", "local"),
        )],
    );
    // Local row changed at 01:04:05Z (03:04:05.123+02:00).
    let remote = |seq, dev: &str| {
        ev(
            seq,
            dev,
            "create",
            "issues",
            "td-000001",
            issue("td-000001", "remote"),
            json!({}),
        )
    };
    let before = Some("2026-01-02 00:00:00");
    let after = Some("2026-01-02 02:00:00");
    assert!(
        apply_page(&conn, &[remote(2, ALICE)], ALICE, before)
            .conflicts
            .is_empty(),
        "own"
    );
    assert!(
        apply_page(&conn, &[remote(3, BOB)], ALICE, None)
            .conflicts
            .is_empty(),
        "first sync"
    );
    assert!(
        apply_page(&conn, &[remote(4, BOB)], ALICE, after)
            .conflicts
            .is_empty(),
        "unchanged"
    );
    let out = apply_page(&conn, &[remote(5, BOB)], ALICE, before);
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!(
        (c.entity_type.as_str(), c.entity_id.as_str(), c.server_seq),
        ("issues", "td-000001", 5)
    );
    assert_eq!(
        c.local_data["title"],
        json!("remote"),
        "old row as JSON, all columns"
    );
    assert_eq!(c.local_data["points"], json!(0));
    assert_eq!(c.remote_data["title"], json!("remote"));
}

#[test]
fn fresh_insert_is_never_a_conflict() {
    let conn = db();
    let out = apply_page(
        &conn,
        &[ev(
            1,
            BOB,
            "create",
            "issues",
            "td-000001",
            issue("td-000001", "a"),
            json!({}),
        )],
        ALICE,
        Some("2000-01-01 00:00:00"),
    );
    assert!(out.conflicts.is_empty());
}

#[test]
fn parent_replace_resets_absent_columns_to_defaults() {
    let conn = db();
    let with_desc = with(issue("td-000001", "a"), "description", json!("long text"));
    apply(&conn, &[create(1, "issues", "td-000001", with_desc)]);
    assert_eq!(
        col(&conn, "issues", "description", "td-000001"),
        "text:long text"
    );
    apply(
        &conn,
        &[create(2, "issues", "td-000001", issue("td-000001", "a"))],
    );
    assert_eq!(
        col(&conn, "issues", "description", "td-000001"),
        "text:",
        "absent = default, as REPLACE"
    );
}
