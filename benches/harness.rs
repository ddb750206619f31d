//! Harness speed (`cargo bench -p td-e2e --bench harness`): world setup time (median of 10),
//! chaos actions per second, and the share of chaos wall time spent outside td processes
//! (harness overhead: generation, classification, model refreshes, bookkeeping).

use std::sync::Arc;
use std::time::{Duration, Instant};

use td_e2e::config::HarnessConfig;
use td_e2e::engine::{run_chaos, ChaosConfig, ChaosHooks};
use td_e2e::harness::{Harness, WorldOptions};
use td_e2e::history::OperationHistory;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    td_e2e::harness::sut::binaries(&cfg).expect("build td and td-sync");
    let setups: Vec<Duration> = (0..10)
        .map(|_| {
            let t = Instant::now();
            let h = Harness::setup(&cfg, &WorldOptions::actors(3)).expect("world");
            let d = t.elapsed();
            drop(h);
            d
        })
        .collect();
    println!(
        "world setup (3 actors, device login, project, links): median {:?} of 10",
        median(setups)
    );
    for actors in [2usize, 3] {
        let h = Harness::setup(&cfg, &WorldOptions::actors(actors)).expect("world");
        let history = Arc::new(OperationHistory::new());
        let hooks = ChaosHooks {
            history: Arc::clone(&history),
            nemesis: None,
            progress: None,
        };
        let t = Instant::now();
        let out = run_chaos(&h, &ChaosConfig::new(7, 300), hooks).expect("chaos");
        let wall = t.elapsed();
        let in_td: u64 = history.records().iter().map(|r| r.duration_ns).sum();
        let outside = wall.as_secs_f64() - in_td as f64 / 1e9;
        println!(
            "chaos {actors} actors: {} actions in {:.2}s = {:.1} actions/s; {} td runs; outside td processes: {:.1}% of wall time",
            out.actions_done,
            wall.as_secs_f64(),
            out.actions_done as f64 / wall.as_secs_f64(),
            history.len(),
            100.0 * outside / wall.as_secs_f64()
        );
    }
}
