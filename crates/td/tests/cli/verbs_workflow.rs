//! start, unstart, review, approve, reject, close, reopen, block, unblock: transitions, their
//! events and log rows, and every refusal text of the client spec §7–§8.

use crate::common::{Action, Project};
use serde_json::json;

/// `(action_type/entity_type)` of the events after `mark`.
fn kinds_since(p: &Project, mark: i64) -> Vec<String> {
    p.actions_since(mark)
        .iter()
        .map(|a| format!("{}/{}", a.action_type, a.entity_type))
        .collect()
}

/// The single logs row written after `mark` for `id`, checked against its event.
fn last_log(p: &Project, id: &str) -> crate::common::Row {
    let row = p
        .row(
            "SELECT * FROM logs WHERE issue_id = ?1 ORDER BY rowid DESC LIMIT 1",
            &[id],
        )
        .expect("a log row");
    let ev: Vec<Action> = p.actions_for(&row.str("id"));
    assert_eq!(ev.len(), 1, "log row without exactly one event: {row:?}");
    assert_eq!(ev[0].kind(), ("create", "logs"));
    assert_eq!(ev[0].new["message"], json!(row.str("message")));
    assert_eq!(ev[0].new["type"], json!(row.str("type")));
    assert_eq!(ev[0].new["issue_id"], json!(id));
    row
}

fn status(p: &Project, id: &str) -> String {
    p.issue(id).str("status")
}

/// Runs `args` as `actor`, expecting `code`, the `needle` in stderr and no write at all.
fn refused(p: &Project, actor: &str, args: &[&str], code: i32, needle: &str) {
    let before = p.snapshot();
    let out = p.td_as(actor, args);
    out.expect_code(code);
    assert!(
        out.stderr.contains(needle),
        "expected {needle:?} in stderr of {args:?}: {out:#?}"
    );
    assert_eq!(p.snapshot(), before, "{args:?} wrote something");
}

// ---- start / unstart ----

#[test]
fn start_claims_logs_and_focuses() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue to start working on", &[]);
    let mark = p.max_action_rowid();
    let out = p.td(&["start", &id, "--reason", "- picking it up"]);
    out.ok();
    assert_eq!(out.stdout, format!("STARTED {id} (session: {me})\n"));
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "in_progress");
    assert_eq!(row.str("implementer_session"), me);
    assert_eq!(kinds_since(&p, mark), ["start/issue", "create/logs"]);
    let ev = &p.actions_since(mark)[0];
    assert_eq!(ev.previous["status"], json!("open"));
    assert_eq!(ev.new["status"], json!("in_progress"));
    assert_eq!(ev.new["implementer_session"], json!(me));
    let log = last_log(&p, &id);
    assert_eq!(log.str("message"), "- picking it up");
    assert_eq!(log.str("type"), "progress");
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM issue_session_history WHERE issue_id = ?1 AND action = 'started'",
            &[&id]
        ),
        1
    );
    assert_eq!(
        p.row(
            "SELECT focused_issue_id FROM session_state WHERE session_id = ?1",
            &[&me]
        )
        .unwrap()
        .str("focused_issue_id"),
        id
    );
    // Focus lets `log` find the issue.
    p.td(&["log", "progress without an id"]).ok();
    assert_eq!(last_log(&p, &id).str("message"), "progress without an id");

    let other = p.create("Issue started with the default log", &[]);
    p.td(&["begin", &other]).ok();
    assert_eq!(last_log(&p, &other).str("message"), "Started work");
}

