//! The shrinker on planted bugs (issue 13): for each bug injector, a seeded chaos case of at
//! least 200 actions fails; the shrinker writes a steps case of at most 10 steps that fails
//! with the same check; the same shrunk case passes without the injector.

use std::path::PathBuf;
use std::process::Command;
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

/// Through the real runner: a failing steps case is shrunk, the failure text and the JUnit
/// entry name the shrunk file and the command that runs it, and the file is a valid case
/// that fails with the same check.
#[test]
fn the_runner_shrinks_a_failing_case_and_names_the_file() {
    let reports = tempfile::tempdir().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shrink/cases");
    let out = Command::new(crate::runner::runner())
        .env("E2E_CASES_DIR", &cases)
        .env("E2E_REPORT_DIR", reports.path())
        .env("E2E_SHRINK", "60")
        .env_remove("NEXTEST")
        .args(["--test-threads", "2"])
        .output()
        .expect("run the runner");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(101), "{text}");
    let shrunk = reports.path().join("shrunk/unsynced.toml");
    assert!(text.contains(&shrunk.display().to_string()), "{text}");
    assert!(
        text.contains("cargo test --test e2e -- --exact unsynced"),
        "{text}"
    );
    assert!(
        text.contains("still failing `convergence: issues rows`"),
        "{text}"
    );
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap();
    assert!(junit.contains("shrunk/unsynced.toml"), "{junit}");
    let file = std::fs::read_to_string(&shrunk).unwrap();
    assert!(file.starts_with("# Shrunk by td-e2e"), "{file}");
    let case = td_e2e::case::parse("unsynced", &shrunk, &file).unwrap_or_else(|e| panic!("{e}"));
    let td_e2e::case::CaseKind::Steps(steps) = &case.kind else {
        panic!("not a steps case: {file}")
    };
    assert!(steps.steps.len() <= 4, "{file}");
    assert_eq!(steps.actors, 2, "carol was not needed: {file}");
    let cfg = HarnessConfig::load_default().unwrap();
    let again = td_e2e::run::run_case_in(&cfg, &case, None, None, false);
    assert!(
        again
            .checks
            .iter()
            .any(|c| !c.passed() && c.name.starts_with("convergence: issues rows")),
        "{}",
        again.failure_text()
    );
    for w in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("world kept at: "))
    {
        let _ = std::fs::remove_dir_all(w.trim());
    }
}

/// A `concurrent` step runs its commands at once, passes when the world converges, and
/// makes the case say it cannot be replayed exactly.
#[test]
fn a_concurrent_step_runs_and_is_not_exactly_replayable() {
    let text = r#"
kind = "steps"
actors = 3
[[step]]
actor = "alice"
td = ["create", "herd target"]
save = "t"
[[step]]
concurrent = [
  { actor = "alice", td = ["sync"] },
  { actor = "bob", td = ["sync"] },
  { actor = "carol", td = ["comments", "add", "{t}", "from carol"] },
]
[[step]]
sync = "all"
[[step]]
verify = ["convergence", "ledger_acked"]
"#;
    let case = td_e2e::case::parse("concurrent", std::path::Path::new("c.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = HarnessConfig::load_default().unwrap();
    let out = td_e2e::run::run_case_in(&cfg, &case, None, None, false);
    assert!(out.passed(), "{}", out.failure_text());
    assert!(
        out.not_replayable
            .as_deref()
            .is_some_and(|w| w.contains("concurrent")),
        "{:?}",
        out.not_replayable
    );
    let history = &out.history;
    assert_eq!(
        history.iter().filter(|r| r.action == "sync").count(),
        2,
        "both concurrent syncs recorded"
    );
}
