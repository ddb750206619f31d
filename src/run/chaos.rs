//! A chaos case: the chaos loop (with faults), heal, `sync_all`, final reads, verify.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::outcome::CaseOutcome;
use super::run_checks;
use crate::driver::{Driver, DriverError};
use crate::engine::{run_chaos, Budget, ChaosConfig, ChaosHooks, Nemesis, Progress};
use crate::harness::Harness;
use crate::history::OperationHistory;
use crate::report::{ChaosReport, RunFacts};
use crate::verify::{CheckKind, IssueOwner};

/// What a chaos case asks for, in runtime form.
#[derive(Debug, Clone)]
pub struct ChaosParams {
    pub config: ChaosConfig,
    pub checks: Vec<CheckKind>,
    /// Extra `sync_all` rounds of the idempotency check.
    pub idempotency_rounds: usize,
}

/// The nemesis of a world: restarts go through the harness (same data, same port).
impl Nemesis for Harness {
    fn restart_server(&self) -> Result<(), DriverError> {
        Harness::restart_server(self).map_err(|e| DriverError::Other(e.to_string()))
    }
}

/// Prints progress to stderr at most every few seconds and at the end.
fn progress_printer(name: String) -> impl FnMut(&Progress) {
    let mut last = Instant::now();
    move |p: &Progress| {
        // Only long cases report progress: a line every 5 s of wall time.
        if last.elapsed() < Duration::from_secs(5) {
            return;
        }
        last = Instant::now();
        let of = p.total.map_or_else(String::new, |t| format!("/{t}"));
        eprintln!(
            "[{name}] {}{of} actions, {} syncs, {} unexpected, {:.1}s",
            p.actions_done,
            p.syncs,
            p.unexpected,
            p.elapsed.as_secs_f64()
        );
    }
}

/// Runs the phases and records everything in `out`.
pub fn run(h: &Harness, p: &ChaosParams, out: &mut CaseOutcome) {
    let history = Arc::new(OperationHistory::new());
    let start = Instant::now();
    let mut printer = progress_printer(out.name.clone());
    let hooks = ChaosHooks {
        history: Arc::clone(&history),
        nemesis: Some(h),
        progress: Some(&mut printer),
    };
    if let Budget::Duration(d) = p.config.budget {
        out.not_replayable = Some(format!(
            "the run stops on wall time ({d:?}), not on an action count"
        ));
    }
    let chaos = match run_chaos(h, &p.config, hooks) {
        Ok(c) => c,
        Err(e) => {
            out.error(
                format!("chaos loop stopped: {e}"),
                format!("chaos loop stopped: {e}"),
            );
            out.history = history_json(&history);
            return;
        }
    };
    let mut engine = chaos.engine;
    // Heal: every actor syncs until all have everything; a failure here is a finding.
    let results = match h.sync_all() {
        Ok(()) => {
            if let Err(e) = engine.refresh_all() {
                out.error(format!("refresh models: {e}"), e.to_string());
            }
            let owners: Vec<IssueOwner> = engine
                .live_issues_by_creator()
                .into_iter()
                .map(|(id, who)| IssueOwner::new(id, who))
                .collect();
            run_checks(h, &owners, p.idempotency_rounds, &p.checks).into_results()
        }
        Err(e) => {
            out.fail(
                "final sync_all failed",
                format!("final sync_all failed: {e}"),
            );
            Vec::new()
        }
    };
    let stats = engine.stats().clone();
    for u in stats.unexpected_results.iter().take(20) {
        out.fail(
            format!("{} unexpected action failure(s)", stats.unexpected),
            format!(
                "unexpected failure: action={} actor={} target={}\n  output: {}",
                u.action,
                u.actor,
                u.target,
                u.output.trim()
            ),
        );
    }
    for e in chaos.sync_errors.iter().take(5) {
        out.details
            .push(format!("note: sync error during chaos (healed later): {e}"));
    }
    let facts = RunFacts {
        seed: p.config.seed,
        duration_ms: start.elapsed().as_millis() as u64,
        actors: h.actors().len() as u64,
        sync_count: chaos.syncs,
    };
    let report = ChaosReport::new(
        facts,
        &stats,
        results
            .iter()
            .map(|r| (r.name.clone(), r.passed(), r.details.clone())),
    );
    out.chaos_report = report.to_json().ok();
    out.history = history_json(&history);
    out.add_checks(results);
}

/// The OperationHistory as pretty JSON.
pub fn history_json(h: &OperationHistory) -> Option<String> {
    serde_json::to_string_pretty(&h.records()).ok()
}
