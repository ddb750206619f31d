//! Edits of one issue: multi_field_collision (spec §6.3: concurrent edits of different
//! fields both survive, whichever is pushed first) and burst_no_sync (spec §6.8: twenty
//! unsynced edits arrive with their exact final values).

use rand::Rng;
use rusqlite::types::Value;

use super::ctx::Ctx;
use super::query::{int, text};
use super::rng;
use crate::harness::Harness;
use crate::verify::CheckResult;

/// One field an actor sets: the td flag, the column, the value given and the value stored.
struct Edit {
    flag: &'static str,
    column: &'static str,
    arg: &'static str,
    stored: fn() -> Value,
}

/// (alice's field, bob's field) per round, as in the original.
fn pairs() -> [(Edit, Edit); 3] {
    let e = |flag, column, arg, stored| Edit {
        flag,
        column,
        arg,
        stored,
    };
    [
        (
            e("--title", "title", "collision-title-from-alice", || {
                text("collision-title-from-alice")
            }),
            e("--priority", "priority", "P0", || text("P0")),
        ),
        (
            e(
                "--description",
                "description",
                "collision-desc-from-alice",
                || text("collision-desc-from-alice"),
            ),
            e("--labels", "labels", "collision-label", || {
                text("collision-label")
            }),
        ),
        (
            e("--points", "points", "13", || int(13)),
            e("--sprint", "sprint", "sprint-collision", || {
                text("sprint-collision")
            }),
        ),
    ]
}

pub fn multi_field_collision(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "multi_field_collision");
    let mut order = rng(seed, "push-order");
    for (a, b) in pairs() {
        let alice_first = order.gen_bool(0.5);
        collide(&mut c, &a, &b, alice_first);
    }
    c.converge();
    c.finish()
}

/// One round; a failed step ends the round (the next one still runs).
fn collide(c: &mut Ctx<'_>, a: &Edit, b: &Edit, alice_first: bool) -> Option<()> {
    let pair = format!("{}/{}", a.column, b.column);
    let title = format!("multi-field-test-{}-{}", a.column, b.column);
    let id = c.create("alice", &title, &["--type", "task", "--priority", "P1"])?;
    c.sync_all(&format!("sync for {pair}")).then_some(())?;
    c.ok("alice", &["update", &id, a.flag, a.arg], "UPDATED")?;
    c.ok("bob", &["update", &id, b.flag, b.arg], "UPDATED")?;
    let (first, second) = if alice_first {
        ("alice", "bob")
    } else {
        ("bob", "alice")
    };
    let step = format!("convergence sync {pair} ({first} pushes first)");
    (c.sync(first, &step) && c.sync(second, &step) && c.sync_all(&step)).then_some(())?;
    let what = format!("{pair} ({first} pushed first)");
    c.expect_field_everywhere(&what, &id, a.column, &(a.stored)());
    c.expect_field_everywhere(&what, &id, b.column, &(b.stored)());
    Some(())
}

/// The twenty burst commands after `td` and before the id is substituted (`{}`), with the
/// text that proves each succeeded.
const BURST: [(&[&str], &str); 20] = [
    (&["update", "{}", "--title", "burst-title-1"], "UPDATED"),
    (&["update", "{}", "--priority", "P3"], "UPDATED"),
    (&["comment", "{}", "burst comment 1"], "COMMENT ADDED"),
    (&["update", "{}", "--labels", "burst-label"], "UPDATED"),
    (
        &[
            "update",
            "{}",
            "--description",
            "burst description update 1",
        ],
        "UPDATED",
    ),
    (&["start", "{}", "--reason", "burst start"], "STARTED"),
    (&["comment", "{}", "burst comment 2"], "COMMENT ADDED"),
    (&["update", "{}", "--title", "burst-title-2"], "UPDATED"),
    (&["update", "{}", "--points", "5"], "UPDATED"),
    (&["log", "{}", "burst log 1"], "LOGGED"),
    (&["update", "{}", "--sprint", "sprint-1"], "UPDATED"),
    (&["update", "{}", "--priority", "P2"], "UPDATED"),
    (&["comment", "{}", "burst comment 3"], "COMMENT ADDED"),
    (
        &["update", "{}", "--description", "burst description final"],
        "UPDATED",
    ),
    (&["update", "{}", "--title", "burst-title-3"], "UPDATED"),
    (&["log", "{}", "burst log 2"], "LOGGED"),
    (
        &["update", "{}", "--labels", "burst-label,final"],
        "UPDATED",
    ),
    (&["update", "{}", "--title", "burst-final-title"], "UPDATED"),
    (&["update", "{}", "--priority", "P0"], "UPDATED"),
    (
        &["update", "{}", "--points", "8", "--sprint", "sprint-burst"],
        "UPDATED",
    ),
];

pub fn burst_no_sync(h: &Harness, _seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "burst_no_sync");
    let Some(id) = c.create(
        "alice",
        "burst-target-issue",
        &["--type", "task", "--priority", "P1"],
    ) else {
        return c.finish();
    };
    if !c.sync_all("burst initial sync") {
        return c.finish();
    }
    for (args, marker) in BURST {
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "{}" { id.as_str() } else { a })
            .collect();
        c.ok("alice", &args, marker);
    }
    if !c.sync_all("burst convergence sync") {
        return c.finish();
    }
    expect_burst_final(&mut c, &id);
    c.converge();
    c.finish()
}

/// The last value of every field the burst set, the three comments and three logs, on
/// both actors.
fn expect_burst_final(c: &mut Ctx<'_>, id: &str) {
    let finals = [
        ("title", text("burst-final-title")),
        ("priority", text("P0")),
        ("labels", text("burst-label,final")),
        ("sprint", text("sprint-burst")),
        ("points", int(8)),
        ("description", text("burst description final")),
        ("status", text("in_progress")),
    ];
    for (column, want) in &finals {
        c.expect_field_everywhere("final value", id, column, want);
    }
    let comments: Vec<String> = (1..=3).map(|i| format!("burst comment {i}")).collect();
    let logs = ["burst start", "burst log 1", "burst log 2"].map(String::from);
    for a in ["alice", "bob"] {
        let sql = "SELECT text FROM comments WHERE issue_id = ?1";
        c.expect_texts("burst comments", a, sql, [id], &comments);
        let sql = "SELECT message FROM logs WHERE issue_id = ?1";
        c.expect_texts("burst logs", a, sql, [id], &logs);
    }
}
