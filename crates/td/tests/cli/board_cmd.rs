//! `td board create|edit|move|unposition|delete` (§6.4, §8, §8.1).

use crate::common::{digest_id, keys, kinds, Project};
use serde_json::json;

/// The e2e's board queries (create uses the first five, edit adds the sixth).
const E2E_QUERIES: [&str; 6] = [
    "status = open",
    "priority = P0",
    "type = bug",
    "status != closed",
    "labels ~ urgent",
    "points > 3",
];

fn board_id(env: &Project, out_stdout: &str) -> String {
    let id = out_stdout
        .split(['(', ')'])
        .find(|w| w.starts_with("bd-"))
        .unwrap_or_else(|| panic!("no board id in {out_stdout:?}"))
        .to_string();
    assert_eq!(
        env.int("SELECT COUNT(*) FROM boards WHERE id = ?1", &[&id]),
        1
    );
    id
}

fn position(env: &Project, board: &str, issue: &str) -> Option<i64> {
    env.conn()
        .query_row(
            "SELECT position FROM board_issue_positions WHERE board_id = ?1 AND issue_id = ?2 AND deleted_at IS NULL",
            [board, issue],
            |r| r.get(0),
        )
        .ok()
}

#[test]
fn create_accepts_every_e2e_query_and_logs_board_json() {
    let env = Project::new();
    let mark = env.max_action_rowid();
    let out = env.ok(&[
        "board",
        "create",
        "chaos-board-0000abcd",
        "-q",
        E2E_QUERIES[0],
    ]);
    let id = board_id(&env, &out.stdout);
    assert_eq!(
        out.stdout,
        format!("Created board chaos-board-0000abcd ({id})\n")
    );
    assert_eq!(
        env.text(
            "SELECT name || '|' || query || '|' || is_builtin || '|' || view_mode FROM boards WHERE id = ?1",
            &[&id]
        ),
        Some("chaos-board-0000abcd|status = open|0|swimlanes".into())
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].target(), ("board_create", "board", id.as_str()));
    assert_eq!(acts[0].previous_text, "");
    let new = acts[0].new.clone();
    assert_eq!(
        keys(&new),
        [
            "id",
            "name",
            "query",
            "is_builtin",
            "view_mode",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(new["is_builtin"], json!(false));
    assert_eq!(new["query"], json!("status = open"));
    for q in &E2E_QUERIES[1..] {
        env.ok(&["board", "create", &format!("b {q}"), "--query", q]);
    }
    env.ok(&["board", "create", "no query at all"]);
    assert_eq!(env.int("SELECT COUNT(*) FROM boards", &[]), 8);
}

#[test]
fn create_refuses_bad_queries_and_extra_names() {
    let env = Project::new();
    let mark = env.max_action_rowid();
    env.fails(
        &["board", "create", "bad", "-q", "status ="],
        "invalid query: ",
    );
    env.fails(&["board", "create", "bad", "-q", "(a"], "invalid query: ");
    env.fails(&["board", "create", "one", "two"], "too many arguments");
    assert_eq!(env.max_action_rowid(), mark);
    assert_eq!(
        env.int("SELECT COUNT(*) FROM boards", &[]),
        1,
        "builtin only"
    );
}

#[test]
fn refs_are_ids_or_case_insensitive_names_with_the_oldest_winning() {
    let env = Project::new();
    let first = board_id(&env, &env.ok(&["board", "create", "Dup"]).stdout);
    let second = board_id(&env, &env.ok(&["board", "create", "dup"]).stdout);
    let issue = env.create("issue placed on the board", &[]);
    let out = env.ok(&["board", "move", "DUP", &issue, "1"]);
    assert_eq!(out.stdout, format!("Set {issue} to position 1 on Dup\n"));
    assert_eq!(position(&env, &first, &issue), Some(65536));
    assert_eq!(position(&env, &second, &issue), None);
    env.ok(&["board", "move", &second, &issue, "1"]);
    assert_eq!(position(&env, &second, &issue), Some(65536));
    env.fails(
        &["board", "move", "nope", &issue, "1"],
        "ERROR: board not found: nope",
    );
    env.fails(
        &["board", "delete", "bd-00000000"],
        "board not found: bd-00000000",
    );
}

#[test]
fn builtin_board_cannot_be_edited_or_deleted() {
    let env = Project::new();
    let mark = env.max_action_rowid();
    env.fails(
        &["board", "edit", "all issues", "-q", "type = bug"],
        "cannot modify builtin board",
    );
    env.fails(
        &["board", "edit", "bd-all-issues", "--view-mode", "backlog"],
        "cannot modify builtin board",
    );
    env.fails(
        &["board", "delete", "All Issues"],
        "cannot delete builtin board",
    );
    assert_eq!(env.max_action_rowid(), mark);
    assert_eq!(
        env.text(
            "SELECT query || view_mode FROM boards WHERE id = 'bd-all-issues'",
            &[]
        ),
        Some("swimlanes".into())
    );
}

#[test]
fn edit_logs_previous_and_new_including_the_view_mode() {
    let env = Project::new();
    let id = board_id(
        &env,
        &env.ok(&["board", "create", "Team", "-q", "type = bug"])
            .stdout,
    );
    env.fails(
        &["board", "edit", "team", "--view-mode", "kanban"],
        "invalid view mode: kanban (must be 'swimlanes' or 'backlog')",
    );
    env.fails(&["board", "edit", "team", "-q", "a ="], "invalid query: ");
    let mark = env.max_action_rowid();
    let out = env.ok(&[
        "board",
        "edit",
        "team",
        "--view-mode",
        "backlog",
        "-n",
        "Team 2",
        "-q",
        E2E_QUERIES[5],
    ]);
    assert_eq!(out.stdout, "Updated board Team 2\n");
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(
        (acts[0].action_type.as_str(), acts[0].entity_id.as_str()),
        ("board_update", id.as_str())
    );
    let (prev, new) = (acts[0].previous.clone(), acts[0].new.clone());
    assert_eq!(
        (prev["name"].clone(), prev["view_mode"].clone()),
        (json!("Team"), json!("swimlanes"))
    );
    assert_eq!(prev["query"], json!("type = bug"));
    assert_eq!(
        (new["name"].clone(), new["view_mode"].clone()),
        (json!("Team 2"), json!("backlog"))
    );
    assert_eq!(new["query"], json!("points > 3"));
    env.ok(&["board", "edit", &id, "-q", ""]);
    assert_eq!(
        env.text(
            "SELECT name || '|' || query || '|' || view_mode FROM boards WHERE id = ?1",
            &[&id]
        ),
        Some("Team 2||backlog".into())
    );
}

#[test]
fn move_computes_sparse_keys_and_validates_its_arguments() {
    let env = Project::new();
    let b = board_id(&env, &env.ok(&["board", "create", "Order"]).stdout);
    let [x, y, z, w] = [
        "x issue for ordering",
        "y issue for ordering",
        "z issue for ordering",
        "w issue for ordering",
    ]
    .map(|t| env.create(t, &[]));
    env.ok(&["board", "move", "order", &x, "5"]);
    assert_eq!(position(&env, &b, &x), Some(65536), "empty board");
    env.ok(&["board", "move", "order", &y, "1"]);
    assert_eq!(position(&env, &b, &y), Some(0), "before the first");
    env.ok(&["board", "move", "order", &z, "99"]);
    assert_eq!(position(&env, &b, &z), Some(131072), "after the last");
    env.ok(&["board", "move", "order", &w, "2"]);
    assert_eq!(
        position(&env, &b, &w),
        Some(32768),
        "midpoint of 0 and 65536"
    );
    let mark = env.max_action_rowid();
    env.ok(&["board", "move", "order", &w, "1"]);
    assert_eq!(position(&env, &b, &w), Some(-65536), "before the first (0)");
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].action_type, "board_set_position");
    assert_eq!(acts[0].entity_type, "board_issue_positions");
    assert_eq!(acts[0].entity_id, digest_id("bip_", &format!("{b}|{w}")));
    let new = acts[0].new.clone();
    assert_eq!(
        keys(&new),
        ["id", "board_id", "issue_id", "position", "added_at"]
    );
    assert_eq!(
        (new["board_id"].clone(), new["issue_id"].clone()),
        (json!(b), json!(w))
    );
    assert_eq!(new["position"], json!(-65536));
    assert!(
        new["added_at"].as_str().unwrap().ends_with('Z'),
        "UTC RFC3339"
    );
    for bad in ["0", "-3", "abc", "1.5"] {
        env.fails(
            &["board", "move", "order", &x, bad],
            "Position must be a positive integer",
        );
    }
    env.fails(
        &["board", "move", "order", "td-ffff00", "1"],
        "issue not found: td-ffff00",
    );
    assert_eq!(
        env.int("SELECT COUNT(*) FROM board_issue_positions", &[]),
        4
    );
}

