//! The rendered structure from a fixture history: lanes, marks, fault windows, the
//! verifications table, highlighting, escaping; and the index.

use std::time::Duration;

use super::entities::ids_in;
use super::timeline::{layout, sync_counts, NEMESIS_LANE};
use super::*;
use crate::history::{OpResult, OperationRecord};
use crate::verify::CheckResult;

fn rec(ms: u64, dur_ms: u64, actor: &str, action: &str, result: OpResult) -> OperationRecord {
    let mut r = OperationRecord::new(action, actor, result);
    let end = ms + dur_ms;
    r.timestamp = format!(
        "2026-12-03T10:00:{:02}.{:03}000000Z",
        end / 1000,
        end % 1000
    );
    r.duration_ns = dur_ms * 1_000_000;
    r
}

fn with(mut r: OperationRecord, target: &str, output: &str) -> OperationRecord {
    r.target_id = target.to_string();
    r.output = output.to_string();
    r.args = (!target.is_empty()).then(|| vec![r.action.clone(), target.to_string()]);
    r
}

/// Three actors, a partition of alice (firing twice) healed later, a lost response on bob
/// never healed, a sync with counts, an output holding `<script>`, and a failing convergence
/// check naming td-aaa111.
fn fixture() -> CaseOutcome {
    let history = vec![
        with(
            rec(0, 20, "alice", "create", OpResult::Ok),
            "td-aaa111",
            "CREATED td-aaa111",
        ),
        with(
            rec(10, 20, "bob", "create", OpResult::Ok),
            "td-bbb222",
            "CREATED td-bbb222",
        ),
        with(
            rec(100, 0, "alice", "fault:partition", OpResult::Ok),
            "",
            "refuse",
        ),
        with(
            rec(150, 40, "alice", "update", OpResult::Info),
            "td-aaa111",
            "timed out",
        ),
        with(
            rec(190, 0, "alice", "fault:partition", OpResult::Ok),
            "",
            "push: never answer",
        ),
        with(
            rec(200, 30, "bob", "sync", OpResult::Ok),
            "",
            "Pushed 3 events.\nPulled 2 events (2 applied).",
        ),
        with(
            rec(500, 0, "alice", "heal:partition", OpResult::Ok),
            "",
            "refuse",
        ),
        with(
            rec(600, 15, "bob", "show", OpResult::UnexpectedFail),
            "td-aaa111",
            "</script><script>alert(1)</script>",
        ),
        rec(650, 0, "carol", "comment", OpResult::Skip),
        with(
            rec(700, 0, "bob", "fault:lost_response", OpResult::Ok),
            "",
            "answer dropped",
        ),
        rec(720, 5, "carol", "list", OpResult::ExpectedFail),
    ];
    let mut o = CaseOutcome::new("chaos/fixture");
    o.seed = Some(7);
    o.duration = Duration::from_millis(900);
    o.history = history
        .into_iter()
        .enumerate()
        .map(|(i, mut r)| {
            r.seq = i as u64 + 1;
            r
        })
        .collect();
    o.add_checks(vec![
        CheckResult::valid("convergence: comments", "3 rows <ok>"),
        CheckResult::invalid(
            "convergence: issues rows [alice vs bob]",
            "only on alice: td-aaa111 <b>title</b>",
        ),
    ]);
    o
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn one_lane_per_actor_and_one_for_the_nemesis() {
    let o = fixture();
    let l = layout(&o.history);
    assert_eq!(l.lanes, [NEMESIS_LANE, "alice", "bob", "carol"]);
    let page = render_case(&o);
    assert_eq!(count(&page, r#"<rect class="lane""#), 4);
    for lane in ["server / nemesis", "alice", "bob", "carol"] {
        assert!(page.contains(&format!(">{lane}</text>")), "{lane}");
    }
}

#[test]
fn one_mark_per_operation_classed_by_result() {
    let o = fixture();
    let page = render_case(&o);
    assert_eq!(count(&page, r#"<rect class="op "#), o.history.len());
    for class in ["ok", "expected_fail", "unexpected_fail", "info", "skip"] {
        assert!(page.contains(&format!(r#"class="op {class}"#)), "{class}");
    }
    // Fault records sit on the nemesis lane (index 0).
    let l = layout(&o.history);
    assert_eq!(l.placed[2].lane, 0);
    assert_eq!(l.placed[3].lane, 1);
}

#[test]
fn fault_windows_span_fault_to_heal() {
    let o = fixture();
    let l = layout(&o.history);
    assert_eq!(l.windows.len(), 2);
    let partition = &l.windows[0];
    assert_eq!(partition.kind, "partition");
    assert_eq!(partition.lane, Some(1));
    assert!((partition.start_ms - 100.0).abs() < 1e-6, "{partition:?}");
    assert!((partition.end_ms - 500.0).abs() < 1e-6, "{partition:?}");
    let lost = &l.windows[1];
    assert_eq!((lost.kind.as_str(), lost.lane), ("lost_response", Some(2)));
    assert_eq!(
        lost.start_ms, lost.end_ms,
        "never healed: as long as its record"
    );
    let page = render_case(&o);
    assert_eq!(count(&page, r#"<rect class="fault-window""#), 2);
    assert_eq!(
        count(&page, r#"<rect class="fault-band""#),
        2,
        "mirrored on the nemesis lane"
    );
    assert!(page.contains(r#"data-kind="partition""#));
}

#[test]
fn syncs_show_pushed_and_pulled() {
    assert_eq!(
        sync_counts("Pushed 3 events.\nPulled 2 events (2 applied)."),
        Some((3, 2))
    );
    assert_eq!(
        sync_counts("Nothing to push.\nPulled 0 events"),
        Some((0, 0))
    );
    assert_eq!(sync_counts("error: refused"), None);
    let page = render_case(&fixture());
    assert!(page.contains(r#"class="op ok sync""#));
    assert!(page.contains("↑3 ↓2"));
}

#[test]
fn verifications_table_has_a_row_per_check() {
    let page = render_case(&fixture());
    assert!(page.contains(r#"<table id="verifications">"#));
    assert_eq!(count(&page, r#"<tr class="check "#), 2);
    assert_eq!(count(&page, r#"<tr class="check fail""#), 1);
    assert!(page.contains("convergence: issues rows [alice vs bob]"));
    assert!(page.contains("<h2>Failure</h2>"));
}

#[test]
fn operations_on_the_diverged_entity_are_highlighted() {
    let page = render_case(&fixture());
    // alice's create and update and bob's show touched td-aaa111.
    assert_eq!(count(&page, r#" hot""#), 3);
    assert!(page.contains(r#"<table id="entities">"#));
    assert!(page.contains(r#"data-ops="0 3 7">td-aaa111</a>"#), "{page}");
}

#[test]
fn a_failure_outside_the_checks_names_its_entity_too() {
    let mut o = fixture();
    o.checks.clear();
    o.details = vec!["step 3 (line 10): want \"x\" for td-bbb222\n got 1 row".to_string()];
    let page = render_case(&o);
    assert!(page.contains(r#"data-ops="1">td-bbb222</a>"#), "{page}");
    assert!(page.contains("<td>step 3 (line 10): want &quot;x&quot; for td-bbb222</td>"));
    assert_eq!(count(&page, r#" hot""#), 1);
}

#[test]
fn text_is_escaped_and_the_json_cannot_close_its_script() {
    let page = render_case(&fixture());
    assert!(!page.contains("<script>alert"), "output leaked");
    assert!(!page.contains("<b>title</b>"));
    assert!(page.contains("&lt;b&gt;title&lt;/b&gt;"));
    let start = page.find(r#"id="ops-data">"#).unwrap() + r#"id="ops-data">"#.len();
    let end = start + page[start..].find("</script>").unwrap();
    let ops: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
    assert_eq!(ops.as_array().unwrap().len(), 11);
    assert_eq!(ops[7]["output"], "</script><script>alert(1)</script>");
    assert_eq!(ops[0]["cmd"], "td create td-aaa111");
}

#[test]
fn an_empty_history_says_so() {
    let page = render_case(&CaseOutcome::new("steps/empty"));
    assert!(page.contains("No operations were recorded."));
    assert!(page.contains(r#"<a href="../../index.html">"#));
}

#[test]
fn ids_are_whole_words_of_td_shapes() {
    let mut ids = Vec::new();
    ids_in(
        "td-sync xtd-abcd td-aaa111, ws-1a2b — (td-aaa111) bd-123456789 ün cm-0a0b0c0d",
        &mut ids,
    );
    assert_eq!(ids, ["td-aaa111", "ws-1a2b", "cm-0a0b0c0d"]);
}

#[test]
fn index_lists_cases_failures_first_with_links() {
    let passed = IndexRow::from_outcome(&CaseOutcome::new("steps/ok <1>"), "steps");
    let failed = IndexRow::from_outcome(&fixture(), "chaos");
    assert_eq!((failed.actions, failed.faults), (7, 3));
    assert_eq!(failed.failing, ["convergence: issues rows [alice vs bob]"]);
    let skipped = IndexRow::skipped("steps/ignored", "steps");
    let page = render_index(&[passed, skipped, failed]);
    assert_eq!(count(&page, "<tr"), 4);
    assert!(page.contains(r#"<a href="html/chaos/fixture.html">chaos/fixture</a>"#));
    assert!(page.contains(r#"<a href="html/steps/ok%20%3C1%3E.html">steps/ok &lt;1&gt;</a>"#));
    assert!(!page.contains("html/steps/ignored.html"));
    let fixture_at = page.find("chaos/fixture").unwrap();
    assert!(
        fixture_at < page.find("steps/ok").unwrap(),
        "failures first"
    );
    assert!(page.contains("3 cases: 1 passed, 1 failed, 0 errored, 1 skipped"));
    assert_eq!(group_of("chaos/adaptive-2"), "chaos");
    assert_eq!(group_of("loose"), "");
    let mut steps = CaseOutcome::new("regressions/x");
    steps.fail("step 3 (line 10) failed", "step 3: want \"t\" on td-abc123");
    let row = IndexRow::from_outcome(&steps, "steps");
    assert_eq!(
        row.failing,
        ["step 3 (line 10) failed"],
        "the summary, with no check"
    );
}

#[test]
fn each_finished_case_gets_its_page_under_html() {
    let dir = tempfile::tempdir().unwrap();
    crate::report::files::write_case_files(dir.path(), &fixture()).unwrap();
    let page = std::fs::read_to_string(dir.path().join("html/chaos/fixture.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(r#"<a href="../../index.html">all cases</a>"#));
}

#[test]
fn a_td_run_targets_the_ids_in_its_arguments_or_the_one_it_created() {
    use super::entities::target_of;
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        target_of(&args(&["dep", "add", "td-aaa111", "td-bbb222"]), ""),
        "td-aaa111,td-bbb222"
    );
    assert_eq!(
        target_of(&args(&["create", "a title"]), "CREATED td-c0ffee\n"),
        "td-c0ffee"
    );
    assert_eq!(target_of(&args(&["sync"]), "Pushed 1 events."), "");
}

#[test]
fn a_chaos_case_shows_its_syncs_faults_and_convergence() {
    use crate::report::{ChaosReport, ConvergenceStats, FaultStats, SyncStats};
    let mut o = fixture();
    o.chaos_report = Some(ChaosReport {
        seed: 7,
        actions: 10,
        duration_ms: 900,
        actors: 3,
        results: Default::default(),
        per_action: Default::default(),
        verifications: None,
        sync_stats: SyncStats { count: 4 },
        pass: false,
        faults: Some(FaultStats {
            injected: [("partition".to_string(), 2)].into(),
            info_ops: 1,
            replay_note: String::new(),
        }),
        convergence: Some(ConvergenceStats {
            rounds: 2,
            millis: 120,
        }),
        phases_ms: Vec::new(),
        chaos_time_ms: Default::default(),
        interleavings: None,
        swarm: None,
    });
    let page = render_case(&o);
    assert!(page.contains("<tr><td>sync points</td><td>4</td></tr>"));
    assert!(page.contains("<td>partition 2; 1 operations with unknown outcome</td>"));
    assert!(page.contains("<td>2 rounds, 120 ms after heal</td>"));
}
