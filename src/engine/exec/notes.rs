//! Comment, log and handoff executors.

use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::model::Status;
use crate::engine::selection::Mode;
use crate::engine::ChaosEngine;

/// comment (10): 10–100 words or edge data.
pub fn comment(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "comment", "no live issue"));
    };
    let text = e.data.comment(10, 100);
    e.count_edge(&[&text]);
    let wanted = Wanted::matching(
        "comments",
        vec![
            ("issue_id", IntentValue::text(id.as_str())),
            ("text", IntentValue::text(text.value.as_str())),
            ("session_id", IntentValue::ActingSession),
        ],
    );
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "comment",
        args!["comments", "add", id.as_str(), text.value],
        &Subject::issue(&id),
    )?;
    if step.outcome.is_ok() {
        e.intend(a, &window, "comment", wanted)?;
    }
    Ok(e.result(a, "comment", id, step))
}

/// `log --issue <id> [--<kind>] <message>`; an empty (edge) message must be refused.
fn log(
    e: &mut ChaosEngine<'_>,
    a: usize,
    action: &'static str,
    kind: Option<&str>,
    max_words: usize,
) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, action, "no live issue"));
    };
    let msg = e.data.comment(5, max_words);
    e.count_edge(&[&msg]);
    let mut cmd = args!["log", "--issue", id.as_str()];
    if let Some(k) = kind {
        cmd.push(k.to_string());
    }
    let mut subject = Subject::issue(&id);
    subject.empty_message = msg.value.is_empty();
    let wanted = Wanted::matching(
        "logs",
        vec![
            ("issue_id", IntentValue::text(id.as_str())),
            ("message", IntentValue::text(msg.value.as_str())),
            (
                "type",
                IntentValue::text(kind.map_or("progress", |k| &k[2..])),
            ),
            ("session_id", IntentValue::ActingSession),
        ],
    );
    cmd.push(msg.value);
    let window = e.window(a)?;
    let step = e.run_td(a, action, cmd, &subject)?;
    if step.outcome.is_ok() {
        e.intend(a, &window, action, wanted)?;
    }
    Ok(e.result(a, action, id, step))
}

pub fn log_progress(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    log(e, a, "log_progress", None, 30)
}

pub fn log_blocker(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    log(e, a, "log_blocker", Some("--blocker"), 20)
}

pub fn log_decision(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    log(e, a, "log_decision", Some("--decision"), 20)
}

pub fn log_hypothesis(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    log(e, a, "log_hypothesis", Some("--hypothesis"), 20)
}

pub fn log_result(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    log(e, a, "log_result", Some("--result"), 20)
}

/// The four handoff lists: done (1–5), remaining (1–5), decision (2), uncertain (2).
pub(crate) fn handoff_lists(e: &mut ChaosEngine<'_>) -> Vec<String> {
    let done = e.data.handoff_items(0).value;
    let remaining = e.data.handoff_items(0).value;
    let decision = e.data.handoff_items(2).value;
    let uncertain = e.data.handoff_items(2).value;
    args![
        "--done",
        done,
        "--remaining",
        remaining,
        "--decision",
        decision,
        "--uncertain",
        uncertain
    ]
}

/// handoff (3): an in-progress issue.
pub fn handoff(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::Status(Status::InProgress)) else {
        return Ok(e.skip(a, "handoff", "no in-progress issue"));
    };
    let mut cmd = args!["handoff", id.as_str()];
    cmd.extend(handoff_lists(e));
    let step = e.run_td(a, "handoff", cmd, &Subject::issue(&id))?;
    Ok(e.result(a, "handoff", id, step))
}
