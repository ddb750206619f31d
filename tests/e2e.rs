//! The e2e runner: discovers `cases/**/*.toml`, runs each case in its own world on a rayon
//! pool of `--test-threads` workers, and lets libtest-mimic (its own threads at 1) print
//! each stored result as it arrives. Each case's reports are written when it finishes.
//!
//! A last trial, `coverage/interleavings`, waits for every case and fails when a named
//! interleaving was reached by none of them (`td_e2e::coverage`). It is enforced only when
//! every non-ignored case ran (no filter, not under nextest); otherwise it is ignored.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use libtest_mimic::{Arguments, Failed, Trial};
use td_e2e::coverage::SuiteCoverage;
use td_e2e::report::LiveReports;
use td_e2e::run::{self, CaseEntry, CaseOutcome, Ignored, Suite};

/// One case's result, filled by a pool worker and awaited by its trial.
#[derive(Default)]
struct Slot {
    outcome: Mutex<Option<CaseOutcome>>,
    ready: Condvar,
}

impl Slot {
    fn put(&self, o: CaseOutcome) {
        *self.outcome.lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
        self.ready.notify_all();
    }

    fn wait(&self) -> CaseOutcome {
        let mut g = self.outcome.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(o) = g.as_ref() {
                return o.clone();
            }
            g = self.ready.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn verdict(o: &CaseOutcome) -> Result<(), Failed> {
    if o.passed() {
        Ok(())
    } else {
        Err(Failed::from(o.failure_text()))
    }
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let exact = if args.exact {
        args.filter.as_deref()
    } else {
        None
    };
    let suite = match Suite::discover(exact) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("e2e: {e}");
            return ExitCode::from(2);
        }
    };
    let slots: Arc<Vec<Slot>> = Arc::new(suite.entries.iter().map(|_| Slot::default()).collect());
    let mut trials: Vec<Trial> = suite
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| trial(i, e, &slots))
        .collect();
    let selected: Vec<usize> = trials
        .iter()
        .enumerate()
        .filter(|(_, t)| !args.is_ignored(t) && !args.is_filtered_out(t))
        .map(|(i, _)| i)
        .collect();
    // Ignored cases that pass the filter: reported as skipped in the JUnit file.
    let skipped: Vec<usize> = trials
        .iter()
        .enumerate()
        .filter(|(_, t)| args.is_ignored(t) && !args.is_filtered_out(t))
        .map(|(i, _)| i)
        .collect();
    let reports = Arc::new(LiveReports::new(Arc::clone(&suite), skipped));
    trials.push(coverage_trial(&suite, &selected, &slots));
    if !args.list {
        eprint!("{}", suite.seed_block(&selected));
        schedule(&suite, &slots, &selected, args.test_threads, &reports);
    }
    let mut printer_args = args.clone();
    printer_args.test_threads = Some(1);
    let conclusion = libtest_mimic::run(&printer_args, trials);
    if !args.list {
        for &i in &selected {
            slots[i].wait();
        }
        if let Err(e) = reports.close() {
            eprintln!("e2e: writing reports: {e}");
            return ExitCode::from(1);
        }
    }
    conclusion.exit_code()
}

fn trial(i: usize, e: &CaseEntry, slots: &Arc<Vec<Slot>>) -> Trial {
    let slots = Arc::clone(slots);
    Trial::test(e.name.clone(), move || verdict(&slots[i].wait())).with_ignored_flag(e.ignored())
}

/// The name of the suite-level interleaving check.
const COVERAGE_TRIAL: &str = "coverage/interleavings";

/// `coverage/interleavings`: waits for every selected case, prints where each named
/// interleaving was reached, and fails naming those no case reached. Ignored unless the run
/// is the full suite (every non-ignored case selected, not one case per process).
fn coverage_trial(suite: &Suite, selected: &[usize], slots: &Arc<Vec<Slot>>) -> Trial {
    let runnable = suite.entries.iter().filter(|e| !e.ignored()).count();
    let chosen = selected
        .iter()
        .filter(|&&i| !suite.entries[i].ignored())
        .count();
    let full = runnable > 0 && chosen == runnable && std::env::var_os("NEXTEST").is_none();
    let slots = Arc::clone(slots);
    let selected = selected.to_vec();
    Trial::test(COVERAGE_TRIAL, move || {
        if !full {
            return Ok(());
        }
        let mut coverage = SuiteCoverage::default();
        for &i in &selected {
            let o = slots[i].wait();
            if let Some(reached) = &o.interleavings {
                coverage.add(&o.name, reached);
            }
        }
        match coverage.check() {
            Ok(table) => {
                eprint!("{table}");
                Ok(())
            }
            Err(e) => Err(Failed::from(e)),
        }
    })
    .with_ignored_flag(!full)
}

/// Runs the selected cases on a rayon pool in the background, longest first, each worker
/// taking the next case when it finishes one; each result lands in its slot.
fn schedule(
    suite: &Arc<Suite>,
    slots: &Arc<Vec<Slot>>,
    selected: &[usize],
    threads: Option<usize>,
    reports: &Arc<LiveReports>,
) {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1);
    let order = suite.longest_first(selected);
    let (suite, slots, reports) = (Arc::clone(suite), Arc::clone(slots), Arc::clone(reports));
    std::thread::spawn(move || {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("e2e-world-{i}"))
            .build()
            .expect("rayon pool");
        let next = AtomicUsize::new(0);
        pool.scope(|s| {
            for _ in 0..threads {
                s.spawn(|_| {
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let outcome = run::execute(&suite, i);
                        if let Err(e) = reports.finished(&outcome) {
                            eprintln!("e2e: writing the reports of {}: {e}", outcome.name);
                        }
                        slots[i].put(outcome);
                    }
                });
            }
        });
    });
}
