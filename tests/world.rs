//! The harness against the real td and td-sync: a world comes up with real device login,
//! actors converge, and a 3-actor chaos run of 200 actions passes every check.

use td_e2e::config::HarnessConfig;
use td_e2e::driver::Driver;
use td_e2e::engine::ChaosConfig;
use td_e2e::harness::{Harness, WorldOptions};
use td_e2e::run::{CaseOutcome, ChaosParams};
use td_e2e::verify::{CheckKind, Verifier};

fn cfg() -> HarnessConfig {
    HarnessConfig::load_default().expect("harness.toml")
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn two_actor_world_converges_after_sync_all() {
    let h = Harness::setup(&cfg(), &WorldOptions::actors(2)).expect("world");
    let out = h
        .td("alice", &args(&["create", "issue made by alice in a test"]))
        .unwrap();
    assert!(out.ok(), "{}", out.output);
    let out = h
        .td("bob", &args(&["create", "issue made by bob in a test"]))
        .unwrap();
    assert!(out.ok(), "{}", out.output);
    h.sync_all().expect("sync_all");
    let mut v = Verifier::new();
    v.convergence(&td_e2e::verify::ActorDb::all_from(&h));
    assert!(v.all_passed(), "{}", v.summary());
    let list = h.td("bob", &args(&["list"])).unwrap();
    assert_eq!(
        list.output.lines().filter(|l| l.contains("td-")).count(),
        2,
        "{}",
        list.output
    );
}

#[test]
fn dead_server_is_noticed_and_restart_keeps_data() {
    let h = Harness::setup(&cfg(), &WorldOptions::actors(2)).expect("world");
    assert!(h
        .td("alice", &args(&["create", "survives a server restart"]))
        .unwrap()
        .ok());
    h.sync_all().expect("sync");
    h.stop_server().expect("stop");
    let down = h.sync("alice").unwrap();
    assert!(
        !down.ok(),
        "sync against a dead server must fail: {}",
        down.output
    );
    assert!(down.output.contains("ERROR"), "{}", down.output);
    h.start_server().expect("start");
    h.sync_all().expect("sync after restart");
    let list = h.td("bob", &args(&["list"])).unwrap();
    assert!(
        list.output.contains("survives a server restart"),
        "{}",
        list.output
    );
}

#[test]
fn three_actor_chaos_200_actions_passes_every_check() {
    let h = Harness::setup(&cfg(), &WorldOptions::actors(3)).expect("world");
    let seed = td_e2e::run::seed_from_env_or(20261125);
    let params = ChaosParams {
        config: ChaosConfig::new(seed, 200),
        checks: CheckKind::ALL.to_vec(),
        idempotency_rounds: td_e2e::run::IDEMPOTENCY_ROUNDS,
        expect_quarantine: Vec::new(),
        access: Default::default(),
        sizes: td_e2e::coverage::Sizes {
            push_batch: 500,
            pull_limit: 1000,
        },
    };
    let mut out = CaseOutcome::new("tests/world/chaos-3");
    out.seed = Some(seed);
    td_e2e::run::run_chaos_case(&h, &params, &mut out);
    assert!(out.passed(), "{}", out.failure_text());
    assert!(out.checks.len() >= 8, "{:?}", out.checks);
}

#[test]
fn a_panicking_case_leaves_no_server_and_no_world_behind() {
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let h = Harness::setup(&cfg(), &WorldOptions::actors(2)).expect("world");
        tx.send((
            h.server_pid().expect("server running"),
            h.world_dir().to_path_buf(),
        ))
        .unwrap();
        panic!("a case blew up mid-run");
    })
    .join();
    assert!(joined.is_err(), "the thread panicked");
    let (pid, dir) = rx.recv().unwrap();
    // Drop ran during unwinding: the server was SIGKILLed and reaped (no zombie either).
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "server {pid} outlived its world"
    );
    assert!(!dir.exists(), "world dir {} was not removed", dir.display());
}
