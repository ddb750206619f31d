//! Session guarantees during a run: each fails on a crafted break (a cursor that goes back,
//! an issue that vanishes or comes back with nothing in the log to explain it) and passes
//! when the log explains the change.

use crate::support::server::Server;
use crate::support::World;
use td_e2e::verify::session::SessionMonitor;

const P: &str = "p_test";

fn setup() -> (World, Server) {
    let w = World::new(&["alice"]);
    let s = Server::new(w.dir.path(), &[P]);
    w.exec(
        "alice",
        "INSERT INTO sync_state (project_id, last_pulled_server_seq) VALUES ('p_test', 2);
         INSERT INTO issues (id, title) VALUES ('td-a', 'a'), ('td-b', 'b');",
    );
    (w, s)
}

fn event(seq: i64, action: &str, id: &str) -> String {
    format!(
        "INSERT INTO events (server_seq, device_id, session_id, client_action_id, action_type, \
         entity_type, entity_id, payload, client_timestamp) VALUES ({seq}, 'dev', 's', {seq}, \
         '{action}', 'issues', '{id}', '{{}}', '2026-01-01T00:00:00Z');"
    )
}

fn monitor(w: &World, s: &Server) -> SessionMonitor {
    let mut m = SessionMonitor::new(s.data(), P);
    m.after_sync("alice", &w.path("alice"));
    m
}

#[test]
fn explained_changes_pass() {
    let (w, s) = setup();
    let mut m = monitor(&w, &s);
    s.exec(
        P,
        &(event(3, "soft_delete", "td-a") + &event(4, "delete", "td-b")),
    );
    w.exec(
        "alice",
        "UPDATE sync_state SET last_pulled_server_seq = 4;
         UPDATE issues SET deleted_at = '2026-01-02' WHERE id = 'td-a';
         DELETE FROM issues WHERE id = 'td-b';",
    );
    m.after_sync("alice", &w.path("alice"));
    s.exec(P, &event(5, "restore", "td-a"));
    w.exec(
        "alice",
        "UPDATE sync_state SET last_pulled_server_seq = 5;
         UPDATE issues SET deleted_at = NULL WHERE id = 'td-a';",
    );
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(r.passed(), "{}", r.details);
    assert!(r.details.contains("3 successful syncs"), "{}", r.details);
}

#[test]
fn a_cursor_that_goes_back_fails() {
    let (w, s) = setup();
    let mut m = monitor(&w, &s);
    w.exec("alice", "UPDATE sync_state SET last_pulled_server_seq = 1;");
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(!r.passed());
    assert!(
        r.details
            .contains("alice: pull cursor went back from 2 to 1"),
        "{}",
        r.details
    );
}

#[test]
fn an_issue_that_vanishes_without_a_delete_fails() {
    let (w, s) = setup();
    let mut m = monitor(&w, &s);
    s.exec(P, &event(3, "update", "td-b"));
    w.exec(
        "alice",
        "UPDATE sync_state SET last_pulled_server_seq = 3;
         DELETE FROM issues WHERE id = 'td-b';
         UPDATE issues SET deleted_at = '2026-01-02' WHERE id = 'td-a';",
    );
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(!r.passed());
    assert!(
        r.details
            .contains("issue td-b vanished between seqs 2 and 3"),
        "{}",
        r.details
    );
    assert!(
        r.details.contains("issue td-a turned deleted"),
        "{}",
        r.details
    );
}

#[test]
fn a_resurrected_issue_without_a_restore_fails() {
    let (w, s) = setup();
    w.exec(
        "alice",
        "UPDATE issues SET deleted_at = '2026-01-02' WHERE id = 'td-a';",
    );
    let mut m = monitor(&w, &s);
    s.exec(P, &event(3, "update", "td-a"));
    w.exec(
        "alice",
        "UPDATE sync_state SET last_pulled_server_seq = 3;
         UPDATE issues SET deleted_at = NULL WHERE id = 'td-a';",
    );
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(!r.passed());
    assert!(
        r.details.contains("deleted issue td-a came back"),
        "{}",
        r.details
    );
}

const OWN_WRITE: &str = "INSERT INTO action_log (id, session_id, action_type, entity_type, \
    entity_id, previous_data, new_data, timestamp, synced_at, server_seq) VALUES ('al-1', \
    'ses', 'update', 'issue', 'td-a', '{\"id\":\"td-a\",\"title\":\"a\"}', \
    '{\"id\":\"td-a\",\"title\":\"mine\"}', '2026-01-01T00:00:00Z', '2026-01-01', 3);";

#[test]
fn an_acknowledged_write_the_replica_does_not_show_fails() {
    let (w, s) = setup();
    let mut m = monitor(&w, &s);
    s.exec(P, &event(3, "update", "td-a"));
    // The server acknowledged alice's title at seq 3, but her replica still shows "a".
    w.exec(
        "alice",
        &format!("{OWN_WRITE} UPDATE sync_state SET last_pulled_server_seq = 3;"),
    );
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(!r.passed());
    assert!(
        r.details.contains(
            r#"acknowledged at seq 3 set td-a.title = "mine", but its replica holds Some("a")"#
        ),
        "{}",
        r.details
    );
}

#[test]
fn a_later_event_excuses_an_overwritten_write() {
    let (w, s) = setup();
    let mut m = monitor(&w, &s);
    s.exec(
        P,
        &(event(3, "update", "td-a") + &event(4, "update", "td-a")),
    );
    w.exec(
        "alice",
        &format!("{OWN_WRITE} UPDATE sync_state SET last_pulled_server_seq = 4;"),
    );
    m.after_sync("alice", &w.path("alice"));
    let r = m.result();
    assert!(r.passed(), "{}", r.details);
}
