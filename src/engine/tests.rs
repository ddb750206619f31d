//! Engine tests against the recording fake (no processes).

use crate::faults::{Fault, FaultError, Nemesis};
use std::cell::Cell;
use std::sync::Arc;

use super::fake::{out, FakeDriver};
use super::*;
use crate::driver::DriverError;
use crate::history::OpResult;

fn config(seed: u64, actions: u64) -> ChaosConfig {
    let mut c = ChaosConfig::new(seed, actions);
    c.conflict_rate = 30;
    c
}

fn run<'d>(driver: &'d FakeDriver, cfg: &ChaosConfig) -> ChaosOutcome<'d> {
    run_chaos(driver, cfg, ChaosHooks::default()).expect("chaos run")
}

/// The operations of a run as the history lists them (actor, action, args, target,
/// result): parallel lanes append each segment's records in actor order, so this order is
/// the seed's, whatever the threads did.
fn operations(o: &ChaosOutcome<'_>) -> Vec<String> {
    crate::run::replay_check::normalise(&o.engine.history().records())
}

#[test]
fn same_seed_same_operations() {
    let (d1, d2, d3) = (FakeDriver::new(2), FakeDriver::new(2), FakeDriver::new(2));
    let o1 = run(&d1, &config(42, 200));
    let o2 = run(&d2, &config(42, 200));
    assert!(
        o1.engine.profile().lane_segments > 0,
        "the run used no parallel lanes"
    );
    assert!(d1.calls().len() > 200, "only {} calls", d1.calls().len());
    assert_eq!(
        d1.calls_by_actor(),
        d2.calls_by_actor(),
        "one seed, one sequence"
    );
    assert_eq!(operations(&o1), operations(&o2));
    assert_eq!(o1.engine.summary(), o2.engine.summary());
    assert_eq!(o1.syncs, o2.syncs);
    run(&d3, &config(43, 200));
    assert_ne!(
        d1.calls_by_actor(),
        d3.calls_by_actor(),
        "another seed, another sequence"
    );
}

#[test]
fn without_lanes_the_calls_replay_in_one_global_order() {
    let (d1, d2) = (FakeDriver::new(2), FakeDriver::new(2));
    let mut cfg = config(42, 150);
    cfg.lanes = false;
    let o = run(&d1, &cfg);
    run(&d2, &cfg);
    assert_eq!(o.engine.profile().lane_segments, 0);
    assert_eq!(d1.calls(), d2.calls());
}

#[test]
fn three_actors_replay_too() {
    let (d1, d2) = (FakeDriver::new(3), FakeDriver::new(3));
    let mut cfg = config(7, 150);
    cfg.sync_mode = SyncMode::Random;
    let o1 = run(&d1, &cfg);
    let o2 = run(&d2, &cfg);
    assert_eq!(d1.calls_by_actor(), d2.calls_by_actor());
    assert_eq!(operations(&o1), operations(&o2));
    assert_eq!(d1.calls_by_actor().len(), 3);
}

#[test]
fn a_plausible_td_yields_no_unexpected_failures_and_wide_coverage() {
    // cascade_review (weight 2, needs an in-progress parent and child) and the work-session
    // actions after ws_start are rare: cascade_review ran 20 times in 16 seeds of 1,500
    // actions (18 one action at a time), none in a third of them. Coverage is asked of two
    // seeds together.
    let mut ran = std::collections::BTreeSet::new();
    for seed in [4, 5] {
        let d = FakeDriver::new(2);
        let o = run(&d, &config(seed, 1500));
        let stats = o.engine.stats();
        assert_eq!(stats.unexpected, 0, "{:#?}", stats.unexpected_results);
        assert!(o.actions_done >= 1500);
        assert!(stats.field_collisions > 0 && stats.delete_mutate > 0 && stats.bursts > 0);
        assert!(
            stats.expected > 0,
            "unposition and empty log messages are refused"
        );
        ran.extend(
            stats
                .seen_actions()
                .filter(|(_, s)| s.ok + s.expected > 0)
                .map(|(name, _)| name),
        );
    }
    let missing: Vec<&str> = actions::ACTIONS
        .iter()
        .map(|a| a.name)
        .filter(|n| !ran.contains(n))
        .collect();
    assert!(missing.is_empty(), "never ran in either seed: {missing:?}");
}

