//! Named scenarios (harness spec §6 and the bash suite's §8.2), each a Rust function a
//! `kind = "scenario"` case calls. Entry type: [`Scenario`]; the registry is [`all`] and
//! [`find`].
//!
//! Every scenario runs in a fresh world the caller set up with [`Scenario::actors`] actors
//! (and [`Scenario::late`] actors not yet joined), takes the case seed, and returns **all** its
//! results, passing ones too, so a report shows what was checked. Unlike the original
//! (weak spot §9.17) every td command's exit status and success text is checked
//! ([`ctx::Ctx`]), outcomes are asserted exactly, and every scenario ends with full
//! convergence over all actors and all tables.
//!
//! Determinism: every random choice comes from the seed through a per-purpose stream
//! ([`rng`]); ids are random, so issues are referred to by position. One file per scenario
//! or small family.

mod access;
mod alternating;
mod cascade;
mod concurrency;
pub mod ctx;
mod deps;
mod edits;
mod engine_run;
mod kills;
mod large_payload;
mod late_join;
mod lifecycle;
mod ordering;
mod parents;
mod partition;
pub mod query;
mod restart;
mod undo;

use rand::SeedableRng;
use rand_pcg::Pcg64;

use crate::harness::Harness;
use crate::verify::CheckResult;

/// One named scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// snake_case name a case file's `scenario` key uses.
    pub name: &'static str,
    /// One line: what the scenario pins.
    pub about: &'static str,
    /// Actors in the world (2 or 3).
    pub actors: usize,
    /// Actors that get an account and a database but join the project only when the
    /// scenario calls `Harness::join` (late join).
    pub late: &'static [&'static str],
    /// Why a replay with the same seed cannot repeat the run exactly (truly concurrent
    /// steps); `None` when it can.
    pub replay_note: Option<&'static str>,
    /// Runs the scenario in a world set up as above with the given seed.
    pub run: fn(&Harness, u64) -> Vec<CheckResult>,
}

const CONCURRENT: &str = "td sync processes run truly concurrently: the order in which the \
                          server assigns their events' server_seq is up to the OS scheduler";

/// A scenario of two actors that joins no one late and replays exactly.
const fn two(
    name: &'static str,
    about: &'static str,
    run: fn(&Harness, u64) -> Vec<CheckResult>,
) -> Scenario {
    Scenario {
        name,
        about,
        actors: 2,
        late: &[],
        replay_note: None,
        run,
    }
}

