//! The runner's own tests: fixture cases run through the real runner binary (`tests/e2e.rs`),
//! checking its exit status, its output and the JUnit file it writes.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The e2e runner executable, built (once) with cargo.
pub fn runner() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["test", "--test", "e2e", "--no-run", "--message-format=json"])
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m.pointer("/target/name").and_then(|n| n.as_str()) == Some("e2e"))
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the e2e executable")
    })
    .clone()
}

struct Run {
    code: Option<i32>,
    output: String,
    junit: String,
}

fn run_fixtures(extra: &[&str]) -> Run {
    run_cases("tests/fixtures/runner/cases", extra)
}

fn run_cases(dir: &str, extra: &[&str]) -> Run {
    let reports = tempfile::tempdir().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let out = Command::new(runner())
        .env("E2E_CASES_DIR", &cases)
        .env("E2E_REPORT_DIR", reports.path())
        .env_remove("NEXTEST")
        .env_remove("E2E_SEED")
        .args(extra)
        .output()
        .expect("run the runner");
    let junit = std::fs::read_to_string(reports.path().join("junit.xml")).unwrap_or_default();
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        code: out.status.code(),
        output,
        junit,
    }
}

/// The result libtest printed for `name` (`ok`, `FAILED`, `ignored`).
fn result_of(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("test ")?;
            let (n, result) = rest.split_once(" ... ")?;
            (n.trim() == name).then(|| result.trim().to_string())
        })
        .unwrap_or_default()
}

#[test]
fn exactly_the_broken_cases_fail_with_what_diverged_and_how_to_replay() {
    let r = run_fixtures(&["--test-threads", "2"]);
    assert_eq!(r.code, Some(101), "{}", r.output);
    assert_eq!(result_of(&r.output, "passing"), "ok", "{}", r.output);
    // Steps cases reach no named interleaving: the full fixture run fails that check too.
    assert_eq!(
        result_of(&r.output, "coverage/interleavings"),
        "FAILED",
        "{}",
        r.output
    );
    assert_eq!(result_of(&r.output, "broken"), "FAILED", "{}", r.output);
    assert_eq!(
        result_of(&r.output, "sql-must-fail"),
        "FAILED",
        "{}",
        r.output
    );
    // The malformed file is named with its line and key.
    assert!(
        r.output.contains("broken.toml:3:1: key `acters`"),
        "{}",
        r.output
    );
    // The SQL failure shows the diverging value and ends with the replay command.
    assert!(
        r.output
            .contains("\"a title that is not the expected one\""),
        "{}",
        r.output
    );
    assert!(
        r.output
            .contains("replay: cargo test --test e2e -- --exact sql-must-fail"),
        "{}",
        r.output
    );
    assert!(r.output.contains("world kept at: "), "{}", r.output);
    assert!(
        r.output.contains("timeline and checks: ") && r.output.contains("html/sql-must-fail.html"),
        "{}",
        r.output
    );
    // JUnit: one suite, one testcase per case, the right kinds of result.
    assert_eq!(r.junit.matches("<testsuite ").count(), 1, "{}", r.junit);
    assert_eq!(r.junit.matches("<testcase ").count(), 3, "{}", r.junit);
    assert!(r.junit.contains("<error type=\"setup\""), "{}", r.junit);
    assert!(
        r.junit.contains("<failure type=\"verification\""),
        "{}",
        r.junit
    );
    assert!(
        r.junit.contains("failures=\"1\"") && r.junit.contains("errors=\"1\""),
        "{}",
        r.junit
    );
    // And a real JUnit consumer reads it the same way.
    let parsed = junit_parser::from_reader(std::io::Cursor::new(r.junit.as_bytes()))
        .expect("junit-parser loads the report");
    assert_eq!(parsed.suites.len(), 1);
    let status = |name: &str| {
        // The consumer shows a case as `classname::name`; a case's class is its group.
        let group = name.split('/').next().unwrap();
        let full = format!("{group}::{name}");
        let case = parsed.suites[0].cases.iter().find(|c| c.name == full);
        let names: Vec<&str> = parsed.suites[0]
            .cases
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        case.unwrap_or_else(|| panic!("{name} not in the report: {names:?}"))
            .status
            .clone()
    };
    assert!(status("passing").is_success());
    assert!(status("sql-must-fail").is_failure());
    assert!(status("broken").is_error());
    // What CI dashboards read: the case file, and the failure in system-out too.
    assert!(
        r.junit
            .contains("file=\"tests/fixtures/runner/cases/sql-must-fail.toml\""),
        "{}",
        r.junit
    );
    let out_at = r.junit.find("<system-out>").expect("system-out");
    assert!(
        r.junit[out_at..].contains("replay: cargo test --test e2e -- --exact sql-must-fail"),
        "{}",
        r.junit
    );
    for w in r
        .output
        .lines()
        .filter_map(|l| l.strip_prefix("world kept at: "))
    {
        let _ = std::fs::remove_dir_all(w.trim());
    }
}

