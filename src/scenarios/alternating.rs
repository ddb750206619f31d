//! alternating_actions (bash test_alternating_actions): the actors take turns. Each round
//! one creates an issue, starts it, logs progress and a hypothesis, comments and submits it
//! for review; the other comments and approves it. Every third round adds a board with the
//! issue positioned on it; every fourth deletes an older issue.

use rand::Rng;
use rand_pcg::Pcg64;

use super::ctx::Ctx;
use super::query::text;
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

const ROUNDS: usize = 6;

/// What each round's issue must look like at the end.
struct RoundIssue {
    id: String,
    deleted: bool,
}

pub fn alternating_actions(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "alternating_actions");
    let mut draw = rng(seed, "alternating-victims");
    let mut issues: Vec<RoundIssue> = Vec::new();
    let mut positions = 0;
    for r in 0..ROUNDS {
        if !round(&mut c, r, &mut draw, &mut issues, &mut positions) {
            return c.finish();
        }
    }
    if c.sync_all("final sync") {
        expect_final(&mut c, &issues, positions);
        c.converge();
    }
    c.finish()
}

/// One round: `a` works an issue (and every third round boards it), the other reviews and
/// approves it; every fourth round `a` deletes an older issue. False when a sync failed.
fn round(
    c: &mut Ctx<'_>,
    r: usize,
    draw: &mut Pcg64,
    issues: &mut Vec<RoundIssue>,
    positions: &mut i64,
) -> bool {
    let (a, o) = if r.is_multiple_of(2) {
        ("alice", "bob")
    } else {
        ("bob", "alice")
    };
    let Some(id) = work_round(c, r, a) else {
        return false;
    };
    if r.is_multiple_of(3) {
        *positions += board_round(c, r, a, &id, issues.last().map(|i| i.id.as_str()));
    }
    if !propagate(c, a, o, &format!("round {r}: {a} syncs the work")) {
        return false;
    }
    let comment = format!("review comment from {o} in round {r}");
    c.ok(o, &["comment", &id, &comment], "COMMENT ADDED");
    let reason = format!("approved in round {r}");
    c.ok(o, &["approve", &id, "--reason", &reason], "APPROVED");
    issues.push(RoundIssue { id, deleted: false });
    if r % 4 == 3 {
        let victim = draw.gen_range(0..r - 1);
        if c.ok(a, &["delete", &issues[victim].id], "DELETED")
            .is_some()
        {
            issues[victim].deleted = true;
        }
    }
    propagate(c, o, a, &format!("round {r}: {o} syncs the approval"))
}

/// Every round's issue approved (closed), deleted as tracked, with both comments and its
/// hypothesis log; the round boards and their positions on both actors.
fn expect_final(c: &mut Ctx<'_>, issues: &[RoundIssue], positions: i64) {
    for (r, issue) in issues.iter().enumerate() {
        let what = format!("round {r} issue");
        c.expect_field_everywhere(&what, &issue.id, "status", &text("closed"));
        c.expect_deleted_everywhere(&what, &issue.id, issue.deleted);
        for actor in ["alice", "bob"] {
            let sql = "SELECT COUNT(*) FROM comments WHERE issue_id = ?1";
            c.expect_count(&format!("{what}: comments"), actor, sql, [&issue.id], 2);
            let sql = "SELECT COUNT(*) FROM logs WHERE issue_id = ?1 AND type = 'hypothesis'";
            c.expect_count(
                &format!("{what}: hypothesis logs"),
                actor,
                sql,
                [&issue.id],
                1,
            );
        }
    }
    for actor in ["alice", "bob"] {
        let sql = "SELECT COUNT(*) FROM board_issue_positions WHERE deleted_at IS NULL";
        c.expect_count("live board positions", actor, sql, [], positions);
        let sql = "SELECT COUNT(*) FROM boards WHERE name LIKE 'Round-% Board'";
        c.expect_count("round boards", actor, sql, [], ROUNDS.div_ceil(3) as i64);
    }
}

fn propagate(c: &mut Ctx<'_>, first: &str, then: &str, step: &str) -> bool {
    c.sync(first, step) && c.sync(then, step)
}

/// create, start, progress and hypothesis logs, a comment, review — all as `a`.
fn work_round(c: &mut Ctx<'_>, r: usize, a: &str) -> Option<String> {
    let id = c.create(
        a,
        &format!("alternating round {r} issue by {a}"),
        &["--type", "task"],
    )?;
    c.ok(a, &["start", &id], "STARTED")?;
    c.ok(
        a,
        &["log", &id, &format!("progress in round {r}")],
        "LOGGED",
    )?;
    c.ok(
        a,
        &[
            "log",
            &id,
            &format!("hypothesis in round {r}"),
            "--hypothesis",
        ],
        "LOGGED",
    )?;
    c.ok(
        a,
        &["comment", &id, &format!("comment from {a} in round {r}")],
        "COMMENT ADDED",
    )?;
    c.ok(a, &["review", &id], "REVIEW REQUESTED")?;
    Some(id)
}

/// A board for the round with this round's issue at slot 1 and the previous one at slot 2;
/// returns how many positions were set.
fn board_round(c: &mut Ctx<'_>, r: usize, a: &str, id: &str, previous: Option<&str>) -> i64 {
    let board = format!("Round-{r} Board");
    let create = ["board", "create", &board, "--query", "status != closed"];
    if c.ok(a, &create, "Created board").is_none() {
        return 0;
    }
    let mut set = 0;
    if c.ok(a, &["board", "move", &board, id, "1"], "Set ")
        .is_some()
    {
        set += 1;
    }
    if let Some(p) = previous {
        if c.ok(a, &["board", "move", &board, p, "2"], "Set ")
            .is_some()
        {
            set += 1;
        }
    }
    set
}
