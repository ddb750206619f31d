//! comments add / comment, log, handoff: rows, events, output and refusals.

use crate::common::Project;
use serde_json::json;

#[test]
fn comment_and_comments_add_write_one_event_each() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue receiving comments", &[]);
    let mark = p.max_action_rowid();
    let out = p.td(&["comments", "add", &id, "first comment"]);
    out.ok();
    assert_eq!(out.stdout, format!("COMMENT ADDED {id}\n"));
    p.td(&["comment", &id, ""]).ok();
    let bare = id.trim_start_matches("td-").to_string();
    p.td(&["comment", &bare, "via a bare id"]).ok();

    let rows = p.rows("SELECT * FROM comments ORDER BY rowid", &[]);
    let texts: Vec<_> = rows.iter().map(|r| r.str("text")).collect();
    assert_eq!(texts, ["first comment", "", "via a bare id"]);
    let acts = p.actions_since(mark);
    assert_eq!(acts.len(), 3);
    for (a, r) in acts.iter().zip(&rows) {
        assert_eq!(a.kind(), ("create", "comments"));
        assert_eq!(a.entity_id, r.str("id"));
        assert!(a.entity_id.starts_with("cm-"));
        assert_eq!(r.str("issue_id"), id, "issue id is normalized");
        assert_eq!(r.str("session_id"), me);
        assert_eq!(a.new["issue_id"], json!(id));
        assert_eq!(a.new["text"], json!(r.str("text")));
        assert_eq!(a.new["session_id"], json!(me));
        assert!(a.previous.is_null());
    }
    let list = p.td(&["comments", &id]);
    assert!(list.ok().stdout.contains("first comment"));
}

#[test]
fn comment_refusals() {
    let p = Project::new();
    let id = p.create("Issue for comment refusals", &[]);
    let before = p.snapshot();
    let out = p.td(&["comment", "td-000000", "text"]);
    out.expect_code(1);
    assert!(out.stderr.contains("ERROR: issue not found: td-000000"));
    let out = p.td(&["comment", &id]);
    out.expect_code(1);
    let out = p.td(&["comments", "add", &id, "a", "b"]);
    out.expect_code(1);
    assert_eq!(p.snapshot(), before);
    // Deleted issues still take comments.
    p.td(&["delete", &id]).ok();
    p.td(&["comment", &id, "on a deleted issue"]).ok();
}

#[test]
fn log_types_positionals_and_events() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue collecting log entries", &[]);
    let cases: &[(&[&str], &str, &str)] = &[
        (&["log", "--issue", &id, "plain progress"], "progress", ""),
        (
            &["log", "--issue", &id, "--blocker", "stuck"],
            "blocker",
            " [blocker]",
        ),
        (
            &["log", "-i", &id, "--decision", "chose A"],
            "decision",
            " [decision]",
        ),
        (
            &["log", "--task", &id, "--hypothesis", "maybe"],
            "hypothesis",
            " [hypothesis]",
        ),
        (
            &["log", "-T", &id, "--tried", "tried B"],
            "tried",
            " [tried]",
        ),
        (
            &["log", "--issue", &id, "--result", "it works"],
            "result",
            " [result]",
        ),
        (
            &["log", "--issue", &id, "-t", "security", "typed"],
            "security",
            " [security]",
        ),
        (&["log", &id, "id first"], "progress", ""),
        (&["log", "message first", &id], "progress", ""),
    ];
    for (args, ty, suffix) in cases {
        let mark = p.max_action_rowid();
        let out = p.td(args);
        out.ok();
        assert_eq!(out.stdout, format!("LOGGED {id}{suffix}\n"), "{args:?}");
        let acts = p.actions_since(mark);
        assert_eq!(acts.len(), 1, "{args:?}");
        let a = &acts[0];
        assert_eq!(a.kind(), ("create", "logs"));
        let row = p
            .row("SELECT * FROM logs WHERE id = ?1", &[&a.entity_id])
            .unwrap();
        assert_eq!(row.str("type"), *ty, "{args:?}");
        assert_eq!(row.str("issue_id"), id);
        assert_eq!(row.str("session_id"), me);
        assert_eq!(row.str("work_session_id"), "");
        assert_eq!(a.new["message"], json!(row.str("message")));
        assert_eq!(a.new["type"], json!(ty));
        assert_eq!(a.new["session_id"], json!(me));
        assert_eq!(a.new["work_session_id"], json!(""));
        assert!(a.new["timestamp"].is_string());
    }
    // Precedence: blocker beats decision.
    p.td(&["log", "--issue", &id, "--decision", "--blocker", "both"])
        .ok();
    let last = p
        .row("SELECT type FROM logs ORDER BY rowid DESC LIMIT 1", &[])
        .unwrap();
    assert_eq!(last.str("type"), "blocker");
}

#[test]
fn log_reads_stdin_when_only_an_id_is_given() {
    let p = Project::new();
    let id = p.create("Issue logged from stdin", &[]);
    p.td_stdin("alice", &["log", &id], "piped message\n\n").ok();
    let last = p
        .row("SELECT message FROM logs ORDER BY rowid DESC LIMIT 1", &[])
        .unwrap();
    assert_eq!(last.str("message"), "piped message");
}

