//! dependency_cycle (spec §6.6, sync spec §7.8): alice adds A→B while bob adds B→A. Each
//! succeeds locally; after syncing, both actors hold exactly one edge, the one whose
//! `issue|depends_on` sorts first — whoever pushed first.

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
