//! Convergence: every compared table fails on a crafted divergence, naming the rows.

mod verify_support;

use td_e2e::verify::{ActorDb, Verdict, Verifier};
use verify_support::{assert_all_valid, assert_invalid, failing_names, result, World};

/// Identical rows in all ten compared tables.
const SAME_DATA: &str = r#"
INSERT INTO issues (id, title, description, status, labels, creator_session)
  VALUES ('td-aaa111', 'first issue', '', 'open', 'a,b', 'ses_a');
INSERT INTO issues (id, title, status, deleted_at) VALUES ('td-bbb222', 'gone', 'open', '2026-01-01 00:00:00');
INSERT INTO comments (id, issue_id, session_id, text) VALUES ('cm-1', 'td-aaa111', 'ses_a', 'hello');
INSERT INTO logs (id, issue_id, session_id, message, type) VALUES ('lg-1', 'td-aaa111', 'ses_a', 'Started work', 'progress');
INSERT INTO handoffs (id, issue_id, session_id, done) VALUES ('ho-1', 'td-aaa111', 'ses_a', '["x"]');
INSERT INTO issue_dependencies (id, issue_id, depends_on_id) VALUES ('dep_1', 'td-aaa111', 'td-bbb222');
INSERT INTO boards (id, name, query) VALUES ('bd-00000001', 'chaos-board', 'status = open');
INSERT INTO board_issue_positions (id, board_id, issue_id, position) VALUES ('bip_1', 'bd-00000001', 'td-aaa111', 3);
INSERT INTO issue_files (id, issue_id, file_path, role) VALUES ('ifl_1', 'td-aaa111', 'src_file_1.go', 'test');
INSERT INTO work_sessions (id, name, session_id) VALUES ('ws-0001', 'chaos-ws-1', 'ses_a');
INSERT INTO work_session_issues (id, work_session_id, issue_id) VALUES ('wsi_1', 'ws-0001', 'td-aaa111');
"#;

fn converged(actors: &[&str]) -> World {
    let w = World::new(actors);
    w.exec_all(SAME_DATA);
    w
}

fn run(w: &World) -> Vec<td_e2e::verify::CheckResult> {
    let mut v = Verifier::new();
    v.convergence(&w.dbs).to_vec()
}

#[test]
fn identical_databases_converge_on_every_table_and_count() {
    let w = converged(&["alice", "bob"]);
    let results = run(&w);
    assert_all_valid(&results);
    // 10 tables × (rows + whole-table count) + deleted issue count.
    assert_eq!(results.len(), 21);
    let r = result(&results, "convergence: issues rows [alice vs bob]");
    assert_eq!(r.details, "2 identical rows");
}

/// One crafted divergence per table: (sql run on bob only, result that must fail, row text
/// that must be quoted in the message).
const DIVERGENCES: &[(&str, &str, &str)] = &[
    (
        "UPDATE issues SET title = 'other title' WHERE id = 'td-aaa111'",
        "convergence: issues rows",
        r#"only on bob: {id: "td-aaa111", title: "other title""#,
    ),
    (
        "UPDATE comments SET text = 'hello!'",
        "convergence: comments rows",
        r#"only on bob: {id: "cm-1", issue_id: "td-aaa111", text: "hello!", session_id: "ses_a"}"#,
    ),
    (
        "UPDATE logs SET type = 'blocker'",
        "convergence: logs rows",
        r#"type: "blocker""#,
    ),
    (
        r#"UPDATE handoffs SET done = '["y"]'"#,
        "convergence: handoffs rows",
        r#"done: "[\"y\"]""#,
    ),
    (
        "UPDATE issue_dependencies SET relation_type = 'blocks'",
        "convergence: issue_dependencies rows",
        r#"relation_type: "blocks""#,
    ),
    (
        "UPDATE boards SET view_mode = 'backlog' WHERE id = 'bd-all-issues'",
        "convergence: boards rows",
        r#"only on bob: {id: "bd-all-issues", name: "All Issues", is_builtin: 1, query: "", view_mode: "backlog"}"#,
    ),
    (
        "UPDATE board_issue_positions SET position = 4",
        "convergence: board_issue_positions rows",
        r#"only on alice: {id: "bip_1", board_id: "bd-00000001", issue_id: "td-aaa111", position: 3}"#,
    ),
    (
        "UPDATE issue_files SET role = 'reference'",
        "convergence: issue_files rows",
        r#"role: "reference""#,
    ),
    (
        "UPDATE work_sessions SET name = 'renamed'",
        "convergence: work_sessions rows",
        r#"name: "renamed""#,
    ),
    (
        "UPDATE work_session_issues SET issue_id = 'td-bbb222'",
        "convergence: work_session_issues rows",
        r#"only on bob: {id: "wsi_1", work_session_id: "ws-0001", issue_id: "td-bbb222"}"#,
    ),
];

#[test]
fn every_table_fails_on_a_crafted_divergence() {
    for (sql, failing, quoted) in DIVERGENCES {
        let w = converged(&["alice", "bob"]);
        w.exec("bob", sql);
        let results = run(&w);
        let name = format!("{failing} [alice vs bob]");
        assert_eq!(failing_names(&results), vec![name.clone()], "after {sql}");
        let r = result(&results, &name);
        assert_invalid(r, &["alice has", "1 only on alice, 1 only on bob", quoted]);
    }
}

