//! The ledger checks (ledger_acked, ledger_no_duplicate, ledger_dense, heads): each passes on
//! a clean crafted ledger and fails on a crafted divergence, naming the actor, rowid, seq,
//! entity and what each side holds; then the same against a real world's stores.

use crate::support::server::{device, ledger_actor, Server, PROJECT};
use crate::support::{
    assert_all_valid, assert_invalid, ev, failing_names, result, World, IN_PROGRESS, OPEN,
};
use td_e2e::config::HarnessConfig;
use td_e2e::driver::Driver;
use td_e2e::engine::extract_created_id;
use td_e2e::harness::{Harness, WorldOptions};
use td_e2e::verify::{CheckKind, CheckResult, Verdict, Verifier, VerifyContext};

const COMMENT: &str = r#"{"id":"cm-1","issue_id":"td-aaa111","text":"hi"}"#;

/// Two actors, four acknowledged events, cursors at the head (4), server mirrored:
/// alice rowid 1 = seq 1 (create td-aaa111), rowid 2 = seq 3 (start td-aaa111);
/// bob   rowid 1 = seq 2 (create td-bbb222), rowid 2 = seq 4 (create comments/cm-1).
/// `more` adds rows before the server mirrors the actors.
fn ledger_world_with(more: impl FnOnce(&World)) -> (World, Server) {
    let w = World::new(&["alice", "bob"]);
    w.exec_all(&format!(
        "INSERT INTO sync_state (project_id, last_pushed_action_id, last_pulled_server_seq) \
         VALUES ('{PROJECT}', 2, 4);"
    ));
    w.log_all(
        "alice",
        [
            ev("create", "issue", "td-aaa111", 1).new_data(OPEN),
            ev("start", "issue", "td-aaa111", 3).moves(OPEN, IN_PROGRESS),
        ],
    );
    w.log_all(
        "bob",
        [
            ev("create", "issue", "td-bbb222", 2).new_data(OPEN),
            ev("create", "comments", "cm-1", 4).new_data(COMMENT),
        ],
    );
    more(&w);
    let s = Server::new(w.dir.path(), &[PROJECT]);
    s.mirror(&w, "alice", &device("alice"));
    s.mirror(&w, "bob", &device("bob"));
    (w, s)
}

fn ledger_world() -> (World, Server) {
    ledger_world_with(|_| {})
}

/// All four checks: acked per actor, no-duplicate and dense per project, heads per actor.
fn run(w: &World, s: &Server) -> Vec<CheckResult> {
    let actors = [ledger_actor(w, "alice"), ledger_actor(w, "bob")];
    let data = s.data();
    let mut v = Verifier::new();
    v.ledger_acked(&actors, &data);
    v.ledger_no_duplicate(&actors, &data);
    v.ledger_dense(&data);
    v.heads(&w.dbs, &data);
    v.into_results()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| n.replace("{p}", PROJECT)).collect()
}

const ACKED_ALICE: &str = "ledger acked [alice]";
const ACKED_BOB: &str = "ledger acked [bob]";
const NO_DUP: &str = "ledger no duplicate [{p}]";
const DENSE: &str = "ledger dense [{p}]";
const HEADS_ALICE: &str = "heads [alice]";
const HEADS_BOB: &str = "heads [bob]";

#[test]
fn a_clean_ledger_passes_every_check() {
    let (w, s) = ledger_world();
    let results = run(&w, &s);
    assert_all_valid(&results);
    assert_eq!(results.len(), 6, "{results:#?}");
    assert_eq!(
        result(&results, ACKED_ALICE).details,
        format!(
            "2 acknowledged rows are the events at their seqs in {PROJECT} (device dev-alice, \
             client action, entity, action, payload, second)"
        )
    );
    let dense = format!("ledger dense [{PROJECT}]");
    assert_eq!(
        result(&results, &dense).details,
        "4 events, seqs exactly 1..4"
    );
    assert_eq!(
        result(&results, HEADS_BOB).details,
        format!("nothing pending; pull cursor at the server head 4 of {PROJECT}")
    );
}

// ---- ledger_acked ----

