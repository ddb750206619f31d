//! Shrinking speed on planted bugs: per bug injector, a seeded chaos case fails, the
//! shrinker reduces it, and this prints steps before and after, the reduction ratio, the
//! replays tried and the wall time (targets of issue 13: at least 20x fewer steps, under two
//! minutes for a 300-action case on two cores). Measured, never asserted.
//!
//! `cargo bench --bench shrink` (`SHRINK_BENCH_ACTIONS`, default 300; `SHRINK_BENCH_SEED`,
//! default 13; `SHRINK_BENCH_BUDGET` seconds, default 120).

use std::time::Duration;

use td_e2e::config::HarnessConfig;
use td_e2e::faults::BugInjector;
use td_e2e::shrink::proof::{chaos_case, prove};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let actions = env_u64("SHRINK_BENCH_ACTIONS", 300);
    let seed = env_u64("SHRINK_BENCH_SEED", 13);
    let budget = Duration::from_secs(env_u64("SHRINK_BENCH_BUDGET", 120));
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let out_dir = cfg.report_dir().join("shrunk-bench");
    println!(
        "shrink bench: chaos cases of {actions} actions, 2 actors, seed {seed}, budget {}s, {} rayon threads",
        budget.as_secs(),
        rayon::current_num_threads()
    );
    println!(
        "{:<20} {:>8} {:>7} {:>7} {:>8} {:>9} {:>9}  check / verdict",
        "injector", "run s", "before", "after", "ratio", "replays", "shrink s"
    );
    for bug in BugInjector::ALL {
        let case = chaos_case(bug, actions, 2, seed).expect("case");
        match prove(&cfg, bug, &case, budget, out_dir.clone()) {
            Ok(p) => {
                let s = &p.summary;
                let same = p.with_bug.contains(&s.target);
                println!(
                    "{:<20} {:>8.1} {:>7} {:>7} {:>7.0}x {:>9} {:>9.1}  `{}`; shrunk fails it again: {}; passes without the bug: {}",
                    bug.name(),
                    p.run_time.as_secs_f64(),
                    s.steps_before,
                    s.steps_after,
                    s.ratio(),
                    s.replays,
                    s.elapsed.as_secs_f64(),
                    s.target,
                    same,
                    p.without_bug.passed()
                );
            }
            Err(e) => println!("{:<20} failed: {e}", bug.name()),
        }
    }
}
