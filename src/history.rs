//! `OperationHistory`: the Jepsen-style history of every td invocation a case made
//! (harness spec §7.1). Thread-safe: records may arrive from several threads; `seq` is assigned
//! under the lock, so it is dense (1, 2, 3, …) and unique.
//!
//! The JSON shape follows the original exactly (`seq`, `timestamp`, `action`, `actor`,
//! `target_id` omitted when empty, `args` (`null` when absent), `output`, `result`,
//! `duration_ns`, `error` omitted when empty); [`HistorySummary`] likewise.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// How one operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpResult {
    Ok,
    ExpectedFail,
    UnexpectedFail,
    /// Outcome unknown (Jepsen's `info`): a fault hit the operation, so it may or may not
    /// have taken effect; the engine re-reads the database instead of assuming.
    Info,
    Skip,
}

impl OpResult {
    /// The JSON spelling (`ok`, `expected_fail`, `unexpected_fail`, `info`, `skip`).
    pub fn as_str(self) -> &'static str {
        match self {
            OpResult::Ok => "ok",
            OpResult::ExpectedFail => "expected_fail",
            OpResult::UnexpectedFail => "unexpected_fail",
            OpResult::Info => "info",
            OpResult::Skip => "skip",
        }
    }
}

/// One operation (normally one td invocation; skips have no args).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRecord {
    /// Assigned by [`OperationHistory::record`]; any value passed in is overwritten.
    pub seq: u64,
    /// RFC 3339 with fractional seconds; set to now by `record` when empty.
    pub timestamp: String,
    pub action: String,
    pub actor: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_id: String,
    pub args: Option<Vec<String>>,
    pub output: String,
    pub result: OpResult,
    pub duration_ns: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

impl OperationRecord {
    /// A record with the required fields; the rest empty.
    pub fn new(action: &str, actor: &str, result: OpResult) -> Self {
        OperationRecord {
            seq: 0,
            timestamp: String::new(),
            action: action.to_string(),
            actor: actor.to_string(),
            target_id: String::new(),
            args: None,
            output: String::new(),
            result,
            duration_ns: 0,
            error: String::new(),
        }
    }
}

/// Aggregates over all records (spec §7.1 summary object).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistorySummary {
    pub total_ops: u64,
    pub by_result: BTreeMap<String, u64>,
    pub by_action: BTreeMap<String, u64>,
    pub by_actor: BTreeMap<String, u64>,
    pub avg_duration_ns: u64,
    pub max_duration_ns: u64,
    pub total_duration_ns: u64,
    pub unique_issues: u64,
}

/// Errors writing a history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("encode operation history: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("write operation history {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The ordered, thread-safe log of operations.
#[derive(Debug, Default)]
pub struct OperationHistory {
    records: Mutex<Vec<OperationRecord>>,
}

impl OperationHistory {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<OperationRecord>> {
        // A panic while holding the lock cannot leave the Vec half-updated (push is atomic
        // from our point of view), so a poisoned lock is still safe to use.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `rec`, assigning the next seq (and the timestamp when empty); returns the seq.
    pub fn record(&self, mut rec: OperationRecord) -> u64 {
        if rec.timestamp.is_empty() {
            rec.timestamp = td_core::time::action_log_now();
        }
        let mut records = self.lock();
        rec.seq = records.len() as u64 + 1;
        let seq = rec.seq;
        records.push(rec);
        seq
    }

    /// A copy of every record in seq order.
    pub fn records(&self) -> Vec<OperationRecord> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Records matching `pred`, in seq order.
    pub fn filter(&self, pred: impl Fn(&OperationRecord) -> bool) -> Vec<OperationRecord> {
        self.lock().iter().filter(|r| pred(r)).cloned().collect()
    }

    pub fn for_actor(&self, actor: &str) -> Vec<OperationRecord> {
        self.filter(|r| r.actor == actor)
    }

    /// Records whose `target_id` equals `issue_id`.
    pub fn for_issue(&self, issue_id: &str) -> Vec<OperationRecord> {
        self.filter(|r| r.target_id == issue_id)
    }

    pub fn summary(&self) -> HistorySummary {
        summarize(&self.lock())
    }