#[test]
fn collisions_put_two_actors_on_one_issue() {
    let d = FakeDriver::new(2);
    let mut cfg = config(5, 200);
    cfg.conflict_rate = 100;
    cfg.burst_rate = 0;
    let o = run(&d, &cfg);
    assert!(o.engine.stats().field_collisions > 0);
    let calls = d.calls();
    let collided = calls.windows(2).any(|w| {
        let (a, b) = (&w[0], &w[1]);
        let is_field_update = |args: &[String]| args.len() == 4 && args[0] == "update";
        a.0 != b.0
            && is_field_update(&a.1)
            && is_field_update(&b.1)
            && a.1[1] == b.1[1]
            && a.1[2] == b.1[2]
            && a.1[3] != b.1[3]
    });
    assert!(collided, "no same-field update of one issue by two actors");
}

#[test]
fn history_records_every_invocation_and_sync() {
    let d = FakeDriver::new(2);
    let history = Arc::new(crate::history::OperationHistory::new());
    let hooks = ChaosHooks {
        history: Arc::clone(&history),
        ..ChaosHooks::default()
    };
    let o = run_chaos(&d, &config(3, 120), hooks).unwrap();
    let records = history.records();
    let td_ops = records
        .iter()
        .filter(|r| r.args.is_some() && r.action != "sync")
        .count();
    assert_eq!(td_ops, d.calls().len());
    let syncs = records
        .iter()
        .filter(|r| r.action.starts_with("sync"))
        .count();
    assert!(syncs as u64 >= o.syncs);
    let skips = records
        .iter()
        .filter(|r| r.result == OpResult::Skip)
        .count() as u64;
    assert_eq!(skips, o.engine.stats().skipped);
}

#[test]
fn models_are_per_actor_and_refreshed_after_sync() {
    let d = FakeDriver::new(2);
    let mut e = ChaosEngine::new(&d, 1).unwrap();
    e.refresh_all().unwrap();
    let r = e.run_named(0, "create").unwrap();
    assert!(r.outcome.is_ok(), "{r:?}");
    assert_eq!(e.model("alice").unwrap().issues.len(), 1);
    assert!(
        e.model("bob").unwrap().issues.is_empty(),
        "bob has not synced"
    );
    d.sync_all().unwrap();
    e.refresh_all().unwrap();
    let bob = e.model("bob").unwrap();
    assert_eq!(bob.issues.len(), 1);
    assert_eq!(
        bob.issues[0].creator,
        Some(0),
        "creator mapped through alice's session"
    );
    assert_eq!(e.live_issues_by_creator()[0].1, "alice");
}

/// An engine whose alice model has `td-review` in review (alice not involved).
fn in_review_world(d: &FakeDriver) -> ChaosEngine<'_> {
    d.conn("alice")
        .execute(
            "INSERT INTO issues (id, title, status, creator_session) \
             VALUES ('td-aaa111', 't', 'in_review', 'ses_000002')",
            [],
        )
        .unwrap();
    let mut e = ChaosEngine::new(d, 9).unwrap();
    e.refresh_all().unwrap();
    e
}

const STALE_APPROVE: &str = "Warning: cannot approve td-aaa111: status changed from in_review \
                             to closed in another session\nError: issue td-aaa111 status changed \
                             from in_review to closed\n";

#[test]
fn drift_refusal_is_unexpected_when_the_db_agrees_with_the_model() {
    let d = FakeDriver::new(2)
        .with_responder(|_, args| (args[0] == "approve").then(|| Ok(out(STALE_APPROVE, 1))));
    let mut e = in_review_world(&d);
    let r = e.run_named(0, "approve").unwrap();
    assert!(matches!(r.outcome, Outcome::Unexpected(_)), "{r:?}");
}

