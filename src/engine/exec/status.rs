//! Status executors: start, unstart, review, approve, reject, close, reopen, the bulk forms,
//! block and unblock. The model follows td's real transitions: reject lands on open, review
//! cascades to every descendant, close/approve auto-unblock dependents.

use super::Exec;
use crate::args;
use crate::engine::classify::{rules_for, succeeded_targets};
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::model::{Model, Status};
use crate::engine::selection::Mode;
use crate::engine::ChaosEngine;

type Apply = fn(&mut Model, &str);

/// One status command: the action name, td verb, `--reason` text, the model update, and
/// the status td writes to each target it reports as done (the intent).
struct Cmd {
    action: &'static str,
    verb: &'static str,
    reason: &'static str,
    apply: Apply,
    status: &'static str,
}

const fn cmd(
    action: &'static str,
    verb: &'static str,
    reason: &'static str,
    apply: Apply,
    status: &'static str,
) -> Cmd {
    Cmd {
        action,
        verb,
        reason,
        apply,
        status,
    }
}

/// What `c` writes to a target it reports as done: the status; `start` makes the acting
/// session the implementer, and every move to open clears the implementer (td's
/// `write_logged` rule).
fn status_intent(c: &Cmd, id: &str) -> Wanted {
    let mut fields = vec![("status", IntentValue::text(c.status))];
    match c.status {
        "in_progress" => fields.push(("implementer_session", IntentValue::ActingSession)),
        "open" => fields.push(("implementer_session", IntentValue::text(""))),
        _ => {}
    }
    Wanted::issue(id, fields)
}

/// `<verb> <id> --reason <reason>` on an issue of `mode`.
fn single(e: &mut ChaosEngine<'_>, a: usize, mode: Mode, c: &Cmd) -> Exec {
    let Some(id) = e.pick_issue(a, mode) else {
        return Ok(e.skip(a, c.action, "no issue in the required state"));
    };
    run_single(e, a, &id, c)
}

fn run_single(e: &mut ChaosEngine<'_>, a: usize, id: &str, c: &Cmd) -> Exec {
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        c.action,
        args![c.verb, id, "--reason", c.reason],
        &Subject::issue(id),
    )?;
    if step.outcome.is_ok() {
        (c.apply)(e.model_mut(a), id);
        e.intend(a, &window, c.action, status_intent(c, id))?;
    }
    Ok(e.result(a, c.action, id.to_string(), step))
}

/// 2 + Intn(spread) picks of `mode`, deduplicated; fewer than 2 → skip. The model update is
/// applied to each id td reports as done, even when another id was refused.
fn bulk(e: &mut ChaosEngine<'_>, a: usize, mode: Mode, spread: usize, c: &Cmd) -> Exec {
    let count = 2 + e.pick_index(spread);
    let ids = e.pick_distinct(a, mode, count);
    if ids.len() < 2 {
        return Ok(e.skip(
            a,
            c.action,
            "fewer than 2 distinct issues in the required state",
        ));
    }
    let mut line = args![c.verb];
    line.extend(ids.iter().cloned());
    line.extend(args!["--reason", c.reason]);
    let window = e.window(a)?;
    let step = e.run_td(a, c.action, line, &Subject::issues(&ids))?;
    // Whatever the verdict on the others, the ids td reports as done did change.
    let rules = rules_for(c.action).expect("bulk actions have rules");
    if step.output.code == Some(0) {
        for id in succeeded_targets(&rules, &step.output.output, &ids) {
            (c.apply)(e.model_mut(a), &id);
            e.intend(a, &window, c.action, status_intent(c, &id))?;
        }
    }
    Ok(e.result(a, c.action, ids.join(","), step))
}

fn to_open(m: &mut Model, id: &str) {
    m.set_status(id, Status::Open);
}

fn to_blocked(m: &mut Model, id: &str) {
    m.set_status(id, Status::Blocked);
}

fn to_review(m: &mut Model, id: &str) {
    m.reviewed(id);
    if let Some(i) = m.issue_mut(id) {
        // review makes the reviewer the implementer when there was none.
        i.involved = true;
    }
}

fn start_it(m: &mut Model, id: &str) {
    m.started(id);
}

fn close_it(m: &mut Model, id: &str) {
    m.closed(id);
}

