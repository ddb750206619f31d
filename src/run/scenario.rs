//! A `scenario` case: a named scenario of `src/scenarios/`, looked up once before the world
//! is set up (it decides the world's actors and late joiners), then run with the case's seed.

use super::outcome::CaseOutcome;
use crate::case::{Case, CaseKind};
use crate::harness::Harness;
use crate::scenarios::Scenario;

/// The scenario a scenario case names (`None` for other kinds), looked up once before the
/// world is set up: an unknown name is an error that costs no world.
pub fn resolve(case: &Case) -> Result<Option<&'static Scenario>, String> {
    let CaseKind::Scenario(s) = &case.kind else {
        return Ok(None);
    };
    let sc = crate::scenarios::find(&s.scenario).ok_or_else(|| {
        let known: Vec<&str> = crate::scenarios::all().iter().map(|s| s.name).collect();
        format!(
            "unknown scenario {:?} (known: {})",
            s.scenario,
            known.join(", ")
        )
    })?;
    Ok(Some(sc))
}

/// Runs the scenario's phases; its check results (at least one) go into `out`.
pub fn run(h: &Harness, sc: &Scenario, seed: u64, out: &mut CaseOutcome) {
    if let Some(note) = sc.replay_note {
        out.not_replayable = Some(note.to_string());
    }
    out.enter("scenario");
    let results = (sc.run)(h, seed);
    out.history = h.history().records();
    out.enter("verify");
    if results.is_empty() {
        out.error(
            "the scenario checked nothing",
            format!("scenario {} returned no results", sc.name),
        );
    }
    out.add_checks(results);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::resolve;
    use crate::case::parse;

    fn case(text: &str) -> crate::case::Case {
        parse("t", Path::new("t.toml"), text).expect("valid case")
    }

    #[test]
    fn a_scenario_is_resolved_by_name_and_an_unknown_one_lists_the_known() {
        let known = case("kind = \"scenario\"\nscenario = \"dependency_cycle\"\nactors = 2\n");
        assert_eq!(resolve(&known).unwrap().unwrap().name, "dependency_cycle");
        let unknown = case("kind = \"scenario\"\nscenario = \"no_such_thing\"\nactors = 2\n");
        let e = resolve(&unknown).unwrap_err();
        assert!(
            e.starts_with("unknown scenario \"no_such_thing\" (known: "),
            "{e}"
        );
        assert!(e.contains("dependency_cycle"), "{e}");
        let chaos = case("kind = \"chaos\"\nactors = 2\nactions = 1\n");
        assert!(resolve(&chaos).unwrap().is_none());
    }
}
