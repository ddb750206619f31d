//! The shrinker's proof on planted bugs, shared by `tests/world/shrink.rs` and
//! `benches/shrink.rs`: a seeded chaos case runs with a bug injector and fails; the failure
//! is shrunk; the shrunk file is run again with the injector (it must fail with the same
//! check) and without it (it must pass).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{shrink, ShrinkError, ShrinkOptions, ShrinkRequest, ShrinkSummary, Signature};
use crate::case::{self, Case};
use crate::config::HarnessConfig;
use crate::faults::BugInjector;
use crate::run::{run_case_in, CaseOutcome, WorldHook};

/// What one proof run found.
#[derive(Debug)]
pub struct Proof {
    pub bug: BugInjector,
    /// The chaos run with the bug.
    pub run: CaseOutcome,
    pub run_time: Duration,
    pub summary: ShrinkSummary,
    /// The shrunk file with the bug: its failing signatures.
    pub with_bug: Vec<Signature>,
    /// The shrunk file without the bug.
    pub without_bug: CaseOutcome,
}

/// Why a proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("the chaos case text does not parse: {0}")]
    Case(String),
    #[error("the chaos run with {bug} passed: the injector {fired}")]
    DidNotFail { bug: &'static str, fired: String },
    #[error("the chaos run's history is not readable: {0}")]
    History(String),
    #[error(transparent)]
    Shrink(#[from] ShrinkError),
}

/// A world hook that plants `bug`.
pub fn plant(bug: BugInjector) -> WorldHook {
    Arc::new(move |h| {
        h.faults().plant_bug(bug);
    })
}

/// The chaos case of the proof: `actions` actions, `actors` actors, fixed `seed`.
pub fn chaos_case(
    bug: BugInjector,
    actions: u64,
    actors: usize,
    seed: u64,
) -> Result<Case, ProofError> {
    let name = format!("shrink-proof/{}", bug.name());
    let text = format!(
        "kind = \"chaos\"\nactors = {actors}\nactions = {actions}\nseed = {seed}\n\
         expect_quarantine = [\"board_issue_positions\"]\n"
    );
    case::parse(&name, &PathBuf::from(format!("{name}.toml")), &text)
        .map_err(|e| ProofError::Case(e.to_string()))
}

/// Runs the whole proof for `bug`.
pub fn prove(
    cfg: &HarnessConfig,
    bug: BugInjector,
    case: &Case,
    budget: Duration,
    out_dir: PathBuf,
) -> Result<Proof, ProofError> {
    let hook = plant(bug);
    let started = Instant::now();
    let run = run_case_in(cfg, case, case.seed(), Some(&hook), false);
    let run_time = started.elapsed();
    if run.passed() {
        return Err(ProofError::DidNotFail {
            bug: bug.name(),
            fired: "may not have fired (no check failed)".into(),
        });
    }
    let req = ShrinkRequest {
        case,
        seed: case.seed(),
        history: &run.history,
        checks: &run.checks,
    };
    let opts = ShrinkOptions {
        budget,
        out_dir,
        hook: Some(Arc::clone(&hook)),
    };
    let summary = shrink(cfg, &req, &opts)?;
    let text = std::fs::read_to_string(&summary.path).map_err(|e| ShrinkError::Write {
        path: summary.path.clone(),
        source: e,
    })?;
    let shrunk = case::parse(&summary.case_name, &summary.path, &text)
        .map_err(|e| ShrinkError::Invalid(e.to_string()))?;
    let again = run_case_in(cfg, &shrunk, None, Some(&hook), false);
    let with_bug = Signature::failing(&again.checks);
    let without_bug = run_case_in(cfg, &shrunk, None, None, false);
    Ok(Proof {
        bug,
        run,
        run_time,
        summary,
        with_bug,
        without_bug,
    })
}