#[test]
fn exhausted_gaps_respace_every_live_position_with_logged_sets() {
    let env = Project::new();
    let b = board_id(&env, &env.ok(&["board", "create", "Tight"]).stdout);
    let [x, y, z] = [
        "x on a tight board",
        "y on a tight board",
        "z on a tight board",
    ]
    .map(|t| env.create(t, &[]));
    env.ok(&["board", "move", "tight", &x, "1"]);
    env.ok(&["board", "move", "tight", &y, "2"]);
    // Neighbours one apart leave no integer midpoint.
    env.conn_rw()
        .execute(
            "UPDATE board_issue_positions SET position = CASE issue_id WHEN ?1 THEN 10 ELSE 11 END",
            [&x],
        )
        .unwrap();
    let mark = env.max_action_rowid();
    env.ok(&["board", "move", "tight", &z, "2"]);
    let acts = env.actions_since(mark);
    let moved: Vec<(String, i64)> = acts
        .iter()
        .map(|a| {
            let v = a.new.clone();
            (
                v["issue_id"].as_str().unwrap().to_string(),
                v["position"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![(x.clone(), 65536), (y.clone(), 131072), (z.clone(), 98304)]
    );
    assert!(acts.iter().all(|a| a.action_type == "board_set_position"));
    assert_eq!(position(&env, &b, &x), Some(65536));
    assert_eq!(position(&env, &b, &y), Some(131072));
    assert_eq!(position(&env, &b, &z), Some(98304));
}

#[test]
fn unposition_soft_deletes_and_a_later_move_revives_the_row() {
    let env = Project::new();
    let b = board_id(&env, &env.ok(&["board", "create", "Soft"]).stdout);
    let x = env.create("issue to unposition later", &[]);
    env.ok(&["board", "move", "soft", &x, "1"]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["board", "unposition", "soft", &x]);
    assert_eq!(
        out.stdout,
        format!("Removed explicit position for {x} on Soft\n")
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].action_type, "board_unposition");
    let bip = digest_id("bip_", &format!("{b}|{x}"));
    assert_eq!(
        acts[0].previous,
        json!({"id": bip, "board_id": b, "issue_id": x, "position": 65536})
    );
    assert_eq!(acts[0].new_text, "");
    let deleted = "SELECT deleted_at FROM board_issue_positions WHERE id = ?1";
    assert!(env.text(deleted, &[&bip]).is_some());
    env.fails(
        &["board", "unposition", "soft", &x],
        "issue not positioned on board",
    );
    env.ok(&["board", "move", "soft", &x, "3"]);
    assert_eq!(env.text(deleted, &[&bip]), None);
    assert_eq!(
        env.int("SELECT COUNT(*) FROM board_issue_positions", &[]),
        1
    );
}

#[test]
fn delete_unpositions_live_rows_then_removes_the_board() {
    let env = Project::new();
    let b = board_id(
        &env,
        &env.ok(&["board", "create", "Doomed", "-q", "type = bug"])
            .stdout,
    );
    let [x, y, z] = [
        "x on the doomed board",
        "y on the doomed board",
        "z on the doomed board",
    ]
    .map(|t| env.create(t, &[]));
    for i in [&x, &y, &z] {
        env.ok(&["board", "move", "doomed", i, "1"]);
    }
    env.ok(&["board", "unposition", "doomed", &y]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["board", "delete", "doomed"]);
    assert_eq!(out.stdout, "Deleted board Doomed\n");
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("board_unposition", "board_issue_positions"),
            ("board_unposition", "board_issue_positions"),
            ("board_delete", "board"),
        ])
    );
    let acts = env.actions_since(mark);
    let prev = acts[2].previous.clone();
    assert_eq!(
        (prev["id"].clone(), prev["name"].clone()),
        (json!(b), json!("Doomed"))
    );
    assert_eq!(acts[2].new_text, "");
    assert_eq!(
        env.int("SELECT COUNT(*) FROM boards WHERE id = ?1", &[&b]),
        0
    );
    assert_eq!(
        env.int("SELECT COUNT(*) FROM board_issue_positions", &[]),
        0
    );
}
