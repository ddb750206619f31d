//! CRUD executors: create, update, update_append, delete, restore, update_bulk.

use super::Exec;
use crate::args;
use crate::engine::classify::extract_created_id;
use crate::engine::intent::{labels_value, IntentValue, Wanted};
use crate::engine::invoke::{Step, Subject};
use crate::engine::model::IssueModel;
use crate::engine::random::{POINTS, PRIORITIES, SPRINTS, TYPES};
use crate::engine::selection::Mode;
use crate::engine::{ChaosEngine, EngineError, Outcome};

/// create (15): title, type, priority, points, labels, description, acceptance; 40 % a
/// parent; 30 % `--minor` (a create flag — td's update has none). The description and
/// acceptance follow as two checked updates.
pub fn create(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let title = e.data.title(200);
    let ty = e.data.choice(&TYPES);
    let priority = e.data.choice(&PRIORITIES);
    let points = e.data.choice(&POINTS);
    let labels = e.data.labels(0);
    let description = e.data.description(1);
    let acceptance = e.data.acceptance(0);
    e.count_edge(&[&title, &description, &acceptance]);
    let wants_parent = e.pick_index(5) < 2 && !e.models[a].issues.is_empty();
    let parent = if wants_parent {
        e.pick_issue(a, Mode::NotDeleted)
    } else {
        None
    };
    let minor = e.pick_index(10) < 3;
    let wanted = |id: &str| {
        Wanted::issue(
            id,
            vec![
                ("title", IntentValue::text(title.value.as_str())),
                ("type", IntentValue::text(ty)),
                ("priority", IntentValue::text(priority)),
                ("points", points_value(points)),
                ("labels", labels_value(&labels)),
                ("parent_id", IntentValue::text(parent_arg(&parent))),
                ("minor", IntentValue::Int(i64::from(minor))),
                ("status", IntentValue::text("open")),
                ("creator_session", IntentValue::ActingSession),
            ],
        )
    };
    let mut cmd = args![
        "create",
        title.value.as_str(),
        "--type",
        ty,
        "--priority",
        priority
    ];
    cmd.extend(args!["--points", points, "--labels", labels.as_str()]);
    if let Some(p) = &parent {
        cmd.extend(args!["--parent", p.as_str()]);
    }
    if minor {
        cmd.push("--minor".into());
    }
    let window = e.window(a)?;
    let mut step = e.run_td(a, "create", cmd, &Subject::default())?;
    let Some(id) = created_id(&step.outcome, &step.output.output) else {
        if step.outcome.is_ok() {
            step.outcome = Outcome::Unexpected("create printed no CREATED td-<hex> line".into());
        }
        return Ok(e.result(a, "create", parent.unwrap_or_default(), step));
    };
    e.intend(a, &window, "create", wanted(&id))?;
    let mut issue = IssueModel::new(&id, Some(a));
    issue.minor = minor;
    issue.parent = parent.unwrap_or_default();
    e.model_mut(a).track_created(issue);
    let follow_ups = [
        ("--description", description.value),
        ("--acceptance", acceptance.value),
    ];
    for (flag, text) in follow_ups {
        follow_up(e, a, &id, flag, text, &mut step)?;
    }
    Ok(e.result(a, "create", id, step))
}

/// One of create's follow-up updates; a failure makes the whole create unexpected.
fn follow_up(
    e: &mut ChaosEngine<'_>,
    a: usize,
    id: &str,
    flag: &str,
    text: String,
    step: &mut Step,
) -> Result<(), EngineError> {
    let cmd = args!["update", id, flag, text.as_str()];
    let window = e.window(a)?;
    let follow = e.run_td(a, "update", cmd, &Subject::issue(id))?;
    if follow.outcome.is_ok() {
        // td ignores an empty --description/--acceptance: nothing was written.
        if let Some(w) = field_write(flag, &text) {
            e.intend(a, &window, "create", Wanted::issue(id, vec![w]))?;
        }
    } else {
        let why = format!("follow-up update {flag} failed: {:?}", follow.outcome);
        step.outcome =
            std::mem::replace(&mut step.outcome, Outcome::Ok).worst(Outcome::Unexpected(why));
        step.output = follow.output;
    }
    Ok(())
}

/// `--parent`'s value as td stores it in parent_id (`""` without the flag).
fn parent_arg(parent: &Option<String>) -> &str {
    parent.as_deref().unwrap_or("")
}

/// `--points` as the integer td stores.
pub(crate) fn points_value(points: &str) -> IntentValue {
    points
        .parse()
        .map(IntentValue::Int)
        .unwrap_or_else(|_| IntentValue::text(points))
}

/// The column and value one update flag writes, as td applies it (`apply_fields`): an empty
/// title, description or acceptance is ignored; every other flag writes even an empty value.
fn field_write(flag: &str, value: &str) -> Option<(&'static str, IntentValue)> {
    let column = match flag {
        "--title" => "title",
        "--description" => "description",
        "--acceptance" => "acceptance",
        "--type" => "type",
        "--priority" => "priority",
        "--points" => return Some(("points", points_value(value))),
        "--labels" => return Some(("labels", labels_value(value))),
        "--sprint" => "sprint",
        _ => return None,
    };
    let ignored_when_empty = matches!(column, "title" | "description" | "acceptance");
    if ignored_when_empty && value.is_empty() {
        return None;
    }
    Some((column, IntentValue::text(value)))
}

