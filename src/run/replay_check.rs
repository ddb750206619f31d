//! `E2E_REPLAY_CHECK=1`: a case runs twice with one seed and fails unless both runs made
//! the same operations — actor, action, arguments, target and result of every record, in
//! order — once ids are numbered by first appearance (td's ids are random; everything else
//! flows from the seed). Determinism is tested, not assumed.

use std::collections::HashMap;

use crate::history::OperationRecord;
use crate::verify::CheckResult;

/// The result name of the check.
pub const NAME: &str = "replay check: one seed, one operation sequence";

/// Id prefixes td and td-sync generate (client spec ids, server project ids).
const ID_PREFIXES: [&str; 14] = [
    "td-", "ws-", "bd-", "ses_", "lg-", "ho-", "cm-", "gs-", "al-", "rv-", "dep_", "ifl_", "bip_",
    "p_",
];

/// True when `E2E_REPLAY_CHECK` asks for the check.
pub fn enabled() -> bool {
    std::env::var("E2E_REPLAY_CHECK").is_ok_and(|v| v.trim() == "1")
}

/// Replaces every generated id in `text` by `#N`, numbered by first appearance in `ids`.
fn normalise_text(text: &str, ids: &mut HashMap<String, usize>) -> String {
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        let boundary = out
            .chars()
            .last()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
        if boundary {
            for p in ID_PREFIXES {
                let Some(after) = rest.strip_prefix(p) else {
                    continue;
                };
                let hex = after
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                    .count();
                let ends = after[hex..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
                if hex >= 4 && ends {
                    let id = &rest[..p.len() + hex];
                    let n = ids.len() + 1;
                    let n = *ids.entry(id.to_string()).or_insert(n);
                    out.push_str(&format!("#{n}"));
                    rest = &rest[p.len() + hex..];
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().expect("non-empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// One line per record: actor, action, arguments, target, result; ids normalised.
pub fn normalise(records: &[OperationRecord]) -> Vec<String> {
    let mut ids = HashMap::new();
    records
        .iter()
        .map(|r| {
            let args = r.args.as_ref().map_or_else(String::new, |a| {
                a.iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let line = format!(
                "{} {} [{args}] target={} {}",
                r.actor,
                r.action,
                r.target_id,
                r.result.as_str()
            );
            normalise_text(&line, &mut ids)
        })
        .collect()
}

/// Compares two runs' histories.
pub fn compare(first: &[OperationRecord], second: &[OperationRecord]) -> CheckResult {
    let (a, b) = (normalise(first), normalise(second));
    match a.iter().zip(&b).position(|(x, y)| x != y) {
        None if a.len() == b.len() => CheckResult::valid(
            NAME,
            format!("{} operations, the same in both runs", a.len()),
        ),
        None => CheckResult::invalid(
            NAME,
            format!(
                "the runs agree for {} operations, then one has {} and the other {}; \
                 first extra: {}",
                a.len().min(b.len()),
                a.len(),
                b.len(),
                a.get(b.len()).or(b.get(a.len())).map_or("", String::as_str)
            ),
        ),
        Some(i) => CheckResult::invalid(
            NAME,
            format!(
                "operation {} differs:\n  first run:  {}\n  second run: {}",
                i + 1,
                a[i],
                b[i]
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::OpResult;

    fn rec(actor: &str, args: &[&str]) -> OperationRecord {
        let mut r = OperationRecord::new(args[0], actor, OpResult::Ok);
        r.args = Some(args.iter().map(|s| s.to_string()).collect());
        r
    }

    #[test]
    fn ids_are_numbered_by_first_appearance() {
        let mut ids = HashMap::new();
        assert_eq!(
            normalise_text(
                "close td-ab12cd then td-00ff11, td-ab12cd; ws-1a2b",
                &mut ids
            ),
            "close #1 then #2, #1; #3"
        );
        assert_eq!(
            normalise_text("xtd-ab12cd td-abc", &mut ids),
            "xtd-ab12cd td-abc"
        );
    }

    #[test]
    fn same_shape_different_ids_agree_and_a_change_is_named() {
        let a = vec![
            rec("alice", &["create", "t"]),
            rec("bob", &["close", "td-aaaaaa"]),
        ];
        let b = vec![
            rec("alice", &["create", "t"]),
            rec("bob", &["close", "td-bbbbbb"]),
        ];
        assert!(compare(&a, &b).passed());
        let c = vec![
            rec("alice", &["create", "t"]),
            rec("carol", &["close", "td-bbbbbb"]),
        ];
        let r = compare(&a, &c);
        assert!(!r.passed());
        assert!(r.details.contains("operation 2 differs"), "{}", r.details);
        assert!(r.details.contains("carol"), "{}", r.details);
        let r = compare(&a, &a[..1]);
        assert!(
            r.details.contains("then one has 2 and the other 1"),
            "{}",
            r.details
        );
    }
}
