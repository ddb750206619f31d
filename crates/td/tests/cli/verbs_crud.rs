//! init, create, update/edit, delete, restore, show, list: rows, action_log, output, exit codes.

use crate::common::{Out, Project};
use serde_json::json;

#[test]
fn init_creates_schema_builtin_board_and_session_without_events() {
    let p = Project::bare();
    let out = p.td(&["init"]);
    out.ok();
    let todos = p.root.join(".todos");
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(format!("INITIALIZED {}", todos.display()).as_str())
    );
    let session = lines.next().unwrap();
    assert!(session.starts_with("Session: ses_"), "{session}");
    assert_eq!(lines.next(), Some(""));
    assert_eq!(
        p.row("SELECT value FROM schema_info WHERE key = 'version'", &[])
            .unwrap()
            .str("value"),
        "38"
    );
    let board = p
        .row("SELECT * FROM boards WHERE id = 'bd-all-issues'", &[])
        .expect("builtin board");
    assert_eq!(board.str("name"), "All Issues");
    assert_eq!(board.int("is_builtin"), 1);
    assert_eq!(board.str("view_mode"), "swimlanes");
    assert_eq!(p.action_count(), 0);
    assert_eq!(p.count("SELECT COUNT(*) FROM sessions", &[]), 1);
    assert_eq!(p.count("SELECT COUNT(*) FROM sync_state", &[]), 0);
    assert_eq!(
        p.session_of("alice"),
        session.trim_start_matches("Session: ")
    );

    let again = p.td(&["init"]);
    again.ok();
    assert!(again.stderr.contains("Warning: .todos/ already exists"));
}

#[test]
fn commands_before_init_fail_with_guidance() {
    let p = Project::bare();
    for args in [
        &["list"][..],
        &["create", "Something descriptive here"],
        &["show", "td-000000"],
    ] {
        let out = p.td(args);
        out.expect_code(1);
        assert!(
            out.stderr
                .contains("database not found: run 'td init' first"),
            "{out:?}"
        );
    }
    assert!(!p.root.join(".todos").exists());
}

#[test]
fn create_writes_row_history_and_one_create_event() {
    let p = Project::new();
    let me = p.session_of("alice");
    let out = p.td(&[
        "create",
        "Fix the login flow for production",
        "--type",
        "bug",
        "--priority",
        "P1",
        "--points",
        "3",
        "--labels",
        "backend, api,backend",
        "--label",
        "urgent",
        "-d",
        "Some description",
        "--acceptance",
        "- All tests pass",
        "--parent",
        "td-nonexistent",
    ]);
    out.ok();
    let id = out.issue_id();
    assert_eq!(out.stdout, format!("CREATED {id}\n"));
    assert_eq!(id.len(), 9, "td- + 6 hex: {id}");

    let row = p.issue(&id);
    assert_eq!(row.str("title"), "Fix the login flow for production");
    assert_eq!(row.str("status"), "open");
    assert_eq!(row.str("type"), "bug");
    assert_eq!(row.str("priority"), "P1");
    assert_eq!(row.int("points"), 3);
    assert_eq!(row.str("labels"), "backend,api,urgent");
    assert_eq!(row.str("description"), "Some description");
    assert_eq!(row.str("acceptance"), "- All tests pass");
    assert_eq!(row.str("parent_id"), "td-nonexistent");
    assert_eq!(row.str("creator_session"), me);
    assert_eq!(row.str("implementer_session"), "");
    assert_eq!(row.str("created_branch"), "");
    assert_eq!(row.int("minor"), 0);
    assert!(row.is_null("deleted_at") && row.is_null("closed_at"));
    assert_eq!(row.str("created_at"), row.str("updated_at"));

    let acts = p.actions();
    assert_eq!(acts.len(), 1);
    let a = &acts[0];
    assert_eq!(a.kind(), ("create", "issue"));
    assert_eq!(a.entity_id, id);
    assert_eq!(a.session_id, me);
    assert!(a.previous.is_null());
    assert_eq!(a.undone, 0);
    assert_eq!(a.new["id"], json!(id));
    assert_eq!(a.new["title"], json!("Fix the login flow for production"));
    assert_eq!(a.new["status"], json!("open"));
    assert_eq!(a.new["type"], json!("bug"));
    assert_eq!(a.new["priority"], json!("P1"));
    assert_eq!(a.new["points"], json!(3));
    assert_eq!(a.new["labels"], json!(["backend", "api", "urgent"]));
    assert_eq!(a.new["acceptance"], json!("- All tests pass"));
    assert_eq!(a.new["parent_id"], json!("td-nonexistent"));
    assert_eq!(a.new["creator_session"], json!(me));
    assert_eq!(a.new["minor"], json!(false));
    assert!(a.timestamp.ends_with('Z') && a.timestamp.contains('T'));

    let hist = p.rows(
        "SELECT session_id, action FROM issue_session_history WHERE issue_id = ?1",
        &[&id],
    );
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].str("action"), "created");
    assert_eq!(hist[0].str("session_id"), me);
}