/// The writes of a flag list where a later flag overrides an earlier one (clap's
/// `args_override_self`), even when the later one is an ignored empty text.
fn update_writes(flags: &[(&'static str, String)]) -> Vec<(&'static str, IntentValue)> {
    let mut last: Vec<(&'static str, &str)> = Vec::new();
    for (flag, value) in flags {
        last.retain(|(f, _)| f != flag);
        last.push((flag, value));
    }
    last.into_iter()
        .filter_map(|(flag, value)| field_write(flag, value))
        .collect()
}

/// The new issue's id when the create succeeded.
pub(crate) fn created_id(outcome: &Outcome, output: &str) -> Option<String> {
    if outcome.is_ok() {
        extract_created_id(output)
    } else {
        None
    }
}

/// One `--flag value` pair of update's field menu (Intn(8)).
fn update_field(e: &mut ChaosEngine<'_>) -> (&'static str, String) {
    match e.data.intn(8) {
        0 => {
            let t = e.data.title(100);
            e.count_edge(&[&t]);
            ("--title", t.value)
        }
        1 => {
            let t = e.data.description(1);
            e.count_edge(&[&t]);
            ("--description", t.value)
        }
        2 => ("--type", e.data.choice(&TYPES).to_string()),
        3 => ("--priority", e.data.choice(&PRIORITIES).to_string()),
        4 => ("--points", e.data.choice(&POINTS).to_string()),
        5 => ("--labels", e.data.labels(0)),
        6 => {
            let t = e.data.acceptance(0);
            e.count_edge(&[&t]);
            ("--acceptance", t.value)
        }
        _ => ("--sprint", e.data.choice(&SPRINTS).to_string()),
    }
}

/// update (10): 1–3 fields (repeats allowed; the later flag wins in the CLI).
pub fn update(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "update", "no live issue"));
    };
    let n = 1 + e.data.intn(3);
    let mut cmd = args!["update", id.as_str()];
    let mut flags = Vec::new();
    for _ in 0..n {
        let (flag, value) = update_field(e);
        cmd.extend(args![flag, value.as_str()]);
        flags.push((flag, value));
    }
    let window = e.window(a)?;
    let step = e.run_td(a, "update", cmd, &Subject::issue(&id))?;
    let writes = update_writes(&flags);
    if step.outcome.is_ok() && !writes.is_empty() {
        e.intend(a, &window, "update", Wanted::issue(&id, writes))?;
    }
    Ok(e.result(a, "update", id, step))
}

/// update_append (2): `--append` 1–3 words to the acceptance or the description.
pub fn update_append(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "update_append", "no live issue"));
    };
    let flag = if e.data.intn(2) == 1 {
        "--acceptance"
    } else {
        "--description"
    };
    let n = 1 + e.data.intn(3);
    let text = e.data.words(n);
    let wanted = e.append_intent(a, &id, &flag[2..], &text)?;
    let cmd = args!["update", id.as_str(), "--append", flag, text];
    let window = e.window(a)?;
    let step = e.run_td(a, "update_append", cmd, &Subject::issue(&id))?;
    if step.outcome.is_ok() {
        e.intend(a, &window, "update_append", wanted)?;
    }
    Ok(e.result(a, "update_append", id, step))
}

/// delete (2): soft delete.
pub fn delete(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "delete", "no live issue"));
    };
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "delete",
        args!["delete", id.as_str()],
        &Subject::issue(&id),
    )?;
    if step.outcome.is_ok() {
        e.model_mut(a).set_deleted(&id, true);
        let wanted = Wanted::issue(&id, vec![("deleted_at", IntentValue::NotNull)]);
        e.intend(a, &window, "delete", wanted)?;
    }
    Ok(e.result(a, "delete", id, step))
}

/// restore (1): undo a soft delete.
pub fn restore(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(id) = e.pick_issue(a, Mode::Deleted) else {
        return Ok(e.skip(a, "restore", "no deleted issue"));
    };
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "restore",
        args!["restore", id.as_str()],
        &Subject::issue(&id),
    )?;
    if step.outcome.is_ok() {
        e.model_mut(a).set_deleted(&id, false);
        let wanted = Wanted::issue(&id, vec![("deleted_at", IntentValue::Null)]);
        e.intend(a, &window, "restore", wanted)?;
    }
    Ok(e.result(a, "restore", id, step))
}

/// update_bulk (2): one field on 2–3 distinct issues; every id must print UPDATED.
pub fn update_bulk(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let count = 2 + e.pick_index(2);
    let ids = e.pick_distinct(a, Mode::NotDeleted, count);
    if ids.len() < 2 {
        return Ok(e.skip(a, "update_bulk", "fewer than 2 distinct live issues"));
    }
    let (flag, value) = match e.data.intn(5) {
        0 => ("--priority", e.data.choice(&PRIORITIES).to_string()),
        1 => ("--type", e.data.choice(&TYPES).to_string()),
        2 => ("--points", e.data.choice(&POINTS).to_string()),
        3 => ("--labels", e.data.labels(0)),
        _ => ("--sprint", e.data.choice(&SPRINTS).to_string()),
    };
    let mut cmd = args!["update"];
    cmd.extend(ids.iter().cloned());
    cmd.extend(args![flag, value.as_str()]);
    let window = e.window(a)?;
    let step = e.run_td(a, "update_bulk", cmd, &Subject::issues(&ids))?;
    if step.outcome.is_ok() {
        // The rule is "UPDATED <id>" for every id: all of them were written.
        for id in &ids {
            let writes = update_writes(&[(flag, value.clone())]);
            e.intend(a, &window, "update_bulk", Wanted::issue(id, writes))?;
        }
    }
    Ok(e.result(a, "update_bulk", ids.join(","), step))
}
