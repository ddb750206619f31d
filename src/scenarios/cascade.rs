//! Workflow cascades across actors: cascade_conflict (spec §6.5: a review cascade races a
//! close; the outcome must be last-writer-wins by server_seq) and auto_cascade_logs_sync
//! (spec §6.9: the logs an epic's auto-close and a dependent's auto-unblock write must reach
//! the peer, which never re-runs cascades).

use rand::Rng;

use super::ctx::Ctx;
use super::query::text;
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

const CHILDREN: usize = 3;

pub fn cascade_conflict(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "cascade_conflict");
    let Some((parent, children)) = cascade_family(&mut c) else {
        return c.finish();
    };
    for id in std::iter::once(&parent).chain(&children) {
        c.ok(
            "alice",
            &["start", id, "--reason", "cascade test"],
            "STARTED",
        );
    }
    if !c.sync_all("cascade initial sync") {
        return c.finish();
    }
    let review = ["review", &parent, "--reason", "cascade review test"];
    c.ok("alice", &review, "REVIEW REQUESTED");
    for (i, child) in children.iter().enumerate() {
        let what = format!("alice's review cascaded to child {i} locally");
        c.expect_field(&what, "alice", child, "status", &text("in_review"));
    }
    let close = ["close", &children[0], "--reason", "cascade close test"];
    c.ok("bob", &close, "CLOSED");
    let first = if rng(seed, "push-order").gen_bool(0.5) {
        "alice"
    } else {
        "bob"
    };
    let second = if first == "alice" { "bob" } else { "alice" };
    let step = format!("cascade convergence sync ({first} pushes first)");
    if !(c.sync(first, &step) && c.sync(second, &step) && c.sync_all(&step)) {
        return c.finish();
    }
    expect_lww(&mut c, &children[0]);
    for (i, child) in children.iter().enumerate().skip(1) {
        c.expect_field_everywhere(&format!("child {i}"), child, "status", &text("in_review"));
    }
    c.expect_field_everywhere("parent", &parent, "status", &text("in_review"));
    c.converge();
    c.finish()
}

/// A task parent and its children, all alice's.
fn cascade_family(c: &mut Ctx<'_>) -> Option<(String, Vec<String>)> {
    let task = |p: &'static str| ["--type", "task", "--priority", p];
    let parent = c.create("alice", "cascade-conflict-parent-issue", &task("P1"))?;
    let mut children = Vec::new();
    for i in 0..CHILDREN {
        let title = format!("cascade-conflict-child-{i}");
        let mut args: Vec<&str> = task("P2").to_vec();
        args.extend(["--parent", &parent]);
        children.push(c.create("alice", &title, &args)?);
    }
    Some((parent, children))
}

/// Child 0's status is the one written by whichever of alice's cascaded review and bob's
/// close got the higher server_seq.
fn expect_lww(c: &mut Ctx<'_>, child: &str) {
    let what = "child 0 after the race is last-writer-wins by server_seq";
    let seq_sql =
        "SELECT MAX(server_seq) FROM action_log WHERE entity_id = ?1 AND action_type = ?2";
    let seqs = c
        .count("alice", seq_sql, [child, "review"])
        .and_then(|r| Ok((r, c.count("bob", seq_sql, [child, "close"])?)));
    let (review_seq, close_seq) = match seqs {
        Ok((r, cl)) if r > 0 && cl > 0 => (r, cl),
        Ok((r, cl)) => {
            let details = format!("both events must be pushed: alice's review seq {r}, bob's close seq {cl} (-1 = none)");
            c.fail(what, details);
            return;
        }
        Err(e) => {
            c.unknown(what, e.to_string());
            return;
        }
    };
    let want = if close_seq > review_seq {
        "closed"
    } else {
        "in_review"
    };
    let why = format!("review seq {review_seq}, close seq {close_seq}: expect {want}");
    c.pass("race outcome decided by server_seq", why);
    c.expect_field_everywhere(what, child, "status", &text(want));
}

const EPIC_LOG: &str = "Auto-cascaded to closed (all children complete)";

pub fn auto_cascade_logs_sync(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "auto_cascade_logs_sync");
    let Some((epic, children, dependent)) = epic_family(&mut c) else {
        return c.finish();
    };
    if !c.sync_all("auto-cascade seed sync") {
        return c.finish();
    }
    for child in &children {
        let close = ["close", child, "--reason", "auto-cascade child close"];
        if c.ok("alice", &close, "CLOSED").is_none() {
            return c.finish();
        }
    }
    let want = vec![
        format!("{epic} {EPIC_LOG}"),
        format!(
            "{dependent} Auto-unblocked (dependency {} closed)",
            children[1]
        ),
    ];
    let sql = "SELECT issue_id || ' ' || message FROM logs WHERE message LIKE 'Auto-%'";
    if !c.expect_texts("cascade side-effect logs written", "alice", sql, [], &want) {
        return c.finish();
    }
    if !c.sync_all("auto-cascade convergence sync") {
        return c.finish();
    }
    c.expect_texts("cascade side-effect logs received", "bob", sql, [], &want);
    c.expect_field_everywhere("epic auto-closed", &epic, "status", &text("closed"));
    c.expect_field_everywhere(
        "dependent auto-unblocked",
        &dependent,
        "status",
        &text("open"),
    );
    c.converge();
    c.finish()
}

/// An epic with two children and a blocked task depending on the second child.
fn epic_family(c: &mut Ctx<'_>) -> Option<(String, Vec<String>, String)> {
    let epic = c.create(
        "alice",
        "auto-cascade-epic",
        &["--type", "epic", "--priority", "P1"],
    )?;
    let mut children = Vec::new();
    for i in 0..2 {
        let title = format!("auto-cascade-child-{i}");
        children.push(c.create(
            "alice",
            &title,
            &["--type", "task", "--priority", "P2", "--parent", &epic],
        )?);
    }
    let dependent = c.create(
        "alice",
        "auto-cascade-dependent",
        &["--type", "task", "--priority", "P2"],
    )?;
    c.ok("alice", &["dep", "add", &dependent, &children[1]], "ADDED:")?;
    let reason = "waiting on the cascade child";
    c.ok(
        "alice",
        &["block", &dependent, "--reason", reason],
        "BLOCKED",
    )?;
    Some((epic, children, dependent))
}
