//! The server SIGKILLed while idle and in the middle of a big push, then restarted on the
//! same data dir and port by the harness's server control.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use td_e2e::driver::Driver;
use td_e2e::harness::Harness;

use crate::client::{error_line, Client};
use crate::db;
use crate::world::{assert_converged, sync_everyone, world};

/// What a failed sync must leave untouched.
fn local_state(a: &Client) -> BTreeMap<String, String> {
    db::hash_tables(
        &a.db(),
        &["action_log", "issues", "sync_state", "sync_history"],
    )
}

/// Rows with a server_seq, their seqs strictly increasing in rowid order.
#[track_caller]
fn pushed_seqs(a: &Client) -> Vec<i64> {
    let conn = a.db();
    let mut stmt = conn
        .prepare("SELECT server_seq FROM action_log WHERE server_seq IS NOT NULL ORDER BY rowid")
        .expect("prepare server_seq query");
    let seqs: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .expect("read server_seqs");
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "{}: seqs not increasing: {seqs:?}",
        a.name()
    );
    seqs
}

fn server_int(h: &Harness, sql: &str) -> i64 {
    h.server_int(sql).expect("read events.db")
}

#[test]
fn server_down_then_restarted_on_the_same_data() {
    let h = world(2);
    let (alice, bob) = (Client::actor(&h, "alice"), Client::actor(&h, "bob"));
    let mut alices = Vec::new();
    for i in 0..3 {
        alices.push(alice.create(&format!("Before the crash {i}"), &[]));
        bob.create(&format!("Bob before the crash {i}"), &[]);
    }
    h.sync_all().expect("sync_all");
    let last_seq = server_int(&h, "SELECT MAX(server_seq) FROM events");
    assert_eq!(last_seq, 6);

    h.stop_server().expect("kill -9 the server");
    let offline = alice.create("Created while the server is down", &[]);
    bob.ok(&["update", &alices[0], "--title", "Retitled by bob offline"]);
    let before = local_state(&alice);
    let line = error_line("alice", &alice.td(&["sync"]));
    assert!(line.starts_with("ERROR: push: http request: "), "{line}");
    let line = error_line("alice", &alice.td(&["sync", "--pull"]));
    assert!(line.starts_with("ERROR: pull: http request: "), "{line}");
    let changed = db::changed_tables(&before, &local_state(&alice));
    assert!(changed.is_empty(), "failed syncs changed {changed:?}");

    // While it is down: a new user, as the harness creates users (server stopped).
    let out = h
        .server_admin(&["create-user", "--email", "dave@test.local"])
        .expect("td-sync admin");
    assert!(
        out.ok() && out.output.contains("dave@test.local"),
        "{out:#?}"
    );
    h.start_server().expect("restart the server");
    // Old keys, memberships and events survived; new seqs continue after the old ones.
    h.sync_all().expect("sync_all after the restart");
    assert_eq!(pushed_seqs(&alice).last(), Some(&(last_seq + 1)));
    h.add_device("dave", Some("writer")).expect("dave joins");
    let dave = Client::device(&h, "dave");
    dave.ok(&["sync-project", "link", &h.project_id()]);
    dave.sync();
    assert_eq!(dave.int("SELECT COUNT(*) FROM issues"), 7);
    sync_everyone(&[&alice, &bob, &dave]);
    assert_converged(&[&alice, &bob, &dave]);
    assert_eq!(
        dave.text("issues", &alices[0], "title"),
        "Retitled by bob offline"
    );
    assert_eq!(
        dave.text("issues", &offline, "title"),
        "Created while the server is down"
    );
    pushed_seqs(&bob);
}

/// Issues seeded on alice for the big push: several 500-event batches, so the kill lands
/// while later batches are still to come.
const BIG_PUSH: usize = 4000;

#[test]
fn kill9_during_a_big_push_then_retry_stores_each_event_once() {
    let h = world(2);
    let (alice, bob) = (Client::actor(&h, "alice"), Client::actor(&h, "bob"));
    h.seed_pending_issues("alice", "Seeded", BIG_PUSH)
        .expect("seed alice");

    let out = std::thread::scope(|s| {
        let sync = s.spawn(|| alice.td(&["sync"]));
        wait_for_first_batch(&h);
        h.stop_server().expect("kill -9 the server");
        sync.join().expect("td sync thread")
    });
    let stored = h.server_event_count().expect("read events.db");
    assert!(
        stored > 0 && (stored as usize) < BIG_PUSH,
        "the kill did not land mid-push ({stored} of {BIG_PUSH} stored): {out:#?}"
    );
    assert!(
        error_line("alice", &out).starts_with("ERROR: push: http request: "),
        "{out:#?}"
    );
    assert_eq!(
        alice.int("SELECT COUNT(*) FROM action_log WHERE synced_at IS NOT NULL"),
        0,
        "a failed push marked rows"
    );

    h.start_server().expect("restart the server");
    let out = alice.sync();
    let pushed = format!("Pushed {} events.", BIG_PUSH - stored as usize);
    assert!(out.output.starts_with(&pushed), "want {pushed:?}: {out:#?}");
    assert_eq!(
        server_int(&h, "SELECT COUNT(*) FROM events"),
        BIG_PUSH as i64
    );
    assert_eq!(
        server_int(
            &h,
            "SELECT COUNT(*) FROM (SELECT DISTINCT device_id, session_id, client_action_id FROM events)"
        ),
        BIG_PUSH as i64
    );
    let seqs = pushed_seqs(&alice);
    assert_eq!(seqs, (1..=BIG_PUSH as i64).collect::<Vec<_>>());

    h.sync_all().expect("sync_all");
    assert_converged(&[&alice, &bob]);
}

/// Returns once the server has committed part of the push.
fn wait_for_first_batch(h: &Harness) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.server_event_count().expect("read events.db") == 0 {
        assert!(
            Instant::now() < deadline,
            "the push never reached the server"
        );
        // Nothing to block on inside another process's transaction; poll briefly.
        std::thread::sleep(Duration::from_millis(2));
    }
}