#[test]
fn drift_refusal_is_expected_when_the_db_moved_and_the_model_heals() {
    let d = FakeDriver::new(2)
        .with_responder(|_, args| (args[0] == "approve").then(|| Ok(out(STALE_APPROVE, 1))));
    let mut e = in_review_world(&d);
    // A sync the model has not seen yet closed the issue.
    d.conn("alice")
        .execute(
            "UPDATE issues SET status = 'closed' WHERE id = 'td-aaa111'",
            [],
        )
        .unwrap();
    let r = e.run_named(0, "approve").unwrap();
    assert!(matches!(r.outcome, Outcome::Expected(_)), "{r:?}");
    let issue = e.model("alice").unwrap().issue("td-aaa111").unwrap();
    assert_eq!(
        issue.status,
        Status::Closed,
        "model re-read after confirmed drift"
    );
}

#[test]
fn broad_words_are_not_expected() {
    let d = FakeDriver::new(2).with_responder(|_, args| {
        (args[0] == "approve").then(|| Ok(out("Error: already exists; not found; blocked\n", 1)))
    });
    let mut e = in_review_world(&d);
    let r = e.run_named(0, "approve").unwrap();
    assert!(matches!(r.outcome, Outcome::Unexpected(_)), "{r:?}");
}

#[test]
fn approve_switches_to_an_uninvolved_actor_and_records_them() {
    let d = FakeDriver::new(2);
    let mut e = ChaosEngine::new(&d, 2).unwrap();
    e.refresh_all().unwrap();
    e.run_named(0, "create").unwrap();
    let id = e.model("alice").unwrap().issues[0].id.clone();
    e.focus = Some(id.clone());
    assert!(e.run_named(0, "start").unwrap().outcome.is_ok());
    assert!(e.run_named(0, "review").unwrap().outcome.is_ok());
    d.sync_all().unwrap();
    e.refresh_all().unwrap();
    let r = e.run_named(0, "approve").unwrap();
    assert_eq!(r.actor, "bob", "alice implemented it: {r:?}");
    assert!(r.outcome.is_ok());
    assert_eq!(
        e.model("bob").unwrap().issue(&id).unwrap().status,
        Status::Closed
    );

    // Pinned (a partition): never switches.
    e.pin(Some("alice")).unwrap();
    d.conn("alice")
        .execute(
            "UPDATE issues SET status = 'in_review' WHERE id = ?1",
            [&id],
        )
        .unwrap();
    e.refresh_all().unwrap();
    assert_eq!(e.run_named(0, "approve").unwrap().actor, "alice");
}

#[test]
fn failed_follow_up_update_makes_create_unexpected() {
    let d = FakeDriver::new(2).with_responder(|_, args| {
        (args[0] == "update").then(|| Ok(out("ERROR: issue not found: td-x\n", 0)))
    });
    let mut e = ChaosEngine::new(&d, 4).unwrap();
    e.refresh_all().unwrap();
    let r = e.run_named(0, "create").unwrap();
    assert!(matches!(r.outcome, Outcome::Unexpected(_)), "{r:?}");
}

#[test]
fn create_without_a_created_line_is_unexpected() {
    let d = FakeDriver::new(2).with_responder(|_, args| {
        (args[0] == "create").then(|| Ok(out("CREATED td-e2e-temp\n", 0)))
    });
    let mut e = ChaosEngine::new(&d, 4).unwrap();
    e.refresh_all().unwrap();
    let r = e.run_named(0, "create").unwrap();
    assert!(matches!(r.outcome, Outcome::Unexpected(_)), "{r:?}");
    assert!(e.model("alice").unwrap().issues.is_empty());
}

#[test]
fn td_timeout_is_an_unexpected_result_not_an_abort() {
    let d = FakeDriver::new(2).with_responder(|_, args| {
        (args[0] == "create").then(|| {
            Err(DriverError::Timeout {
                command: "td create".into(),
                timeout: std::time::Duration::from_secs(30),
                output: String::new(),
            })
        })
    });
    let mut e = ChaosEngine::new(&d, 4).unwrap();
    let r = e.run_named(0, "create").unwrap();
    assert!(matches!(r.outcome, Outcome::Unexpected(_)));
}

