//! Case schema: good and bad files through the public parser; every error names the file,
//! the line and the key.

use std::path::Path;
use std::time::Duration;

use td_e2e::case::*;
use td_e2e::verify::CheckKind;

fn parse_str(text: &str) -> Result<Case, CaseError> {
    parse("t/case", Path::new("cases/t/case.toml"), text)
}

fn err(text: &str) -> CaseError {
    parse_str(text).expect_err("should be rejected")
}

const CHAOS: &str = r#"
kind = "chaos"
actors = 2
actions = 200
seed = 42
sync_mode = "aggressive"
conflict_rate = 30
verify = ["convergence", "causal"]
[faults]
server_restart_every = 50
"#;

#[test]
fn a_full_chaos_case_parses() {
    let case = parse_str(CHAOS).unwrap();
    assert_eq!(case.name, "t/case");
    assert!(!case.ignored);
    assert_eq!(case.actor_names(), ["alice", "bob"]);
    assert_eq!(
        case.kind,
        CaseKind::Chaos(ChaosCase {
            actors: 2,
            budget: Budget::Actions(200),
            seed: Some(42),
            sync_mode: SyncMode::Aggressive,
            conflict_rate: 30,
            verify: vec![CheckKind::Convergence, CheckKind::Causal],
            faults: FaultPlan {
                server_restart_every: 50,
                partition_actions: (3, 12),
                ..FaultPlan::default()
            },
            access: AccessPlan::default(),
            swarm: false,
            lanes: true,
            sizes: SyncSizes::default(),
        })
    );
}

#[test]
fn swarm_and_sync_sizes_parse_and_bad_sizes_name_their_line() {
    let case = parse_str(
        "kind = \"chaos\"\nactors = 2\nactions = 5\nswarm = true\npush_batch = 3\npull_limit = 4\n",
    )
    .unwrap();
    let CaseKind::Chaos(c) = case.kind else {
        panic!()
    };
    assert!(c.swarm);
    assert!(c.lanes, "lanes are on unless a case turns them off");
    assert_eq!(c.sizes.effective(), (3, 4));
    assert_eq!(
        c.sizes.td_env(),
        [
            ("TD_SYNC_PUSH_BATCH".to_string(), "3".to_string()),
            ("TD_SYNC_PULL_LIMIT".to_string(), "4".to_string())
        ]
    );
    let off = parse_str("kind = \"chaos\"\nactors = 2\nactions = 5\nlanes = false\n").unwrap();
    assert!(matches!(
        off.kind,
        CaseKind::Chaos(ChaosCase { lanes: false, .. })
    ));
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\nlanes = \"no\"\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("lanes")));
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\npush_batch = 0\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("push_batch")));
    assert!(
        e.message.contains("push_batch must be 1–1000, got 0"),
        "{e}"
    );
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\npull_limit = 10001\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("pull_limit")));
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\nswarm = \"yes\"\n");
    assert_eq!((e.line, e.key.as_deref()), (4, Some("swarm")));
}

#[test]
fn chaos_defaults_and_missing_seed() {
    let case =
        parse_str("kind = \"chaos\"\nactors = 3\nduration = \"30s\"\nignored = true\n").unwrap();
    assert!(case.ignored);
    assert_eq!(case.seed(), None);
    let CaseKind::Chaos(c) = case.kind else {
        panic!()
    };
    assert_eq!(c.budget, Budget::Duration(Duration::from_secs(30)));
    assert_eq!((c.sync_mode, c.conflict_rate), (SyncMode::Adaptive, 20));
    assert_eq!(c.verify, CheckKind::ALL.to_vec());
    assert_eq!(c.faults.server_restart_every, 0);
}

#[test]
fn an_unknown_key_names_file_line_and_key() {
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\nactorz = 3\n");
    assert_eq!((e.line, e.column), (4, 1));
    assert_eq!(e.key.as_deref(), Some("actorz"));
    assert!(e.message.contains("unknown field `actorz`"), "{e}");
    assert!(
        e.to_string()
            .starts_with("cases/t/case.toml:4:1: key `actorz`: unknown field"),
        "{e}"
    );
}