    /// Pretty JSON array of the records (2-space indent), file mode 0644.
    pub fn write_json(&self, path: &Path) -> Result<(), HistoryError> {
        let mut text = serde_json::to_string_pretty(&*self.lock())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|source| HistoryError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The human-readable report of spec §7.1.
    pub fn write_report(&self, w: &mut dyn Write) -> io::Result<()> {
        let records = self.records();
        let s = summarize(&records);
        writeln!(w, "=== Operation History Report ===")?;
        writeln!(w, "Total operations: {}", s.total_ops)?;
        writeln!(w, "Unique issues:    {}", s.unique_issues)?;
        writeln!(w, "Total duration:   {}", go_duration(s.total_duration_ns))?;
        writeln!(w, "Avg duration:     {}", go_duration(s.avg_duration_ns))?;
        writeln!(w, "Max duration:     {}", go_duration(s.max_duration_ns))?;
        writeln!(w)?;
        write_counts(w, "--- Results ---", &s.by_result)?;
        writeln!(w)?;
        write_counts(w, "--- Actions ---", &s.by_action)?;
        writeln!(w)?;
        write_counts(w, "--- Actors ---", &s.by_actor)?;
        writeln!(w)?;
        writeln!(w, "--- Recent Operations (last 20) ---")?;
        let start = records.len().saturating_sub(20);
        for r in &records[start..] {
            write!(
                w,
                "  #{:<4} {:<8} {:<10} {:<12} {:<8} {}",
                r.seq,
                r.actor,
                r.action,
                r.target_id,
                r.result.as_str(),
                go_duration(r.duration_ns)
            )?;
            if !r.error.is_empty() {
                write!(w, " err={}", r.error)?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

fn write_counts(w: &mut dyn Write, header: &str, counts: &BTreeMap<String, u64>) -> io::Result<()> {
    writeln!(w, "{header}")?;
    for (key, n) in counts {
        writeln!(w, "  {key:<20} {n}")?;
    }
    Ok(())
}

fn summarize(records: &[OperationRecord]) -> HistorySummary {
    let mut s = HistorySummary::default();
    let mut issues = BTreeSet::new();
    for r in records {
        s.total_ops += 1;
        *s.by_result
            .entry(r.result.as_str().to_string())
            .or_default() += 1;
        *s.by_action.entry(r.action.clone()).or_default() += 1;
        *s.by_actor.entry(r.actor.clone()).or_default() += 1;
        s.total_duration_ns += r.duration_ns;
        s.max_duration_ns = s.max_duration_ns.max(r.duration_ns);
        if !r.target_id.is_empty() {
            issues.insert(r.target_id.as_str());
        }
    }
    s.avg_duration_ns = s.total_duration_ns.checked_div(s.total_ops).unwrap_or(0);
    s.unique_issues = issues.len() as u64;
    s
}

/// Formats nanoseconds the way Go's `time.Duration.String` does (`135ms`, `33.75ms`,
/// `1.5s`, `2m3.5s`, `0s`), so reports read like the original's.
pub fn go_duration(ns: u64) -> String {
    const US: u64 = 1_000;
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    if ns == 0 {
        return "0s".to_string();
    }
    if ns < US {
        return format!("{ns}ns");
    }
    if ns < MS {
        return format!("{}µs", fixed(ns, US));
    }
    if ns < S {
        return format!("{}ms", fixed(ns, MS));
    }
    let hours = ns / (3600 * S);
    let minutes = (ns / (60 * S)) % 60;
    let secs = fixed(ns % (60 * S), S);
    match (hours, minutes) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

/// `value / unit` (unit a power of ten) as a decimal with the fraction's trailing zeros
/// removed.
fn fixed(value: u64, unit: u64) -> String {
    let whole = value / unit;
    let frac = value % unit;
    if frac == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rec(action: &str, actor: &str, target: &str, ms: u64, result: OpResult) -> OperationRecord {
        let mut r = OperationRecord::new(action, actor, result);
        r.target_id = target.to_string();
        r.duration_ns = ms * 1_000_000;
        r
    }

    fn sample() -> OperationHistory {
        let h = OperationHistory::new();
        h.record(rec("create", "alice", "td-aaaaaa", 10, OpResult::Ok));
        h.record(rec("update", "bob", "td-aaaaaa", 100, OpResult::Ok));
        let mut failed = rec("start", "alice", "td-bbbbbb", 20, OpResult::UnexpectedFail);
        failed.error = "timeout".to_string();
        h.record(failed);
        h.record(rec("sync", "bob", "", 5, OpResult::ExpectedFail));
        h
    }

    #[test]
    fn record_assigns_seq_and_timestamp() {
        let h = sample();
        let seqs: Vec<u64> = h.records().iter().map(|r| r.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4]);
        assert!(h.records().iter().all(|r| r.timestamp.contains('T')));
        let mut explicit = OperationRecord::new("x", "alice", OpResult::Ok);
        explicit.timestamp = "2026-01-02T03:04:05.5Z".to_string();
        explicit.seq = 99;
        assert_eq!(h.record(explicit), 5);
        assert_eq!(h.records()[4].timestamp, "2026-01-02T03:04:05.5Z");
    }

    #[test]
    fn filters() {
        let h = sample();
        assert_eq!(h.for_actor("alice").len(), 2);
        assert_eq!(h.for_actor("bob").len(), 2);
        assert_eq!(h.for_issue("td-aaaaaa").len(), 2);
        assert_eq!(h.filter(|r| r.result == OpResult::Ok).len(), 2);
        assert_eq!(h.len(), 4);
    }

    #[test]
    fn summary_of_spec_example() {
        let s = sample().summary();
        assert_eq!(s.total_ops, 4);
        assert_eq!(s.total_duration_ns, 135_000_000);
        assert_eq!(s.avg_duration_ns, 33_750_000);
        assert_eq!(s.max_duration_ns, 100_000_000);
        assert_eq!(s.unique_issues, 2);
        assert_eq!(s.by_result["ok"], 2);
        assert_eq!(s.by_action["create"], 1);
        assert_eq!(s.by_actor["alice"], 2);
        assert_eq!(go_duration(s.total_duration_ns), "135ms");
        assert_eq!(go_duration(s.avg_duration_ns), "33.75ms");
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(OperationHistory::new().summary(), HistorySummary::default());
    }

    #[test]
    fn json_shape_and_round_trip() {
        let h = sample();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        h.write_json(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let back: Vec<OperationRecord> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, h.records());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let first = &value[0];
        let keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "seq",
                "timestamp",
                "action",
                "actor",
                "target_id",
                "args",
                "output",
                "result",
                "duration_ns"
            ]
        );
        assert!(first["args"].is_null());
        assert_eq!(first["duration_ns"], 10_000_000);
        assert_eq!(value[2]["error"], "timeout");
        assert_eq!(value[2]["result"], "unexpected_fail");
        assert!(value[3].get("target_id").is_none());
        assert!(
            text.contains("\n  {\n    \"seq\": 1,"),
            "2-space indent: {text}"
        );
    }

    #[test]
    fn text_report() {
        let mut out = Vec::new();
        sample().write_report(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for needle in [
            "=== Operation History Report ===",
            "Total operations: 4",
            "Unique issues:    2",
            "Total duration:   135ms",
            "Avg duration:     33.75ms",
            "Max duration:     100ms",
            "--- Results ---",
            "  ok                   2",
            "--- Actions ---",
            "--- Actors ---",
            "--- Recent Operations (last 20) ---",
            "  #3    alice    start      td-bbbbbb    unexpected_fail 20ms err=timeout",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn concurrent_records_get_unique_seqs() {
        let h = Arc::new(OperationHistory::new());
        let threads: Vec<_> = (0..10)
            .map(|t| {
                let h = Arc::clone(&h);
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        h.record(OperationRecord::new("op", &format!("a{t}"), OpResult::Ok));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let seqs: BTreeSet<u64> = h.records().iter().map(|r| r.seq).collect();
        assert_eq!(seqs.len(), 1000);
        assert_eq!(seqs.first(), Some(&1));
        assert_eq!(seqs.last(), Some(&1000));
    }

    #[test]
    fn go_duration_forms() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(999), "999ns");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(123_500_000_000), "2m3.5s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
    }
}