#[test]
fn a_lost_acknowledged_write_fails_acked_and_dense() {
    let (w, s) = ledger_world();
    s.exec(PROJECT, "DELETE FROM events WHERE server_seq = 3");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[ACKED_ALICE, DENSE]));
    assert_invalid(
        result(&results, ACKED_ALICE),
        &[&format!(
            "LOST: alice rowid 2 (al-alice-1) issue/td-aaa111 start was acknowledged at seq 3, \
             but project {PROJECT} holds no event 3"
        )],
    );
    assert_invalid(
        result(&results, &names(&[DENSE])[0]),
        &["GAP: seq 3 missing (next stored seq is 4)"],
    );
}

/// (sql on the server's events.db, text the failure of alice's ack at seq 3 must contain).
const SERVER_TAMPERING: &[(&str, &str)] = &[
    (
        "UPDATE events SET payload = json_set(payload, '$.new_data.status', 'closed') \
         WHERE server_seq = 3",
        r#"new_data.status: client "in_progress" vs server "closed""#,
    ),
    (
        "UPDATE events SET payload = json_remove(payload, '$.previous_data.id') \
         WHERE server_seq = 3",
        r#"previous_data.id: client "x" vs server absent"#,
    ),
    (
        "UPDATE events SET entity_id = 'td-zzz999' WHERE server_seq = 3",
        r#"entity_id: client "td-aaa111" vs server "td-zzz999""#,
    ),
    (
        "UPDATE events SET entity_type = 'comments' WHERE server_seq = 3",
        r#"entity_type: client "issues" vs server "comments""#,
    ),
    (
        "UPDATE events SET action_type = 'soft_delete' WHERE server_seq = 3",
        r#"action_type: client "update" (from "start") vs server "soft_delete""#,
    ),
    (
        "UPDATE events SET client_timestamp = '2026-01-01T00:00:01Z' WHERE server_seq = 3",
        r#"client_timestamp: client "2026-01-01T00:00:00Z" vs server "2026-01-01T00:00:01Z""#,
    ),
    (
        "UPDATE events SET client_action_id = 7 WHERE server_seq = 3",
        "alice rowid 2 (al-alice-1) issue/td-aaa111 start was acknowledged at seq 3, but the \
         server holds client action 7 of this device there",
    ),
    (
        "UPDATE events SET device_id = 'dev-bob' WHERE server_seq = 3",
        r#"was acknowledged at seq 3, but the server holds another device's event there (device "dev-bob", bob)"#,
    ),
];

#[test]
fn every_field_of_an_acknowledged_event_is_compared() {
    for (sql, needle) in SERVER_TAMPERING {
        let (w, s) = ledger_world();
        s.exec(PROJECT, sql);
        let results = run(&w, &s);
        let failing = failing_names(&results);
        assert!(
            failing.contains(&ACKED_ALICE.to_string()),
            "after {sql}: {results:#?}"
        );
        let r = result(&results, ACKED_ALICE);
        assert_invalid(r, &[needle, "seq 3", "alice rowid 2"]);
        // What the server holds is printed whole, so the report shows both sides.
        assert_invalid(r, &["server holds", "server_seq: 3"]);
    }
}

#[test]
fn a_client_row_rewritten_after_its_ack_fails_acked() {
    let (w, s) = ledger_world();
    w.exec(
        "bob",
        r#"UPDATE action_log SET new_data = '{"id":"cm-1","issue_id":"td-aaa111","text":"edited"}' WHERE rowid = 2"#,
    );
    let results = run(&w, &s);
    // The server's copy is now an action bob never logged, too.
    assert_eq!(failing_names(&results), names(&[ACKED_BOB, NO_DUP]));
    assert_invalid(
        result(&results, ACKED_BOB),
        &[
            "bob rowid 2 (al-bob-1) comments/cm-1 create acknowledged at seq 4 differs",
            r#"new_data.text: client "edited" vs server "hi""#,
        ],
    );
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &["UNLOGGED: comments/cm-1 create", "from bob"],
    );
}

