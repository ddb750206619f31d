//! action_log agreement, event counts and monotonic server_seq: each fails on a crafted
//! divergence and passes on the clean world.

use crate::support::{
    assert_all_valid, assert_invalid, ev, failing_names, result, synced_world, OPEN,
};
use td_e2e::verify::{CheckResult, Verdict, Verifier};

fn agreement(w: &crate::support::World) -> Vec<CheckResult> {
    Verifier::new().action_log(&w.dbs).to_vec()
}

fn counts(w: &crate::support::World) -> Vec<CheckResult> {
    Verifier::new().event_counts(&w.dbs).to_vec()
}

fn monotonic(w: &crate::support::World) -> Vec<CheckResult> {
    Verifier::new().monotonic(&w.dbs).to_vec()
}

#[test]
fn the_clean_world_passes_all_three() {
    let w = synced_world();
    let a = agreement(&w);
    assert_all_valid(&a);
    assert!(
        a[0].details.contains("6 synced events (alice 3, bob 3)"),
        "{}",
        a[0].details
    );
    let c = counts(&w);
    assert_all_valid(&c);
    assert_eq!(c.len(), 2);
    assert!(
        c[0].details.contains("2 issues, 1 comments, 0 logs"),
        "{}",
        c[0].details
    );
    let m = monotonic(&w);
    assert_all_valid(&m);
    assert_eq!(
        m[0].details,
        "3 events, server_seq 1..4, strictly increasing"
    );
}

#[test]
fn a_seq_claimed_by_two_actors_fails_agreement() {
    let w = synced_world();
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = 3 WHERE server_seq = 5",
    );
    let r = &agreement(&w)[0];
    assert_eq!(r.name, "action_log agreement [alice, bob]");
    assert_invalid(
        r,
        &[
            "server_seq 3 is claimed by 2 actors (different events)",
            r#"{actor: "alice", rowid: 2, server_seq: 3, action_type: "start", entity_type: "issue", entity_id: "td-aaa111"}"#,
            r#"{actor: "bob", rowid: 2, server_seq: 3, action_type: "create", entity_type: "comments", entity_id: "cm-1"}"#,
        ],
    );
}

#[test]
fn a_pulled_event_logged_with_its_seq_fails_agreement() {
    let w = synced_world();
    // Pulled events write no action_log rows; one that does duplicates the author's seq.
    w.log("bob", ev("create", "issue", "td-aaa111", 1).new_data(OPEN));
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = 1 WHERE server_seq = 1",
    );
    assert_invalid(
        &agreement(&w)[0],
        &["server_seq 1 is claimed by 2 actors (same event logged twice)"],
    );
}

#[test]
fn a_lagging_or_unequal_pull_cursor_fails_agreement() {
    let w = synced_world();
    w.exec("bob", "UPDATE sync_state SET last_pulled_server_seq = 5");
    assert_invalid(
        &agreement(&w)[0],
        &["bob's pull cursor is 5, behind server_seq 6 pushed by an actor"],
    );
    let w = synced_world();
    w.exec("bob", "UPDATE sync_state SET last_pulled_server_seq = 9");
    assert_invalid(
        &agreement(&w)[0],
        &[r#"pull cursors differ: [("alice", 6), ("bob", 9)]"#],
    );
}

#[test]
fn unlinked_or_differently_linked_actors_fail_agreement() {
    let w = synced_world();
    w.exec("alice", "DELETE FROM sync_state");
    assert_invalid(
        &agreement(&w)[0],
        &["alice has no sync_state row (never linked)"],
    );
    let w = synced_world();
    w.exec("bob", "UPDATE sync_state SET project_id = 'p_other'");
    assert_invalid(
        &agreement(&w)[0],
        &["actors are linked to different projects"],
    );
}

#[test]
fn a_pending_event_fails_counts_for_its_actor() {
    let w = synced_world();
    w.log(
        "bob",
        ev("update", "issue", "td-aaa111", 0).unsynced().prev(OPEN),
    );
    let c = counts(&w);
    assert_eq!(failing_names(&c), vec!["event counts [bob]"]);
    assert_invalid(
        result(&c, "event counts [bob]"),
        &[
            r#"pending, never pushed: {actor: "bob", rowid: 4, server_seq: NULL, action_type: "update""#,
        ],
    );
}

#[test]
fn an_undone_unpushed_event_is_not_pending() {
    let w = synced_world();
    w.log(
        "bob",
        ev("update", "issue", "td-aaa111", 0).unsynced().prev(OPEN),
    );
    w.exec(
        "bob",
        "UPDATE action_log SET undone = 1 WHERE server_seq IS NULL",
    );
    assert_all_valid(&counts(&w));
}

#[test]
fn a_seq_without_synced_at_fails_counts() {
    let w = synced_world();
    w.exec(
        "alice",
        "UPDATE action_log SET synced_at = NULL WHERE server_seq = 3",
    );
    assert_invalid(
        result(&counts(&w), "event counts [alice]"),
        &[
            "server_seq and synced_at disagree (synced_at NULL)",
            "server_seq: 3",
        ],
    );
}

#[test]
fn a_row_no_event_created_fails_counts_on_every_actor_holding_it() {
    let w = synced_world();
    w.exec_all("INSERT INTO logs (id, issue_id, session_id, message) VALUES ('lg-9', 'td-aaa111', 's', 'cascade')");
    let c = counts(&w);
    assert_eq!(
        failing_names(&c),
        vec!["event counts [alice]", "event counts [bob]"]
    );
    assert_invalid(
        result(&c, "event counts [alice]"),
        &[r#"logs row "lg-9" on alice has no synced create in any actor's action_log"#],
    );
}

#[test]
fn a_created_row_missing_everywhere_fails_counts() {
    let w = synced_world();
    // Convergent but lost: both actors dropped the comment bob created.
    w.exec_all("DELETE FROM comments");
    assert_invalid(
        result(&counts(&w), "event counts [alice]"),
        &[r#"comments row "cm-1" is missing on alice, created by {actor: "bob""#],
    );
}

#[test]
fn a_duplicate_seq_within_one_actor_fails_monotonic() {
    let w = synced_world();
    w.exec(
        "alice",
        "UPDATE action_log SET server_seq = 3 WHERE server_seq = 4",
    );
    let m = monotonic(&w);
    assert_eq!(failing_names(&m), vec!["monotonic server_seq [alice]"]);
    assert_invalid(
        &m[0],
        &[
            "server_seq 3 is not greater than its predecessor",
            r#"action_type: "review""#,
        ],
    );
}

#[test]
fn a_text_or_non_positive_seq_fails_monotonic() {
    let w = synced_world();
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = '5x' WHERE server_seq = 5",
    );
    w.exec(
        "bob",
        "UPDATE action_log SET server_seq = 0 WHERE server_seq = 6",
    );
    let m = monotonic(&w);
    assert_invalid(
        result(&m, "monotonic server_seq [bob]"),
        &[
            r#"server_seq is not an integer: {actor: "bob", rowid: 2, server_seq: "5x""#,
            "server_seq 0 is not positive",
        ],
    );
}

#[test]
fn a_database_without_action_log_is_unknown() {
    let w = synced_world();
    w.exec("bob", "DROP TABLE action_log");
    for results in [agreement(&w), counts(&w), monotonic(&w)] {
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].verdict, Verdict::Unknown, "{results:?}");
        assert!(results[0].details.contains("no such table: action_log"));
    }
}
