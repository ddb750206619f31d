//! End-to-end faults: the server SIGKILLed while idle and in the middle of a big push,
//! then restarted on the same data dir and port.

mod support;

use std::time::{Duration, Instant};

use support::actor::Actor;
use support::process::Out;
use support::{db, seed, Role, Team};

/// What a failed sync must leave untouched.
fn local_state(a: &Actor) -> std::collections::BTreeMap<String, String> {
    db::hash_tables(
        &a.db(),
        &["action_log", "issues", "sync_state", "sync_history"],
    )
}

/// The single `ERROR:` line of a failed run.
#[track_caller]
fn error_line(out: &Out) -> String {
    assert_eq!(out.code, Some(1), "td sync should fail: {out:#?}");
    let all = out.all();
    let lines: Vec<&str> = all.lines().filter(|l| l.starts_with("ERROR: ")).collect();
    assert_eq!(lines.len(), 1, "want one ERROR line: {out:#?}");
    lines[0].to_string()
}

/// Per actor: rows with a server_seq, their seqs strictly increasing in rowid order.
#[track_caller]
fn pushed_seqs(a: &Actor) -> Vec<i64> {
    let conn = a.db();
    let mut stmt = conn
        .prepare("SELECT server_seq FROM action_log WHERE server_seq IS NOT NULL ORDER BY rowid")
        .unwrap();
    let seqs: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .unwrap();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{}: seqs not increasing: {seqs:?}",
        a.name
    );
    seqs
}

#[test]
fn server_down_then_restarted_on_the_same_data() {
    let mut team = Team::new(&["alice", "bob"]);
    let mut alices = Vec::new();
    for i in 0..3 {
        alices.push(team.actors[0].create(&format!("Before the crash {i}"), &[]));
        team.actors[1].create(&format!("Bob before the crash {i}"), &[]);
    }
    team.sync_all();
    let last_seq = team.server_int("SELECT MAX(server_seq) FROM events");
    assert_eq!(last_seq, 6);

    team.server.kill9();
    let (alice, bob) = (&team.actors[0], &team.actors[1]);
    let offline = alice.create("Created while the server is down", &[]);
    bob.ok(&["update", &alices[0], "--title", "Retitled by bob offline"]);
    let before = local_state(alice);
    let line = error_line(&alice.td(&["sync"]));
    assert!(line.starts_with("ERROR: push: http request: "), "{line}");
    let line = error_line(&alice.td(&["sync", "--pull"]));
    assert!(line.starts_with("ERROR: pull: http request: "), "{line}");
    let changed = db::changed_tables(&before, &local_state(alice));
    assert!(changed.is_empty(), "failed syncs changed {changed:?}");

    // While it is down: a new user, as the harness creates users (server stopped).
    team.server.create_user("dave@test.local");
    team.server.start();
    // Old keys, memberships and events survived; new seqs continue after the old ones.
    team.sync_all();
    let alice_seqs = pushed_seqs(&team.actors[0]);
    assert_eq!(alice_seqs.last(), Some(&(last_seq + 1)));
    team.join("dave", Role::Writer);
    team.actors[2].sync();
    assert_eq!(team.actors[2].int("SELECT COUNT(*) FROM issues"), 7);
    team.sync_all();
    team.assert_converged();
    let dave = &team.actors[2];
    assert_eq!(
        dave.text("issues", &alices[0], "title"),
        "Retitled by bob offline"
    );
    assert_eq!(
        dave.text("issues", &offline, "title"),
        "Created while the server is down"
    );
    pushed_seqs(&team.actors[1]);
}

/// Issues seeded on alice for the big push: several 500-event batches, so the kill lands
/// while later batches are still to come.
const BIG_PUSH: usize = 4000;

#[test]
fn kill9_during_a_big_push_then_retry_stores_each_event_once() {
    let mut team = Team::new(&["alice", "bob"]);
    let session: String = team.actors[0]
        .db()
        .query_row("SELECT id FROM sessions LIMIT 1", [], |r| r.get(0))
        .expect("alice's td session");
    seed::issues(&mut team.actors[0].db_rw(), &session, "Seeded", BIG_PUSH);

    let sync = team.actors[0].spawn(&["sync"]);
    wait_for_first_batch(&team);
    team.server.kill9();
    let out = sync.finish(Duration::from_secs(60));
    let stored = team.server_event_count();
    assert!(
        stored > 0 && (stored as usize) < BIG_PUSH,
        "the kill did not land mid-push ({stored} of {BIG_PUSH} stored): {out:#?}"
    );
    assert!(
        error_line(&out).starts_with("ERROR: push: http request: "),
        "{out:#?}"
    );
    let alice = &team.actors[0];
    assert_eq!(
        alice.int("SELECT COUNT(*) FROM action_log WHERE synced_at IS NOT NULL"),
        0,
        "a failed push marked rows"
    );

    team.server.start();
    let out = team.actors[0].sync();
    let pushed = format!("Pushed {} events.", BIG_PUSH - stored as usize);
    assert!(out.stdout.starts_with(&pushed), "want {pushed:?}: {out:#?}");
    assert_eq!(team.server_event_count(), BIG_PUSH as i64);
    assert_eq!(
        team.server_int(
            "SELECT COUNT(*) FROM (SELECT DISTINCT device_id, session_id, client_action_id FROM events)"
        ),
        BIG_PUSH as i64
    );
    let seqs = pushed_seqs(&team.actors[0]);
    assert_eq!(seqs, (1..=BIG_PUSH as i64).collect::<Vec<_>>());

    team.sync_all();
    team.assert_converged();
}

/// Returns once the server has committed part of the push.
fn wait_for_first_batch(team: &Team) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while team.server_event_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "the push never reached the server"
        );
        // Nothing to block on inside another process's transaction; poll briefly.
        std::thread::sleep(Duration::from_millis(2));
    }
}