#[test]
fn a_row_acknowledged_with_a_peers_seq_fails_acked() {
    let (w, s) = ledger_world();
    w.exec(
        "alice",
        "UPDATE action_log SET server_seq = 2 WHERE rowid = 2",
    );
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[ACKED_ALICE]));
    assert_invalid(
        result(&results, ACKED_ALICE),
        &[
            "alice rowid 2 (al-alice-1) issue/td-aaa111 start was acknowledged at seq 2, but the \
             server holds another device's event there (device \"dev-bob\", bob)",
            "entity_id: \"td-bbb222\"",
        ],
    );
}

#[test]
fn a_row_marked_synced_without_a_seq_fails_acked() {
    let (w, s) = ledger_world();
    w.exec(
        "alice",
        "UPDATE action_log SET server_seq = NULL WHERE rowid = 1",
    );
    let results = run(&w, &s);
    assert!(failing_names(&results).contains(&ACKED_ALICE.to_string()));
    assert_invalid(
        result(&results, ACKED_ALICE),
        &["alice rowid 1 (al-alice-0) issue/td-aaa111 create is marked synced (synced_at \"2026-01-01 00:00:01\") without a server_seq"],
    );
}

// ---- ledger_no_duplicate ----

/// Copies seq `from` to a new seq under `session` (same device and client action).
fn store_again(s: &Server, from: i64, session: &str) {
    s.exec(
        PROJECT,
        &format!(
            "INSERT INTO events (device_id, session_id, client_action_id, action_type, \
             entity_type, entity_id, payload, client_timestamp) \
             SELECT device_id, '{session}', client_action_id, action_type, entity_type, \
             entity_id, payload, client_timestamp FROM events WHERE server_seq = {from}"
        ),
    );
}

#[test]
fn an_action_stored_under_two_sessions_is_a_duplicate() {
    let (w, s) = ledger_world();
    store_again(&s, 1, "e2e-alice-retry");
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 5");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[NO_DUP]));
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &[
            "DUPLICATE: issues/td-aaa111 create at \"2026-01-01T00:00:00Z\" from alice (device \
             \"dev-alice\") is stored 2 times, at seqs [1 (session \"e2e-alice\", client action \
             1), 5 (session \"e2e-alice-retry\", client action 1)], but alice logged it 1 time(s) \
             (rowids [1])",
        ],
    );
}

#[test]
fn one_dedup_key_under_two_seqs_is_a_duplicate() {
    // A store that lost its UNIQUE key: the same (device, session, client action) twice.
    let w = World::new(&["alice", "bob"]);
    w.exec_all(&format!(
        "INSERT INTO sync_state (project_id, last_pulled_server_seq) VALUES ('{PROJECT}', 2);"
    ));
    w.log(
        "alice",
        ev("create", "issue", "td-aaa111", 1).new_data(OPEN),
    );
    let s = Server::without_dedup_key(w.dir.path(), &[PROJECT]);
    s.mirror(&w, "alice", &device("alice"));
    store_again(&s, 1, "e2e-alice");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[NO_DUP]));
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &[
            "DUPLICATE: client action 1 of device \"dev-alice\" (alice), session \"e2e-alice\" \
             is stored at seqs [1, 2]",
            "is stored 2 times",
        ],
    );
}

#[test]
fn the_same_action_logged_twice_may_be_stored_twice() {
    // Two identical updates in the same second are two actions, not a retry.
    let (w, s) = ledger_world_with(|w| {
        w.log_all(
            "alice",
            [
                ev("update", "issue", "td-aaa111", 5).moves(IN_PROGRESS, IN_PROGRESS),
                ev("update", "issue", "td-aaa111", 6).moves(IN_PROGRESS, IN_PROGRESS),
            ],
        );
        w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 6");
    });
    let results = run(&w, &s);
    assert_all_valid(&results);
    // A third copy is one more than alice logged.
    store_again(&s, 6, "e2e-alice-retry");
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 7");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[NO_DUP]));
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &[
            "is stored 3 times",
            "but alice logged it 2 time(s) (rowids [3, 4])",
        ],
    );
}

