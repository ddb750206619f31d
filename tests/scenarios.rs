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
        td_env: Vec::new(),
    };
    let mut h = Harness::setup(&cfg, &opts).expect("world setup");
    let started = Instant::now();
    let results = (sc.run)(&h, seed);
    let took = started.elapsed();
    let failed: Vec<&CheckResult> = results.iter().filter(|r| !r.passed()).collect();
    println!("{name}: seed={seed} {} results in {took:?}", results.len());
    // Captured unless --nocapture: the whole report of what was checked.
    for r in &results {
        println!("  {}: {} — {}", r.verdict, r.name, r.details);
    }
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
            // Soak scenarios run only as ignored cases (cases/soak/).
            let all: Vec<_> = scenarios::all()
                .iter()
                .filter(|s| !s.name.ends_with("_soak"))
                .collect();
            for s in &all {
                assert!(tested.contains(&s.name), "scenario {} has no test", s.name);
            }
            assert_eq!(tested.len(), all.len());
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
    dependency_cycle_retracted,
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
    kill_during_push,
    slow_link_overlap,
    access_control,
);

/// `cases/scenarios/<name>.toml` exists for every scenario, in the fixed form.
#[test]
fn every_scenario_has_its_case_file() {
    let dir = td_e2e::config::workspace_root().join("cases/scenarios");
    for s in scenarios::all()
        .iter()
        .filter(|s| !s.name.ends_with("_soak"))
    {
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

/// The scenario context cannot pass what failed: a command that exits 0 without its success
/// text, a sync against a dead server and an assertion about a missing issue are all failed
/// results naming the command or issue, and the closing summary fails too.
#[test]
fn ctx_reports_failed_commands_syncs_and_missing_rows() {
    use td_e2e::scenarios::ctx::Ctx;
    use td_e2e::scenarios::query::text;
    use td_e2e::verify::Verdict;

    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let h = Harness::setup(&cfg, &WorldOptions::actors(2)).expect("world setup");
    let mut c = Ctx::new(&h, "ctx_self_test");
    let missing = "td-0000ff";
    // td update exits 0 even when the id does not exist: the marker catches it.
    assert!(c
        .ok("alice", &["update", missing, "--title", "nope"], "UPDATED")
        .is_none());
    assert!(!c.expect_field("missing issue", "bob", missing, "title", &text("nope")));
    h.stop_server().expect("stop");
    assert!(!c.sync("alice", "sync with the server down"));
    let results = c.finish();
    let find = |prefix: &str| {
        results
            .iter()
            .find(|r| r.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no result {prefix:?} in {results:#?}"))
    };
    let update = find("ctx_self_test: td update td-0000ff --title nope [alice]");
    assert_eq!(update.verdict, Verdict::Invalid);
    assert!(update.details.contains("\"UPDATED\""), "{}", update.details);
    assert!(update.details.contains(missing), "{}", update.details);
    let field = find("ctx_self_test: missing issue: title [bob]");
    assert_eq!(field.verdict, Verdict::Invalid);
    let sync = find("ctx_self_test: sync with the server down");
    assert_eq!(sync.verdict, Verdict::Invalid);
    assert!(sync.details.contains("ERROR"), "{}", sync.details);
    let summary = find("ctx_self_test: every td command succeeded");
    assert_eq!(summary.verdict, Verdict::Invalid);
    assert!(
        summary.details.starts_with("2 of 2 commands failed"),
        "{}",
        summary.details
    );
}
