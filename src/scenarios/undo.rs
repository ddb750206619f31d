//! undo_sync (spec §6.2): alice undoes a create bob has already pulled; the compensating
//! soft delete must reach bob, so the issue ends soft-deleted on both actors.

use super::ctx::Ctx;
use crate::harness::Harness;
use crate::verify::CheckResult;

pub fn undo_sync(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "undo_sync");
    let Some(id) = c.create(
        "alice",
        "undo-sync-test-issue",
        &["--type", "task", "--priority", "P2"],
    ) else {
        return c.finish();
    };
    if !c.sync_all("initial sync") {
        return c.finish();
    }
    c.ok("bob", &["show", &id], &id);
    c.expect_deleted("bob sees the issue before the undo", "bob", &id, false);
    let marker = format!("UNDONE: create issue {id}");
    if c.ok("alice", &["undo"], &marker).is_none() {
        return c.finish();
    }
    c.expect_deleted("alice's undo soft-deletes locally", "alice", &id, true);
    c.expect_deleted("bob unchanged before the sync", "bob", &id, false);
    if !c.sync_all("post-undo sync") {
        return c.finish();
    }
    c.expect_deleted_everywhere("after the sync", &id, true);
    c.expect_field_everywhere(
        "after the sync",
        &id,
        "title",
        &super::query::text("undo-sync-test-issue"),
    );
    c.converge();
    c.finish()
}