#[test]
fn an_unknown_key_in_a_table_is_prefixed() {
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\n[faults]\nrestart = 1\n");
    assert_eq!(e.line, 5);
    assert_eq!(e.key.as_deref(), Some("faults.restart"));
    let e = err("kind = \"steps\"\nactors = 2\n[[step]]\nsync = \"all\"\n[[step]]\nsync = \"all\"\nbogus = 1\n");
    assert_eq!((e.line, e.key.as_deref()), (7, Some("step[2].bogus")));
}

#[test]
fn a_wrong_type_names_the_key_on_its_line() {
    let e = err("kind = \"chaos\"\nactors = \"two\"\nactions = 5\n");
    assert_eq!((e.line, e.column), (2, 10));
    assert_eq!(e.key.as_deref(), Some("actors"));
}

#[test]
fn a_syntax_error_has_a_line() {
    let e = err("kind = \"chaos\"\nactors = = 2\n");
    assert_eq!(e.line, 2);
}

#[test]
fn a_wrong_or_missing_kind_is_rejected() {
    let e = err("kind = \"chaotic\"\nactors = 2\n");
    assert_eq!((e.line, e.key.as_deref()), (1, Some("kind")));
    assert!(e.message.contains("unknown kind \"chaotic\""));
    let e = err("actors = 2\n");
    assert!(e.message.contains("missing key `kind`"));
    // A scenario key in a chaos file is unknown there.
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 1\nscenario = \"x\"\n");
    assert_eq!(e.key.as_deref(), Some("scenario"));
}

#[test]
fn four_actors_are_rejected() {
    let e = err("kind = \"scenario\"\nscenario = \"dependency_cycle\"\nactors = 4\n");
    assert_eq!(
        (e.line, e.column, e.key.as_deref()),
        (3, 10, Some("actors"))
    );
    assert_eq!(e.message, "actors must be 2 or 3, got 4");
}

#[test]
fn chaos_values_are_range_checked() {
    for (text, key) in [
        ("actions = 0", "actions"),
        ("duration = \"30\"", "duration"),
        ("actions = 1\nduration = \"1s\"", "duration"),
        ("actions = 1\nseed = -1", "seed"),
        ("actions = 1\nsync_mode = \"fast\"", "sync_mode"),
        ("actions = 1\nconflict_rate = 101", "conflict_rate"),
        ("actions = 1\nverify = [\"convergance\"]", "verify"),
        ("actions = 1\nverify = []", "verify"),
        ("actions = 1\nverify = [\"causal\", \"causal\"]", "verify"),
        (
            "actions = 1\n[faults]\nserver_restart_every = -2",
            "faults.server_restart_every",
        ),
    ] {
        let e = err(&format!("kind = \"chaos\"\nactors = 2\n{text}\n"));
        assert_eq!(e.key.as_deref(), Some(key), "{text}: {e}");
        assert!(e.line >= 3, "{text}: {e}");
    }
    let e = err("kind = \"chaos\"\nactors = 2\n");
    assert!(e.message.contains("missing `actions`"));
}

#[test]
fn a_scenario_case_parses_without_seed() {
    let case =
        parse_str("kind = \"scenario\"\nscenario = \"dependency_cycle\"\nactors = 2\n").unwrap();
    assert_eq!(
        case.kind,
        CaseKind::Scenario(ScenarioCase {
            scenario: "dependency_cycle".into(),
            actors: 2,
            seed: None
        })
    );
    let e = err("kind = \"scenario\"\nscenario = \"Dependency Cycle\"\nactors = 2\n");
    assert_eq!(e.key.as_deref(), Some("scenario"));
}

const STEPS: &str = r#"
kind = "steps"
actors = 2
[[step]]
actor = "alice"
td = ["create", "parent", "--type", "epic"]
save = "p"
[[step]]
sync = "all"
[[step]]
actor = "bob"
td = ["close", "{p}", "--reason", "x"]
expect = "any"
output_contains = "CLOSED"
[[step]]
fault = "restart_server"
[[step]]
verify = ["convergence"]
[[step]]
sql = { actor = "bob", query = "SELECT status FROM issues WHERE id = '{p}'", equals = "closed" }
[[step]]
sql = { actor = "alice", query = "SELECT id, points FROM issues", rows = [["{p}", 0], ["x", true]] }
[[step]]
sync = "bob"
"#;

