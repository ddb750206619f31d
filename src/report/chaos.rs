//! `ChaosReport`: the per-chaos-case JSON report with exactly the original's fields, in the
//! original's order (harness spec §7.2): seed, actions, duration_ms, actors, results,
//! per_action (sorted keys), verifications, sync_stats, pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::Stats;

/// Totals over all actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultTotals {
    pub total: u64,
    pub ok: u64,
    pub expected_fail: u64,
    pub unexpected_fail: u64,
    pub skipped: u64,
}

/// Counts for one action (the last two are additions to the original's three).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionTotals {
    pub ok: u64,
    pub expected_fail: u64,
    pub unexpected_fail: u64,
    /// Outcome unknown because a fault hit it (syncs under faults; td's local commands
    /// never end this way).
    #[serde(default)]
    pub info: u64,
    /// Drawn but not run: nothing in the actor's model to act on.
    #[serde(default)]
    pub skipped: u64,
}

/// One verifier result as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationEntry {
    pub name: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStats {
    pub count: u64,
}

/// The chaos report. Field order is the JSON order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosReport {
    pub seed: u64,
    /// Every recorded action, skips included.
    pub actions: u64,
    pub duration_ms: u64,
    pub actors: u64,
    pub results: ResultTotals,
    pub per_action: BTreeMap<String, ActionTotals>,
    /// `null` when there are no results, as the original writes a nil slice.
    pub verifications: Option<Vec<VerificationEntry>>,
    pub sync_stats: SyncStats,
    /// All verifications passed and no action failed unexpectedly.
    pub pass: bool,
    /// Faults injected per kind and operations whose outcome they made unknown (absent in
    /// reports built without a world).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<FaultStats>,
    /// How the world converged after heal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convergence: Option<ConvergenceStats>,
    /// Wall time per phase (setup, chaos, heal, sync_all, final reads, verify), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phases_ms: Vec<(String, u64)>,
    /// Where the chaos phase's time went (td actions, td syncs, refreshes, reads, observers).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chaos_time_ms: BTreeMap<String, u64>,
    /// The named interleavings the run's history shows (see `coverage`), by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interleavings: Option<BTreeMap<String, crate::coverage::Reached>>,
    /// The swarm shape of this seed, when the case is a swarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<String>,
}

/// The nemesis's part of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultStats {
    /// Faults that fired, per kind (`partition`, `lost_response`, …).
    pub injected: BTreeMap<String, u64>,
    /// Operations recorded with result `info` (outcome unknown because of a fault).
    pub info_ops: u64,
    /// What a replay with the same seed cannot reproduce, if anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub replay_note: String,
}

