//! The dependency-cycle rule (sync spec §7.8), restated: a dependency create that would close
//! a cycle in the edges the log implies before it keeps the lexically smaller of `I|D` and
//! `D|I`; the incoming edge either replaces its direct reverse or is dropped.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use super::fold::Fold;

/// What the cycle rule decides for a dependency create.
pub(super) enum Cycle {
    Apply,
    /// The incoming edge wins: its direct reverse (issue, depends_on) goes.
    ReplaceReverse(String, String),
    /// The incoming edge loses (to the event that wrote the reverse edge, when direct).
    Skip(String, Option<i64>),
}

/// True when `on == issue` or a path leads from `on` back to `issue`.
fn closes_cycle(edges: &BTreeSet<(String, String)>, issue: &str, on: &str) -> bool {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut stack = vec![on];
    while let Some(node) = stack.pop() {
        if node == issue {
            return true;
        }
        if !seen.insert(node) {
            continue;
        }
        stack.extend(
            edges
                .range((node.to_string(), String::new())..)
                .take_while(|(from, _)| from == node)
                .map(|(_, to)| to.as_str()),
        );
    }
    false
}

impl Fold<'_> {
    /// The cycle rule (sync spec §7.8) on the edges the log implies before this event.
    pub(super) fn cycle(&self, fields: &Map<String, Json>) -> Cycle {
        let text = |k: &str| match fields.get(k) {
            Some(Json::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let (Some(issue), Some(on)) = (text("issue_id"), text("depends_on_id")) else {
            return Cycle::Apply;
        };
        let edges: BTreeSet<(String, String)> = self
            .table_rows("issue_dependencies")
            .filter(|(_, r)| r.text("relation_type") == Some("depends_on"))
            .filter_map(|(_, r)| {
                Some((
                    r.text("issue_id")?.to_string(),
                    r.text("depends_on_id")?.to_string(),
                ))
            })
            .collect();
        if !closes_cycle(&edges, &issue, &on) {
            return Cycle::Apply;
        }
        let incoming = format!("{issue}|{on}");
        let reverse = format!("{on}|{issue}");
        if incoming.as_bytes() >= reverse.as_bytes() {
            // The direct reverse edge, when it is what closes the cycle, names the winner.
            let by = self
                .table_rows("issue_dependencies")
                .find(|(_, r)| {
                    r.text("issue_id") == Some(&on) && r.text("depends_on_id") == Some(&issue)
                })
                .map(|(_, r)| r.created.seq);
            Cycle::Skip(
                format!(
                    "cycle rule: {issue} → {on} would close a cycle and {incoming:?} does not \
                     sort before {reverse:?}"
                ),
                by,
            )
        } else {
            Cycle::ReplaceReverse(on, issue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_through_paths() {
        let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c")]
            .iter()
            .map(|(x, y)| (x.to_string(), y.to_string()))
            .collect();
        assert!(closes_cycle(&edges, "c", "a"), "c → a closes a → b → c");
        assert!(closes_cycle(&edges, "a", "a"), "self edge");
        assert!(
            !closes_cycle(&edges, "a", "c"),
            "a → c is a shortcut, not a cycle"
        );
    }
}