#[test]
fn the_design_steps_case_parses() {
    let case = parse_str(STEPS).unwrap();
    let CaseKind::Steps(s) = case.kind else {
        panic!()
    };
    assert_eq!(s.steps.len(), 8);
    assert_eq!(s.steps[0].line, 4);
    assert_eq!(
        s.steps[2].action,
        StepAction::Td {
            actor: "bob".into(),
            args: vec!["close".into(), "{p}".into(), "--reason".into(), "x".into()],
            save: None,
            expect: Expect::Any,
            output_contains: Some("CLOSED".into()),
        }
    );
    assert_eq!(
        s.steps[3].action,
        StepAction::Fault(FaultStep::RestartServer)
    );
    assert_eq!(
        s.steps[5].action,
        StepAction::Sql {
            actor: "bob".into(),
            query: "SELECT status FROM issues WHERE id = '{p}'".into(),
            expect: SqlExpect::Equals(SqlLiteral::Text("closed".into())),
        }
    );
    let StepAction::Sql {
        expect: SqlExpect::Rows(rows),
        ..
    } = &s.steps[6].action
    else {
        panic!()
    };
    assert_eq!(
        rows[1],
        vec![SqlLiteral::Text("x".into()), SqlLiteral::Integer(1)]
    );
    assert_eq!(
        s.steps[7].action,
        StepAction::Sync {
            target: SyncTarget::Actor("bob".into()),
            expect: Expect::Ok
        }
    );
}

#[test]
fn a_step_with_two_actions_names_the_second() {
    let e = err("kind = \"steps\"\nactors = 2\n[[step]]\nsync = \"all\"\n[[step]]\nactor = \"alice\"\ntd = [\"list\"]\nsync = \"all\"\n");
    assert_eq!((e.line, e.key.as_deref()), (8, Some("step[2].sync")));
    assert!(e.message.contains("both `td` and `sync`"), "{e}");
}

#[test]
fn bad_steps_are_rejected_with_their_key() {
    for (step, key) in [
        ("td = [\"list\"]", "step[1].actor"),
        ("actor = \"dave\"\ntd = [\"list\"]", "step[1].actor"),
        ("actor = \"carol\"\ntd = [\"list\"]", "step[1].actor"),
        ("actor = \"alice\"\ntd = []", "step[1].td"),
        ("actor = \"alice\"\ntd = [\"show\", \"{x}\"]", "step[1].td"),
        (
            "actor = \"alice\"\ntd = [\"list\"]\nexpect = \"maybe\"",
            "step[1].expect",
        ),
        ("actor = \"alice\"\nsync = \"all\"", "step[1].actor"),
        ("sync = \"everyone\"", "step[1].sync"),
        ("fault = \"kill_client\"", "step[1].fault"),
        ("verify = [\"everything\"]", "step[1].verify"),
        (
            "sql = { actor = \"bob\", query = \"DELETE FROM issues\", equals = 1 }",
            "step[1].sql.query",
        ),
        (
            "sql = { actor = \"bob\", query = \"SELECT 1\" }",
            "step[1].sql.equals",
        ),
        (
            "sql = { actor = \"bob\", query = \"SELECT 1\", rows = [[\"{q}\"]] }",
            "step[1].sql.rows",
        ),
        (
            "sql = { actor = \"bob\", query = \"SELECT 1\", equals = [1] }",
            "step[1].sql.equals",
        ),
        (
            "sql = { actor = \"bob\", query = \"SELECT '{x}'\", equals = 1, extra = 2 }",
            "step[1].sql.extra",
        ),
        (
            "sql = { actor = 3, query = \"SELECT 1\", equals = 1 }",
            "step[1].sql.actor",
        ),
        ("sql = { actor = \"bob\", equals = 1 }", "step[1].sql.query"),
    ] {
        let e = err(&format!("kind = \"steps\"\nactors = 2\n[[step]]\n{step}\n"));
        assert_eq!(e.key.as_deref(), Some(key), "{step}: {e}");
        assert!(e.line >= 3, "{step}: {e}");
    }
    let e = err("kind = \"steps\"\nactors = 2\n");
    assert!(e.message.contains("at least one [[step]]"));
    let e = err("kind = \"steps\"\nactors = 2\n[[step]]\n");
    assert!(e.message.contains("it has none"), "{e}");
}

