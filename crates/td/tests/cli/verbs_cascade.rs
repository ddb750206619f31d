//! Cascades (§7.5): epic status up, auto-unblock, review and handoff down. Every generated
//! change must carry its own action_log rows so it syncs.

use crate::common::Project;
use serde_json::json;

/// `action_type/entity_type/entity_id` of the events after `mark`; log events are shown
/// as `create/logs/<issue>:<message>` so the order of side effects is visible.
fn events_since(p: &Project, mark: i64) -> Vec<String> {
    p.actions_since(mark)
        .iter()
        .map(|a| {
            if a.entity_type == "logs" {
                let row = p
                    .row(
                        "SELECT issue_id, message FROM logs WHERE id = ?1",
                        &[&a.entity_id],
                    )
                    .expect("logged log row exists");
                assert_eq!(a.new["message"], json!(row.str("message")));
                format!("create/logs/{}:{}", row.str("issue_id"), row.str("message"))
            } else {
                format!("{}/{}/{}", a.action_type, a.entity_type, a.entity_id)
            }
        })
        .collect()
}

#[test]
fn closing_the_last_child_closes_the_epic_and_unblocks_its_dependents() {
    let p = Project::new();
    let epic = p.create("Epic with two children", &["--type", "epic"]);
    let c1 = p.create("First child of the epic", &["--parent", &epic]);
    let c2 = p.create("Second child of the epic", &["--parent", &epic]);
    let dep = p.create("Waits for the whole epic", &["--depends-on", &epic]);
    p.td(&["block", &dep]).ok();

    p.td(&["close", &c1]).ok();
    assert_eq!(p.issue(&epic).str("status"), "open");

    let mark = p.max_action_rowid();
    let out = p.td(&["close", &c2]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!(
            "CLOSED {c2}\n  ↑ Parent {epic} auto-cascaded to closed\n  ↓ Dependent {dep} auto-unblocked\n"
        )
    );
    assert_eq!(
        events_since(&p, mark),
        [
            format!("close/issue/{c2}"),
            format!("create/logs/{c2}:Closed"),
            format!("close/issue/{epic}"),
            format!("create/logs/{epic}:Auto-cascaded to closed (all children complete)"),
            format!("unblock/issue/{dep}"),
            format!("create/logs/{dep}:Auto-unblocked (dependency {epic} closed)"),
        ]
    );
    let e = p.issue(&epic);
    assert_eq!(e.str("status"), "closed");
    assert!(!e.is_null("closed_at"));
    assert_eq!(
        e.str("closed_by_session"),
        "",
        "cascade does not set closed_by"
    );
    let d = p.issue(&dep);
    assert_eq!(d.str("status"), "open");
    assert_eq!(d.str("implementer_session"), "");
    let ev = p.actions_since(mark);
    assert_eq!(ev[2].previous["status"], json!("open"));
    assert_eq!(ev[2].new["status"], json!("closed"));
    assert_eq!(ev[4].previous["status"], json!("blocked"));
    assert_eq!(ev[4].new["status"], json!("open"));
}

#[test]
fn cascade_up_is_recursive_and_ignores_deleted_children() {
    let p = Project::new();
    let top = p.create("Top level epic issue", &["-t", "epic"]);
    let mid = p.create(
        "Middle epic under the top",
        &["-t", "epic", "--parent", &top],
    );
    let leaf = p.create("Leaf task under the middle", &["--parent", &mid]);
    let gone = p.create("Deleted sibling of the leaf", &["--parent", &mid]);
    p.td(&["delete", &gone]).ok();
    let out = p.td(&["close", &leaf]);
    out.ok();
    assert!(out
        .stdout
        .contains(&format!("↑ Parent {mid} auto-cascaded to closed")));
    assert!(out
        .stdout
        .contains(&format!("↑ Parent {top} auto-cascaded to closed")));
    assert_eq!(p.issue(&mid).str("status"), "closed");
    assert_eq!(p.issue(&top).str("status"), "closed");
    assert_eq!(p.issue(&gone).str("status"), "open");
}

#[test]
fn only_epics_cascade_up() {
    let p = Project::new();
    let parent = p.create("A task parent, not an epic", &[]);
    let child = p.create("Only child of a task parent", &["--parent", &parent]);
    let mark = p.max_action_rowid();
    let out = p.td(&["close", &child]);
    out.ok();
    assert_eq!(out.stdout, format!("CLOSED {child}\n"));
    assert_eq!(p.issue(&parent).str("status"), "open");
    assert_eq!(p.actions_since(mark).len(), 2);
}

#[test]
fn approving_the_last_child_cascades_too() {
    let p = Project::new();
    let epic = p.create("Epic closed by an approval", &["-t", "epic"]);
    let child = p.create("Child approved by bob", &["--parent", &epic]);
    p.td(&["start", &child]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["review", &child]);
    out.ok();
    // review cascades the epic up to in_review
    assert!(out
        .stdout
        .contains(&format!("↑ Parent {epic} auto-cascaded to in_review")));
    let ev = events_since(&p, mark);
    assert!(ev.contains(&format!("review/issue/{epic}")), "{ev:#?}");
    assert!(ev.contains(&format!(
        "create/logs/{epic}:Auto-cascaded to in_review (all children complete)"
    )));
    assert_eq!(p.issue(&epic).str("status"), "in_review");

    p.td_as("bob", &["approve", &child]).ok();
    assert_eq!(p.issue(&epic).str("status"), "closed");
    let last = p.actions();
    let tail: Vec<_> = last.iter().rev().take(2).collect();
    assert_eq!(tail[0].kind(), ("create", "logs"));
    assert_eq!(tail[1].kind(), ("close", "issue"));
    assert_eq!(tail[1].entity_id, epic);
}

