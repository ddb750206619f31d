//! Refusals through td: a reader cannot push, an outsider can neither push nor pull, a bad
//! key is refused — each with one clear error line, exit 1, nothing stored on the server
//! and nothing marked synced locally.

use crate::client::{error_line, Client};
use crate::world::world;

#[test]
fn readers_and_outsiders_are_refused() {
    let h = world(2);
    let alice = Client::actor(&h, "alice");
    let project = h.project_id();
    h.add_device("carol", Some("reader")).expect("carol joins");
    let carol = Client::device(&h, "carol");
    carol.ok(&["sync-project", "link", &project]);
    // Logged in, linked to the project id, but never invited.
    h.add_device("mallory", None).expect("mallory logs in");
    let mallory = Client::device(&h, "mallory");
    mallory.ok(&["auth", "status"]);
    mallory.ok(&["sync-project", "link", &project]);

    alice.create("Visible to members only", &[]);
    alice.sync();
    let stored = h.server_event_count().expect("read events.db");
    assert_eq!(stored, 1);

    // A reader pulls but cannot push.
    let out = carol.ok(&["sync", "--pull"]);
    assert!(out.output.contains("Pulled 1 events"), "{out:#?}");
    carol.create("A reader's local issue", &[]);
    let before = carol.pending();
    let line = error_line("carol", &carol.td(&["sync"]));
    assert!(
        line.starts_with("ERROR: push: HTTP 403: ")
            && line.contains("insufficient permissions: have reader, need writer"),
        "{line}"
    );
    assert_eq!(
        carol.pending(),
        before,
        "carol: rows marked after a refused push"
    );

    // An outsider linked to the project id gets nothing either way.
    mallory.create("An outsider's local issue", &[]);
    let line = error_line("mallory", &mallory.td(&["sync"]));
    assert!(
        line.starts_with("ERROR: push: HTTP 403: ")
            && line.contains(&format!("not a member of project {project}")),
        "{line}"
    );
    let line = error_line("mallory", &mallory.td(&["sync", "--pull"]));
    assert!(line.starts_with("ERROR: pull: HTTP 403: "), "{line}");
    assert_eq!(
        mallory.int("SELECT COUNT(*) FROM issues"),
        1,
        "mallory pulled"
    );

    assert_eq!(
        h.server_event_count().expect("read events.db"),
        stored,
        "a refused push stored events"
    );
}

#[test]
fn an_unknown_key_is_refused() {
    let h = world(2);
    let alice = Client::actor(&h, "alice");
    let forged = format!("td_live_{}", "x".repeat(32));
    h.set_auth_field("alice", "api_key", &forged)
        .expect("forge alice's key");
    alice.create("Never leaves the machine", &[]);
    let line = error_line("alice", &alice.td(&["sync"]));
    assert!(
        line.contains("401") && line.contains("invalid or expired api key"),
        "{line}"
    );
    assert_eq!(alice.pending(), 1);
}