#[test]
fn a_soft_deleted_issue_on_one_side_fails_rows_and_deleted_count() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "bob",
        "UPDATE issues SET deleted_at = '2026-01-02' WHERE id = 'td-aaa111'",
    );
    let results = run(&w);
    assert_eq!(
        failing_names(&results),
        vec![
            "convergence: issues rows [alice vs bob]",
            "convergence: deleted issue count [alice vs bob]"
        ]
    );
    assert_invalid(
        result(&results, "convergence: deleted issue count"),
        &["alice=1 bob=2"],
    );
    assert_invalid(
        result(&results, "convergence: issues rows"),
        &[r#"only on bob: {id: "td-aaa111""#, "deleted: 1}"],
    );
}

#[test]
fn a_one_sided_issue_fails_rows_and_row_count() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "alice",
        "INSERT INTO issues (id, title) VALUES ('td-ccc333', 'resurrected')",
    );
    let results = run(&w);
    assert_eq!(
        failing_names(&results),
        vec![
            "convergence: issues rows [alice vs bob]",
            "convergence: issues row count [alice vs bob]"
        ]
    );
    assert_invalid(
        result(&results, "convergence: issues rows"),
        &[
            "alice has 3 rows, bob has 2 rows",
            r#"only on alice: {id: "td-ccc333""#,
        ],
    );
}

#[test]
fn the_whole_table_count_catches_rows_the_row_comparison_filters_out() {
    let w = converged(&["alice", "bob"]);
    // A soft-deleted position is not live, so only the whole-table count can see it.
    w.exec(
        "bob",
        "INSERT INTO board_issue_positions (id, board_id, issue_id, position, deleted_at) \
         VALUES ('bip_2', 'bd-00000001', 'td-bbb222', 1, '2026-01-01')",
    );
    let results = run(&w);
    assert_eq!(
        failing_names(&results),
        vec!["convergence: board_issue_positions row count [alice vs bob]"]
    );
    assert_invalid(
        result(&results, "convergence: board_issue_positions row count"),
        &["alice=1 bob=2"],
    );
}

#[test]
fn positions_of_deleted_boards_are_not_live() {
    let w = converged(&["alice", "bob"]);
    // Orphaned position rows (board gone) on both sides: excluded from rows, equal counts.
    w.exec_all("PRAGMA foreign_keys = OFF; DELETE FROM boards WHERE id = 'bd-00000001';");
    w.exec(
        "bob",
        "PRAGMA foreign_keys = OFF; UPDATE board_issue_positions SET position = 9;",
    );
    assert_all_valid(&run(&w));
}

#[test]
fn null_is_not_the_empty_string() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "bob",
        "UPDATE issues SET description = NULL WHERE id = 'td-aaa111'",
    );
    let results = run(&w);
    assert_invalid(
        result(&results, "convergence: issues rows"),
        &[r#"description: "", status"#, "description: NULL, status"],
    );
}

#[test]
fn integer_zero_and_empty_text_differ() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "bob",
        "UPDATE issues SET points = '' WHERE id = 'td-aaa111'",
    );
    let results = run(&w);
    assert_invalid(
        result(&results, "convergence: issues rows"),
        &["points: 0, labels", r#"points: "", labels"#],
    );
}

#[test]
fn text_with_newlines_and_quotes_is_rendered_unambiguously() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "alice",
        "UPDATE comments SET text = 'a|b' || char(10) || 'c\"d'",
    );
    w.exec(
        "bob",
        "UPDATE comments SET text = 'a|b' || char(10) || 'c''d'",
    );
    let results = run(&w);
    assert_invalid(
        result(&results, "convergence: comments rows"),
        &[r#"text: "a|b\nc\"d""#, r#"text: "a|b\nc'd""#],
    );
}

#[test]
fn a_third_actor_is_compared_with_the_first() {
    let w = converged(&["alice", "bob", "carol"]);
    w.exec("carol", "DELETE FROM work_session_issues");
    let results = run(&w);
    assert_eq!(results.len(), 42);
    assert_eq!(
        failing_names(&results),
        vec![
            "convergence: work_session_issues rows [alice vs carol]",
            "convergence: work_session_issues row count [alice vs carol]"
        ]
    );
    assert_invalid(
        result(
            &results,
            "convergence: work_session_issues rows [alice vs carol]",
        ),
        &[
            "alice has 1 rows, carol has 0 rows",
            r#"only on alice: {id: "wsi_1""#,
        ],
    );
}

#[test]
fn a_missing_database_is_unknown_not_a_pass() {
    let w = converged(&["alice", "bob"]);
    let mut dbs = w.dbs.clone();
    dbs[1] = ActorDb::new("bob", w.dir.path().join("nope/issues.db"));
    let results = run_with(&dbs);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].verdict, Verdict::Unknown);
    assert!(results[0].details.contains("does not exist"), "{results:?}");
    // Read-only open never creates the file.
    assert!(!w.dir.path().join("nope/issues.db").exists());
}

#[test]
fn a_broken_table_is_unknown_for_that_table_only() {
    let w = converged(&["alice", "bob"]);
    w.exec("bob", "DROP TABLE handoffs");
    let results = run(&w);
    let r = result(&results, "convergence: handoffs rows");
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(
        r.details.contains("no such table: handoffs"),
        "{}",
        r.details
    );
    assert!(result(&results, "convergence: issues rows").passed());
}

#[test]
fn one_actor_is_not_enough() {
    let w = converged(&["alice"]);
    let results = run(&w);
    assert_eq!(results[0].verdict, Verdict::Unknown);
}

fn run_with(dbs: &[ActorDb]) -> Vec<td_e2e::verify::CheckResult> {
    let mut v = Verifier::new();
    v.convergence(dbs).to_vec()
}
