//! What running one case produced, and the text a failure prints.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::history::OperationRecord;
use crate::report::ChaosReport;
use crate::verify::CheckResult;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    /// A check failed or an action failed unexpectedly.
    Failed,
    /// The case could not run: malformed file, world setup failure, panic.
    Errored,
}

/// The result of one case, with everything the reports need.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub name: String,
    pub status: Status,
    /// One line: what failed first.
    pub summary: String,
    /// Every failing check with its details, unexpected action failures, errors.
    pub details: Vec<String>,
    /// Every check result (passing ones too), in order.
    pub checks: Vec<CheckResult>,
    pub seed: Option<u64>,
    /// Why an exact replay is impossible (duration budgets, truly concurrent steps).
    pub not_replayable: Option<String>,
    pub duration: Duration,
    /// The world directory kept on disk for a failed case.
    pub world: Option<PathBuf>,
    /// The ChaosReport (chaos cases).
    pub chaos_report: Option<ChaosReport>,
    /// The OperationHistory's records, in seq order (every kind of case records one).
    pub history: Vec<OperationRecord>,
    /// The phase the case is in (world setup, chaos, heal, sync_all, final reads, verify).
    pub phase: &'static str,
    /// The phase of the first failure.
    pub failed_phase: Option<&'static str>,
    /// Wall time of each finished phase, in order.
    pub phase_times: Vec<(&'static str, Duration)>,
    phase_started: Instant,
    /// What shrinking the failure produced: the shrunk file and the command that runs it,
    /// or why it could not be shrunk.
    pub shrunk: Option<String>,
    /// The case's HTML page (timeline, verifications), named in the failure text.
    pub page: Option<PathBuf>,
    /// The named interleavings the case's history shows (chaos cases; `None` otherwise).
    pub interleavings:
        Option<std::collections::BTreeMap<crate::coverage::Interleaving, crate::coverage::Reached>>,
}

impl CaseOutcome {
    pub fn new(name: &str) -> CaseOutcome {
        CaseOutcome {
            name: name.to_string(),
            status: Status::Passed,
            summary: String::new(),
            details: Vec::new(),
            checks: Vec::new(),
            seed: None,
            not_replayable: None,
            duration: Duration::ZERO,
            world: None,
            chaos_report: None,
            history: Vec::new(),
            phase: "setup",
            failed_phase: None,
            phase_times: Vec::new(),
            phase_started: Instant::now(),
            shrunk: None,
            page: None,
            interleavings: None,
        }
    }

    /// An outcome for a case that could not run at all.
    pub fn errored(name: &str, message: impl Into<String>) -> CaseOutcome {
        let message = message.into();
        let mut o = CaseOutcome::new(name);
        o.status = Status::Errored;
        o.summary = message.lines().next().unwrap_or("").to_string();
        o.details.push(message);
        o
    }

    /// Enters a named phase; a failure from now on says it happened there.
    pub fn enter(&mut self, phase: &'static str) {
        self.close_phase();
        self.phase = phase;
    }

    /// Ends the current phase's clock (the next `enter` starts another).
    pub fn close_phase(&mut self) {
        let now = Instant::now();
        self.phase_times
            .push((self.phase, now - self.phase_started));
        self.phase_started = now;
    }

    pub fn passed(&self) -> bool {
        self.status == Status::Passed
    }

    /// Records a failure (keeps the first summary).
    pub fn fail(&mut self, summary: impl Into<String>, details: impl Into<String>) {
        let summary = summary.into();
        if self.status == Status::Passed {
            self.status = Status::Failed;
            self.failed_phase = Some(self.phase);
        }
        if self.summary.is_empty() {
            self.summary = summary;
        }
        self.details.push(details.into());
    }

    /// Setup/infrastructure error: the case could not finish.
    pub fn error(&mut self, summary: impl Into<String>, details: impl Into<String>) {
        self.fail(summary, details);
        self.status = Status::Errored;
    }

    /// Adds check results; each non-passing one is a failure.
    pub fn add_checks(&mut self, checks: Vec<CheckResult>) {
        for c in &checks {
            if !c.passed() {
                self.fail(
                    format!("{} {}", c.verdict, c.name),
                    format!("{}: {} — {}", c.verdict, c.name, c.details),
                );
            }
        }
        self.checks.extend(checks);
    }

    /// The exact command that replays this case.
    pub fn replay_command(&self) -> String {
        match self.seed {
            Some(s) => format!(
                "E2E_SEED={s} cargo test --test e2e -- --exact {}",
                self.name
            ),
            None => format!("cargo test --test e2e -- --exact {}", self.name),
        }
    }

    /// The whole failure message: what diverged, where the world is, and (last line) the
    /// replay command.
    pub fn failure_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("{}: {}\n", self.name, self.summary));
        if let Some(phase) = self.failed_phase {
            out.push_str(&format!("failed in phase: {phase}\n"));
        }
        for d in self.details.iter().filter(|d| d.trim_end() != self.summary) {
            out.push_str(d.trim_end());
            out.push('\n');
        }
        if let Some(seed) = self.seed {
            out.push_str(&format!("seed: {seed}\n"));
        }
        if let Some(w) = &self.world {
            out.push_str(&format!("world kept at: {}\n", w.display()));
        }
        match &self.not_replayable {
            Some(why) => out.push_str(&format!(
                "note: this run cannot be replayed exactly: {why}\n"
            )),
            None => out.push_str(
                "replayable exactly: every choice flows from the seed and the steps run one \
                 at a time\n",
            ),
        }
        if let Some(s) = &self.shrunk {
            out.push_str(s.trim_end());
            out.push('\n');
        }
        if let Some(p) = &self.page {
            out.push_str(&format!("timeline and checks: {}\n", p.display()));
        }
        out.push_str(&format!("replay: {}", self.replay_command()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_text_names_checks_and_ends_with_replay() {
        let mut o = CaseOutcome::new("chaos/x");
        o.seed = Some(42);
        o.add_checks(vec![
            CheckResult::valid("convergence: comments", "ok"),
            CheckResult::invalid(
                "convergence: issues rows [alice vs bob]",
                "only on alice: td-1",
            ),
        ]);
        assert!(!o.passed());
        let t = o.failure_text();
        assert!(
            t.contains("FAIL: convergence: issues rows [alice vs bob] — only on alice: td-1"),
            "{t}"
        );
        assert!(!t.contains("comments"), "{t}");
        assert_eq!(
            t.lines().last().unwrap(),
            "replay: E2E_SEED=42 cargo test --test e2e -- --exact chaos/x"
        );
    }
}