#[test]
fn start_refusals() {
    let p = Project::new();
    let id = p.create("Issue for start refusals", &[]);
    refused(
        &p,
        "alice",
        &["start", "td-000000"],
        1,
        "Warning: issue not found: td-000000",
    );
    p.td(&["start", &id]).ok();
    let out = p.td(&["start", &id]);
    out.ok();
    assert!(out
        .stderr
        .contains(&format!("Warning: already started {id}")));
    let alice = p.session_of("alice");
    refused(
        &p,
        "bob",
        &["start", &id],
        1,
        &format!("cannot start {id}: already in_progress under session {alice}"),
    );

    let closed = p.create("Closed issue cannot start", &[]);
    p.td(&["close", &closed]).ok();
    refused(
        &p,
        "alice",
        &["start", &closed],
        1,
        &format!("cannot start {closed}: invalid transition from closed"),
    );

    let blocked = p.create("Blocked issue needs force", &[]);
    p.td(&["block", &blocked]).ok();
    refused(
        &p,
        "alice",
        &["start", &blocked],
        1,
        &format!("cannot start blocked issue: {blocked} (use --force to override)"),
    );
    p.td(&["start", &blocked, "--force"]).ok();
    assert_eq!(status(&p, &blocked), "in_progress");

    // Deleted issues are not refused.
    let deleted = p.create("Deleted issue can still start", &[]);
    p.td(&["delete", &deleted]).ok();
    p.td(&["start", &deleted]).ok();
    assert_eq!(status(&p, &deleted), "in_progress");
}

#[test]
fn bulk_start_summary_and_exit_code() {
    let p = Project::new();
    let a = p.create("Bulk start first issue", &[]);
    let b = p.create("Bulk start second issue", &[]);
    let out = p.td(&["start", &a, "td-000000", &b, "--reason", "chaos bulk start"]);
    out.ok();
    assert!(out.stdout.ends_with("\nStarted 2, skipped 1\n"), "{out:?}");
    // Nothing started and a failure → exit 1.
    let out = p.td(&["start", "td-000000", "td-000001"]);
    out.expect_code(1);
    assert!(out.stdout.contains("Started 0, skipped 2"));
    // Only no-ops → exit 0.
    p.td(&["start", &a, &b]).ok();
}

#[test]
fn unstart_releases_with_reopen_action() {
    let p = Project::new();
    let id = p.create("Issue to start then release", &[]);
    p.td(&["start", &id]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["unstart", &id, "--reason", "chaos unstart"]);
    out.ok();
    assert_eq!(out.stdout, format!("UNSTARTED {id} → open\n"));
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "open");
    assert_eq!(row.str("implementer_session"), "");
    assert_eq!(kinds_since(&p, mark), ["reopen/issue", "create/logs"]);
    assert_eq!(last_log(&p, &id).str("message"), "chaos unstart");
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM issue_session_history WHERE issue_id = ?1 AND action = 'unstarted'",
            &[&id]
        ),
        1
    );
    let out = p.td(&["stop", &id]);
    out.ok();
    assert!(out.stderr.contains(&format!("already unstarted {id}")));

    p.td(&["start", &id]).ok();
    p.td(&["unstart", &id]).ok();
    assert_eq!(last_log(&p, &id).str("message"), "Reverted to open");

    p.td(&["review", &id]).ok();
    refused(
        &p,
        "alice",
        &["unstart", &id],
        1,
        &format!("issue not in_progress: {id} (status: in_review)"),
    );
    refused(
        &p,
        "alice",
        &["unstart", "td-000000"],
        1,
        "issue not found: td-000000",
    );
}

// ---- review ----