#[test]
fn create_defaults_aliases_type_word_and_prefix() {
    let p = Project::new();
    let id = p.create("Plain defaults for a new issue", &[]);
    let row = p.issue(&id);
    assert_eq!(
        (row.str("type"), row.str("priority"), row.int("points")),
        ("task".into(), "P2".into(), 0)
    );
    assert_eq!(row.str("labels"), "");

    for alias in ["add", "new"] {
        let out = p.td(&[alias, "Created through an alias verb"]);
        out.ok();
        assert!(out.stdout.starts_with("CREATED td-"));
    }

    let out = p.td(&["create", "bug", "Crash", "when", "saving", "drafts"]);
    let row = p.issue(&out.ok().issue_id());
    assert_eq!(row.str("type"), "bug");
    assert_eq!(row.str("title"), "Crash when saving drafts");

    let id = p.create("feature: Dark mode toggle in settings", &[]);
    let row = p.issue(&id);
    assert_eq!(row.str("type"), "feature");
    assert_eq!(row.str("title"), "Dark mode toggle in settings");

    let id = p.create("A story shaped issue title", &["-t", "story", "-p", "high"]);
    let row = p.issue(&id);
    assert_eq!(
        (row.str("type"), row.str("priority")),
        ("feature".into(), "P1".into())
    );

    let id = p.create("Minor tweak to the footer", &["--minor"]);
    assert_eq!(p.issue(&id).int("minor"), 1);
}

#[test]
fn create_short_title_only_warns() {
    let p = Project::new();
    let out = p.td(&["create", "x"]);
    out.ok();
    assert!(out.stderr.starts_with("Warning: "), "{out:?}");
    assert_eq!(p.issue(&out.issue_id()).str("title"), "x");
}