#[test]
fn placeholders_are_found() {
    assert_eq!(
        placeholders("a {p} b {q_2} {} {not closed"),
        vec!["p", "q_2"]
    );
    assert!(placeholders("{\"json\": 1}").is_empty());
}

#[test]
fn sql_literals_match_types() {
    use rusqlite::types::Value;
    assert!(SqlLiteral::Integer(1).matches(&Value::Integer(1)));
    assert!(!SqlLiteral::Text("1".into()).matches(&Value::Integer(1)));
    assert!(!SqlLiteral::Text(String::new()).matches(&Value::Null));
}

const FAULTS: &str = r#"
kind = "chaos"
actors = 3
actions = 50
[faults]
partition = 5
partition_modes = ["refuse", "drop_responses"]
partition_actions = [2, 4]
lost_response = 2.5
busy_db = 10
latency = ["1ms", "20ms"]
slow_link = 50000
server_pause = 3
clock_skew = ["+2d", "0", "-90m"]
clock_jump = 1
"#;

#[test]
fn a_faults_table_becomes_a_plan() {
    use td_e2e::faults::{FaultKind, PartitionMode};
    let CaseKind::Chaos(c) = parse_str(FAULTS).unwrap().kind else {
        panic!()
    };
    let p = c.faults;
    assert_eq!(p.partition, 500, "basis points");
    assert_eq!(
        p.partition_modes,
        vec![PartitionMode::Refuse, PartitionMode::DropResponses]
    );
    assert_eq!(p.partition_actions, (2, 4));
    assert_eq!(p.requests.basis_points[&FaultKind::LostResponse], 250);
    assert_eq!(p.requests.basis_points[&FaultKind::BusyDb], 1000);
    assert_eq!(
        p.requests.latency,
        Some((Duration::from_millis(1), Duration::from_millis(20)))
    );
    assert_eq!(p.requests.slow_link, Some(50_000));
    assert_eq!(p.clock_offsets, vec![172_800, 0, -5_400]);
    assert_eq!((p.server_pause, p.clock_jump), (300, 100));
    assert!(p.needs_faketime());
}

#[test]
fn bad_fault_values_name_their_key_and_line() {
    let bad = [
        ("lost_response = 120", "faults.lost_response", "percentage"),
        ("partition = \"often\"", "faults.partition", "percentage"),
        (
            "partition_modes = [\"sideways\"]",
            "faults.partition_modes",
            "sideways",
        ),
        (
            "partition_actions = [5, 2]",
            "faults.partition_actions",
            "lo ≤ hi",
        ),
        ("latency = [\"20ms\", \"1ms\"]", "faults.latency", "lo ≤ hi"),
        ("slow_link = 0", "faults.slow_link", "> 0"),
        (
            "clock_skew = [\"+1d\", \"+2d\", \"+3d\"]",
            "faults.clock_skew",
            "3 offsets for 2",
        ),
        (
            "clock_skew = [\"+10s\"]",
            "faults.clock_skew",
            "at least 60s",
        ),
        (
            "reset = 60\ntruncate = 50",
            "faults.truncate",
            "more than 100%",
        ),
        ("nemesis = 3", "faults.nemesis", "unknown field"),
    ];
    for (line, key, why) in bad {
        let text = format!("kind = \"chaos\"\nactors = 2\nactions = 5\n[faults]\n{line}\n");
        let e = err(&text);
        assert_eq!(e.key.as_deref(), Some(key), "{line}: {e}");
        assert!(e.line >= 5, "{line}: {e}");
        assert!(e.to_string().contains(why), "{line}: {e}");
    }
}

