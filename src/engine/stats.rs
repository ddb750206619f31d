//! Engine statistics (harness spec §2.7) and `summary()`. Per-action counters live in action
//! table order, so the summary is deterministic (never a map's iteration order).

use std::fmt::Write as _;

use super::actions::ACTIONS;
use super::classify::Outcome;

/// The result of one action (one or more td invocations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    pub action: &'static str,
    /// The actor that really ran the command (an approve may run as another actor).
    pub actor: String,
    /// Issue id(s), `a_b` for dependencies, `board:issue`, `issue~path`, …
    pub target: String,
    pub outcome: Outcome,
    /// Output of the invocation that decided the outcome.
    pub output: String,
}

/// Counters of one action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActionStats {
    pub ok: u64,
    pub expected: u64,
    pub unexpected: u64,
    pub skipped: u64,
}

impl ActionStats {
    pub fn total(&self) -> u64 {
        self.ok + self.expected + self.unexpected + self.skipped
    }
}

/// All engine counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// Indexed like [`ACTIONS`].
    per_action: Vec<ActionStats>,
    /// Every recorded action, skips included.
    pub total: u64,
    pub ok: u64,
    pub expected: u64,
    pub unexpected: u64,
    pub skipped: u64,
    /// Generator calls that returned edge data (create, update, create_child, comment, logs).
    pub edge_data: u64,
    pub field_collisions: u64,
    pub delete_mutate: u64,
    pub bursts: u64,
    pub burst_actions: u64,
    /// Every unexpected result, in order.
    pub unexpected_results: Vec<ActionResult>,
    /// Successful actions after which the actor's database did not hold what the model
    /// predicted for the target issue (status, existence).
    pub model_drift: Vec<String>,
    /// Successful single-issue actions whose prediction was checked.
    pub predictions_checked: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            per_action: vec![ActionStats::default(); ACTIONS.len()],
            total: 0,
            ok: 0,
            expected: 0,
            unexpected: 0,
            skipped: 0,
            edge_data: 0,
            field_collisions: 0,
            delete_mutate: 0,
            bursts: 0,
            burst_actions: 0,
            unexpected_results: Vec::new(),
            model_drift: Vec::new(),
            predictions_checked: 0,
        }
    }
}

impl Stats {
    /// Counts one result. Unknown action names are a programming error.
    pub fn record(&mut self, result: &ActionResult) {
        let idx = ACTIONS
            .iter()
            .position(|a| a.name == result.action)
            .unwrap_or_else(|| panic!("action {:?} is not in the table", result.action));
        let entry = &mut self.per_action[idx];
        self.total += 1;
        match &result.outcome {
            Outcome::Ok => {
                entry.ok += 1;
                self.ok += 1;
            }
            Outcome::Expected(_) => {
                entry.expected += 1;
                self.expected += 1;
            }
            Outcome::Unexpected(_) => {
                entry.unexpected += 1;
                self.unexpected += 1;
                self.unexpected_results.push(result.clone());
            }
            Outcome::Skipped(_) => {
                entry.skipped += 1;
                self.skipped += 1;
            }
        }
    }

    /// Adds the counts of `other` (a parallel lane's) to these; its lists follow these.
    pub fn absorb(&mut self, other: Stats) {
        for (mine, theirs) in self.per_action.iter_mut().zip(&other.per_action) {
            mine.ok += theirs.ok;
            mine.expected += theirs.expected;
            mine.unexpected += theirs.unexpected;
            mine.skipped += theirs.skipped;
        }
        self.total += other.total;
        self.ok += other.ok;
        self.expected += other.expected;
        self.unexpected += other.unexpected;
        self.skipped += other.skipped;
        self.edge_data += other.edge_data;
        self.field_collisions += other.field_collisions;
        self.delete_mutate += other.delete_mutate;
        self.bursts += other.bursts;
        self.burst_actions += other.burst_actions;
        self.unexpected_results.extend(other.unexpected_results);
        self.model_drift.extend(other.model_drift);
        self.predictions_checked += other.predictions_checked;
    }

    /// Counters of `action` (zero for unknown names).
    pub fn action(&self, action: &str) -> ActionStats {
        ACTIONS
            .iter()
            .position(|a| a.name == action)
            .map(|i| self.per_action[i])
            .unwrap_or_default()
    }

    /// Actions recorded at least once, in table order.
    pub fn seen_actions(&self) -> impl Iterator<Item = (&'static str, ActionStats)> + '_ {
        ACTIONS
            .iter()
            .zip(&self.per_action)
            .filter(|(_, s)| s.total() > 0)
            .map(|(a, s)| (a.name, *s))
    }

    /// `Actions: N | ExpFail: N | UnexpFail: N | Skipped: N | Edge: N`, the conflict counters,
    /// then one line per seen action in table order.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "Actions: {} | ExpFail: {} | UnexpFail: {} | Skipped: {} | Edge: {}\n",
            self.total, self.expected, self.unexpected, self.skipped, self.edge_data
        );
        let _ = writeln!(
            out,
            "Collisions: {} | DeleteMutate: {} | Bursts: {} ({} actions)",
            self.field_collisions, self.delete_mutate, self.bursts, self.burst_actions
        );
        for (name, s) in self.seen_actions() {
            let _ = writeln!(
                out,
                "  {name:<20} ok={} exp={} unexp={} skip={}",
                s.ok, s.expected, s.unexpected, s.skipped
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(action: &'static str, outcome: Outcome) -> ActionResult {
        ActionResult {
            action,
            actor: "alice".into(),
            target: "td-1".into(),
            outcome,
            output: String::new(),
        }
    }

    #[test]
    fn counts_and_summary_in_table_order() {
        let mut s = Stats::default();
        s.record(&result("ws_end", Outcome::Ok));
        s.record(&result("create", Outcome::Ok));
        s.record(&result("create", Outcome::Unexpected("boom".into())));
        s.record(&result("start", Outcome::Skipped("none".into())));
        s.record(&result("approve", Outcome::Expected("refused".into())));
        assert_eq!(
            (s.total, s.ok, s.expected, s.unexpected, s.skipped),
            (5, 2, 1, 1, 1)
        );
        assert_eq!(s.unexpected_results.len(), 1);
        assert_eq!(s.action("create").ok, 1);
        let summary = s.summary();
        let lines: Vec<&str> = summary.lines().collect();
        assert!(lines[0].starts_with("Actions: 5 | ExpFail: 1 | UnexpFail: 1 | Skipped: 1"));
        let names: Vec<&str> = lines[2..]
            .iter()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(names, ["create", "start", "approve", "ws_end"]);
    }

    #[test]
    fn absorb_adds_every_counter_and_list() {
        let mut a = Stats::default();
        a.record(&result("create", Outcome::Ok));
        a.model_drift.push("a drift".into());
        let mut b = Stats::default();
        b.record(&result("create", Outcome::Unexpected("boom".into())));
        b.record(&result("close", Outcome::Skipped("none".into())));
        b.edge_data = 2;
        b.predictions_checked = 3;
        b.model_drift.push("b drift".into());
        a.absorb(b);
        assert_eq!((a.total, a.ok, a.unexpected, a.skipped), (3, 1, 1, 1));
        assert_eq!((a.edge_data, a.predictions_checked), (2, 3));
        assert_eq!(a.action("create").total(), 2);
        assert_eq!(a.action("close").skipped, 1);
        assert_eq!(a.unexpected_results.len(), 1);
        assert_eq!(a.model_drift, ["a drift", "b drift"]);
    }
}
