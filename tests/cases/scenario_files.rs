//! Every named scenario runs as a case: `cases/scenarios/<name>.toml` (soak scenarios:
//! an ignored case under `cases/soak/`) in the fixed form. The scenarios themselves run
//! only there, through the e2e runner.

use td_e2e::scenarios;

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
        // A scenario whose engine acts unsynced may declare the quarantine its apply rules
        // document (orphaned board positions); nothing else.
        let extra: Vec<&String> = v
            .keys()
            .filter(|k| !["kind", "scenario", "actors", "expect_quarantine"].contains(&k.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{}: only kind, scenario, actors (and expect_quarantine), not {extra:?}",
            path.display()
        );
        assert!(
            text.starts_with("# "),
            "{}: starts with a one-line description",
            path.display()
        );
    }
}

/// Soak scenarios run as ignored cases that name them.
#[test]
fn every_soak_scenario_has_an_ignored_case() {
    let dir = td_e2e::config::workspace_root().join("cases/soak");
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    for s in scenarios::all()
        .iter()
        .filter(|s| s.name.ends_with("_soak"))
    {
        let quoted = format!("\"{}\"", s.name);
        assert!(
            texts
                .iter()
                .any(|t| t.contains(&quoted) && t.contains("ignore")),
            "soak scenario {} has no ignored case in {}",
            s.name,
            dir.display()
        );
    }
}
