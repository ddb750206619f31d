//! Dependency executors.

use super::Exec;
use crate::args;
use crate::engine::intent::{IntentValue, Wanted};
use crate::engine::invoke::Subject;
use crate::engine::selection::Mode;
use crate::engine::ChaosEngine;

/// The edge `from` depends on `to`, as its row's fields.
fn edge(from: &str, to: &str) -> Vec<(&'static str, IntentValue)> {
    vec![
        ("issue_id", IntentValue::text(from)),
        ("depends_on_id", IntentValue::text(to)),
    ]
}

fn dep_subject(from: &str, to: &str) -> Subject {
    let mut s = Subject::issue(from);
    s.dep = Some((from.to_string(), to.to_string()));
    s
}

/// dep_add (3): two distinct live issues not already tracked as a pair (the second is
/// drawn among the issues that can pair with the first). A cycle refusal is expected only
/// when the actor's database really has the closing path.
pub fn dep_add(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let Some(from) = e.pick_issue(a, Mode::NotDeleted) else {
        return Ok(e.skip(a, "dep_add", "no live issue"));
    };
    let m = &e.models[a];
    let partners: Vec<String> = m
        .issues
        .iter()
        .filter(|i| !i.deleted && i.id != from && !m.has_dep(&from, &i.id))
        .map(|i| i.id.clone())
        .collect();
    if partners.is_empty() {
        return Ok(e.skip(a, "dep_add", "no issue the first one can depend on"));
    }
    let to = partners[e.pick_index(partners.len())].clone();
    add_edge(e, a, &from, &to)
}

/// `dep add <from> <to>` as actor `a` (conflict rounds close cycles across actors with it).
pub(crate) fn add_edge(e: &mut ChaosEngine<'_>, a: usize, from: &str, to: &str) -> Exec {
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "dep_add",
        args!["dep", "add", from, to],
        &dep_subject(from, to),
    )?;
    if step.outcome.is_ok() {
        e.model_mut(a).add_dep(from, to);
        let mut fields = edge(from, to);
        fields.push(("relation_type", IntentValue::text("depends_on")));
        e.intend(
            a,
            &window,
            "dep_add",
            Wanted::matching("issue_dependencies", fields),
        )?;
    }
    Ok(e.result(a, "dep_add", format!("{from}_{to}"), step))
}

/// dep_rm (2): a tracked pair, picked by position.
pub fn dep_rm(e: &mut ChaosEngine<'_>, a: usize) -> Exec {
    let n = e.models[a].deps.len();
    if n == 0 {
        return Ok(e.skip(a, "dep_rm", "no tracked dependency"));
    }
    let idx = e.pick_index(n);
    let (from, to) = e.models[a].deps[idx].clone();
    let window = e.window(a)?;
    let step = e.run_td(
        a,
        "dep_rm",
        args!["dep", "rm", from.as_str(), to.as_str()],
        &dep_subject(&from, &to),
    )?;
    if step.outcome.is_ok() {
        e.model_mut(a).remove_dep(&from, &to);
        let wanted = Wanted::removal("issue_dependencies", edge(&from, &to));
        e.intend(a, &window, "dep_rm", wanted)?;
    }
    Ok(e.result(a, "dep_rm", format!("{from}_{to}"), step))
}