#[test]
fn a_success_the_database_does_not_show_is_model_drift() {
    // A td that reports STARTED without changing the row.
    let d = FakeDriver::new(2).with_responder(|_, args| {
        (args[0] == "start").then(|| {
            Ok(super::fake::out(
                &format!("STARTED {} (session: e2e-alice)\n", args[1]),
                0,
            ))
        })
    });
    let mut e = ChaosEngine::new(&d, 4).unwrap();
    e.refresh_all().unwrap();
    let created = e.run_named(0, "create").unwrap();
    assert!(matches!(created.outcome, Outcome::Ok), "{created:?}");
    assert!(e.stats.model_drift.is_empty(), "{:?}", e.stats.model_drift);
    let r = e.run_named(0, "start").unwrap();
    assert!(matches!(r.outcome, Outcome::Ok), "{r:?}");
    let drift = &e.stats.model_drift;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(
        drift[0].contains("start by alice: the model predicts") && drift[0].contains("in_progress"),
        "{drift:?}"
    );
    assert_eq!(e.stats.predictions_checked, 2);
}

struct CountingNemesis(Cell<u64>);

impl Nemesis for CountingNemesis {
    fn invoke(&self, fault: &Fault) -> Result<(), FaultError> {
        assert_eq!(fault, &Fault::ServerRestart);
        self.0.set(self.0.get() + 1);
        Ok(())
    }
    fn end(&self, _: &Fault) -> Result<(), FaultError> {
        Ok(())
    }
    fn heal(&self) -> Result<(), FaultError> {
        Ok(())
    }
    fn disturbances(&self, _: &str) -> u64 {
        0
    }
    fn cut_off(&self, _: &str) -> bool {
        false
    }
    fn after_op(&self, _: &str, _: bool) {}
}

#[test]
fn restarts_every_n_actions_through_the_nemesis() {
    let d = FakeDriver::new(2);
    let mut cfg = config(8, 100);
    cfg.faults.server_restart_every = 20;
    let nemesis = CountingNemesis(Cell::new(0));
    let hooks = ChaosHooks {
        nemesis: Some(&nemesis),
        ..ChaosHooks::default()
    };
    let o = run_chaos(&d, &cfg, hooks).unwrap();
    assert_eq!(o.faults_started, nemesis.0.get());
    assert!(
        (4..=5).contains(&o.faults_started),
        "{} restarts",
        o.faults_started
    );
    let err = run_chaos(&d, &cfg, ChaosHooks::default()).err().unwrap();
    assert!(matches!(err, EngineError::Config(_)));
}

#[test]
fn progress_reports_monotonic_counts() {
    let d = FakeDriver::new(2);
    let mut seen: Vec<Progress> = Vec::new();
    let mut cb = |p: &Progress| seen.push(*p);
    let hooks = ChaosHooks {
        progress: Some(&mut cb),
        ..ChaosHooks::default()
    };
    let o = run_chaos(&d, &config(12, 60), hooks).unwrap();
    // One report per loop step: a step of parallel lanes holds several drawn iterations.
    assert!(!seen.is_empty() && seen.len() as u64 <= o.iterations);
    assert!(seen
        .windows(2)
        .all(|w| w[0].actions_done <= w[1].actions_done));
    let last = seen.last().unwrap();
    assert_eq!(last.total, Some(60));
    assert!(last.actions_done >= 60);
    assert_eq!(last.syncs, o.syncs);
}

#[test]
fn sync_mode_and_config_text() {
    assert_eq!(SyncMode::parse("aggressive"), Some(SyncMode::Aggressive));
    assert_eq!(SyncMode::parse("other"), None);
    assert_eq!(SyncMode::Random.batch(), (1, 20));
    let text = ChaosConfig::new(42, 10).describe();
    assert!(text.starts_with("seed=42 "), "{text}");
    assert!(text.contains("sync-mode=adaptive (3-10)"), "{text}");
}

