//! Edge-case text (e2e-harness §3.1 plus values starting with `-`) must round-trip byte for
//! byte through create, update, comment, log and handoff — into the row and its event.

use crate::common::{edge_strings, hyphen_strings, Project};
use serde_json::{json, Value};

/// A free-text positional holding `s`. A bare `--` is the end-of-options marker, and a
/// flag-shaped token (`-x`, `--not-a-flag`) is refused as a mistyped flag; both are passed
/// after an explicit `--`, as on any CLI.
fn positional(s: &str) -> Vec<&str> {
    if ["--", "-x", "--not-a-flag"].contains(&s) {
        vec!["--", s]
    } else {
        vec![s]
    }
}

fn all_strings() -> Vec<String> {
    let mut v = edge_strings();
    v.extend(hyphen_strings());
    v
}

/// Titles create must refuse (§8: required, ≤200 runes); everything else is stored verbatim.
fn title_refusal(s: &str) -> Option<&'static str> {
    if s.trim().is_empty() {
        Some("title is required")
    } else if s.trim().chars().count() > 200 {
        Some("title too long (1200 chars, max 200)")
    } else {
        None
    }
}

#[test]
fn create_round_trips_title_description_acceptance() {
    let p = Project::new();
    let mut failures = Vec::new();
    for s in all_strings() {
        let out = p.td(&["create", "--title", &s, "-d", &s, "--acceptance", &s]);
        if let Some(needle) = title_refusal(&s) {
            if out.code != 1 || !out.stderr.contains(needle) {
                failures.push(format!("{s:?}: expected refusal {needle:?}, got {out:?}"));
            }
            continue;
        }
        if out.code != 0 {
            failures.push(format!("{s:?}: create failed {out:?}"));
            continue;
        }
        let id = out.issue_id();
        let row = p.issue(&id);
        for col in ["title", "description", "acceptance"] {
            if row.str(col) != s {
                failures.push(format!("{s:?}: {col} stored as {:?}", row.str(col)));
            }
        }
        let ev = &p.actions_for(&id)[0];
        if ev.new["title"] != json!(s) {
            failures.push(format!("{s:?}: event title {:?}", ev.new["title"]));
        }
        let show: Value =
            serde_json::from_str(&p.td(&["show", &id, "--json"]).stdout).expect("show --json");
        if show["title"] != json!(s) || show["acceptance"] != json!(s) {
            failures.push(format!("{s:?}: show --json gave {:?}", show["title"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // §11.10: one `td-` line per issue however odd the titles.
    let n = p.count("SELECT COUNT(*) FROM issues", &[]) as usize;
    let list = p.td(&["list", "--all"]);
    assert_eq!(
        list.ok()
            .stdout
            .lines()
            .filter(|l| l.contains("td-"))
            .count(),
        n
    );
}

#[test]
fn update_round_trips_text_fields() {
    let p = Project::new();
    let id = p.create(
        "Issue whose text is rewritten",
        &["-d", "seed", "--acceptance", "seed"],
    );
    let mut failures = Vec::new();
    for s in all_strings() {
        let mark = p.max_action_rowid();
        let out = p.td(&[
            "update",
            &id,
            "--description",
            &s,
            "--acceptance",
            &s,
            "--sprint",
            &s,
        ]);
        if out.code != 0 || !out.stderr.is_empty() {
            failures.push(format!("{s:?}: update output {out:?}"));
            continue;
        }
        let row = p.issue(&id);
        // Empty description/acceptance are no-ops (§8 update); sprint may be ''.
        let text_expect = if s.is_empty() {
            "seed".to_string()
        } else {
            s.clone()
        };
        let ev = &p.actions_since(mark)[0];
        for col in ["description", "acceptance"] {
            if row.str(col) != text_expect {
                failures.push(format!("{s:?}: {col} stored as {:?}", row.str(col)));
            }
            if ev.new[col] != json!(text_expect) {
                failures.push(format!("{s:?}: event {col} {:?}", ev.new[col]));
            }
        }
        if row.str("sprint") != s {
            failures.push(format!("{s:?}: sprint stored as {:?}", row.str("sprint")));
        }
        if title_refusal(&s).is_none() {
            p.td(&["update", &id, "--title", &s]).ok();
            if p.issue(&id).str("title") != s {
                failures.push(format!(
                    "{s:?}: title stored as {:?}",
                    p.issue(&id).str("title")
                ));
            }
        }
        // Back to the seed so an empty value is observable as a no-op next round.
        p.td(&[
            "update",
            &id,
            "--description",
            "seed",
            "--acceptance",
            "seed",
        ])
        .ok();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn comments_round_trip() {
    let p = Project::new();
    let id = p.create("Issue collecting odd comments", &[]);
    let mut failures = Vec::new();
    for s in all_strings() {
        let mark = p.max_action_rowid();
        let mut args = vec!["comments", "add", &id];
        args.extend(positional(&s));
        let out = p.td(&args);
        if out.code != 0 {
            failures.push(format!("{s:?}: {out:?}"));
            continue;
        }
        let ev = &p.actions_since(mark)[0];
        let row = p
            .row("SELECT text FROM comments WHERE id = ?1", &[&ev.entity_id])
            .unwrap();
        if row.str("text") != s || ev.new["text"] != json!(s) {
            failures.push(format!(
                "{s:?}: stored {:?}, event {:?}",
                row.str("text"),
                ev.new["text"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn log_messages_round_trip() {
    let p = Project::new();
    let id = p.create("Issue collecting odd log lines", &[]);
    let mut failures = Vec::new();
    for s in all_strings() {
        let mark = p.max_action_rowid();
        let mut args = vec!["log", "--issue", &id];
        args.extend(positional(&s));
        let out = p.td(&args);
        if s.is_empty() {
            // An empty message is refused (§8 log) — and writes nothing.
            if out.code != 1 || p.max_action_rowid() != mark {
                failures.push(format!("empty message: {out:?}"));
            }
            continue;
        }
        if out.code != 0 {
            failures.push(format!("{s:?}: {out:?}"));
            continue;
        }
        let ev = &p.actions_since(mark)[0];
        let row = p
            .row("SELECT message FROM logs WHERE id = ?1", &[&ev.entity_id])
            .unwrap();
        if row.str("message") != s || ev.new["message"] != json!(s) {
            failures.push(format!("{s:?}: stored {:?}", row.str("message")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn handoff_items_round_trip() {
    let p = Project::new();
    let id = p.create("Issue collecting odd handoffs", &[]);
    let mut failures = Vec::new();
    // `-` alone means "read items from stdin" (§8 handoff), so it is not a literal item.
    for s in all_strings().into_iter().filter(|s| s != "-") {
        let mark = p.max_action_rowid();
        let out = p.td(&[
            "handoff",
            &id,
            "--done",
            &s,
            "--remaining",
            &s,
            "--decision",
            &s,
            "--uncertain",
            &s,
        ]);
        if out.code != 0 {
            failures.push(format!("{s:?}: {out:?}"));
            continue;
        }
        let ev = &p.actions_since(mark)[0];
        let row = p
            .row("SELECT * FROM handoffs WHERE id = ?1", &[&ev.entity_id])
            .unwrap();
        for col in ["done", "remaining", "decisions", "uncertain"] {
            let stored: Value = serde_json::from_str(&row.str(col)).expect("list is JSON");
            if stored != json!([s]) {
                failures.push(format!("{s:?}: {col} stored as {stored:?}"));
            }
            if ev.new[col] != json!(row.str(col)) {
                failures.push(format!("{s:?}: event {col} differs from the row"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