#[test]
fn review_transitions_and_auto_handoff() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue submitted for review", &[]);
    p.td(&["start", &id]).ok();
    p.td(&["log", "--issue", &id, "--decision", "use the cache"])
        .ok();
    p.td(&["log", "--issue", &id, "implemented the thing"]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["review", &id, "--reason", "chaos review"]);
    out.ok();
    assert_eq!(
        out.stdout,
        format!("REVIEW REQUESTED {id} (session: {me})\n")
    );
    assert_eq!(
        kinds_since(&p, mark),
        ["handoff/handoff", "review/issue", "create/logs"]
    );
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "in_review");
    assert_eq!(row.str("review_requested_by_session"), me);
    assert_eq!(row.str("implementer_session"), me);
    assert_eq!(last_log(&p, &id).str("message"), "chaos review");
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(h.str("done"), r#"["implemented the thing"]"#);
    assert_eq!(h.str("decisions"), r#"["use the cache"]"#);
    assert_eq!(h.str("remaining"), r#"["see session logs"]"#);
    let ev = &p.actions_for(&h.str("id"))[0];
    assert_eq!(ev.new["done"], json!(r#"["implemented the thing"]"#));
    assert_eq!(ev.new["issue_id"], json!(id));
    assert!(ev.previous.is_null());
}

#[test]
fn review_without_logs_or_implementer() {
    let p = Project::new();
    let me = p.session_of("bob");
    let id = p.create("Issue reviewed straight from open", &[]);
    p.td_as("bob", &["submit", &id]).ok();
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "in_review");
    assert_eq!(
        row.str("implementer_session"),
        me,
        "empty implementer becomes ME"
    );
    assert_eq!(last_log(&p, &id).str("message"), "Submitted for review");
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(h.str("done"), r#"["Auto-generated for review submission"]"#);
    assert_eq!(h.str("remaining"), "[]");
}

#[test]
fn review_keeps_existing_handoff_and_minor_skips_it() {
    let p = Project::new();
    let id = p.create("Issue with a manual handoff", &[]);
    p.td(&["start", &id]).ok();
    p.td(&["handoff", &id, "--done", "manual"]).ok();
    p.td(&["review", &id]).ok();
    assert_eq!(
        p.count("SELECT COUNT(*) FROM handoffs WHERE issue_id = ?1", &[&id]),
        1
    );

    let minor = p.create("Minor issue reviewed quickly", &[]);
    p.td(&["start", &minor]).ok();
    let mark = p.max_action_rowid();
    p.td(&["finish", &minor, "--minor"]).ok();
    assert_eq!(kinds_since(&p, mark), ["review/issue", "create/logs"]);
    assert_eq!(p.issue(&minor).int("minor"), 1);
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM handoffs WHERE issue_id = ?1",
            &[&minor]
        ),
        0
    );
}

#[test]
fn review_refusals_exit_zero_but_leave_the_auto_handoff() {
    let p = Project::new();
    let id = p.create("Issue refused for review", &[]);
    p.td(&["block", &id]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["review", &id]);
    out.ok();
    assert!(out.stderr.contains(&format!(
        "cannot review {id}: cannot transition {id} from blocked to in_review: transition not allowed"
    )));
    assert_eq!(kinds_since(&p, mark), ["handoff/handoff"]);
    assert_eq!(status(&p, &id), "blocked");

    // With a handoff in place, refusals write nothing.
    refused(&p, "alice", &["review", &id], 0, "transition not allowed");
    let closed = p.create("Closed issue refused for review", &[]);
    p.td(&["close", &closed]).ok();
    refused(
        &p,
        "alice",
        &["review", &closed, "--minor"],
        0,
        &format!("cannot transition {closed} from closed to in_review"),
    );
    let rev = p.create("Issue already in review", &[]);
    p.td(&["review", &rev]).ok();
    refused(
        &p,
        "alice",
        &["review", &rev],
        0,
        &format!("cannot review {rev}: already in review"),
    );
    refused(
        &p,
        "alice",
        &["review", "td-000000"],
        0,
        "Warning: issue not found: td-000000",
    );
}

#[test]
fn bulk_review_summary() {
    let p = Project::new();
    let a = p.create("Bulk review first issue", &[]);
    let b = p.create("Bulk review second issue", &[]);
    p.td(&["start", &a, &b]).ok();
    let out = p.td(&[
        "review",
        &a,
        &b,
        "td-000000",
        "--reason",
        "chaos bulk review",
    ]);
    out.ok();
    assert!(out.stdout.ends_with("\nReviewed 2, skipped 1\n"), "{out:?}");
    assert_eq!(status(&p, &a), "in_review");
    assert_eq!(status(&p, &b), "in_review");
}

// ---- approve ----

/// alice creates, starts and submits an issue; returns its id.
fn in_review_by_alice(p: &Project, title: &str) -> String {
    let id = p.create(title, &[]);
    p.td(&["start", &id]).ok();
    p.td(&["review", &id]).ok();
    id
}

#[test]
fn trusted_policy_refuses_the_implementer_and_lets_another_session_approve() {
    let p = Project::new();
    let alice = p.session_of("alice");
    let bob = p.session_of("bob");
    let id = in_review_by_alice(&p, "Issue approved by another session");
    refused(
        &p,
        "alice",
        &["approve", &id],
        1,
        &format!(
            "ERROR: cannot approve: you implemented this issue, so approving it needs an \
             attribution. If a sub-agent or another party reviewed it, name them: \
             --reviewed-by \"<who>\". If you reviewed your own work, say so: --self-review \
             --reason \"...\" ({id})"
        ),
    );

    let mark = p.max_action_rowid();
    let out = p.td_as("bob", &["approve", &id, "--reason", "chaos approve"]);
    out.ok();
    assert_eq!(out.stdout, format!("APPROVED {id} (reviewer: {bob})\n"));
    assert_eq!(
        kinds_since(&p, mark),
        ["create/issue_reviews", "approve/issue", "create/logs"]
    );
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "closed");
    assert_eq!(row.str("reviewer_session"), bob);
    assert_eq!(row.str("closed_by_session"), bob);
    assert_eq!(row.str("implementer_session"), alice);
    assert!(!row.is_null("reviewed_at") && !row.is_null("closed_at"));

    let rv = p
        .row("SELECT * FROM issue_reviews WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(rv.str("decision"), "approved");
    assert_eq!(rv.str("reviewer_session"), bob);
    assert_eq!(rv.str("requested_by_session"), alice);
    assert_eq!(rv.str("summary"), "chaos approve");
    assert_eq!(rv.int("self_review"), 0);
    assert!(rv.is_null("superseded_at"));

    let acts = p.actions_since(mark);
    assert_eq!(acts[0].entity_id, rv.str("id"));
    assert_eq!(acts[0].new["decision"], json!("approved"));
    let ap = &acts[1];
    assert_eq!(ap.entity_id, id);
    assert_eq!(ap.previous["status"], json!("in_review"));
    assert_eq!(ap.new["issue"]["status"], json!("closed"));
    assert_eq!(ap.new["created_review_id"], json!(rv.str("id")));
    assert!(ap.new.get("prior_active_review_id").is_none());
    assert_eq!(last_log(&p, &id).str("message"), "Approved: chaos approve");
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM issue_session_history WHERE issue_id = ?1 AND session_id = ?2 AND action = 'reviewed'",
            &[&id, &bob]
        ),
        1
    );

    let out = p.td_as("bob", &["approve", &id]);
    out.ok();
    assert!(out
        .stderr
        .contains(&format!("Warning: already approved/closed {id}")));
}