#[test]
fn auto_unblock_waits_for_every_dependency() {
    let p = Project::new();
    let a = p.create("First dependency to close", &[]);
    let b = p.create("Second dependency to close", &[]);
    let d = p.create(
        "Blocked on both dependencies",
        &["--depends-on", &format!("{a},{b}")],
    );
    p.td(&["block", &d]).ok();
    let out = p.td(&["close", &a]);
    assert_eq!(out.ok().stdout, format!("CLOSED {a}\n"));
    assert_eq!(p.issue(&d).str("status"), "blocked");
    let mark = p.max_action_rowid();
    let out = p.td(&["close", &b]);
    assert!(out
        .ok()
        .stdout
        .contains(&format!("↓ Dependent {d} auto-unblocked")));
    assert_eq!(
        events_since(&p, mark)[2..],
        [
            format!("unblock/issue/{d}"),
            format!("create/logs/{d}:Auto-unblocked (dependency {b} closed)"),
        ]
    );
    // Not blocked → left alone.
    let e = p.create("Open dependent stays open", &["--depends-on", &a]);
    let c = p.create("Closing this touches nothing", &["--blocks", &e]);
    let mark = p.max_action_rowid();
    p.td(&["close", &c]).ok();
    assert_eq!(p.actions_since(mark).len(), 2);
}

#[test]
fn review_cascades_down_to_every_open_or_in_progress_descendant() {
    let p = Project::new();
    let me = p.session_of("alice");
    let parent = p.create("Parent submitted with descendants", &[]);
    let open = p.create("Open child of the parent", &["--parent", &parent]);
    let busy = p.create("In progress child of the parent", &["--parent", &parent]);
    p.td_as("bob", &["start", &busy]).ok();
    let grand = p.create("Grandchild below the open child", &["--parent", &open]);
    let closed = p.create("Closed child stays closed", &["--parent", &parent]);
    p.td(&["close", &closed]).ok();
    let gone = p.create("Deleted child stays untouched", &["--parent", &parent]);
    p.td(&["delete", &gone]).ok();
    p.td(&["start", &parent]).ok();

    let mark = p.max_action_rowid();
    let out = p.td(&["review", &parent]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("REVIEW REQUESTED {parent} (session: {me})\n  + 3 descendant(s) also marked for review\n")
    );
    let ev = events_since(&p, mark);
    let expected_tail = [
        format!("review/issue/{open}"),
        format!("create/logs/{open}:Cascaded review from {parent}"),
        format!("review/issue/{busy}"),
        format!("create/logs/{busy}:Cascaded review from {parent}"),
        format!("review/issue/{grand}"),
        format!("create/logs/{grand}:Cascaded review from {parent}"),
    ];
    assert_eq!(ev[ev.len() - 6..], expected_tail, "{ev:#?}");
    for id in [&open, &busy, &grand] {
        let r = p.issue(id);
        assert_eq!(r.str("status"), "in_review", "{id}");
        assert_eq!(r.str("review_requested_by_session"), me);
        assert_eq!(
            p.count("SELECT COUNT(*) FROM handoffs WHERE issue_id = ?1", &[id]),
            0,
            "no auto handoff for cascaded descendants"
        );
    }
    let bob = p.session_of("bob");
    assert_eq!(p.issue(&busy).str("implementer_session"), bob);
    assert_eq!(p.issue(&open).str("implementer_session"), me);
    assert_eq!(p.issue(&closed).str("status"), "closed");
    assert_eq!(p.issue(&gone).str("status"), "open");
}

#[test]
fn handoff_cascades_down_to_descendants_without_one() {
    let p = Project::new();
    let parent = p.create("Parent handing off work", &[]);
    let child = p.create("Child without a handoff", &["--parent", &parent]);
    let done = p.create("Child with its own handoff", &["--parent", &parent]);
    p.td(&["handoff", &done, "--done", "own work"]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["handoff", &parent, "--done", "parent work"]);
    out.ok();
    assert!(out.stdout.contains("+ 1 descendant(s)"), "{out:?}");
    let ev = events_since(&p, mark);
    assert_eq!(ev.len(), 4, "{ev:#?}");
    assert!(ev[0].starts_with("handoff/handoff/ho-"));
    assert_eq!(ev[1], format!("update/issue/{parent}"));
    assert!(ev[2].starts_with("handoff/handoff/ho-"));
    assert_eq!(
        ev[3],
        format!("create/logs/{child}:Cascaded handoff from {parent}")
    );
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&child])
        .unwrap();
    assert_eq!(h.str("done"), format!("[\"Cascaded from {parent}\"]"));
    assert_eq!(h.str("remaining"), "null");
}
