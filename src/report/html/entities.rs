//! "The entity that diverged": ids named by failing checks, and the operations that touched
//! them. Checks name rows by id (`only on alice: td-1a2b3c`), so a scan for td's id shapes
//! finds them without each check exporting structured data.

use std::collections::BTreeMap;

use crate::history::OperationRecord;
use crate::verify::CheckResult;

/// td's id prefixes (issues, work sessions, boards, logs, handoffs, comments, git
/// snapshots, action log, reviews); each is followed by 4 to 8 lowercase hex digits.
const PREFIXES: [&str; 9] = [
    "td-", "ws-", "bd-", "lg-", "ho-", "cm-", "gs-", "al-", "rv-",
];

/// Every id in `text`, in order of first appearance.
pub fn ids_in(text: &str, out: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Ids are ASCII: inside a multi-byte character there is nothing to find.
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        match id_at(text, i) {
            Some(len) => {
                let id = &text[i..i + len];
                if !out.iter().any(|x| x == id) {
                    out.push(id.to_string());
                }
                i += len;
            }
            None => i += 1,
        }
    }
}

/// The length of the id starting at byte `i`, if one does (whole word only: `xtd-abcd` and
/// `td-abcdefg12` are not ids).
fn id_at(text: &str, i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let rest = &text[i..];
    let prefix = PREFIXES.iter().find(|p| rest.starts_with(**p))?;
    let hex = rest[prefix.len()..]
        .bytes()
        .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        .count();
    let end = prefix.len() + hex;
    let boundary = rest
        .as_bytes()
        .get(end)
        .is_none_or(|b| !b.is_ascii_alphanumeric());
    ((4..=8).contains(&hex) && boundary).then_some(end)
}

/// Per id named by a non-passing check, or by a failure outside the checks (a steps case's
/// failed assertion, an unexpected action failure): what named it.
pub fn diverged(checks: &[CheckResult], failures: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in checks.iter().filter(|c| !c.passed()) {
        let mut ids = Vec::new();
        ids_in(&c.name, &mut ids);
        ids_in(&c.details, &mut ids);
        for id in ids {
            out.entry(id).or_default().push(c.name.clone());
        }
    }
    // A failing check is also among the failures (as `FAIL: <name> — <details>`): ids it
    // named are not listed twice.
    for f in failures {
        let mut ids = Vec::new();
        ids_in(f, &mut ids);
        let what = first_line(f);
        for id in ids {
            out.entry(id).or_insert_with(|| vec![what.clone()]);
        }
    }
    out
}

/// The first line of `text`, cut to 100 characters.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    match line.char_indices().nth(100) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// Does `r` act on `id` (its target, or one of its arguments)?
pub fn touches(r: &OperationRecord, id: &str) -> bool {
    r.target_id.split(',').any(|t| t == id)
        || r.args
            .as_ref()
            .is_some_and(|a| a.iter().any(|x| x.contains(id)))
}

/// The `target_id` of a td run recorded outside the chaos engine: the ids among its
/// arguments after the verb, or, for a create, the id its output announces.
pub fn target_of(args: &[String], output: &str) -> String {
    let mut ids = Vec::new();
    for a in args.iter().skip(1) {
        ids_in(a, &mut ids);
    }
    if ids.is_empty() && args.first().is_some_and(|v| v == "create") {
        return crate::engine::extract_created_id(output).unwrap_or_default();
    }
    ids.join(",")
}
