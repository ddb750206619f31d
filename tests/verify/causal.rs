//! Causal ordering: per-actor local order and the merged log's create-first and status-chain
//! rules each fail on a crafted history; legal histories (review from open, untag of a
//! never-tagged pair, deterministic ids created by two actors) pass.

use crate::support::{
    assert_all_valid, assert_invalid, ev, failing_names, result, synced_world, World, IN_PROGRESS,
    IN_REVIEW, OPEN,
};
use td_e2e::verify::{CheckResult, Verifier};

/// The merged-log result of a two-actor world.
const MERGED: &str = "causal ordering [alice, bob]";

fn causal(w: &crate::support::World) -> Vec<CheckResult> {
    Verifier::new().causal(&w.dbs).to_vec()
}

/// Asserts the merged-log result is Invalid with every needle in its details.
fn assert_merged_invalid(results: &[CheckResult], needles: &[&str]) {
    assert_invalid(result(results, MERGED), needles);
}

#[test]
fn the_clean_world_is_causal() {
    let results = causal(&synced_world());
    assert_all_valid(&results);
    assert_eq!(
        results.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        vec!["causal ordering [alice]", "causal ordering [bob]", MERGED]
    );
}

#[test]
fn a_review_acked_before_its_start_fails_locally_and_in_the_merged_log() {
    let w = synced_world();
    // Acks mapped back to the wrong rows: start got 4, review got 3.
    w.exec(
        "alice",
        "UPDATE action_log SET server_seq = 7 - server_seq WHERE server_seq IN (3, 4)",
    );
    let results = causal(&w);
    assert_eq!(
        failing_names(&results),
        vec!["causal ordering [alice]", MERGED]
    );
    assert_invalid(
        result(&results, "causal ordering [alice]"),
        &[
            "local order inverted (start must precede review)",
            r#"{actor: "alice", rowid: 3, server_seq: 3, action_type: "review""#,
        ],
    );
    assert_merged_invalid(
        &results,
        &[
            r#"action_type: "review", entity_type: "issue", entity_id: "td-aaa111"} found issues/td-aaa111 "in_progress" but no earlier event set that status (no start precedes it)"#,
        ],
    );
}

#[test]
fn an_update_acked_before_its_create_fails_locally() {
    let w = synced_world();
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = 7 WHERE server_seq = 2",
    );
    let results = causal(&w);
    assert_invalid(
        result(&results, "causal ordering [bob]"),
        &["local order inverted (the entity's create must precede its other events)"],
    );
}

#[test]
fn another_actors_update_before_the_create_fails_only_across_databases() {
    let w = World::new(&["alice", "bob"]);
    w.exec_all("INSERT INTO issues (id, title) VALUES ('td-aaa111', 'first')");
    w.log(
        "alice",
        ev("create", "issue", "td-aaa111", 2).new_data(OPEN),
    );
    w.log(
        "bob",
        ev("update", "issue", "td-aaa111", 1).moves(OPEN, OPEN),
    );
    let results = causal(&w);
    // Each actor's own log is in order; only the merged log shows the update first.
    assert_eq!(failing_names(&results), vec![MERGED]);
    assert_merged_invalid(
        &results,
        &[
            r#"{actor: "bob", rowid: 1, server_seq: 1, action_type: "update", entity_type: "issue", entity_id: "td-aaa111"} precedes the first create of issues/td-aaa111: {actor: "alice", rowid: 1, server_seq: 2, action_type: "create""#,
        ],
    );
}

#[test]
fn an_event_on_an_entity_nobody_created_fails() {
    let w = synced_world();
    w.log_all(
        "bob",
        [
            ev("link_file", "issue_files", "ifl_x", 7).new_data("{}"),
            ev("board_unposition", "board_issue_positions", "bip_never", 8),
        ],
    );
    let results = causal(&w);
    assert_eq!(failing_names(&results), vec![MERGED]);
    assert_merged_invalid(
        &results,
        &[
            "1 violation(s)",
            r#"entity_id: "bip_never"} is about board_issue_positions/bip_never but no actor's log has a synced create of it"#,
        ],
    );
}

#[test]
fn untag_of_a_never_tagged_pair_is_legal() {
    let w = synced_world();
    // td logs ws untag even when no row existed (client spec §6.4).
    w.log(
        "bob",
        ev("work_session_untag", "work_session_issues", "wsi_1", 7),
    );
    w.log(
        "alice",
        ev("work_session_tag", "work_session_issues", "wsi_1", 8),
    );
    assert_all_valid(&causal(&w));
}

#[test]
fn a_deterministic_id_created_by_both_actors_orders_by_the_first_create() {
    let w = synced_world();
    w.log(
        "alice",
        ev("board_set_position", "board_issue_positions", "bip_1", 7),
    );
    w.log_all(
        "bob",
        [
            ev("board_set_position", "board_issue_positions", "bip_1", 8),
            ev("board_unposition", "board_issue_positions", "bip_1", 9),
        ],
    );
    assert_all_valid(&causal(&w));
    // The unposition moved before both creates is caught.
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = 6 WHERE server_seq = 9; \
                   UPDATE action_log SET server_seq = 9 WHERE action_type = 'delete'",
    );
    let results = causal(&w);
    assert_merged_invalid(
        &results,
        &[
            r#"action_type: "board_unposition", entity_type: "board_issue_positions", entity_id: "bip_1"} precedes the first create of board_issue_positions/bip_1"#,
        ],
    );
}

#[test]
fn a_review_straight_from_open_needs_no_start() {
    let w = synced_world();
    // open → in_review is a legal td transition (client spec §7.1), e.g. a cascaded review.
    w.log(
        "bob",
        ev("review", "issue", "td-bbb222", 7).moves(OPEN, IN_REVIEW),
    );
    assert_all_valid(&causal(&w));
}

#[test]
fn a_review_by_another_actor_after_a_start_passes_and_without_one_fails() {
    let w = synced_world();
    w.log(
        "bob",
        ev("start", "issue", "td-bbb222", 7).moves(OPEN, IN_PROGRESS),
    );
    w.log(
        "alice",
        ev("review", "issue", "td-bbb222", 8).moves(IN_PROGRESS, IN_REVIEW),
    );
    assert_all_valid(&causal(&w));
    w.exec("bob", "DELETE FROM action_log WHERE action_type = 'start'");
    assert_merged_invalid(
        &causal(&w),
        &[
            r#"found issues/td-bbb222 "in_progress" but no earlier event set that status (no start precedes it)"#,
        ],
    );
}

#[test]
fn an_issue_update_without_a_readable_previous_status_fails() {
    let w = synced_world();
    w.log(
        "bob",
        ev("update", "issue", "td-aaa111", 7).moves("not json", IN_REVIEW),
    );
    assert_merged_invalid(&causal(&w), &["has no status in its previous_data"]);
}

#[test]
fn wrapped_snapshots_are_read() {
    let w = synced_world();
    let approved = r#"{"issue":{"id":"td-aaa111","status":"closed"},"created_review_id":"rv-1"}"#;
    w.log_all(
        "bob",
        [
            ev("approve", "issue", "td-aaa111", 7).moves(IN_REVIEW, approved),
            ev("reopen", "issue", "td-aaa111", 8).moves(r#"{"status":"closed"}"#, OPEN),
        ],
    );
    assert_all_valid(&causal(&w));
}