#[test]
fn creator_who_did_not_implement_may_approve() {
    let p = Project::new();
    let id = p.create("Issue created by alice built by bob", &[]);
    p.td_as("bob", &["start", &id]).ok();
    p.td_as("bob", &["review", &id]).ok();
    p.td(&["approve", &id]).ok();
    assert_eq!(status(&p, &id), "closed");
    assert_eq!(last_log(&p, &id).str("message"), "Approved");
}

#[test]
fn unstarted_history_still_counts_as_involvement() {
    let p = Project::new();
    let id = p.create("Issue alice started then released", &[]);
    p.td(&["start", &id]).ok();
    p.td(&["unstart", &id]).ok();
    p.td_as("bob", &["start", &id]).ok();
    p.td_as("bob", &["review", &id]).ok();
    refused(&p, "alice", &["approve", &id], 1, "--self-review");
    p.td_as("carol", &["approve", &id]).ok();
}

#[test]
fn self_review_and_reviewed_by_attribution() {
    let p = Project::new();
    let id = in_review_by_alice(&p, "Issue approved with self review");
    refused(
        &p,
        "alice",
        &["approve", &id, "--self-review"],
        1,
        &format!("--self-review requires --reason for {id}"),
    );
    p.td(&["approve", &id, "--self-review", "--reason", "tested it"])
        .ok();
    assert_eq!(status(&p, &id), "closed");
    let logs = p.rows(
        "SELECT message, type FROM logs WHERE issue_id = ?1 ORDER BY rowid DESC LIMIT 2",
        &[&id],
    );
    assert_eq!(logs[0].str("message"), "Approved: tested it");
    assert_eq!(
        logs[1].str("message"),
        "[explicit_alice] Approved (SELF-REVIEW: tested it)"
    );
    assert_eq!(logs[1].str("type"), "security");
    assert_eq!(
        p.row(
            "SELECT self_review FROM issue_reviews WHERE issue_id = ?1",
            &[&id]
        )
        .unwrap()
        .int("self_review"),
        1
    );

    let id = in_review_by_alice(&p, "Issue approved by a named reviewer");
    p.td(&["approve", &id, "--reviewed-by", "sub-agent-7"]).ok();
    let rv = p
        .row("SELECT * FROM issue_reviews WHERE issue_id = ?1", &[&id])
        .unwrap();
    assert_eq!(rv.int("self_review"), 1);
    assert_eq!(rv.str("reviewed_by"), "sub-agent-7");
}

