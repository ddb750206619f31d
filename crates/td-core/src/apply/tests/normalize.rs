//! Value normalization (sync spec §7.6) and the work_sessions scrub (§2.3).

use serde_json::json;

use super::*;

const ID: &str = "td-000001";

fn stored(fields: Value) -> Connection {
    let conn = db();
    let mut row = issue(ID, "t");
    for (k, v) in fields.as_object().unwrap() {
        row = with(row, k, v.clone());
    }
    apply(&conn, &[create(1, "issues", ID, row)]);
    conn
}

#[test]
fn labels_array_is_comma_joined() {
    let conn = stored(json!({"labels": ["a", "b c", "d"]}));
    assert_eq!(col(&conn, "issues", "labels", ID), "text:a,b c,d");
    let conn = stored(json!({"labels": []}));
    assert_eq!(col(&conn, "issues", "labels", ID), "text:");
}

#[test]
fn null_is_empty_text_for_text_default_empty_columns_else_null() {
    let conn = stored(
        json!({"description": null, "parent_id": null, "closed_at": null,
                             "defer_until": null, "due_date": null}),
    );
    assert_eq!(col(&conn, "issues", "description", ID), "text:");
    assert_eq!(col(&conn, "issues", "parent_id", ID), "text:");
    assert_eq!(col(&conn, "issues", "closed_at", ID), "null:NULL");
    assert_eq!(col(&conn, "issues", "defer_until", ID), "null:NULL");
    assert_eq!(col(&conn, "issues", "due_date", ID), "null:NULL");
}

#[test]
fn booleans_become_0_1_and_integral_numbers_integers() {
    let conn = stored(json!({"minor": true, "points": 3.0, "defer_count": 2}));
    assert_eq!(col(&conn, "issues", "minor", ID), "integer:1");
    assert_eq!(col(&conn, "issues", "points", ID), "integer:3");
    assert_eq!(col(&conn, "issues", "defer_count", ID), "integer:2");
    let conn = stored(json!({"minor": false, "points": 2.5}));
    assert_eq!(col(&conn, "issues", "minor", ID), "integer:0");
    assert_eq!(col(&conn, "issues", "points", ID), "real:2.5");
}

#[test]
fn other_arrays_and_objects_become_compact_json_and_strings_stay_verbatim() {
    let conn = stored(json!({}));
    let handoff = json!({"id":"ho-1","issue_id":ID,"session_id":"s",
        "done":"[\"a\", \"b\"]", "remaining":["x","y"], "decisions":{"k":[1,2]},
        "uncertain":"null","timestamp":"2026-01-02T03:04:05Z"});
    apply(&conn, &[create(2, "handoffs", "ho-1", handoff)]);
    assert_eq!(
        col(&conn, "handoffs", "done", "ho-1"),
        "text:[\"a\", \"b\"]"
    );
    assert_eq!(
        col(&conn, "handoffs", "remaining", "ho-1"),
        "text:[\"x\",\"y\"]"
    );
    assert_eq!(
        col(&conn, "handoffs", "decisions", "ho-1"),
        "text:{\"k\":[1,2]}"
    );
    assert_eq!(col(&conn, "handoffs", "uncertain", "ho-1"), "text:null");
}

#[test]
fn builtin_flag_on_boards_is_an_integer() {
    let conn = db();
    let board =
        json!({"id":"bd-1","name":"n","query":null,"is_builtin":false,"view_mode":"swimlanes"});
    apply(&conn, &[create(1, "boards", "bd-1", board)]);
    assert_eq!(col(&conn, "boards", "is_builtin", "bd-1"), "integer:0");
    assert_eq!(
        col(&conn, "boards", "query", "bd-1"),
        "text:",
        "TEXT NOT NULL DEFAULT ''"
    );
}

#[test]
fn work_session_local_fields_are_scrubbed_before_apply() {
    let conn = db();
    let ws = json!({"id":"ws-1","name":"w","session_id":"s","worktree_root":"/home/bob/x",
                    "repo_root":"/home/bob","worktree_id":"wt_1","started_at":"2026-01-02T03:04:05Z"});
    apply(&conn, &[create(1, "work_sessions", "ws-1", ws)]);
    assert_eq!(
        col(&conn, "work_sessions", "worktree_root", "ws-1"),
        "text:"
    );
    assert_eq!(col(&conn, "work_sessions", "repo_root", "ws-1"), "text:");
    assert_eq!(col(&conn, "work_sessions", "worktree_id", "ws-1"), "text:");
    assert_eq!(col(&conn, "work_sessions", "name", "ws-1"), "text:w");
}
