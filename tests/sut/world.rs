//! World setup and whole-world assertions shared by the sut tests.

use td_e2e::config::HarnessConfig;
use td_e2e::harness::{Harness, WorldOptions};

use crate::client::Client;
use crate::db;

/// A world of `n` actors (alice, bob[, carol]): alice owns the project, the others are
/// writers, linked.
pub fn world(n: usize) -> Harness {
    let cfg = HarnessConfig::load_default().expect("load harness.toml");
    Harness::setup(&cfg, &WorldOptions::actors(n)).expect("world setup")
}

/// `td sync` for every client in order, then again for all but the last, so each has
/// pulled every other's pushes (for worlds with extra devices; actors alone use
/// `Driver::sync_all`).
pub fn sync_everyone(clients: &[&Client]) {
    for c in clients {
        c.sync();
    }
    for c in &clients[..clients.len() - 1] {
        c.sync();
    }
}

/// Every client's synced tables equal the first client's, row by row.
#[track_caller]
pub fn assert_converged(clients: &[&Client]) {
    let (first, rest) = clients.split_first().expect("at least one client");
    let expected = db::synced_snapshot(&first.db());
    for c in rest {
        db::assert_same(
            first.name(),
            &expected,
            c.name(),
            &db::synced_snapshot(&c.db()),
        );
    }
}