#[test]
fn create_with_depends_on_and_blocks_writes_dependency_events() {
    let p = Project::new();
    let base = p.create("Base issue everything needs", &[]);
    let other = p.create("Issue blocked by the new one", &[]);
    let id = p.create(
        "Depends on base and blocks other",
        &["--depends-on", &base, "--blocks", &other],
    );
    let deps = p.rows(
        "SELECT issue_id, depends_on_id, relation_type FROM issue_dependencies ORDER BY issue_id = ?1 DESC",
        &[&id],
    );
    assert_eq!(deps.len(), 2);
    assert_eq!(
        (deps[0].str("issue_id"), deps[0].str("depends_on_id")),
        (id.clone(), base)
    );
    assert_eq!(
        (deps[1].str("issue_id"), deps[1].str("depends_on_id")),
        (other, id.clone())
    );
    let kinds: Vec<_> = p
        .actions_since(2)
        .iter()
        .map(|a| (a.action_type.clone(), a.entity_type.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("create", "issue"),
            ("add_dependency", "issue_dependencies"),
            ("add_dependency", "issue_dependencies")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
}

/// The update event of `id` written after `after`.
fn only_update(p: &Project, after: i64, id: &str) -> crate::common::Action {
    let acts = p.actions_since(after);
    assert_eq!(acts.len(), 1, "{acts:#?}");
    let a = acts.into_iter().next().unwrap();
    assert_eq!(a.kind(), ("update", "issue"));
    assert_eq!(a.entity_id, id);
    a
}

#[test]
fn update_sets_each_field_with_snapshots() {
    let p = Project::new();
    let id = p.create("Original title of the issue", &["-d", "old text"]);
    let mark = p.max_action_rowid();
    let out = p.td(&[
        "update",
        &id,
        "--title",
        "Renamed title of the issue",
        "--description",
        "new text",
        "--acceptance",
        "- criteria",
        "--type",
        "chore",
        "--priority",
        "0",
        "--points",
        "8",
        "--labels",
        "x,y",
        "--sprint",
        "sprint-2",
        "--parent",
        "td-abcdef",
    ]);
    out.ok();
    assert_eq!(out.stdout, format!("UPDATED {id}\n"));
    let row = p.issue(&id);
    assert_eq!(row.str("title"), "Renamed title of the issue");
    assert_eq!(row.str("description"), "new text");
    assert_eq!(row.str("acceptance"), "- criteria");
    assert_eq!(row.str("type"), "chore");
    assert_eq!(row.str("priority"), "P0");
    assert_eq!(row.int("points"), 8);
    assert_eq!(row.str("labels"), "x,y");
    assert_eq!(row.str("sprint"), "sprint-2");
    assert_eq!(row.str("parent_id"), "td-abcdef");

    let a = only_update(&p, mark, &id);
    assert_eq!(a.previous["title"], json!("Original title of the issue"));
    assert_eq!(a.previous["description"], json!("old text"));
    assert_eq!(a.previous["priority"], json!("P2"));
    assert_eq!(a.new["title"], json!("Renamed title of the issue"));
    assert_eq!(a.new["type"], json!("chore"));
    assert_eq!(a.new["labels"], json!(["x", "y"]));
    assert_eq!(a.new["sprint"], json!("sprint-2"));
    assert_eq!(a.new["parent_id"], json!("td-abcdef"));
    assert!(a.new["updated_at"].is_string());
    assert_ne!(a.new["updated_at"], a.previous["updated_at"]);
}

#[test]
fn update_edge_semantics_append_clear_and_noops() {
    let p = Project::new();
    let id = p.create(
        "Issue for update semantics",
        &[
            "-d",
            "first",
            "--points",
            "5",
            "-l",
            "a,b",
            "--acceptance",
            "acc",
        ],
    );
    p.td(&["edit", &id, "--append", "--description", "second"])
        .ok();
    assert_eq!(p.issue(&id).str("description"), "first\n\nsecond");
    p.td(&["update", &id, "--append", "--acceptance", "more"])
        .ok();
    assert_eq!(p.issue(&id).str("acceptance"), "acc\n\nmore");

    // Empty text flags are no-ops; --points 0, --labels '' and --sprint '' clear.
    p.td(&[
        "update",
        &id,
        "--description",
        "",
        "--acceptance",
        "",
        "--title",
        "",
        "--points",
        "0",
        "--labels",
        "",
        "--sprint",
        "",
    ])
    .ok();
    let row = p.issue(&id);
    assert_eq!(row.str("title"), "Issue for update semantics");
    assert_eq!(row.str("description"), "first\n\nsecond");
    assert_eq!(row.str("acceptance"), "acc\n\nmore");
    assert_eq!(row.int("points"), 0);
    assert_eq!(row.str("labels"), "");

    // Later repeats of a flag win.
    p.td(&["update", &id, "--priority", "P1", "--priority", "P3"])
        .ok();
    assert_eq!(p.issue(&id).str("priority"), "P3");

    // --status follows the transition table.
    p.td(&["update", &id, "--status", "in_progress"]).ok();
    assert_eq!(p.issue(&id).str("status"), "in_progress");
}

#[test]
fn update_many_ids_continues_past_missing_ones() {
    let p = Project::new();
    let a = p.create("First issue of the bulk update", &[]);
    let b = p.create("Second issue of the bulk update", &[]);
    let mark = p.max_action_rowid();
    let out = p.td(&["update", &a, "td-000000", &b, "--priority", "P0"]);
    out.ok();
    assert_eq!(out.stdout, format!("UPDATED {a}\nUPDATED {b}\n"));
    assert!(out.stderr.contains("ERROR: issue not found: td-000000"));
    assert_eq!(p.issue(&a).str("priority"), "P0");
    assert_eq!(p.issue(&b).str("priority"), "P0");
    let ids: Vec<_> = p
        .actions_since(mark)
        .into_iter()
        .map(|x| x.entity_id)
        .collect();
    assert_eq!(ids, [a, b]);
}

#[test]
fn update_with_comment_flag_adds_comment_event() {
    let p = Project::new();
    let id = p.create("Issue receiving an update comment", &[]);
    let mark = p.max_action_rowid();
    p.td(&["update", &id, "--priority", "P1", "-m", "- why it changed"])
        .ok();
    let kinds: Vec<_> = p
        .actions_since(mark)
        .iter()
        .map(|a| format!("{}/{}", a.action_type, a.entity_type))
        .collect();
    assert_eq!(kinds, ["update/issue", "create/comments"]);
    let c = p
        .row("SELECT * FROM comments WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(c.str("text"), "- why it changed");
}

#[test]
fn delete_and_restore_are_logged_soft_changes() {
    let p = Project::new();
    let id = p.create("Issue to delete and restore", &[]);
    let mark = p.max_action_rowid();
    let out = p.td(&["delete", &id]);
    out.ok();
    assert_eq!(out.stdout, format!("DELETED {id}\n"));
    let row = p.issue(&id);
    assert!(!row.is_null("deleted_at"));
    assert_eq!(row.str("deleted_at"), row.str("updated_at"));
    let acts = p.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].kind(), ("delete", "issue"));
    assert_eq!(acts[0].entity_id, id);
    assert_eq!(acts[0].previous["id"], json!(id));
    assert!(acts[0].previous.get("deleted_at").is_none());
    assert!(acts[0].new.is_null());

    // Hidden from list, still shown.
    assert!(!p.td(&["list", "--all"]).stdout.contains(&id));
    assert!(p
        .td(&["show", &id])
        .ok()
        .stdout
        .starts_with(&format!("{id}: ")));

    // Deleting again re-stamps and logs again.
    p.td(&["delete", &id]).ok();
    assert_eq!(
        p.actions_for(&id)
            .iter()
            .filter(|a| a.action_type == "delete")
            .count(),
        2
    );

    let mark = p.max_action_rowid();
    let out = p.td(&["restore", &id]);
    out.ok();
    assert_eq!(out.stdout, format!("RESTORED {id}\n"));
    assert!(p.issue(&id).is_null("deleted_at"));
    let acts = p.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].kind(), ("restore", "issue"));
    assert!(acts[0].previous.get("deleted_at").is_some());
    assert!(acts[0].new.get("deleted_at").is_none());
    assert!(p.td(&["list"]).stdout.contains(&id));
}

