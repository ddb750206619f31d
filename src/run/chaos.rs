//! A chaos case: the chaos loop (with faults), heal, `sync_all`, final reads, verify.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::outcome::CaseOutcome;
use super::run_checks;
use crate::driver::Driver;
use crate::engine::{run_chaos, Budget, ChaosConfig, ChaosHooks, ChaosOutcome, Progress};
use crate::faults::{FaultKind, Nemesis};
use crate::harness::Harness;
use crate::report::{ChaosReport, RunFacts};
use crate::verify::server_db::ServerData;
use crate::verify::session::SessionMonitor;
use crate::verify::{CheckKind, CheckResult, IssueOwner};

/// What a chaos case asks for, in runtime form.
#[derive(Debug, Clone)]
pub struct ChaosParams {
    pub config: ChaosConfig,
    pub checks: Vec<CheckKind>,
    /// Extra `sync_all` rounds of the idempotency check.
    pub idempotency_rounds: usize,
    /// Remote-event kinds a replica may quarantine.
    pub expect_quarantine: Vec<String>,
    /// Readers and outsiders beside the actors.
    pub access: crate::case::AccessPlan,
    /// td's push batch and pull page sizes in this world.
    pub sizes: crate::coverage::Sizes,
}

/// Prints progress of a long case (actions done of total, syncs, faults, elapsed) at most
/// once a second — only when stderr is a terminal: in a log, a progress line could land
/// between libtest's `test NAME ... ` and its `ok`. Each line is one write under the lock.
fn progress_printer(name: String) -> impl FnMut(&Progress) {
    let on = std::io::stderr().is_terminal();
    let mut last = Instant::now();
    move |p: &Progress| {
        if !on || last.elapsed() < Duration::from_secs(1) {
            return;
        }
        last = Instant::now();
        let of = p.total.map_or_else(String::new, |t| format!("/{t}"));
        let line = format!(
            "[{name}] {}{of} actions, {} syncs, {} faults, {} unexpected, {:.1}s\n",
            p.actions_done,
            p.syncs,
            p.faults,
            p.unexpected,
            p.elapsed.as_secs_f64()
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// Runs the phases — chaos (with faults), heal, `sync_all`, final reads, verify — and
/// records everything in `out`.
pub fn run(h: &Harness, p: &ChaosParams, out: &mut CaseOutcome) {
    let history = h.history();
    let start = Instant::now();
    let mut printer = progress_printer(out.name.clone());
    let server = super::server_side(h);
    let mut monitor = SessionMonitor::new(ServerData::new(&server.data_dir), h.project_id());
    let mut access = match super::access::AccessProbe::setup(h, p.access) {
        Ok(a) => a,
        Err(e) => {
            out.error(format!("access devices: {e}"), e);
            return;
        }
    };
    let mut observe = |actor: &str| {
        monitor.after_sync(actor, &h.db_path(actor));
        access.after_sync();
    };
    let hooks = ChaosHooks {
        history: Arc::clone(&history),
        nemesis: Some(h.faults()),
        progress: Some(&mut printer),
        after_sync: Some(&mut observe),
    };
    if let Budget::Duration(d) = p.config.budget {
        out.not_replayable = Some(format!(
            "the run stops on wall time ({d:?}), not on an action count"
        ));
    }
    out.enter("chaos");
    let chaos = match run_chaos(h, &p.config, hooks) {
        Ok(c) => c,
        Err(e) => {
            out.error(
                format!("chaos loop stopped: {e}"),
                format!("chaos loop stopped: {e}"),
            );
            out.history = history.records();
            return;
        }
    };
    let session = monitor.result();
    let access = access.finish();
    out.enter("heal");
    if let Err(e) = h.faults().heal() {
        out.error(format!("heal failed: {e}"), format!("heal failed: {e}"));
    }
    out.enter("sync_all");
    let converged = super::liveness::converge(h);
    let fault_results = fault_checks(h, p, &chaos);
    let syncs = chaos.syncs;
    let mut engine = chaos.engine;
    let results = match &converged {
        Ok(c) => {
            out.enter("final reads");
            if let Err(e) = engine.refresh_all() {
                out.error(format!("refresh models: {e}"), e.to_string());
            }
            let owners: Vec<IssueOwner> = engine
                .live_issues_by_creator()
                .into_iter()
                .map(|(id, who)| IssueOwner::new(id, who))
                .collect();
            out.enter("verify");
            let mut results = run_checks(
                h,
                &owners,
                engine.intents(),
                p.idempotency_rounds,
                &p.checks,
            )
            .into_results();
            results.push(c.result());
            results
        }
        Err(e) => {
            out.fail("replicas did not converge after heal", e.to_string());
            Vec::new()
        }
    };
    let stats = engine.stats().clone();
    let work = crate::coverage::work_check(&stats, h.config().coverage.max_idle_share);
    let drift = CheckResult::from_violations(
        "engine model: predictions hold after successful actions",
        format!(
            "{} successful single-issue actions checked against the database",
            stats.predictions_checked
        ),
        &stats.model_drift,
    );
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
    let facts = RunFacts {
        seed: p.config.seed,
        duration_ms: start.elapsed().as_millis() as u64,
        actors: h.actors().len() as u64,
        sync_count: syncs,
    };
    let hygiene = super::hygiene_checks(h, &p.expect_quarantine);
    let all: Vec<_> = results
        .into_iter()
        .chain(fault_results)
        .chain([session, drift, work])
        .chain(access)
        .chain(hygiene)
        .collect();
    let mut report = ChaosReport::new(
        facts,
        &stats,
        all.iter()
            .map(|r| (r.name.clone(), r.passed(), r.details.clone())),
    );
    let records = history.records();
    report.set_faults(&h.faults().counts(), &records);
    report.set_sync_verbs(&records);
    let reached = crate::coverage::detect(&records, p.sizes);
    report.set_interleavings(&reached);
    report.swarm = p.config.swarm.clone();
    out.interleavings = Some(reached);
    if let Ok(c) = &converged {
        report.set_convergence(c.rounds, c.elapsed);
    }
    out.close_phase();
    report.set_phases(&out.phase_times);
    report.set_chaos_time(engine.profile());
    out.chaos_report = Some(report);
    out.history = history.records();
    out.add_checks(all);
}

/// What the faults themselves must show: every sync failure explained, every enabled kind
/// fired, every postcondition a fault left behind intact.
fn fault_checks(h: &Harness, p: &ChaosParams, chaos: &ChaosOutcome<'_>) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let unexplained: Vec<String> = chaos.sync_errors.iter().take(10).cloned().collect();
    out.push(if unexplained.is_empty() {
        CheckResult::valid(
            "faults: no unexplained sync failure",
            format!(
                "{} sync points; {} syncs failed under a fault (info)",
                chaos.syncs, chaos.info_syncs
            ),
        )
    } else {
        CheckResult::invalid(
            "faults: no unexplained sync failure",
            format!(
                "{} sync(s) failed with no fault to explain it:\n{}",
                chaos.sync_errors.len(),
                unexplained.join("\n")
            ),
        )
    });
    let counts = h.faults().counts();
    let kinds = p.config.faults.kinds();
    if !kinds.is_empty() {
        let silent: Vec<&str> = kinds
            .iter()
            .filter(|k| counts.get(k).copied().unwrap_or(0) == 0)
            .map(|k| k.name())
            .collect();
        let fired = render_counts(&counts);
        out.push(if silent.is_empty() {
            CheckResult::valid("faults: every enabled kind fired", fired)
        } else {
            CheckResult::invalid(
                "faults: every enabled kind fired",
                format!(
                    "enabled but never fired: {} (fired: {fired}); a fault that never fired \
                     proves nothing — raise its rate or the case's length",
                    silent.join(", ")
                ),
            )
        });
    }
    let broken = h.faults().core().violations();
    out.push(CheckResult::from_violations(
        "faults: postconditions",
        format!(
            "{} fault postcondition(s) held",
            counts.values().sum::<u64>()
        ),
        &broken,
    ));
    out
}

/// `kind=count, …` in kind order.
pub fn render_counts(counts: &std::collections::BTreeMap<FaultKind, u64>) -> String {
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{}={n}", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
