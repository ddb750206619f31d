//! Which check failed, as the shrinker compares it: the check's result name without its
//! actor or project label (`convergence: issues rows [alice vs bob]` →
//! `convergence: issues rows`), so the check and the entity kind it names must match while
//! the actors may change. A candidate counts only when it fails with the same signature.

use std::fmt;

use crate::verify::{CheckKind, CheckResult};

/// The identity of a failing check: check name and entity kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature(String);

impl Signature {
    /// The signature of a result name.
    pub fn of(name: &str) -> Signature {
        let trimmed = name.trim_end();
        let base = match (trimmed.ends_with(']'), trimmed.rfind(" [")) {
            (true, Some(at)) => &trimmed[..at],
            _ => trimmed,
        };
        Signature(base.trim().to_string())
    }

    /// Signatures of every failing (not passing) result, in order, without repeats.
    pub fn failing(results: &[CheckResult]) -> Vec<Signature> {
        let mut out: Vec<Signature> = Vec::new();
        for r in results.iter().filter(|r| !r.passed()) {
            let s = Signature::of(&r.name);
            if !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How a steps case reproduces this check: `Some(Some(kind))` through a `verify`
    /// step, `Some(None)` when every steps case runs it anyway (server log, quarantine),
    /// `None` when only a chaos run has it (session guarantees, engine model, faults).
    pub fn check_kind(&self) -> Option<Option<CheckKind>> {
        let s = self.0.as_str();
        let starts =
            |p: &str| s == p || s.starts_with(&format!("{p}:")) || s.starts_with(&format!("{p} "));
        let kind = if starts("convergence") {
            CheckKind::Convergence
        } else if starts("action_log agreement") {
            CheckKind::ActionLog
        } else if starts("event counts") {
            CheckKind::EventCounts
        } else if starts("monotonic server_seq") {
            CheckKind::Monotonic
        } else if starts("causal ordering") {
            CheckKind::Causal
        } else if starts("ledger acked") {
            CheckKind::LedgerAcked
        } else if starts("ledger no duplicate") {
            CheckKind::LedgerNoDuplicate
        } else if starts("ledger dense") {
            CheckKind::LedgerDense
        } else if starts("heads") {
            CheckKind::Heads
        } else if starts("oracle") {
            CheckKind::Oracle
        } else if starts("replay") || starts("idempotency") {
            CheckKind::Idempotency
        } else if starts("read-your-writes") {
            CheckKind::ReadYourWrites
        } else if starts("field-level merge") {
            CheckKind::FieldMerge
        } else if starts("quarantine") || starts("server log") {
            return Some(None);
        } else {
            return None;
        };
        Some(Some(kind))
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_dropped_entity_kinds_kept() {
        assert_eq!(
            Signature::of("convergence: issues rows [alice vs bob]").as_str(),
            "convergence: issues rows"
        );
        assert_eq!(
            Signature::of("ledger acked [carol]").as_str(),
            "ledger acked"
        );
        assert_ne!(
            Signature::of("convergence: issues rows [alice vs bob]"),
            Signature::of("convergence: comments rows [alice vs bob]")
        );
        assert_eq!(
            Signature::of("quarantine: no undeclared skipped remote event").as_str(),
            "quarantine: no undeclared skipped remote event"
        );
    }

    #[test]
    fn kinds() {
        let k = |n: &str| Signature::of(n).check_kind();
        assert_eq!(
            k("convergence: issues rows [a vs b]"),
            Some(Some(CheckKind::Convergence))
        );
        assert_eq!(k("ledger dense [p_1]"), Some(Some(CheckKind::LedgerDense)));
        assert_eq!(
            k("oracle: issues [alice, bob]"),
            Some(Some(CheckKind::Oracle))
        );
        assert_eq!(
            k("replay: re-pull from cursor 0 changes nothing [bob]"),
            Some(Some(CheckKind::Idempotency))
        );
        assert_eq!(
            k("quarantine: no undeclared skipped remote event"),
            Some(None)
        );
        assert_eq!(
            k("engine model: predictions hold after successful actions"),
            None
        );
    }

    #[test]
    fn failing_keeps_order_without_repeats() {
        let rs = vec![
            CheckResult::valid("convergence: comments rows [a vs b]", "ok"),
            CheckResult::invalid("ledger acked [bob]", "x"),
            CheckResult::invalid("convergence: issues rows [a vs b]", "x"),
            CheckResult::invalid("ledger acked [alice]", "x"),
        ];
        let f = Signature::failing(&rs);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].as_str(), "ledger acked");
    }
}
