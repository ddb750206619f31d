//! Parent/child executors: create_child and the two cascades. Pairs are found in model order
//! (weak spot §9.6: never a map's iteration order).

use super::issues::{created_id, points_value};
use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::model::{IssueModel, Model, Status};
use crate::engine::random::{POINTS, PRIORITIES, TYPES};
use crate::engine::selection::Mode;
use crate::engine::{ChaosEngine, Outcome};

/// create_child (4): title, type, priority, points under a live parent.
pub fn create_child(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    if e.models[a].issues.is_empty() {
        return Ok(e.skip(a, "create_child", "no issues yet"));
    }
    let Some(parent) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "create_child", "no live parent"));
    };
    let title = e.data.title(200);
    e.count_edge(&[&title]);
    let ty = e.data.choice(&TYPES);
    let priority = e.data.choice(&PRIORITIES);
    let points = e.data.choice(&POINTS);
    let wanted = |id: &str| {
        Wanted::issue(
            id,
            vec![
                ("title", IntentValue::text(title.value.as_str())),
                ("type", IntentValue::text(ty)),
                ("priority", IntentValue::text(priority)),
                ("points", points_value(points)),
                ("parent_id", IntentValue::text(parent.as_str())),
                ("status", IntentValue::text("open")),
                ("creator_session", IntentValue::ActingSession),
            ],
        )
    };
    let cmd = args![
        "create",
        title.value.as_str(),
        "--type",
        ty,
        "--priority",
        priority,
        "--points",
        points,
        "--parent",
        parent.as_str()
    ];
    let window = e.window(a)?;
    let mut step = e.run_td(a, "create_child", cmd, &Subject::default())?;
    let Some(id) = created_id(&step.outcome, &step.output.output) else {
        if step.outcome.is_ok() {
            step.outcome = Outcome::Unexpected("create printed no CREATED td-<hex> line".into());
        }
        return Ok(e.result(a, "create_child", parent, step));
    };
    let wanted = wanted(&id);
    e.intend(a, &window, "create_child", wanted)?;
    let mut issue = IssueModel::new(&id, Some(a));
    issue.parent = parent;
    e.model_mut(a).track_created(issue);
    Ok(e.result(a, "create_child", id, step))
}

/// The first (parent, child) pair in model order whose parent and child are live and satisfy
/// the status predicates.
fn first_pair(
    m: &Model,
    parent_ok: impl Fn(&IssueModel) -> bool,
    child_ok: impl Fn(&IssueModel) -> bool,
) -> Option<String> {
    m.issues
        .iter()
        .filter(|c| !c.deleted && !c.parent.is_empty() && child_ok(c))
        .find_map(|c| {
            let p = m.issue(&c.parent)?;
            (!p.deleted && parent_ok(p)).then(|| p.id.clone())
        })
}

/// cascade_handoff (2): handoff on an in-progress parent (td cascades to its descendants).
pub fn cascade_handoff(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let parent = first_pair(&e.models[a], |p| p.status == Status::InProgress, |_| true);
    let Some(parent) = parent else {
        return Ok(e.skip(
            a,
            "cascade_handoff",
            "no in-progress parent with a live child",
        ));
    };
    let done = e.data.handoff_items(0).value;
    let remaining = e.data.handoff_items(0).value;
    let cmd = args![
        "handoff",
        parent.as_str(),
        "--done",
        done,
        "--remaining",
        remaining
    ];
    let step = e.run_td(a, "cascade_handoff", cmd, &Subject::issue(&parent))?;
    Ok(e.result(a, "cascade_handoff", parent, step))
}

/// cascade_review (2): review an in-progress parent with an in-progress child; the model
/// moves every open/in-progress descendant to in_review, as td does.
pub fn cascade_review(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let in_progress = |i: &IssueModel| i.status == Status::InProgress;
    let Some(parent) = first_pair(&e.models[a], in_progress, in_progress) else {
        return Ok(e.skip(a, "cascade_review", "no in-progress parent/child pair"));
    };
    let cmd = args!["review", parent.as_str(), "--reason", "cascade review test"];
    let window = e.window(a)?;
    let step = e.run_td(a, "cascade_review", cmd, &Subject::issue(&parent))?;
    if step.outcome.is_ok() {
        // The target only: the cascade to descendants is td's choice, not the request.
        let wanted = Wanted::issue(&parent, vec![("status", IntentValue::text("in_review"))]);
        e.intend(a, &window, "cascade_review", wanted)?;
        let m = e.model_mut(a);
        m.reviewed(&parent);
        if let Some(p) = m.issue_mut(&parent) {
            p.involved = true;
        }
    }
    Ok(e.result(a, "cascade_review", parent, step))
}
