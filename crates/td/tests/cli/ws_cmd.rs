//! `td ws start|tag|untag|end|handoff|log` (§6.4, §8).

use crate::common::{digest_id, keys, kinds, Project};
use serde_json::json;

fn start_ws(env: &Project, name: &str) -> String {
    let out = env.ok(&["ws", "start", name]);
    out.stdout
        .split_whitespace()
        .find(|w| w.starts_with("ws-"))
        .expect("WORK SESSION STARTED: ws-…")
        .to_string()
}

fn active_ws(env: &Project) -> Option<String> {
    env.text("SELECT active_work_session_id FROM session_state", &[])
        .filter(|s| !s.is_empty())
}

fn status(env: &Project, id: &str) -> String {
    env.text("SELECT status FROM issues WHERE id = ?1", &[&id])
        .unwrap()
}

#[test]
fn every_verb_needs_an_active_work_session() {
    let env = Project::new();
    let id = env.create("issue for a missing session", &[]);
    env.fails(
        &["ws", "tag", &id],
        "ERROR: no active work session. Run 'td ws start <name>' first",
    );
    for args in [
        vec!["ws", "untag", id.as_str()],
        vec!["ws", "end"],
        vec!["ws", "handoff", "--done", "x"],
    ] {
        env.fails(&args, "no active work session");
    }
    assert_eq!(env.max_action_rowid(), 1, "only the create was logged");
}

#[test]
fn start_creates_logs_and_activates_once() {
    let env = Project::new();
    let mark = env.max_action_rowid();
    let ws = start_ws(&env, "chaos-ws-7");
    let out = env.td(&["ws", "current"]);
    assert!(
        out.stdout.starts_with(&format!("{ws}: chaos-ws-7\n")),
        "{out:?}"
    );
    let me = env.session_of("alice");
    assert_eq!(active_ws(&env), Some(ws.clone()));
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].target(), ("create", "work_sessions", ws.as_str()));
    let new = acts[0].new.clone();
    assert_eq!(
        keys(&new),
        ["id", "name", "session_id", "started_at", "start_sha"]
    );
    assert_eq!(
        (new["name"].clone(), new["session_id"].clone()),
        (json!("chaos-ws-7"), json!(me))
    );
    assert_eq!(
        env.text(
            "SELECT name || '|' || session_id FROM work_sessions WHERE id = ?1",
            &[&ws]
        ),
        Some(format!("chaos-ws-7|{me}"))
    );
    let out = env.fails(&["ws", "start", "another"], "work session already active: ");
    assert!(out.stderr.contains(&ws));
}

#[test]
fn tag_logs_every_time_and_auto_starts_open_issues_unless_told_not_to() {
    let env = Project::new();
    let a = env.create("tagged but not started", &[]);
    let b = env.create("tagged and auto started", &[]);
    let ws = start_ws(&env, "tagging");
    let mark = env.max_action_rowid();
    let out = env.ok(&["ws", "tag", &a, "td-00aa00", "--no-start"]);
    assert_eq!(out.stdout, format!("TAGGED {a} → {ws}\n"));
    assert!(out.stderr.contains("issue not found: td-00aa00"), "{out:?}");
    env.ok(&["ws", "tag", &a, "--no-start"]);
    assert_eq!(status(&env, &a), "open");
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("work_session_tag", "work_session_issues"),
            ("work_session_tag", "work_session_issues"),
        ])
    );
    let wsi = digest_id("wsi_", &format!("{ws}|{a}"));
    let acts = env.actions_since(mark);
    assert_eq!(acts[0].entity_id, wsi);
    let new = acts[0].new.clone();
    assert_eq!(
        keys(&new),
        ["id", "work_session_id", "issue_id", "tagged_at"]
    );
    assert_eq!(
        (new["work_session_id"].clone(), new["issue_id"].clone()),
        (json!(ws), json!(a))
    );
    assert_eq!(env.int("SELECT COUNT(*) FROM work_session_issues", &[]), 1);

    let mark = env.max_action_rowid();
    let out = env.ok(&["ws", "tag", &b]);
    let me = env.session_of("alice");
    assert_eq!(
        out.stdout,
        format!("TAGGED {b} → {ws}\nSTARTED {b} (session: {me})\n")
    );
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("work_session_tag", "work_session_issues"),
            ("start", "issue"),
            ("create", "logs"),
        ])
    );
    assert_eq!(status(&env, &b), "in_progress");
    assert_eq!(
        env.text(
            "SELECT implementer_session FROM issues WHERE id = ?1",
            &[&b]
        ),
        Some(me)
    );
    assert_eq!(
        env.text(
            "SELECT message || '|' || type || '|' || work_session_id FROM logs WHERE issue_id = ?1",
            &[&b]
        ),
        Some(format!("Started (via work session)|progress|{ws}"))
    );
    // Already in progress: tagged again, not started again.
    let mark = env.max_action_rowid();
    env.ok(&["ws", "tag", &b]);
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[("work_session_tag", "work_session_issues")])
    );
}

