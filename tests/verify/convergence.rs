//! Convergence: every compared table fails on a crafted divergence, naming the rows.

use crate::support::{assert_all_valid, assert_invalid, failing_names, result, World};
use td_e2e::verify::{ActorDb, Verdict, Verifier};

/// Identical rows in all twelve synced tables, every compared column set (a tampered cell
/// must differ from what is there, whatever the column).
const SAME_DATA: &str = r#"
INSERT INTO issues (id, title, description, status, type, priority, points, labels, parent_id,
  acceptance, implementer_session, reviewer_session, created_at, updated_at, closed_at,
  deleted_at, minor, created_branch, creator_session, sprint, defer_until, due_date,
  defer_count, reviewed_at, review_requested_by_session, closed_by_session)
  VALUES ('td-aaa111', 'first issue', '', 'open', 'bug', 'P1', 3, 'a,b', 'td-bbb222', 'acc',
  'ses_i', 'ses_r', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03 00:00:00+00:00',
  NULL, 1, 'main', 'ses_a', 's1', '2026-02-01', '2026-03-01', 2, '2026-01-04T00:00:00Z',
  'ses_q', 'ses_c');
INSERT INTO issues (id, title, status, created_at, updated_at, deleted_at) VALUES ('td-bbb222', 'gone', 'open', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00');
INSERT INTO comments (id, issue_id, session_id, text, created_at) VALUES ('cm-1', 'td-aaa111', 'ses_a', 'hello', '2026-01-01T00:00:01Z');
INSERT INTO logs (id, issue_id, session_id, work_session_id, message, type, timestamp) VALUES ('lg-1', 'td-aaa111', 'ses_a', 'ws-0001', 'Started work', 'progress', '2026-01-01T00:00:02Z');
INSERT INTO handoffs (id, issue_id, session_id, done, remaining, decisions, uncertain, timestamp) VALUES ('ho-1', 'td-aaa111', 'ses_a', '["x"]', '["r"]', '["d"]', '["u"]', '2026-01-01T00:00:03Z');
INSERT INTO issue_dependencies (id, issue_id, depends_on_id) VALUES ('dep_1', 'td-aaa111', 'td-bbb222');
INSERT INTO boards (id, name, last_viewed_at, created_at, updated_at, query, view_mode) VALUES ('bd-00000001', 'chaos-board', '2026-01-01T00:00:04Z', '2026-01-01T00:00:05Z', '2026-01-01T00:00:06Z', 'status = open', 'backlog');
INSERT INTO board_issue_positions (id, board_id, issue_id, position, added_at) VALUES ('bip_1', 'bd-00000001', 'td-aaa111', 3, '2026-01-01T00:00:07Z');
INSERT INTO board_issue_positions (id, board_id, issue_id, position, added_at, deleted_at) VALUES ('bip_2', 'bd-00000001', 'td-bbb222', 1, '2026-01-01T00:00:08Z', '2026-01-01 00:00:09+00:00');
INSERT INTO issue_files (id, issue_id, file_path, role, linked_sha, linked_at) VALUES ('ifl_1', 'td-aaa111', 'src_file_1.go', 'test', 'abc123', '2026-01-01T00:00:10Z');
INSERT INTO work_sessions (id, name, session_id, started_at, ended_at, start_sha, end_sha) VALUES ('ws-0001', 'chaos-ws-1', 'ses_a', '2026-01-01T00:00:11Z', '2026-01-01T00:00:12Z', 's0', 's1');
INSERT INTO work_session_issues (id, work_session_id, issue_id, tagged_at) VALUES ('wsi_1', 'ws-0001', 'td-aaa111', '2026-01-01T00:00:13Z');
INSERT INTO issue_reviews (id, issue_id, reviewer_session, decision, summary, requested_by_session, created_at, superseded_at, self_review, reviewed_by) VALUES ('rv-1', 'td-aaa111', 'ses_r', 'approved', 'lgtm', 'ses_q', '2026-01-01T00:00:14Z', '2026-01-01T00:00:15Z', 1, 'bob');
INSERT INTO notes (id, title, content, created_at, updated_at, pinned, archived, deleted_at) VALUES ('nt-1', 'note', 'body', '2026-01-01T00:00:16Z', '2026-01-01T00:00:17Z', 1, 1, '2026-01-01T00:00:18Z');
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
    // 12 synced tables × (rows + whole-table count) + deleted issue count.
    assert_eq!(results.len(), 25);
    let r = result(&results, "convergence: issues rows [alice vs bob]");
    assert_eq!(r.details, "2 identical rows");
}

