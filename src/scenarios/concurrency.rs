//! Truly concurrent syncs (not replayable step for step; the registry says so):
//! thundering_herd (spec §6.7: two actors sync at the same moment) and
//! concurrent_sync_same_client (bash test_concurrent_sync: one client syncs from several
//! processes at once, also while it writes).

use std::thread;

use super::ctx::Ctx;
use crate::driver::{Driver, DriverError, TdOutput};
use crate::harness::Harness;
use crate::verify::{ActorDb, CheckResult, Verifier};

const HERD_ROUNDS: usize = 5;

pub fn thundering_herd(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "thundering_herd");
    for i in 0..HERD_ROUNDS {
        let task = |p: &'static str| ["--type", "task", "--priority", p];
        c.create("alice", &format!("thundering-herd-alice-{i}"), &task("P1"));
        c.create("bob", &format!("thundering-herd-bob-{i}"), &task("P2"));
    }
    let jobs = [("alice", vec!["sync"]), ("bob", vec!["sync"])];
    judge_all(&mut c, &jobs, run_parallel(h, &jobs), "concurrent ");
    if !c.sync_all("thundering herd convergence sync") {
        return c.finish();
    }
    let sql = "SELECT COUNT(*) FROM issues WHERE deleted_at IS NULL";
    for actor in ["alice", "bob"] {
        c.expect_count("issue count", actor, sql, [], 2 * HERD_ROUNDS as i64);
    }
    c.converge();
    c.finish()
}

/// One job: an actor and the td commands it runs one after another.
type Job<'a> = (&'a str, Vec<&'a str>);

/// Runs every job on its own thread at once; each job's commands run in order. Sync
/// commands are `td sync` without retries (a refusal must be seen, not hidden).
fn run_parallel(h: &Harness, jobs: &[Job<'_>]) -> Vec<Vec<Result<TdOutput, DriverError>>> {
    thread::scope(|s| {
        let handles: Vec<_> = jobs
            .iter()
            .map(|(actor, cmds)| {
                s.spawn(move || {
                    cmds.iter()
                        .map(|cmd| {
                            let args: Vec<String> = cmd.split('\u{1f}').map(String::from).collect();
                            h.td(actor, &args)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|t| t.join().expect("a td job thread panicked"))
            .collect()
    })
}

/// Every command of every job must have succeeded with its success text (`sync` needs only
/// exit 0; commands are `\x1f`-separated argument lists). One result per command.
fn judge_all(
    c: &mut Ctx<'_>,
    jobs: &[Job<'_>],
    outs: Vec<Vec<Result<TdOutput, DriverError>>>,
    label: &str,
) {
    for (j, ((actor, cmds), outs)) in jobs.iter().zip(outs).enumerate() {
        for (k, (cmd, out)) in cmds.iter().zip(outs).enumerate() {
            let args: Vec<&str> = cmd.split('\u{1f}').collect();
            let marker = if args[0] == "create" {
                "CREATED td-"
            } else {
                ""
            };
            if c.judge_run(actor, &args, out, marker) {
                let what = format!("{label}job {j} command {k}: td {} [{actor}]", args[0]);
                c.pass(
                    &what,
                    "exit 0 while other processes ran the same client or world",
                );
            }
        }
    }
}

const PRE_ISSUES: usize = 10;
const WAVE2_CREATES: usize = 5;

pub fn concurrent_sync_same_client(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "concurrent_sync_same_client");
    for i in 0..PRE_ISSUES {
        c.create(
            "alice",
            &format!("same-client concurrent sync issue {i}"),
            &[],
        );
    }
    for i in 0..3 {
        c.create(
            "bob",
            &format!("bob's issue before the parallel syncs {i}"),
            &[],
        );
    }
    waves(&mut c, h);
    if !c.sync_all("convergence sync") {
        return c.finish();
    }
    sync_bookkeeping(&mut c);
    let want = (PRE_ISSUES + WAVE2_CREATES + 3) as i64;
    let sql = "SELECT COUNT(*) FROM issues WHERE deleted_at IS NULL";
    for actor in ["alice", "bob"] {
        c.expect_count("issue count", actor, sql, [], want);
    }
    c.converge();
    c.finish()
}

/// Wave 1: three `td sync` of alice at once. Wave 2: alice creates issues on one thread while
/// two others each sync her three times.
fn waves(c: &mut Ctx<'_>, h: &Harness) {
    let wave1: Vec<Job<'_>> = (0..3).map(|_| ("alice", vec!["sync"])).collect();
    judge_all(
        c,
        &wave1,
        run_parallel(h, &wave1),
        "wave 1 (three syncs at once): ",
    );
    let creates: Vec<String> = (0..WAVE2_CREATES)
        .map(|i| format!("create\u{1f}created during parallel syncs {i}"))
        .collect();
    let wave2: Vec<Job<'_>> = vec![
        ("alice", creates.iter().map(String::as_str).collect()),
        ("alice", vec!["sync"; 3]),
        ("alice", vec!["sync"; 3]),
    ];
    judge_all(
        c,
        &wave2,
        run_parallel(h, &wave2),
        "wave 2 (syncs while creating): ",
    );
}

/// alice's action_log after racing syncs: no server_seq twice, nothing pending, every pushed
/// row below the push cursor, and as many distinct seqs as synced rows.
fn sync_bookkeeping(c: &mut Ctx<'_>) {
    let mut v = Verifier::new();
    v.monotonic(&ActorDb::all_from(c.harness()));
    c.extend(v.into_results());
    let checks: [(&str, &str, i64); 3] = [
        (
            "no server_seq assigned twice",
            "SELECT COUNT(*) FROM (SELECT server_seq FROM action_log WHERE server_seq IS NOT NULL \
             GROUP BY server_seq HAVING COUNT(*) > 1)",
            0,
        ),
        (
            "nothing left pending",
            "SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL AND undone = 0",
            0,
        ),
        (
            "push cursor at or past every synced row",
            "SELECT COUNT(*) FROM action_log WHERE server_seq IS NOT NULL \
             AND rowid > (SELECT MAX(last_pushed_action_id) FROM sync_state)",
            0,
        ),
    ];
    for actor in c.harness().actors() {
        for (what, sql, want) in checks {
            c.expect_count(what, &actor, sql, [], want);
        }
    }
    let distinct = "SELECT COUNT(DISTINCT server_seq) = COUNT(server_seq) FROM action_log";
    c.expect_count(
        "distinct server_seq per synced row",
        "alice",
        distinct,
        [],
        1,
    );
}
