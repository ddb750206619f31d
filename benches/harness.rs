//! Harness speed (`cargo bench -p td-e2e --bench harness`): world setup time (median of 10),
//! chaos actions per second (parallel lanes with 2 and 3 actors, and one action at a time
//! with 2), and the share of chaos wall time spent outside td processes
//! with where the chaos wall time goes (td actions, td syncs, model refreshes, database reads,
//! observers, the loop itself), and the fault
//! proxy's overhead: median `td sync` through the proxy vs straight to the server, in one run.

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
    proxy_overhead(&cfg);
    for (actors, lanes) in [(2usize, true), (3, true), (2, false)] {
        chaos(&cfg, actors, lanes);
    }
}

/// One 300-action chaos run (seed 7, no faults) with its time breakdown; `lanes = false`
/// runs one action at a time, for comparison.
fn chaos(cfg: &HarnessConfig, actors: usize, lanes: bool) {
    let h = Harness::setup(cfg, &WorldOptions::actors(actors)).expect("world");
    let hooks = ChaosHooks {
        history: Arc::new(OperationHistory::new()),
        nemesis: None,
        progress: None,
        after_sync: None,
    };
    let mut config = ChaosConfig::new(7, 300);
    config.lanes = lanes;
    let t = Instant::now();
    let out = run_chaos(&h, &config, hooks).expect("chaos");
    let wall = t.elapsed();
    let profile = out.engine.profile();
    println!(
        "chaos {actors} actors{}: {} actions in {:.2}s = {:.1} actions/s; {} sync points; \
         outside td processes: {:.1}% of wall time",
        if lanes { "" } else { ", one action at a time" },
        out.actions_done,
        wall.as_secs_f64(),
        out.actions_done as f64 / wall.as_secs_f64(),
        out.syncs,
        profile.outside_td_percent(wall)
    );
    print!("{}", profile.render(wall));
}

/// Median `td sync` (one new issue pushed, then pulled) through alice's proxy vs direct
/// (`TD_SYNC_URL` = the server), interleaved so load changes hit both alike.
fn proxy_overhead(cfg: &HarnessConfig) {
    let h = Harness::setup(cfg, &WorldOptions::actors(2)).expect("world");
    let direct = vec![("TD_SYNC_URL".to_string(), h.server_url())];
    let (mut via, mut around) = (Vec::new(), Vec::new());
    let sync = vec!["sync".to_string()];
    for i in 0..100 {
        let title = format!("proxy bench {i}");
        let out = h
            .td_with_env("alice", &["create".to_string(), title], &[])
            .expect("create");
        assert!(out.ok(), "{}", out.output);
        let env: &[(String, String)] = if i % 2 == 0 { &[] } else { &direct };
        let out = h.td_with_env("alice", &sync, env).expect("sync");
        assert!(out.ok(), "{}", out.output);
        if i % 2 == 0 {
            via.push(out.duration);
        } else {
            around.push(out.duration);
        }
    }
    let (v, d) = (median(via), median(around));
    println!(
        "td sync through the fault proxy: median {v:?} vs {d:?} direct = {:.2}x (50 each, interleaved)",
        v.as_secs_f64() / d.as_secs_f64()
    );
}
