//! `td dep add|rm` (§6.4, §7.6, §8): rows, action_log rows, outputs and exit codes.

use crate::common::{digest_id, kinds, Project};
use serde_json::json;

fn dep_id(a: &str, b: &str) -> String {
    digest_id("dep_", &format!("{a}|{b}|depends_on"))
}

fn dep_rows(env: &Project) -> i64 {
    env.int("SELECT COUNT(*) FROM issue_dependencies", &[])
}

#[test]
fn add_writes_the_row_and_its_action_and_prints_the_pair() {
    let env = Project::new();
    let a = env.create("parser rewrite for tdq", &[]);
    let b = env.create("tokenizer groundwork", &[]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["dep", "add", &a, &b]);
    assert_eq!(
        out.stdout,
        format!(
            "ADDED: {a} depends on {b}\n  {a}: parser rewrite for tdq\n  └── now depends on: {b}: tokenizer groundwork\n"
        )
    );
    let id = dep_id(&a, &b);
    assert_eq!(
        env.text(
            "SELECT issue_id || '>' || depends_on_id || ':' || relation_type FROM issue_dependencies WHERE id = ?1",
            &[&id]
        ),
        Some(format!("{a}>{b}:depends_on"))
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1, "{acts:?}");
    let act = &acts[0];
    assert_eq!(
        (act.action_type.as_str(), act.entity_type.as_str()),
        ("add_dependency", "issue_dependencies")
    );
    assert_eq!(act.entity_id, id);
    assert_eq!(act.previous_text, "");
    assert_eq!(
        act.new_text,
        json!({"id": id, "issue_id": a, "depends_on_id": b, "relation_type": "depends_on"})
            .to_string()
    );
}

#[test]
fn shorthand_and_depends_on_flag_add_several_with_a_summary() {
    let env = Project::new();
    let a = env.create("umbrella piece of work", &[]);
    let b = env.create("first prerequisite piece", &[]);
    let c = env.create("second prerequisite piece", &[]);
    let d = env.create("third prerequisite piece", &[]);
    let out = env.ok(&["dep", &a, &b]);
    assert!(out
        .stdout
        .starts_with(&format!("ADDED: {a} depends on {b}\n")));
    assert!(!out.stdout.contains("Added"), "single dep has no summary");
    let out = env.ok(&["dep", "add", &a, "--depends-on", &format!("{c}, {d}")]);
    assert!(out.stdout.ends_with("\nAdded 2 dependencies\n"), "{out:?}");
    assert_eq!(dep_rows(&env), 3);
}

#[test]
fn cycles_duplicates_and_missing_issues_are_reported_but_exit_zero() {
    let env = Project::new();
    let a = env.create("first link in the chain", &[]);
    let b = env.create("second link in the chain", &[]);
    let c = env.create("third link in the chain", &[]);
    env.ok(&["dep", "add", &a, &b]);
    env.ok(&["dep", "add", &b, &c]);
    let mark = env.max_action_rowid();
    for (x, y) in [(&c, &a), (&a, &a), (&b, &a)] {
        let out = env.ok(&["dep", "add", x, y]);
        assert_eq!(
            out.stderr,
            "ERROR: cannot add dependency: would create circular dependency\n"
        );
        assert_eq!(out.stdout, "");
    }
    let out = env.ok(&["dep", "add", &a, &b]);
    assert_eq!(out.stderr, format!("Warning: {a} already depends on {b}\n"));
    let out = env.ok(&["dep", "add", &a, "td-zzzzzz", &c]);
    assert!(
        out.stderr.contains("ERROR: issue not found: td-zzzzzz"),
        "{out:?}"
    );
    assert!(out.stdout.contains(&format!("ADDED: {a} depends on {c}")));
    assert!(out.stdout.ends_with("\nAdded 1 dependencies\n"), "{out:?}");
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[("add_dependency", "issue_dependencies")])
    );
    assert_eq!(dep_rows(&env), 3);
}

#[test]
fn rm_deletes_with_previous_data_and_is_a_quiet_no_op_when_absent() {
    let env = Project::new();
    let a = env.create("issue that will lose a dep", &[]);
    let b = env.create("dependency to be removed", &[]);
    env.ok(&["dep", "add", &a, &b]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["dep", "rm", &a, &b]);
    assert_eq!(
        out.stdout,
        format!("REMOVED: {a} no longer depends on {b}\n")
    );
    assert_eq!(dep_rows(&env), 0);
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].action_type, "remove_dependency");
    assert_eq!(acts[0].entity_type, "issue_dependencies");
    assert_eq!(acts[0].entity_id, dep_id(&a, &b));
    assert_eq!(
        acts[0].previous,
        json!({"id": dep_id(&a, &b), "issue_id": a, "depends_on_id": b, "relation_type": "depends_on"})
    );
    assert_eq!(acts[0].new_text, "");

    let mark = env.max_action_rowid();
    let out = env.ok(&["dep", "remove", &a, &b]);
    assert_eq!(
        out.stdout,
        format!("REMOVED: {a} no longer depends on {b}\n")
    );
    assert_eq!(
        env.max_action_rowid(),
        mark,
        "nothing removed, nothing logged"
    );
    env.fails(
        &["dep", "rm", &a, "td-0000ff"],
        "ERROR: issue not found: td-0000ff",
    );
    env.fails(&["dep", "rm", "td-0000ff", &a], "issue not found");
}

#[test]
fn dependency_changes_invalidate_an_active_approval() {
    let env = Project::new();
    let x = env.create("work that gets approved", &[]);
    let y = env.create("late discovered prerequisite", &[]);
    env.ok(&["start", &x]);
    env.ok(&["review", &x]);
    let out = env.td_as("bob", &["approve", &x, "--record-only", "--reason", "ok"]);
    assert_eq!(out.code, 0, "{out:?}");
    let bob = env.session_of("bob");
    let reviewer = "SELECT reviewer_session FROM issues WHERE id = ?1";
    assert_eq!(env.text(reviewer, &[&x]), Some(bob));
    let mark = env.max_action_rowid();
    env.ok(&["dep", "add", &x, &y]);
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("add_dependency", "issue_dependencies"),
            ("update", "issue_reviews"),
            ("update", "issue"),
        ])
    );
    assert_eq!(env.text(reviewer, &[&x]), Some(String::new()));
    let active = "SELECT COUNT(*) FROM issue_reviews WHERE issue_id = ?1 AND superseded_at IS NULL";
    assert_eq!(env.int(active, &[&x]), 0);
    // No approval left: removing the dependency logs only the removal.
    let mark = env.max_action_rowid();
    env.ok(&["dep", "rm", &x, &y]);
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[("remove_dependency", "issue_dependencies")])
    );
}