#[test]
fn minor_issues_bypass_self_review() {
    let p = Project::new();
    let id = p.create("Minor issue self approved", &["--minor"]);
    p.td(&["start", &id]).ok();
    p.td(&["review", &id]).ok();
    p.td(&["approve", &id]).ok();
    assert_eq!(status(&p, &id), "closed");
}

#[test]
fn approve_refusals() {
    let p = Project::new();
    let id = p.create("Open issue cannot be approved", &[]);
    refused(
        &p,
        "bob",
        &["approve", &id],
        1,
        &format!("cannot approve {id}: status changed from in_review to open"),
    );
    refused(
        &p,
        "bob",
        &["approve", "td-000000"],
        1,
        "Warning: issue not found: td-000000",
    );
}

#[test]
fn record_only_then_close_after_review() {
    let p = Project::new();
    let bob = p.session_of("bob");
    let id = in_review_by_alice(&p, "Issue reviewed then closed later");
    refused(
        &p,
        "bob",
        &["approve", &id, "--record-only"],
        1,
        "--record-only requires --reason",
    );
    let mark = p.max_action_rowid();
    p.td_as(
        "bob",
        &["approve", &id, "--record-only", "--reason", "looks good"],
    )
    .ok();
    assert_eq!(
        kinds_since(&p, mark),
        ["create/issue_reviews", "review_approve/issue"]
    );
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "in_review");
    assert_eq!(row.str("reviewer_session"), bob);
    refused(
        &p,
        "bob",
        &["approve", &id, "--record-only", "--reason", "again"],
        1,
        "already",
    );

    // Someone other than the reviewer must give a reason.
    refused(&p, "carol", &["approve", &id], 1, "--reason is required");
    let mark = p.max_action_rowid();
    let out = p.td_as("carol", &["approve", &id, "--reason", "ship it"]);
    out.ok();
    assert!(out.stdout.contains("closed by"), "{out:?}");
    assert_eq!(
        kinds_since(&p, mark),
        ["close_after_review/issue", "create/logs"]
    );
    let ev = &p.actions_since(mark)[0];
    assert_eq!(ev.new["issue"]["status"], json!("closed"));
    assert!(last_log(&p, &id)
        .str("message")
        .starts_with("Closed after review rv-"));
    assert_eq!(status(&p, &id), "closed");
}

// ---- reject ----

#[test]
fn reject_returns_to_open_and_clears_review_fields() {
    let p = Project::new();
    let id = in_review_by_alice(&p, "Issue rejected by the reviewer");
    let mark = p.max_action_rowid();
    let out = p.td_as("bob", &["reject", &id, "--reason", "chaos reject"]);
    out.ok();
    assert_eq!(out.stdout, format!("REJECTED {id} → open\n"));
    assert_eq!(kinds_since(&p, mark), ["reject/issue", "create/logs"]);
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "open");
    for col in [
        "implementer_session",
        "reviewer_session",
        "review_requested_by_session",
    ] {
        assert_eq!(row.str(col), "", "{col}");
    }
    assert!(row.is_null("reviewed_at"));
    assert_eq!(last_log(&p, &id).str("message"), "Rejected: chaos reject");

    let out = p.td_as("bob", &["reject", &id]);
    out.ok();
    assert!(out
        .stderr
        .contains(&format!("Warning: already reopened {id}")));
    p.td(&["start", &id]).ok();
    refused(
        &p,
        "bob",
        &["reject", &id],
        1,
        &format!("Warning: cannot reject {id}: must be in_review (currently in_progress)"),
    );
    refused(
        &p,
        "bob",
        &["reject", "td-000000"],
        1,
        "issue not found: td-000000",
    );
}