#[test]
fn log_refusals_write_nothing() {
    let p = Project::new();
    let id = p.create("Issue for log refusals", &[]);
    let before = p.snapshot();
    let cases: &[(&[&str], &str)] = &[
        (
            &["log", "--issue", &id, ""],
            "no message provided. Use: td log \"message\" or pipe input",
        ),
        (&["log", &id], "no message provided"),
        (
            &["log", "no id and no focus"],
            "no issue specified and no focused issue",
        ),
        (
            &["log", "--issue", "td-000000", "text"],
            "issue not found: td-000000",
        ),
    ];
    for (args, needle) in cases {
        let out = p.td(args);
        out.expect_code(1);
        assert!(out.stderr.contains(needle), "{args:?}: {out:?}");
    }
    assert_eq!(p.snapshot(), before);
}

#[test]
fn handoff_items_are_kept_whole_and_bump_the_issue() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue being handed off", &[]);
    let before = p.issue(&id).str("updated_at");
    let mark = p.max_action_rowid();
    let out = p.td(&[
        "handoff",
        &id,
        "--done",
        "a, b, c",
        "--done",
        "",
        "--remaining",
        "- left over",
        "--decision",
        "x",
        "--decision",
        "y",
        "--uncertain",
        "u",
        "-m",
        "from -m",
    ]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("HANDOFF RECORDED {id}\n\nNext: `td review {id}` to submit for review\n")
    );
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(h.str("done"), r#"["a, b, c","","from -m"]"#);
    assert_eq!(h.str("remaining"), r#"["- left over"]"#);
    assert_eq!(h.str("decisions"), r#"["x","y"]"#);
    assert_eq!(h.str("uncertain"), r#"["u"]"#);
    assert_eq!(h.str("session_id"), me);
    let acts = p.actions_since(mark);
    assert_eq!(acts.len(), 2);
    assert_eq!(acts[0].kind(), ("handoff", "handoff"));
    assert_eq!(acts[0].entity_id, h.str("id"));
    assert!(acts[0].previous.is_null());
    for k in ["done", "remaining", "decisions", "uncertain"] {
        assert_eq!(
            acts[0].new[k],
            json!(h.str(k)),
            "{k} travels as the stored JSON text"
        );
    }
    let ts = acts[0].new["timestamp"].as_str().unwrap();
    assert!(
        !ts.contains('.'),
        "handoff timestamp is whole seconds: {ts}"
    );
    assert_eq!(acts[1].kind(), ("update", "issue"));
    assert_eq!(acts[1].entity_id, id);
    assert_ne!(p.issue(&id).str("updated_at"), before);
}

#[test]
fn handoff_message_positional_uses_focus_and_nil_lists() {
    let p = Project::new();
    let id = p.create("Focused issue for a handoff", &[]);
    p.td(&["start", &id]).ok();
    p.td(&["handoff", "positional message only"]).ok();
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(h.str("done"), r#"["positional message only"]"#);
    assert_eq!(h.str("remaining"), "null");
    assert_eq!(h.str("decisions"), "null");
    assert_eq!(h.str("uncertain"), "null");
    p.td(&["handoff", &id, "--done", "@-not-a-file-flag"])
        .expect_code(1);
}

#[test]
fn handoff_refusals_write_nothing() {
    let p = Project::new();
    p.create("Issue that exists but is not focused", &[]);
    let before = p.snapshot();
    let out = p.td(&["handoff", "td-000000", "--done", "x"]);
    out.expect_code(1);
    assert!(out.stderr.contains("ERROR: issue not found: td-000000"));
    let out = p.td(&["handoff", "--done", "x"]);
    out.expect_code(1);
    assert!(out
        .stderr
        .contains("no issue specified and no focused issue"));
    assert_eq!(p.snapshot(), before);
}

#[test]
fn log_message_may_start_with_a_dash_and_flags_still_parse_after_it() {
    let p = Project::new();
    let id = p.create("Issue logged with dashed messages", &[]);
    p.td(&["log", "--issue", &id, "- first item"]).ok();
    let out = p.td(&["log", "-x marks the spot", "--blocker", "--issue", &id]);
    assert_eq!(out.ok().stdout, format!("LOGGED {id} [blocker]\n"));
    let out = p.td(&["log", &id, "--result", "-1 regressions"]);
    assert_eq!(out.ok().stdout, format!("LOGGED {id} [result]\n"));
    let rows = p.rows("SELECT message, type FROM logs ORDER BY rowid LIMIT 3", &[]);
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.str("message"), r.str("type")))
        .collect();
    assert_eq!(
        got,
        [
            ("- first item".to_string(), "progress".to_string()),
            ("-x marks the spot".into(), "blocker".into()),
            ("-1 regressions".into(), "result".into()),
        ]
    );
    // Flag-shaped text needs the usual `--`.
    p.td(&["log", "--issue", &id, "--", "--verbose"]).ok();
    p.td(&["comment", &id, "--", "-v"]).ok();
    let last = p
        .row("SELECT message FROM logs ORDER BY rowid DESC LIMIT 1", &[])
        .unwrap();
    assert_eq!(last.str("message"), "--verbose");
    let c = p
        .row("SELECT text FROM comments ORDER BY rowid DESC LIMIT 1", &[])
        .unwrap();
    assert_eq!(c.str("text"), "-v");
    // A third positional is still an error, and writes nothing.
    let before = p.snapshot();
    p.td(&["log", &id, "one", "two"]).expect_code(1);
    assert_eq!(p.snapshot(), before);
}