#[test]
fn refresh_reads_boards_deps_files_and_work_sessions() {
    let d = FakeDriver::new(2);
    let mut e = ChaosEngine::new(&d, 21).unwrap();
    e.refresh_all().unwrap();
    for action in [
        "create",
        "create",
        "board_create",
        "link",
        "ws_start",
        "ws_tag",
    ] {
        let r = e.run_named(0, action).unwrap();
        assert!(r.outcome.is_ok(), "{r:?}");
    }
    let before = e.model("alice").unwrap().clone();
    let (a, b) = (before.issues[0].id.clone(), before.issues[1].id.clone());
    let added = (0..20).any(|_| e.run_named(0, "dep_add").unwrap().outcome.is_ok());
    assert!(added, "dep_add never picked two distinct issues");
    let before = e.model("alice").unwrap().clone();
    assert_eq!(before.deps.len(), 1);
    e.refresh_all().unwrap();
    let after = e.model("alice").unwrap();
    assert_eq!(after.boards, before.boards);
    assert_eq!(after.files, before.files);
    assert_eq!(after.deps, before.deps);
    assert_eq!(after.work_session, before.work_session);
    assert_eq!(after.tagged, before.tagged);
    assert_eq!(
        after.issues.iter().map(|i| &i.id).collect::<Vec<_>>(),
        [&a, &b]
    );
    assert!(after.work_session.is_some() && after.tagged.len() == 1 && after.boards.len() == 1);
}

#[test]
fn a_swarm_config_is_reshaped_by_its_seed_and_says_so() {
    let base = config(21, 60);
    let swarmed = base.clone().swarmed();
    assert_eq!(swarmed.budget, base.budget);
    let weights = swarmed.weights.clone().expect("a swarm sets weights");
    assert!(weights.contains(&0), "some action is switched off");
    assert!(swarmed
        .describe()
        .contains(" swarm: actions [create=15,update=10"));
    assert_eq!(base.clone().swarmed(), swarmed, "one seed, one shape");
    // The engine draws only enabled actions (conflict rounds and bursts run their own verbs).
    let rounds = ["update", "comment", "log_progress", "delete", "dep_add"];
    let d = FakeDriver::new(2);
    let o = run(&d, &swarmed);
    for (name, s) in o.engine.stats().seen_actions() {
        let i = crate::engine::actions::ACTIONS
            .iter()
            .position(|a| a.name == name)
            .unwrap();
        assert!(
            weights[i] > 0 || rounds.contains(&name),
            "{name} ran {s:?} although the swarm switched it off"
        );
    }
}

#[test]
fn a_lane_hands_an_approval_over_at_the_join() {
    use super::conflict::LaneItem;
    use std::collections::VecDeque;
    let d = FakeDriver::new(2);
    // alice implemented the issue (td refuses her approval); bob's model has it in review.
    for actor in ["alice", "bob"] {
        d.conn(actor)
            .execute(
                "INSERT INTO issues (id, title, status, creator_session, implementer_session) \
                 VALUES ('td-aaaaa1', 't', 'in_review', 'ses_000001', 'ses_000001')",
                [],
            )
            .unwrap();
    }
    let mut e = ChaosEngine::new(&d, 3).unwrap();
    e.refresh_all().unwrap();
    assert!(
        e.model("alice")
            .unwrap()
            .issue("td-aaaaa1")
            .unwrap()
            .involved
    );
    let mut queues = vec![VecDeque::new(), VecDeque::new()];
    queues[0].push_back(LaneItem::Focused {
        action: Some("approve"),
        id: "td-aaaaa1".into(),
    });
    let results = e.run_lanes(queues, |_, _| false).unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0].actor, "bob", "{results:?}");
    assert!(results[0].outcome.is_ok(), "{results:?}");
    assert_eq!(
        e.stats().action("approve").total(),
        1,
        "the handover counts once"
    );
    let calls = d.calls_by_actor();
    assert_eq!(calls["bob"][0][0], "approve");
    assert!(!calls.contains_key("alice"), "alice ran nothing: {calls:?}");
    let recorded = e.history().records();
    assert_eq!(recorded.len(), 1, "only the approval is in the history");
}
