//! Several td processes on one project: concurrent writers, and writers killed mid-flight.
//! Every issue row must keep exactly one `create` event and the file must stay intact.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::Project;
use rand::Rng;

/// Issues vs. their `create`/`issue` events: (issue ids without exactly one event, events
/// without an issue row).
fn unmatched(p: &Project) -> (Vec<String>, Vec<String>) {
    let mut events: BTreeMap<String, usize> = BTreeMap::new();
    for a in p.actions() {
        if a.kind() == ("create", "issue") {
            assert_eq!(a.new["id"], serde_json::json!(a.entity_id), "payload id");
            *events.entry(a.entity_id).or_default() += 1;
        }
    }
    let issues: Vec<String> = p
        .rows("SELECT id FROM issues", &[])
        .iter()
        .map(|r| r.str("id"))
        .collect();
    let bad_issues = issues
        .iter()
        .filter(|id| events.get(*id) != Some(&1))
        .cloned()
        .collect();
    let orphans = events
        .keys()
        .filter(|id| !issues.contains(id))
        .cloned()
        .collect();
    (bad_issues, orphans)
}

#[test]
fn two_concurrent_create_loops_lose_nothing() {
    const PER_LOOP: usize = 200;
    let p = Project::new();
    std::thread::scope(|s| {
        let loops: Vec<_> = ["alice", "bob"]
            .into_iter()
            .map(|actor| {
                let p = &p;
                s.spawn(move || {
                    let mut ids = Vec::with_capacity(PER_LOOP);
                    for i in 0..PER_LOOP {
                        let title = format!("{actor} concurrent issue number {i}");
                        let out = p.td_as(actor, &["create", &title, "-p", "P1"]);
                        assert_eq!(out.code, 0, "{actor} create {i}: {out:?}");
                        ids.push(out.issue_id());
                    }
                    ids
                })
            })
            .collect();
        let ids: Vec<String> = loops
            .into_iter()
            .flat_map(|h| h.join().expect("create loop"))
            .collect();
        assert_eq!(ids.len(), 2 * PER_LOOP);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "every printed id is distinct");
    });
    assert_eq!(p.integrity(), "ok");
    assert_eq!(p.count("SELECT COUNT(*) FROM issues", &[]), 400);
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM action_log WHERE action_type = 'create' AND entity_type = 'issue'",
            &[]
        ),
        400
    );
    assert_eq!(unmatched(&p), (vec![], vec![]));
    // Each actor kept one session for the whole run.
    assert_eq!(
        p.count("SELECT COUNT(DISTINCT creator_session) FROM issues", &[]),
        2
    );
    assert_eq!(p.count("SELECT COUNT(*) FROM sessions", &[]), 2);
}

#[test]
fn concurrent_readers_and_writers_on_one_issue() {
    let p = Project::new();
    let id = p.create("Issue shared by busy sessions", &[]);
    std::thread::scope(|s| {
        for actor in ["alice", "bob"] {
            let (p, id) = (&p, &id);
            s.spawn(move || {
                for i in 0..60 {
                    let msg = format!("{actor} note {i}");
                    p.td_as(actor, &["comment", id, &msg]).ok();
                    p.td_as(actor, &["update", id, "--sprint", &msg]).ok();
                    p.td_as(actor, &["show", id]).ok();
                    p.td_as(actor, &["list", "--all"]).ok();
                }
            });
        }
    });
    assert_eq!(p.integrity(), "ok");
    assert_eq!(p.count("SELECT COUNT(*) FROM comments", &[]), 120);
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM action_log WHERE action_type = 'update'",
            &[]
        ),
        120
    );
}

#[test]
fn killed_writers_leave_a_consistent_database() {
    let p = Project::new();
    let mut rng = rand::thread_rng();
    let mut finished = 0;
    for i in 0..50 {
        let title = format!("Issue possibly interrupted {i}");
        let child =
            crate::common::spawn_quiet(p.command("alice", &["create", &title, "-d", "body"]));
        // A random moment inside the process's life is the point of this test.
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..=30)));
        crate::common::kill(child.id());
        if crate::common::wait_bounded(child) == Some(0) {
            finished += 1;
        }
    }
    // The next td process opens it (rolling back any hot journal) and can write.
    p.td(&["list", "--all", "-n", "1000"]).ok();
    let after = p.create("Issue created after the kills", &[]);
    assert_eq!(p.integrity(), "ok");
    let (bad, orphans) = unmatched(&p);
    assert!(
        bad.is_empty(),
        "issues without exactly one create event: {bad:?}"
    );
    assert!(
        orphans.is_empty(),
        "create events without an issue: {orphans:?}"
    );
    let issues = p.count("SELECT COUNT(*) FROM issues", &[]);
    assert!(
        issues as usize > finished,
        "{issues} issues, {finished} clean exits"
    );
    assert_eq!(
        p.issue(&after).str("title"),
        "Issue created after the kills"
    );
    // No half-written history either.
    assert_eq!(
        p.count(
            "SELECT COUNT(*) FROM issue_session_history h WHERE NOT EXISTS \
             (SELECT 1 FROM issues i WHERE i.id = h.issue_id)",
            &[]
        ),
        0
    );
    eprintln!("kill test: {issues} issues, {finished} of 50 creates exited cleanly");
}

#[test]
fn a_new_actor_starting_many_processes_at_once_gets_one_session() {
    let p = Project::new();
    for round in 0..5 {
        let actor = format!("newcomer{round}");
        std::thread::scope(|s| {
            for i in 0..6 {
                let (p, actor) = (&p, &actor);
                s.spawn(move || {
                    // Readers take no writer lock, so they race on get-or-create.
                    let verb = if i % 2 == 0 { "list" } else { "noop" };
                    p.td_as(actor, &[verb]).ok();
                });
            }
        });
        let agent = format!("explicit_{actor}");
        assert_eq!(
            p.count(
                "SELECT COUNT(*) FROM sessions WHERE agent_type = ?1",
                &[&agent]
            ),
            1,
            "round {round}: duplicate sessions for one identity"
        );
    }
}
