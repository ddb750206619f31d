//! Page-level properties: idempotent re-apply, determinism, counts (sync spec §6.2, §7.9).

use serde_json::json;

use super::*;

/// A page touching every synced table and every operation.
fn mixed_page() -> Vec<PullEvent> {
    let i1 = issue("td-000001", "one");
    let i2 = with(issue("td-000002", "two"), "parent_id", json!("td-000001"));
    let board = json!({"id":"bd-1","name":"B","query":"status = open","is_builtin":false,
                       "view_mode":"swimlanes","created_at":"2026-01-02T03:04:05Z",
                       "updated_at":"2026-01-02T03:04:05Z"});
    let pos = json!({"id":"bip_1","board_id":"bd-1","issue_id":"td-000001","position":2,
                     "added_at":"2026-01-02T03:04:05Z"});
    let ws = json!({"id":"ws-1","name":"w","session_id":"s","started_at":"2026-01-02T03:04:05Z"});
    vec![
        create(1, "issues", "td-000001", i1.clone()),
        create(2, "issues", "td-000002", i2),
        create(
            3,
            "comments",
            "cm-1",
            json!({"id":"cm-1","issue_id":"td-000001","session_id":"s",
                                             "text":"c","created_at":"2026-01-02T03:04:05Z"}),
        ),
        create(
            4,
            "logs",
            "lg-1",
            json!({"id":"lg-1","issue_id":"td-000001","session_id":"s",
                                         "work_session_id":"","message":"m","type":"progress",
                                         "timestamp":"2026-01-02T03:04:05Z"}),
        ),
        create(5, "boards", "bd-1", board),
        create(6, "board_issue_positions", "bip_1", pos.clone()),
        create(
            7,
            "issue_dependencies",
            "dep_1",
            json!({"id":"dep_1","issue_id":"td-000002",
                                                        "depends_on_id":"td-000001",
                                                        "relation_type":"depends_on"}),
        ),
        create(8, "work_sessions", "ws-1", ws),
        create(
            9,
            "work_session_issues",
            "wsi_1",
            json!({"id":"wsi_1","work_session_id":"ws-1",
                                                         "issue_id":"td-000001",
                                                         "tagged_at":"2026-01-02T03:04:05Z"}),
        ),
        create(
            10,
            "issue_files",
            "ifl_1",
            json!({"id":"ifl_1","issue_id":"td-000001",
                                                  "file_path":"src/a.rs","role":"implementation",
                                                  "linked_sha":"","linked_at":"2026-01-02T03:04:05Z"}),
        ),
        ev(
            11,
            BOB,
            "update",
            "issues",
            "td-000001",
            with(i1.clone(), "title", json!("uno")),
            i1,
        ),
        ev(
            12,
            BOB,
            "soft_delete",
            "board_issue_positions",
            "bip_1",
            json!({}),
            pos,
        ),
        ev(
            13,
            BOB,
            "soft_delete",
            "issues",
            "td-000002",
            json!({}),
            json!({}),
        ),
        ev(
            14,
            BOB,
            "restore",
            "issues",
            "td-000002",
            json!({}),
            json!({}),
        ),
        ev(
            15,
            BOB,
            "delete",
            "issue_files",
            "ifl_1",
            json!({}),
            json!({}),
        ),
        create(
            16,
            "comments",
            "cm-orphan",
            json!({"id":"cm-orphan","issue_id":"td-gone00",
                                                   "session_id":"s","text":"x"}),
        ),
    ]
}

#[test]
fn applying_a_page_twice_changes_nothing() {
    let conn = db();
    let page = mixed_page();
    let first = apply(&conn, &page);
    let once = dump(&conn);
    let second = apply(&conn, &page);
    assert_eq!(dump(&conn), once);
    assert_eq!(first, second);
    assert!(once.contains("\"uno\""), "{once}");
}

#[test]
fn two_clients_applying_the_same_log_end_identical() {
    let (a, b) = (db(), db());
    apply(&a, &mixed_page());
    let mut reversed = mixed_page();
    reversed.reverse();
    apply(&b, &reversed);
    assert_eq!(dump(&a), dump(&b));
}

#[test]
fn counts_received_applied_and_skipped() {
    let conn = db();
    let out = apply(&conn, &mixed_page());
    assert_eq!(out.received, 16);
    assert_eq!(out.applied, 15);
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].server_seq, 16);
    assert_eq!(count(&conn, "issues"), 2);
    assert_eq!(count(&conn, "issue_files"), 0);
}

#[test]
fn apply_writes_no_action_log() {
    let conn = db();
    apply(&conn, &mixed_page());
    assert_eq!(count(&conn, "action_log"), 0);
    assert_eq!(count(&conn, "issue_session_history"), 0);
}

#[test]
fn empty_page_is_a_no_op() {
    let conn = db();
    let out = apply(&conn, &[]);
    assert_eq!(out, PageOutcome::default());
}
