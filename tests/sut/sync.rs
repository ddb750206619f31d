//! Sync between real td clients through the real td-sync, compared row by row: every
//! entity kind, field-level merges, delete/restore/undo, an offline dependency cycle; each
//! ends with a sync round that must change nothing.

use rusqlite::types::Value as SqlValue;
use td_e2e::driver::Driver;
use td_e2e::harness::Harness;

use crate::client::Client;
use crate::db;
use crate::world::{assert_converged, world};

/// alice and bob of a fresh two-actor world.
fn pair(h: &Harness) -> (Client<'_>, Client<'_>) {
    (Client::actor(h, "alice"), Client::actor(h, "bob"))
}

fn sync_all(h: &Harness) {
    h.sync_all().expect("sync_all");
}

/// Every table of every client is unchanged by another sync round, which pushes and pulls
/// nothing.
#[track_caller]
fn assert_resync_is_noop(clients: &[&Client]) {
    for a in clients {
        let before = hash_all(a);
        let out = a.sync();
        assert_eq!(
            out.output,
            "Nothing to push.\nNothing to pull.\n",
            "{}: second sync round was not empty: {out:#?}",
            a.name()
        );
        let changed = db::changed_tables(&before, &hash_all(a));
        assert!(
            changed.is_empty(),
            "{}: a no-op sync changed {changed:?}",
            a.name()
        );
    }
}

/// Every table except `sessions`, whose `last_activity` every td command bumps (client
/// spec §4), sync or not.
fn hash_all(a: &Client) -> std::collections::BTreeMap<String, String> {
    let conn = a.db();
    let tables = db::all_tables(&conn);
    let names: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "sessions")
        .collect();
    db::hash_tables(&conn, &names)
}

fn count(a: &Client, table: &str) -> i64 {
    a.int(&format!("SELECT COUNT(*) FROM {table}"))
}

#[test]
fn every_entity_kind_propagates() {
    let h = world(2);
    let (alice, bob) = pair(&h);

    let epic = alice.create("Epic for propagation checks", &["-t", "epic"]);
    let full = alice.create(
        "Issue carrying every field",
        &[
            "-t",
            "feature",
            "-p",
            "P1",
            "--points",
            "5",
            "-l",
            "alpha,beta",
            "-d",
            "a description",
            "--acceptance",
            "it works",
            "--parent",
            &epic,
            "--minor",
        ],
    );
    alice.ok(&["update", &full, "--sprint", "s7"]);
    alice.ok(&["log", "-i", &full, "progress note"]);
    alice.ok(&["comment", &full, "a comment from alice"]);
    alice.ok(&[
        "handoff",
        &full,
        "--done",
        "d1",
        "--remaining",
        "r1",
        "--decision",
        "x1",
        "--uncertain",
        "u1",
    ]);
    let target = alice.create("Dependency target issue", &[]);
    alice.ok(&["dep", "add", &full, &target]);
    std::fs::create_dir_all(alice.root().join("src")).unwrap();
    std::fs::write(alice.root().join("src/lib.rs"), "fn main() {}\n").unwrap();
    alice.ok(&["link", &full, "src/lib.rs"]);
    alice.ok(&["board", "create", "planning", "-q", "priority = P1"]);
    alice.ok(&["board", "move", "planning", &full, "1"]);
    alice.ok(&["board", "move", "planning", &target, "2"]);
    alice.ok(&["ws", "start", "sprint work"]);
    alice.ok(&["ws", "tag", "--no-start", &full, &target]);
    alice.ok(&["start", &target]);
    alice.ok(&["review", &target]);
    alice.sync();
    // bob reviews what alice submitted, and adds a comment of his own.
    bob.sync();
    bob.ok(&["approve", &target]);
    bob.ok(&["comment", &full, "a comment from bob"]);
    sync_all(&h);

    assert_converged(&[&alice, &bob]);
    // Not vacuous: every kind of row is really there, with its typed values.
    for (table, n) in [
        ("issues", 3),
        ("comments", 2),
        ("handoffs", 2), // alice's, plus the one `td review` records
        ("issue_dependencies", 1),
        ("issue_files", 1),
        ("boards", 2),
        ("board_issue_positions", 2),
        ("work_sessions", 1),
        ("work_session_issues", 2),
        ("issue_reviews", 1),
    ] {
        assert_eq!(count(&bob, table), n, "bob: rows in {table}");
    }
    assert!(count(&bob, "logs") >= 2, "bob: logs");
    let i = |col| bob.field("issues", &full, col);
    assert_eq!(
        i("title"),
        SqlValue::Text("Issue carrying every field".into())
    );
    assert_eq!(i("type"), SqlValue::Text("feature".into()));
    assert_eq!(i("priority"), SqlValue::Text("P1".into()));
    assert_eq!(i("points"), SqlValue::Integer(5));
    assert_eq!(i("labels"), SqlValue::Text("alpha,beta".into()));
    assert_eq!(i("parent_id"), SqlValue::Text(epic.clone()));
    assert_eq!(i("acceptance"), SqlValue::Text("it works".into()));
    assert_eq!(i("sprint"), SqlValue::Text("s7".into()));
    assert_eq!(i("minor"), SqlValue::Integer(1));
    assert_eq!(alice.text("issues", &target, "status"), "closed");
    let decision: String = alice
        .db()
        .query_row("SELECT decision FROM issue_reviews", [], |r| r.get(0))
        .unwrap();
    assert_eq!(decision, "approved");

    assert_resync_is_noop(&[&alice, &bob]);
}