#[test]
fn reject_supersedes_a_recorded_approval() {
    let p = Project::new();
    let id = in_review_by_alice(&p, "Issue whose approval is withdrawn");
    p.td_as("bob", &["approve", &id, "--record-only", "--reason", "ok"])
        .ok();
    let mark = p.max_action_rowid();
    p.td_as("bob", &["reject", &id]).ok();
    assert_eq!(
        kinds_since(&p, mark),
        ["update/issue_reviews", "reject/issue", "create/logs"]
    );
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM issue_reviews WHERE issue_id = ?1 AND superseded_at IS NULL",
            &[&id]
        ),
        0
    );
}

// ---- close ----

#[test]
fn creator_closes_an_untouched_issue() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue the creator closes", &[]);
    let mark = p.max_action_rowid();
    let out = p.td(&["close", &id, "--reason", "chaos close"]);
    out.ok();
    assert_eq!(out.stdout, format!("CLOSED {id}\n"));
    assert_eq!(kinds_since(&p, mark), ["close/issue", "create/logs"]);
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "closed");
    assert_eq!(row.str("closed_by_session"), me);
    assert!(!row.is_null("closed_at"));
    let ev = &p.actions_since(mark)[0];
    assert_eq!(ev.previous["status"], json!("open"));
    assert_eq!(ev.new["status"], json!("closed"));
    assert_eq!(last_log(&p, &id).str("message"), "Closed: chaos close");
    let out = p.td(&["done", &id]);
    out.ok();
    assert!(out
        .stderr
        .contains(&format!("Warning: already closed {id}")));
}

#[test]
fn close_policy_refusals() {
    let p = Project::new();
    // 2. the implementer
    let own = p.create("Issue alice implements", &[]);
    p.td(&["start", &own]).ok();
    refused(
        &p,
        "alice",
        &["close", &own],
        1,
        &format!("ERROR: cannot close own implementation: {own}"),
    );
    let out = p.td(&["close", &own]);
    assert!(out
        .stderr
        .contains(&format!("ERROR:   Submit for review: td review {own}")));

    // 3a. the creator after someone started it
    let started = p.create("Issue bob started for alice", &[]);
    p.td_as("bob", &["start", &started]).ok();
    p.td_as("bob", &["unstart", &started]).ok();
    refused(
        &p,
        "alice",
        &["close", &started],
        1,
        &format!("cannot close: {started} has implementation history and requires review"),
    );
    // 3b. the creator of an issue that is no longer open
    let blocked = p.create("Issue alice blocked herself", &[]);
    p.td(&["block", &blocked]).ok();
    refused(
        &p,
        "alice",
        &["close", &blocked],
        1,
        &format!("cannot close: you created {blocked} and it requires review"),
    );
    // 4. someone with other history (bob approved it once; it was reopened)
    let worked = p.create("Issue bob reviewed before", &[]);
    p.td_as("carol", &["start", &worked]).ok();
    p.td_as("carol", &["review", &worked]).ok();
    p.td_as("bob", &["approve", &worked]).ok();
    p.td(&["reopen", &worked]).ok();
    refused(
        &p,
        "bob",
        &["close", &worked],
        1,
        &format!("cannot close: you previously worked on {worked}"),
    );
    // in_review needs approve
    let rev = in_review_by_alice(&p, "Issue in review cannot close");
    refused(
        &p,
        "bob",
        &["close", &rev],
        1,
        &format!(
            "cannot close {rev}: issue is in review; use 'td approve {rev}' to close reviewed work"
        ),
    );
    refused(
        &p,
        "bob",
        &["close", "td-000000"],
        1,
        "Warning: issue not found: td-000000",
    );
    refused(
        &p,
        "bob",
        &["close"],
        1,
        "no issue specified and no focused issue",
    );

    // 5. an uninvolved session may close the others.
    p.td_as("dave", &["close", &own, &started, &blocked, &worked])
        .ok();
    for id in [&own, &started, &blocked, &worked] {
        assert_eq!(status(&p, id), "closed");
    }
}

