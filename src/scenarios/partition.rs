//! partition_recovery (spec §6.1, bash test_network_partition): alice is cut off while bob
//! stays online; each side runs 55 engine actions pinned to its actor; then the partition
//! heals and everything converges.

use rand::Rng;

use super::ctx::Ctx;
use super::engine_run::Actions;
use super::{derive, rng};
use crate::harness::Harness;
use crate::verify::CheckResult;

const SEED_ISSUES: usize = 5;
const ACTIONS_PER_SIDE: usize = 55;

pub fn partition_recovery(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "partition_recovery");
    for i in 0..SEED_ISSUES {
        let title = format!("partition-seed-{i}");
        if c.create("alice", &title, &["--type", "task", "--priority", "P1"])
            .is_none()
        {
            return c.finish();
        }
    }
    if !c.sync_all("partition seed sync") {
        return c.finish();
    }
    let mut alice = Actions::new(
        h,
        "engine alice",
        derive(seed, "engine-alice"),
        Some("alice"),
    );
    let mut bob = Actions::new(h, "engine bob", derive(seed, "engine-bob"), Some("bob"));
    partitioned(&mut c, &mut alice, &mut bob, seed);
    alice.report(&mut c);
    bob.report(&mut c);
    if c.sync_all("partition recovery sync") {
        c.converge();
    }
    c.finish()
}

/// Interleaves both engines' actions in a seed-drawn order; bob syncs every 5–10 of his own
/// actions (one-sided partition: alice never does).
fn partitioned(c: &mut Ctx<'_>, alice: &mut Actions<'_>, bob: &mut Actions<'_>, seed: u64) {
    let mut order = rng(seed, "partition-schedule");
    let (mut left_a, mut left_b) = (ACTIONS_PER_SIDE, ACTIONS_PER_SIDE);
    let mut until_sync = order.gen_range(5..=10);
    while left_a + left_b > 0 {
        if left_b == 0 || (left_a > 0 && order.gen_bool(0.5)) {
            alice.run(1);
            left_a -= 1;
            continue;
        }
        bob.run(1);
        left_b -= 1;
        until_sync -= 1;
        if until_sync == 0 {
            c.sync("bob", "bob syncs while alice is partitioned");
            bob.refresh("bob");
            until_sync = order.gen_range(5..=10);
        }
    }
}