#[test]
fn delete_and_restore_of_unknown_ids_exit_zero_without_writes() {
    let p = Project::new();
    let id = p.create("Issue surviving the bulk delete", &[]);
    let before = p.snapshot();
    let out = p.td(&["delete", "td-000000"]);
    out.ok();
    assert!(out
        .stderr
        .contains("ERROR: failed to delete td-000000: issue not found: td-000000"));
    let out = p.td(&["restore", "td-000000"]);
    out.ok();
    assert!(out.stderr.contains("td-000000"));
    assert_eq!(p.snapshot(), before);
    // Bulk: the good id is still deleted.
    let out = p.td(&["delete", "td-000000", &id, "-f", "-y"]);
    out.ok();
    assert_eq!(out.stdout, format!("DELETED {id}\n"));
}

#[test]
fn show_human_and_json() {
    let p = Project::new();
    let id = p.create(
        "Multi\nline\ttitle with control\u{7} chars",
        &["--points", "5", "--minor", "-l", "a,b", "-d", "Body text"],
    );
    let out = p.td(&["show", &id]);
    out.ok();
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{id}: Multi linetitle with control chars")
    );
    assert_eq!(lines.next().unwrap(), "Status: [open]");
    assert_eq!(
        lines.next().unwrap(),
        "Type: task | Priority: P2 | Points: 5 | Minor"
    );
    assert!(out.stdout.contains("Body text"));

    let out = p.td(&["show", &id, "--json"]);
    out.ok();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("show --json is JSON");
    assert_eq!(v["id"], json!(id));
    assert_eq!(
        v["title"],
        json!("Multi\nline\ttitle with control\u{7} chars")
    );
    assert_eq!(v["labels"], json!(["a", "b"]));
    assert_eq!(v["minor"], json!(true));
    assert!(v["handoff"].is_null());
    assert!(v["logs"].is_array());
    for k in [
        "description",
        "parent_id",
        "acceptance",
        "implementer_session",
        "reviewer_session",
        "review_requested_by_session",
        "closed_by_session",
        "created_at",
        "updated_at",
    ] {
        assert!(v.get(k).is_some(), "show --json lacks {k}");
    }
    let f = p.td(&["show", &id, "-f", "json"]);
    assert_eq!(f.ok().stdout, out.stdout);
}