#[test]
fn an_event_its_author_never_logged_is_reported() {
    let (w, s) = ledger_world();
    s.exec(
        PROJECT,
        r#"INSERT INTO events (device_id, session_id, client_action_id, action_type, entity_type,
           entity_id, payload, client_timestamp) VALUES ('dev-alice', 'e2e-alice', 9, 'create',
           'issues', 'td-ghost1', '{"schema_version":1,"new_data":{},"previous_data":{}}',
           '2026-01-01T00:00:00Z')"#,
    );
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 5");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[NO_DUP]));
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &[
            "UNLOGGED: issues/td-ghost1 create at \"2026-01-01T00:00:00Z\" from alice (device \
           \"dev-alice\") is stored at seqs [5 (session \"e2e-alice\", client action 9)], but \
           alice's action_log has no such action",
        ],
    );
}

#[test]
fn a_device_no_actor_holds_is_a_duplicate_only_when_it_repeats_a_client_action() {
    let (w, s) = ledger_world();
    let insert = |session: &str, action: i64| {
        s.exec(
            PROJECT,
            &format!(
                r#"INSERT INTO events (device_id, session_id, client_action_id, action_type,
                   entity_type, entity_id, payload, client_timestamp) VALUES ('dev-mallory',
                   '{session}', {action}, 'update', 'issues', 'td-aaa111', '{{}}',
                   '2026-01-01T00:00:00Z')"#
            ),
        )
    };
    insert("s1", 1);
    insert("s1", 2);
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 6");
    assert_all_valid(&run(&w, &s));
    insert("s2", 2);
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 7");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[NO_DUP]));
    assert_invalid(
        result(&results, &names(&[NO_DUP])[0]),
        &["from device \"dev-mallory\" (no actor) is stored 3 times under 2 client action id(s)"],
    );
}

// ---- ledger_dense ----

#[test]
fn a_vanished_head_event_fails_dense_acked_and_heads() {
    let (w, s) = ledger_world();
    s.exec(PROJECT, "DELETE FROM events WHERE server_seq = 4");
    let results = run(&w, &s);
    assert_eq!(
        failing_names(&results),
        names(&[ACKED_BOB, DENSE, HEADS_ALICE, HEADS_BOB])
    );
    assert_invalid(
        result(&results, &names(&[DENSE])[0]),
        &["GAP: seq 4 handed out (sqlite_sequence = 4) and gone"],
    );
    assert_invalid(
        result(&results, HEADS_ALICE),
        &[&format!(
            "AHEAD: alice's pull cursor is 4, past the server head 3 of {PROJECT}"
        )],
    );
}

#[test]
fn a_seq_skipped_by_the_store_fails_dense() {
    let (w, s) = ledger_world();
    s.exec(
        PROJECT,
        r#"INSERT INTO events (server_seq, device_id, session_id, client_action_id, action_type,
           entity_type, entity_id, payload, client_timestamp) SELECT 7, device_id, session_id,
           client_action_id + 100, action_type, entity_type, entity_id, payload,
           client_timestamp FROM events WHERE server_seq = 2"#,
    );
    w.exec_all("UPDATE sync_state SET last_pulled_server_seq = 7");
    let results = run(&w, &s);
    let failing = failing_names(&results);
    assert!(failing.contains(&names(&[DENSE])[0]), "{results:#?}");
    assert_invalid(
        result(&results, &names(&[DENSE])[0]),
        &["GAP: seqs 5..6 missing (next stored seq is 7)"],
    );
}

#[test]
fn a_project_without_its_event_store_fails_dense_and_no_duplicate() {
    let (w, s) = ledger_world();
    rusqlite::Connection::open(s.dir.join("server.db"))
        .unwrap()
        .execute_batch(
            "INSERT INTO projects (id, name, created_at, updated_at) \
             VALUES ('p_00000000000000b2', 'x', 'now', 'now')",
        )
        .unwrap();
    let results = run(&w, &s);
    assert_eq!(
        failing_names(&results),
        vec![
            "ledger no duplicate [p_00000000000000b2]".to_string(),
            "ledger dense [p_00000000000000b2]".to_string()
        ]
    );
    assert_invalid(
        result(&results, "ledger dense [p_00000000000000b2]"),
        &[
            "project p_00000000000000b2 is in server.db but its event store",
            "does not exist",
        ],
    );
}

// ---- heads ----

