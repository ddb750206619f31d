//! Backfill (sync spec §7.3).

use serde_json::json;

use super::*;
use crate::sync::backfill::backfill;

fn logged(c: &Client) -> Vec<String> {
    let mut stmt = c
        .conn
        .prepare(
            "SELECT action_type||' '||entity_type||' '||entity_id FROM action_log ORDER BY rowid",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

fn seed_unlogged_rows(c: &Client) {
    c.conn
        .execute_batch(
            "INSERT INTO issues (id, title, created_at, updated_at, deleted_at) VALUES
               ('td-000001', 'a', '2026-01-02 03:04:05.5+02:00', '2026-01-02 03:04:05.5+02:00', NULL),
               ('td-000002', 'deleted', '2026-01-02 03:04:05+00:00', '2026-01-02 03:04:05+00:00', '2026-01-03 00:00:00+00:00');
             INSERT INTO boards (id, name) VALUES ('bd-1', 'B');
             INSERT INTO board_issue_positions (id, board_id, issue_id, position, deleted_at) VALUES
               ('bip_live', 'bd-1', 'td-000001', 1, NULL),
               ('bip_gone', 'bd-1', 'td-000002', 2, '2026-01-03 00:00:00+00:00');
             INSERT INTO handoffs (id, issue_id, session_id) VALUES ('ho-1', 'td-000001', 's');
             INSERT INTO work_sessions (id, name, session_id, worktree_root) VALUES ('ws-1', 'w', 's', '/home/a');",
        )
        .unwrap();
}

#[test]
fn unlogged_rows_get_create_rows_and_a_second_run_adds_nothing() {
    let c = Client::new("a");
    seed_unlogged_rows(&c);
    let added = backfill(&c.conn, &c.session).unwrap();
    assert_eq!(
        logged(&c),
        vec![
            "create issue td-000001",
            "create issue td-000002",
            "create handoff ho-1",
            "create boards bd-1",
            "create work_sessions ws-1",
            "create board_position bip_live",
        ],
        "builtin board and soft-deleted positions are excluded; deleted issues are not"
    );
    assert_eq!(added, 6);
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 0);
}

#[test]
fn backfilled_rows_carry_the_full_row_and_its_time() {
    let c = Client::new("a");
    seed_unlogged_rows(&c);
    backfill(&c.conn, &c.session).unwrap();
    let (session, prev, new, ts): (String, String, String, String) = c
        .conn
        .query_row(
            "SELECT session_id, previous_data, new_data, timestamp FROM action_log WHERE entity_id = 'td-000001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(session, "ses_a");
    assert_eq!(prev, "");
    assert_eq!(ts, "2026-01-02T01:04:05.500000000Z");
    let new: Value = serde_json::from_str(&new).unwrap();
    assert_eq!(new["title"], json!("a"));
    assert_eq!(new["points"], json!(0));
    assert_eq!(new["deleted_at"], Value::Null);
    let ws: String = c.scalar("SELECT new_data FROM action_log WHERE entity_id = 'ws-1'");
    assert!(!ws.contains("worktree_root"), "{ws}");
}

#[test]
fn rows_logged_under_their_own_create_action_are_not_backfilled() {
    let c = Client::new("a");
    seed_unlogged_rows(&c);
    c.log("handoff", "handoff", "ho-1", "", "{}");
    c.log("board_create", "board", "bd-1", "", "{}");
    c.log("board_set_position", "board_position", "bip_live", "", "{}");
    backfill(&c.conn, &c.session).unwrap();
    let creates: i64 = c.scalar("SELECT COUNT(*) FROM action_log WHERE action_type = 'create'");
    assert_eq!(creates, 3, "two issues and the work session");
}

#[test]
fn backfill_stops_once_a_page_was_pulled() {
    let c = Client::new("a");
    seed_unlogged_rows(&c);
    c.conn
        .execute("UPDATE sync_state SET last_pulled_server_seq = 3", [])
        .unwrap();
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 0);
    assert!(logged(&c).is_empty());
}

#[test]
fn normally_logged_issues_are_not_stale() {
    let c = Client::new("a");
    c.create_issue("td-000001", "a");
    c.edit_issue("td-000001", "status", "in_progress");
    c.edit_issue("td-000001", "title", "b");
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 0);
}

#[test]
fn soft_deleted_after_create_is_stale_once() {
    let c = Client::new("a");
    c.create_issue("td-000001", "a");
    let prev = c.issue_json("td-000001").to_string();
    c.conn
        .execute(
            "UPDATE issues SET deleted_at = '2026-01-03 00:00:00+00:00' WHERE id = 'td-000001'",
            [],
        )
        .unwrap();
    c.log("delete", "issue", "td-000001", &prev, "");
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 1);
    let new: String = c.scalar("SELECT new_data FROM action_log ORDER BY rowid DESC LIMIT 1");
    assert!(new.contains("2026-01-03 00:00:00+00:00"), "{new}");
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 0);
}

#[test]
fn wrapper_as_newest_row_is_stale() {
    let c = Client::new("a");
    c.create_issue("td-000001", "a");
    let prev = c.issue_json("td-000001");
    c.conn
        .execute(
            "UPDATE issues SET status = 'closed' WHERE id = 'td-000001'",
            [],
        )
        .unwrap();
    let wrapped = json!({"issue": c.issue_json("td-000001"), "created_review_id": "rv-1"});
    c.log(
        "approve",
        "issue",
        "td-000001",
        &prev.to_string(),
        &wrapped.to_string(),
    );
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 1);
}

#[test]
fn row_changed_without_a_log_row_is_stale() {
    let c = Client::new("a");
    c.create_issue("td-000001", "a");
    c.conn
        .execute("UPDATE issues SET title = 'silent', updated_at = '2999-01-01 00:00:00+00:00' WHERE id = 'td-000001'", [])
        .unwrap();
    assert_eq!(backfill(&c.conn, &c.session).unwrap(), 1);
}
