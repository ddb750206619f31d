//! event_ordering (bash test_event_ordering): 10 epics, 20 children under them by either
//! actor, 50 engine actions with syncs; then server_seq must be strictly increasing per actor,
//! causally ordered across actors, agreed on (action_log checks), and every child's create
//! must come after its parent's create in server order.

use std::collections::BTreeMap;

use rand::Rng;

use super::ctx::Ctx;
use super::engine_run::Actions;
use super::{derive, rng};
use crate::driver::Driver;
use crate::harness::Harness;
use crate::verify::db::as_int;
use crate::verify::{ActorDb, CheckResult, Verifier};

const PARENTS: usize = 10;
const CHILDREN: usize = 20;
const ACTIONS: usize = 50;
const BATCH: usize = 10;

pub fn event_ordering(h: &Harness, seed: u64) -> Vec<CheckResult> {
    let mut c = Ctx::new(h, "event_ordering");
    let mut draw = rng(seed, "ordering-family");
    let pick = |draw: &mut rand_pcg::Pcg64| ["alice", "bob"][draw.gen_range(0..2)];
    let mut parents = Vec::new();
    for i in 0..PARENTS {
        let actor = pick(&mut draw);
        let title = format!("ordering parent {i} by {actor}");
        parents.extend(c.create(actor, &title, &["--type", "epic"]));
    }
    if parents.is_empty() || !c.sync_all("sync the parents") {
        return c.finish();
    }
    for i in 0..CHILDREN {
        let actor = pick(&mut draw);
        let parent = &parents[draw.gen_range(0..parents.len())];
        let title = format!("ordering child {i} by {actor}");
        c.create(actor, &title, &["--type", "task", "--parent", parent]);
    }
    if !c.sync_all("sync the children") {
        return c.finish();
    }
    let mut engine = Actions::new(h, "engine", derive(seed, "ordering-engine"), None);
    for batch in 0..ACTIONS / BATCH {
        engine.run(BATCH);
        if !c.sync_all(&format!("sync after action batch {batch}")) {
            break;
        }
        engine.refresh_all();
    }
    engine.report(&mut c);
    if !c.sync_all("final sync") {
        return c.finish();
    }
    let dbs = ActorDb::all_from(h);
    let mut v = Verifier::new();
    v.monotonic(&dbs);
    v.causal(&dbs);
    v.action_log(&dbs);
    c.extend(v.into_results());
    parents_first(&mut c);
    c.converge();
    c.finish()
}

/// Over every actor's pushed issue creates (each seq has one author): a child's first create
/// has a higher server_seq than its parent's first create.
fn parents_first(c: &mut Ctx<'_>) {
    let what = "every child's create follows its parent's create in server order";
    let sql = "SELECT server_seq, entity_id, COALESCE(json_extract(new_data, '$.parent_id'), '') \
               FROM action_log WHERE server_seq IS NOT NULL AND action_type = 'create' \
               AND lower(entity_type) IN ('issue', 'issues') AND json_valid(new_data)";
    let mut first: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for actor in c.harness().actors() {
        let rows = match c.rows(&actor, sql, []) {
            Ok(r) => r,
            Err(e) => return c.unknown(what, e.to_string()),
        };
        for row in rows {
            let seq = as_int(&row[0]).unwrap_or(i64::MAX);
            let text = |v: &rusqlite::types::Value| {
                crate::verify::db::as_text(v).unwrap_or("").to_string()
            };
            let entry = first.entry(text(&row[1])).or_insert((seq, text(&row[2])));
            if seq < entry.0 {
                *entry = (seq, text(&row[2]));
            }
        }
    }
    let mut violations = Vec::new();
    let mut children = 0;
    for (id, (seq, parent)) in &first {
        if parent.is_empty() {
            continue;
        }
        children += 1;
        match first.get(parent) {
            Some((pseq, _)) if pseq < seq => {}
            Some((pseq, _)) => violations.push(format!(
                "{id} created at seq {seq}, its parent {parent} at {pseq}"
            )),
            None => violations.push(format!(
                "{id} (seq {seq}) has parent {parent} with no pushed create"
            )),
        }
    }
    let details = if violations.is_empty() {
        format!("{children} children, {} creates", first.len())
    } else {
        violations.join("; ")
    };
    c.check(what, violations.is_empty() && children >= CHILDREN, details);
}