#[test]
fn self_close_exception_and_admin() {
    let p = Project::new();
    let id = p.create("Issue closed by exception", &[]);
    p.td(&["start", &id]).ok();
    let mark = p.max_action_rowid();
    p.td(&["close", &id, "--self-close-exception", "hotfix"])
        .ok();
    assert_eq!(
        kinds_since(&p, mark),
        ["close/issue", "create/logs", "create/logs"]
    );
    let logs = p.rows(
        "SELECT message, type FROM logs WHERE issue_id = ?1 ORDER BY rowid DESC LIMIT 2",
        &[&id],
    );
    assert_eq!(logs[0].str("message"), "Closed");
    assert_eq!(
        logs[1].str("message"),
        "[explicit_alice] Closed (SELF-CLOSE EXCEPTION: hotfix)"
    );
    assert_eq!(logs[1].str("type"), "security");

    let id = p.create("Issue closed by an admin", &[]);
    p.td(&["start", &id]).ok();
    p.td(&["close", &id, "--admin", "cleanup"]).ok();
    assert_eq!(last_log(&p, &id).str("message"), "Closed (ADMIN: cleanup)");
}

#[test]
fn minor_issue_implementer_may_close_and_bulk_summary() {
    let p = Project::new();
    let minor = p.create("Minor issue closed by its implementer", &["--minor"]);
    p.td(&["start", &minor]).ok();
    let other = p.create("Open issue closed in the same bulk", &[]);
    let out = p.td(&[
        "close",
        &minor,
        &other,
        "td-000000",
        "--reason",
        "chaos bulk close",
    ]);
    out.ok();
    assert!(out.stdout.ends_with("\nClosed 2, skipped 1\n"), "{out:?}");
}

// ---- reopen / block / unblock ----

#[test]
fn reopen_clears_closure() {
    let p = Project::new();
    let id = in_review_by_alice(&p, "Issue approved then reopened");
    p.td_as("bob", &["approve", &id]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["reopen", &id, "--reason", "chaos reopen"]);
    out.ok();
    assert_eq!(out.stdout, format!("REOPENED {id}\n"));
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "open");
    assert_eq!(row.str("implementer_session"), "");
    assert_eq!(row.str("reviewer_session"), "");
    assert!(row.is_null("closed_at"));
    // closed → open supersedes the approval.
    assert_eq!(
        kinds_since(&p, mark),
        ["update/issue_reviews", "reopen/issue", "create/logs"]
    );
    assert_eq!(last_log(&p, &id).str("message"), "Reopened: chaos reopen");
    let out = p.td(&["reopen", &id]);
    out.ok();
    assert!(out.stderr.contains(&format!("already reopened {id}")));
    p.td(&["start", &id]).ok();
    refused(
        &p,
        "alice",
        &["reopen", &id],
        1,
        &format!("{id} is not closed (status: in_progress)"),
    );
}