#[test]
fn a_pending_row_fails_heads_but_one_td_never_pushes_does_not() {
    let (w, s) = ledger_world();
    // Unpushable: outside the client allowlist, and undone rows are never pushed.
    w.log("alice", ev("create", "sessions", "ses_x", 0).unsynced());
    w.log("alice", ev("update", "issue", "td-aaa111", 0).unsynced());
    w.exec("alice", "UPDATE action_log SET undone = 1 WHERE rowid = 4");
    assert_all_valid(&run(&w, &s));
    w.log(
        "bob",
        ev("close", "issue", "td-bbb222", 0)
            .unsynced()
            .moves(OPEN, OPEN),
    );
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[HEADS_BOB]));
    assert_invalid(
        result(&results, HEADS_BOB),
        &["PENDING: bob rowid 3 (al-bob-2) issue/td-bbb222 close was never pushed"],
    );
}

#[test]
fn a_cursor_behind_the_server_head_fails_heads() {
    let (w, s) = ledger_world();
    w.exec("bob", "UPDATE sync_state SET last_pulled_server_seq = 2");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[HEADS_BOB]));
    assert_invalid(
        result(&results, HEADS_BOB),
        &[&format!(
            "BEHIND: bob's pull cursor is 2, the server head of {PROJECT} is 4 (seqs 3..4 never \
             pulled)"
        )],
    );
}

#[test]
fn an_unlinked_actor_fails_heads_and_acked() {
    let (w, s) = ledger_world();
    w.exec("bob", "DELETE FROM sync_state");
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[ACKED_BOB, HEADS_BOB]));
    assert_invalid(
        result(&results, ACKED_BOB),
        &["bob has no sync_state row (never linked), yet 2 rows are marked synced"],
    );
    assert_invalid(
        result(&results, HEADS_BOB),
        &["bob has no sync_state row (never linked)"],
    );
}

#[test]
fn an_actor_linked_to_a_project_the_server_lacks_has_lost_its_acks() {
    let (w, s) = ledger_world();
    w.exec(
        "bob",
        "UPDATE sync_state SET project_id = 'p_00000000000000c3'",
    );
    let results = run(&w, &s);
    assert_eq!(failing_names(&results), names(&[ACKED_BOB, HEADS_BOB]));
    assert_invalid(
        result(&results, ACKED_BOB),
        &["LOST: 2 rows of bob are marked synced to project p_00000000000000c3, whose event store"],
    );
    assert_invalid(
        result(&results, HEADS_BOB),
        &["bob is linked to p_00000000000000c3, whose event store"],
    );
    // An id that would walk out of the data directory is refused, not opened.
    w.exec("bob", "UPDATE sync_state SET project_id = '../../etc'");
    let results = run(&w, &s);
    let r = result(&results, "ledger acked");
    assert_eq!(r.verdict, Verdict::Unknown, "{r:#?}");
    assert!(r.details.contains("cannot name an event store"), "{r:#?}");
}

// ---- a real world ----

fn check(h: &Harness, kinds: &[CheckKind]) -> Vec<CheckResult> {
    let ctx = VerifyContext {
        driver: h,
        owners: &[],
        idempotency_rounds: 1,
        server: Some(td_e2e::run::server_side(h)),
        intents: &[],
    };
    let mut v = Verifier::new();
    for k in kinds {
        v.run(*k, &ctx);
    }
    v.into_results()
}

const SERVER_KINDS: [CheckKind; 4] = [
    CheckKind::LedgerAcked,
    CheckKind::LedgerNoDuplicate,
    CheckKind::LedgerDense,
    CheckKind::Heads,
];

fn td(h: &Harness, actor: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = h.td(actor, &args).expect("td runs");
    assert!(out.ok(), "td {args:?}: {}", out.output);
    out.output
}