#[test]
fn a_full_run_fails_when_a_named_interleaving_is_unreachable() {
    let r = run_cases("tests/fixtures/coverage/cases", &["--test-threads", "2"]);
    assert_eq!(r.code, Some(101), "{}", r.output);
    assert_eq!(result_of(&r.output, "two-actors"), "ok", "{}", r.output);
    assert_eq!(
        result_of(&r.output, "coverage/interleavings"),
        "FAILED",
        "{}",
        r.output
    );
    assert!(
        r.output.contains("never reached by any case: ")
            && r.output
                .contains("three_actors_one_issue          NOT REACHED"),
        "{}",
        r.output
    );
    // What was reached is listed with where: the case and the history seq.
    assert!(r.output.contains("e.g. two-actors #"), "{}", r.output);
    assert!(
        !r.output
            .contains("push_across_batches             NOT REACHED"),
        "{}",
        r.output
    );
    // A filtered run is not the suite: the check is ignored, not failed.
    let r = run_cases("tests/fixtures/coverage/cases", &["two-actors"]);
    assert_eq!(r.code, Some(0), "{}", r.output);
    assert_eq!(
        result_of(&r.output, "coverage/interleavings"),
        "",
        "filtered out: {}",
        r.output
    );
}

#[test]
fn list_and_exact_filter_select_cases_by_name() {
    let r = run_fixtures(&["--list"]);
    assert_eq!(r.code, Some(0), "{}", r.output);
    for name in ["broken: test", "passing: test", "sql-must-fail: test"] {
        assert!(r.output.contains(name), "{}", r.output);
    }
    let r = run_fixtures(&["--exact", "passing"]);
    assert_eq!(r.code, Some(0), "{}", r.output);
    assert!(r.output.contains("1 passed; 0 failed"), "{}", r.output);
    assert_eq!(r.junit.matches("<testcase ").count(), 1, "{}", r.junit);
}

#[test]
fn a_mistyped_exact_name_fails_and_names_the_nearest_cases() {
    let r = run_fixtures(&["--exact", "pasing"]);
    assert_eq!(r.code, Some(2), "{}", r.output);
    assert!(
        r.output
            .contains("--exact \"pasing\" matches no case; nearest: passing"),
        "{}",
        r.output
    );
    for bad in ["../runner/cases/passing", "/etc/passwd"] {
        let r = run_fixtures(&["--exact", bad]);
        assert_eq!(r.code, Some(2), "{}", r.output);
        assert!(r.output.contains("no `..`, not absolute"), "{}", r.output);
    }
}

#[test]
fn under_nextest_each_case_is_its_own_process_with_its_own_junit_file() {
    let reports = tempfile::tempdir().unwrap();
    let cases = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runner/cases");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "nextest",
            "run",
            "--test",
            "e2e",
            "--no-fail-fast",
            "--color",
            "never",
        ])
        .env("E2E_CASES_DIR", &cases)
        .env("E2E_REPORT_DIR", reports.path())
        .env_remove("E2E_SEED")
        .output()
        .expect("cargo nextest (installed with the toolchain on this project's machines)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success(),
        "two fixture cases must fail:\n{text}"
    );
    assert!(text.contains("3 tests run: 1 passed, 2 failed"), "{text}");
    for case in ["passing", "broken", "sql-must-fail"] {
        let f = reports.path().join(format!("junit-{case}.xml"));
        let xml =
            std::fs::read_to_string(&f).unwrap_or_else(|e| panic!("{}: {e}\n{text}", f.display()));
        assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    }
    assert!(
        !reports.path().join("junit.xml").exists(),
        "no shared junit.xml under nextest"
    );
    for w in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("world kept at: "))
    {
        let _ = std::fs::remove_dir_all(w.trim());
    }
}