#[test]
fn block_and_unblock() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue blocked and unblocked", &[]);
    p.td(&["start", &id]).ok();
    let mark = p.max_action_rowid();
    let out = p.td(&["block", &id, "--reason", "chaos block"]);
    out.ok();
    assert_eq!(out.stdout, format!("BLOCKED {id}\n"));
    assert_eq!(kinds_since(&p, mark), ["block/issue", "create/logs"]);
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "blocked");
    assert_eq!(
        row.str("implementer_session"),
        me,
        "block keeps the implementer"
    );
    let log = last_log(&p, &id);
    assert_eq!(log.str("message"), "Blocked: chaos block");
    assert_eq!(log.str("type"), "blocker");
    let out = p.td(&["block", &id]);
    out.ok();
    assert!(out.stderr.contains(&format!("already blocked {id}")));

    let mark = p.max_action_rowid();
    let out = p.td(&["unblock", &id, "--reason", "chaos unblock"]);
    out.ok();
    assert_eq!(out.stdout, format!("UNBLOCKED {id}\n"));
    assert_eq!(kinds_since(&p, mark), ["unblock/issue", "create/logs"]);
    let row = p.issue(&id);
    assert_eq!(row.str("status"), "open");
    assert_eq!(row.str("implementer_session"), "");
    assert_eq!(last_log(&p, &id).str("message"), "Unblocked: chaos unblock");
    let out = p.td(&["unblock", &id]);
    out.ok();
    assert!(out.stderr.contains(&format!("already unblocked {id}")));

    p.td(&["start", &id]).ok();
    refused(
        &p,
        "alice",
        &["unblock", &id],
        1,
        &format!("{id} is not blocked (status: in_progress)"),
    );
    let closed = p.create("Closed issue cannot be blocked", &[]);
    p.td(&["close", &closed]).ok();
    refused(
        &p,
        "alice",
        &["block", &closed],
        1,
        &format!("cannot block {closed}: invalid transition from closed"),
    );
    for verb in ["block", "unblock", "reopen"] {
        refused(
            &p,
            "alice",
            &[verb, "td-000000"],
            1,
            "issue not found: td-000000",
        );
    }
}

#[test]
fn bulk_status_verbs_print_summaries() {
    let p = Project::new();
    let a = p.create("Bulk blocked first issue", &[]);
    let b = p.create("Bulk blocked second issue", &[]);
    let out = p.td(&["block", &a, &b]);
    out.ok();
    assert!(!out.stdout.contains("Blocked 2"), "block prints no summary");
    let out = p.td(&["unblock", &a, &b, "td-000000"]);
    out.ok();
    assert!(
        out.stdout
            .ends_with("\nUnblocked 2, unchanged 0, failed 1\n"),
        "{out:?}"
    );
}

#[test]
fn bulk_approve_counts_no_ops_as_skipped() {
    let p = Project::new();
    let a = in_review_by_alice(&p, "Bulk approve first issue");
    let b = in_review_by_alice(&p, "Bulk approve second issue");
    p.td_as("bob", &["approve", &a]).ok();
    let out = p.td_as("bob", &["approve", &a, &b, "td-000000"]);
    out.ok();
    assert!(out.stdout.ends_with("\nApproved 1, skipped 2\n"), "{out:?}");
    assert_eq!(status(&p, &b), "closed");
}

#[test]
fn auto_handoff_takes_the_eight_newest_substantive_logs() {
    let p = Project::new();
    let id = p.create("Issue with a long log history", &[]);
    p.td(&["start", &id]).ok(); // "Started work" is routine
    for i in 0..10 {
        p.td(&["log", "--issue", &id, &format!("step {i}")]).ok();
    }
    for routine in [
        "Approved: earlier",
        "closed",
        "Auto-unblocked (dependency td-1 closed)",
    ] {
        p.td(&["log", "--issue", &id, routine]).ok();
    }
    p.td(&["log", "--issue", &id, "--blocker", "stuck on CI"])
        .ok();
    p.td(&["log", "--issue", &id, "--decision", "use the queue"])
        .ok();
    p.td(&["review", &id]).ok();
    let h = p
        .row("SELECT * FROM handoffs WHERE issue_id = ?1", &[&id])
        .unwrap();
    let done: Vec<String> = serde_json::from_str(&h.str("done")).unwrap();
    assert_eq!(
        done,
        [
            "stuck on CI",
            "step 9",
            "step 8",
            "step 7",
            "step 6",
            "step 5",
            "step 4"
        ]
    );
    assert_eq!(h.str("decisions"), r#"["use the queue"]"#);
    assert_eq!(h.str("remaining"), r#"["see session logs"]"#);
    assert_eq!(h.str("uncertain"), "[]");
}