const FAULT_STEPS: &str = r#"
kind = "steps"
actors = 2
[[step]]
fault = { kind = "partition", actor = "alice", mode = "blackhole" }
[[step]]
sync = "alice"
expect = "fail"
[[step]]
heal = true
[[step]]
fault = { kind = "lost_response", actor = "bob" }
[[step]]
fault = { kind = "clock_skew", actor = "bob", offset = "-3h" }
[[step]]
fault = "restart_server"
"#;

#[test]
fn fault_steps_parse() {
    use td_e2e::faults::{Fault, FaultKind, PartitionMode};
    let CaseKind::Steps(s) = parse_str(FAULT_STEPS).unwrap().kind else {
        panic!()
    };
    let actions: Vec<StepAction> = s.steps.into_iter().map(|s| s.action).collect();
    assert_eq!(
        actions[0],
        StepAction::Fault(FaultStep::Invoke(Fault::Partition {
            actor: "alice".into(),
            mode: PartitionMode::Blackhole
        }))
    );
    assert_eq!(
        actions[1],
        StepAction::Sync {
            target: SyncTarget::Actor("alice".into()),
            expect: Expect::Fail
        }
    );
    assert_eq!(actions[2], StepAction::Heal);
    let StepAction::Fault(FaultStep::Invoke(Fault::Requests { actor, rates, .. })) = &actions[3]
    else {
        panic!("{:?}", actions[3])
    };
    assert_eq!(actor, "bob");
    assert_eq!(rates.basis_points[&FaultKind::LostResponse], 10_000);
    assert_eq!(
        actions[4],
        StepAction::Fault(FaultStep::Invoke(Fault::ClockSkew {
            actor: "bob".into(),
            offset_secs: -10_800
        }))
    );
    assert_eq!(actions[5], StepAction::Fault(FaultStep::RestartServer));
}

#[test]
fn bad_fault_steps_are_located() {
    let bad = [
        ("fault = { kind = \"meteor\" }", "unknown fault kind"),
        ("fault = { kind = \"partition\" }", "needs `actor`"),
        (
            "fault = { kind = \"partition\", actor = \"zed\" }",
            "unknown actor",
        ),
        (
            "fault = { kind = \"partition\", actor = \"bob\", mode = \"x\" }",
            "partition mode",
        ),
        (
            "fault = { kind = \"reset\", actor = \"bob\", percent = 0 }",
            "percent",
        ),
        (
            "fault = { kind = \"reset\", actor = \"bob\", colour = 1 }",
            "unknown key `colour`",
        ),
        (
            "fault = { kind = \"clock_skew\", actor = \"bob\", offset = \"soon\" }",
            "offset",
        ),
        ("fault = 3", "a name or a table"),
        ("heal = false", "only `true`"),
        ("sync = \"all\"\nsave = \"x\"", "td steps only"),
    ];
    for (line, why) in bad {
        let text = format!("kind = \"steps\"\nactors = 2\n[[step]]\n{line}\n");
        let e = err(&text);
        assert!(e.to_string().contains(why), "{line}: {e}");
        assert!(
            e.key.as_deref().unwrap_or("").starts_with("step[1]"),
            "{line}: {e}"
        );
        assert!(e.line >= 3, "{line}: {e}");
    }
}

#[test]
fn an_access_table_parses_and_a_removal_needs_a_reader() {
    let text = "kind = \"chaos\"\nactors = 2\nactions = 5\n[access]\nreader = true\noutsider = true\nremove_reader_after = 7\n";
    let CaseKind::Chaos(c) = parse_str(text).unwrap().kind else {
        panic!()
    };
    assert_eq!(
        c.access,
        AccessPlan {
            reader: true,
            outsider: true,
            remove_reader_after: 7
        }
    );
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\n[access]\nremove_reader_after = 7\n");
    assert_eq!(e.key.as_deref(), Some("access.remove_reader_after"), "{e}");
    assert_eq!(e.line, 5, "{e}");
    let e = err("kind = \"chaos\"\nactors = 2\nactions = 5\n[access]\nwriter = true\n");
    assert!(e.to_string().contains("unknown field `writer`"), "{e}");
}
