//! action_log row → push event (sync spec §7.2, §5.1).

use serde_json::json;

use super::*;
use crate::sync::events::{pending_events, row_to_event, ActionRow};

fn row(action: &str, entity: &str, prev: Option<&str>, new: Option<&str>) -> ActionRow {
    ActionRow {
        rowid: 42,
        id: Some("al-00000001".into()),
        action_type: action.into(),
        entity_type: entity.into(),
        entity_id: "x-1".into(),
        previous_data: prev.map(str::to_string),
        new_data: new.map(str::to_string),
        timestamp: "2026-01-02T03:04:05.123456789Z".into(),
    }
}

#[test]
fn row_maps_to_canonical_event_with_embedded_objects() {
    let ev = row_to_event(&row(
        "board_update",
        "board",
        Some(r#"{"a":1}"#),
        Some(r#"{"a":2}"#),
    ))
    .unwrap();
    assert_eq!(ev.client_action_id, 42);
    assert_eq!(ev.action_type, "create");
    assert_eq!(ev.entity_type, "boards");
    assert_eq!(ev.entity_id, "x-1");
    assert_eq!(ev.client_timestamp, "2026-01-02T03:04:05Z");
    assert_eq!(
        ev.payload,
        json!({"schema_version":1,"new_data":{"a":2},"previous_data":{"a":1}})
    );
}

#[test]
fn taxonomy_cases() {
    let map = |a: &str, e: &str| {
        let ev = row_to_event(&row(a, e, None, Some("{}"))).unwrap();
        (ev.action_type, ev.entity_type)
    };
    assert_eq!(
        map("delete", "issue"),
        ("soft_delete".into(), "issues".into())
    );
    assert_eq!(map("approve", "ISSUE"), ("update".into(), "issues".into()));
    assert_eq!(
        map("handoff", "handoff"),
        ("create".into(), "handoffs".into())
    );
    assert_eq!(
        map("board_unposition", "board_position"),
        ("soft_delete".into(), "board_issue_positions".into())
    );
    assert_eq!(
        map("remove_dependency", "dependency"),
        ("delete".into(), "issue_dependencies".into())
    );
    assert_eq!(
        map("review_delete", "issue_reviews"),
        ("delete".into(), "issue_reviews".into())
    );
    assert_eq!(map("restore", "issue"), ("restore".into(), "issues".into()));
}

#[test]
fn empty_null_and_literal_null_data_become_empty_objects() {
    let ev = row_to_event(&row("delete", "issue", Some(r#"{"id":"x"}"#), Some(""))).unwrap();
    assert_eq!(ev.payload["new_data"], json!({}));
    let ev = row_to_event(&row("create", "logs", None, Some("null"))).unwrap();
    assert_eq!(ev.payload["previous_data"], json!({}));
    assert_eq!(ev.payload["new_data"], json!({}));
}

#[test]
fn unmappable_rows_are_left_out() {
    let mut no_id = row("create", "issue", None, Some("{}"));
    no_id.id = None;
    assert!(row_to_event(&no_id).is_none());
    assert!(row_to_event(&row("create", "sessions", None, Some("{}"))).is_none());
    assert!(row_to_event(&row("create", "bogus", None, Some("{}"))).is_none());
    assert!(row_to_event(&row("create", "issue", None, Some("{not json"))).is_none());
    let mut bad_time = row("create", "issue", None, Some("{}"));
    bad_time.timestamp = "soon".into();
    assert!(row_to_event(&bad_time).is_none());
}

#[test]
fn work_session_local_fields_never_leave() {
    let new = r#"{"id":"ws-1","name":"w","worktree_root":"/home/a","repo_root":"/r","worktree_id":"wt_1"}"#;
    let ev = row_to_event(&row("create", "work_session", Some(new), Some(new))).unwrap();
    assert_eq!(ev.payload["new_data"], json!({"id":"ws-1","name":"w"}));
    assert_eq!(ev.payload["previous_data"], json!({"id":"ws-1","name":"w"}));
}

#[test]
fn pending_rows_are_unsynced_undone_or_not_mappable_in_rowid_order() {
    let c = Client::new("a");
    let first = c.log("create", "issue", "td-000001", "", "{}");
    let synced = c.log("update", "issue", "td-000001", "{}", "{}");
    let undone = c.log("update", "issue", "td-000001", "{}", "{}");
    let unknown = c.log("create", "git_snapshot", "gs-1", "", "{}");
    let last = c.log("create", "logs", "lg-1", "", "{}");
    c.conn
        .execute(
            "UPDATE action_log SET synced_at = CURRENT_TIMESTAMP, server_seq = 1 WHERE rowid = ?1",
            [synced],
        )
        .unwrap();
    c.conn
        .execute(
            "UPDATE action_log SET undone = 1 WHERE rowid = ?1",
            [undone],
        )
        .unwrap();
    let ids: Vec<i64> = pending_events(&c.conn)
        .unwrap()
        .iter()
        .map(|p| p.rowid)
        .collect();
    // The undone row is pushed like any other: its compensation (a later row) needs it.
    assert_eq!(ids, vec![first, undone, last]);
    assert!(unknown > first);
}