#[test]
fn concurrent_edits_merge_by_field_and_later_push_wins() {
    let h = world(2);
    let (alice, bob) = pair(&h);
    let id = alice.create("Original shared title", &["-p", "P2", "-d", "original"]);
    sync_all(&h);

    // Different fields, offline on both sides: both survive everywhere.
    alice.ok(&[
        "update",
        &id,
        "--title",
        "Title edited by alice",
        "-l",
        "from-alice",
    ]);
    bob.ok(&["update", &id, "--priority", "P0", "--points", "8"]);
    sync_all(&h);
    assert_converged(&[&alice, &bob]);
    for a in [&alice, &bob] {
        assert_eq!(a.text("issues", &id, "title"), "Title edited by alice");
        assert_eq!(a.text("issues", &id, "labels"), "from-alice");
        assert_eq!(a.text("issues", &id, "priority"), "P0");
        assert_eq!(a.field("issues", &id, "points"), SqlValue::Integer(8));
    }

    // Same field: the later push wins, whichever side it comes from.
    alice.ok(&["update", &id, "-d", "alice's description"]);
    bob.ok(&["update", &id, "-d", "bob's description"]);
    alice.sync();
    bob.sync();
    alice.sync();
    assert_converged(&[&alice, &bob]);
    assert_eq!(
        alice.text("issues", &id, "description"),
        "bob's description"
    );

    bob.ok(&["update", &id, "--title", "Title by bob, pushed first"]);
    alice.ok(&["update", &id, "--title", "Title by alice, pushed last"]);
    bob.sync();
    alice.sync();
    bob.sync();
    assert_converged(&[&alice, &bob]);
    assert_eq!(
        bob.text("issues", &id, "title"),
        "Title by alice, pushed last"
    );
    assert_resync_is_noop(&[&alice, &bob]);
}

#[test]
fn delete_restore_and_undo_propagate() {
    let h = world(2);
    let (alice, bob) = pair(&h);
    let doomed = alice.create("Issue deleted then restored", &[]);
    let edited = alice.create("Issue whose edit is undone", &[]);
    sync_all(&h);

    alice.ok(&["delete", &doomed]);
    alice.ok(&["update", &edited, "--title", "A regretted title edit"]);
    alice.sync();
    bob.sync();
    assert_eq!(
        bob.text("issues", &edited, "title"),
        "A regretted title edit"
    );
    alice.ok(&["undo"]);
    sync_all(&h);
    // updated_at included: soft delete and restore both stamp the event time everywhere.
    assert_converged(&[&alice, &bob]);
    assert_ne!(bob.field("issues", &doomed, "deleted_at"), SqlValue::Null);
    assert_eq!(
        bob.text("issues", &edited, "title"),
        "Issue whose edit is undone"
    );
    let listed = bob.ok(&["list", "--all"]).output;
    assert!(
        listed.contains(&edited) && !listed.contains(&doomed),
        "deleted issue listed on bob: {listed}"
    );

    bob.ok(&["restore", &doomed]);
    sync_all(&h);
    assert_eq!(alice.field("issues", &doomed, "deleted_at"), SqlValue::Null);

    // Undo of a synced create: the compensating soft delete reaches the peer.
    let undone = alice.create("Issue whose create is undone", &[]);
    sync_all(&h);
    assert_eq!(bob.field("issues", &undone, "deleted_at"), SqlValue::Null);
    alice.ok(&["undo"]);
    sync_all(&h);
    // updated_at included: soft delete and restore both stamp the event time everywhere.
    assert_converged(&[&alice, &bob]);
    assert_ne!(bob.field("issues", &undone, "deleted_at"), SqlValue::Null);
    assert_resync_is_noop(&[&alice, &bob]);
}

#[test]
fn offline_dependency_cycle_resolves_to_the_same_single_edge() {
    let h = world(2);
    let (alice, bob) = pair(&h);
    let a = alice.create("Cycle end A", &[]);
    let b = alice.create("Cycle end B", &[]);
    sync_all(&h);

    alice.ok(&["dep", "add", &a, &b]);
    bob.ok(&["dep", "add", &b, &a]);
    sync_all(&h);
    assert_converged(&[&alice, &bob]);
    let edges = |who: &Client| db::synced_snapshot(&who.db())["issue_dependencies"].clone();
    let rows = edges(&alice);
    assert_eq!(rows.len(), 1, "one edge should survive: {rows:?}");
    // The edge whose `issue|depends_on` sorts first wins (sync spec §7.8).
    let (first, second) = if format!("{a}|{b}") < format!("{b}|{a}") {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let kept: (String, String) = bob
        .db()
        .query_row(
            "SELECT issue_id, depends_on_id FROM issue_dependencies",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(kept, (first.clone(), second.clone()));
    assert_resync_is_noop(&[&alice, &bob]);
}
