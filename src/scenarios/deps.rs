//! dependency_cycle (spec §6.6, sync spec §7.8): alice adds A→B while bob adds B→A. Each
//! succeeds locally; after syncing, both actors hold exactly one edge, the one whose
//! `issue|depends_on` sorts first — whoever pushed first. dependency_cycle_retracted pins
//! the same resolution when the winning edge is removed again before the loser arrives.

use rand::Rng;

use super::ctx::Ctx;
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

pub fn dependency_cycle(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "dependency_cycle");
    let task = ["--type", "task", "--priority", "P1"];
    let Some(a) = c.create("alice", "dependency-cycle-issue-A", &task) else {
        return c.finish();
    };
    let Some(b) = c.create("alice", "dependency-cycle-issue-B", &task) else {
        return c.finish();
    };
    if !c.sync_all("dep cycle sync 1") {
        return c.finish();
    }
    c.ok("alice", &["dep", "add", &a, &b], "ADDED:");
    c.ok("bob", &["dep", "add", &b, &a], "ADDED:");
    let first = if rng(seed, "push-order").gen_bool(0.5) {
        "alice"
    } else {
        "bob"
    };
    let second = if first == "alice" { "bob" } else { "alice" };
    let step = format!("dep cycle sync 2 ({first} pushes first)");
    if !(c.sync(first, &step) && c.sync(second, &step) && c.sync_all(&step)) {
        return c.finish();
    }
    let (ab, ba) = (format!("{a}|{b}"), format!("{b}|{a}"));
    let winner = if ab < ba { ab } else { ba };
    let sql = "SELECT issue_id || '|' || depends_on_id FROM issue_dependencies \
               WHERE relation_type = 'depends_on'";
    for actor in ["alice", "bob"] {
        let what = "exactly the edge whose issue|depends_on sorts first";
        c.expect_texts(what, actor, sql, [], std::slice::from_ref(&winner));
    }
    c.converge();
    c.finish()
}

/// bob adds X→Y (the edge that sorts first) and syncs; alice, not having pulled, adds Y→X;
/// bob removes X→Y before pulling. In server order Y→X closes a cycle with X→Y and loses,
/// then X→Y is removed: every actor must end with no edge between them.
pub fn dependency_cycle_retracted(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "dependency_cycle_retracted");
    let task = ["--type", "task", "--priority", "P1"];
    let Some(p) = c.create("alice", "dependency-retract-issue-P", &task) else {
        return c.finish();
    };
    let Some(q) = c.create("alice", "dependency-retract-issue-Q", &task) else {
        return c.finish();
    };
    if !c.sync_all("sync the issues") {
        return c.finish();
    }
    // Roles by id, not by position: X→Y must be the edge whose issue|depends_on sorts first.
    let (x, y) = if format!("{p}|{q}") < format!("{q}|{p}") {
        (p, q)
    } else {
        (q, p)
    };
    let ok = c.ok("bob", &["dep", "add", &x, &y], "ADDED:").is_some()
        && c.sync("bob", "bob pushes X->Y")
        && c.ok("alice", &["dep", "add", &y, &x], "ADDED:").is_some()
        && c.ok("bob", &["dep", "rm", &x, &y], "REMOVED:").is_some();
    let step = "alice pushes Y->X, bob pushes the removal";
    if !(ok && c.sync("alice", step) && c.sync("bob", step) && c.sync_all(step)) {
        return c.finish();
    }
    let sql = "SELECT issue_id || '|' || depends_on_id FROM issue_dependencies";
    for actor in ["alice", "bob"] {
        let what = format!("no edge left between X={x} and Y={y} (server order: add X->Y, Y->X loses the cycle, remove X->Y)");
        c.expect_texts(&what, actor, sql, [], &[]);
    }
    c.converge();
    c.finish()
}
