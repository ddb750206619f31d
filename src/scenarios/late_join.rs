//! late_join (bash test_late_join): alice and bob work and sync; carol, who had an account
//! but no project, joins; her first sync alone must bring her exactly what alice has; then
//! all three work and converge.

use rand::Rng;

use super::ctx::Ctx;
use super::engine_run::Actions;
use super::{derive, rng};
use crate::harness::Harness;
use crate::verify::CheckResult;

const SEED_ISSUES: usize = 20;
const BEFORE: usize = 15;
const AFTER: usize = 15;
const BATCH: usize = 5;

pub fn late_join(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "late_join");
    let pair = ["alice", "bob"];
    let mut who = rng(seed, "late-join-actors");
    for i in 0..SEED_ISSUES {
        let actor = pair[who.gen_range(0..2)];
        c.create(actor, &format!("late-join seed issue {i} by {actor}"), &[]);
    }
    if !c.sync_actors(&pair, "alice and bob sync before carol joins") {
        return c.finish();
    }
    let mut engine = Actions::new(h, "engine", derive(seed, "late-join-engine"), None);
    for _ in 0..BEFORE {
        engine.pin(Some(pair[who.gen_range(0..2)]));
        engine.run(1);
    }
    if !c.sync_actors(&pair, "alice and bob sync their work") {
        engine.report(&mut c);
        return c.finish();
    }
    match h.join("carol") {
        Ok(()) => c.pass("carol joins the project", "invited by alice and linked"),
        Err(e) => {
            c.fail("carol joins the project", e.to_string());
            return c.finish();
        }
    }
    if !c.sync("carol", "carol's first sync") {
        return c.finish();
    }
    c.converge_stage("after carol's first sync", &["alice", "carol"]);
    engine.pin(None);
    engine.refresh_all();
    for batch in 0..AFTER / BATCH {
        engine.run(BATCH);
        if !c.sync_all(&format!("three-actor sync {batch}")) {
            break;
        }
        engine.refresh_all();
    }
    engine.report(&mut c);
    if c.sync_all("final sync") {
        c.converge();
    }
    c.finish()
}