const START: Cmd = cmd("start", "start", "chaos start", start_it, "in_progress");
const UNSTART: Cmd = cmd("unstart", "unstart", "chaos unstart", to_open, "open");
const REVIEW: Cmd = cmd("review", "review", "chaos review", to_review, "in_review");
const APPROVE: Cmd = cmd("approve", "approve", "chaos approve", close_it, "closed");
const REJECT: Cmd = cmd("reject", "reject", "chaos reject", to_open, "open");
const CLOSE: Cmd = cmd("close", "close", "chaos close", close_it, "closed");
const REOPEN: Cmd = cmd("reopen", "reopen", "chaos reopen", to_open, "open");
const BULK_START: Cmd = cmd(
    "bulk_start",
    "start",
    "chaos bulk start",
    start_it,
    "in_progress",
);
const BULK_REVIEW: Cmd = cmd(
    "bulk_review",
    "review",
    "chaos bulk review",
    to_review,
    "in_review",
);
const BULK_CLOSE: Cmd = cmd(
    "bulk_close",
    "close",
    "chaos bulk close",
    close_it,
    "closed",
);
const BLOCK: Cmd = cmd("block", "block", "chaos block", to_blocked, "blocked");
const UNBLOCK: Cmd = cmd("unblock", "unblock", "chaos unblock", to_open, "open");

pub fn start(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::Open), &START)
}

pub fn unstart(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::InProgress), &UNSTART)
}

pub fn review(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::InProgress), &REVIEW)
}

/// approve (5): an actor involved with a non-minor issue hands the approval to another actor
/// whose model also has it in review (recorded as the real approver, weak spot §9.18); a
/// pinned engine never switches.
///
/// In a parallel lane the other actors' models and databases belong to their own lanes: a
/// handover is deferred to the lane's end (see `lanes`), where [`approve_handover`] runs it.
pub fn approve(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::Status(Status::InReview)) else {
        return Ok(e.skip(a, "approve", "no issue in review"));
    };
    if e.lane.is_some() && hands_over(e, a, &id) {
        return Ok(e.defer_handover(a, id));
    }
    approve_handover(e, a, &id)
}

/// Approves `id` as `a`, or as another actor when `a` may not approve its own work.
pub(crate) fn approve_handover(e: &mut ChaosEngine<'_>, a: usize, id: &str) -> Exec {
    let approver = approver_for(e, a, id);
    run_single(e, approver, id, &APPROVE)
}

/// Whether `a` is involved with non-minor `id` (td refuses its approval) and may hand it over.
fn hands_over(e: &ChaosEngine<'_>, a: usize, id: &str) -> bool {
    let self_review = e.models[a]
        .issue(id)
        .is_some_and(|i| i.involved && !i.minor);
    self_review && e.pinned.is_none()
}

fn approver_for(e: &mut ChaosEngine<'_>, a: usize, id: &str) -> usize {
    if !hands_over(e, a, id) {
        return a;
    }
    let others: Vec<usize> = (0..e.actors.len())
        .filter(|&o| o != a)
        .filter(|&o| {
            e.models[o]
                .issue(id)
                .is_some_and(|i| Mode::Status(Status::InReview).matches(i) && !i.involved)
        })
        .collect();
    if others.is_empty() {
        return a;
    }
    others[e.pick_index(others.len())]
}

pub fn reject(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::InReview), &REJECT)
}

/// close (2): a live issue; skipped when the model says it is closed.
pub fn close(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "close", "no live issue"));
    };
    if e.models[a]
        .issue(&id)
        .is_some_and(|i| i.status == Status::Closed)
    {
        return Ok(e.skip(a, "close", "picked issue is already closed"));
    }
    run_single(e, a, &id, &CLOSE)
}

pub fn reopen(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::Closed), &REOPEN)
}

pub fn bulk_start(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    bulk(e, a, Mode::Status(Status::Open), 3, &BULK_START)
}

pub fn bulk_review(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    bulk(e, a, Mode::Status(Status::InProgress), 3, &BULK_REVIEW)
}

pub fn bulk_close(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    bulk(e, a, Mode::NotClosed, 3, &BULK_CLOSE)
}

/// block (1): an open issue, else an in-progress one.
pub fn block(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let id = match e.pick_issue(a, Mode::Status(Status::Open)) {
        Some(id) => Some(id),
        None => e.pick_issue(a, Mode::Status(Status::InProgress)),
    };
    let Some(id) = id else {
        return Ok(e.skip(a, "block", "no open or in-progress issue"));
    };
    run_single(e, a, &id, &BLOCK)
}

pub fn unblock(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    single(e, a, Mode::Status(Status::Blocked), &UNBLOCK)
}
