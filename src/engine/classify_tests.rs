//! Classification with real td refusal texts (client spec §8), and broad words that must not
//! pass as expected.

use super::*;
use std::time::Duration;

fn out(text: &str, code: i32) -> TdOutput {
    TdOutput {
        output: text.to_string(),
        code: Some(code),
        duration: Duration::ZERO,
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Classifies with an oracle that confirms everything, returning the confirm kind asked.
fn run(action: &str, text: &str, code: i32) -> (Outcome, Option<Confirm>) {
    let rules = rules_for(action).unwrap();
    let mut asked = None;
    let outcome = classify::<()>(&rules, &out(text, code), &ids(&["td-abc123"]), |k, _| {
        asked = Some(k);
        Ok(true)
    })
    .unwrap();
    (outcome, asked)
}

fn expected(action: &str, text: &str, code: i32, kind: Confirm) {
    let (outcome, asked) = run(action, text, code);
    assert!(
        matches!(outcome, Outcome::Expected(_)),
        "{action}: {text:?} → {outcome:?}"
    );
    assert_eq!(asked, Some(kind), "{action}: {text:?}");
}

fn unexpected(action: &str, text: &str, code: i32) {
    let (outcome, _) = run(action, text, code);
    assert!(
        matches!(outcome, Outcome::Unexpected(_)),
        "{action}: {text:?} → {outcome:?}"
    );
}

#[test]
fn start_refusals() {
    use Confirm::Status;
    expected("start", "Warning: already started td-abc123\n", 1, Status);
    expected(
        "start",
        "Warning: cannot start td-abc123: already in_progress under session ses_111111\n",
        1,
        Status,
    );
    expected(
        "start",
        "Warning: cannot start td-abc123: invalid transition from closed\n",
        1,
        Status,
    );
    expected(
        "start",
        "Warning: cannot start blocked issue: td-abc123 (use --force to override)\n",
        1,
        Status,
    );
    expected(
        "unstart",
        "Warning: issue not in_progress: td-abc123 (status: closed)\n",
        1,
        Status,
    );
}

#[test]
fn approve_reject_refusals() {
    expected(
        "approve",
        "ERROR: cannot approve: you implemented this issue, so approving it needs an \
         attribution. If a sub-agent or another party reviewed it, name them: --reviewed-by \
         \"<who>\". If you reviewed your own work, say so: --self-review --reason \"...\" (td-abc123)\n",
        1,
        Confirm::Implementer,
    );
    expected(
        "approve",
        "Warning: cannot approve td-abc123: status changed from in_review to open in another \
         session\nError: issue td-abc123 status changed from in_review to open\n",
        1,
        Confirm::Status,
    );
    expected(
        "approve",
        "Warning: already approved/closed td-abc123\n",
        0,
        Confirm::Status,
    );
    expected(
        "reject",
        "Warning: cannot reject td-abc123: must be in_review (currently open)\n",
        1,
        Confirm::Status,
    );
    expected(
        "reject",
        "Warning: already reopened td-abc123\n",
        0,
        Confirm::Status,
    );
}

#[test]
fn close_refusals() {
    expected(
        "close",
        "ERROR: cannot close own implementation: td-abc123\n",
        1,
        Confirm::Implementer,
    );
    expected(
        "close",
        "ERROR: cannot close: you created td-abc123 and it requires review\n",
        1,
        Confirm::Creator,
    );
    expected(
        "close",
        "ERROR: cannot close: td-abc123 has implementation history and requires review\n",
        1,
        Confirm::Creator,
    );
    expected(
        "close",
        "ERROR: cannot close td-abc123: issue is in review; use 'td approve td-abc123' to close \
         reviewed work\n",
        1,
        Confirm::InReview,
    );
    expected(
        "bulk_close",
        "ERROR: cannot close: you previously worked on td-abc123\n",
        1,
        Confirm::History,
    );
    expected(
        "close",
        "Warning: already closed td-abc123\n",
        0,
        Confirm::Status,
    );
}

#[test]
fn review_block_reopen_refusals() {
    use Confirm::Status;
    expected(
        "review",
        "Warning: cannot review td-abc123: already in review\n",
        0,
        Status,
    );
    expected(
        "review",
        "Warning: cannot review td-abc123: cannot transition td-abc123 from blocked to \
         in_review: transition not allowed\n",
        0,
        Status,
    );
    expected(
        "block",
        "Warning: cannot block td-abc123: invalid transition from closed\n",
        1,
        Status,
    );
    expected(
        "unblock",
        "Warning: td-abc123 is not blocked (status: open)\n",
        1,
        Status,
    );
    expected(
        "reopen",
        "Warning: td-abc123 is not closed (status: in_review)\n",
        1,
        Status,
    );
}

#[test]
fn deps_boards_ws_files_logs() {
    expected(
        "dep_add",
        "ERROR: cannot add dependency: would create circular dependency\n",
        0,
        Confirm::DepCycle,
    );
    expected(
        "dep_add",
        "Warning: td-abc123 already depends on td-def456\n",
        0,
        Confirm::DepExists,
    );
    expected(
        "board_move",
        "Error: board not found: chaos-board-1\n",
        1,
        Confirm::BoardGone,
    );
    expected(
        "board_unposition",
        "Error: issue not positioned on board: td-abc123\n",
        1,
        Confirm::NotPositioned,
    );
    expected(
        "ws_start",
        "ERROR: work session already active: ws-1a2b\n",
        1,
        Confirm::WsActive,
    );
    expected(
        "ws_tag",
        "ERROR: no active work session. Run 'td ws start <name>' first\n",
        1,
        Confirm::WsInactive,
    );
    expected(
        "ws_end",
        "Error: no active work session\n",
        1,
        Confirm::WsInactive,
    );
    expected(
        "unlink",
        "UNLINKED 0 file(s) from td-abc123\n",
        0,
        Confirm::FileGone,
    );
    expected(
        "log_progress",
        "Error: no message provided. Use: td log \"message\" or pipe input\n",
        1,
        Confirm::EmptyMessage,
    );
}

#[test]
fn broad_words_are_not_refusals() {
    unexpected("start", "Error: issue already exists\n", 1);
    unexpected("start", "Warning: issue not found: td-abc123\n", 1);
    unexpected("close", "Error: blocked by something\n", 1);
    unexpected("close", "Error: cannot close database handle\n", 1);
    unexpected(
        "approve",
        "Error: cannot approve your own issue (self-review)\n",
        1,
    );
    unexpected("dep_add", "Error: cycle detected in scheduler\n", 1);
    unexpected("board_edit", "Error: not found\n", 1);
    unexpected("ws_tag", "Error: no such table: work_sessions\n", 1);
    unexpected("reject", "Error: invalid status\n", 1);
    unexpected("unblock", "Error: (status: unknown)\n", 1);
}

#[test]
fn success_needs_the_success_line() {
    assert_eq!(run("update", "UPDATED td-abc123\n", 0).0, Outcome::Ok);
    unexpected("update", "ERROR: issue not found: td-abc123\n", 0);
    unexpected("comment", "", 0);
    unexpected("start", "STARTED td-abc123 (session: ses_1)\n", 1);
    assert_eq!(
        run("start", "STARTED td-abc123 (session: ses_1)\n", 0).0,
        Outcome::Ok
    );
    let killed = TdOutput {
        output: String::new(),
        code: None,
        duration: Duration::ZERO,
    };
    let rules = rules_for("delete").unwrap();
    let verdict = judge(&rules, &killed, &ids(&["td-abc123"]));
    assert!(matches!(verdict, Verdict::Failed(_)));
}

#[test]
fn contradicted_refusal_is_unexpected() {
    let rules = rules_for("approve").unwrap();
    let text = "Error: issue td-abc123 status changed from in_review to closed\n";
    let outcome = classify::<()>(&rules, &out(text, 1), &ids(&["td-abc123"]), |_, _| {
        Ok(false)
    })
    .unwrap();
    assert!(matches!(outcome, Outcome::Unexpected(_)), "{outcome:?}");
}

#[test]
fn bulk_partial_success_judges_each_remaining_id() {
    let rules = rules_for("bulk_start").unwrap();
    let targets = ids(&["td-000001", "td-000002"]);
    let text = "STARTED td-000001 (session: ses_1)\n\
                Warning: cannot start blocked issue: td-000002 (use --force to override)\n\
                \nStarted 1, skipped 1\n";
    let mut asked = Vec::new();
    let outcome = classify::<()>(&rules, &out(text, 0), &targets, |k, t| {
        asked.push((k, t.to_vec()));
        Ok(true)
    })
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::Expected("refused: cannot start blocked issue: ".into())
    );
    assert_eq!(asked, [(Confirm::Status, ids(&["td-000002"]))]);
    assert_eq!(
        succeeded_targets(&rules, text, &targets),
        ids(&["td-000001"])
    );

    let lost = "STARTED td-000001 (session: ses_1)\nWarning: issue not found: td-000002\n";
    let outcome = classify::<()>(&rules, &out(lost, 0), &targets, |_, _| Ok(true)).unwrap();
    assert!(matches!(outcome, Outcome::Unexpected(_)), "{outcome:?}");
}

#[test]
fn each_rule_needs_every_target() {
    let rules = rules_for("update_bulk").unwrap();
    let targets = ids(&["td-000001", "td-000002"]);
    let one = out("UPDATED td-000001\nERROR: issue not found: td-000002\n", 0);
    assert!(matches!(judge(&rules, &one, &targets), Verdict::Failed(_)));
    let both = out("UPDATED td-000001\nUPDATED td-000002\n", 0);
    assert_eq!(judge(&rules, &both, &targets), Verdict::Ok);
}

#[test]
fn created_id_is_strict() {
    assert_eq!(
        extract_created_id("Warning: title is short\nCREATED td-abc123\n").as_deref(),
        Some("td-abc123")
    );
    assert_eq!(
        extract_created_id("linked /tmp/td-e2e-1/x\nCREATED td-0a1b2c3d\n").as_deref(),
        Some("td-0a1b2c3d")
    );
    for bad in [
        "created td-abc123",
        "CREATED td-e2e",
        "CREATED td-ABCDEF",
        "CREATED td-abc",
        "CREATED td-abc123x",
        "CREATED td-123456789",
        "/tmp/td-e2e-abc123",
    ] {
        assert_eq!(extract_created_id(bad), None, "{bad:?}");
    }
}

#[test]
fn glob_matching() {
    assert!(matches_line(
        "cannot start *: invalid",
        "Warning: cannot start td-1: invalid x"
    ));
    assert!(!matches_line(
        "cannot start *: invalid",
        "cannot start td-1\n: invalid"
    ));
    assert!(matches_line("^CREATED td-", "x\nCREATED td-1"));
    assert!(!matches_line("^CREATED td-", "  xCREATED td-1"));
}

#[test]
fn undo_refusals_name_what_is_already_gone() {
    assert_eq!(
        run("undo", "UNDONE: update issue td-abc123\n", 0).0,
        Outcome::Ok
    );
    expected(
        "undo",
        "No actions to undo in current session (ses_ab12cd)\n",
        0,
        Confirm::NothingToUndo,
    );
    expected(
        "undo",
        "ERROR: failed to undo: td-d3c67d no longer depends on td-210925\n",
        1,
        Confirm::DepGone,
    );
    expected(
        "undo",
        "ERROR: failed to undo: cannot add dependency: would create circular dependency\n",
        1,
        Confirm::DepCycle,
    );
    expected(
        "undo",
        "ERROR: failed to undo: src/a.rs is no longer linked to td-abc123\n",
        1,
        Confirm::FileGone,
    );
    unexpected(
        "undo",
        "ERROR: failed to undo: unknown entity type: work_session_issues\n",
        1,
    );
}
