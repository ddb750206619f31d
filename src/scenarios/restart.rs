//! server_restart (spec §6.10, sync spec §8): both actors work; the server is killed; a sync
//! during the downtime must fail with a clear error and change nothing; both actors keep
//! working offline (every command must succeed); after a restart one `sync_all` brings
//! everything everywhere.

use super::ctx::Ctx;
use super::query::text;
use crate::driver::Driver;
use crate::harness::Harness;
use crate::verify::{db_hash, CheckResult};

const PER_ACTOR: usize = 5;
const OFFLINE: usize = 3;

pub fn server_restart(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "server_restart");
    let Some(bob_ids) = before_restart(&mut c) else {
        return c.finish();
    };
    match h.stop_server() {
        Ok(()) => c.pass("stop_server", "server killed"),
        Err(e) => {
            c.fail("stop_server", e.to_string());
            return c.finish();
        }
    }
    sync_during_downtime(&mut c);
    let Some(offline_ids) = offline_work(&mut c, &bob_ids) else {
        return c.finish();
    };
    match h.start_server() {
        Ok(()) => c.pass("restart_server", "server restarted and healthy"),
        Err(e) => {
            c.fail("restart_server", e.to_string());
            return c.finish();
        }
    }
    if !c.sync_all("post_restart_sync") {
        return c.finish();
    }
    let want = (2 * PER_ACTOR + OFFLINE) as i64;
    for actor in ["alice", "bob"] {
        let sql = "SELECT COUNT(*) FROM issues WHERE deleted_at IS NULL";
        c.expect_count("final_convergence_count", actor, sql, [], want);
    }
    for (i, id) in bob_ids.iter().take(OFFLINE).enumerate() {
        let title = text(&format!("Bob updated issue title {i}"));
        c.expect_field_everywhere(&format!("update_propagation_{i}"), id, "title", &title);
    }
    for (i, id) in offline_ids.iter().enumerate() {
        let title = text(&format!("Alice offline created issue {i}"));
        c.expect_field_everywhere(&format!("offline_issue_visible_{i}"), id, "title", &title);
    }
    c.converge();
    c.finish()
}

/// Five issues each, synced; both actors hold all ten. Returns bob's ids.
fn before_restart(c: &mut Ctx<'_>) -> Option<Vec<String>> {
    for i in 0..PER_ACTOR {
        let title = format!("Alice restart resilience issue {i}");
        c.create("alice", &title, &["--type", "task", "--priority", "P1"])?;
    }
    let mut bob_ids = Vec::new();
    for i in 0..PER_ACTOR {
        let title = format!("Bob restart resilience issue {i}");
        bob_ids.push(c.create("bob", &title, &["--type", "bug", "--priority", "P2"])?);
    }
    if !c.sync_all("initial_sync") {
        return None;
    }
    let sql = "SELECT COUNT(*) FROM issues WHERE deleted_at IS NULL";
    let mut ok = true;
    for actor in ["alice", "bob"] {
        ok &= c.expect_count("initial_convergence", actor, sql, [], 2 * PER_ACTOR as i64);
    }
    ok.then_some(bob_ids)
}

/// What a failed sync must leave untouched: the synced tables, every action_log row's sync
/// marks, and the sync cursors.
fn sync_fingerprint(c: &Ctx<'_>, actor: &str) -> Result<String, String> {
    let path = c.harness().db_path(actor);
    let data = db_hash(&path).map_err(|e| e.to_string())?;
    let marks = c
        .texts(
            actor,
            "SELECT rowid || ':' || COALESCE(server_seq, '-') || ':' || COALESCE(synced_at, '-') \
             || ':' || undone FROM action_log",
            [],
        )
        .map_err(|e| e.to_string())?;
    let cursors = c
        .texts(
            actor,
            "SELECT project_id || ':' || last_pushed_action_id || ':' || last_pulled_server_seq \
             || ':' || COALESCE(last_sync_at, '-') FROM sync_state",
            [],
        )
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{data}\n{}\n{}",
        marks.join(","),
        cursors.join(",")
    ))
}

/// A sync while the server is down must exit non-zero, say why on an `ERROR:` line, and leave
/// the database as it was. alice has a pending create so the push really is attempted.
fn sync_during_downtime(c: &mut Ctx<'_>) {
    let pending = c.create(
        "alice",
        "Alice created while the server is down",
        &["--type", "task"],
    );
    if pending.is_none() {
        return;
    }
    let before = sync_fingerprint(c, "alice");
    let Some(out) = c.run("alice", &["sync"]) else {
        return;
    };
    let clear = out
        .output
        .lines()
        .any(|l| l.starts_with("ERROR: push:") || l.starts_with("ERROR: pull:"));
    let details = format!("exit {:?}: {}", out.code, out.output.trim());
    c.check(
        "sync_during_downtime fails with a clear error",
        !out.ok() && clear,
        details,
    );
    let after = sync_fingerprint(c, "alice");
    match (before, after) {
        (Ok(b), Ok(a)) => {
            c.check(
                "sync_during_downtime changes nothing",
                a == b,
                "synced tables, action_log sync marks and cursors compared",
            );
        }
        (Err(e), _) | (_, Err(e)) => c.unknown("sync_during_downtime changes nothing", e),
    }
    // The pending issue is deleted again so the final counts stay those of the original.
    if let Some(id) = pending {
        c.ok("alice", &["delete", &id], "DELETED");
    }
}

/// alice creates three issues and bob retitles three of his, all offline; every command
/// must succeed. Returns alice's new ids.
fn offline_work(c: &mut Ctx<'_>, bob_ids: &[String]) -> Option<Vec<String>> {
    let mut ids = Vec::new();
    for i in 0..OFFLINE {
        let title = format!("Alice offline created issue {i}");
        ids.push(c.create("alice", &title, &["--type", "task", "--priority", "P0"])?);
    }
    c.pass(
        "alice_offline_creates",
        format!("created {} issues offline", ids.len()),
    );
    let mut updated = 0;
    for (i, id) in bob_ids.iter().take(OFFLINE).enumerate() {
        let title = format!("Bob updated issue title {i}");
        if c.ok("bob", &["update", id, "--title", &title], "UPDATED")
            .is_some()
        {
            updated += 1;
        }
        c.expect_field(
            "bob_offline_update applied locally",
            "bob",
            id,
            "title",
            &text(&title),
        );
    }
    let ok = updated == OFFLINE;
    let details = format!("updated {updated}/{OFFLINE} issues offline");
    c.check("bob_offline_updates", ok, details).then_some(ids)
}