/// The seq the server stored the first event of `entity_type` at.
fn seq_of(server: &rusqlite::Connection, entity_type: &str) -> i64 {
    server
        .query_row(
            "SELECT MIN(server_seq) FROM events WHERE entity_type = ?1",
            [entity_type],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_real_world_passes_then_fails_on_each_tampered_store() {
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let h = Harness::setup(&cfg, &WorldOptions::actors(2)).expect("world");
    let out = td(&h, "alice", &["create", "ledger issue by alice"]);
    let id = extract_created_id(&out).expect("an issue id");
    h.sync_all().expect("sync_all");
    td(&h, "bob", &["comments", "add", &id, "bob was here"]);
    td(&h, "alice", &["update", &id, "--priority", "P1"]);
    h.sync_all().expect("sync_all");

    let results = check(&h, &SERVER_KINDS);
    assert_all_valid(&results);
    let pid = h.project_id();
    assert!(
        result(&results, "heads [bob]")
            .details
            .contains(&format!("pull cursor at the server head 3 of {pid}")),
        "{results:#?}"
    );
    assert_eq!(
        result(&results, &format!("ledger dense [{pid}]")).details,
        "3 events, seqs exactly 1..3"
    );

    // The server rewrites alice's update: her ack no longer matches what it holds.
    let events = h
        .world_dir()
        .join("server-data/projects")
        .join(&pid)
        .join("events.db");
    let server = rusqlite::Connection::open(&events).unwrap();
    let comment_seq = seq_of(&server, "comments");
    let update_seq = 5 - comment_seq; // seqs 2 and 3, in whichever order sync_all pushed
    server
        .execute(
            "UPDATE events SET payload = json_set(payload, '$.new_data.priority', 'P3') \
             WHERE server_seq = ?1",
            [update_seq],
        )
        .unwrap();
    let results = check(&h, &[CheckKind::LedgerAcked]);
    assert_eq!(failing_names(&results), vec!["ledger acked [alice]"]);
    assert_invalid(
        &results[0],
        &[
            &format!("acknowledged at seq {update_seq} differs"),
            &format!("{id} update"),
            r#"new_data.priority: client "P1" vs server "P3""#,
        ],
    );

    // The server loses bob's comment: bob's ack is lost and the store has a gap (or, if
    // the comment was the head, a seq handed out and gone).
    server
        .execute("DELETE FROM events WHERE server_seq = ?1", [comment_seq])
        .unwrap();
    let results = check(&h, &[CheckKind::LedgerAcked, CheckKind::LedgerDense]);
    assert_eq!(
        failing_names(&results),
        vec![
            "ledger acked [alice]".to_string(),
            "ledger acked [bob]".to_string(),
            format!("ledger dense [{pid}]")
        ]
    );
    assert_invalid(
        result(&results, "ledger acked [bob]"),
        &[
            "LOST: bob rowid",
            "comments/",
            &format!("was acknowledged at seq {comment_seq}, but project {pid} holds no event"),
        ],
    );
    assert_invalid(
        result(&results, &format!("ledger dense [{pid}]")),
        &[&format!("GAP: seq {comment_seq} ")],
    );

    // bob forgets he pushed: a pending row he still has to push.
    let bob = rusqlite::Connection::open(h.db_path("bob")).unwrap();
    bob.execute_batch(
        "UPDATE action_log SET synced_at = NULL, server_seq = NULL \
         WHERE rowid = (SELECT MAX(rowid) FROM action_log)",
    )
    .unwrap();
    let results = check(&h, &[CheckKind::Heads]);
    // (alice's head may fail too: if the comment was the head, her cursor is now past it.)
    assert_invalid(
        result(&results, "heads [bob]"),
        &["PENDING: bob rowid", "comments/", "was never pushed"],
    );
}

#[test]
fn without_an_auth_file_the_ledger_is_unknown_never_a_pass() {
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let h = Harness::setup(&cfg, &WorldOptions::actors(2)).expect("world");
    std::fs::remove_file(h.home_dir("bob").join(".config/td/auth.json")).unwrap();
    let results = check(&h, &[CheckKind::LedgerAcked, CheckKind::LedgerNoDuplicate]);
    assert_eq!(results.len(), 2, "{results:#?}");
    for r in &results {
        assert_eq!(r.verdict, Verdict::Unknown, "{r:#?}");
        assert!(r.details.contains("auth.json"), "{r:#?}");
    }
    // Dense and heads need no device ids.
    let results = check(&h, &[CheckKind::LedgerDense, CheckKind::Heads]);
    assert_all_valid(&results);
}
