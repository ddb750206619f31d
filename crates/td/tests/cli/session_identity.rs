//! Session identity (§4): one session per actor, touched by every command — including
//! writes (whose touch rides in their own transaction) and refused commands.

use crate::common::Project;

fn last_activity(p: &Project, id: &str) -> String {
    p.row("SELECT last_activity FROM sessions WHERE id = ?1", &[id])
        .expect("session row")
        .str("last_activity")
}

#[test]
fn every_command_moves_last_activity_forward() {
    let p = Project::new();
    let me = p.session_of("alice");
    let id = p.create("Issue for session touches", &[]);
    let commands: [&[&str]; 6] = [
        &["noop"],
        &["list"],
        &["show", &id],
        &["update", &id, "--priority", "P1"],
        &["start", "td-000000"],
        &["comment", &id, "touch"],
    ];
    for args in commands {
        let before = last_activity(&p, &me);
        p.td(args);
        let after = last_activity(&p, &me);
        assert!(after > before, "{args:?} did not touch: {before} → {after}");
    }
    assert_eq!(p.count("SELECT COUNT(*) FROM sessions", &[]), 1);
}

#[test]
fn actors_get_distinct_stable_sessions() {
    let p = Project::new();
    let alice = p.session_of("alice");
    let bob = p.session_of("bob");
    assert_ne!(alice, bob);
    let id = p.create_as("bob", "Issue created by bob", &[]);
    assert_eq!(p.issue(&id).str("creator_session"), bob);
    assert_eq!(p.session_of("alice"), alice);
    assert_eq!(p.session_of("bob"), bob);
    let row = p
        .row("SELECT * FROM sessions WHERE id = ?1", &[&bob])
        .unwrap();
    assert_eq!(row.str("agent_type"), "explicit_bob");
    assert_eq!(row.int("agent_pid"), 0);
    assert_eq!(row.str("branch"), "default");
    assert_eq!(row.str("context_id"), "explicit:bob");
    // Odd characters are folded into the agent type, truncated to 32 chars.
    let odd = "c@rol with spaces and a very long suffix";
    p.td_as(odd, &["noop"]).ok();
    let agent = p
        .row(
            "SELECT agent_type FROM sessions ORDER BY rowid DESC LIMIT 1",
            &[],
        )
        .unwrap()
        .str("agent_type");
    assert_eq!(agent, "explicit_c_rol_with_spaces_and_a");
    assert_eq!(agent.len(), 32);
}
