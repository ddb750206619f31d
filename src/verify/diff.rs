//! Row differences as the original's `rowDiff` prints them (harness spec §5.2), over rendered
//! rows treated as multisets, capped, with counts; truncation never splits a character.

use std::collections::BTreeMap;

/// Rows listed per side before the rest is summarised as a count.
pub const ROWS_SHOWN: usize = 8;
/// Characters of one rendered row shown before it is cut.
pub const ROW_CHARS: usize = 400;

/// Cuts `s` to at most `max` characters (not bytes), marking the cut with `…(+N chars)`.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((byte, _)) => {
            let rest = s[byte..].chars().count();
            format!("{}…(+{rest} chars)", &s[..byte])
        }
    }
}

/// `None` when both sides hold the same multiset of rows; otherwise a message like
/// `alice has 3 rows, bob has 2 rows; 1 only on alice, 0 only on bob` followed by the
/// differing rows (`  only on alice: {…}`), sorted, each surplus copy listed.
pub fn row_diff(a_name: &str, a: &[String], b_name: &str, b: &[String]) -> Option<String> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for r in a {
        *counts.entry(r).or_default() += 1;
    }
    for r in b {
        *counts.entry(r).or_default() -= 1;
    }
    let only_a = expand(&counts, 1);
    let only_b = expand(&counts, -1);
    if only_a.is_empty() && only_b.is_empty() {
        return None;
    }
    let mut out = format!(
        "{a_name} has {} rows, {b_name} has {} rows; {} only on {a_name}, {} only on {b_name}",
        a.len(),
        b.len(),
        only_a.len(),
        only_b.len()
    );
    list_side(&mut out, a_name, &only_a);
    list_side(&mut out, b_name, &only_b);
    Some(out)
}

/// Rows whose count has the given sign, one entry per surplus copy.
fn expand<'a>(counts: &BTreeMap<&'a str, i64>, sign: i64) -> Vec<&'a str> {
    counts
        .iter()
        .filter(|(_, n)| n.signum() == sign)
        .flat_map(|(row, n)| std::iter::repeat_n(*row, n.unsigned_abs() as usize))
        .collect()
}

fn list_side(out: &mut String, name: &str, rows: &[&str]) {
    for row in rows.iter().take(ROWS_SHOWN) {
        out.push_str(&format!(
            "\n  only on {name}: {}",
            truncate_chars(row, ROW_CHARS)
        ));
    }
    if rows.len() > ROWS_SHOWN {
        out.push_str(&format!(
            "\n  … and {} more only on {name}",
            rows.len() - ROWS_SHOWN
        ));
    }
}

/// Lists at most [`ROWS_SHOWN`] items, one per line with two-space indent, then a count of
/// the rest.
pub fn capped_lines(items: &[String]) -> String {
    let mut out = String::new();
    for item in items.iter().take(ROWS_SHOWN) {
        out.push_str("\n  ");
        out.push_str(&truncate_chars(item, ROW_CHARS));
    }
    if items.len() > ROWS_SHOWN {
        out.push_str(&format!("\n  … and {} more", items.len() - ROWS_SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(rows: &[&str]) -> Vec<String> {
        rows.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn equal_multisets_have_no_diff() {
        assert_eq!(row_diff("a", &v(&["x", "y"]), "b", &v(&["y", "x"])), None);
    }

    #[test]
    fn surplus_copies_are_listed_per_side() {
        let d = row_diff("alice", &v(&["x", "x", "y"]), "bob", &v(&["x", "z"])).unwrap();
        assert!(d.starts_with("alice has 3 rows, bob has 2 rows; 2 only on alice, 1 only on bob"));
        assert!(d.contains("\n  only on alice: x\n  only on alice: y"));
        assert!(d.contains("\n  only on bob: z"));
    }

    #[test]
    fn long_lists_are_capped_with_a_count() {
        let many: Vec<String> = (0..20).map(|i| format!("r{i:02}")).collect();
        let d = row_diff("a", &many, "b", &[]).unwrap();
        assert!(d.contains(&format!("… and {} more only on a", 20 - ROWS_SHOWN)));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("日本語です", 2), "日本…(+3 chars)");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
