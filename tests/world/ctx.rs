//! The scenario context (`td_e2e::scenarios::ctx::Ctx`) against a real world.

use td_e2e::config::HarnessConfig;
use td_e2e::harness::{Harness, WorldOptions};

/// The scenario context cannot pass what failed: a command that exits 0 without its success
/// text, a sync against a dead server and an assertion about a missing issue are all failed
/// results naming the command or issue, and the closing summary fails too; both runs are
/// recorded in the world's OperationHistory.
#[test]
fn ctx_reports_failed_commands_syncs_and_missing_rows() {
    use td_e2e::scenarios::ctx::Ctx;
    use td_e2e::scenarios::query::text;
    use td_e2e::verify::Verdict;

    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let h = Harness::setup(&cfg, &WorldOptions::actors(2)).expect("world setup");
    let mut c = Ctx::new(&h, "ctx_self_test");
    let missing = "td-0000ff";
    // td update exits 0 even when the id does not exist: the marker catches it.
    assert!(c
        .ok("alice", &["update", missing, "--title", "nope"], "UPDATED")
        .is_none());
    assert!(!c.expect_field("missing issue", "bob", missing, "title", &text("nope")));
    h.stop_server().expect("stop");
    assert!(!c.sync("alice", "sync with the server down"));
    let results = c.finish();
    // Both runs are in the world's history, so the scenario case has a timeline.
    let history = h.history().records();
    let ran: Vec<(&str, &str, &str)> = history
        .iter()
        .filter(|r| r.actor == "alice")
        .map(|r| (r.action.as_str(), r.target_id.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(
        ran,
        [
            ("update", missing, "unexpected_fail"),
            ("sync", "", "unexpected_fail")
        ],
        "{history:#?}"
    );
    let find = |prefix: &str| {
        results
            .iter()
            .find(|r| r.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no result {prefix:?} in {results:#?}"))
    };
    let update = find("ctx_self_test: td update td-0000ff --title nope [alice]");
    assert_eq!(update.verdict, Verdict::Invalid);
    assert!(update.details.contains("\"UPDATED\""), "{}", update.details);
    assert!(update.details.contains(missing), "{}", update.details);
    let field = find("ctx_self_test: missing issue: title [bob]");
    assert_eq!(field.verdict, Verdict::Invalid);
    let sync = find("ctx_self_test: sync with the server down");
    assert_eq!(sync.verdict, Verdict::Invalid);
    assert!(sync.details.contains("ERROR"), "{}", sync.details);
    let summary = find("ctx_self_test: every td command succeeded");
    assert_eq!(summary.verdict, Verdict::Invalid);
    assert!(
        summary.details.starts_with("2 of 2 commands failed"),
        "{}",
        summary.details
    );
}