#[test]
fn show_unknown_id_fails() {
    let p = Project::new();
    let out = p.td(&["show", "td-000000"]);
    out.expect_code(1);
    assert!(out.stderr.contains("ERROR: issue not found: td-000000"));
    assert_eq!(out.stdout, "");
}

fn td_lines(out: &Out) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.contains("td-"))
        .map(String::from)
        .collect()
}

#[test]
fn list_lines_filters_and_order() {
    let p = Project::new();
    let out = p.td(&["list"]);
    out.ok();
    assert_eq!(out.stdout, "No issues found\n");

    let low = p.create("Low priority issue here", &["-p", "P3"]);
    let top = p.create(
        "Top\npriority issue here",
        &["-p", "P0", "--points", "2", "-t", "bug"],
    );
    let closed = p.create("Closed issue not listed", &[]);
    p.td(&["close", &closed]).ok();
    let deleted = p.create("Deleted issue never listed", &[]);
    p.td(&["delete", &deleted]).ok();

    let out = p.td(&["list"]);
    out.ok();
    assert_eq!(
        td_lines(&out),
        [
            format!("{top}  [P0]  Top priority issue here  2pts  bug  [open]"),
            format!("{low}  [P3]  Low priority issue here  task  [open]"),
        ]
    );
    let all = p.td(&["ls", "--all"]);
    let lines = td_lines(all.ok());
    assert_eq!(lines.len(), 3);
    // Sorted by priority: P0, then the closed P2, then P3.
    assert!(lines[1].starts_with(&closed) && lines[1].ends_with("[closed]"));
    assert!(!all.stdout.contains(&deleted));
    let a = p.td(&["list", "-a"]);
    assert_eq!(a.ok().stdout, all.stdout);
}

#[test]
fn list_default_limit_is_fifty_lines() {
    let p = Project::new();
    for i in 0..55 {
        p.create(&format!("Issue number {i} for the limit"), &[]);
    }
    assert_eq!(td_lines(&p.td(&["list", "--all"])).len(), 50);
    assert_eq!(td_lines(&p.td(&["list", "-n", "60"])).len(), 55);
}

#[test]
fn list_status_filter_binds_its_values() {
    let p = Project::new();
    let open = p.create("Open issue for the status filter", &[]);
    let started = p.create("Started issue for the status filter", &[]);
    p.td(&["start", &started]).ok();
    let closed = p.create("Closed issue for the status filter", &[]);
    p.td(&["close", &closed]).ok();
    let only = |args: &[&str]| -> Vec<String> {
        td_lines(&p.td(args))
            .iter()
            .map(|l| l[..9].to_string())
            .collect()
    };
    assert_eq!(only(&["list", "-s", "in_progress"]), [started]);
    assert_eq!(only(&["list", "-s", "open,closed"]).len(), 2);
    assert_eq!(only(&["list", "--status", "closed"]), [closed]);
    assert_eq!(only(&["list", "-s", "all"]).len(), 3);
    let hostile = p.td(&["list", "-s", "open') OR 1=1; DROP TABLE issues; --"]);
    hostile.ok();
    assert_eq!(hostile.stdout, "No issues found\n");
    assert_eq!(p.count("SELECT COUNT(*) FROM issues", &[]), 3);
    assert!(only(&["list"]).contains(&open));
}

#[test]
fn create_with_missing_dependency_ends_still_creates_and_prints_created_first() {
    let p = Project::new();
    for flag in ["--depends-on", "--blocks"] {
        let out = p.td(&["create", "Issue linked to a missing one", flag, "td-000000"]);
        out.ok();
        let id = out.issue_id();
        assert!(out.stdout.starts_with(&format!("CREATED {id}")));
        assert!(
            out.stderr.contains("Warning: issue not found: td-000000"),
            "{out:?}"
        );
        // What the e2e harness reads: the first id of the combined output is the new one.
        assert_eq!(crate::common::first_issue_id(&out.combined()).unwrap(), id);
        assert_eq!(p.issue(&id).str("title"), "Issue linked to a missing one");
    }
    assert_eq!(p.count("SELECT COUNT(*) FROM issue_dependencies", &[]), 0);
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM action_log WHERE entity_type = 'issue_dependencies'",
            &[]
        ),
        0
    );
}