/// Rounds and wall time from heal to quiet replicas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvergenceStats {
    pub rounds: u64,
    pub millis: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("encode chaos report: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("write chaos report {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What the report needs besides the engine stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunFacts {
    pub seed: u64,
    pub duration_ms: u64,
    pub actors: u64,
    pub sync_count: u64,
}

impl ChaosReport {
    /// Builds the report from engine stats and verifier results given as
    /// `(name, passed, details)` in verifier order.
    pub fn new(
        facts: RunFacts,
        stats: &Stats,
        verifications: impl IntoIterator<Item = (String, bool, String)>,
    ) -> Self {
        let entries: Vec<VerificationEntry> = verifications
            .into_iter()
            .map(|(name, passed, details)| VerificationEntry {
                name,
                passed,
                details,
            })
            .collect();
        let per_action: BTreeMap<String, ActionTotals> = stats
            .seen_actions()
            .map(|(name, s)| {
                let totals = ActionTotals {
                    ok: s.ok,
                    expected_fail: s.expected,
                    unexpected_fail: s.unexpected,
                    info: 0,
                    skipped: s.skipped,
                };
                (name.to_string(), totals)
            })
            .collect();
        let results = ResultTotals {
            total: stats.total,
            ok: stats.ok,
            expected_fail: stats.expected,
            unexpected_fail: stats.unexpected,
            skipped: stats.skipped,
        };
        let pass = entries.iter().all(|v| v.passed) && stats.unexpected == 0;
        ChaosReport {
            seed: facts.seed,
            actions: stats.total,
            duration_ms: facts.duration_ms,
            actors: facts.actors,
            results,
            per_action,
            verifications: (!entries.is_empty()).then_some(entries),
            sync_stats: SyncStats {
                count: facts.sync_count,
            },
            pass,
            faults: None,
            convergence: None,
            phases_ms: Vec::new(),
            chaos_time_ms: BTreeMap::new(),
            interleavings: None,
            swarm: None,
        }
    }

    /// Adds `sync`, `sync_push` and `sync_pull` to `per_action`, counted from the history's
    /// sync records (ok, info when a fault explains a failure, unexpected otherwise).
    pub fn set_sync_verbs(&mut self, records: &[crate::history::OperationRecord]) {
        use crate::history::OpResult;
        for r in records {
            if !matches!(r.action.as_str(), "sync" | "sync_push" | "sync_pull") {
                continue;
            }
            let t = self.per_action.entry(r.action.clone()).or_default();
            match r.result {
                OpResult::Ok => t.ok += 1,
                OpResult::Info => t.info += 1,
                OpResult::ExpectedFail => t.expected_fail += 1,
                OpResult::UnexpectedFail => t.unexpected_fail += 1,
                OpResult::Skip => t.skipped += 1,
            }
        }
    }

    /// Adds the interleavings the run reached.
    pub fn set_interleavings(
        &mut self,
        reached: &BTreeMap<crate::coverage::Interleaving, crate::coverage::Reached>,
    ) {
        self.interleavings = Some(
            reached
                .iter()
                .map(|(k, r)| (k.name().to_string(), r.clone()))
                .collect(),
        );
    }

    /// Adds the fault counts of the world and the `info` operations of its history.
    pub fn set_faults(
        &mut self,
        counts: &BTreeMap<crate::faults::FaultKind, u64>,
        records: &[crate::history::OperationRecord],
    ) {
        let timing = [
            crate::faults::FaultKind::Latency,
            crate::faults::FaultKind::SlowLink,
        ];
        let replay_note = if timing.iter().any(|k| counts.contains_key(k)) {
            "latency values replay exactly from the seed; their wall-clock effects (which \
             requests overlap inside the server, what times out) may differ"
                .to_string()
        } else {
            String::new()
        };
        self.faults = Some(FaultStats {
            injected: counts
                .iter()
                .map(|(k, n)| (k.name().to_string(), *n))
                .collect(),
            info_ops: records
                .iter()
                .filter(|r| r.result == crate::history::OpResult::Info)
                .count() as u64,
            replay_note,
        });
    }

    /// Adds how the world converged after heal.
    pub fn set_convergence(&mut self, rounds: usize, elapsed: std::time::Duration) {
        self.convergence = Some(ConvergenceStats {
            rounds: rounds as u64,
            millis: elapsed.as_millis() as u64,
        });
    }

    pub fn set_phases(&mut self, phases: &[(&'static str, std::time::Duration)]) {
        self.phases_ms = phases
            .iter()
            .map(|(p, d)| (p.to_string(), d.as_millis() as u64))
            .collect();
    }

    pub fn set_chaos_time(&mut self, p: &crate::engine::profile::Profile) {
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        self.chaos_time_ms = BTreeMap::from([
            ("td_actions".to_string(), ms(p.td_actions)),
            ("td_syncs".to_string(), ms(p.td_syncs)),
            ("refresh".to_string(), ms(p.refresh)),
            ("db_reads".to_string(), ms(p.db_reads)),
            ("observers".to_string(), ms(p.observers)),
            // Parallel lanes: their segments' wall time, and how much of td_actions ran
            // while another lane's td also ran (wall time in td = td_actions + td_syncs -
            // td_overlap).
            ("lanes".to_string(), ms(p.lanes)),
            ("td_overlap".to_string(), ms(p.td_overlap)),
        ]);
    }

    /// Pretty JSON with 2-space indent.
    pub fn to_json(&self) -> Result<String, ReportError> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// Writes the pretty JSON to `path` (mode 0644).
    pub fn write_json(&self, path: &Path) -> Result<(), ReportError> {
        let mut text = self.to_json()?;
        text.push('\n');
        std::fs::write(path, text).map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ActionResult, Outcome};

    fn stats() -> Stats {
        let mut s = Stats::default();
        let result = |action, outcome| ActionResult {
            action,
            actor: "alice".to_string(),
            target: String::new(),
            outcome,
            output: String::new(),
        };
        s.record(&result("update", Outcome::Ok));
        s.record(&result("create", Outcome::Ok));
        s.record(&result("create", Outcome::Expected("x".into())));
        s.record(&result("start", Outcome::Skipped("none".into())));
        s
    }

    fn facts() -> RunFacts {
        RunFacts {
            seed: 42,
            duration_ms: 1234,
            actors: 2,
            sync_count: 7,
        }
    }

    #[test]
    fn fields_in_original_order() {
        let r = ChaosReport::new(
            facts(),
            &stats(),
            vec![
                ("issues match".to_string(), true, String::new()),
                ("monotonic".to_string(), false, "dup seq 4".to_string()),
            ],
        );
        let json = r.to_json().unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "seed",
                "actions",
                "duration_ms",
                "actors",
                "results",
                "per_action",
                "verifications",
                "sync_stats",
                "pass"
            ]
        );
        let results: Vec<&str> = v["results"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            results,
            ["total", "ok", "expected_fail", "unexpected_fail", "skipped"]
        );
        assert_eq!(v["results"]["total"], 4);
        assert_eq!(v["results"]["ok"], 2);
        assert_eq!(v["results"]["skipped"], 1);
        let per_action: Vec<&str> = v["per_action"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(per_action, ["create", "start", "update"], "sorted keys");
        assert_eq!(v["per_action"]["start"]["skipped"], 1);
        assert_eq!(v["per_action"]["create"]["expected_fail"], 1);
        assert_eq!(v["per_action"]["create"]["info"], 0);
        assert!(v["verifications"][0].get("details").is_none());
        assert_eq!(v["verifications"][1]["details"], "dup seq 4");
        assert_eq!(v["sync_stats"]["count"], 7);
        assert_eq!(v["pass"], false);
    }

    #[test]
    fn sync_verbs_are_counted_from_the_history() {
        use crate::history::{OpResult, OperationRecord};
        let mut r = ChaosReport::new(facts(), &stats(), Vec::new());
        r.set_sync_verbs(&[
            OperationRecord::new("sync", "alice", OpResult::Ok),
            OperationRecord::new("sync", "bob", OpResult::Info),
            OperationRecord::new("sync_push", "bob", OpResult::Ok),
            OperationRecord::new("sync_pull", "alice", OpResult::UnexpectedFail),
            OperationRecord::new("update", "alice", OpResult::Ok),
        ]);
        assert_eq!((r.per_action["sync"].ok, r.per_action["sync"].info), (1, 1));
        assert_eq!(r.per_action["sync_push"].ok, 1);
        assert_eq!(r.per_action["sync_pull"].unexpected_fail, 1);
        assert_eq!(
            r.per_action["update"].ok, 1,
            "from the stats, not the history"
        );
    }

    #[test]
    fn pass_needs_all_checks_and_no_unexpected() {
        let ok = ChaosReport::new(facts(), &stats(), vec![("a".into(), true, String::new())]);
        assert!(ok.pass);
        let mut s = stats();
        s.record(&ActionResult {
            action: "close",
            actor: "bob".into(),
            target: String::new(),
            outcome: Outcome::Unexpected("exit 1".into()),
            output: String::new(),
        });
        let bad = ChaosReport::new(facts(), &s, vec![("a".into(), true, String::new())]);
        assert!(!bad.pass);
    }

    #[test]
    fn no_verifications_is_null() {
        let r = ChaosReport::new(facts(), &stats(), Vec::new());
        let v: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
        assert!(v["verifications"].is_null());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        r.write_json(&path).unwrap();
        let back: ChaosReport =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