/// One crafted divergence per table: (sql run on bob only, result that must fail, text that
/// must be quoted in the message).
const DIVERGENCES: &[(&str, &str, &str)] = &[
    (
        "UPDATE issues SET title = 'other title' WHERE id = 'td-aaa111'",
        "convergence: issues rows",
        r#"issues "td-aaa111" title: alice "first issue" vs bob "other title""#,
    ),
    (
        "UPDATE comments SET text = 'hello!'",
        "convergence: comments rows",
        r#"only on bob: {id: "cm-1", issue_id: "td-aaa111", session_id: "ses_a", text: "hello!", created_at: "2026-01-01T00:00:01Z"}"#,
    ),
    (
        "UPDATE logs SET type = 'blocker'",
        "convergence: logs rows",
        r#"type: "blocker""#,
    ),
    (
        r#"UPDATE handoffs SET done = '["y"]'"#,
        "convergence: handoffs rows",
        r#"handoffs "ho-1" done: alice "[\"x\"]" vs bob "[\"y\"]""#,
    ),
    (
        "UPDATE issue_dependencies SET relation_type = 'blocks'",
        "convergence: issue_dependencies rows",
        r#"relation_type: "blocks""#,
    ),
    (
        "UPDATE boards SET view_mode = 'backlog' WHERE id = 'bd-all-issues'",
        "convergence: boards rows",
        r#"only on bob: {id: "bd-all-issues", name: "All Issues", last_viewed_at: NULL, created_at: "<local>", updated_at: "<local>", query: "", is_builtin: 1, view_mode: "backlog"}"#,
    ),
    (
        "UPDATE board_issue_positions SET position = 4 WHERE id = 'bip_1'",
        "convergence: board_issue_positions rows",
        r#"only on alice: {id: "bip_1", board_id: "bd-00000001", issue_id: "td-aaa111", position: 3, added_at: "2026-01-01T00:00:07Z", deleted_at: NULL}"#,
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
        r#"work_session_issues "wsi_1" issue_id: alice "td-aaa111" vs bob "td-bbb222""#,
    ),
    (
        "UPDATE issue_reviews SET decision = 'changes_requested'",
        "convergence: issue_reviews rows",
        r#"issue_reviews "rv-1" decision: alice "approved" vs bob "changes_requested""#,
    ),
    (
        "UPDATE notes SET pinned = 0",
        "convergence: notes rows",
        r#"notes "nt-1" pinned: alice 1 vs bob 0"#,
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

/// Every compared (table, column): tampering that one cell on one replica fails exactly that
/// table's rows, and the message names the table, the row and the column.
#[test]
fn every_compared_column_fails_when_one_cell_is_tampered() {
    let compared = td_e2e::verify::tables::compared();
    assert_eq!(compared.len(), 99, "{compared:?}");
    let template = converged(&["alice", "bob"]);
    for (table, column) in compared {
        let w = template.copy();
        // Integers move, everything else (text, NULL) becomes a marker, one per row (ids and
        // unique keys stay unique); with foreign keys off an id column may point anywhere.
        w.exec(
            "bob",
            &format!(
                "PRAGMA foreign_keys = OFF; UPDATE {table} SET {column} = CASE WHEN typeof({column}) = 'integer' \
                 THEN {column} + 7 ELSE 'tampered-' || rowid END"
            ),
        );
        let results = run(&w);
        let name = format!("convergence: {table} rows [alice vs bob]");
        let failing = failing_names(&results);
        assert!(
            failing.first() == Some(&name),
            "tampering {table}.{column} must fail {name}, failed: {failing:?}"
        );
        let r = result(&results, &name);
        let named = if column == "id" {
            // A new id is a different row: listed on each side, with its column label.
            "only on bob: {id: ".to_string()
        } else {
            format!("\n  {table} ")
        };
        assert_invalid(r, &[&named]);
        if column != "id" {
            assert!(
                r.details.contains(&format!(" {column}: alice ")),
                "{table}.{column}: the failure does not name the column:\n{}",
                r.details
            );
        }
    }
}

/// The columns left out are exactly EXCLUDED's: tampering them changes nothing.
#[test]
fn excluded_columns_may_differ() {
    let w = converged(&["alice", "bob"]);
    w.exec(
        "bob",
        "UPDATE work_sessions SET worktree_id = 'w', worktree_root = '/bob', repo_root = '/bob';
         UPDATE boards SET created_at = '2027-01-01', updated_at = '2027-01-01' WHERE is_builtin = 1;",
    );
    assert_all_valid(&run(&w));
    // The built-in board's other columns, and the other boards' timestamps, still count.
    w.exec(
        "bob",
        "UPDATE boards SET created_at = '2027-01-01' WHERE is_builtin = 0",
    );
    let results = run(&w);
    assert_invalid(
        result(&results, "convergence: boards rows"),
        &[r#"boards "bd-00000001" created_at: alice "2026-01-01T00:00:05Z" vs bob "2027-01-01""#],
    );
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
        &[r#"issues "td-aaa111" deleted_at: alice NULL vs bob "2026-01-02""#],
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
fn a_one_sided_soft_deleted_position_fails_rows_and_count() {
    let w = converged(&["alice", "bob"]);
    // Soft-deleted positions are rows like any other: a revival must find them everywhere.
    w.exec(
        "bob",
        "INSERT INTO board_issue_positions (id, board_id, issue_id, position, deleted_at) \
         VALUES ('bip_3', 'bd-all-issues', 'td-bbb222', 1, '2026-01-01')",
    );
    let results = run(&w);
    assert_eq!(
        failing_names(&results),
        vec![
            "convergence: board_issue_positions rows [alice vs bob]",
            "convergence: board_issue_positions row count [alice vs bob]"
        ]
    );
    assert_invalid(
        result(&results, "convergence: board_issue_positions row count"),
        &["alice=2 bob=3"],
    );
}

#[test]
fn positions_of_deleted_boards_are_compared_too() {
    let w = converged(&["alice", "bob"]);
    // Orphaned position rows (board gone) on both sides still have to agree.
    w.exec_all("PRAGMA foreign_keys = OFF; DELETE FROM boards WHERE id = 'bd-00000001';");
    assert_all_valid(&run(&w));
    w.exec(
        "bob",
        "PRAGMA foreign_keys = OFF; UPDATE board_issue_positions SET position = 9 WHERE id = 'bip_1';",
    );
    assert_invalid(
        result(&run(&w), "convergence: board_issue_positions rows"),
        &[r#"board_issue_positions "bip_1" position: alice 3 vs bob 9"#],
    );
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
        &["points: 3, labels", r#"points: "", labels"#],
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
    assert_eq!(results.len(), 50);
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

/// The schema td really creates (`td init` in a fresh world, migrations included) has no
/// column of a synced table that convergence neither compares nor excludes with a reason.
#[test]
fn every_column_of_a_fresh_td_database_is_compared_or_excluded() {
    use td_e2e::driver::Driver;
    let cfg = td_e2e::config::HarnessConfig::load_default().expect("harness.toml");
    let h = td_e2e::harness::Harness::setup(&cfg, &td_e2e::harness::WorldOptions::actors(2))
        .expect("world");
    let conn = rusqlite::Connection::open_with_flags(
        h.db_path("alice"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let columns = |table: &str| -> Vec<String> {
        td_core::schema::table_columns(&conn, table)
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    for table in td_core::schema::SYNCED_TABLES {
        assert!(!columns(table).is_empty(), "td init created no {table}");
    }
    let gaps = td_e2e::verify::tables::coverage_gaps(columns);
    assert!(gaps.is_empty(), "{gaps:#?}");
}