#[test]
fn untag_deletes_and_logs_even_when_not_tagged() {
    let env = Project::new();
    let a = env.create("issue to untag again", &[]);
    let ws = start_ws(&env, "untagging");
    env.ok(&["ws", "tag", &a, "--no-start"]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["ws", "untag", &a]);
    assert_eq!(out.stdout, format!("UNTAGGED {a} from {ws}\n"));
    env.ok(&["ws", "untag", &a]);
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 2);
    assert!(acts
        .iter()
        .all(|x| x.action_type == "work_session_untag" && x.entity_type == "work_session_issues"));
    let wsi = digest_id("wsi_", &format!("{ws}|{a}"));
    assert_eq!(
        acts[0].new,
        json!({"id": wsi, "work_session_id": ws, "issue_id": a})
    );
    assert_eq!(env.int("SELECT COUNT(*) FROM work_session_issues", &[]), 0);
}

#[test]
fn end_stamps_the_session_and_reports_open_work() {
    let env = Project::new();
    let a = env.create("work left in progress", &[]);
    let b = env.create("work merely tagged", &[]);
    let ws = start_ws(&env, "ending");
    env.ok(&["ws", "tag", &a]);
    env.ok(&["ws", "tag", &b, "--no-start"]);
    let mark = env.max_action_rowid();
    let out = env.ok(&["ws", "end"]);
    assert_eq!(
        out.stderr,
        format!("Warning: No handoff recorded for {ws}\n")
    );
    assert_eq!(
        out.stdout,
        format!("Tagged issues remain in_progress: {a}\nWORK SESSION ENDED\n")
    );
    let acts = env.actions_since(mark);
    assert_eq!(acts.len(), 1);
    assert_eq!(
        (acts[0].action_type.as_str(), acts[0].entity_type.as_str()),
        ("update", "work_sessions")
    );
    let new = acts[0].new.clone();
    assert_eq!(
        keys(&new),
        [
            "id",
            "name",
            "session_id",
            "started_at",
            "ended_at",
            "start_sha",
            "end_sha"
        ]
    );
    assert!(new["ended_at"].is_string());
    assert!(env
        .text("SELECT ended_at FROM work_sessions WHERE id = ?1", &[&ws])
        .is_some());
    assert_eq!(active_ws(&env), None);
    env.fails(&["ws", "tag", &a], "no active work session");
    start_ws(&env, "next one");
}

#[test]
fn handoff_writes_one_filtered_handoff_per_tagged_issue_and_ends() {
    let env = Project::new();
    let a = env.create("first tagged issue here", &[]);
    let b = env.create("second tagged issue here", &[]);
    let ws = start_ws(&env, "handing off");
    env.ok(&["ws", "tag", &a, &b, "--no-start"]);
    let mark = env.max_action_rowid();
    let out = env.ok(&[
        "ws",
        "handoff",
        "--done",
        "built it, tested it",
        "--remaining",
        "shared follow-up",
        "--remaining",
        &format!("finish ({a})"),
        "--remaining",
        &format!("polish ({b})"),
        "--decision",
        "- kept the API",
        "--uncertain",
        "",
    ]);
    assert_eq!(
        out.stdout,
        format!(
            "HANDOFF RECORDED {ws}\nGenerated handoffs:\n  {a}: done=1, remaining=2\n  {b}: done=1, remaining=2\n\nWork session ended.\nNext: `td ws start <name>` to begin a new work session\n"
        )
    );
    assert_eq!(
        env.kinds_since(mark),
        kinds(&[
            ("handoff", "handoff"),
            ("handoff", "handoff"),
            ("update", "work_sessions")
        ])
    );
    let row = "SELECT done || '|' || remaining || '|' || decisions || '|' || uncertain FROM handoffs WHERE issue_id = ?1";
    assert_eq!(
        env.text(row, &[&a]),
        Some(
            r#"["built it, tested it"]|["shared follow-up","finish"]|["- kept the API"]|[""]"#
                .into()
        )
    );
    assert_eq!(
        env.text(row, &[&b]),
        Some(
            r#"["built it, tested it"]|["shared follow-up","polish"]|["- kept the API"]|[""]"#
                .into()
        )
    );
    assert_eq!(active_ws(&env), None);
}

#[test]
fn handoff_from_logs_with_continue_and_review() {
    let env = Project::new();
    let a = env.create("issue worked in the session", &[]);
    let ws = start_ws(&env, "logging");
    env.ok(&["ws", "tag", &a]);
    let out = env.ok(&["ws", "log", "parsed the input"]);
    assert_eq!(out.stdout, format!("LOGGED {ws} [progress]\n"));
    env.ok(&["ws", "log", "--decision", "went with recursion"]);
    env.ok(&["ws", "log", "--blocker", "flaky network"]);
    let out = env.ok(&["ws", "handoff", "--continue"]);
    assert!(
        out.stdout
            .contains(&format!("  {a}: done=2, remaining=0\n")),
        "{out:?}"
    );
    assert!(out
        .stdout
        .contains(&format!("Work session continues: {ws}")));
    assert_eq!(active_ws(&env), Some(ws.clone()));
    assert_eq!(
        env.text(
            "SELECT done || '|' || remaining || '|' || decisions || '|' || uncertain FROM handoffs WHERE issue_id = ?1",
            &[&a]
        ),
        Some(r#"["Started (via work session)","parsed the input"]|null|["went with recursion"]|["flaky network"]"#.into())
    );
    let out = env.ok(&["ws", "handoff", "--done", "all done", "--review"]);
    assert!(
        out.stdout.contains(&format!("REVIEW REQUESTED {a}")),
        "{out:?}"
    );
    assert_eq!(status(&env, &a), "in_review");
    assert_eq!(active_ws(&env), None);
}
