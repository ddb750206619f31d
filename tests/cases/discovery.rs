//! Discovery over a fixture tree: every `**/*.toml`, sorted by name, broken files kept with
//! their error so the rest still run.

use std::path::{Path, PathBuf};

use td_e2e::case::{discover, load_named, CaseKind};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/case_discovery")
}

#[test]
fn discovers_every_toml_sorted_by_name() {
    let found = discover(&root());
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "broken/bad-syntax",
            "broken/unknown-key",
            "chaos/adaptive-2",
            "nested/deeper/x",
            "regressions/seed-1234-min",
            "scenarios/dependency-cycle",
        ]
    );
    let kinds: Vec<&str> = found
        .iter()
        .filter_map(|c| c.case.as_ref().ok())
        .map(|c| c.kind.label())
        .collect();
    assert_eq!(kinds, ["chaos", "scenario", "steps", "scenario"]);
    let nested = found[3].case.as_ref().unwrap();
    assert!(nested.ignored);
    assert_eq!((nested.actors(), nested.seed()), (3, Some(9)));
}

#[test]
fn a_broken_file_is_kept_with_file_line_and_key() {
    let found = discover(&root());
    let err = found[1].case.as_ref().unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.ends_with("broken/unknown-key.toml:4:1: key `seeed`: unknown field `seeed`, expected one of `kind`, `scenario`, `actors`, `seed`, `ignored`, `expect_quarantine`"),
        "{shown}"
    );
    let err = found[0].case.as_ref().unwrap_err();
    assert_eq!(err.line, 4, "{err}"); // end of input, after the open array
    assert!(err.file.ends_with("broken/bad-syntax.toml"));
}

#[test]
fn a_named_case_is_loaded_without_scanning() {
    let case = load_named(&root(), "scenarios/dependency-cycle").unwrap();
    let CaseKind::Scenario(s) = case.case.unwrap().kind else {
        panic!("not a scenario")
    };
    assert_eq!(s.scenario, "dependency_cycle");
    assert!(load_named(&root(), "scenarios/nope").is_none());
}

#[test]
fn a_missing_root_has_no_cases() {
    assert!(discover(&root().join("nope")).is_empty());
}
