//! Every named scenario once, each in its own world, against the real td and td-sync. A
//! scenario passes only when every one of its results passed; failing ones are printed with
//! the seed, the kept world directory and the replay command.
//!
//! Seed: `E2E_SEED` when set, else a fixed default (so CI is stable and a failure replays).

use std::time::Instant;

use td_e2e::config::HarnessConfig;
use td_e2e::harness::{Harness, WorldOptions};
use td_e2e::scenarios::{self, Scenario};
use td_e2e::verify::CheckResult;

const DEFAULT_SEED: u64 = 20_261_125;

fn run(name: &str) {
    let sc = scenarios::find(name).unwrap_or_else(|| panic!("no scenario {name}"));
    let seed = td_e2e::run::seed_from_env_or(DEFAULT_SEED);
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let opts = WorldOptions {
        actors: sc.actors,
        late: sc.late.iter().map(|s| s.to_string()).collect(),
    };
    let mut h = Harness::setup(&cfg, &opts).expect("world setup");
    let started = Instant::now();
    let results = (sc.run)(&h, seed);
    let took = started.elapsed();
    let failed: Vec<&CheckResult> = results.iter().filter(|r| !r.passed()).collect();
    println!("{name}: seed={seed} {} results in {took:?}", results.len());
    if failed.is_empty() {
        assert!(results.len() > 1, "{name} returned no results");
        return;
    }
    let world = h.keep();
    panic!("{}", failure_text(sc, seed, &results, &failed, &world));
}

fn failure_text(
    sc: &Scenario,
    seed: u64,
    results: &[CheckResult],
    failed: &[&CheckResult],
    world: &std::path::Path,
) -> String {
    let mut out = format!(
        "scenario {} failed {} of {} results (seed {seed}):\n",
        sc.name,
        failed.len(),
        results.len()
    );
    for r in failed {
        out.push_str(&format!("  {}: {} — {}\n", r.verdict, r.name, r.details));
    }
    out.push_str(&format!("world kept at {}\n", world.display()));
    if let Some(note) = sc.replay_note {
        out.push_str(&format!("not exactly replayable: {note}\n"));
    }
    out.push_str(&format!(
        "replay: E2E_SEED={seed} cargo test -p td-e2e --test scenarios -- --exact {}",
        sc.name
    ));
    out
}

/// One `#[test]` per scenario, named like the scenario, plus a guard that none is missing.
macro_rules! scenario_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { run(stringify!($name)); })*

        #[test]
        fn every_scenario_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for s in scenarios::all() {
                assert!(tested.contains(&s.name), "scenario {} has no test", s.name);
            }
            assert_eq!(tested.len(), scenarios::all().len());
        }
    };
}

scenario_tests!(
    partition_recovery,
    undo_sync,
    multi_field_collision,
    rapid_create_delete,
    cascade_conflict,
    dependency_cycle,
    thundering_herd,
    burst_no_sync,
    auto_cascade_logs_sync,
    server_restart,
    alternating_actions,
    create_delete_recreate,
    parent_delete_cascade,
    late_join,
    large_payload,
    event_ordering,
    concurrent_sync_same_client,
);

/// `cases/scenarios/<name>.toml` exists for every scenario, in the fixed form.
#[test]
fn every_scenario_has_its_case_file() {
    let dir = td_e2e::config::workspace_root().join("cases/scenarios");
    for s in scenarios::all() {
        let path = dir.join(format!("{}.toml", s.name));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let v: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            v.get("kind").and_then(|k| k.as_str()),
            Some("scenario"),
            "{}",
            path.display()
        );
        assert_eq!(
            v.get("scenario").and_then(|k| k.as_str()),
            Some(s.name),
            "{}",
            path.display()
        );
        assert_eq!(
            v.get("actors").and_then(|k| k.as_integer()),
            Some(s.actors as i64),
            "{}",
            path.display()
        );
        assert_eq!(
            v.len(),
            3,
            "{}: only kind, scenario, actors",
            path.display()
        );
        assert!(
            text.starts_with("# "),
            "{}: starts with a one-line description",
            path.display()
        );
    }
}
