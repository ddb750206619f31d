//! Liveness after heal: every actor syncs, round after round, until a whole round finds
//! nothing to push and nothing to pull anywhere — within `[faults] converge_rounds` and
//! `converge_timeout`. A world that never gets there fails as "did not converge".

use std::time::{Duration, Instant};

use crate::driver::Driver;
use crate::harness::Harness;
use crate::history::{OpResult, OperationRecord};
use crate::verify::CheckResult;

/// How the world converged.
#[derive(Debug, Clone)]
pub struct Converged {
    /// Rounds of `td sync` over every actor, the quiet one included.
    pub rounds: usize,
    pub elapsed: Duration,
}

impl Converged {
    pub fn result(&self) -> CheckResult {
        CheckResult::valid(
            "liveness: converged after heal",
            format!(
                "every replica quiet after {} round(s) of td sync, {:.2} s",
                self.rounds,
                self.elapsed.as_secs_f64()
            ),
        )
    }
}

/// Why it did not.
#[derive(Debug, thiserror::Error)]
#[error("replicas did not converge within {rounds} round(s) / {elapsed:.1?} after heal; last round:\n{last}")]
pub struct NotConverged {
    pub rounds: usize,
    pub elapsed: Duration,
    /// What each actor's last sync said.
    pub last: String,
}

/// True when a successful `td sync` moved nothing either way.
fn quiet(output: &str) -> bool {
    output.contains("Nothing to push.") && output.contains("Nothing to pull.")
}

/// Records one convergence sync in the world's history (the timeline shows the heal).
fn record(
    h: &Harness,
    actor: &str,
    synced: &Result<crate::driver::TdOutput, crate::driver::DriverError>,
) {
    let (result, output, error, took) = match synced {
        Ok(o) if o.ok() => (OpResult::Ok, o.output.clone(), String::new(), o.duration),
        Ok(o) => (
            OpResult::UnexpectedFail,
            o.output.clone(),
            String::new(),
            o.duration,
        ),
        Err(e) => (
            OpResult::UnexpectedFail,
            String::new(),
            e.to_string(),
            Duration::ZERO,
        ),
    };
    let mut rec = OperationRecord::new("sync", actor, result);
    rec.args = Some(vec!["sync".to_string()]);
    rec.output = output;
    rec.error = error;
    rec.duration_ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
    h.history().record(rec);
}

/// Syncs every actor until a round is quiet everywhere.
pub fn converge(h: &Harness) -> Result<Converged, NotConverged> {
    let cfg = h.config();
    let (max_rounds, budget) = (cfg.faults.converge_rounds, cfg.converge_timeout());
    let start = Instant::now();
    let mut last = Vec::new();
    for round in 1..=max_rounds {
        last.clear();
        let mut all_quiet = true;
        for actor in h.actors() {
            let synced = h.sync(&actor);
            record(h, &actor, &synced);
            let said = match synced {
                Ok(out) if out.ok() => {
                    all_quiet &= quiet(&out.output);
                    format!("{actor}: {}", out.output.trim().replace('\n', " | "))
                }
                Ok(out) => {
                    all_quiet = false;
                    format!("{actor}: exit {:?}: {}", out.code, out.output.trim())
                }
                Err(e) => {
                    all_quiet = false;
                    format!("{actor}: {e}")
                }
            };
            last.push(said);
        }
        if all_quiet {
            return Ok(Converged {
                rounds: round,
                elapsed: start.elapsed(),
            });
        }
        if start.elapsed() > budget {
            break;
        }
    }
    Err(NotConverged {
        rounds: max_rounds,
        elapsed: start.elapsed(),
        last: last.join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_needs_both_directions() {
        assert!(quiet("Nothing to push.\nNothing to pull.\n"));
        assert!(!quiet("Pushed 3 events.\nNothing to pull.\n"));
        assert!(!quiet("Nothing to push.\nPulled 2 events (2 applied).\n"));
    }
}
