//! End-to-end refusals through td: a reader cannot push, an outsider can neither push nor
//! pull, a bad key is refused — each with one clear error line, exit 1, nothing stored
//! on the server and nothing marked synced locally.

mod support;

use support::actor::Actor;
use support::process::Out;
use support::{Role, Team};

/// The single `ERROR:` line of a failed `td sync`.
#[track_caller]
fn error_line(who: &Actor, out: &Out) -> String {
    assert_eq!(
        out.code,
        Some(1),
        "{}: td sync should fail: {out:#?}",
        who.name
    );
    let all = out.all();
    let lines: Vec<&str> = all.lines().filter(|l| l.starts_with("ERROR: ")).collect();
    assert_eq!(
        lines.len(),
        1,
        "{}: want one ERROR line: {out:#?}",
        who.name
    );
    lines[0].to_string()
}

fn pending(who: &Actor) -> i64 {
    who.int("SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL AND undone = 0")
}

#[test]
fn readers_and_outsiders_are_refused() {
    let team = Team::with_roles(
        "alice",
        &[("carol", Role::Reader), ("mallory", Role::Outsider)],
    );
    let (alice, carol, mallory) = (team.get("alice"), team.get("carol"), team.get("mallory"));
    alice.create("Visible to members only", &[]);
    alice.sync();
    let stored = team.server_event_count();
    assert_eq!(stored, 1);

    // A reader pulls but cannot push.
    let out = carol.ok(&["sync", "--pull"]);
    assert!(out.stdout.contains("Pulled 1 events"), "{out:#?}");
    carol.create("A reader's local issue", &[]);
    let before = pending(carol);
    let line = error_line(carol, &carol.td(&["sync"]));
    assert!(
        line.starts_with("ERROR: push: HTTP 403: ")
            && line.contains("insufficient permissions: have reader, need writer"),
        "{line}"
    );
    assert_eq!(
        pending(carol),
        before,
        "carol: rows marked after a refused push"
    );

    // An outsider linked to the project id gets nothing either way.
    mallory.create("An outsider's local issue", &[]);
    let line = error_line(mallory, &mallory.td(&["sync"]));
    assert!(
        line.starts_with("ERROR: push: HTTP 403: ")
            && line.contains(&format!("not a member of project {}", team.project)),
        "{line}"
    );
    let line = error_line(mallory, &mallory.td(&["sync", "--pull"]));
    assert!(line.starts_with("ERROR: pull: HTTP 403: "), "{line}");
    assert_eq!(
        mallory.int("SELECT COUNT(*) FROM issues"),
        1,
        "mallory pulled"
    );

    assert_eq!(
        team.server_event_count(),
        stored,
        "a refused push stored events"
    );
}

#[test]
fn an_unknown_key_is_refused() {
    let mut team = Team::new(&["alice"]);
    let url = team.server.url();
    let alice = &mut team.actors[0];
    alice.creds.api_key = format!("td_live_{}", "x".repeat(32));
    alice.write_config(&url);
    alice.create("Never leaves the machine", &[]);
    let line = error_line(alice, &alice.td(&["sync"]));
    assert!(
        line.contains("401") && line.contains("invalid or expired api key"),
        "{line}"
    );
    assert_eq!(pending(alice), 1);
}
