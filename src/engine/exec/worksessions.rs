//! Work session executors (per actor: each actor has its own active session).

use super::notes::handoff_lists;
use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::selection::Mode;
use crate::engine::ChaosEngine;

/// Issue `id`'s tag row in the actor's active session (td names the session by id).
fn tag_key(id: &str) -> Vec<(&'static str, IntentValue)> {
    vec![
        ("issue_id", IntentValue::text(id)),
        ("work_session_id", IntentValue::Logged),
    ]
}

fn active(e: &ChaosEngine<'_>, a: usize) -> bool {
    e.models[a].work_session.is_some()
}

/// ws_start (2): only without an active session.
pub fn ws_start(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    if active(e, a) {
        return Ok(e.skip(a, "ws_start", "work session already active"));
    }
    let name = format!("chaos-ws-{}", 1 + e.data.intn(999));
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "ws_start",
        args!["ws", "start", name.as_str()],
        &Subject::default(),
    )?;
    if step.outcome.is_ok() {
        let m = e.model_mut(a);
        m.end_work_session();
        m.work_session = Some(name.clone());
        let fields = vec![
            ("name", IntentValue::text(name.as_str())),
            ("session_id", IntentValue::ActingSession),
            ("ended_at", IntentValue::Null),
        ];
        e.intend(
            a,
            &window,
            "ws_start",
            Wanted::matching("work_sessions", fields),
        )?;
    }
    Ok(e.result(a, "ws_start", name, step))
}

/// ws_tag (3): a live issue, without auto-start.
pub fn ws_tag(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    if !active(e, a) {
        return Ok(e.skip(a, "ws_tag", "no active work session"));
    }
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "ws_tag", "no live issue"));
    };
    let cmd = args!["ws", "tag", id.as_str(), "--no-start"];
    let window = e.window(a)?;
    let step = e.run_td(a, "ws_tag", cmd, &Subject::issue(&id))?;
    if step.outcome.is_ok() {
        e.model_mut(a).tag(&id);
        let wanted = Wanted::matching("work_session_issues", tag_key(&id));
        e.intend(a, &window, "ws_tag", wanted)?;
    }
    Ok(e.result(a, "ws_tag", id, step))
}

/// ws_untag (1): a tagged issue, picked by position.
pub fn ws_untag(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let n = e.models[a].tagged.len();
    if !active(e, a) || n == 0 {
        return Ok(e.skip(a, "ws_untag", "no active work session with tags"));
    }
    let idx = e.pick_index(n);
    let id = e.models[a].tagged[idx].clone();
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "ws_untag",
        args!["ws", "untag", id.as_str()],
        &Subject::issue(&id),
    )?;
    if step.outcome.is_ok() {
        e.model_mut(a).tagged.retain(|t| *t != id);
        let wanted = Wanted::removal("work_session_issues", tag_key(&id));
        e.intend(a, &window, "ws_untag", wanted)?;
    }
    Ok(e.result(a, "ws_untag", id, step))
}

/// ws_end (1).
pub fn ws_end(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    if !active(e, a) {
        return Ok(e.skip(a, "ws_end", "no active work session"));
    }
    let name = e.models[a].work_session.clone().unwrap_or_default();
    let window = e.window(a)?;
    let step = e.run_td(a, "ws_end", args!["ws", "end"], &Subject::default())?;
    if step.outcome.is_ok() {
        e.model_mut(a).end_work_session();
        let fields = vec![
            ("name", IntentValue::text(name.as_str())),
            ("ended_at", IntentValue::NotNull),
        ];
        e.intend(
            a,
            &window,
            "ws_end",
            Wanted::matching("work_sessions", fields),
        )?;
    }
    Ok(e.result(a, "ws_end", String::new(), step))
}

/// ws_handoff (1): the four lists; ends the session.
pub fn ws_handoff(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    if !active(e, a) {
        return Ok(e.skip(a, "ws_handoff", "no active work session"));
    }
    let mut cmd = args!["ws", "handoff"];
    cmd.extend(handoff_lists(e));
    let step = e.run_td(a, "ws_handoff", cmd, &Subject::default())?;
    if step.outcome.is_ok() {
        e.model_mut(a).end_work_session();
    }
    Ok(e.result(a, "ws_handoff", String::new(), step))
}
