//! The suite-level "sometimes" check (Antithesis): every named interleaving must be
//! reached by at least one case of a full default run. Each case contributes what its own
//! history showed; [`SuiteCoverage`] gathers them, prints where each was reached, and names
//! the ones no case reached.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::interleavings::{Interleaving, Reached};

/// Where each interleaving was reached across the cases of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteCoverage {
    /// Per interleaving: (case, what it reached), in the order cases were added.
    by_kind: BTreeMap<Interleaving, Vec<(String, Reached)>>,
    cases: usize,
}

impl SuiteCoverage {
    /// Adds one case's reached interleavings.
    pub fn add(&mut self, case: &str, reached: &BTreeMap<Interleaving, Reached>) {
        self.cases += 1;
        for (kind, r) in reached {
            self.by_kind
                .entry(*kind)
                .or_default()
                .push((case.to_string(), r.clone()));
        }
    }

    /// The interleavings no case reached, in [`Interleaving::ALL`] order.
    pub fn unreached(&self) -> Vec<Interleaving> {
        Interleaving::ALL
            .into_iter()
            .filter(|k| !self.by_kind.contains_key(k))
            .collect()
    }

    /// One line per interleaving: how often, in how many cases, and the first place.
    pub fn table(&self) -> String {
        let mut out = format!("interleavings reached across {} case(s):\n", self.cases);
        for kind in Interleaving::ALL {
            match self.by_kind.get(&kind) {
                None => {
                    let _ = writeln!(out, "  {:<31} NOT REACHED", kind.name());
                }
                Some(hits) => {
                    let total: u64 = hits.iter().map(|(_, r)| r.count).sum();
                    let (case, first) = &hits[0];
                    let _ = writeln!(
                        out,
                        "  {:<31} {total}x in {} case(s); e.g. {case} {}",
                        kind.name(),
                        hits.len(),
                        first.example
                    );
                }
            }
        }
        out
    }

    /// Ok with the table, or the table and the unreached names.
    pub fn check(&self) -> Result<String, String> {
        let missing = self.unreached();
        if missing.is_empty() {
            return Ok(self.table());
        }
        let names: Vec<&str> = missing.iter().map(|k| k.name()).collect();
        Err(format!(
            "{} named interleaving(s) never reached by any case: {}\n{}",
            missing.len(),
            names.join(", "),
            self.table()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(seq: u64) -> Reached {
        Reached {
            count: 2,
            first_seq: seq,
            example: format!("#{seq} alice update td-1 --title"),
        }
    }

    fn all_but(missing: &[Interleaving]) -> BTreeMap<Interleaving, Reached> {
        Interleaving::ALL
            .into_iter()
            .filter(|k| !missing.contains(k))
            .map(|k| (k, hit(7)))
            .collect()
    }

    #[test]
    fn every_interleaving_reached_somewhere_passes_and_says_where() {
        let mut s = SuiteCoverage::default();
        s.add("chaos/a", &all_but(&[Interleaving::PullAcrossPages]));
        s.add(
            "chaos/b",
            &BTreeMap::from([(Interleaving::PullAcrossPages, hit(9))]),
        );
        let table = s.check().unwrap();
        assert!(table.contains("pull_across_pages"), "{table}");
        assert!(
            table.contains("2x in 1 case(s); e.g. chaos/b #9"),
            "{table}"
        );
        assert!(
            table.contains("same_field_conflict             4x")
                || table.contains("2x in 1 case(s); e.g. chaos/a"),
            "{table}"
        );
    }

    #[test]
    fn an_unreachable_interleaving_fails_the_suite_by_name() {
        let mut s = SuiteCoverage::default();
        s.add(
            "chaos/a",
            &all_but(&[
                Interleaving::UndoOfSyncedAction,
                Interleaving::PushAcrossBatches,
            ]),
        );
        s.add("chaos/b", &BTreeMap::new());
        let err = s.check().unwrap_err();
        assert!(
            err.starts_with(
                "2 named interleaving(s) never reached by any case: undo_of_synced_action, \
                 push_across_batches"
            ),
            "{err}"
        );
        assert!(
            err.contains("undo_of_synced_action           NOT REACHED"),
            "{err}"
        );
        assert_eq!(
            s.unreached(),
            [
                Interleaving::UndoOfSyncedAction,
                Interleaving::PushAcrossBatches
            ]
        );
    }

    #[test]
    fn no_cases_reach_nothing() {
        assert_eq!(
            SuiteCoverage::default().unreached().len(),
            Interleaving::ALL.len()
        );
    }
}
