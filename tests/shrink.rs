//! The shrinker on planted bugs (issue 13): for each bug injector, a seeded chaos case of at
//! least 200 actions fails; the shrinker writes a steps case of at most 10 steps that fails
//! with the same check; the same shrunk case passes without the injector.

use std::time::Duration;

use td_e2e::config::HarnessConfig;
use td_e2e::faults::BugInjector;
use td_e2e::shrink::proof::{chaos_case, prove};

const ACTIONS: u64 = 200;
const SEED: u64 = 13;
const BUDGET: Duration = Duration::from_secs(120);

fn check(bug: BugInjector) {
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let case = chaos_case(bug, ACTIONS, 2, SEED).expect("case");
    let out_dir = cfg.report_dir().join("shrunk-proof");
    let p =
        prove(&cfg, bug, &case, BUDGET, out_dir).unwrap_or_else(|e| panic!("{}: {e}", bug.name()));
    let s = &p.summary;
    eprintln!(
        "{}: {} -> {} steps ({:.0}x), {} replays, {:.1} s shrinking; {}",
        bug.name(),
        s.steps_before,
        s.steps_after,
        s.ratio(),
        s.replays,
        s.elapsed.as_secs_f64(),
        s.path.display()
    );
    assert!(!p.run.passed(), "the chaos run with {} passed", bug.name());
    assert!(
        s.steps_after <= 10,
        "{}: shrunk to {} steps (> 10): {}",
        bug.name(),
        s.steps_after,
        s.path.display()
    );
    assert!(
        p.with_bug.contains(&s.target),
        "{}: the shrunk case with the injector failed {:?}, not `{}`",
        bug.name(),
        p.with_bug,
        s.target
    );
    assert!(
        p.without_bug.passed(),
        "{}: the shrunk case fails without the injector:\n{}",
        bug.name(),
        p.without_bug.failure_text()
    );
}

#[test]
fn drop_pushed_field_shrinks() {
    check(BugInjector::DropPushedField);
}

#[test]
fn drop_pulled_event_shrinks() {
    check(BugInjector::DropPulledEvent);
}

#[test]
fn swap_pulled_events_shrinks() {
    check(BugInjector::SwapPulledEvents);
}

#[test]
fn fake_push_acks_shrinks() {
    check(BugInjector::FakePushAcks);
}