static SCENARIOS: &[Scenario] = &[
    two(
        "partition_recovery",
        "engines pinned to their actor diverge (bob online, alice partitioned), heal, converge",
        partition::partition_recovery,
    ),
    two(
        "undo_sync",
        "undo of a synced create soft-deletes the issue on both actors",
        undo::undo_sync,
    ),
    two(
        "multi_field_collision",
        "concurrent edits of different fields of one issue both survive on both actors",
        edits::multi_field_collision,
    ),
    two(
        "rapid_create_delete",
        "create, delete, restore, re-delete ten issues: exact deleted set per stage on both",
        lifecycle::rapid_create_delete,
    ),
    two(
        "cascade_conflict",
        "a review cascade races a close of one child: the later server_seq wins on both",
        cascade::cascade_conflict,
    ),
    two(
        "dependency_cycle",
        "A->B and B->A added concurrently: only the edge whose issue|depends_on sorts first",
        deps::dependency_cycle,
    ),
    two(
        "dependency_cycle_retracted",
        "the winning edge of a dependency cycle is removed before the loser arrives: no edge anywhere",
        deps::dependency_cycle_retracted,
    ),
    Scenario {
        replay_note: Some(CONCURRENT),
        ..two(
            "thundering_herd",
            "two actors sync at the same moment: both succeed and converge",
            concurrency::thundering_herd,
        )
    },
    two(
        "access_control",
        "a reader's push, an outsider's pull and push, a removed member's sync: all refused, nothing leaks",
        access::access_control,
    ),
    two(
        "kill_during_push",
        "pushes answered then killed (server or client, -9) round after round: none lost, none twice",
        kills::kill_during_push,
    ),
    two(
        "kill_during_push_soak",
        "kill_during_push for 200 rounds",
        kills::kill_during_push_soak,
    ),
    Scenario {
        actors: 3,
        replay_note: Some(CONCURRENT),
        ..two(
            "slow_link_overlap",
            "three actors push at once through slow links; the pushes overlap in the server",
            kills::slow_link_overlap,
        )
    },
    two(
        "burst_no_sync",
        "twenty unsynced edits of one issue arrive with their exact final values",
        edits::burst_no_sync,
    ),
    two(
        "auto_cascade_logs_sync",
        "logs of an epic's auto-close and a dependent's auto-unblock reach the peer",
        cascade::auto_cascade_logs_sync,
    ),
    two(
        "server_restart",
        "sync fails cleanly while the server is down; offline work survives a restart",
        restart::server_restart,
    ),
    two(
        "alternating_actions",
        "actors take turns creating, working, reviewing, approving, boarding, deleting",
        alternating::alternating_actions,
    ),
    two(
        "create_delete_recreate",
        "delete/recreate cycles, deletes racing edits, biased lifecycles: tombstones hold",
        lifecycle::create_delete_recreate,
    ),
    two(
        "parent_delete_cascade",
        "deleting a parent never deletes or orphans its children or grandchildren",
        parents::parent_delete_cascade,
    ),
    Scenario {
        actors: 3,
        late: &["carol"],
        ..two(
            "late_join",
            "carol joins after alice and bob worked; one sync brings her everything",
            late_join::late_join,
        )
    },
    two(
        "large_payload",
        "a 50 KB description, 50 comments, 20 dependencies and 50 labels arrive intact",
        large_payload::large_payload,
    ),
    two(
        "event_ordering",
        "server_seq strictly increasing, causal across actors, parents created first",
        ordering::event_ordering,
    ),
    Scenario {
        replay_note: Some(CONCURRENT),
        ..two(
            "concurrent_sync_same_client",
            "parallel td sync of one client: no duplicate server_seq, nothing pending",
            concurrency::concurrent_sync_same_client,
        )
    },
];

/// Every scenario, in a fixed order.
pub fn all() -> &'static [Scenario] {
    SCENARIOS
}

/// The scenario named `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// An independent random stream for one purpose of a scenario (`"push-order"`, …): adding a
/// draw for one purpose never shifts another.
pub fn rng(seed: u64, purpose: &str) -> Pcg64 {
    Pcg64::seed_from_u64(derive(seed, purpose))
}

/// The sub-seed for `purpose` (FNV-1a of the name mixed into the seed by SplitMix64).
pub fn derive(seed: u64, purpose: &str) -> u64 {
    let fnv = purpose.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    });
    crate::engine::seeds::splitmix64(seed ^ fnv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn names_are_unique_snake_case_and_findable() {
        for (i, s) in all().iter().enumerate() {
            let snake = s
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            assert!(snake, "{}", s.name);
            assert!(all()[..i].iter().all(|o| o.name != s.name), "{}", s.name);
            assert_eq!(find(s.name).map(|f| f.name), Some(s.name));
            assert!((2..=3).contains(&s.actors), "{}", s.name);
            assert!(s.late.len() < s.actors - 1, "{}: late actors", s.name);
        }
        assert_eq!(all().len(), 22);
        assert!(find("no_such_scenario").is_none());
    }

    #[test]
    fn streams_are_per_purpose_and_reproducible() {
        let draw = |seed, p| rng(seed, p).gen::<u64>();
        assert_eq!(draw(7, "a"), draw(7, "a"));
        assert_ne!(draw(7, "a"), draw(7, "b"));
        assert_ne!(draw(7, "a"), draw(8, "a"));
    }
}
